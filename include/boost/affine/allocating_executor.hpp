//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_ALLOCATING_EXECUTOR_HPP
#define BOOST_AFFINE_ALLOCATING_EXECUTOR_HPP

#include <boost/affine/concepts.hpp>
#include <boost/affine/frame_allocator.hpp>
#include <boost/affine/detail/frame_allocation.hpp>
#include <boost/affine/detail/known_executors.hpp>
#include <boost/affine/detail/thread_state.hpp>

#include <boost/asio/execution.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/require.hpp>

#include <atomic>
#include <coroutine>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

namespace boost::affine {

/** An Asio executor that carries a frame allocator (seed 000, approach 4).

    It executes through `Executor` and is usable wherever that is: in
    `any_io_executor`, with `post`, timers and sockets. In addition it is a
    `dispatcher` (`ex(h)` resumes `h` on it) and it has
    `get_frame_allocator()`: a chain started on it with `co_spawn` allocates
    every frame, the internal root included, from that allocator, and so does a
    coroutine that takes it as its first or second parameter. Asio operations
    run through it take their storage from the frame allocator too.

    `FrameAllocator` must be a handle: `any_frame_allocator` (what
    `with_allocator` makes), a pointer, a `pmr::memory_resource*`, or a
    trivially copyable allocator no larger than a pointer. The allocator it
    refers to must outlive every frame allocated from it.

    @tparam Executor The inner Asio executor.
    @tparam FrameAllocator The frame allocator handle.
*/
template <class Executor, class FrameAllocator = any_frame_allocator>
class allocating_executor {
    static_assert(std::is_same_v<FrameAllocator, any_frame_allocator> ||
                      std::is_pointer_v<FrameAllocator> ||
                      detail::is_inline_frame_allocator_v<FrameAllocator>,
                  "boost::affine::allocating_executor: FrameAllocator must be a handle "
                  "(any_frame_allocator, a pointer, or a trivially copyable allocator no larger "
                  "than a pointer); use with_allocator(ex, alloc) to refer to a larger one");

public:
    using inner_executor_type = Executor;
    using frame_allocator_type = FrameAllocator;

    allocating_executor(Executor ex,
                        FrameAllocator a) noexcept(std::is_nothrow_move_constructible_v<Executor>)
        : ex_(std::move(ex))
        , alloc_(a) {}

    /// The inner executor.
    Executor const& get_inner_executor() const noexcept { return ex_; }

    /// The frame allocator.
    FrameAllocator const& get_frame_allocator() const noexcept { return alloc_; }

    /// Dispatcher: resumes `h` inline if already on this executor, else posts it.
    void operator()(std::coroutine_handle<> h) const {
        if (detail::running_in_this_thread(ex_))
            h.resume();
        else
            asio::post(*this, [h] { h.resume(); });
    }

    /// True if the calling thread runs on the inner executor.
    bool running_in_this_thread() const noexcept { return detail::running_in_this_thread(ex_); }

    /// Forwards queries to the inner executor.
    template <class Property>
        requires asio::can_query<Executor const&, Property>::value
    decltype(auto) query(Property const& p) const
        noexcept(asio::is_nothrow_query<Executor const&, Property>::value) {
        return asio::query(ex_, p);
    }

    /// Forwards requirements to the inner executor; the allocator is kept.
    template <class Property>
        requires asio::can_require<Executor const&, Property>::value
    auto require(Property const& p) const {
        using inner = std::decay_t<decltype(asio::require(ex_, p))>;
        return allocating_executor<inner, FrameAllocator>(asio::require(ex_, p), alloc_);
    }

    /// Forwards preferences to the inner executor; the allocator is kept.
    template <class Property>
        requires asio::can_prefer<Executor const&, Property>::value
    auto prefer(Property const& p) const {
        using inner = std::decay_t<decltype(asio::prefer(ex_, p))>;
        return allocating_executor<inner, FrameAllocator>(asio::prefer(ex_, p), alloc_);
    }

    /// Executes `f` on the inner executor, its storage from the frame allocator.
    template <class F>
    void execute(F&& f) const {
        asio::prefer(ex_, asio::execution::allocator(
                              frame_std_allocator<void>(detail::explicit_frame_allocator(alloc_))))
            .execute(std::forward<F>(f));
    }

