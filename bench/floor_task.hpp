//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The "floor" of the benchmarks: the least a coroutine task can do.
//
// - floor::task<T>: lazy, symmetric transfer to the awaiter at completion,
//   no scheduler affinity (it resumes wherever its awaited operation
//   completes), no cancellation, no environment; the promise is the
//   continuation, an exception_ptr and the value.
// - Frames come from a thread-local free list per 64-byte size class, taken
//   from operator new and never given back (a frame freed on another thread
//   goes to that thread's list: memory can grow without bound there).
//   The two functions follow the library's rule (detail/config.hpp): inline
//   with GCC, out of line with clang, which may otherwise keep a
//   thread-local's address across a suspension (LLVM #47179), which is wrong
//   when a coroutine resumes on another thread.
// - floor::use_floor: a completion token whose handler resumes the awaiting
//   coroutine directly; the initiation and the values live in the frame;
//   Asio's own storage for the operation comes from Asio's recycling
//   allocator (the handler has no associated allocator).
// - floor::spawn(ex, task, done): starts a task on `ex` (one post), calls
//   `done()` where the task completes.
// - floor::when_all / floor::when_any: both tasks run, the awaiting coroutine
//   resumes when both have finished (no cancellation: when_any's loser runs
//   to completion, which for the benchmark's branches is what Asio's ||
//   does too, post being not cancellable).
//
// Header-only; no dependency on Boost.Affine.

#ifndef BOOST_AFFINE_BENCH_FLOOR_TASK_HPP
#define BOOST_AFFINE_BENCH_FLOOR_TASK_HPP

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <new>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

namespace floor_bench {

// ---------------------------------------------------------------------------
// Frame allocation: a thread-local free list per 64-byte class.

namespace detail {

struct free_block {
    free_block* next;
};

inline constexpr std::size_t class_count = 64; // up to 4096 bytes

struct frame_cache {
    free_block* heads[class_count] = {};
};

inline constinit thread_local frame_cache tl_frames;

} // namespace detail

#if defined(__GNUC__) && !defined(__clang__)
#define BOOST_AFFINE_BENCH_FLOOR_TLS_ACCESS [[gnu::always_inline]]
#else
#define BOOST_AFFINE_BENCH_FLOOR_TLS_ACCESS [[gnu::noinline]]
#endif

BOOST_AFFINE_BENCH_FLOOR_TLS_ACCESS inline void* frame_allocate(std::size_t n) {
    std::size_t const c = (n + 63) / 64;
    if (c >= detail::class_count)
        return ::operator new(n);
    detail::free_block*& head = detail::tl_frames.heads[c];
    if (detail::free_block* b = head) {
        head = b->next;
        return b;
    }
    return ::operator new(c * 64);
}

BOOST_AFFINE_BENCH_FLOOR_TLS_ACCESS inline void frame_deallocate(void* p, std::size_t n) noexcept {
    std::size_t const c = (n + 63) / 64;
    if (c >= detail::class_count) {
        ::operator delete(p);
        return;
    }
    auto* b = ::new (p) detail::free_block;
    b->next = detail::tl_frames.heads[c];
    detail::tl_frames.heads[c] = b;
}

/// The size of the last frame allocated on this thread (for the size report).
inline thread_local std::size_t last_frame_size = 0;

struct frame_allocated {
    static void* operator new(std::size_t n) {
        last_frame_size = n;
        return frame_allocate(n);
    }
    static void operator delete(void* p, std::size_t n) noexcept { frame_deallocate(p, n); }
};

// ---------------------------------------------------------------------------
// task<T>

template <class T = void>
class task;

namespace detail {

struct promise_base : frame_allocated {
    std::coroutine_handle<> continuation_;
    std::exception_ptr exception_;

    std::suspend_always initial_suspend() noexcept { return {}; }

    struct final_awaiter {
        bool await_ready() const noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            return h.promise().continuation_;
        }
        void await_resume() const noexcept {}
    };
    final_awaiter final_suspend() noexcept { return {}; }

