//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Boost.Asio 1.81's example/cpp20/coroutines/echo_server.cpp, migrated to
// Boost.Affine. Renamed, nothing else:
//
//   <boost/asio/co_spawn.hpp>   -> <boost/affine/co_spawn.hpp>
//   asio::awaitable             -> boost::affine::task
//   asio::use_awaitable(_t)     -> boost::affine::use_affine(_t)
//   asio::co_spawn              -> boost::affine::co_spawn
//
// Added for the tests: the port to listen on, argv[1] (default 55555).
//
//   example_asio_echo_server [port]

#include <boost/affine/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <cstdlib>

using boost::affine::co_spawn;
using boost::affine::task;
using boost::affine::use_affine;
using boost::asio::detached;
using boost::asio::ip::tcp;
namespace this_coro = boost::asio::this_coro;

#if defined(BOOST_ASIO_ENABLE_HANDLER_TRACKING)
#define use_affine boost::affine::use_affine_t(__FILE__, __LINE__, __PRETTY_FUNCTION__)
#endif

task<void> echo(tcp::socket socket) {
    try {
        char data[1024];
        for (;;) {
            std::size_t n = co_await socket.async_read_some(boost::asio::buffer(data), use_affine);
            co_await async_write(socket, boost::asio::buffer(data, n), use_affine);
        }
    } catch (std::exception& e) {
        std::printf("echo Exception: %s\n", e.what());
    }
}

task<void> listener(unsigned short port) {
    auto executor = co_await this_coro::executor;
    tcp::acceptor acceptor(executor, {tcp::v4(), port});
    for (;;) {
        tcp::socket socket = co_await acceptor.async_accept(use_affine);
        co_spawn(executor, echo(std::move(socket)), detached);
    }
}

int main(int argc, char* argv[]) {
    try {
        unsigned short port = argc > 1 ? static_cast<unsigned short>(std::atoi(argv[1])) : 55555;

        boost::asio::io_context io_context(1);

        boost::asio::signal_set signals(io_context, SIGINT, SIGTERM);
        signals.async_wait([&](auto, auto) { io_context.stop(); });

        co_spawn(io_context, listener(port), detached);

        io_context.run();
    } catch (std::exception& e) {
        std::printf("Exception: %s\n", e.what());
    }
}
