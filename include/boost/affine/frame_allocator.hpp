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
inline constexpr bool is_inline_frame_allocator_v =
    sizeof(A) <= sizeof(void*) && alignof(A) <= alignof(void*) && std::is_trivially_copyable_v<A>;

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
        requires(!std::is_same_v<std::remove_cv_t<A>, any_frame_allocator>)
    any_frame_allocator(A& a) noexcept // NOLINT: implicit by design
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
                 !std::is_same_v<std::remove_cv_t<A>, any_frame_allocator>)
    any_frame_allocator(A&& a) noexcept // NOLINT: implicit by design
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

/** What `with_allocator` and the explicit allocator parameters of a coroutine
    accept as a frame allocator: a `frame_allocator` (by reference, or by value
    if it is trivially copyable and no larger than a pointer), a pointer to
    one, an `any_frame_allocator`, or a `pmr::memory_resource*`.
*/
template <class A>
concept frame_allocator_like = frame_allocator<std::remove_cvref_t<A>> ||
                               std::is_convertible_v<A, container::pmr::memory_resource*> ||
                               (std::is_pointer_v<std::remove_cvref_t<A>> &&
                                frame_allocator<std::remove_pointer_t<std::remove_cvref_t<A>>>);

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

struct frame_allocator_access {
    // True if `a` may be called from any thread at any time (is_thread_safe_frame_allocator).
    static bool thread_safe(any_frame_allocator const& a) noexcept { return a.vt_->thread_safe; }
};

// `a` if it may be called from any thread, else the shared pool: for what the library or Asio
// allocates on behalf of a chain where the chain does not run (see allocate_resumption).
inline any_frame_allocator thread_safe_or_shared_pool(any_frame_allocator const& a) noexcept {
    return frame_allocator_access::thread_safe(a) ? a : any_frame_allocator();
}

} // namespace detail
} // namespace boost::affine

#endif
