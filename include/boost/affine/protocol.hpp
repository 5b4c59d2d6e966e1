//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_PROTOCOL_HPP
#define BOOST_AFFINE_PROTOCOL_HPP

#include <boost/affine/concepts.hpp>

#include <boost/assert.hpp>

#include <concepts>
#include <coroutine>
#include <type_traits>
#include <utility>

namespace boost::affine {

namespace detail {

// A dispatcher may offer `dispatch(h) -> coroutine_handle<>`: the handle to
// resume by symmetric transfer when the caller is already on the home
// executor, noop_coroutine() once it has posted. Plain dispatchers are called.
template <class D>
concept symmetric_dispatcher = requires(D& d, std::coroutine_handle<> h) {
    { d.dispatch(h) } -> std::convertible_to<std::coroutine_handle<>>;
};

template <class D>
std::coroutine_handle<> dispatch_to(D& d, std::coroutine_handle<> h) {
    if constexpr (symmetric_dispatcher<D>) {
        return d.dispatch(h);
    } else {
        d(h);
        return std::noop_coroutine();
    }
}

} // namespace detail

/** Adapts an affine awaitable to the standard awaiter shape.

    Applied by an affine coroutine's `await_transform` to awaitables that have
    `await_suspend(h, d)`: it injects the caller's dispatcher, so the awaitable
    resumes the caller on its home executor itself, without a trampoline.

    `Awaitable` may be a reference type: the awaitable then lives in the
    `co_await` expression and the adapter refers to it.

    With `Dispatcher = void` (see the specialization), the adapter holds only
    the awaitable and takes the dispatcher from the awaiting coroutine's
    promise.

    @par Exception Safety
    Whatever the awaitable's members throw; `noexcept` where they are.
*/
template <class Awaitable, class Dispatcher = void>
struct [[nodiscard]] affine_awaiter {
    Awaitable awaitable_;
    Dispatcher* dispatcher_;

    constexpr bool await_ready() noexcept(noexcept(awaitable_.await_ready())) {
        return awaitable_.await_ready();
    }

    template <class Promise>
    constexpr auto await_suspend(std::coroutine_handle<Promise> h) noexcept(
        noexcept(awaitable_.await_suspend(std::coroutine_handle<>(h), *dispatcher_))) {
        return awaitable_.await_suspend(std::coroutine_handle<>(h), *dispatcher_);
    }

    constexpr decltype(auto) await_resume() noexcept(noexcept(awaitable_.await_resume())) {
        return awaitable_.await_resume();
    }
};

/** Adapts an affine awaitable, taking the dispatcher from the awaiting
    coroutine's promise: `h.promise().dispatcher()`, a non-null pointer to a
    dispatcher the awaitable accepts (as `affine_promise` provides).

    What an affine task's `await_transform` applies: the adapter is a
    temporary of the `co_await` that lives in the awaiting frame, and here it
    is the awaitable (or one reference to it) and nothing else.

    @par Exception Safety
    Whatever the awaitable's members throw; `noexcept` where they are.
*/
template <class Awaitable>
struct [[nodiscard]] affine_awaiter<Awaitable, void> {
    Awaitable awaitable_;

    constexpr bool await_ready() noexcept(noexcept(awaitable_.await_ready())) {
        return awaitable_.await_ready();
    }

    template <class Promise>
        requires requires(Promise& p) { *p.dispatcher(); }
    constexpr auto await_suspend(std::coroutine_handle<Promise> h) noexcept(
        noexcept(awaitable_.await_suspend(std::coroutine_handle<>(h), *h.promise().dispatcher()))) {
        auto* d = h.promise().dispatcher();
        BOOST_ASSERT_MSG(d, "boost::affine: affine_awaiter<A>: the awaiting coroutine has no "
                            "dispatcher");
        return awaitable_.await_suspend(std::coroutine_handle<>(h), *d);
    }

    constexpr decltype(auto) await_resume() noexcept(noexcept(awaitable_.await_resume())) {
        return awaitable_.await_resume();
    }
};

template <class A, class D>
affine_awaiter(A&&, D*) -> affine_awaiter<A, D>;

/** CRTP mixin for the promise of an affine task.

    Stores the continuation and a pointer to the dispatcher (one pointer: the
    dispatcher object is owned elsewhere, by the chain's root), and provides
    `final_suspend`, which resumes the continuation through the dispatcher:
    by symmetric transfer when the dispatcher says the caller is already on
    its home executor (a dispatcher with `dispatch(h) -> coroutine_handle<>`),
    otherwise by calling it.

    With no dispatcher set, `final_suspend` transfers to the continuation
    directly.

    @tparam Derived The promise type.
    @tparam Dispatcher The dispatcher type.
*/
template <class Derived, class Dispatcher>
class affine_promise {
public:
    /// Records the coroutine to resume when this one completes.
    void set_continuation(std::coroutine_handle<> h) noexcept { continuation_ = h; }

    /// Records where the continuation must be resumed; `d` must outlive the coroutine.
    void set_dispatcher(Dispatcher& d) noexcept { dispatcher_ = &d; }

    /// The continuation, or a null handle.
    std::coroutine_handle<> continuation() const noexcept { return continuation_; }

    /// The dispatcher, or null.
    Dispatcher* dispatcher() const noexcept { return dispatcher_; }

    /// Resumes the continuation through the dispatcher.
    auto final_suspend() noexcept {
        struct awaiter {
            affine_promise* p_;
            bool await_ready() const noexcept { return false; }
            std::coroutine_handle<> await_suspend(std::coroutine_handle<>) noexcept {
                // Copy out first: once dispatched, the continuation may run
                // on another thread and destroy this frame.
                std::coroutine_handle<> c = p_->continuation_;
                Dispatcher* d = p_->dispatcher_;
                if (d && c) [[likely]]
                    return detail::dispatch_to(*d, c);
                return c ? c : std::noop_coroutine();
            }
            void await_resume() const noexcept {}
        };
        return awaiter{this};
    }

protected:
    std::coroutine_handle<> continuation_;
    Dispatcher* dispatcher_ = nullptr;
};

/** CRTP mixin giving a task type both `await_suspend` overloads.

    `Derived` provides `handle()`, returning the coroutine handle of a promise
    that has `set_continuation`, `set_dispatcher` and `result()`.

    - `await_suspend(caller)`: for non-affine callers; the task starts by
      symmetric transfer and resumes the caller directly when done.
    - `await_suspend(caller, d)`: for affine callers; the task also records
      the caller's dispatcher and resumes the caller through it.
*/
template <class T, class Derived, class Dispatcher>
class affine_task {
public:
    bool await_ready() const noexcept { return false; }

    std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
        auto h = derived().handle();
        h.promise().set_continuation(caller);
        return h;
    }

    template <class D>
        requires std::convertible_to<D&, Dispatcher&>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller, D& d) noexcept {
        auto h = derived().handle();
        h.promise().set_continuation(caller);
        h.promise().set_dispatcher(d);
        return h;
    }

    decltype(auto) await_resume() { return derived().handle().promise().result(); }

private:
    Derived& derived() noexcept { return static_cast<Derived&>(*this); }
};

} // namespace boost::affine

#endif
