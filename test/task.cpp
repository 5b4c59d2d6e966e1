//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Misuse is reported by an assertion with a message, then an exception: this
// test catches the assertion to check both.
#define BOOST_ENABLE_ASSERT_HANDLER

// Test that header file is self-contained.
#include <boost/affine/task.hpp>

#include <boost/affine/co_spawn.hpp>
#include <boost/affine/frame_pool.hpp>
#include <boost/affine/make_affine.hpp>
#include <boost/affine/protocol.hpp>
#include <boost/affine/use_affine.hpp>

#include "test_helpers.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#define BOOST_TEST_MODULE task
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

namespace asio = boost::asio;
namespace affine = boost::affine;
using affine::strict_task;
using affine::task;

namespace {
bool expecting_assertion = false;
std::string last_assertion;
} // namespace

namespace boost {
void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file,
                          long line) {
    if (!expecting_assertion) {
        std::fprintf(stderr, "%s:%ld: %s: assertion %s failed: %s\n", file, line, function, expr,
                     msg);
        std::abort();
    }
    last_assertion = msg;
}
void assertion_failed(char const* expr, char const* function, char const* file, long line) {
    std::fprintf(stderr, "%s:%ld: %s: assertion %s failed\n", file, line, function, expr);
    std::abort();
}
} // namespace boost

namespace {

task<int> answer() {
    co_return 42;
}
task<int> add_one(int x) {
    co_return x + 1;
}
task<int> twice_add_one(int x) {
    int a = co_await add_one(x);
    co_return co_await add_one(a);
}
task<void> thrower() {
    throw std::runtime_error("thrown in a nested task");
    co_return;
}
task<std::string> catcher() {
    try {
        co_await thrower();
    } catch (std::runtime_error const& e) {
        co_return std::string("caught: ") + e.what();
    }
    co_return "not caught";
}

// An awaitable with the affine overload, completed on a foreign thread.
struct foreign_affine_awaitable {
    bool* used_affine_path;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        std::thread([h] { h.resume(); }).detach();
    }
    template <class Dispatcher>
    void await_suspend(std::coroutine_handle<> h, Dispatcher& d) {
        *used_affine_path = true;
        std::thread([h, &d] { d(h); }).detach();
    }
    int await_resume() const noexcept { return 7; }
};

// A legacy awaitable: knows nothing of dispatchers, resumes on its own thread.
struct foreign_legacy_awaitable {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        std::thread([h] { h.resume(); }).detach();
    }
    int await_resume() const noexcept { return 9; }
};

// A legacy awaitable through operator co_await, completing inline.
struct ready_with_operator {
    struct awaiter {
        bool await_ready() const noexcept { return true; }
        void await_suspend(std::coroutine_handle<>) const noexcept {}
        int await_resume() const noexcept { return 11; }
    };
    awaiter operator co_await() const noexcept { return {}; }
};

// A minimal dispatcher for the protocol-level tests: resumes inline.
struct inline_dispatcher {
    int* calls;
    void operator()(std::coroutine_handle<> h) const {
        ++*calls;
        h.resume();
    }
};

// An affine awaitable that records the dispatcher it was given.
struct recording_awaitable {
    inline_dispatcher* seen = nullptr;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h, inline_dispatcher& d) {
        seen = &d;
        d(h);
    }
    int await_resume() const noexcept { return 5; }
};

// A coroutine whose promise names its dispatcher, as affine_promise does; it
// awaits through affine_awaiter<A>, which takes the dispatcher from there.
struct dispatcher_promise_driver {
    struct promise_type {
        inline_dispatcher* d_;
        promise_type(inline_dispatcher& d, recording_awaitable&, int&) noexcept
            : d_(&d) {}
        inline_dispatcher* dispatcher() const noexcept { return d_; }
        dispatcher_promise_driver get_return_object() { return {}; }
        std::suspend_never initial_suspend() noexcept { return {}; }
        std::suspend_never final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        void unhandled_exception() { std::terminate(); }
    };
};

dispatcher_promise_driver await_through_promise_dispatcher(inline_dispatcher&,
                                                           recording_awaitable& a, int& result) {
    result = co_await affine::affine_awaiter<recording_awaitable&>{a};
}

} // namespace

BOOST_AUTO_TEST_CASE(task_returns_its_value) {
    BOOST_TEST(test::run([] { return answer(); }) == 42);
    BOOST_TEST(test::run([] { return twice_add_one(1); }) == 3);
}

