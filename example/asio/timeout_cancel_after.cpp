//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Boost.Asio 1.92's example/cpp20/coroutines/timeout_cancel_after.cpp,
// migrated to Boost.Affine. Renamed, nothing else:
//
//   asio::awaitable                 -> boost::affine::task
//   asio::co_spawn                  -> boost::affine::co_spawn
//
// <boost/asio.hpp> gave awaitable and co_spawn; <boost/affine.hpp> gives their
// counterparts, named by using-declarations where the original relied on
// `using namespace boost::asio`. The operations are awaited with no completion
// token but cancel_after(10s), a partial token: Asio makes them deferred
// operations (Boost 1.85 on), which a task awaits as it awaits use_affine.
//
// Boost 1.92 calls Boost 1.81's timeout.cpp timeout_watchdog.cpp (the same
// program but for the exception type it throws); example/asio/timeout.cpp is
// its migration.
//
// Added for the tests: the port to listen on, argv[1] (default 54321); the
// idle timeout in seconds, argv[2] (default 10); and, as the other examples
// have, a clean stop on SIGINT or SIGTERM. asio::cancel_after is in Boost 1.86
// and later: with an older Boost this program only says so.
//
//   example_asio_timeout_cancel_after [port [seconds]]

#include <boost/version.hpp>

#if BOOST_VERSION >= 108600

#include <boost/asio.hpp>
#include <boost/affine.hpp>
#include <cstdlib>

using namespace boost::asio;
using boost::affine::co_spawn;
using boost::affine::task;
using ip::tcp;
using namespace std::literals::chrono_literals;

std::chrono::steady_clock::duration timeout = 10s;

task<void> echo(tcp::socket sock) {
    char data[4196];
    for (;;) {
        auto n = co_await sock.async_read_some(buffer(data), cancel_after(timeout));
        co_await async_write(sock, buffer(data, n), cancel_after(timeout));
    }
}

task<void> listen(tcp::acceptor& acceptor) {
    for (;;) {
        co_spawn(acceptor.get_executor(), echo(co_await acceptor.async_accept()), detached);
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

#else

#include <cstdio>

int main() {
    std::puts("timeout_cancel_after needs Boost 1.86 or later (asio::cancel_after)");
}

#endif
