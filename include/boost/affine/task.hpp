//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_TASK_HPP
#define BOOST_AFFINE_TASK_HPP

#include <boost/affine/concepts.hpp>
#include <boost/affine/environment.hpp>
#include <boost/affine/frame_allocator.hpp>
#include <boost/affine/detail/frame_allocation.hpp>
#include <boost/affine/make_affine.hpp>
#include <boost/affine/protocol.hpp>
#include <boost/affine/detail/await_transform.hpp>
#include <boost/affine/detail/config.hpp>
#include <boost/affine/detail/misuse.hpp>
#include <boost/affine/detail/result.hpp>

#include <concepts>
#include <coroutine>
#include <type_traits>
#include <utility>

namespace boost::affine {

template <class T = void>
class task;

template <class T = void>
class strict_task;

namespace detail {

// Bit in the promise's flag byte: the frame came from operator new.
inline constexpr unsigned char frame_allocated_flag = 1;

template <class T, class Task, bool Strict>
class task_promise : public frame_allocating_promise,
                     public affine_promise<task_promise<T, Task, Strict>, environment>,
                     public awaits_in_chain<task_promise<T, Task, Strict>, Strict>,
                     public promise_result<T> {
public:
    task_promise() noexcept {
#if BOOST_AFFINE_DETAIL_MAY_ELIDE_FRAMES
        if (take_frame_allocated(
                std::coroutine_handle<task_promise>::from_promise(*this).address()))
            this->result_.flags() |= frame_allocated_flag;
#endif
    }

    Task get_return_object() noexcept {
        return Task(std::coroutine_handle<task_promise>::from_promise(*this));
    }

    // Lazy: a task runs when awaited or spawned.
    std::suspend_always initial_suspend() noexcept {
        return {};
    }

    T result() {
        return this->result_.get();
    }

    // The task is no longer the chain's innermost (environment::abandon); then the awaiting
    // coroutine resumes through the dispatcher.
    auto final_suspend() noexcept {
        environment_access::leave(
            env(), std::coroutine_handle<task_promise>::from_promise(*this).address());
        return affine_promise<task_promise, environment>::final_suspend();
    }

    bool elided() const noexcept {
#if BOOST_AFFINE_DETAIL_MAY_ELIDE_FRAMES
        return !(const_cast<task_promise*>(this)->result_.flags() & frame_allocated_flag);
#else
        return false; // the compiler never elides (detail/config.hpp)
#endif
    }

    environment& env() const noexcept {
        BOOST_ASSERT_MSG(this->dispatcher_, "boost::affine: task is not part of a chain");
        return *this->dispatcher_;
    }
};

// The pieces of task<T> and strict_task<T>, which differ only in policy.
template <class T, class Derived, bool Strict>
class basic_task : public affine_task<T, Derived, environment>, private task_link {
public:
    using promise_type = task_promise<T, Derived, Strict>;
    using handle_type = std::coroutine_handle<promise_type>;
    using value_type = T;

    basic_task(basic_task&&) noexcept = default;
    basic_task& operator=(basic_task&&) noexcept = default;

    /// True if the task holds a coroutine that has not completed.
    bool valid() const noexcept { return h_ && !h_.get().done(); }

    /** True if this task's frame did not come from `operator new`: the
        compiler elided its allocation (HALO, P0981), so no frame allocator
        was called for it.

        @pre The task holds a coroutine (it was not moved from).
    */
    bool elided() const noexcept {
        BOOST_ASSERT_MSG(h_, "boost::affine: elided() on an empty task");
        return handle().promise().elided();
    }

    /// The coroutine handle (for building on the affine protocol).
    handle_type handle() const noexcept { return handle_type::from_address(h_.get().address()); }

    /** Awaiting an empty (moved-from) task, or one already awaited, is
        reported: by an assertion with a message when assertions are enabled,
        otherwise by throwing `std::logic_error` from the `co_await`.
    */
    bool await_ready() const {
        if (!valid())
            detail::report_misuse("boost::affine: co_await on a task that is empty (moved from) "
                                  "or already awaited");
        return false;
    }

