//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// A TCP echo server written with Boost.Affine, and a load client in the same
// program that measures it.
//
// The server is the classic Asio coroutine echo server with three names
// changed: asio::awaitable -> boost::affine::task, asio::use_awaitable ->
// boost::affine::use_affine, asio::co_spawn -> boost::affine::co_spawn. What
// changes is underneath: every coroutine frame, and the storage of every Asio
// operation a task awaits, comes from a recycling pool. Once the connections
// are up, a request costs no global allocation, and the program counts global
// allocations to show it.
//
//   tools/run-example.sh [options]        (from the repository root)
//
//   --connections N   load client connections (default 16)
//   --seconds S       length of the run, a warm-up second included (default 3)
//   --threads T       threads running the io_context (default 1)
//   --port P          port to listen on at 127.0.0.1 (default 0: any free port)
//   --server-only     no load client: serve until SIGINT or SIGTERM
//   --dump-chains     after the warm-up, send the program SIGUSR1 once
//
// On SIGUSR1 the program prints every live chain of its io_context and where
// each one waits (boost::affine::dump_chains): `kill -USR1 <pid>` on a stuck
// server tells which connection waits on what.
//
// Exit status: 0 if every reply equalled its request, the server reported no
// error, and no frame was left in the pool at the end. (The load test with
// abrupt clients and stability checks is bench/echo_load.cpp.)

#include <boost/affine.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <csignal>

#include "../test/counting_allocations.hpp" // counts every global allocation

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using boost::affine::co_spawn;
using boost::affine::task;
using boost::affine::use_affine;
using tcp = asio::ip::tcp;

std::atomic<std::uint64_t> global_allocations{0};
void boost_affine_count_allocation(std::size_t, bool) noexcept {
    global_allocations.fetch_add(1, std::memory_order_relaxed);
}

std::atomic<unsigned> server_errors{0};

// ---------------------------------------------------------------------------
// The server

// One connection: read what arrives and write it back, until the client
// closes it. The buffer is a local, so it lives in the coroutine frame, which
// comes from the frame pool; so does the state of each awaited operation.
task<> session(tcp::socket socket) {
    std::array<char, 1024> data;
    try {
        for (;;) {
            std::size_t n = co_await socket.async_read_some(asio::buffer(data), use_affine);
            co_await asio::async_write(socket, asio::buffer(data, n), use_affine);
        }
    } catch (boost::system::system_error const& e) {
        if (e.code() != asio::error::eof && e.code() != asio::error::connection_reset) {
            ++server_errors;
            std::fprintf(stderr, "session: %s\n", e.what());
        }
    }
}

// The acceptor is used by the listener and closed by whoever stops the
// server. With several threads those may run at the same time, and an Asio
// I/O object must not be used from two threads at once: the acceptor has a
// strand of its own (see main), the listener runs there, and closing it is
// posted there too.
void close_on_its_strand(tcp::acceptor& acceptor) {
    asio::post(acceptor.get_executor(), [&acceptor] {
        boost::system::error_code ignored;
        acceptor.close(ignored);
    });
}

// Accepts connections until the acceptor is closed. With several threads,
// each session runs on a strand of its own (of its concrete type, so that its
// resumptions take their storage from the pool): it resumes there after every
// co_await, whichever thread completed the operation.
task<> listener(tcp::acceptor& acceptor, asio::io_context& ioc, bool strands) {
    while (acceptor.is_open()) {
        auto [ec, socket] = co_await acceptor.async_accept(ioc, asio::as_tuple(use_affine));
        if (ec)
            continue; // closed, or a connection that failed before it was accepted
        if (strands)
            co_spawn(asio::make_strand(ioc), session(std::move(socket)), asio::detached);
        else
            co_spawn(ioc, session(std::move(socket)), asio::detached);
    }
}

// On SIGUSR1: the live chains of the server's io_context, where each one waits
// (the signal set has a strand of its own: it is cancelled from elsewhere).
void dump_chains_on_sigusr1(asio::signal_set& signals, asio::io_context& ioc) {
    signals.async_wait([&signals, &ioc](boost::system::error_code ec, int) {
        if (ec)
            return; // cancelled: the server stops
        std::ostringstream os;
        boost::affine::dump_chains(ioc, os);
        std::string const text = os.str();
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        dump_chains_on_sigusr1(signals, ioc);
    });
}

void cancel_on_its_strand(asio::signal_set& signals) {
    asio::post(signals.get_executor(), [&signals] { signals.cancel(); });
}

// ---------------------------------------------------------------------------
// The load client: each connection sends a 64-byte request, reads the echo,
// checks it, and again, until told to stop.

struct load {
    bool dump = false; // --dump-chains
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> requests{0};
    std::atomic<unsigned> wrong{0};
};

