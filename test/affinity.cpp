//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Scheduler affinity under torture: after every kind of co_await (nested
// tasks, use_affine operations completed on a foreign thread, timers, affine
// and legacy awaitables resumed from afar, && and ||, cancellation,
// exceptions), whoever completed it, a task runs on its home executor.
// Checked on an io_context, a thread_pool(2), a strand over a thread_pool(2),
// one io_context per thread, and an any_io_executor holding a strand.

#include <boost/affine.hpp>

#include "test_helpers.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#define BOOST_TEST_MODULE affinity
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace affine = boost::affine;
using affine::task;
using affine::use_affine;
using namespace affine::awaitable_operators;

namespace {

using test::foreign_thread;

// This thread's library state, reached through a call that is never inlined.
BOOST_NOINLINE affine::detail::thread_state* thread_state_out_of_line() {
    return &affine::detail::this_thread_state();
}

// Affine awaitable: completes on the foreign thread, resumes through d(h).
struct foreign_affine {
    asio::io_context& foreign;
    bool await_ready() const noexcept { return false; }
    // Out of line: Asio code inlined into a coroutine body that resumes on
    // several threads may use another thread's thread-locals with clang 16.
    template <class Dispatcher>
    BOOST_NOINLINE void await_suspend(std::coroutine_handle<> h, Dispatcher& d) {
        asio::post(foreign, [h, &d] { d(h); });
    }
    void await_resume() const noexcept {}
};

// Legacy awaitable: resumes the coroutine directly on the foreign thread.
struct foreign_legacy {
    asio::io_context& foreign;
    bool await_ready() const noexcept { return false; }
    BOOST_NOINLINE void await_suspend(std::coroutine_handle<> h) {
        asio::post(foreign, [h] { h.resume(); });
    }
    int await_resume() const noexcept { return 1; }
};

task<int> child(std::function<bool()> const& on_home, std::atomic<int>& violations,
                asio::io_context& foreign) {
    co_await foreign_affine{foreign};
    if (!on_home())
        ++violations;
    co_return 1;
}

task<int> throwing_child(asio::io_context& foreign) {
    co_await foreign_affine{foreign};
    throw std::runtime_error("child");
}

// Waits until cancelled (by the || it is an operand of).
task<int> until_cancelled(std::function<bool()> const& on_home, std::atomic<int>& violations) {
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::hours(1));
    try {
        co_await t.async_wait(use_affine);
    } catch (boost::system::system_error const&) {
        if (!on_home())
            ++violations;
        throw;
    }
    co_return 0;
}

// One round of every kind of await, checking the home after each.
task<void> round(std::function<bool()> on_home, std::atomic<int>& violations,
                 std::atomic<int>& checks, asio::io_context& foreign, int rounds) {
    auto check = [&] {
        ++checks;
        if (!on_home())
            ++violations;
        // The library's thread-local state, reached here as the library
        // reaches it in coroutine bodies (inline with GCC: detail/config.hpp),
        // is the state of the thread this code runs on.
        if (&affine::detail::this_thread_state() != thread_state_out_of_line())
            ++violations;
    };
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex);
    for (int i = 0; i < rounds; ++i) {
        co_await child(on_home, violations, foreign); // nested task
        check();
        co_await asio::post(foreign, use_affine); // completes on the foreign thread
        check();
        // The same, written in the coroutine body itself.
        if (&affine::detail::this_thread_state() != thread_state_out_of_line())
            ++violations;
        timer.expires_after(std::chrono::microseconds(1));
        co_await timer.async_wait(use_affine);
        check();
        co_await foreign_affine{foreign}; // affine awaitable, d(h) from afar
        check();
        co_await foreign_legacy{foreign}; // legacy awaitable, through make_affine
        check();
        co_await asio::post(ex, use_affine);
        check();
        // Both operators; || cancels the waiting operand.
        auto [x, y] =
            co_await (child(on_home, violations, foreign) && child(on_home, violations, foreign));
        check();
        auto first =
            co_await (until_cancelled(on_home, violations) || child(on_home, violations, foreign));
        check();
        if (x + y + static_cast<int>(first.index()) != 3)
            ++violations;
        // An exception thrown after a completion from afar.
        try {
            co_await throwing_child(foreign);
        } catch (std::runtime_error const&) {
            check();
        }
    }
}

// The checks each round makes.
constexpr int checks_per_round = 9;

