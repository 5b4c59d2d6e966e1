//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_FRAME_ALLOCATOR_HPP
#define BOOST_AFFINE_FRAME_ALLOCATOR_HPP

#include <boost/affine/concepts.hpp>
#include <boost/affine/frame_pool.hpp>
#include <boost/affine/detail/config.hpp>

#include <boost/assert.hpp>
#include <boost/config.hpp>
#include <boost/container/pmr/memory_resource.hpp>

#include <cstddef>
#include <cstring>
#include <memory>
#include <type_traits>
#include <utility>

namespace boost::affine {

namespace detail {

struct frame_allocation_here;
struct frame_allocator_access;

struct frame_allocator_vtable {
    void* (*allocate)(void* state, std::size_t n);
    void (*deallocate)(void* state, void* p, std::size_t n) noexcept;
    bool thread_safe; // is_thread_safe_frame_allocator
};

// An allocator small enough to live inside the handle itself: the handle is then
// self-contained and may outlive the object it was made from.
template <class A>
inline constexpr bool
    is_inline_frame_allocator_v = sizeof(A) <= sizeof(void*) &&
                                  alignof(A) <= alignof(void*) && std::is_trivially_copyable_v<A>;

template <class A>
struct frame_allocator_by_reference {
    static void* allocate(void* state, std::size_t n) {
        return static_cast<A*>(state)->allocate(n);
    }
    static void deallocate(void* state, void* p, std::size_t n) noexcept {
        static_cast<A*>(state)->deallocate(p, n);
    }
    static constexpr frame_allocator_vtable vtable{&allocate, &deallocate,
                                                   is_thread_safe_frame_allocator<A>::value};
};

template <class A>
struct frame_allocator_by_value {
    static A load(void* const& state) noexcept {
        A a;
        std::memcpy(static_cast<void*>(&a), &state, sizeof(A));
        return a;
    }
    static void* allocate(void* state, std::size_t n) { return load(state).allocate(n); }
    static void deallocate(void* state, void* p, std::size_t n) noexcept {
        load(state).deallocate(p, n);
    }
    static constexpr frame_allocator_vtable vtable{&allocate, &deallocate,
                                                   is_thread_safe_frame_allocator<A>::value};
};

struct frame_allocator_pmr {
    static void* allocate(void* state, std::size_t n) {
        return static_cast<container::pmr::memory_resource*>(state)->allocate(
            n, alignof(std::max_align_t));
    }
    static void deallocate(void* state, void* p, std::size_t n) noexcept {
        static_cast<container::pmr::memory_resource*>(state)->deallocate(p, n,
                                                                         alignof(std::max_align_t));
    }
    static constexpr frame_allocator_vtable vtable{&allocate, &deallocate, false};
};

} // namespace detail

/** A type-erased handle to a frame allocator.

    This is what a frame records about the allocator that owns it, and what a
    chain carries as its frame allocator. It is two pointers wide and cheap to
    copy.

    It refers to the allocator it was made from, which must then outlive every
    frame allocated through it (as with `pmr::memory_resource`). An allocator
    that is trivially copyable and no larger than a pointer is stored by value
    when passed as an rvalue (or when it is empty), so a handle made from a
    temporary of such a type is safe.

    The default-constructed handle refers to `frame_pool::shared()`.

    @par Thread Safety
    Distinct objects: safe. Shared objects: `allocate` and `deallocate` are as
    thread-safe as the underlying allocator.
*/
class any_frame_allocator {
public:
    /// Refers to `frame_pool::shared()`.
    any_frame_allocator() noexcept
        : any_frame_allocator(frame_pool::shared()) {}