BOOST_AUTO_TEST_CASE(task_is_lazy) {
    bool ran = false;
    auto make = [&]() -> task<void> {
        ran = true;
        co_return;
    };
    {
        task<void> t = make();
        BOOST_TEST(!ran);
        BOOST_TEST(t.valid());
    } // destroyed without running
    BOOST_TEST(!ran);
    test::run(make);
    BOOST_TEST(ran);
}

BOOST_AUTO_TEST_CASE(exceptions_propagate_to_the_awaiter) {
    BOOST_TEST(test::run([] { return catcher(); }) == "caught: thrown in a nested task");
    BOOST_CHECK_THROW(test::run([] { return thrower(); }), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(results_can_be_move_only_and_references) {
    auto make = []() -> task<std::unique_ptr<int>> { co_return std::make_unique<int>(5); };
    BOOST_TEST(*test::run(make) == 5);
    static int global = 3;
    auto ref = []() -> task<int&> { co_return global; };
    auto outer = [&]() -> task<int*> {
        int& r = co_await ref();
        co_return &r;
    };
    BOOST_TEST(test::run(outer) == &global);
}

BOOST_AUTO_TEST_CASE(task_types_are_move_only) {
    static_assert(!std::is_copy_constructible_v<task<int>>);
    static_assert(std::is_nothrow_move_constructible_v<task<int>>);
    static_assert(std::is_nothrow_move_assignable_v<task<void>>);
    static_assert(!std::is_copy_constructible_v<strict_task<>>);
}

BOOST_AUTO_TEST_CASE(long_synchronous_loops_use_constant_stack,
                     *boost::unit_test::enable_if<test::optimized>()) {
    // Symmetric transfer: a million nested awaits that all complete at once
    // would overflow the stack if each resumed its caller recursively.
    auto loop = []() -> task<long> {
        long sum = 0;
        for (int i = 0; i < 1'000'000; ++i)
            sum += co_await add_one(0);
        co_return sum;
    };
    BOOST_TEST(test::run(loop) == 1'000'000);
}

BOOST_AUTO_TEST_CASE(this_coro_executor_is_the_home_executor) {
    asio::io_context ioc;
    asio::any_io_executor seen;
    affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            auto inner = [&]() -> task<void> { seen = co_await asio::this_coro::executor; };
            co_await inner();
        },
        [](std::exception_ptr e) { BOOST_TEST(!e); });
    ioc.run();
    BOOST_TEST((seen == asio::any_io_executor(ioc.get_executor())));
}

BOOST_AUTO_TEST_CASE(affine_awaitable_gets_the_dispatcher_and_allocates_nothing) {
    asio::io_context ioc;
    bool used_affine = false;
    bool on_home = false;
    int value = 0;
    affine::frame_pool_stats before{}, after{};
    affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            before = affine::frame_pool::shared().statistics();
            value = co_await foreign_affine_awaitable{&used_affine};
            after = affine::frame_pool::shared().statistics();
            on_home = ioc.get_executor().running_in_this_thread();
        },
        [](std::exception_ptr e) { BOOST_TEST(!e); });
    // Keep the io_context alive while the foreign thread completes the await.
    auto guard = asio::make_work_guard(ioc);
    std::thread runner([&] { ioc.run(); });
    while (value == 0)
        std::this_thread::yield();
    guard.reset();
    runner.join();
    BOOST_TEST(used_affine);
    BOOST_TEST(value == 7);
    BOOST_TEST(on_home);
    // Resuming through the dispatcher from a foreign thread posts one
    // operation, whose storage comes from the pool; no trampoline frame.
    BOOST_TEST(after.allocations - before.allocations <= 1u);
}

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
    BOOST_TEST(value == 20);
    BOOST_TEST(on_home);
}

