//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Instructions per read that Asio completes inside its initiation (the data is already there),
// Boost 1.82 and later: 0, use_affine (its handler's own immediate executor runs the completion
// inline on the home); 1, use_affine with Asio's default immediate executor bound (a post to the
// socket's executor, blocking.never); 2, asio::awaitable. Not built by CMake nor run.py:
//
//   g++ -std=c++20 -O2 -DNDEBUG -Iinclude bench/ablation/immediate.cpp -o immediate -pthread
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null ./immediate <variant> 20000
//   (and 40000: the difference over 20,000 is the cost of one read)
//
// It also prints how many handlers the io_context ran.

#include <boost/version.hpp>
#if BOOST_VERSION < 108200
#error "bench/ablation/immediate.cpp needs Boost 1.82 or later (immediate completion)"
#endif

#include <boost/affine.hpp>
#include <boost/asio.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
namespace asio = boost::asio;
namespace affine = boost::affine;
using asio::ip::tcp;

affine::task<void> reads(tcp::socket& s, int n, bool asio_default) {
    char c;
    auto ex = s.get_executor();
    for (int i = 0; i < n; ++i) {
        if (asio_default)
            co_await s.async_read_some(
                asio::buffer(&c, 1),
                asio::bind_immediate_executor(asio::require(ex, asio::execution::blocking.never),
                                              affine::use_affine));
        else
            co_await s.async_read_some(asio::buffer(&c, 1), affine::use_affine);
    }
}

asio::awaitable<void> reads_awaitable(tcp::socket& s, int n) {
    char c;
    for (int i = 0; i < n; ++i)
        co_await s.async_read_some(asio::buffer(&c, 1), asio::use_awaitable);
}

int main(int argc, char** argv) {
    int variant = std::atoi(argv[1]);
    int n = std::atoi(argv[2]);
    asio::io_context ioc;
    tcp::acceptor acceptor(ioc, {asio::ip::address_v4::loopback(), 0});
    tcp::socket a(ioc), b(ioc);
    a.connect(acceptor.local_endpoint());
    acceptor.accept(b);
    int opt = 1 << 20;
    b.set_option(asio::socket_base::receive_buffer_size(opt));
    a.set_option(asio::socket_base::send_buffer_size(opt));
    std::string data(n, 'x');
    asio::write(a, asio::buffer(data));
    while (b.available() < std::size_t(n)) {
    }
    if (variant == 2)
        asio::co_spawn(ioc, reads_awaitable(b, n), asio::detached);
    else
        affine::co_spawn(ioc, reads(b, n, variant == 1), asio::detached);
    std::size_t handlers = ioc.run();
    std::printf("variant %d: %zu handlers for %d reads\n", variant, handlers, n);
}