    /** Refers to an allocator object, which must outlive every frame allocated
        through this handle. A stateless (empty) allocator is copied instead.
    */
    template <frame_allocator A>
    requires(!std::is_same_v<std::remove_cv_t<A>, any_frame_allocator>) any_frame_allocator(A& a)
    noexcept // NOLINT: implicit by design
    {
        if constexpr (std::is_empty_v<A> && detail::is_inline_frame_allocator_v<A>) {
            vt_ = &detail::frame_allocator_by_value<A>::vtable;
        } else {
            vt_ = &detail::frame_allocator_by_reference<A>::vtable;
            state_ = static_cast<void*>(std::addressof(a));
        }
    }

    /** Stores a copy of a small allocator (trivially copyable, no larger than
        a pointer). Larger allocators must be passed as lvalues that outlive
        their frames.
    */
    template <frame_allocator A>
    requires(!std::is_lvalue_reference_v<A> &&
             !std::is_same_v<std::remove_cv_t<A>, any_frame_allocator>) any_frame_allocator(A&& a)
    noexcept // NOLINT: implicit by design
    {
        static_assert(detail::is_inline_frame_allocator_v<A>,
                      "boost::affine: a frame allocator passed by value must be trivially "
                      "copyable and no larger than a pointer; pass an lvalue (or a pointer-like "
                      "handle) to an allocator that outlives every frame it allocates");
        vt_ = &detail::frame_allocator_by_value<A>::vtable;
        std::memcpy(&state_, static_cast<void const*>(std::addressof(a)), sizeof(A));
    }

    /// Refers to a Boost.Container memory resource, which must outlive its frames.
    any_frame_allocator(container::pmr::memory_resource* mr) noexcept // NOLINT
        : vt_(&detail::frame_allocator_pmr::vtable)
        , state_(mr) {
        BOOST_ASSERT_MSG(mr != nullptr, "boost::affine: null pmr::memory_resource*");
    }

    /** Allocates `n` bytes, 16-byte aligned.
        @throws Whatever the underlying allocator throws (`std::bad_alloc`).
    */
    [[nodiscard]] BOOST_FORCEINLINE void* allocate(std::size_t n) const {
        return allocate_from<false>(n);
    }

    /// Gives back `p`, allocated with the same `n`.
    BOOST_FORCEINLINE void deallocate(void* p, std::size_t n) const noexcept {
        if (refers_to_a_frame_pool())
            static_cast<frame_pool*>(state_)->deallocate(p, n);
        else
            vt_->deallocate(state_, p, n);
    }

    /// True if both handles allocate from the same allocator.
    friend bool operator==(any_frame_allocator const& a, any_frame_allocator const& b) noexcept {
        return a.vt_ == b.vt_ && a.state_ == b.state_;
    }

private:
    friend struct detail::frame_allocation_here;
    friend struct detail::frame_allocator_access;

    // `Here`: as frame_pool's (the caller is itself out of line).
    template <bool Here>
    BOOST_FORCEINLINE void* allocate_from(std::size_t n) const {
        if (refers_to_a_frame_pool()) // the usual case, without the indirect call
            return static_cast<frame_pool*>(state_)->allocate_from<Here>(n);
        return vt_->allocate(state_, n);
    }

    bool refers_to_a_frame_pool() const noexcept {
        return vt_ == &detail::frame_allocator_by_reference<frame_pool>::vtable;
    }

    detail::frame_allocator_vtable const* vt_;
    void* state_ = nullptr;
};

static_assert(frame_allocator<any_frame_allocator>);
static_assert(sizeof(any_frame_allocator) == 2 * sizeof(void*));

/** A standard Allocator that takes its memory from a frame allocator.

    This is the allocator the library associates with the handlers it gives
    Asio, so that Asio's own operation storage is recycled by the chain's frame
    allocator too.

    @tparam T The value type.
*/
template <class T = void>
class frame_std_allocator {
public:
    using value_type = T;

    explicit frame_std_allocator(any_frame_allocator a) noexcept
        : a_(a) {}

    template <class U>
    frame_std_allocator(frame_std_allocator<U> const& o) noexcept // NOLINT
        : a_(o.frame_allocator()) {}

