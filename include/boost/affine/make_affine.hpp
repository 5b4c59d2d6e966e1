//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_MAKE_AFFINE_HPP
#define BOOST_AFFINE_MAKE_AFFINE_HPP

#include <boost/affine/concepts.hpp>
#include <boost/affine/frame_allocator.hpp>
#include <boost/affine/detail/frame_allocation.hpp>
#include <boost/affine/protocol.hpp>
#include <boost/affine/detail/result.hpp>
#include <boost/affine/detail/unique_coroutine.hpp>

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

namespace boost::affine {

namespace detail {

// The awaiter an expression `co_await a` would use, without await_transform.
template <class A>
decltype(auto) get_awaiter(A&& a) {
    if constexpr (requires { static_cast<A&&>(a).operator co_await(); })
        return static_cast<A&&>(a).operator co_await();
    else if constexpr (requires { operator co_await(static_cast<A&&>(a)); })
        return operator co_await(static_cast<A&&>(a));
    else
        return static_cast<A&&>(a);
}

template <class A>
using await_result_t = decltype(detail::get_awaiter(std::declval<A>()).await_resume());

// The trampoline: a coroutine that awaits the legacy awaitable wherever it
// completes, then resumes its caller through the dispatcher.
template <class R, class D>
class trampoline {
public:
    struct promise_type : frame_allocating_promise, promise_result<R> {
        std::coroutine_handle<> continuation_;
        D* dispatcher_;

        // The promise sees the coroutine's parameters: take the dispatcher.
        template <class A>
        promise_type(A&&, D* d) noexcept
            : dispatcher_(d) {}

        trampoline get_return_object() noexcept {
            return trampoline(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        final_transfer<promise_type> final_suspend() noexcept { return {}; }
        std::coroutine_handle<> on_final_suspend(std::coroutine_handle<promise_type>) noexcept {
            return detail::dispatch_to(*dispatcher_, continuation_);
        }
    };

    trampoline(trampoline&&) noexcept = default;
    trampoline& operator=(trampoline&&) = delete;

    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
        h_.get().promise().continuation_ = caller;
        return h_.get();
    }
    R await_resume() { return h_.get().promise().result_.get(); }

private:
    explicit trampoline(std::coroutine_handle<promise_type> h) noexcept
        : h_(h) {}
    unique_coroutine<promise_type> h_;
};

template <class R, class D, class A>
trampoline<R, D> make_trampoline(A&& a, D* d) {
    (void)d; // read by the promise's constructor
    if constexpr (std::is_void_v<R>)
        co_await static_cast<A&&>(a);
    else
        co_return co_await static_cast<A&&>(a);
}

} // namespace detail

/** An expression that `co_await` accepts in a coroutine without
    `await_transform`: an awaiter (`await_ready`, `await_suspend`,
    `await_resume`), or something with `operator co_await`.
*/
template <class A>
concept awaitable_expression = requires(A&& a) {
    { detail::get_awaiter(static_cast<A&&>(a)).await_ready() } -> std::convertible_to<bool>;
    detail::get_awaiter(static_cast<A&&>(a)).await_resume();
};

/** Wraps any awaitable so that the awaiting coroutine resumes through `d`.

    The fallback for awaitables that do not implement the affine protocol: a
    trampoline coroutine awaits `a` wherever it completes, then resumes the
    caller through the dispatcher `d` (on its home executor). The trampoline's
    frame, one per `co_await`, comes from the current chain's frame allocator
    (the recycling pool by default), not from the global heap.

    The returned awaitable refers to `a` and `d`: use it in the same `co_await`
    expression, as `co_await make_affine(op(), d)`.

    @param a The awaitable.
    @param d The dispatcher to resume the caller through; must outlive the await.
    @return An awaitable yielding what `co_await a` yields.
    @throws std::bad_alloc if the trampoline frame cannot be allocated.
*/
template <class Awaitable, class Dispatcher>
    requires awaitable_expression<Awaitable&&> && dispatcher<Dispatcher>
[[nodiscard]] auto make_affine(Awaitable&& a, Dispatcher& d) {
    using R = detail::await_result_t<Awaitable&&>;
    return detail::make_trampoline<R, Dispatcher>(std::forward<Awaitable>(a), &d);
}

} // namespace boost::affine

#endif
