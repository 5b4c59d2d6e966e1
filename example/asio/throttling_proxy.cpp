//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Boost.Asio 1.81's example/cpp20/channels/throttling_proxy.cpp, migrated to
// Boost.Affine. Renamed, nothing else:
//
//   <boost/asio/experimental/awaitable_operators.hpp>
//                                   -> <boost/affine/awaitable_operators.hpp>
//   asio::awaitable                 -> boost::affine::task
//   asio::use_awaitable             -> boost::affine::use_affine
//   asio::co_spawn                  -> boost::affine::co_spawn
//   asio::experimental::awaitable_operators
//                                   -> boost::affine::awaitable_operators
//
// <boost/asio.hpp> gave awaitable, use_awaitable and co_spawn;
// <boost/affine.hpp> gives their counterparts.
//
// Each direction of a connection is throttled by a channel of tokens, each
// token worth bytes_per_token bytes, produced one per token_interval. The
// channel's operations are awaited with use_affine, and the four tasks of a
// connection are joined by &&: when one direction fails, the others are
// cancelled.
//
// As in the original, the addresses are the arguments; added for the tests,
// as the other examples have, a clean stop on SIGINT or SIGTERM. The first
// endpoint of a resolve is taken with `*results.begin()` instead of
// `*results`: from Boost 1.87 on, the results cannot be dereferenced
// themselves.
//
//   example_asio_throttling_proxy <listen_address> <listen_port>
//                                 <target_address> <target_port>

#include <boost/asio.hpp>
#include <boost/affine.hpp>
#include <boost/affine/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <iostream>

using boost::affine::co_spawn;
using boost::affine::task;
using boost::affine::use_affine;
using boost::asio::as_tuple;
using boost::asio::buffer;
using boost::asio::detached;
using boost::asio::io_context;
using boost::asio::steady_timer;
using boost::asio::experimental::channel;
using boost::asio::ip::tcp;
namespace this_coro = boost::asio::this_coro;
using namespace boost::affine::awaitable_operators;
using namespace std::literals::chrono_literals;

using token_channel = channel<void(boost::system::error_code, std::size_t)>;

task<void> produce_tokens(std::size_t bytes_per_token, steady_timer::duration token_interval,
                          token_channel& tokens) {
    steady_timer timer(co_await this_coro::executor);
    for (;;) {
        co_await tokens.async_send(boost::system::error_code{}, bytes_per_token, use_affine);

        timer.expires_after(token_interval);
        co_await timer.async_wait(use_affine);
    }
}

task<void> transfer(tcp::socket& from, tcp::socket& to, token_channel& tokens) {
    std::array<unsigned char, 4096> data;
    for (;;) {
        std::size_t bytes_available = co_await tokens.async_receive(use_affine);
        while (bytes_available > 0) {
            std::size_t n =
                co_await from.async_read_some(buffer(data, bytes_available), use_affine);

            co_await async_write(to, buffer(data, n), use_affine);

            bytes_available -= n;
        }
    }
}

task<void> proxy(tcp::socket client, tcp::endpoint target) {
    constexpr std::size_t number_of_tokens = 100;
    constexpr size_t bytes_per_token = 20 * 1024;
    constexpr steady_timer::duration token_interval = 100ms;

    auto ex = client.get_executor();
    tcp::socket server(ex);
    token_channel client_tokens(ex, number_of_tokens);
    token_channel server_tokens(ex, number_of_tokens);

    co_await server.async_connect(target, use_affine);
    co_await (produce_tokens(bytes_per_token, token_interval, client_tokens) &&
              transfer(client, server, client_tokens) &&
              produce_tokens(bytes_per_token, token_interval, server_tokens) &&
              transfer(server, client, server_tokens));
}

task<void> listen(tcp::acceptor& acceptor, tcp::endpoint target) {
    for (;;) {
        auto [e, client] = co_await acceptor.async_accept(as_tuple(use_affine));
        if (!e) {
            auto ex = client.get_executor();
            co_spawn(ex, proxy(std::move(client), target), detached);
        } else {
            std::cerr << "Accept failed: " << e.message() << "\n";
            steady_timer timer(co_await this_coro::executor);
            timer.expires_after(100ms);
            co_await timer.async_wait(use_affine);
        }
    }
}

int main(int argc, char* argv[]) {
    try {
        if (argc != 5) {
            std::cerr << "Usage: throttling_proxy";
            std::cerr << " <listen_address> <listen_port>";
            std::cerr << " <target_address> <target_port>\n";
            return 1;
        }

        io_context ctx;

        auto listen_endpoint =
            *tcp::resolver(ctx).resolve(argv[1], argv[2], tcp::resolver::passive).begin();

        auto target_endpoint = *tcp::resolver(ctx).resolve(argv[3], argv[4]).begin();

        tcp::acceptor acceptor(ctx, listen_endpoint);
        co_spawn(ctx, listen(acceptor, target_endpoint), detached);

        boost::asio::signal_set signals(ctx, SIGINT, SIGTERM);
        signals.async_wait([&](auto, auto) { ctx.stop(); });

        ctx.run();
    } catch (std::exception& e) {
        std::cerr << "Exception: " << e.what() << "\n";
    }
}
