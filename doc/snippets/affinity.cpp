//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Documentation snippet: a task resumes on its home executor after every
// co_await, whoever completes the awaited operation.

#include <boost/affine.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace asio = boost::asio;
using boost::affine::co_spawn;
using boost::affine::task;
using boost::affine::use_affine;

// tag::strand[]
using pool_strand = asio::strand<asio::thread_pool::executor_type>;
// The timer's executor type is the strand's own type, not any_io_executor:
// see "Known limits" for why this matters to allocation.
using timer_type =
    asio::basic_waitable_timer<std::chrono::steady_clock,
                               asio::wait_traits<std::chrono::steady_clock>, pool_strand>;

// running_in_this_thread() reads a thread-local. Clang 16 may reuse, after a
// co_await, a thread-local's address computed before it, on another thread:
// a coroutine that moves between threads reads thread-locals through a
// function that is not inlined (see "Known limits").
[[gnu::noinline]] bool on(pool_strand const& strand) {
    return strand.running_in_this_thread();
}

task<int> tick_on(pool_strand strand, int ticks) {
    timer_type timer(strand);
    int on_strand = 0;
    for (int i = 0; i < ticks; ++i) {
        timer.expires_after(std::chrono::microseconds(100));
        co_await timer.async_wait(use_affine); // completed by any pool thread...
        on_strand += on(strand);               // ...resumed on the strand
    }
    co_return on_strand;
}

int strand_example() {
    asio::thread_pool pool(2);
    pool_strand strand = asio::make_strand(pool.get_executor());
    std::future<int> f = co_spawn(strand, tick_on(strand, 100), asio::use_future);
    int on_strand = f.get();
    pool.join();
    return on_strand; // 100
}
// end::strand[]

// tag::foreign[]
// A legacy awaitable (no await_suspend(h, d)): it resumes the coroutine on a
// thread of its own.
struct on_a_new_thread {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) const {
        std::thread([h] { h.resume(); }).detach();
    }
    std::thread::id await_resume() const noexcept { return std::this_thread::get_id(); }
};

task<bool> back_home(asio::io_context& ioc) {
    std::thread::id completed_on = co_await on_a_new_thread{}; // through make_affine
    // The awaitable finished on its own thread; this task continues on ioc's.
    co_return completed_on != std::this_thread::get_id() &&
        ioc.get_executor().running_in_this_thread();
}
// end::foreign[]

int main() {
    int on_strand = strand_example();
    std::printf("resumed on the strand: %d of 100\n", on_strand);

    asio::io_context ioc;
    auto work = asio::make_work_guard(ioc);
    std::thread runner([&] { ioc.run(); });
    bool home = co_spawn(ioc, back_home(ioc), asio::use_future).get();
    work.reset();
    runner.join();
    std::printf("back on the home executor after a foreign completion: %s\n", home ? "yes" : "no");
    return on_strand == 100 && home ? EXIT_SUCCESS : EXIT_FAILURE;
}