BOOST_AUTO_TEST_CASE(make_affine_trampoline_frame_comes_from_the_chain_allocator) {
    test::counting_allocator counter;
    asio::io_context ioc;
    long during = -1;
    affine::co_spawn(
        affine::with_allocator(ioc.get_executor(), counter),
        [&]() -> task<void> {
            long before = counter.allocations;
            int v = co_await ready_with_operator{};
            during = counter.allocations - before;
            BOOST_TEST(v == 11);
        },
        [](std::exception_ptr e) { BOOST_TEST(!e); });
    ioc.run();
    BOOST_TEST(during == 1); // the trampoline's frame
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

BOOST_AUTO_TEST_CASE(affine_awaiter_takes_the_dispatcher_from_the_awaiting_promise) {
    int calls = 0;
    inline_dispatcher d{&calls};
    recording_awaitable a;
    int result = 0;
    await_through_promise_dispatcher(d, a, result);
    BOOST_TEST(result == 5);
    BOOST_TEST(a.seen == &d);
    BOOST_TEST(calls == 1);
    // What a task keeps in its frame per co_await of an affine awaitable: one reference.
    static_assert(sizeof(affine::affine_awaiter<recording_awaitable&>) == sizeof(void*));
    static_assert(sizeof(affine::affine_awaiter<recording_awaitable&, inline_dispatcher>) ==
                  2 * sizeof(void*));
}

BOOST_AUTO_TEST_CASE(strict_task_accepts_affine_awaitables) {
    auto inner = []() -> strict_task<int> { co_return 4; };
    auto outer = [&]() -> strict_task<int> {
        int a = co_await inner();
        int b = co_await answer(); // a task is affine
        auto ex = co_await asio::this_coro::executor;
        co_await asio::post(ex, affine::use_affine);
        co_return a + b;
    };
    BOOST_TEST(test::run(outer) == 46);
}

BOOST_AUTO_TEST_CASE(awaiting_a_moved_from_task_is_reported) {
    auto body = []() -> task<void> {
        task<int> t = answer();
        task<int> moved = std::move(t);
        BOOST_TEST(!t.valid());
        expecting_assertion = true;
        last_assertion.clear();
        try {
            co_await std::move(t);
            BOOST_FAIL("no exception");
        } catch (std::logic_error const& e) {
            BOOST_TEST(std::string(e.what()).find("empty") != std::string::npos);
        }
        expecting_assertion = false;
        BOOST_TEST(last_assertion.find("moved from") != std::string::npos);
        BOOST_TEST(co_await std::move(moved) == 42);
    };
    test::run(body);
}

BOOST_AUTO_TEST_CASE(awaiting_a_task_twice_is_reported) {
    auto body = []() -> task<void> {
        task<int> t = answer();
        BOOST_TEST(co_await t == 42);
        expecting_assertion = true;
        last_assertion.clear();
        BOOST_CHECK_THROW(co_await t, std::logic_error);
        expecting_assertion = false;
        BOOST_TEST(last_assertion.find("already awaited") != std::string::npos);
    };
    test::run(body);
}

BOOST_AUTO_TEST_CASE(promise_stores_one_environment_pointer) {
    // Seed 004's budget: continuation + environment pointer + result storage.
    using void_promise = task<void>::promise_type;
    using int_promise = task<int>::promise_type;
    constexpr std::size_t ptr = sizeof(void*);
    BOOST_TEST(sizeof(void_promise) <= 2 * ptr + sizeof(affine::detail::result_storage<void>));
    BOOST_TEST(sizeof(int_promise) <= 2 * ptr + sizeof(affine::detail::result_storage<int>));
    // and the result storage is one pointer-sized union plus a byte
    BOOST_TEST(sizeof(affine::detail::result_storage<void>) <= 2 * ptr);
    BOOST_TEST(sizeof(affine::detail::result_storage<int>) <= 2 * ptr);
    BOOST_TEST_MESSAGE("sizeof(task<void>::promise_type) = " << sizeof(void_promise));
    BOOST_TEST_MESSAGE("sizeof(task<int>::promise_type) = " << sizeof(int_promise));
}

namespace {
task<int> leaf_for_elision(int x) {
    co_return x * 2;
}
} // namespace

BOOST_AUTO_TEST_CASE(elided_agrees_with_the_allocator_counters) {
    test::counting_allocator counter;
    asio::io_context ioc;
    int checks = 0;
    affine::co_spawn(
        affine::with_allocator(ioc.get_executor(), counter),
        [&]() -> task<void> {
            for (int i = 0; i < 4; ++i) {
                long before = counter.allocations;
                task<int> t = leaf_for_elision(i);
                long allocated = counter.allocations - before;
                BOOST_TEST(t.elided() == (allocated == 0));
                BOOST_TEST(co_await std::move(t) == 2 * i);
                ++checks;
            }
        },
        [](std::exception_ptr e) { BOOST_TEST(!e); });
    ioc.run();
    BOOST_TEST(checks == 4);
    BOOST_TEST(counter.live == 0);
}
