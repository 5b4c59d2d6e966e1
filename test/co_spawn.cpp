//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Test that header file is self-contained.
#include <boost/affine/co_spawn.hpp>

#include <boost/affine/frame_pool.hpp>
#include <boost/affine/task.hpp>
#include <boost/affine/use_affine.hpp>

#include "test_helpers.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#define BOOST_TEST_MODULE co_spawn
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

namespace asio = boost::asio;
namespace affine = boost::affine;
using affine::task;
using affine::use_affine;

namespace {

task<int> value(int v) {
    co_return v;
}

task<int> delayed_value(int v) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer t(ex, std::chrono::milliseconds(1));
    co_await t.async_wait(use_affine);
    co_return v;
}

task<void> fail() {
    co_await asio::post(co_await asio::this_coro::executor, use_affine);
    throw std::runtime_error("failed");
}

// Waits "forever"; reports how it ended.
task<void> wait_long(bool& aborted) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer t(ex, std::chrono::hours(1));
    try {
        co_await t.async_wait(use_affine);
    } catch (boost::system::system_error const& e) {
        aborted = e.code() == asio::error::operation_aborted;
        throw;
    }
}

task<void> nested_wait(bool& aborted, int depth) {
    if (depth == 0)
        co_await wait_long(aborted);
    else
        co_await nested_wait(aborted, depth - 1);
}

} // namespace

BOOST_AUTO_TEST_CASE(detached_runs_to_completion) {
    asio::io_context ioc;
    bool ran = false;
    affine::co_spawn(
        ioc, [&]() -> task<void> { ran = co_await delayed_value(1) == 1; }, asio::detached);
    ioc.run();
    BOOST_TEST(ran);
}

BOOST_AUTO_TEST_CASE(never_starts_inside_co_spawn) {
    asio::io_context ioc;
    bool started = false;
    affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            started = true;
            co_return;
        },
        asio::detached);
    BOOST_TEST(!started);
    ioc.run();
    BOOST_TEST(started);
}

BOOST_AUTO_TEST_CASE(use_future_gets_value_and_exception) {
    asio::io_context ioc;
    auto work = asio::make_work_guard(ioc);
    std::thread runner([&] { ioc.run(); });
    std::future<int> f = affine::co_spawn(ioc, delayed_value(5), asio::use_future);
    BOOST_TEST(f.get() == 5);
    std::future<void> g = affine::co_spawn(ioc.get_executor(), fail(), asio::use_future);
    BOOST_CHECK_THROW(g.get(), std::runtime_error);
    work.reset();
    runner.join();
}

BOOST_AUTO_TEST_CASE(callback_receives_exception_and_value) {
    asio::io_context ioc;
    int got = 0;
    std::exception_ptr error;
    affine::co_spawn(ioc, value(3), [&](std::exception_ptr e, int v) {
        BOOST_TEST(!e);
        got = v;
    });
    affine::co_spawn(ioc, fail(), [&](std::exception_ptr e) { error = e; });
    ioc.run();
    BOOST_TEST(got == 3);
    BOOST_REQUIRE(error);
    BOOST_CHECK_THROW(std::rethrow_exception(error), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(callback_runs_on_its_associated_executor) {
    asio::io_context ioc;
    auto strand = asio::make_strand(ioc);
    bool in_strand = false;
    affine::co_spawn(ioc, value(1), asio::bind_executor(strand, [&](std::exception_ptr, int) {
                         in_strand = strand.running_in_this_thread();
                     }));
    ioc.run();
    BOOST_TEST(in_strand);
}

BOOST_AUTO_TEST_CASE(use_awaitable_from_an_asio_awaitable) {
    asio::io_context ioc;
    int got = 0;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            got = co_await affine::co_spawn(ioc, delayed_value(7), asio::use_awaitable);
        },
        asio::detached);
    ioc.run();
    BOOST_TEST(got == 7);
}

asio::awaitable<int> asio_doubled(int v) {
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(1));
    co_await t.async_wait(asio::use_awaitable);
    co_return 2 * v;
}

BOOST_AUTO_TEST_CASE(asio_co_spawn_of_an_awaitable_with_use_affine) {
    // The other way round: an asio::awaitable started by asio::co_spawn and
    // awaited in a task; its result arrives on the task's home executor, and
    // its exception is rethrown there.
    asio::io_context ioc;
    asio::thread_pool pool(1);
    int got = 0;
    bool back_home = false;
    bool threw = false;
    affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            got = co_await asio::co_spawn(ioc, asio_doubled(4), use_affine);
            got += co_await asio::co_spawn(pool, asio_doubled(10), use_affine);
            back_home = ioc.get_executor().running_in_this_thread();
            try {
                co_await asio::co_spawn(
                    pool, []() -> asio::awaitable<void> { throw std::runtime_error("x"); },
                    use_affine);
            } catch (std::runtime_error const&) {
                threw = ioc.get_executor().running_in_this_thread();
            }
        },
        asio::detached);
    ioc.run();
    pool.join();
    BOOST_TEST(got == 28);
    BOOST_TEST(back_home);
    BOOST_TEST(threw);
}