// About 17 awaits per round: 4 chains of `rounds` rounds in each of the 5
// cases make more than 10^6 awaits (10^5 under ThreadSanitizer).
#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define BOOST_AFFINE_TEST_SANITIZED
#endif
#endif
constexpr int chains = 4;
#ifdef BOOST_AFFINE_TEST_SANITIZED
constexpr int rounds = 300;
#else
constexpr int rounds = 3000;
#endif

template <class Executor>
void run_chains(Executor ex, std::function<bool()> on_home, std::function<void()> run) {
    foreign_thread foreign;
    std::atomic<int> violations{0}, checks{0};
    std::vector<std::future<void>> done;
    for (int i = 0; i < chains; ++i)
        done.push_back(affine::co_spawn(ex, round(on_home, violations, checks, foreign.ioc, rounds),
                                        asio::use_future));
    run();
    for (auto& f : done)
        f.get();
    BOOST_TEST(violations == 0);
    BOOST_TEST(checks == chains * rounds * checks_per_round);
}

} // namespace

BOOST_AUTO_TEST_CASE(io_context_home_after_every_kind_of_await) {
    asio::io_context ioc;
    run_chains(
        ioc.get_executor(), [&] { return ioc.get_executor().running_in_this_thread(); },
        [&] { ioc.run(); });
}

BOOST_AUTO_TEST_CASE(thread_pool_home_after_every_kind_of_await) {
    asio::thread_pool pool(2);
    run_chains(
        pool.get_executor(), [&] { return pool.get_executor().running_in_this_thread(); },
        [&] { pool.wait(); });
}

BOOST_AUTO_TEST_CASE(strand_over_thread_pool_home_after_every_kind_of_await) {
    asio::thread_pool pool(2);
    // One strand per chain: each chain must stay inside its own.
    foreign_thread foreign;
    std::atomic<int> violations{0}, checks{0};
    std::vector<std::future<void>> done;
    for (int i = 0; i < chains; ++i) {
        auto strand = asio::make_strand(pool.get_executor());
        done.push_back(affine::co_spawn(strand,
                                        round([strand] { return strand.running_in_this_thread(); },
                                              violations, checks, foreign.ioc, rounds),
                                        asio::use_future));
    }
    for (auto& f : done)
        f.get();
    pool.join();
    BOOST_TEST(violations == 0);
    BOOST_TEST(checks == chains * rounds * checks_per_round);
}

// Out of line: clang 16 may keep a thread-local's address across a
// coroutine's suspension.
BOOST_NOINLINE bool running_in(asio::io_context& ioc) {
    return ioc.get_executor().running_in_this_thread();
}

BOOST_AUTO_TEST_CASE(one_io_context_per_thread_home_after_every_kind_of_await) {
    // The io_context-per-thread design: each chain stays on its own thread,
    // while the other thread completes its operations.
    asio::io_context first, second;
    std::atomic<int> violations{0}, checks{0};
    std::vector<std::future<void>> done;
    for (int i = 0; i < chains; ++i) {
        asio::io_context& home = i % 2 ? first : second;
        asio::io_context& other = i % 2 ? second : first;
        done.push_back(affine::co_spawn(
            home, round([&home] { return running_in(home); }, violations, checks, other, rounds),
            asio::use_future));
    }
    auto g1 = asio::make_work_guard(first);
    auto g2 = asio::make_work_guard(second);
    std::thread t1([&] { first.run(); });
    std::thread t2([&] { second.run(); });
    for (auto& f : done)
        f.get();
    g1.reset();
    g2.reset();
    t1.join();
    t2.join();
    BOOST_TEST(violations == 0);
    BOOST_TEST(checks == chains * rounds * checks_per_round);
}

BOOST_AUTO_TEST_CASE(type_erased_strand_home_after_every_kind_of_await) {
    // co_spawn(socket.get_executor(), ...) in Asio code: the home is an
    // any_io_executor holding a strand of an io_context run by two threads.
    asio::io_context ioc;
    foreign_thread foreign;
    std::atomic<int> violations{0}, checks{0};
    std::vector<std::future<void>> done;
    for (int i = 0; i < chains; ++i) {
        auto strand = asio::make_strand(ioc);
        asio::any_io_executor home = strand;
        done.push_back(affine::co_spawn(home,
                                        round([strand] { return strand.running_in_this_thread(); },
                                              violations, checks, foreign.ioc, rounds),
                                        asio::use_future));
    }
    std::thread second([&] { ioc.run(); });
    ioc.run();
    second.join();
    for (auto& f : done)
        f.get();
    BOOST_TEST(violations == 0);
    BOOST_TEST(checks == chains * rounds * checks_per_round);
}
