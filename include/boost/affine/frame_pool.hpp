//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_FRAME_POOL_HPP
#define BOOST_AFFINE_FRAME_POOL_HPP

#include <boost/affine/concepts.hpp>
#include <boost/affine/detail/config.hpp>
#include <boost/affine/detail/frame_pool_core.hpp>

#include <boost/assert.hpp>
#include <boost/config.hpp>

#include <cstddef>
#include <new>

namespace boost::affine {

/** Counters of a @ref frame_pool.

    Obtained from @ref frame_pool::statistics. Values read while other threads allocate or free
    may be slightly stale; they are exact once every thread that used the pool is quiescent (its
    last call happens-before the call to `statistics()`).
*/
struct frame_pool_stats {
    /// `allocate()` calls served since construction, all threads.
    std::size_t allocations;
    /// `deallocate()` calls since construction, all threads.
    std::size_t deallocations;
    /// `allocations - deallocations`: live blocks.
    std::size_t outstanding;
    /// Times memory was taken from upstream: slabs and oversize blocks.
    std::size_t upstream_allocations;
    /// Bytes currently held from upstream (slabs, with their header, and live oversize blocks).
    std::size_t upstream_bytes;
    /// Free blocks currently held by thread caches and the shared depot (best effort).
    std::size_t cached_blocks;
};

/** A recycling pool for coroutine frames.

    Requests of up to @ref max_class_size bytes are rounded up to one of 111 size classes:
    every multiple of 16 bytes from 32 to 1024 (so a frame, which is rarely larger, wastes less
    than 16 bytes), then every multiple of 64 up to 4096. They are served from slabs of
    `options::slab_size` bytes taken from upstream (`::operator new`). Larger requests go to
    upstream directly. Every block is 16-byte aligned.

    Each thread caches free blocks per pool and per class, up to `options::thread_cache_blocks`
    blocks in two batches of half that size. Allocating and freeing touch only that cache (no
    lock, no atomic read-modify-write) until a batch must move to or from the pool's shared
    depot, which takes the pool's mutex once per batch. A block may be freed on any thread: the
    freeing thread caches it, and its surplus goes to the depot where allocating threads take
    it, so a producer/consumer pattern does not grow memory without bound. When a thread exits,
    its caches go back to the depots of the pools that still exist.

    Memory is returned upstream by @ref trim when no block is live or cached, and by the
    destructor.

    @par Thread Safety
    Distinct objects: safe. Shared objects: `allocate`, `deallocate`, `statistics` and `trim`
    are safe to call concurrently.

    @par Example
    @code
    boost::affine::frame_pool pool;
    void* p = pool.allocate(200); // a 208-byte block (the class of 193..208 bytes)
    pool.deallocate(p, 200);      // same size as allocated
    @endcode
*/
class frame_pool {
public:
    /// Any thread may allocate and free (is_thread_safe_frame_allocator).
    static constexpr bool thread_safe = true;

    /// Largest request served from the size classes; larger ones go upstream.
    static constexpr std::size_t max_class_size = detail::frame_pool_max_class;

    /// Construction parameters.
    struct options {
        /// Bytes taken from upstream at a time for small classes (at least `max_class_size`;
        /// rounded down to a multiple of 64).
        std::size_t slab_size = 64 * 1024;
        /// Free blocks a thread caches per size class before surplus moves to the shared depot;
        /// they move in batches of half this number. Below 2, threads cache nothing and every
        /// call takes the pool's mutex.
        std::size_t thread_cache_blocks = 128;
    };

    /** Construct a pool with default options.

        No memory is taken from upstream until the first allocation.

        @throws std::system_error if the process-wide pool registry cannot be locked.
    */
    frame_pool()
        : frame_pool(options{}) {}

    /** Construct a pool.

        @param opts The slab size and thread cache size.

        @throws std::system_error if the process-wide pool registry cannot be locked.
    */
    explicit frame_pool(options opts)
        : core_(opts.slab_size, opts.thread_cache_blocks) {}

    /** Destroy the pool, returning all its memory upstream.

        Caches other threads still hold for this pool become stale and are never touched again.

        @pre No block is live: `statistics().outstanding == 0` (asserted).
    */
    ~frame_pool() {
        BOOST_ASSERT_MSG(statistics().outstanding == 0,
                         "boost::affine::frame_pool destroyed with live blocks");
    }