BOOST_AUTO_TEST_CASE(use_affine_from_another_task_on_another_executor) {
    asio::io_context ioc;
    asio::thread_pool pool(2);
    int got = 0;
    bool back_home = false;
    affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            // A chain homed on the pool, awaited from a task homed on ioc.
            got = co_await affine::co_spawn(
                pool,
                [&]() -> task<int> {
                    BOOST_TEST(pool.get_executor().running_in_this_thread());
                    co_return co_await delayed_value(9);
                },
                use_affine);
            back_home = ioc.get_executor().running_in_this_thread();
        },
        asio::detached);
    ioc.run();
    pool.join();
    BOOST_TEST(got == 9);
    BOOST_TEST(back_home);
}

BOOST_AUTO_TEST_CASE(callable_is_invoked_on_the_home_executor) {
    asio::io_context ioc;
    bool on_home = false;
    affine::co_spawn(
        ioc,
        [&] {
            on_home = ioc.get_executor().running_in_this_thread();
            return value(1);
        },
        asio::detached);
    BOOST_TEST(!on_home);
    ioc.run();
    BOOST_TEST(on_home);
}

BOOST_AUTO_TEST_CASE(terminal_cancellation_reaches_the_innermost_task) {
    asio::io_context ioc;
    asio::cancellation_signal signal;
    bool aborted = false;
    std::exception_ptr error;
    affine::co_spawn(
        ioc, nested_wait(aborted, 5),
        asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e) { error = e; }));
    asio::steady_timer t(ioc, std::chrono::milliseconds(5));
    t.async_wait([&](auto) { signal.emit(asio::cancellation_type::terminal); });
    ioc.run();
    BOOST_TEST(aborted);
    BOOST_TEST(static_cast<bool>(error));
}

BOOST_AUTO_TEST_CASE(every_frame_of_the_chain_comes_from_the_chain_allocator) {
    test::counting_allocator counter;
    asio::io_context ioc;
    int got = 0;
    affine::co_spawn(
        affine::with_allocator(ioc.get_executor(), counter),
        [&]() -> task<void> { got = co_await delayed_value(2) + co_await value(3); },
        asio::detached);
    // co_spawn allocates the root frame and the operation that posts its start,
    // both from the chain's allocator.
    BOOST_TEST(counter.allocations == 2);
    auto before = affine::frame_pool::shared().statistics().allocations;
    ioc.run();
    BOOST_TEST(got == 5);
    // The callable's task, delayed_value and value (those the compiler did
    // not elide into their caller's frame) and Asio's operations (the timer
    // wait) came from the chain's allocator, none from the default pool.
    BOOST_TEST(counter.allocations >= 3);
    BOOST_TEST(affine::frame_pool::shared().statistics().allocations == before);
    BOOST_TEST(counter.live == 0);
}

BOOST_AUTO_TEST_CASE(chains_on_a_thread_pool_return_every_frame) {
    affine::frame_pool pool_alloc;
    {
        asio::thread_pool pool(2);
        std::atomic<int> done{0};
        for (int i = 0; i < 100; ++i)
            affine::co_spawn(
                affine::with_allocator(asio::make_strand(pool), pool_alloc),
                [&]() -> task<void> {
                    co_await delayed_value(1);
                    ++done;
                },
                asio::detached);
        pool.join();
        BOOST_TEST(done == 100);
    }
    auto s = pool_alloc.statistics();
    BOOST_TEST(s.allocations > 0u);
    BOOST_TEST(s.outstanding == 0u);
}

namespace {
struct sentinel {
    std::atomic<int>* destroyed;
    ~sentinel() { ++*destroyed; }
};
} // namespace

