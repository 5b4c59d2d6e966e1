//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// make_affine: a legacy awaitable behind a trampoline resumes its caller on
// the home executor; the trampoline's frame comes from the chain's allocator.

// Test that header file is self-contained.
#include <boost/affine/make_affine.hpp>

#include <boost/affine/allocating_executor.hpp>
#include <boost/affine/co_spawn.hpp>
#include <boost/affine/concepts.hpp>
#include <boost/affine/environment.hpp>
#include <boost/affine/frame_pool.hpp>
#include <boost/affine/task.hpp>

#include "test_helpers.hpp"

#include <boost/asio/io_context.hpp>

#define BOOST_TEST_MODULE make_affine
#include <boost/test/unit_test.hpp>

#include <coroutine>
#include <exception>
#include <thread>

namespace asio = boost::asio;
namespace affine = boost::affine;
using affine::task;
using test::foreign_affine_awaitable;
using test::foreign_legacy_awaitable;
using test::inline_dispatcher;
using test::ready_with_operator;

BOOST_AUTO_TEST_CASE(legacy_awaitable_goes_through_make_affine_and_resumes_home) {
    asio::io_context ioc;
    int value = 0;
    bool on_home = false;
    affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            value = co_await foreign_legacy_awaitable{};
            on_home = ioc.get_executor().running_in_this_thread();
            value += co_await ready_with_operator{};
        },
        [](std::exception_ptr e) { BOOST_TEST(!e); });
    std::thread runner([&] { ioc.run(); });
    runner.join();
    test::wait_for_foreign_threads();
    BOOST_TEST(value == 20);
    BOOST_TEST(on_home);
}

BOOST_AUTO_TEST_CASE(make_affine_trampoline_frame_comes_from_the_chain_allocator) {
    test::counting_allocator counter;
    asio::io_context ioc;
    long during = -1;
    std::size_t pool_during = 1;
    affine::co_spawn(
        affine::with_allocator(ioc.get_executor(), counter),
        [&]() -> task<void> {
            auto pool_before = affine::frame_pool::shared().statistics().allocations;
            long before = counter.allocations;
            int v = co_await ready_with_operator{};
            during = counter.allocations - before;
            pool_during = affine::frame_pool::shared().statistics().allocations - pool_before;
            BOOST_TEST(v == 11);
        },
        [](std::exception_ptr e) { BOOST_TEST(!e); });
    ioc.run();
    // The trampoline's frame, from the chain's allocator and from nowhere else. Where the
    // compiler may elide frames (clang), it may instead be part of the task's frame, and no
    // allocator is called (clang elides it in this test program, not in others).
#if BOOST_AFFINE_DETAIL_MAY_ELIDE_FRAMES
    BOOST_TEST(during <= 1);
#else
    BOOST_TEST(during == 1);
#endif
    BOOST_TEST(pool_during == 0u);
    BOOST_TEST(counter.live == 0);
}

BOOST_AUTO_TEST_CASE(make_affine_works_with_any_dispatcher) {
    int calls = 0;
    inline_dispatcher d{&calls};
    // A coroutine with no affinity of its own, to drive make_affine directly.
    struct driver {
        struct promise_type {
            driver get_return_object() { return {}; }
            std::suspend_never initial_suspend() noexcept { return {}; }
            std::suspend_never final_suspend() noexcept { return {}; }
            void return_void() noexcept {}
            void unhandled_exception() { std::terminate(); }
        };
    };
    int result = 0;
    [](inline_dispatcher& d, int& result) -> driver {
        result = co_await affine::make_affine(ready_with_operator{}, d);
    }(d, result);
    BOOST_TEST(result == 11);
    BOOST_TEST(calls == 1);
    static_assert(affine::dispatcher<inline_dispatcher>);
    static_assert(!affine::affine_awaitable<foreign_legacy_awaitable, inline_dispatcher>);
    static_assert(affine::affine_awaitable<foreign_affine_awaitable, inline_dispatcher>);
    static_assert(affine::affine_awaitable<task<int>, affine::environment>);
}
