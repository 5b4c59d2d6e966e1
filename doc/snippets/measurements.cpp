//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The measurements quoted in the documentation: promise and operation sizes,
// frame sizes, and which frames the compiler elides. Build it with each
// compiler, at -O2, and compare:
//
//   g++ -std=c++20 -O2 -Iinclude -pthread doc/snippets/measurements.cpp
//   clang++-16 -std=c++20 -O2 -Iinclude -pthread doc/snippets/measurements.cpp
//
// A frame's size is the `n` the promise's operator new receives; the block the
// frame allocator is asked for is n + 16 (the header naming the frame's owner).

#include <boost/affine.hpp>

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <vector>

namespace asio = boost::asio;
namespace affine = boost::affine;
using affine::task;
using affine::use_affine;
using boost::system::error_code;
using tcp = asio::ip::tcp;

// Records the size of every block it is asked for.
struct recorder {
    std::vector<std::size_t> sizes;
    void* allocate(std::size_t n) {
        sizes.push_back(n);
        return ::operator new(n, std::align_val_t{16});
    }
    void deallocate(void* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{16}); }
};
recorder rec;

constexpr std::size_t header = 16;

// Not inlined, so that the frame escapes and cannot be elided into the caller's.
template <class F>
[[gnu::noinline]] auto make(F f) {
    return f();
}

task<void> empty_task() {
    co_return;
}
task<int> leaf() {
    co_return 1;
}
task<int> awaits_task() {
    co_return co_await leaf() + 1;
}
task<void> timer_wait() {
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(0));
    co_await t.async_wait(use_affine);
}
task<std::size_t> socket_read_some(tcp::socket& s) {
    std::array<char, 64> buf;
    co_return co_await s.async_read_some(asio::buffer(buf), use_affine);
}
task<std::size_t> socket_async_read(tcp::socket& s) {
    std::array<char, 64> buf;
    co_return co_await asio::async_read(s, asio::buffer(buf), use_affine);
}

template <class F>
task<void> frame_size(char const* name, F f) {
    std::size_t before = rec.sizes.size();
    auto t = make(f);
    if (rec.sizes.size() > before)
        std::printf("  %-50s %4zu\n", name, rec.sizes[before] - header);
    else
        std::printf("  %-50s elided\n", name);
    co_await std::move(t);
}

task<void> frame_sizes(tcp::socket& a, tcp::socket& b) {
    std::array<char, 64> out{};
    co_await frame_size("empty task<void>", [] { return empty_task(); });
    co_await frame_size("task<int> awaiting a task<int>", [] { return awaits_task(); });
    co_await frame_size("task awaiting timer.async_wait(use_affine)", [] { return timer_wait(); });
    co_await asio::async_write(b, asio::buffer(out), use_affine);
    co_await frame_size("task awaiting socket.async_read_some(use_affine)",
                        [&] { return socket_read_some(a); });
    co_await asio::async_write(b, asio::buffer(out), use_affine);
    co_await frame_size("task awaiting asio::async_read(use_affine)",
                        [&] { return socket_async_read(a); });
}

// Elision: which child frames does the compiler allocate inline in the parent?
std::size_t allocations() {
    return rec.sizes.size();
}

task<int> suspending() {
    co_await asio::post(co_await asio::this_coro::executor, use_affine);
    co_return 1;
}
task<int> middle() {
    co_return co_await leaf() + 1;
}

void report(char const* what, bool elided) {
    std::printf("  %-50s %s\n", what, elided ? "elided" : "allocated");
}

task<void> elision() {
    {
        task<int> t = leaf();
        report("named child: task<int> t = leaf()", t.elided());
        co_await std::move(t);
    }
    {
        task<int> t = suspending();
        report("named child that suspends", t.elided());
        co_await std::move(t);
    }
    {
        std::size_t before = allocations();
        co_await leaf();
        report("co_await leaf()", allocations() == before);
    }
    {
        std::size_t before = allocations();
        co_await suspending();
        // suspending() also allocates the post operation (from the same allocator)
        std::printf("  %-50s %zu blocks\n", "co_await suspending()", allocations() - before);
    }
    {
        std::size_t before = allocations();
        for (int i = 0; i < 100; ++i)
            co_await leaf();
        std::printf("  %-50s %zu frames\n", "100 x co_await leaf() in a loop",
                    allocations() - before);
    }
    {
        std::size_t before = allocations();
        co_await middle();
        std::printf("  %-50s %zu frames\n", "co_await middle(), which awaits leaf()",
                    allocations() - before);
    }
}

task<void> callable_root_child() {
    // co_spawn's callable form: the root coroutine calls f() and awaits it.
    // Allocated so far: the root frame and the posted start.
    report("task made by co_spawn's callable", allocations() == 2);
    co_return;
}

int main() {
    std::printf("sizes (bytes)\n");
    std::printf("  %-50s %4zu\n", "task<void>::promise_type", sizeof(task<void>::promise_type));
    std::printf("  %-50s %4zu\n", "task<int>::promise_type", sizeof(task<int>::promise_type));
    std::printf("  %-50s %4zu\n", "async_op<void(error_code, std::size_t)>",
                sizeof(affine::async_op<void(error_code, std::size_t)>));
    std::printf("  %-50s %4zu\n", "any_frame_allocator", sizeof(affine::any_frame_allocator));
    // What the root owns (an implementation detail, printed for the design notes).
    std::printf("  %-50s %4zu\n", "environment of an io_context chain",
                sizeof(affine::detail::basic_environment<asio::io_context::executor_type>));

    asio::io_context ioc;
    auto ex = affine::with_allocator(ioc.get_executor(), rec);

    std::printf("frame sizes (bytes, n given to operator new)\n");
    tcp::acceptor acceptor(ioc, {asio::ip::address_v4::loopback(), 0});
    tcp::socket a(ioc), b(ioc);
    a.connect(acceptor.local_endpoint());
    acceptor.accept(b);
    rec.sizes.clear();
    affine::co_spawn(ex, empty_task(), asio::detached);
    std::printf("  %-50s %4zu\n", "co_spawn's root (io_context, detached)",
                rec.sizes.at(0) - header);
    affine::co_spawn(
        ex, [&] { return frame_sizes(a, b); }, asio::detached);
    ioc.run();
    ioc.restart();

    std::printf("elision\n");
    rec.sizes.clear();
    affine::co_spawn(
        ex, [] { return callable_root_child(); }, asio::detached);
    ioc.run();
    ioc.restart();
    affine::co_spawn(
        ex, [] { return elision(); }, asio::detached);
    ioc.run();
    return EXIT_SUCCESS;
}