    [[nodiscard]] T* allocate(std::size_t n) {
        static_assert(alignof(T) <= 16, "boost::affine: over-aligned type");
        return static_cast<T*>(a_.allocate(n * sizeof(T)));
    }
    void deallocate(T* p, std::size_t n) noexcept { a_.deallocate(p, n * sizeof(T)); }

    any_frame_allocator frame_allocator() const noexcept { return a_; }

    template <class U>
    friend bool operator==(frame_std_allocator const& a, frame_std_allocator<U> const& b) noexcept {
        return a.a_ == b.frame_allocator();
    }

private:
    any_frame_allocator a_;
};

namespace detail {

// Converts whatever a user names as a frame allocator into a handle.
template <class A>
any_frame_allocator to_frame_allocator(A&& a) noexcept {
    using D = std::remove_cvref_t<A>;
    if constexpr (std::is_same_v<D, any_frame_allocator>) {
        return a;
    } else if constexpr (std::is_convertible_v<A, container::pmr::memory_resource*>) {
        return any_frame_allocator(static_cast<container::pmr::memory_resource*>(a));
    } else if constexpr (std::is_pointer_v<D>) {
        static_assert(frame_allocator<std::remove_pointer_t<D>>,
                      "boost::affine: a pointer used as a frame allocator must point to a "
                      "frame_allocator or a pmr::memory_resource");
        return any_frame_allocator(*a);
    } else {
        static_assert(frame_allocator<D>,
                      "boost::affine: not a frame allocator; it needs allocate(n) -> void* and "
                      "deallocate(p, n)");
        return any_frame_allocator(std::forward<A>(a));
    }
}

// A type usable with to_frame_allocator.
template <class A>
concept frame_allocator_like = frame_allocator<std::remove_cvref_t<A>> ||
    std::is_convertible_v<A, container::pmr::memory_resource*> ||
    (std::is_pointer_v<std::remove_cvref_t<A>>&&
         frame_allocator<std::remove_pointer_t<std::remove_cvref_t<A>>>);

// ---------------------------------------------------------------------------
// Frame layout: every frame is preceded by a header that records the handle of
// the allocator that owns it, so it goes back to the right allocator whichever
// thread frees it. 16 bytes keep the frame 16-byte aligned.

struct frame_header {
    any_frame_allocator owner;
};
static_assert(sizeof(frame_header) == 16);

// What the library keeps per thread.
struct thread_state {
    // The allocator of the chain running on this thread; null outside a chain.
    any_frame_allocator const* allocator = nullptr;
    // The last frame handed out on this thread, so a promise can tell whether
    // its own frame came from operator new (P2477's elided(), in the library).
    void* last_frame = nullptr;
    // The environment of the chain running on this thread (environment.hpp).
    void* environment = nullptr;
    // The operation whose initiation runs on this thread (use_affine.hpp), and
    // whether its completion handler ran inside that initiation.
    void* starting_operation = nullptr;
    bool completed_inside_initiation = false;
};

// The only way to the thread state. It is called from coroutine bodies, which
// may resume on another thread. Where the compiler may keep a thread-local's
// address across a suspension (clang 16 does: ThreadSanitizer saw two threads
// write one "thread-local"; detail/config.hpp), it is out of line, with a
// barrier so that two calls are never merged, and every access finds the state
// of the thread it runs on. With GCC it is inline. The variable itself is named
// directly only by functions that are never inlined into a coroutine body
// (allocate_frame with clang).
inline constinit thread_local thread_state tls_thread_state;

#if BOOST_AFFINE_DETAIL_TLS_INLINE
BOOST_FORCEINLINE thread_state& this_thread_state() noexcept {
    return tls_thread_state;
}
#else
BOOST_NOINLINE inline thread_state& this_thread_state() noexcept {
    __asm__ __volatile__("" ::: "memory");
    return tls_thread_state;
}
#endif

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
    this_thread_state().last_frame = frame;
#endif
    return frame;
}

// The allocator of the chain running on this thread, else the default.
inline any_frame_allocator current_frame_allocator() noexcept {
    any_frame_allocator const* cur = this_thread_state().allocator;
    return cur ? *cur : any_frame_allocator();
}

#if BOOST_AFFINE_DETAIL_TLS_INLINE
BOOST_FORCEINLINE void* allocate_frame(std::size_t n) {
    if (any_frame_allocator const* cur = this_thread_state().allocator) [[likely]]
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
    void* allocate(std::size_t n) { return ::operator new (n, std::align_val_t{16}); }
    void deallocate(void* p, std::size_t) noexcept { ::operator delete (p, std::align_val_t{16}); }
};
inline global_heap_allocator global_heap;

struct frame_allocator_access {
    // True if `a` may be called from any thread at any time (is_thread_safe_frame_allocator).
    static bool thread_safe(any_frame_allocator const& a) noexcept { return a.vt_->thread_safe; }
};

// `a` if it may be called from any thread, else the shared pool: for what the library or Asio
// allocates on behalf of a chain where the chain does not run (see allocate_resumption).
inline any_frame_allocator thread_safe_or_shared_pool(any_frame_allocator const& a) noexcept {
    return frame_allocator_access::thread_safe(a) ? a : any_frame_allocator();
}

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

#if BOOST_AFFINE_DETAIL_MAY_ELIDE_FRAMES
// True if `frame` is the frame most recently returned by allocate_frame on this
// thread; consumes the record. Only where frames may be elided: elsewhere
// allocate_frame keeps no record.
inline bool take_frame_allocated(void* frame) noexcept {
    thread_state& state = this_thread_state();
    bool allocated = state.last_frame == frame;
    state.last_frame = nullptr;
    return allocated;
}
#endif

// Makes `a` the current frame allocator of this thread for a scope.
class frame_allocator_scope {
public:
    explicit frame_allocator_scope(any_frame_allocator const* a) noexcept
        : prev_(std::exchange(this_thread_state().allocator, a)) {}
    ~frame_allocator_scope() { this_thread_state().allocator = prev_; }
    frame_allocator_scope(frame_allocator_scope const&) = delete;
    frame_allocator_scope& operator=(frame_allocator_scope const&) = delete;

private:
    any_frame_allocator const* prev_;
};

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

/** Mixin giving a promise type the library's frame allocation: the explicit
    forms first, the chain's current allocator otherwise.
*/
struct frame_allocating_promise {
    BOOST_FORCEINLINE static void* operator new(std::size_t n) { return allocate_frame(n); }

    template <class Alloc, class... Args>
    requires frame_allocator_like<Alloc&>
    static void* operator new(std::size_t n, std::allocator_arg_t, Alloc& a, Args&...) {
        return allocate_frame(n, explicit_frame_allocator(a));
    }

    template <has_frame_allocator Arg0, class... Args>
    static void* operator new(std::size_t n, Arg0& a0, Args&...) {
        return allocate_frame(n, explicit_frame_allocator(a0.get_frame_allocator()));
    }

    template <class Arg0, has_frame_allocator Arg1, class... Args>
    requires(!has_frame_allocator<Arg0> && !std::is_same_v<Arg0, std::allocator_arg_t>) static void*
    operator new(std::size_t n, Arg0&, Arg1& a1, Args&...) {
        return allocate_frame(n, explicit_frame_allocator(a1.get_frame_allocator()));
    }

    // Any other parameter list: the chain's allocator.
    template <class... Args>
    BOOST_FORCEINLINE static void* operator new(std::size_t n, Args&...) {
        return allocate_frame(n);
    }

    BOOST_FORCEINLINE static void operator delete(void* p, std::size_t n) noexcept {
        deallocate_frame(p, n);
    }
};

} // namespace detail
} // namespace boost::affine

#endif