    /** Affine callers: the task inherits the caller's environment, and starts
        as the chain's innermost task frame.
    */
    template <class D>
    requires std::convertible_to<D&, environment&> std::coroutine_handle<>
    await_suspend(std::coroutine_handle<> caller, D& d)
    noexcept {
        handle_type h = handle();
        promise_type& p = h.promise();
        p.set_continuation(caller);
        p.set_dispatcher(d);
        environment_access::enter(d, *this);
        return h;
    }

    /** Non-affine callers: the task joins the chain running on this thread.
        @throws std::logic_error if no chain runs on this thread.
    */
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) {
        environment* e = environment::current();
        if (!e)
            detail::report_misuse("boost::affine: a task awaited by a coroutine that is not "
                                  "part of a chain; start it with boost::affine::co_spawn");
        return await_suspend(caller, *e);
    }

protected:
    basic_task() noexcept = default;
    // The handle is kept type-erased in task_link, so that the chain can empty it when it
    // destroys the frame itself (environment::abandon).
    explicit basic_task(handle_type h) noexcept
        : task_link(h) {}
};

} // namespace detail

/** A lazy coroutine task with scheduler affinity and recycled frames.

    `task<T>` is what a coroutine returns instead of `asio::awaitable<T>`.
    After every `co_await` it resumes on its home executor (the executor its
    chain was spawned on), whoever completed the awaited operation. Its frame,
    and every frame of its chain, comes from the chain's frame allocator:
    `frame_pool::shared()` unless chosen otherwise.

    A task starts when awaited (by another task, which it then inherits its
    environment from) or when started with `co_spawn`. It is move-only;
    exceptions thrown in it propagate to its awaiter.

    What a task can await (the tiered policy):
    - tasks and affine awaitables (`await_suspend(h, d)`): no allocation;
    - Asio operations with `use_affine`, and `asio::deferred` operations: the
      operation state lives in the frame, no allocation by this library;
    - `asio::this_coro::executor` and the other `this_coro` tags;
    - anything else through `make_affine`: one frame from the chain's
      allocator, and the task still resumes on its home executor.

    @tparam T The result type.
*/
template <class T>
class [[nodiscard]] task : public detail::basic_task<T, task<T>, false> {
    using base = detail::basic_task<T, task<T>, false>;
    friend class detail::task_promise<T, task<T>, false>;
    using base::base;

public:
    task(task&&) noexcept = default;
    task& operator=(task&&) noexcept = default;
};

/** A task that accepts only affine awaitables.

    Like `task<T>`, but awaiting something that is not affine (that would
    need a `make_affine` trampoline and its allocation) does not compile: if a
    `strict_task` compiles, none of its `co_await`s allocates.
*/
template <class T>
class [[nodiscard]] strict_task : public detail::basic_task<T, strict_task<T>, true> {
    using base = detail::basic_task<T, strict_task<T>, true>;
    friend class detail::task_promise<T, strict_task<T>, true>;
    using base::base;

public:
    strict_task(strict_task&&) noexcept = default;
    strict_task& operator=(strict_task&&) noexcept = default;
};

/// True for `task<T>` and `strict_task<T>`.
template <class T>
struct is_task : std::false_type {};
template <class T>
struct is_task<task<T>> : std::true_type {};
template <class T>
struct is_task<strict_task<T>> : std::true_type {};

/// A `task<T>` or `strict_task<T>`, whatever its const and reference qualification.
template <class T>
concept any_task = is_task<std::remove_cvref_t<T>>::value;

/// A function object that makes a task when called with no arguments (what
/// `co_spawn` calls to make a chain's first task inside the chain).
template <class F>
concept task_function = std::invocable<F&> && any_task<std::invoke_result_t<F&>>;

} // namespace boost::affine

#endif