    void unhandled_exception() noexcept { exception_ = std::current_exception(); }
};

template <class T>
struct promise : promise_base {
    std::optional<T> value_;
    task<T> get_return_object() noexcept;
    template <class U>
    void return_value(U&& v) {
        value_.emplace(std::forward<U>(v));
    }
    T result() {
        if (exception_)
            std::rethrow_exception(exception_);
        return std::move(*value_);
    }
};

template <>
struct promise<void> : promise_base {
    task<void> get_return_object() noexcept;
    void return_void() noexcept {}
    void result() {
        if (exception_)
            std::rethrow_exception(exception_);
    }
};

} // namespace detail

template <class T>
class [[nodiscard]] task {
public:
    using promise_type = detail::promise<T>;
    using handle_type = std::coroutine_handle<promise_type>;

    explicit task(handle_type h) noexcept
        : h_(h) {}
    task(task&& o) noexcept
        : h_(std::exchange(o.h_, {})) {}
    task& operator=(task&& o) noexcept {
        if (this != &o) {
            if (h_)
                h_.destroy();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    ~task() {
        if (h_)
            h_.destroy();
    }

    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
        h_.promise().continuation_ = caller;
        return h_;
    }
    T await_resume() { return h_.promise().result(); }

    handle_type handle() const noexcept { return h_; }
    handle_type release() noexcept { return std::exchange(h_, {}); }

private:
    handle_type h_;
};

template <class T>
task<T> detail::promise<T>::get_return_object() noexcept {
    return task<T>(std::coroutine_handle<promise<T>>::from_promise(*this));
}

inline task<void> detail::promise<void>::get_return_object() noexcept {
    return task<void>(std::coroutine_handle<promise<void>>::from_promise(*this));
}

// ---------------------------------------------------------------------------
// spawn: a root that frees itself when done.

namespace detail {

struct root {
    struct promise_type : frame_allocated {
        root get_return_object() noexcept {
            return root{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_never final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { std::terminate(); }
    };
    std::coroutine_handle<promise_type> h_;
};

template <class T, class F>
root make_root(task<T> t, F done) {
    co_await std::move(t);
    done();
}

struct start_handler {
    std::coroutine_handle<> h_;
    void operator()() const { h_.resume(); }
};

} // namespace detail

/// Runs `t` on `ex` (its first step is posted), then calls `done()`.
template <class Executor, class T, class F>
void spawn(Executor const& ex, task<T> t, F done) {
    detail::root r = detail::make_root(std::move(t), std::move(done));
    boost::asio::post(ex, detail::start_handler{r.h_});
}

// ---------------------------------------------------------------------------
// when_all / when_any

namespace detail {

struct join_state {
    std::atomic<int> left{2};
    std::atomic<int> first{-1};
    std::coroutine_handle<> parent;
};

struct branch {
    struct promise_type : frame_allocated {
        join_state* join_ = nullptr;
        int index_ = 0;
        branch get_return_object() noexcept {
            return branch{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        struct final_awaiter {
            bool await_ready() const noexcept { return false; }
            std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
                join_state* j = h.promise().join_;
                int none = -1;
                j->first.compare_exchange_strong(none, h.promise().index_,
                                                 std::memory_order_acq_rel);
                if (j->left.fetch_sub(1, std::memory_order_acq_rel) == 1)
                    return j->parent;
                return std::noop_coroutine();
            }
            void await_resume() const noexcept {}
        };
        final_awaiter final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        void unhandled_exception() noexcept { std::terminate(); }
    };
    explicit branch(std::coroutine_handle<promise_type> h) noexcept
        : h_(h) {}
    branch(branch&& o) noexcept
        : h_(std::exchange(o.h_, {})) {}
    ~branch() {
        if (h_)
            h_.destroy();
    }
    std::coroutine_handle<promise_type> h_;
};

template <class T>
branch run_branch(task<T>& t, std::optional<T>& out) {
    out.emplace(co_await std::move(t));
}

struct join_awaiter {
    join_state* join_;
    std::coroutine_handle<> b0_, b1_;
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> parent) noexcept {
        join_->parent = parent;
        b0_.resume();
        return b1_;
    }
    void await_resume() const noexcept {}
};

template <class A, class B>
struct both_results {
    std::optional<A> a;
    std::optional<B> b;
    join_state join;
};

} // namespace detail

/// Both results, when both tasks have finished.
template <class A, class B>
task<std::tuple<A, B>> when_all(task<A> a, task<B> b) {
    detail::both_results<A, B> r;
    detail::branch b0 = detail::run_branch(a, r.a);
    detail::branch b1 = detail::run_branch(b, r.b);
    b0.h_.promise().join_ = &r.join;
    b1.h_.promise().join_ = &r.join;
    b1.h_.promise().index_ = 1;
    co_await detail::join_awaiter{&r.join, b0.h_, b1.h_};
    co_return std::tuple<A, B>(std::move(*r.a), std::move(*r.b));
}

/// The result of the task that finished first, when both have finished.
template <class A, class B>
task<std::variant<A, B>> when_any(task<A> a, task<B> b) {
    detail::both_results<A, B> r;
    detail::branch b0 = detail::run_branch(a, r.a);
    detail::branch b1 = detail::run_branch(b, r.b);
    b0.h_.promise().join_ = &r.join;
    b1.h_.promise().join_ = &r.join;
    b1.h_.promise().index_ = 1;
    co_await detail::join_awaiter{&r.join, b0.h_, b1.h_};
    if (r.join.first.load(std::memory_order_acquire) == 0)
        co_return std::variant<A, B>(std::in_place_index<0>, std::move(*r.a));
    co_return std::variant<A, B>(std::in_place_index<1>, std::move(*r.b));
}

// ---------------------------------------------------------------------------
// use_floor: await an Asio operation; the handler resumes the coroutine.

struct use_floor_t {};
inline constexpr use_floor_t use_floor{};

namespace detail {

template <class... Args>
struct values_of {
    using type = std::tuple<Args...>;
    static constexpr bool has_error = false;
};
template <class... Args>
struct values_of<boost::system::error_code, Args...> : values_of<Args...> {
    static constexpr bool has_error = true;
};

template <class Init, class Stored, class... Args>
class op_awaiter {
public:
    using values = std::tuple<std::decay_t<Args>...>;