task<> client(tcp::endpoint server, unsigned id, load& l) {
    tcp::socket socket(co_await asio::this_coro::executor);
    co_await socket.async_connect(server, use_affine);
    std::array<char, 64> request, reply;
    for (std::uint64_t round = 0; !l.stop.load(std::memory_order_relaxed); ++round) {
        std::snprintf(request.data(), request.size(), "%u:%llu", id,
                      static_cast<unsigned long long>(round));
        co_await asio::async_write(socket, asio::buffer(request), use_affine);
        co_await asio::async_read(socket, asio::buffer(reply), use_affine);
        if (reply != request)
            ++l.wrong;
        l.requests.fetch_add(1, std::memory_order_relaxed);
    }
}

// Runs the load for `seconds`, the first one a warm-up, then stops the server.
task<> measure(tcp::acceptor& acceptor, tcp::endpoint server, unsigned connections, int seconds,
               load& l) {
    auto ex = co_await asio::this_coro::executor;
    for (unsigned i = 0; i < connections; ++i)
        co_spawn(ex, client(server, i, l), asio::detached);
    asio::steady_timer timer(ex, std::chrono::seconds(1));
    co_await timer.async_wait(use_affine);
    if (l.dump) {
        std::raise(SIGUSR1); // dumped by a handler, before the measured time
        timer.expires_after(std::chrono::milliseconds(200));
        co_await timer.async_wait(use_affine);
    }
    auto const requests0 = l.requests.load();
    auto const allocations0 = global_allocations.load();
    auto const t0 = std::chrono::steady_clock::now();
    timer.expires_after(std::chrono::seconds(seconds - 1));
    co_await timer.async_wait(use_affine);
    double const elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double const requests = double(l.requests.load() - requests0);
    double const allocations = double(global_allocations.load() - allocations0);
    std::printf("requests/s: %.0f   requests: %.0f   global allocations/request: %.3f\n",
                requests / elapsed, requests, requests > 0 ? allocations / requests : 0.0);
    l.stop = true; // each client ends after its request in flight
    close_on_its_strand(acceptor);
}

// ---------------------------------------------------------------------------

int main(int argc, char** argv) {
    unsigned connections = 16, threads = 1;
    int seconds = 3;
    unsigned short port = 0;
    bool server_only = false;
    load l;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        auto value = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : -1; };
        if (arg == "--connections")
            connections = unsigned(value());
        else if (arg == "--seconds")
            seconds = value();
        else if (arg == "--threads")
            threads = unsigned(value());
        else if (arg == "--port")
            port = static_cast<unsigned short>(value());
        else if (arg == "--server-only")
            server_only = true;
        else if (arg == "--dump-chains")
            l.dump = true;
        else {
            std::fprintf(stderr,
                         "usage: %s [--connections N] [--seconds S] [--threads T] "
                         "[--port P] [--server-only] [--dump-chains]\n",
                         argv[0]);
            return arg == "--help" ? 0 : 2;
        }
    }
    if (seconds < 2 || threads < 1 || connections < 1) {
        std::fprintf(stderr,
                     "echo_server: need --seconds >= 2, --threads >= 1, --connections >= 1\n");
        return 2;
    }

    asio::io_context ioc{static_cast<int>(threads)};
    tcp::acceptor acceptor(asio::make_strand(ioc), {asio::ip::make_address("127.0.0.1"), port});
    tcp::endpoint const server = acceptor.local_endpoint();
    co_spawn(acceptor.get_executor(), listener(acceptor, ioc, threads > 1), asio::detached);
    asio::signal_set usr1(asio::make_strand(ioc), SIGUSR1);
    dump_chains_on_sigusr1(usr1, ioc);
    if (server_only) {
        std::printf("boost::affine echo server on %s:%u\n", server.address().to_string().c_str(),
                    unsigned(server.port()));
        asio::signal_set signals(ioc, SIGINT, SIGTERM);
        signals.async_wait([&](auto, int) {
            close_on_its_strand(acceptor);
            cancel_on_its_strand(usr1);
        });
    } else {
        std::printf("boost::affine echo server on %s:%u, %u connections, %d s\n",
                    server.address().to_string().c_str(), unsigned(server.port()), connections,
                    seconds);
        co_spawn(ioc, measure(acceptor, server, connections, seconds, l),
                 [&usr1](std::exception_ptr e) {
                     cancel_on_its_strand(usr1);
                     if (e)
                         std::rethrow_exception(e);
                 });
    }
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t)
        pool.emplace_back([&] { ioc.run(); });
    ioc.run();
    for (auto& t : pool)
        t.join();

    auto const pool_stats = boost::affine::frame_pool::shared().statistics();
    std::printf("frame pool: %zu allocations, %zu outstanding, %zu upstream allocations (%zu "
                "bytes)\n",
                pool_stats.allocations, pool_stats.outstanding, pool_stats.upstream_allocations,
                pool_stats.upstream_bytes);
    bool ok = l.wrong == 0 && server_errors == 0 && pool_stats.outstanding == 0;
    if (!ok)
        std::fprintf(stderr, "echo_server: %u wrong replies, %u server errors\n", l.wrong.load(),
                     server_errors.load());
    return ok ? 0 : 1;
}
