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
#include <boost/affine/use_affine.hpp>

#include "test_helpers.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>

#define BOOST_TEST_MODULE task
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <future>
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

BOOST_AUTO_TEST_CASE(task_types_are_recognised_by_the_public_concepts) {
    static_assert(affine::is_task<task<int>>::value && affine::is_task<strict_task<>>::value);
    static_assert(!affine::is_task<int>::value);
    static_assert(affine::any_task<task<int> const&> && affine::any_task<strict_task<void>&&>);
    static_assert(!affine::any_task<std::coroutine_handle<>>);
    auto make = [] { return answer(); };
    static_assert(affine::task_function<decltype(make)>);
    static_assert(!affine::task_function<int (*)()>);
    static_assert(affine::awaitable_expression<task<int>>);
    static_assert(!affine::awaitable_expression<int>);
    static_assert(affine::frame_allocator_like<affine::frame_pool&>);
    static_assert(affine::frame_allocator_like<affine::frame_pool*>);
    static_assert(!affine::frame_allocator_like<int*>);
    BOOST_TEST(test::run(make) == 42);
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

// ---------------------------------------------------------------------------
// task<T, Executor>: asio::awaitable<T, Executor>'s second parameter.

namespace {
using io_executor = asio::io_context::executor_type;
using io_strand = asio::strand<io_executor>;

// Out of line: inlined into a coroutine body that resumes on several threads, clang 16 may read
// the thread-local call stack of the thread the body ran on before (as test/affinity.cpp notes).
BOOST_NOINLINE bool on(io_strand const& s) {
    return s.running_in_this_thread();
}

template <class Executor>
task<int, Executor> typed_leaf(int v) {
    co_return v;
}
} // namespace

BOOST_AUTO_TEST_CASE(a_task_yields_its_executor_type_from_this_coro_executor) {
    static_assert(std::is_same_v<task<int>::executor_type, asio::any_io_executor>);
    static_assert(std::is_same_v<task<int, io_executor>::executor_type, io_executor>);
    static_assert(std::is_same_v<strict_task<int, io_strand>::executor_type, io_strand>);
    asio::io_context ioc;
    auto body = [&]() -> task<int, io_executor> {
        auto ex = co_await asio::this_coro::executor;
        static_assert(std::is_same_v<decltype(ex), io_executor>);
        BOOST_TEST((ex == ioc.get_executor()));
        co_return co_await typed_leaf<io_executor>(7);
    };
    int result = 0;
    // The execution-context form spawns on ioc.get_executor(), of the task's type already.
    affine::co_spawn(ioc, body, [&](std::exception_ptr e, int v) {
        BOOST_TEST(!e);
        result = v;
    });
    ioc.run();
    BOOST_TEST(result == 7);
}

BOOST_AUTO_TEST_CASE(co_spawn_converts_its_executor_to_the_tasks) {
    // An executor that converts to the task's type (an adaptor deriving from it, as
    // use_affine_t<>::executor_with_default is) is converted: the chain keeps the task's type.
    using with_default = affine::use_affine_t<io_executor>::executor_with_default<io_executor>;
    static_assert(std::is_convertible_v<with_default, io_executor>);
    asio::io_context ioc;
    bool typed_ok = false, default_ok = false;
    affine::co_spawn(
        with_default(ioc.get_executor()),
        [&]() -> task<void, io_executor> {
            auto ex = co_await asio::this_coro::executor;
            static_assert(std::is_same_v<decltype(ex), io_executor>);
            typed_ok = ex == ioc.get_executor();
        },
        asio::detached);
    // A task with the default executor yields an any_io_executor holding the spawn executor.
    affine::co_spawn(
        with_default(ioc.get_executor()),
        [&]() -> task<void> {
            auto ex = co_await asio::this_coro::executor;
            static_assert(std::is_same_v<decltype(ex), asio::any_io_executor>);
            default_ok = ex.target<with_default>() != nullptr;
        },
        asio::detached);
    ioc.run();
    BOOST_TEST(typed_ok);
    BOOST_TEST(default_ok);
}

BOOST_AUTO_TEST_CASE(a_task_on_a_strand_type_resumes_on_its_strand) {
    // Two threads run the io_context; the chain's home is a strand, kept as its own type.
    asio::io_context ioc(2);
    test::foreign_thread elsewhere;
    io_strand home = asio::make_strand(ioc);
    int on_strand = 0;
    auto body = [&]() -> task<void, io_strand> {
        io_strand s = co_await asio::this_coro::executor;
        BOOST_TEST((s == home));
        asio::steady_timer t(elsewhere.ioc); // completes on the other context's thread
        for (int i = 0; i < 50; ++i) {
            t.expires_after(std::chrono::microseconds(50));
            co_await t.async_wait(affine::use_affine);
            on_strand += on(s);
            co_await asio::post(ioc, affine::use_affine);
            on_strand += on(s);
        }
    };
    std::future<void> done = affine::co_spawn(home, body, asio::use_future);
    std::thread second([&] { ioc.run(); });
    ioc.run();
    second.join();
    done.get();
    BOOST_TEST(on_strand == 100);
}

BOOST_AUTO_TEST_CASE(a_strict_task_takes_an_executor_type_too) {
    asio::io_context ioc;
    auto body = [&]() -> strict_task<int, io_executor> {
        co_await asio::post(co_await asio::this_coro::executor, affine::use_affine);
        co_return co_await typed_leaf<io_executor>(5) + 1;
    };
    // A strict_task awaits tasks of its executor type, whichever face they have.
    std::future<int> f = affine::co_spawn(ioc, body, asio::use_future);
    ioc.run();
    BOOST_TEST(f.get() == 6);
}

BOOST_AUTO_TEST_CASE(this_coro_executor_in_a_chain_of_another_executor_type_is_reported) {
    // Driven by hand into a chain whose home is an io_context executor, a task on a strand
    // type cannot be given its executor: reported, not a wrong cast.
    auto body = []() -> task<void> {
        auto typed = []() -> task<int, io_strand> {
            io_strand s = co_await asio::this_coro::executor;
            (void)s;
            co_return 1;
        };
        task<int, io_strand> t = typed();
        auto h = t.handle();
        h.promise().set_continuation(std::noop_coroutine());
        h.promise().set_dispatcher(*affine::environment::current());
        expecting_assertion = true;
        last_assertion.clear();
        h.resume();
        expecting_assertion = false;
        BOOST_TEST(last_assertion.find("another type") != std::string::npos);
        BOOST_CHECK_THROW(h.promise().result(), std::logic_error);
        co_return;
    };
    test::run(body);
}