    template <class I, class... A>
    explicit op_awaiter(I&& init, A&&... args)
        : stored_(std::forward<I>(init), std::forward<A>(args)...) {}

    struct handler {
        op_awaiter* self_;
        template <class... Vs>
        void operator()(Vs&&... vs) {
            self_->values_.emplace(std::forward<Vs>(vs)...);
            self_->h_.resume();
        }
    };

    bool await_ready() const noexcept { return false; }

    void await_suspend(std::coroutine_handle<> h) {
        h_ = h;
        // Initiate from a local copy: once initiated, the operation may
        // complete on another thread and resume (and destroy) this frame.
        Stored local(std::move(stored_));
        std::apply(
            [this](auto& init, auto&... a) { std::move(init)(handler{this}, std::move(a)...); },
            local);
    }

    auto await_resume() {
        values& v = *values_;
        using traits = values_of<std::decay_t<Args>...>;
        constexpr std::size_t first = traits::has_error ? 1 : 0;
        if constexpr (traits::has_error) {
            if (std::get<0>(v))
                throw boost::system::system_error(std::get<0>(v));
        }
        constexpr std::size_t rest = sizeof...(Args) - first;
        if constexpr (rest == 0)
            return;
        else if constexpr (rest == 1)
            return std::move(std::get<first>(v));
        else
            return [&]<std::size_t... J>(std::index_sequence<J...>) {
                return std::tuple<std::tuple_element_t<first + J, values>...>(
                    std::move(std::get<first + J>(v))...);
            }(std::make_index_sequence<rest>());
    }

private:
    Stored stored_;
    std::coroutine_handle<> h_;
    std::optional<values> values_;
};

} // namespace detail

} // namespace floor_bench

namespace boost::asio {

template <class R, class... Args>
struct async_result<floor_bench::use_floor_t, R(Args...)> {
    template <class Initiation, class RawToken, class... InitArgs>
    static auto initiate(Initiation&& init, RawToken&&, InitArgs&&... args) {
        using stored = std::tuple<std::decay_t<Initiation>, std::decay_t<InitArgs>...>;
        return floor_bench::detail::op_awaiter<std::decay_t<Initiation>, stored, Args...>(
            std::forward<Initiation>(init), std::forward<InitArgs>(args)...);
    }
};

} // namespace boost::asio

#endif
