//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The affine protocol: affine_awaiter, affine_promise, affine_task, with the
// library's environment as the dispatcher and with one of the test's own.

// Test that header file is self-contained.
#include <boost/affine/protocol.hpp>

#include <boost/affine/co_spawn.hpp>
#include <boost/affine/frame_pool.hpp>
#include <boost/affine/task.hpp>
#include <boost/affine/use_affine.hpp>

#include "test_helpers.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#define BOOST_TEST_MODULE protocol
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <coroutine>
#include <exception>
#include <thread>

namespace asio = boost::asio;
namespace affine = boost::affine;
using affine::task;
using test::foreign_affine_awaitable;
using test::inline_dispatcher;
using test::recording_awaitable;

namespace {

// A dispatcher that also offers the symmetric form, and counts both.
struct symmetric_dispatcher {
    int* calls;
    int* transfers;
    void operator()(std::coroutine_handle<> h) const {
        ++*calls;
        h.resume();
    }
    std::coroutine_handle<> dispatch(std::coroutine_handle<> h) const {
        ++*transfers;
        return h;
    }
};

// A task of the test's own, built on the protocol's mixins.
template <class T, class D>
class toy_task : public affine::affine_task<T, toy_task<T, D>, D> {
public:
    struct promise_type : affine::affine_promise<promise_type, D> {
        T value_{};
        toy_task get_return_object() noexcept {
            return toy_task(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        void return_value(T v) noexcept { value_ = v; }
        void unhandled_exception() { std::terminate(); }
        T result() const noexcept { return value_; }
    };

    toy_task(toy_task&& o) noexcept
        : h_(std::exchange(o.h_, {})) {}
    ~toy_task() {
        if (h_)
            h_.destroy();
    }
    std::coroutine_handle<promise_type> handle() const noexcept { return h_; }

private:
    explicit toy_task(std::coroutine_handle<promise_type> h) noexcept
        : h_(h) {}
    std::coroutine_handle<promise_type> h_;
};

template <class D>
toy_task<int, D> toy_value(int v) {
    co_return v;
}

// Awaits a toy task through the two-member adapter, with an explicit dispatcher.
struct driver {
    struct promise_type {
        driver get_return_object() { return {}; }
        std::suspend_never initial_suspend() noexcept { return {}; }
        std::suspend_never final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        void unhandled_exception() { std::terminate(); }
    };
};

// (The task is a named local the adapter refers to: GCC 12 destroys an
// awaited aggregate temporary's members twice.)
template <class D>
driver await_toy(D& d, int& result) {
    auto t = toy_value<D>(21);
    result = co_await affine::affine_awaiter<decltype(t)&, D>{t, &d};
}

} // namespace

BOOST_AUTO_TEST_CASE(affine_task_resumes_its_caller_through_the_dispatcher) {
    int calls = 0;
    inline_dispatcher d{&calls};
    int result = 0;
    await_toy(d, result);
    BOOST_TEST(result == 21);
    BOOST_TEST(calls == 1); // final_suspend called the dispatcher
}

BOOST_AUTO_TEST_CASE(affine_promise_transfers_symmetrically_when_the_dispatcher_can) {
    int calls = 0, transfers = 0;
    symmetric_dispatcher d{&calls, &transfers};
    int result = 0;
    await_toy(d, result);
    BOOST_TEST(result == 21);
    BOOST_TEST(transfers == 1);
    BOOST_TEST(calls == 0);
    static_assert(affine::dispatcher<symmetric_dispatcher>);
    static_assert(
        affine::affine_awaitable<toy_task<int, symmetric_dispatcher>, symmetric_dispatcher>);
}

BOOST_AUTO_TEST_CASE(affine_awaitable_gets_the_dispatcher_and_allocates_nothing) {
    asio::io_context ioc;
    bool used_affine = false;
    bool on_home = false;
    std::atomic<int> value{0}; // polled by this thread
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
    test::wait_for_foreign_threads();
    BOOST_TEST(used_affine);
    BOOST_TEST(value == 7);
    BOOST_TEST(on_home);
    // Resuming through the dispatcher from a foreign thread posts one
    // operation, whose storage comes from the pool; no trampoline frame.
    BOOST_TEST(after.allocations - before.allocations <= 1u);
}

BOOST_AUTO_TEST_CASE(affine_awaiter_takes_the_dispatcher_from_the_awaiting_promise) {
    int calls = 0;
    inline_dispatcher d{&calls};
    recording_awaitable a;
    int result = 0;
    test::await_through_promise_dispatcher(d, a, result);
    BOOST_TEST(result == 5);
    BOOST_TEST(a.seen == &d);
    BOOST_TEST(calls == 1);
    // What a task keeps in its frame per co_await of an affine awaitable: one reference.
    static_assert(sizeof(affine::affine_awaiter<recording_awaitable&>) == sizeof(void*));
    static_assert(sizeof(affine::affine_awaiter<recording_awaitable&, inline_dispatcher>) ==
                  2 * sizeof(void*));
}

BOOST_AUTO_TEST_CASE(a_task_driven_through_its_handle_leaves_the_chain_as_it_was) {
    // Building on the protocol by hand: a task started through its handle,
    // not through co_await, never entered the chain's list of running tasks;
    // completing must not take another task out of it.
    int driven = 0, after = 0;
    auto body = [&]() -> task<int> {
        auto inner = []() -> task<int> { co_return 5; };
        task<int> t = inner();
        auto h = t.handle();
        h.promise().set_continuation(std::noop_coroutine());
        h.promise().set_dispatcher(*affine::environment::current());
        h.resume(); // runs to its final suspension, then transfers to the continuation
        driven = h.promise().result();
        auto nested = [&]() -> task<int> {
            co_await asio::post(co_await asio::this_coro::executor, affine::use_affine);
            co_return 7;
        };
        after = co_await nested(); // enters and leaves the chain as usual
        co_return driven + after;
    };
    BOOST_TEST(test::run(body) == 12);
    BOOST_TEST(driven == 5);
    BOOST_TEST(after == 7);
}
