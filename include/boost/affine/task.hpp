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

#include <boost/asio/any_io_executor.hpp>

#include <concepts>
#include <coroutine>
#include <type_traits>
#include <utility>

namespace boost::affine {

/** What a task's `co_await` accepts: the tiered policy. Affine awaitables and Asio operations
    completing with `use_affine` are awaited without allocation; anything else goes through
    `make_affine` (one pooled frame per `co_await`). The policy of `task<T>`.
*/
struct tiered_awaits {
    static constexpr bool strict = false;
};

/** What a task's `co_await` accepts: affine awaitables and Asio operations completing with
    `use_affine` only; anything else does not compile. The policy of `strict_task<T>`.
*/
struct strict_awaits {
    static constexpr bool strict = true;
};

namespace detail {
// Bit in the promise's flag byte: the frame came from operator new.
inline constexpr unsigned char frame_allocated_flag = 1;
} // namespace detail

/** A lazy coroutine task with scheduler affinity and recycled frames; `task<T>` and
    `strict_task<T>` are its two faces.

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

    @tparam T The result type: `void`, a value type (also move-only) or a reference.
    @tparam Executor What `co_await asio::this_coro::executor` yields, as in
    `asio::awaitable<T, Executor>`: `asio::any_io_executor` (the default) or a concrete executor
    type, which the chain then keeps as it is (`co_spawn` converts its executor to it). A task
    awaits only tasks of the same `Executor`.
    @tparam Awaits `tiered_awaits` (`task`) or `strict_awaits` (`strict_task`).
*/
template <class T, class Executor, class Awaits>
class [[nodiscard]] basic_task {
    static_assert(std::is_same_v<Awaits, tiered_awaits> || std::is_same_v<Awaits, strict_awaits>,
                  "boost::affine::basic_task: the policy is tiered_awaits (task) or "
                  "strict_awaits (strict_task)");

public:
    /// The promise: its frame comes from the chain's allocator, it resumes its awaiter through
    /// the chain's environment, and its `await_transform` is the `Awaits` policy.
    class promise_type : public detail::frame_allocating_promise,
                         public affine_promise<promise_type, environment>,
                         public detail::awaits_in_chain<promise_type, Awaits::strict, Executor>,
                         public detail::promise_result<T> {
    public:
        promise_type() noexcept {
#if BOOST_AFFINE_DETAIL_MAY_ELIDE_FRAMES
            if (detail::take_frame_allocated(
                    std::coroutine_handle<promise_type>::from_promise(*this).address()))
                this->result_.flags() |= detail::frame_allocated_flag;
#endif
        }

        basic_task get_return_object() noexcept {
            return basic_task(std::coroutine_handle<promise_type>::from_promise(*this));
        }

        // Lazy: a task runs when awaited or spawned.
        std::suspend_always initial_suspend() noexcept { return {}; }

        T result() { return this->result_.get(); }

        // The task is no longer the chain's innermost (environment::abandon); then the awaiting
        // coroutine resumes through the dispatcher.
        auto final_suspend() noexcept {
            env().leave(std::coroutine_handle<promise_type>::from_promise(*this).address());
            return affine_promise<promise_type, environment>::final_suspend();
        }

        bool elided() const noexcept {
#if BOOST_AFFINE_DETAIL_MAY_ELIDE_FRAMES
            return !(const_cast<promise_type*>(this)->result_.flags() &
                     detail::frame_allocated_flag);
#else
            return false; // the compiler never elides (detail/config.hpp)
#endif
        }

        environment& env() const noexcept {
            BOOST_ASSERT_MSG(this->dispatcher_, "boost::affine: task is not part of a chain");
            return *this->dispatcher_;
        }
    };

    using handle_type = std::coroutine_handle<promise_type>;
    using value_type = T;
    /// What `co_await asio::this_coro::executor` yields in the task.
    using executor_type = Executor;

    basic_task(basic_task&&) noexcept = default;
    basic_task& operator=(basic_task&&) noexcept = default;

    /// True if the task holds a coroutine that has not completed.
    bool valid() const noexcept { return link_.h_ && !link_.h_.get().done(); }

    /** True if this task's frame did not come from `operator new`: the
        compiler elided its allocation (HALO, P0981), so no frame allocator
        was called for it.

        @pre The task holds a coroutine (it was not moved from).
    */
    bool elided() const noexcept {
        BOOST_ASSERT_MSG(link_.h_, "boost::affine: elided() on an empty task");
        return handle().promise().elided();
    }

    /// The coroutine handle (for building on the affine protocol).
    handle_type handle() const noexcept {
        return handle_type::from_address(link_.h_.get().address());
    }

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
        requires std::convertible_to<D&, environment&>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller, D& d) noexcept {
        handle_type h = handle();
        promise_type& p = h.promise();
        p.set_continuation(caller);
        p.set_dispatcher(d);
        static_cast<environment&>(d).enter(link_);
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

    /// The task's result, or its exception rethrown.
    decltype(auto) await_resume() { return handle().promise().result(); }

private:
    explicit basic_task(handle_type h) noexcept
        : link_(h) {}

    // The handle, kept type-erased in the link through which the chain can empty it when it
    // destroys the frame itself (environment::abandon).
    detail::task_link link_;
};

/** The task a coroutine returns instead of `asio::awaitable<T, Executor>`: the tiered policy
    (see `basic_task`).
*/
// tag::task[]
template <class T = void, class Executor = asio::any_io_executor>
using task = basic_task<T, Executor, tiered_awaits>;
// end::task[]

/** A task that accepts only affine awaitables.

    Like `task<T>`, but awaiting something that is not affine (that would
    need a `make_affine` trampoline and its allocation) does not compile: if a
    `strict_task` compiles, none of its `co_await`s allocates.
*/
// tag::strict_task[]
template <class T = void, class Executor = asio::any_io_executor>
using strict_task = basic_task<T, Executor, strict_awaits>;
// end::strict_task[]

/// True for `task<T>` and `strict_task<T>`.
// tag::task_traits[]
template <class T>
struct is_task : std::false_type {};
template <class T, class Executor, class Awaits>
struct is_task<basic_task<T, Executor, Awaits>> : std::true_type {};

/// A `task<T>` or `strict_task<T>`, whatever its const and reference qualification.
template <class T>
concept any_task = is_task<std::remove_cvref_t<T>>::value;

/// A function object that makes a task when called with no arguments (what
/// `co_spawn` calls to make a chain's first task inside the chain).
template <class F>
concept task_function = std::invocable<F&> && any_task<std::invoke_result_t<F&>>;
// end::task_traits[]

} // namespace boost::affine

#endif