    frame_pool(frame_pool const&) = delete;
    frame_pool& operator=(frame_pool const&) = delete;

    /** Allocate `n` bytes, 16-byte aligned.

        @par Complexity
        Constant. Usually no lock is taken; once per batch of `thread_cache_blocks / 2` calls
        in the worst case, the pool's mutex is taken and at most one slab is requested upstream.

        @par Exception Safety
        Strong guarantee.

        @param n The number of bytes.

        @return Storage for `n` bytes, to be given back with `deallocate(p, n)`.

        @throws std::bad_alloc if upstream cannot provide memory.
    */
    [[nodiscard]] BOOST_FORCEINLINE void* allocate(std::size_t n) {
        return allocate_from<false>(n);
    }

    /** Give back storage obtained from `allocate(n)`.

        May be called on any thread, including one that never allocated from this pool, and
        from `thread_local` destructors.

        @par Complexity
        Constant. Usually no lock is taken; once per batch of `thread_cache_blocks / 2` calls
        in the worst case, the pool's mutex is taken.

        @param p The storage; `allocate(n)` of this pool returned it.
        @param n The same size as passed to `allocate`.
    */
    BOOST_FORCEINLINE void deallocate(void* p, std::size_t n) noexcept {
        std::size_t const c = detail::frame_pool_class_of(n);
        if (BOOST_LIKELY(c < detail::frame_pool_class_count))
            deallocate_small(p, c);
        else
            core_.deallocate_oversize(p, n);
    }

    /** Return the pool's counters.

        @par Complexity
        Linear in the number of threads that use the pool; takes the pool's mutex.

        @par Thread Safety
        May run concurrently with `allocate` and `deallocate` on other threads; the values are
        then a best-effort snapshot (see @ref frame_pool_stats).
    */
    frame_pool_stats statistics() const noexcept {
        auto const s = core_.stats();
        frame_pool_stats r{};
        r.allocations = s.allocations;
        r.deallocations = s.deallocations;
        r.outstanding = s.allocations >= s.deallocations ? s.allocations - s.deallocations : 0;
        r.upstream_allocations = s.upstream_allocations;
        r.upstream_bytes = s.upstream_bytes;
        std::size_t const small_live =
            r.outstanding >= s.oversize_live ? r.outstanding - s.oversize_live : 0;
        r.cached_blocks = s.carved_blocks >= small_live ? s.carved_blocks - small_live : 0;
        return r;
    }

    /** Give the calling thread's cached blocks back to the pool, then return all slabs
        upstream if no block is live or cached by any thread.

        @par Complexity
        Linear in the number of slabs when they are returned; constant otherwise.
    */
    void trim() noexcept { core_.trim(); }

    /** Return the process-wide default pool.

        The pool is never destroyed, so it may be used during static destruction and from
        `thread_local` destructors.
    */
    static frame_pool& shared() noexcept {
        alignas(frame_pool) static unsigned char storage[sizeof(frame_pool)];
        static frame_pool* const p = ::new (static_cast<void*>(storage)) frame_pool();
        return *p;
    }

private:
    friend class any_frame_allocator;

    // `Here`: the caller is itself out of line (never a coroutine body), so the thread cache is
    // reached inline whatever the compiler (detail/config.hpp).
    template <bool Here>
    BOOST_FORCEINLINE void* allocate_from(std::size_t n) {
        std::size_t const c = detail::frame_pool_class_of(n);
        if (BOOST_LIKELY(c < detail::frame_pool_class_count)) {
            if constexpr (Here)
                return core_.allocate_small(c);
            else
                return allocate_small(c);
        }
        return core_.allocate_oversize(n);
    }

    // The size class is computed inline (a frame's size is a constant, so it folds); the rest
    // reads thread-locals, so it is out of line where the compiler may keep a thread-local's
    // address across a coroutine's suspension (clang; see detail/config.hpp): these are called
    // from coroutine bodies, which may resume on another thread.
    BOOST_AFFINE_DETAIL_TLS_ACCESS void* allocate_small(std::size_t c) {
        return core_.allocate_small(c);
    }
    BOOST_AFFINE_DETAIL_TLS_ACCESS void deallocate_small(void* p, std::size_t c) noexcept {
        core_.deallocate_small(p, c);
    }

    detail::frame_pool_core core_;
};

static_assert(frame_allocator<frame_pool>);

} // namespace boost::affine

#endif
