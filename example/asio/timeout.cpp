//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Boost.Asio 1.81's example/cpp20/coroutines/timeout.cpp, migrated to
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
// <boost/affine.hpp> gives their counterparts, named by using-declarations
// where the original relied on `using namespace boost::asio`.
//
// Each connection is an echo and a watchdog joined by &&: when the watchdog
// throws, && cancels the echo and the connection is closed.
//
// Added for the tests: the port to listen on, argv[1] (default 54321); the
// idle timeout in seconds, argv[2] (default 10); and, as the other examples
// have, a clean stop on SIGINT or SIGTERM.
//
//   example_asio_timeout [port [seconds]]

#include <boost/asio.hpp>
#include <boost/affine.hpp>
#include <boost/affine/awaitable_operators.hpp>
#include <cstdlib>

using namespace boost::asio;
using namespace boost::affine::awaitable_operators;
using boost::affine::co_spawn;
using boost::affine::task;
using boost::affine::use_affine;
using time_point = std::chrono::steady_clock::time_point;
using ip::tcp;

std::chrono::steady_clock::duration timeout = std::chrono::seconds(10);

task<void> echo(tcp::socket& sock, time_point& deadline) {
    char data[4196];
    for (;;) {
        deadline = std::chrono::steady_clock::now() + timeout;
        auto n = co_await sock.async_read_some(buffer(data), use_affine);
        co_await async_write(sock, buffer(data, n), use_affine);
    }
}

task<void> watchdog(time_point& deadline) {
    steady_timer timer(co_await this_coro::executor);
    auto now = std::chrono::steady_clock::now();
    while (deadline > now) {
        timer.expires_at(deadline);
        co_await timer.async_wait(use_affine);
        now = std::chrono::steady_clock::now();
    }
    throw boost::system::system_error(std::make_error_code(std::errc::timed_out));
}

task<void> handle_connection(tcp::socket sock) {
    time_point deadline{};
    co_await (echo(sock, deadline) && watchdog(deadline));
}

task<void> listen(tcp::acceptor& acceptor) {
    for (;;) {
        co_spawn(acceptor.get_executor(),
                 handle_connection(co_await acceptor.async_accept(use_affine)), detached);
    }
}

int main(int argc, char* argv[]) {
    unsigned short port = argc > 1 ? static_cast<unsigned short>(std::atoi(argv[1])) : 54321;
    if (argc > 2)
        timeout = std::chrono::seconds(std::atoi(argv[2]));

    io_context ctx;
    tcp::acceptor acceptor(ctx, {tcp::v4(), port});
    co_spawn(ctx, listen(acceptor), detached);

    signal_set signals(ctx, SIGINT, SIGTERM);
    signals.async_wait([&](auto, auto) { ctx.stop(); });

    ctx.run();
}
