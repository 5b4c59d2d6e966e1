//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Boost.Asio 1.81's example/cpp20/coroutines/echo_server_with_as_tuple_default.cpp,
// migrated to Boost.Affine. Renamed, nothing else:
//
//   <boost/asio/co_spawn.hpp>   -> <boost/affine/co_spawn.hpp>
//   asio::awaitable             -> boost::affine::task
//   asio::use_awaitable_t       -> boost::affine::use_affine_t
//   asio::co_spawn              -> boost::affine::co_spawn
//
// as_tuple_t<use_affine_t<>>::as_default_on_t makes as_tuple(use_affine) the
// default completion token of the acceptor and the sockets: errors come back
// as values, nothing throws.
//
// Added for the tests: the port to listen on, argv[1] (default 55555).
//
//   example_asio_echo_server_with_as_tuple_default [port]

#include <boost/asio/as_tuple.hpp>
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
using boost::asio::as_tuple_t;
using boost::asio::detached;
using boost::asio::ip::tcp;
using default_token = as_tuple_t<use_affine_t<>>;
using tcp_acceptor = default_token::as_default_on_t<tcp::acceptor>;
using tcp_socket = default_token::as_default_on_t<tcp::socket>;
namespace this_coro = boost::asio::this_coro;

task<void> echo(tcp_socket socket) {
    char data[1024];
    for (;;) {
        auto [e1, nread] = co_await socket.async_read_some(boost::asio::buffer(data));
        if (nread == 0)
            break;
        auto [e2, nwritten] = co_await async_write(socket, boost::asio::buffer(data, nread));
        if (nwritten != nread)
            break;
    }
}

task<void> listener(unsigned short port) {
    auto executor = co_await this_coro::executor;
    tcp_acceptor acceptor(executor, {tcp::v4(), port});
    for (;;) {
        if (auto [e, socket] = co_await acceptor.async_accept(); socket.is_open())
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