BOOST_AUTO_TEST_CASE(destroying_the_context_destroys_suspended_chains) {
    affine::frame_pool frames;
    std::atomic<int> destroyed{0};
    std::atomic<int> completed{0};
    auto waiting_chain = [&]() -> task<void> {
        sentinel s{&destroyed};
        bool aborted = false;
        co_await nested_wait(aborted, 3); // a timer an hour away, three tasks deep
    };
    {
        asio::io_context ioc;
        auto ex = affine::with_allocator(ioc.get_executor(), frames);
        for (int i = 0; i < 10; ++i)
            affine::co_spawn(ex, waiting_chain, [&](std::exception_ptr) { ++completed; });
        ioc.poll();                 // all ten are now suspended on their timers
        for (int i = 0; i < 5; ++i) // and five whose start is still queued
            affine::co_spawn(ex, waiting_chain, [&](std::exception_ptr) { ++completed; });
        BOOST_TEST(frames.statistics().outstanding > 0u);
    } // ~io_context destroys the pending operations, and with them the chains
    BOOST_TEST(destroyed == 10);
    BOOST_TEST(completed == 0); // as with asio::awaitable: handlers are not invoked
    BOOST_TEST(frames.statistics().outstanding == 0u);

    {
        asio::thread_pool pool(2);
        auto ex = affine::with_allocator(asio::make_strand(pool), frames);
        for (int i = 0; i < 10; ++i)
            affine::co_spawn(ex, waiting_chain, [&](std::exception_ptr) { ++completed; });
        while (destroyed < 10 && frames.statistics().outstanding < 10 * 5u)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        pool.stop();
        pool.join();
    }
    BOOST_TEST(destroyed == 20);
    BOOST_TEST(completed == 0);
    BOOST_TEST(frames.statistics().outstanding == 0u);
}

BOOST_AUTO_TEST_CASE(a_co_await_in_a_cancelled_chain_throws_unless_told_not_to) {
    // As asio::awaitable: the chain's state records the cancellation (here
    // emitted from inside the chain, with no cancellable operation pending),
    // and the next co_await throws before starting what it awaits.
    for (bool throw_if_cancelled : {true, false}) {
        asio::io_context ioc;
        asio::cancellation_signal signal;
        int awaits = 0;
        bool saw_cancelled = false;
        std::exception_ptr error;
        affine::co_spawn(
            ioc,
            [&]() -> task<void> {
                BOOST_TEST(co_await asio::this_coro::throw_if_cancelled()); // the default
                co_await asio::this_coro::throw_if_cancelled(throw_if_cancelled);
                BOOST_TEST(co_await asio::this_coro::throw_if_cancelled() == throw_if_cancelled);
                auto ex = co_await asio::this_coro::executor;
                for (;;) {
                    if (awaits == 3)
                        signal.emit(asio::cancellation_type::terminal);
                    co_await asio::post(ex, use_affine);
                    ++awaits;
                    auto state = co_await asio::this_coro::cancellation_state;
                    if (state.cancelled() != asio::cancellation_type::none) {
                        saw_cancelled = true;
                        if (awaits > 10)
                            co_return;
                    }
                }
            },
            asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e) { error = e; }));
        ioc.run();
        if (throw_if_cancelled) {
            BOOST_TEST(awaits == 3); // the co_await after the emission threw
            BOOST_REQUIRE(error);
            try {
                std::rethrow_exception(error);
            } catch (boost::system::system_error const& e) {
                BOOST_TEST(e.code() == asio::error::operation_aborted);
            }
        } else {
            BOOST_TEST(!error);
            BOOST_TEST(saw_cancelled);
            BOOST_TEST(awaits == 11);
        }
    }
}

BOOST_AUTO_TEST_CASE(cancellation_filters_decide_what_passes) {
    // Emits partial cancellation at a timer wait an hour long; reports whether
    // the wait was aborted. `reset` chooses the chain's filters first.
    auto partial_aborts = [](auto reset) {
        asio::io_context ioc;
        asio::cancellation_signal signal;
        bool aborted = false;
        affine::co_spawn(
            ioc,
            [&]() -> task<void> {
                co_await reset();
                auto ex = co_await asio::this_coro::executor;
                asio::steady_timer t(ex, std::chrono::hours(1));
                asio::steady_timer stop(ex, std::chrono::milliseconds(20));
                // Ends the test either way; when the chain ends first, `stop` is
                // destroyed and its handler runs aborted, when `t` is gone.
                stop.async_wait([&](boost::system::error_code ec) {
                    if (!ec)
                        t.cancel();
                });
                asio::post(ex, [&] { signal.emit(asio::cancellation_type::partial); });
                auto [ec] = co_await t.async_wait(asio::as_tuple(use_affine));
                asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
                aborted = ec == asio::error::operation_aborted &&
                          state.cancelled() != asio::cancellation_type::none;
            },
            asio::bind_cancellation_slot(signal.slot(), asio::detached));
        ioc.run();
        return aborted;
    };
    // The default filter lets terminal cancellation through, not partial.
    BOOST_TEST(!partial_aborts([] { return asio::this_coro::reset_cancellation_state(); }));
    BOOST_TEST(partial_aborts([] {
        return asio::this_coro::reset_cancellation_state(asio::enable_partial_cancellation());
    }));
    BOOST_TEST(partial_aborts([] {
        return asio::this_coro::reset_cancellation_state(asio::enable_partial_cancellation(),
                                                         asio::enable_terminal_cancellation());
    }));
}
