//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_DETAIL_FRAME_POOL_CORE_HPP
#define BOOST_AFFINE_DETAIL_FRAME_POOL_CORE_HPP

#include <boost/config.hpp>

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>

// Layout of the pool (see frame_pool.hpp for the user's view):
//
// - Small requests (up to 4096 bytes) are rounded up to one of 111 classes: every multiple of
//   16 bytes from 32 to 1024 (a frame wastes less than 16 bytes; 32 holds a free block's links),
//   then every multiple of 64 up to 4096. Blocks are carved from slabs of `slab_size` bytes
//   (64-byte aligned), so every small block is 16-byte aligned.
// - Each thread has, per pool it uses, a record: per class a "current" free
//   list of at most B = thread_cache_blocks / 2 blocks and one full "spare"
//   list of exactly B blocks (the two-magazine scheme). Allocation pops the
//   current list; freeing pushes it. Only when the current list is empty or
//   full does a thread swap magazines, and only when both are empty or full
//   does it take the pool's mutex, to move one whole batch of B blocks from or
//   to the pool's depot in O(1) (no list walking: a batch is a chain whose
//   first block records the next batch and its own length).
// - The depot is refilled from slabs; each refill carves at most B blocks.
// - A thread's records are given back to their pools when the thread exits;
//   pools are found through a registry keyed by a 64-bit id that is never
//   reused, so a record of a destroyed pool is never followed.

