//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Test that header file is self-contained.
#include <boost/affine/allocating_executor.hpp>

#include <boost/affine/co_spawn.hpp>
#include <boost/affine/task.hpp>
#include <boost/affine/use_affine.hpp>

#include "test_helpers.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#define BOOST_TEST_MODULE allocating_executor
#include <boost/test/unit_test.hpp>

#include <chrono>

namespace asio = boost::asio;
namespace affine = boost::affine;
using affine::task;
using affine::use_affine;

namespace {
using alloc_executor = affine::allocating_executor<asio::io_context::executor_type>;

task<int> one() {
    co_return 1;
}
} // namespace

BOOST_AUTO_TEST_CASE(is_an_asio_executor_a_dispatcher_and_carries_an_allocator) {
    static_assert(asio::execution::is_executor<alloc_executor>::value);
    static_assert(affine::dispatcher<alloc_executor>);
    static_assert(affine::has_frame_allocator<alloc_executor>);
    static_assert(affine::has_frame_allocator<alloc_executor const>);

    test::counting_allocator counter;
    asio::io_context ioc;
    auto ex = affine::with_allocator(ioc.get_executor(), counter);

    // usable as any_io_executor, with post, and with timers
    asio::any_io_executor any = ex;
    int ran = 0;
    asio::post(any, [&] { ++ran; });
    asio::post(ex, [&] { ++ran; });
    asio::steady_timer t(ex, std::chrono::milliseconds(1));
    t.async_wait([&](auto) { ++ran; });
    ioc.run();
    BOOST_TEST(ran == 3);
    BOOST_TEST(&asio::query(ex, asio::execution::context) == &ioc);
    BOOST_TEST((ex == affine::with_allocator(ioc.get_executor(), counter)));
    // Operations run through it take their storage from its allocator.
    BOOST_TEST(counter.allocations >= 1);
    BOOST_TEST(counter.live == 0);
}

BOOST_AUTO_TEST_CASE(dispatcher_resumes_on_the_executor) {
    asio::io_context ioc;
    auto ex = affine::with_allocator(ioc.get_executor(), affine::frame_pool::shared());
    struct resumed {
        struct promise_type {
            resumed get_return_object() { return {}; }
            std::suspend_never initial_suspend() noexcept { return {}; }
            std::suspend_never final_suspend() noexcept { return {}; }
            void return_void() noexcept {}
            void unhandled_exception() { std::terminate(); }
        };
    };
    bool on_executor = false;
    // A plain coroutine that hands itself to the dispatcher.
    [](alloc_executor& ex, bool& on_executor, asio::io_context& ioc) -> resumed {
        struct via_dispatcher {
            alloc_executor& ex;
            bool await_ready() const noexcept { return false; }
            void await_suspend(std::coroutine_handle<> h) const { ex(h); }
            void await_resume() const noexcept {}
        };
        co_await via_dispatcher{ex};
        on_executor = ioc.get_executor().running_in_this_thread();
    }(ex, on_executor, ioc);
    BOOST_TEST(!on_executor); // not on the executor yet: posted
    ioc.run();
    BOOST_TEST(on_executor);
}

BOOST_AUTO_TEST_CASE(with_allocator_forces_the_allocator_on_the_whole_chain) {
    test::counting_allocator counter;
    asio::io_context ioc;
    int got = 0;
    affine::co_spawn(
        affine::with_allocator(asio::make_strand(ioc), counter),
        [&]() -> task<void> {
            auto ex = co_await asio::this_coro::executor;
            asio::steady_timer t(ex, std::chrono::milliseconds(1));
            co_await t.async_wait(use_affine);
            got = co_await one();
        },
        asio::detached);
    ioc.run();
    BOOST_TEST(got == 1);
    BOOST_TEST(counter.allocations >= 4); // root, the task, one(), operations
    BOOST_TEST(counter.live == 0);
}

BOOST_AUTO_TEST_CASE(execution_context_sets_the_default_of_its_chains) {
    test::counting_allocator ctx_default, explicit_one;
    asio::io_context ioc;
    affine::set_default_frame_allocator(ioc, ctx_default);
    BOOST_TEST((affine::frame_allocator_for(ioc.get_executor()) ==
                affine::any_frame_allocator(ctx_default)));

    affine::co_spawn(
        ioc, [] { return one(); }, asio::detached);
    affine::co_spawn(
        affine::with_allocator(ioc.get_executor(), explicit_one), [] { return one(); },
        asio::detached);
    ioc.run();
    BOOST_TEST(ctx_default.allocations >= 2);  // root and one()
    BOOST_TEST(explicit_one.allocations >= 2); // the explicit one wins
    BOOST_TEST(ctx_default.live == 0);
    BOOST_TEST(explicit_one.live == 0);

    // another context is not affected
    asio::io_context other;
    BOOST_TEST(
        (affine::frame_allocator_for(other.get_executor()) == affine::any_frame_allocator()));
}

BOOST_AUTO_TEST_CASE(a_chain_spawned_from_a_chain_inherits_its_allocator) {
    test::counting_allocator counter;
    asio::io_context ioc;
    long child_allocations = -1;
    affine::co_spawn(
        affine::with_allocator(ioc.get_executor(), counter),
        [&]() -> task<void> {
            long before = counter.allocations;
            affine::co_spawn(
                ioc, [] { return one(); }, asio::detached);
            child_allocations = counter.allocations - before;
            co_return;
        },
        asio::detached);
    ioc.run();
    BOOST_TEST(child_allocations >= 1); // the child's root frame
    BOOST_TEST(counter.live == 0);
}
