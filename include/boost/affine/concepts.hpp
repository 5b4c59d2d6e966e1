//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_CONCEPTS_HPP
#define BOOST_AFFINE_CONCEPTS_HPP

#include <concepts>
#include <coroutine>
#include <cstddef>
#include <type_traits>

namespace boost::affine {

/** A callable that resumes a coroutine on its home executor.

    `d(h)` guarantees that `h` is resumed on the dispatcher's home executor:
    inline when the calling thread is already running on it, posted
    otherwise. Whatever it returns is not something a third party must act
    on.

    @tparam D The dispatcher type.
    @tparam P The promise type of the handles it accepts.
*/
// tag::dispatcher[]
template <class D, class P = void>
concept dispatcher = requires(D& d, std::coroutine_handle<P> h) { d(h); };
// end::dispatcher[]

/** An awaitable that accepts the awaiting coroutine's dispatcher.

    An affine awaitable has the extended overload `await_suspend(h, d)`:
    when it completes, it resumes `h` through `d`, so the awaiting coroutine
    continues on its home executor without a trampoline and without an
    allocation.
*/
// tag::affine_awaitable[]
template <class A, class D, class P = void>
concept affine_awaitable =
    dispatcher<D, P> && requires(A a, std::coroutine_handle<P> h, D& d) { a.await_suspend(h, d); };
// end::affine_awaitable[]

/** An allocator of coroutine frames.

    `a.allocate(n)` returns storage for `n` bytes aligned to at least
    `alignof(std::max_align_t)` (16 on the platforms this library supports);
    `a.deallocate(p, n)` gives it back with the same `n`.

    A chain calls its allocator only where the chain runs, one call at a time:
    on its home executor (a strand over a thread pool may run it on any of the
    pool's threads, never on two at once), and in `co_spawn` before it starts.
    So an allocator that serves one chain need not be thread-safe; one shared
    by chains that run on different threads must be. See
    `is_thread_safe_frame_allocator` for what the library does with an
    allocator that is thread-safe.
*/
// tag::frame_allocator[]
template <class A>
concept frame_allocator = requires(A& a, void* p, std::size_t n) {
    { a.allocate(n) } -> std::same_as<void*>;
    a.deallocate(p, n);
};
// end::frame_allocator[]

namespace detail {
// `A::thread_safe` is a constant that says so (false where it is missing).
template <class A>
concept declares_thread_safe = bool(A::thread_safe);
} // namespace detail

/** Whether a frame allocator may be called from any thread at any time.

    True if `A` declares `static constexpr bool thread_safe = true` (as
    `frame_pool` does); specialise it for an allocator that cannot say so
    itself. A chain's allocator that is thread-safe also serves what is
    allocated for the chain where the chain does not run: the storage of
    Asio's operations (which Asio frees on the thread that completes them),
    and what carries a completion home from another thread. For any other
    allocator, those come from `frame_pool::shared()`, so that the allocator
    is never called away from its chain. A `pmr::memory_resource*` is taken
    as not thread-safe (wrap one that is in a type that says so).
*/
template <class A>
struct is_thread_safe_frame_allocator : std::bool_constant<detail::declares_thread_safe<A>> {};

/** A type that carries a frame allocator: `t.get_frame_allocator()`.

    A coroutine whose first or second parameter models this concept takes
    its frame from that allocator.
*/
// tag::has_frame_allocator[]
template <class T>
concept has_frame_allocator = requires(T& t) {
    requires frame_allocator<std::remove_cvref_t<decltype(t.get_frame_allocator())>>;
};
// end::has_frame_allocator[]

} // namespace boost::affine

#endif
