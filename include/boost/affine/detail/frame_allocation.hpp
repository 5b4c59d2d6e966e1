//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_DETAIL_FRAME_ALLOCATION_HPP
#define BOOST_AFFINE_DETAIL_FRAME_ALLOCATION_HPP

#include <boost/affine/concepts.hpp>
#include <boost/affine/frame_allocator.hpp>
#include <boost/affine/detail/config.hpp>
#include <boost/affine/detail/thread_state.hpp>

#include <boost/assert.hpp>
#include <boost/config.hpp>
#include <boost/container/pmr/memory_resource.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

// How a coroutine frame is allocated: the header before each frame that names
// its owner, the chain's allocator taken from the thread state, the explicit
// allocator parameters, and the promise mixin that puts them together.

namespace boost::affine::detail {

// ---------------------------------------------------------------------------
// Frame layout: every frame is preceded by a header that records the handle of
// the allocator that owns it, so it goes back to the right allocator whichever
// thread frees it. 16 bytes keep the frame 16-byte aligned.

struct frame_header {
    any_frame_allocator owner;
};
static_assert(sizeof(frame_header) == 16);

// Writes the header naming `owner` at the start of `raw`, a block of
// n + sizeof(frame_header) bytes from `owner`; returns the frame after it.
BOOST_FORCEINLINE void* place_frame_header(void* raw, any_frame_allocator owner) noexcept {
    BOOST_ASSERT_MSG(reinterpret_cast<std::uintptr_t>(raw) % 16 == 0,
                     "boost::affine: frame allocators must return 16-byte aligned storage");
    ::new (raw) frame_header{owner};
    return static_cast<frame_header*>(raw) + 1;
}

BOOST_FORCEINLINE void* allocate_frame(std::size_t n, any_frame_allocator const& a) {
    void* frame = place_frame_header(a.allocate(n + sizeof(frame_header)), a);
#if BOOST_AFFINE_DETAIL_MAY_ELIDE_FRAMES
    record_frame(frame);
#endif
    return frame;
}

// The allocator of the chain running on this thread, else the default.
inline any_frame_allocator current_frame_allocator() noexcept {
    any_frame_allocator const* cur = current_frame_allocator_pointer();
    return cur ? *cur : any_frame_allocator();
}

#if BOOST_AFFINE_DETAIL_TLS_INLINE
BOOST_FORCEINLINE void* allocate_frame(std::size_t n) {
    if (any_frame_allocator const* cur = current_frame_allocator_pointer()) [[likely]]
        return allocate_frame(n, *cur);
    return allocate_frame(n, any_frame_allocator());
}
#else
// Allocation by a function that is itself out of line, so never part of a
// coroutine body: it may reach thread-locals inline, and takes a frame from a
// pool's thread cache without a second call.
struct frame_allocation_here {
    BOOST_FORCEINLINE static void* allocate(any_frame_allocator const& a, std::size_t n) {
        return a.allocate_from<true>(n);
    }
};

// One call for what would otherwise be three where thread-locals must be
// reached out of line (the chain's allocator, the pool's thread cache, the
// record of the last frame).
BOOST_NOINLINE inline void* allocate_frame(std::size_t n) {
    thread_state& state = tls_thread_state;
    any_frame_allocator const* cur = state.allocator;
    any_frame_allocator const a = cur ? *cur : any_frame_allocator();
    void* frame =
        place_frame_header(frame_allocation_here::allocate(a, n + sizeof(frame_header)), a);
    state.last_frame = frame;
    return frame;
}
#endif

BOOST_FORCEINLINE void deallocate_frame(void* frame, std::size_t n) noexcept {
    frame_header* h = static_cast<frame_header*>(frame) - 1;
    any_frame_allocator owner = h->owner;
    owner.deallocate(h, n + sizeof(frame_header));
}

// The global heap as a frame allocator: where a resumption goes when the
// chain's allocator fails (see allocate_resumption).
struct global_heap_allocator {
    static constexpr bool thread_safe = true;
    void* allocate(std::size_t n) { return ::operator new(n, std::align_val_t{16}); }
    void deallocate(void* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{16}); }
};
inline global_heap_allocator global_heap;

