//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_TEST_TEST_HELPERS_HPP
#define BOOST_AFFINE_TEST_TEST_HELPERS_HPP

#include <boost/affine/co_spawn.hpp>
#include <boost/affine/frame_allocator.hpp>
#include <boost/affine/task.hpp>
#include <boost/affine/protocol.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>

namespace test {

// Whether the tests are compiled with optimisation: GCC 12 turns symmetric
// transfer into a tail call only from -O2, so a test of constant stack over
// 10^6 awaits that complete at once only applies then (enable_if<...>).
#if defined(__OPTIMIZE__)
inline constexpr bool optimized = true;
#else
inline constexpr bool optimized = false;
#endif

namespace asio = boost::asio;
namespace affine = boost::affine;

// Runs the task made by `f()` to completion on a fresh io_context; returns its
// value or rethrows its exception.
template <class F>
auto run(F&& f) {
    using T = typename std::invoke_result_t<F&>::value_type;
    using V = std::conditional_t<std::is_void_v<T>, std::monostate, T>;
    asio::io_context ioc;
    std::exception_ptr error;
    std::optional<V> value;
    affine::co_spawn(ioc, std::forward<F>(f), [&](std::exception_ptr e, auto&&... v) {
        error = e;
        value.emplace(std::move(v)...);
    });
    ioc.run();
    if (!value)
        throw std::logic_error("test::run: the task did not complete");
    if (error)
        std::rethrow_exception(error);
    if constexpr (!std::is_void_v<T>)
        return std::move(*value);
}

// A thread that runs an io_context of its own: completes operations
// "elsewhere", from the point of view of a chain.
struct foreign_thread {
    asio::io_context ioc;
    asio::executor_work_guard<asio::io_context::executor_type> guard{ioc.get_executor()};
    std::thread thread{[this] { ioc.run(); }};
    ~foreign_thread() {
        guard.reset();
        thread.join();
    }
};

// A frame allocator that counts its calls and checks every block comes back.
// Thread-safe, and says so: it serves Asio's operations too.
class counting_allocator {
public:
    static constexpr bool thread_safe = true;
    void* allocate(std::size_t n) {
        ++allocations;
        ++live;
        return ::operator new(n, std::align_val_t{16});
    }
    void deallocate(void* p, std::size_t /*n*/) noexcept {
        ++deallocations;
        --live;
        ::operator delete(p, std::align_val_t{16});
    }
    std::atomic<long> allocations{0};
    std::atomic<long> deallocations{0};
    std::atomic<long> live{0};
};

// ---------------------------------------------------------------------------
// Awaitables and dispatchers for the protocol and make_affine tests.

// Threads started by run_detached and still running. Such a thread resumes a
// coroutine, which posts its resumption to its home executor: as with any
// thread that uses an executor, the home context must outlive it, so a test
// waits for none to be left (wait_for_foreign_threads) before its context goes.
inline std::atomic<int> foreign_threads{0};

// Runs `f` on a thread of its own, counted in foreign_threads until `f` has returned.
template <class F>
void run_detached(F f) {
    ++foreign_threads;
    std::thread([f = std::move(f)]() mutable {
        f();
        --foreign_threads;
    }).detach();
}

inline void wait_for_foreign_threads() {
    while (foreign_threads.load() != 0)
        std::this_thread::yield();
}

// An awaitable with the affine overload, completed on a foreign thread.
struct foreign_affine_awaitable {
    bool* used_affine_path;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        run_detached([h] { h.resume(); });
    }
    template <class Dispatcher>
    void await_suspend(std::coroutine_handle<> h, Dispatcher& d) {
        *used_affine_path = true;
        run_detached([h, &d] { d(h); });
    }
    int await_resume() const noexcept { return 7; }
};

// A legacy awaitable: knows nothing of dispatchers, resumes on its own thread.
struct foreign_legacy_awaitable {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        run_detached([h] { h.resume(); });
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

inline dispatcher_promise_driver
await_through_promise_dispatcher(inline_dispatcher&, recording_awaitable& a, int& result) {
    result = co_await affine::affine_awaiter<recording_awaitable&>{a};
}

} // namespace test

#endif
