//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Boost.Asio 1.81's example/cpp20/coroutines/echo_server_with_default.cpp,
// migrated to Boost.Affine. Renamed, nothing else:
//
//   <boost/asio/co_spawn.hpp>   -> <boost/affine/co_spawn.hpp>
//   asio::awaitable             -> boost::affine::task
//   asio::use_awaitable_t       -> boost::affine::use_affine_t
//   asio::co_spawn              -> boost::affine::co_spawn
//
// use_affine_t<>::as_default_on_t makes use_affine the default completion
// token of the acceptor and the sockets, as use_awaitable_t's does.
//
// Added for the tests: the port to listen on, argv[1] (default 55555).
//
//   example_asio_echo_server_with_default [port]

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
using boost::affine::use_affine_t;
using boost::asio::detached;
using boost::asio::ip::tcp;
using tcp_acceptor = use_affine_t<>::as_default_on_t<tcp::acceptor>;
using tcp_socket = use_affine_t<>::as_default_on_t<tcp::socket>;
namespace this_coro = boost::asio::this_coro;

task<void> echo(tcp_socket socket) {
    try {
        char data[1024];
        for (;;) {
            std::size_t n = co_await socket.async_read_some(boost::asio::buffer(data));
            co_await async_write(socket, boost::asio::buffer(data, n));
        }
    } catch (std::exception& e) {
        std::printf("echo Exception: %s\n", e.what());
    }
}

task<void> listener(unsigned short port) {
    auto executor = co_await this_coro::executor;
    tcp_acceptor acceptor(executor, {tcp::v4(), port});
    for (;;) {
        auto socket = co_await acceptor.async_accept();
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