namespace boost::affine::detail {

/// Requests up to this size are rounded up to a multiple of frame_pool_fine_step.
inline constexpr std::size_t frame_pool_fine_limit = 1024;
inline constexpr std::size_t frame_pool_fine_step = 16;
/// Above frame_pool_fine_limit, requests are rounded up to a multiple of this.
inline constexpr std::size_t frame_pool_coarse_step = 64;
/// Size of the smallest class: a free block's links (frame_pool_block) must fit.
inline constexpr std::size_t frame_pool_min_class = 32;
/// Size of the largest class; larger requests go upstream.
inline constexpr std::size_t frame_pool_max_class = 4096;
/// Classes of the fine range: 32, 48, ..., 1024.
inline constexpr std::size_t frame_pool_fine_classes =
    (frame_pool_fine_limit - frame_pool_min_class) / frame_pool_fine_step + 1;
/// Number of small size classes.
inline constexpr std::size_t frame_pool_class_count =
    frame_pool_fine_classes +
    (frame_pool_max_class - frame_pool_fine_limit) / frame_pool_coarse_step;
/// Alignment of slabs, and header reserved at the start of each.
inline constexpr std::size_t frame_pool_slab_align = 64;
/// Number of pools a thread caches blocks for at once.
inline constexpr std::size_t frame_pool_thread_slots = 4;

/// Size class of a request of `n` bytes; `>= frame_pool_class_count` when oversize. A request
/// of 0 bytes gets the smallest class. Frame sizes are constants, so for a frame this folds.
constexpr std::size_t frame_pool_class_of(std::size_t n) noexcept {
    if (n <= frame_pool_fine_limit)
        return n <= frame_pool_min_class
                   ? 0
                   : (n - frame_pool_min_class - 1) / frame_pool_fine_step + 1;
    return (n - frame_pool_fine_limit - 1) / frame_pool_coarse_step + frame_pool_fine_classes;
}

constexpr std::size_t frame_pool_class_size(std::size_t c) noexcept {
    return c < frame_pool_fine_classes
               ? frame_pool_min_class + frame_pool_fine_step * c
               : frame_pool_fine_limit + frame_pool_coarse_step * (c - frame_pool_fine_classes + 1);
}

static_assert(frame_pool_fine_classes == 63 && frame_pool_class_count == 111);
static_assert(frame_pool_class_of(0) == 0 && frame_pool_class_of(1) == 0);
static_assert(frame_pool_class_of(32) == 0 && frame_pool_class_of(33) == 1);
static_assert(frame_pool_class_size(1) == 48 && frame_pool_class_of(48) == 1);
static_assert(frame_pool_class_of(1024) == 62 && frame_pool_class_size(62) == 1024);
static_assert(frame_pool_class_of(1025) == 63 && frame_pool_class_size(63) == 1088);
static_assert(frame_pool_class_of(frame_pool_max_class) == frame_pool_class_count - 1);
static_assert(frame_pool_class_size(frame_pool_class_count - 1) == frame_pool_max_class);
static_assert(frame_pool_class_of(frame_pool_max_class + 1) == frame_pool_class_count);
static_assert(frame_pool_class_of(~std::size_t(0)) >= frame_pool_class_count);
// Every class holds its requests, and the one below does not.
static_assert([] {
    for (std::size_t n = 1; n <= frame_pool_max_class; ++n) {
        std::size_t const c = frame_pool_class_of(n);
        if (frame_pool_class_size(c) < n || (c != 0 && frame_pool_class_size(c - 1) >= n))
            return false;
    }
    return true;
}());

/// A free block. Every block of a list records the length of the list from itself on
/// (`batch_count`), so a list's length is its head's, with no counter to keep per list; the
/// first block of a depot batch also records the next batch.
struct frame_pool_block {
    frame_pool_block* next;
    frame_pool_block* next_batch;
    std::size_t batch_count;
};

/// Length of the list that starts at `head`.
BOOST_FORCEINLINE std::size_t frame_pool_length(frame_pool_block const* head) noexcept {
    return head ? head->batch_count : 0;
}

static_assert(sizeof(frame_pool_block) <= frame_pool_min_class);
static_assert(frame_pool_slab_align % frame_pool_fine_step == 0);

/// Increment a counter that only the calling thread writes: no read-modify-write.
BOOST_FORCEINLINE void frame_pool_bump(std::atomic<std::size_t>& c) noexcept {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

/// One size class of a thread's cache.
struct frame_pool_magazine {
    frame_pool_block* head = nullptr;  // current list, of at most `batch` blocks
    frame_pool_block* spare = nullptr; // a full list of exactly `batch` blocks, or null
};

class frame_pool_core;

/// What one thread caches for one pool. Owned by the thread; linked into the pool's list of
/// records (under the pool's mutex) so that statistics() can read the counters.
struct frame_pool_record {
    std::uint64_t pool_id = 0; // 0: empty slot; ids start at 1
    frame_pool_magazine classes[frame_pool_class_count] = {};
    std::atomic<std::size_t> allocations{0};   // written by the owning thread only
    std::atomic<std::size_t> deallocations{0}; // written by the owning thread only
    frame_pool_record* prev = nullptr;         // guarded by the pool's mutex
    frame_pool_record* next = nullptr;         // guarded by the pool's mutex
};

/// Never matches a pool: the fast path needs no null test.
inline frame_pool_record frame_pool_no_record{};

/// The calling thread's most recently used record (fast path). Constant-initialised, so reading
/// it needs no TLS wrapper call.
inline constinit thread_local frame_pool_record* frame_pool_tls_mru = &frame_pool_no_record;

/// 0: the thread's cache has not been built; 1: alive; 2: destroyed (thread exiting). In state 2
/// the pools serve the thread under their mutex.
inline constinit thread_local unsigned char frame_pool_tls_state = 0;

/// Process-wide list of live pools, never destroyed (usable during static destruction).
struct frame_pool_registry {
    std::mutex mutex;
    frame_pool_core* head = nullptr;

    static frame_pool_registry& instance() noexcept {
        alignas(frame_pool_registry) static unsigned char storage[sizeof(frame_pool_registry)];
        static frame_pool_registry* const r =
            ::new (static_cast<void*>(storage)) frame_pool_registry();
        return *r;
    }

    inline frame_pool_core* find(std::uint64_t id) const noexcept;
};

inline std::atomic<std::uint64_t> frame_pool_next_id{1};

/// A thread's table of records, one per pool it uses (most recently used first).
struct frame_pool_thread_cache {
    frame_pool_record records[frame_pool_thread_slots];
    frame_pool_record* order[frame_pool_thread_slots];

    frame_pool_thread_cache() noexcept {
        for (std::size_t i = 0; i != frame_pool_thread_slots; ++i)
            order[i] = &records[i];
        frame_pool_tls_state = 1;
    }

    inline ~frame_pool_thread_cache();

    frame_pool_thread_cache(frame_pool_thread_cache const&) = delete;
    frame_pool_thread_cache& operator=(frame_pool_thread_cache const&) = delete;

    /// The record for `pool`, or null.
    frame_pool_record* find(std::uint64_t id) noexcept {
        for (frame_pool_record* r : order)
            if (r->pool_id == id)
                return r;
        return nullptr;
    }

    /// The record for `pool`, created if needed, made the most recently used one.
    inline frame_pool_record& acquire(frame_pool_core& pool) noexcept;

    /// Give `r`'s blocks and counters back to its pool if that pool still exists; empty `r`.
    static inline void retire(frame_pool_record& r) noexcept;
};

inline thread_local frame_pool_thread_cache frame_pool_tls_cache;

/// The pool proper; frame_pool is a thin public face over it.
class frame_pool_core {
public:
    std::uint64_t const id_;
    std::size_t const batch_;      // blocks per magazine / depot batch; 0: no thread cache
    std::size_t const slab_bytes_; // usable bytes per slab

    frame_pool_core(std::size_t slab_size, std::size_t thread_cache_blocks)
        : id_(frame_pool_next_id.fetch_add(1, std::memory_order_relaxed))
        , batch_(thread_cache_blocks / 2)
        , slab_bytes_(round_slab(slab_size)) {
        auto& reg = frame_pool_registry::instance();
        std::lock_guard<std::mutex> g(reg.mutex);
        reg_next_ = reg.head;
        if (reg.head)
            reg.head->reg_prev_ = this;
        reg.head = this;
    }

    ~frame_pool_core() {
        {
            auto& reg = frame_pool_registry::instance();
            std::lock_guard<std::mutex> g(reg.mutex);
            (reg_prev_ ? reg_prev_->reg_next_ : reg.head) = reg_next_;
            if (reg_next_)
                reg_next_->reg_prev_ = reg_prev_;
        }
        // Records of this pool still held by threads are now stale: their id is no longer in
        // the registry, so nobody follows them into the slabs freed here.
        release_slabs();
    }

    frame_pool_core(frame_pool_core const&) = delete;
    frame_pool_core& operator=(frame_pool_core const&) = delete;

    // Requests of size class `c` < frame_pool_class_count; frame_pool::allocate computes the
    // class and sends larger requests to allocate_oversize. These read thread-locals: frame_pool
    // calls them out of line where thread-locals must be (detail/config.hpp), after computing
    // the class inline, where a frame's constant size folds it.
    BOOST_FORCEINLINE void* allocate_small(std::size_t c) {
        frame_pool_record* const r = frame_pool_tls_mru;
        if (BOOST_LIKELY(r->pool_id == id_)) {
            frame_pool_magazine& m = r->classes[c];
            if (frame_pool_block* const b = m.head; BOOST_LIKELY(b != nullptr)) {
                m.head = b->next;
                frame_pool_bump(r->allocations);
                return b;
            }
        }
        return allocate_small_slow(c);
    }

    BOOST_FORCEINLINE void deallocate_small(void* p, std::size_t c) noexcept {
        frame_pool_record* const r = frame_pool_tls_mru;
        if (BOOST_LIKELY(r->pool_id == id_)) {
            frame_pool_magazine& m = r->classes[c];
            std::size_t const n = frame_pool_length(m.head);
            if (BOOST_LIKELY(n < batch_)) {
                auto* const b = ::new (p) frame_pool_block;
                b->next = m.head;
                b->batch_count = n + 1;
                m.head = b;
                frame_pool_bump(r->deallocations);
                return;
            }
        }
        deallocate_small_slow(p, c);
    }

    BOOST_NOINLINE void* allocate_oversize(std::size_t n) {
        void* const p = upstream_new(n);
        upstream_allocations_.fetch_add(1, std::memory_order_relaxed);
        upstream_bytes_.fetch_add(n, std::memory_order_relaxed);
        oversize_live_.fetch_add(1, std::memory_order_relaxed);
        extra_allocations_.fetch_add(1, std::memory_order_relaxed);
        return p;
    }

    BOOST_NOINLINE void deallocate_oversize(void* p, std::size_t n) noexcept {
        upstream_delete(p);
        upstream_bytes_.fetch_sub(n, std::memory_order_relaxed);
        oversize_live_.fetch_sub(1, std::memory_order_relaxed);
        extra_deallocations_.fetch_add(1, std::memory_order_relaxed);
    }

    struct snapshot {
        std::size_t allocations;
        std::size_t deallocations;
        std::size_t upstream_allocations;
        std::size_t upstream_bytes;
        std::size_t oversize_live;
        std::size_t carved_blocks;
    };

    snapshot stats() const noexcept {
        snapshot s{};
        std::lock_guard<std::mutex> g(mutex_);
        s.allocations = extra_allocations_.load(std::memory_order_relaxed);
        s.deallocations = extra_deallocations_.load(std::memory_order_relaxed);
        for (frame_pool_record const* r = records_; r; r = r->next) {
            s.allocations += r->allocations.load(std::memory_order_relaxed);
            s.deallocations += r->deallocations.load(std::memory_order_relaxed);
        }
        s.upstream_allocations = upstream_allocations_.load(std::memory_order_relaxed);
        s.upstream_bytes = upstream_bytes_.load(std::memory_order_relaxed);
        s.oversize_live = oversize_live_.load(std::memory_order_relaxed);
        s.carved_blocks = carved_blocks_;
        return s;
    }

    void trim() noexcept {
        if (frame_pool_tls_state == 1) {
            if (frame_pool_record* r = frame_pool_tls_cache.find(id_)) {
                std::lock_guard<std::mutex> g(mutex_);
                flush_locked(*r);
            }
        }
        std::lock_guard<std::mutex> g(mutex_);
        // Every carved block is in the depot: no block is live or cached by a thread, so the
        // slabs can go back upstream.
        if (depot_blocks_ == carved_blocks_)
            release_slabs();
    }

private:
    friend struct frame_pool_thread_cache;
    friend struct frame_pool_registry;

    static std::size_t round_slab(std::size_t n) noexcept {
        if (n < frame_pool_max_class)
            n = frame_pool_max_class;
        return n / frame_pool_slab_align * frame_pool_slab_align;
    }

    static void* upstream_new(std::size_t n) {
        if constexpr (__STDCPP_DEFAULT_NEW_ALIGNMENT__ >= 16)
            return ::operator new(n);
        else
            return ::operator new(n, std::align_val_t{16});
    }

    // Unsized: clang does not enable sized deallocation by default.
    static void upstream_delete(void* p) noexcept {
        if constexpr (__STDCPP_DEFAULT_NEW_ALIGNMENT__ >= 16)
            ::operator delete(p);
        else
            ::operator delete(p, std::align_val_t{16});
    }

    /// The calling thread's record for this pool, or null when the thread's cache is gone
    /// (thread_local destructors running) or caching is disabled.
    frame_pool_record* this_thread_record() noexcept {
        if (frame_pool_tls_state == 2 || batch_ == 0)
            return nullptr;
        return &frame_pool_tls_cache.acquire(*this);
    }

    BOOST_NOINLINE void* allocate_small_slow(std::size_t c) {
        frame_pool_record* const r = this_thread_record();
        if (!r) {
            void* p;
            {
                std::lock_guard<std::mutex> g(mutex_);
                p = take_one_locked(c);
            }
            extra_allocations_.fetch_add(1, std::memory_order_relaxed);
            return p;
        }
        frame_pool_magazine& m = r->classes[c];
        if (!m.head) {
            if (m.spare) {
                m.head = m.spare;
                m.spare = nullptr;
            } else {
                refill(m, c);
            }
        }
        frame_pool_block* const b = m.head;
        m.head = b->next;
        frame_pool_bump(r->allocations);
        return b;
    }

    BOOST_NOINLINE void deallocate_small_slow(void* p, std::size_t c) noexcept {
        frame_pool_record* const r = this_thread_record();
        auto* const b = ::new (p) frame_pool_block;
        if (!r) {
            b->next = nullptr;
            {
                std::lock_guard<std::mutex> g(mutex_);
                push_batch_locked(c, b, 1);
            }
            extra_deallocations_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        frame_pool_magazine& m = r->classes[c];
        std::size_t n = frame_pool_length(m.head);
        if (n == batch_) {
            // Current list full: it becomes the spare; a full spare goes to the depot.
            if (m.spare) {
                std::lock_guard<std::mutex> g(mutex_);
                push_batch_locked(c, m.spare, batch_);
            }
            m.spare = m.head;
            m.head = nullptr;
            n = 0;
        }
        b->batch_count = n + 1;
        b->next = m.head;
        m.head = b;
        frame_pool_bump(r->deallocations);
    }

    /// Fill the empty current list of class `c`: one batch from the depot, else carved.
    void refill(frame_pool_magazine& m, std::size_t c) {
        std::size_t const size = frame_pool_class_size(c);
        char* fresh = nullptr;
        std::size_t n = 0;
        {
            std::lock_guard<std::mutex> g(mutex_);
            if (frame_pool_block* const b = depot_[c]) {
                depot_[c] = b->next_batch;
                depot_blocks_ -= b->batch_count;
                m.head = b;
                return;
            }
            n = carve_locked(c, batch_, fresh);
        }
        // The range is ours: link it outside the lock.
        frame_pool_block* head = nullptr;
        for (std::size_t i = n; i-- != 0;) {
            auto* const b = ::new (static_cast<void*>(fresh + i * size)) frame_pool_block;
            b->next = head;
            b->batch_count = n - i;
            head = b;
        }
        m.head = head;
    }

    /// Reserve up to `want` (>= 1) fresh blocks of class `c`; returns how many (>= 1).
    std::size_t carve_locked(std::size_t c, std::size_t want, char*& out) {
        std::size_t const size = frame_pool_class_size(c);
        if (static_cast<std::size_t>(bump_end_ - bump_) < size)
            new_slab_locked(c);
        std::size_t n = static_cast<std::size_t>(bump_end_ - bump_) / size;
        if (n > want)
            n = want;
        out = bump_;
        bump_ += n * size;
        carved_blocks_ += n;
        return n;
    }

    void new_slab_locked(std::size_t c) {
        // The current slab's tail is smaller than class c: give it to smaller classes, the
        // largest that fits first (a tail is a multiple of 16 bytes, so at most 16 are lost).
        std::size_t rest = static_cast<std::size_t>(bump_end_ - bump_);
        for (std::size_t k = c; k-- != 0;) {
            std::size_t const size = frame_pool_class_size(k);
            if (rest >= size) {
                auto* const b = ::new (static_cast<void*>(bump_)) frame_pool_block;
                b->next = nullptr;
                push_batch_locked(k, b, 1);
                ++carved_blocks_;
                bump_ += size;
                rest -= size;
            }
        }
        std::size_t const bytes = frame_pool_slab_align + slab_bytes_;
        char* const s =
            static_cast<char*>(::operator new(bytes, std::align_val_t{frame_pool_slab_align}));
        *::new (static_cast<void*>(s)) char* = slabs_;
        slabs_ = s;
        upstream_allocations_.fetch_add(1, std::memory_order_relaxed);
        upstream_bytes_.fetch_add(bytes, std::memory_order_relaxed);
        bump_ = s + frame_pool_slab_align;
        bump_end_ = bump_ + slab_bytes_;
    }

    void release_slabs() noexcept {
        std::size_t const bytes = frame_pool_slab_align + slab_bytes_;
        while (char* const s = slabs_) {
            slabs_ = *reinterpret_cast<char**>(s);
            ::operator delete(s, std::align_val_t{frame_pool_slab_align});
            upstream_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
        }
        for (auto& d : depot_)
            d = nullptr;
        depot_blocks_ = 0;
        carved_blocks_ = 0;
        bump_ = bump_end_ = nullptr;
    }

    void push_batch_locked(std::size_t c, frame_pool_block* b, std::size_t n) noexcept {
        b->next_batch = depot_[c];
        b->batch_count = n;
        depot_[c] = b;
        depot_blocks_ += n;
    }

    /// One block for a thread without a cache.
    void* take_one_locked(std::size_t c) {
        if (frame_pool_block* const b = depot_[c]) {
            if (b->batch_count > 1) {
                frame_pool_block* const nb = b->next;
                nb->next_batch = b->next_batch;
                nb->batch_count = b->batch_count - 1;
                depot_[c] = nb;
            } else {
                depot_[c] = b->next_batch;
            }
            --depot_blocks_;
            return b;
        }
        char* p = nullptr;
        carve_locked(c, 1, p);
        return p;
    }

    /// Move everything `r` caches into the depot.
    void flush_locked(frame_pool_record& r) noexcept {
        for (std::size_t c = 0; c != frame_pool_class_count; ++c) {
            frame_pool_magazine& m = r.classes[c];
            if (m.head)
                push_batch_locked(c, m.head, frame_pool_length(m.head));
            if (m.spare)
                push_batch_locked(c, m.spare, batch_);
            m = frame_pool_magazine{};
        }
    }

    void link_locked(frame_pool_record& r) noexcept {
        r.prev = nullptr;
        r.next = records_;
        if (records_)
            records_->prev = &r;
        records_ = &r;
    }

    void unlink_locked(frame_pool_record& r) noexcept {
        (r.prev ? r.prev->next : records_) = r.next;
        if (r.next)
            r.next->prev = r.prev;
        r.prev = r.next = nullptr;
        // Counters of a retired record live on in the pool's totals.
        extra_allocations_.fetch_add(r.allocations.load(std::memory_order_relaxed),
                                     std::memory_order_relaxed);
        extra_deallocations_.fetch_add(r.deallocations.load(std::memory_order_relaxed),
                                       std::memory_order_relaxed);
    }

    mutable std::mutex mutex_;
    // Guarded by mutex_.
    frame_pool_block* depot_[frame_pool_class_count] = {};
    std::size_t depot_blocks_ = 0;
    std::size_t carved_blocks_ = 0;
    char* bump_ = nullptr;
    char* bump_end_ = nullptr;
    char* slabs_ = nullptr;
    frame_pool_record* records_ = nullptr;
    // Read-modify-write on slow paths only.
    std::atomic<std::size_t> extra_allocations_{0};
    std::atomic<std::size_t> extra_deallocations_{0};
    std::atomic<std::size_t> upstream_allocations_{0};
    std::atomic<std::size_t> upstream_bytes_{0};
    std::atomic<std::size_t> oversize_live_{0};
    // Guarded by the registry's mutex.
    frame_pool_core* reg_prev_ = nullptr;
    frame_pool_core* reg_next_ = nullptr;
};

inline frame_pool_core* frame_pool_registry::find(std::uint64_t id) const noexcept {
    for (frame_pool_core* p = head; p; p = p->reg_next_)
        if (p->id_ == id)
            return p;
    return nullptr;
}

inline frame_pool_thread_cache::~frame_pool_thread_cache() {
    // From here on, pools serve this thread under their mutex.
    frame_pool_tls_state = 2;
    frame_pool_tls_mru = &frame_pool_no_record;
    for (frame_pool_record& r : records)
        if (r.pool_id != 0)
            retire(r);
}

inline void frame_pool_thread_cache::retire(frame_pool_record& r) noexcept {
    auto& reg = frame_pool_registry::instance();
    {
        // Holding the registry's mutex keeps the pool alive while we give it back its blocks.
        std::lock_guard<std::mutex> g(reg.mutex);
        if (frame_pool_core* const p = reg.find(r.pool_id)) {
            std::lock_guard<std::mutex> g2(p->mutex_);
            p->flush_locked(r);
            p->unlink_locked(r);
        }
    }
    // A record of a destroyed pool points into freed slabs: drop it without touching them.
    r.pool_id = 0;
    for (auto& m : r.classes)
        m = frame_pool_magazine{};
    r.allocations.store(0, std::memory_order_relaxed);
    r.deallocations.store(0, std::memory_order_relaxed);
}

inline frame_pool_record& frame_pool_thread_cache::acquire(frame_pool_core& pool) noexcept {
    std::size_t i = 0;
    while (i != frame_pool_thread_slots && order[i]->pool_id != pool.id_)
        ++i;
    if (i == frame_pool_thread_slots) {
        // Not cached: take an empty slot, else evict the least recently used one.
        i = frame_pool_thread_slots - 1;
        for (std::size_t j = 0; j != frame_pool_thread_slots; ++j)
            if (order[j]->pool_id == 0) {
                i = j;
                break;
            }
        frame_pool_record& r = *order[i];
        if (r.pool_id != 0)
            retire(r);
        r.pool_id = pool.id_;
        std::lock_guard<std::mutex> g(pool.mutex_);
        pool.link_locked(r);
    }
    frame_pool_record* const r = order[i];
    for (; i != 0; --i)
        order[i] = order[i - 1];
    order[0] = r;
    frame_pool_tls_mru = r;
    return *r;
}

} // namespace boost::affine::detail

#endif