// Storage for what resumes a chain (a posted resumption, a function posted to
// the home executor): from the chain's allocator, and from the global heap
// if that throws std::bad_alloc, so that a failing frame allocator never loses a chain's
// resumption. Laid out as a frame (the header names the owner), so
// deallocate_frame gives it back.
inline void* allocate_resumption(std::size_t n, any_frame_allocator a) {
    void* raw;
    try {
        raw = a.allocate(n + sizeof(frame_header));
    } catch (std::bad_alloc const&) {
        a = any_frame_allocator(global_heap);
        raw = a.allocate(n + sizeof(frame_header));
    }
    return place_frame_header(raw, a);
}

// The allocator arguments a coroutine can name explicitly (seed 000): a first
// parameter pair `std::allocator_arg_t, Alloc`, or a first or second parameter
// with get_frame_allocator().
template <class A>
any_frame_allocator explicit_frame_allocator(A&& a) noexcept {
    using D = std::remove_cvref_t<A>;
    if constexpr (std::is_same_v<D, any_frame_allocator> ||
                  std::is_convertible_v<D, container::pmr::memory_resource*> ||
                  std::is_pointer_v<D>) {
        return to_frame_allocator(a);
    } else if constexpr (detail::is_inline_frame_allocator_v<D>) {
        return any_frame_allocator(D(a));
    } else {
        // A parameter is an lvalue here whether it was declared by value or by
        // reference; a by-value copy dies with the coroutine's parameters, so
        // only allocators that cannot have been copied are referred to.
        static_assert(std::is_lvalue_reference_v<A> && !std::is_copy_constructible_v<D>,
                      "boost::affine: an allocator named by a coroutine's parameters must be a "
                      "handle (any_frame_allocator, a pmr::memory_resource*, a pointer, or a "
                      "trivially copyable type no larger than a pointer), or a non-copyable "
                      "allocator passed by reference");
        return any_frame_allocator(a);
    }
}

// A coroutine's frame, for its arguments (see explicit_frame_allocator): from
// the allocator they name, or the chain's.
BOOST_FORCEINLINE void* allocate_for_arguments(std::size_t n) {
    return allocate_frame(n);
}

template <class Arg0>
BOOST_FORCEINLINE void* allocate_for_arguments(std::size_t n, Arg0& a0) {
    if constexpr (has_frame_allocator<Arg0>)
        return allocate_frame(n, explicit_frame_allocator(a0.get_frame_allocator()));
    else
        return allocate_frame(n);
}

template <class Arg0, class Arg1, class... Rest>
BOOST_FORCEINLINE void* allocate_for_arguments(std::size_t n, Arg0& a0, Arg1& a1, Rest&...) {
    constexpr bool tagged = std::is_same_v<std::remove_cv_t<Arg0>, std::allocator_arg_t>;
    if constexpr (tagged && frame_allocator_like<Arg1&>)
        return allocate_frame(n, explicit_frame_allocator(a1));
    else if constexpr (has_frame_allocator<Arg0>)
        return allocate_frame(n, explicit_frame_allocator(a0.get_frame_allocator()));
    else if constexpr (!tagged && has_frame_allocator<Arg1>)
        return allocate_frame(n, explicit_frame_allocator(a1.get_frame_allocator()));
    else
        return allocate_frame(n);
}

/** Mixin giving a promise type the library's frame allocation: the explicit
    forms first, the chain's current allocator otherwise.

    One operator new for every parameter list, which looks at the arguments
    in its body rather than in overload constraints: a coroutine lambda passes
    its closure object first, and the closure is incomplete where its body
    calls operator new. A constraint asking whether it has
    get_frame_allocator() would be answered there, and differ from the answer
    once the closure is complete (GCC 16 warns, -Wsfinae-incomplete); the
    body is instantiated at the end of the translation unit, when every
    closure is complete.
*/
struct frame_allocating_promise {
    template <class... Args>
    BOOST_FORCEINLINE static void* operator new(std::size_t n, Args&... args) {
        return allocate_for_arguments(n, args...);
    }

    BOOST_FORCEINLINE static void operator delete(void* p, std::size_t n) noexcept {
        deallocate_frame(p, n);
    }
};

} // namespace boost::affine::detail

#endif
