//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Boost.Asio 1.81's example/cpp20/coroutines/echo_server_with_deferred.cpp,
// migrated to Boost.Affine. Renamed, nothing else:
//
//   <boost/asio/co_spawn.hpp>   -> <boost/affine/co_spawn.hpp>
//   asio::awaitable             -> boost::affine::task
//   asio::co_spawn              -> boost::affine::co_spawn
//
// A task awaits an operation made with asio::deferred as an asio::awaitable
// does: started when awaited, errors thrown.
//
// Added for the tests: the port to listen on, argv[1] (default 55555).
//
//   example_asio_echo_server_with_deferred [port]

#include <boost/affine/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <cstdlib>

using boost::affine::co_spawn;
using boost::affine::task;
using boost::asio::deferred;
using boost::asio::detached;
using boost::asio::ip::tcp;
namespace this_coro = boost::asio::this_coro;

task<void> echo(tcp::socket socket) {
    try {
        char data[1024];
        for (;;) {
            std::size_t n = co_await socket.async_read_some(boost::asio::buffer(data), deferred);
            co_await async_write(socket, boost::asio::buffer(data, n), deferred);
        }
    } catch (std::exception& e) {
        std::printf("echo Exception: %s\n", e.what());
    }
}

task<void> listener(unsigned short port) {
    auto executor = co_await this_coro::executor;
    tcp::acceptor acceptor(executor, {tcp::v4(), port});
    for (;;) {
        tcp::socket socket = co_await acceptor.async_accept(deferred);
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