    friend bool operator==(allocating_executor const& a, allocating_executor const& b) noexcept {
        return a.ex_ == b.ex_ && detail::explicit_frame_allocator(a.alloc_) ==
                                     detail::explicit_frame_allocator(b.alloc_);
    }
    friend bool operator!=(allocating_executor const& a, allocating_executor const& b) noexcept {
        return !(a == b);
    }

private:
    Executor ex_;
    FrameAllocator alloc_;
};

/** Makes an executor that carries a frame allocator.

    @param ex The executor.
    @param alloc A frame allocator (an lvalue, referred to: it must outlive
    every frame allocated from it), a `pmr::memory_resource*`, a pointer to a
    frame allocator, an `any_frame_allocator`, or a temporary of a trivially
    copyable allocator no larger than a pointer (copied).
    @return `allocating_executor<Executor>`.

    @par Example
    @code
    frame_pool pool;
    co_spawn(with_allocator(ioc.get_executor(), pool), [] { return session(); }, detached);
    @endcode
*/
template <class Executor, class FrameAllocator>
    requires frame_allocator_like<FrameAllocator&&>
allocating_executor<Executor> with_allocator(Executor ex, FrameAllocator&& alloc) {
    return allocating_executor<Executor>(
        std::move(ex), detail::to_frame_allocator(std::forward<FrameAllocator>(alloc)));
}

namespace detail {

// The per-context default frame allocator: an Asio service.
class frame_allocator_service : public asio::execution_context::service {
public:
    using key_type = frame_allocator_service;
    static inline asio::execution_context::id id;

    explicit frame_allocator_service(asio::execution_context& ctx)
        : asio::execution_context::service(ctx) {}

    void set(any_frame_allocator a) {
        std::lock_guard<std::mutex> lock(mutex_);
        alloc_ = a;
    }
    std::optional<any_frame_allocator> get() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return alloc_;
    }

private:
    void shutdown() override {}

    mutable std::mutex mutex_;
    std::optional<any_frame_allocator> alloc_;
};

// Set once any context has a default, so spawning elsewhere skips the lookup.
inline std::atomic<bool> any_context_default_{false};

inline std::optional<any_frame_allocator>
context_default_frame_allocator(asio::execution_context& ctx) {
    if (!any_context_default_.load(std::memory_order_acquire))
        return std::nullopt;
    if (!asio::has_service<frame_allocator_service>(ctx))
        return std::nullopt;
    return asio::use_service<frame_allocator_service>(ctx).get();
}

} // namespace detail

/** Sets the default frame allocator of every chain later started (by
    `co_spawn`) on an executor of `ctx`, unless that executor carries its own
    (`with_allocator`).

    @param ctx The execution context.
    @param alloc As for `with_allocator`; it must outlive every frame allocated
    from it (and so, in practice, the context).
    @par Thread Safety Safe to call concurrently with spawning.
*/
template <class FrameAllocator>
    requires frame_allocator_like<FrameAllocator&&>
void set_default_frame_allocator(asio::execution_context& ctx, FrameAllocator&& alloc) {
    asio::use_service<detail::frame_allocator_service>(ctx).set(
        detail::to_frame_allocator(std::forward<FrameAllocator>(alloc)));
    detail::any_context_default_.store(true, std::memory_order_release);
}

/** The frame allocator a chain started on `ex` uses: the one `ex` carries, else
    its context's default, else that of the chain running on this thread, else
    `frame_pool::shared()`.
*/
template <class Executor>
any_frame_allocator frame_allocator_for(Executor const& ex) {
    if constexpr (has_frame_allocator<Executor const>) {
        return detail::explicit_frame_allocator(ex.get_frame_allocator());
    } else {
        if (auto a =
                detail::context_default_frame_allocator(asio::query(ex, asio::execution::context)))
            return *a;
        if (any_frame_allocator const* cur = detail::current_frame_allocator_pointer())
            return *cur;
        return any_frame_allocator();
    }
}

} // namespace boost::affine

#endif
