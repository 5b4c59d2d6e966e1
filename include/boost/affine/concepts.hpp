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
template <class D, class P = void>
concept dispatcher = requires(D& d, std::coroutine_handle<P> h) {
    d(h);
};

/** An awaitable that accepts the awaiting coroutine's dispatcher.

    An affine awaitable has the extended overload `await_suspend(h, d)`:
    when it completes, it resumes `h` through `d`, so the awaiting coroutine
    continues on its home executor without a trampoline and without an
    allocation.
*/
template <class A, class D, class P = void>
concept affine_awaitable = dispatcher<D, P> && requires(A a, std::coroutine_handle<P> h, D& d) {
    a.await_suspend(h, d);
};

/** An allocator of coroutine frames.

    `a.allocate(n)` returns storage for `n` bytes aligned to at least
    `alignof(std::max_align_t)` (16 on the platforms this library supports);
    `a.deallocate(p, n)` gives it back with the same `n`. Frames may be freed
    on another thread than the one that allocated them.
*/
template <class A>
concept frame_allocator = requires(A& a, void* p, std::size_t n) {
    { a.allocate(n) } -> std::same_as<void*>;
    a.deallocate(p, n);
};

/** A type that carries a frame allocator: `t.get_frame_allocator()`.

    A coroutine whose first or second parameter models this concept takes
    its frame from that allocator.
*/
template <class T>
concept has_frame_allocator = requires(T& t) {
    requires frame_allocator<std::remove_cvref_t<decltype(t.get_frame_allocator())>>;
};

} // namespace boost::affine

#endif
