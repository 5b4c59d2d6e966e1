//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Test that header file is self-contained.
#include <boost/affine/frame_pool.hpp>
#define BOOST_TEST_MODULE frame_pool
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <vector>

namespace affine = boost::affine;

namespace {

static_assert(affine::frame_allocator<affine::frame_pool>);

// The size classes, one request size per class, and oversize ones.
std::size_t const sizes[] = {1,   16,   48,   64,   65,   100,  128,  200,  256,   300,  512,
                             600, 1024, 1500, 2048, 3000, 4096, 4097, 5000, 10000, 65536};

std::vector<void*> allocate_n(affine::frame_pool& pool, std::size_t count, std::size_t n) {
    std::vector<void*> v;
    v.reserve(count);
    for (std::size_t i = 0; i != count; ++i)
        v.push_back(pool.allocate(n));
    return v;
}

void deallocate_all(affine::frame_pool& pool, std::vector<void*> const& v, std::size_t n) {
    for (void* p : v)
        pool.deallocate(p, n);
}

// A one-shot event between two threads.
class event {
public:
    void set() {
        std::lock_guard<std::mutex> g(m_);
        set_ = true;
        cv_.notify_all();
    }
    void wait() {
        std::unique_lock<std::mutex> l(m_);
        cv_.wait(l, [this] { return set_; });
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    bool set_ = false;
};

} // namespace

BOOST_AUTO_TEST_CASE(blocks_are_16_byte_aligned) {
    affine::frame_pool pool;
    std::vector<std::pair<void*, std::size_t>> live;
    for (int round = 0; round != 3; ++round)
        for (std::size_t n : sizes) {
            void* p = pool.allocate(n);
            BOOST_TEST(reinterpret_cast<std::uintptr_t>(p) % 16 == 0u, "size " << n);
            std::memset(p, 0xA5, n); // the whole block is usable
            live.emplace_back(p, n);
        }
    for (auto [p, n] : live)
        pool.deallocate(p, n);
    BOOST_TEST(pool.statistics().outstanding == 0u);
}

BOOST_AUTO_TEST_CASE(freed_block_is_reused_on_same_thread) {
    affine::frame_pool pool;
    for (std::size_t n : {24u, 64u, 100u, 256u, 1000u, 4096u}) {
        void* p = pool.allocate(n);
        pool.deallocate(p, n);
        void* q = pool.allocate(n);
        BOOST_TEST(q == p, "size " << n);
        pool.deallocate(q, n);
    }
    // Sizes in the same class share blocks; the next class does not. Classes are 16 bytes
    // apart up to 1024 (193..208 is one), then 64 apart (1025..1088 is one).
    for (auto [lo, hi] : {std::pair<std::size_t, std::size_t>{193, 208}, {1025, 1088}}) {
        void* p = pool.allocate(lo);
        pool.deallocate(p, lo);
        void* q = pool.allocate(hi);
        BOOST_TEST(q == p, lo << ".." << hi);
        pool.deallocate(q, hi);
        void* r = pool.allocate(hi + 1);
        BOOST_TEST(r != p, hi + 1);
        pool.deallocate(r, hi + 1);
    }
}

BOOST_AUTO_TEST_CASE(blocks_of_a_class_are_as_far_apart_as_its_size) {
    // A fresh pool carves consecutive blocks of one class from a slab: the distance between
    // two of them is the class size, so a 144-byte frame costs 144 bytes, not 192.
    for (auto [n, block] : {std::pair<std::size_t, std::ptrdiff_t>{1, 32},
                            {136, 144},
                            {144, 144},
                            {1000, 1008},
                            {1025, 1088}}) {
        affine::frame_pool pool;
        char* a = static_cast<char*>(pool.allocate(n));
        char* b = static_cast<char*>(pool.allocate(n));
        std::ptrdiff_t const d = a > b ? a - b : b - a;
        BOOST_TEST(d == block, "size " << n);
        pool.deallocate(a, n);
        pool.deallocate(b, n);
    }
}

BOOST_AUTO_TEST_CASE(frame_freed_on_another_thread_is_reused) {
    affine::frame_pool::options opts;
    opts.thread_cache_blocks = 8;
    affine::frame_pool pool(opts);
    std::size_t const count = 1000;
    std::vector<void*> const first = allocate_n(pool, count, 256);
    std::size_t const upstream = pool.statistics().upstream_allocations;

    event freed, done;
    std::thread consumer([&] {
        deallocate_all(pool, first, 256);
        freed.set();
        done.wait(); // stay alive: the blocks must be reusable without the thread exiting
    });
    freed.wait();

    // The consumer keeps at most thread_cache_blocks; the rest went to the depot.
    std::vector<void*> const second = allocate_n(pool, count - opts.thread_cache_blocks, 256);
    BOOST_TEST(pool.statistics().upstream_allocations == upstream);
    std::set<void*> const old(first.begin(), first.end());
    std::size_t reused = 0;
    for (void* p : second)
        reused += old.count(p);
    // All but the blocks the allocating thread had cached before come from the consumer.
    BOOST_TEST(reused >= second.size() - opts.thread_cache_blocks);
    done.set();
    consumer.join();
    deallocate_all(pool, second, 256);
    BOOST_TEST(pool.statistics().outstanding == 0u);
}

BOOST_AUTO_TEST_CASE(cross_thread_frees_do_not_grow_memory_without_bound) {
    affine::frame_pool pool;
    std::size_t const total = 1000000;
    std::size_t const batch = 1000;
    std::size_t const max_in_flight = 4;
    std::size_t const n = 256;

    std::mutex m;
    std::condition_variable cv;
    std::deque<std::vector<void*>> queue;
    bool finished = false;

    std::thread consumer([&] {
        for (;;) {
            std::vector<void*> v;
            {
                std::unique_lock<std::mutex> l(m);
                cv.wait(l, [&] { return finished || !queue.empty(); });
                if (queue.empty())
                    return;
                v = std::move(queue.front());
                queue.pop_front();
            }
            cv.notify_all();
            deallocate_all(pool, v, n);
        }
    });

    std::size_t peak = 0;
    for (std::size_t sent = 0; sent < total; sent += batch) {
        std::vector<void*> v = allocate_n(pool, batch, n);
        {
            std::unique_lock<std::mutex> l(m);
            cv.wait(l, [&] { return queue.size() < max_in_flight; });
            queue.push_back(std::move(v));
        }
        cv.notify_all();
        peak = std::max(peak, pool.statistics().upstream_bytes);
    }
    {
        std::lock_guard<std::mutex> g(m);
        finished = true;
    }
    cv.notify_all();
    consumer.join();

    auto const s = pool.statistics();
    BOOST_TEST(s.allocations == total);
    BOOST_TEST(s.deallocations == total);
    BOOST_TEST(s.outstanding == 0u);
    // At most (max_in_flight + 2) batches are live at once (queued, being freed, being
    // allocated); allow as much again for the caches and slab rounding. Without recycling,
    // this would be total * n = 256 MB.
    std::size_t const bound = 2 * (max_in_flight + 2) * batch * n + 4 * 65536;
    BOOST_TEST_MESSAGE("peak upstream bytes: " << peak << " (bound " << bound << ")");
    BOOST_TEST(peak <= bound);
    BOOST_TEST(s.upstream_bytes <= bound);
}

BOOST_AUTO_TEST_CASE(exiting_thread_cache_is_reused) {
    affine::frame_pool pool;
    std::size_t const count = 100; // fewer than thread_cache_blocks: all stay in its cache
    std::vector<void*> blocks;
    std::thread t([&] {
        blocks = allocate_n(pool, count, 512);
        deallocate_all(pool, blocks, 512);
    });
    t.join();
    auto const before = pool.statistics();
    BOOST_TEST(before.cached_blocks >= count);

    // Everything the thread cached is available here, without going upstream.
    std::vector<void*> const again = allocate_n(pool, before.cached_blocks, 512);
    BOOST_TEST(pool.statistics().upstream_allocations == before.upstream_allocations);
    std::set<void*> const now(again.begin(), again.end());
    std::size_t reused = 0;
    for (void* p : blocks)
        reused += now.count(p);
    BOOST_TEST(reused == count);
    deallocate_all(pool, again, 512);
}

BOOST_AUTO_TEST_CASE(statistics_count_every_call) {
    affine::frame_pool pool;
    auto s = pool.statistics();
    BOOST_TEST(s.allocations == 0u);
    BOOST_TEST(s.deallocations == 0u);
    BOOST_TEST(s.upstream_allocations == 0u);
    BOOST_TEST(s.upstream_bytes == 0u);
    BOOST_TEST(s.cached_blocks == 0u);

    std::vector<std::pair<void*, std::size_t>> live;
    for (std::size_t n : sizes)
        live.emplace_back(pool.allocate(n), n);
    s = pool.statistics();
    BOOST_TEST(s.allocations == std::size(sizes));
    BOOST_TEST(s.deallocations == 0u);
    BOOST_TEST(s.outstanding == std::size(sizes));

    // Frees on two other threads, one of which never allocated.
    std::thread t1([&] {
        for (std::size_t i = 0; i < live.size(); i += 2)
            pool.deallocate(live[i].first, live[i].second);
        void* p = pool.allocate(64);
        pool.deallocate(p, 64);
    });
    t1.join();
    s = pool.statistics();
    BOOST_TEST(s.allocations == std::size(sizes) + 1);
    BOOST_TEST(s.deallocations == (std::size(sizes) + 1) / 2 + 1);
    std::thread t2([&] {
        for (std::size_t i = 1; i < live.size(); i += 2)
            pool.deallocate(live[i].first, live[i].second);
    });
    s = pool.statistics(); // concurrent with t2: a snapshot, within bounds
    BOOST_TEST(s.outstanding <= std::size(sizes));
    t2.join();
    s = pool.statistics();
    BOOST_TEST(s.allocations == std::size(sizes) + 1);
    BOOST_TEST(s.deallocations == std::size(sizes) + 1);
    BOOST_TEST(s.outstanding == 0u);
    BOOST_TEST(s.cached_blocks > 0u);
}

BOOST_AUTO_TEST_CASE(oversize_requests_go_upstream) {
    affine::frame_pool pool;
    std::size_t const n = affine::frame_pool::max_class_size + 1;
    void* p = pool.allocate(n);
    auto s = pool.statistics();
    BOOST_TEST(s.upstream_allocations == 1u);
    BOOST_TEST(s.upstream_bytes == n);
    BOOST_TEST(s.cached_blocks == 0u);
    BOOST_TEST(s.outstanding == 1u);
    std::memset(p, 1, n);
    pool.deallocate(p, n);
    s = pool.statistics();
    BOOST_TEST(s.upstream_bytes == 0u);
    BOOST_TEST(s.outstanding == 0u);
    BOOST_TEST(s.cached_blocks == 0u); // not cached: given back at once

    // The largest class is not oversize.
    p = pool.allocate(affine::frame_pool::max_class_size);
    BOOST_TEST(pool.statistics().upstream_bytes >= 65536u);
    pool.deallocate(p, affine::frame_pool::max_class_size);
}

BOOST_AUTO_TEST_CASE(pools_are_independent) {
    affine::frame_pool a, b;
    void* pa = a.allocate(128);
    a.deallocate(pa, 128);
    void* pb = b.allocate(128);
    BOOST_TEST(pb != pa); // a's free block is not b's
    BOOST_TEST(a.statistics().allocations == 1u);
    BOOST_TEST(a.statistics().deallocations == 1u);
    BOOST_TEST(b.statistics().allocations == 1u);
    BOOST_TEST(b.statistics().outstanding == 1u);
    // Interleaving does not mix them up.
    void* pa2 = a.allocate(128);
    BOOST_TEST(pa2 == pa);
    b.deallocate(pb, 128);
    a.deallocate(pa2, 128);
    BOOST_TEST(b.allocate(128) == pb);
    b.deallocate(pb, 128);
    BOOST_TEST(a.statistics().outstanding == 0u);
    BOOST_TEST(b.statistics().outstanding == 0u);
}

BOOST_AUTO_TEST_CASE(many_pools_on_one_thread_keep_their_blocks) {
    // More pools than a thread caches at once: evicted caches go back to their pool's depot.
    std::vector<std::unique_ptr<affine::frame_pool>> pools;
    for (int i = 0; i != 10; ++i)
        pools.push_back(std::make_unique<affine::frame_pool>());
    std::vector<void*> first;
    for (auto& p : pools) {
        first.push_back(p->allocate(64));
        p->deallocate(first.back(), 64);
    }
    for (int round = 0; round != 3; ++round)
        for (std::size_t i = 0; i != pools.size(); ++i) {
            void* q = pools[i]->allocate(64);
            BOOST_TEST(pools[i]->statistics().upstream_allocations == 1u);
            if (round == 0)
                BOOST_TEST(q == first[i]);
            pools[i]->deallocate(q, 64);
        }
    for (auto& p : pools) {
        BOOST_TEST(p->statistics().allocations == 4u);
        BOOST_TEST(p->statistics().outstanding == 0u);
    }
}

BOOST_AUTO_TEST_CASE(slabs_amortise_upstream_allocations) {
    affine::frame_pool pool; // 64 KiB slabs
    std::size_t const count = 100000;
    std::size_t const n = 256;
    std::vector<void*> const v = allocate_n(pool, count, n);
    auto const s = pool.statistics();
    std::size_t const expected = (count * n + 65535) / 65536; // 391
    BOOST_TEST(s.upstream_allocations >= expected);
    BOOST_TEST(s.upstream_allocations <= expected + 1);
    BOOST_TEST(s.upstream_bytes <= (expected + 1) * (65536 + 64));
    std::set<void*> const distinct(v.begin(), v.end());
    BOOST_TEST(distinct.size() == count);
    deallocate_all(pool, v, n);
}

BOOST_AUTO_TEST_CASE(destroyed_pool_stale_thread_cache_is_not_touched) {
    // Pools built in the same storage: the second has the first's address, not its id.
    std::optional<affine::frame_pool> pool;
    pool.emplace();
    event used, replaced, reused;
    std::size_t upstream_after_use = 0;
    std::thread t([&] {
        std::vector<void*> const v = allocate_n(*pool, 10, 128);
        deallocate_all(*pool, v, 128); // cached by this thread, for the first pool
        used.set();
        replaced.wait();
        // Same address, new pool: the stale cache must not serve it.
        void* p = pool->allocate(128);
        upstream_after_use = pool->statistics().upstream_allocations;
        pool->deallocate(p, 128);
        reused.set();
        // On exit, the stale cache must not be given back to the destroyed pool.
    });
    used.wait();
    void* const addr = &*pool;
    pool.reset();
    pool.emplace();
    BOOST_TEST(static_cast<void*>(&*pool) == addr);
    replaced.set();
    reused.wait();
    t.join();
    BOOST_TEST(upstream_after_use == 1u); // carved from its own slab
    auto const s = pool->statistics();
    BOOST_TEST(s.allocations == 1u);
    BOOST_TEST(s.deallocations == 1u);
    BOOST_TEST(s.outstanding == 0u);
}

BOOST_AUTO_TEST_CASE(trim_returns_slabs_when_nothing_is_live_or_cached) {
    affine::frame_pool pool;
    std::vector<void*> const v = allocate_n(pool, 1000, 1024);
    BOOST_TEST(pool.statistics().upstream_bytes > 1000u * 1024u);
    pool.trim(); // blocks are live: nothing returned
    BOOST_TEST(pool.statistics().upstream_bytes > 1000u * 1024u);
    std::thread t([&] { deallocate_all(pool, v, 1024); }); // its cache goes back on exit
    t.join();
    pool.trim(); // the calling thread's cache goes back too
    auto const s = pool.statistics();
    BOOST_TEST(s.upstream_bytes == 0u);
    BOOST_TEST(s.cached_blocks == 0u);
    // The pool still works.
    void* p = pool.allocate(1024);
    BOOST_TEST(pool.statistics().upstream_allocations > 1u);
    pool.deallocate(p, 1024);
}

BOOST_AUTO_TEST_CASE(disabled_thread_cache_still_recycles) {
    affine::frame_pool::options opts;
    opts.thread_cache_blocks = 0;
    affine::frame_pool pool(opts);
    void* p = pool.allocate(100);
    std::thread t([&] { pool.deallocate(p, 100); });
    t.join();
    BOOST_TEST(pool.allocate(100) == p);
    pool.deallocate(p, 100);
    auto const s = pool.statistics();
    BOOST_TEST(s.allocations == 2u);
    BOOST_TEST(s.outstanding == 0u);
    BOOST_TEST(s.upstream_allocations == 1u);
}

namespace {

// Uses the pools from a thread_local destructor that runs after the pool's own thread cache
// has been destroyed (thread_locals are destroyed in reverse order of construction).
struct late_user {
    affine::frame_pool* pool = nullptr;
    std::atomic<int>* done = nullptr;
    ~late_user() {
        if (!pool)
            return;
        void* a = pool->allocate(64);
        void* b = affine::frame_pool::shared().allocate(64);
        pool->deallocate(a, 64);
        affine::frame_pool::shared().deallocate(b, 64);
        done->fetch_add(1);
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(pools_are_usable_from_thread_local_destructors) {
    affine::frame_pool pool;
    std::atomic<int> done{0};
    std::thread t([&] {
        thread_local late_user user; // constructed before the pool's thread cache
        user.pool = &pool;
        user.done = &done;
        void* p = pool.allocate(64);
        pool.deallocate(p, 64);
    });
    t.join();
    BOOST_TEST(done.load() == 1);
    auto const s = pool.statistics();
    BOOST_TEST(s.allocations == 2u);
    BOOST_TEST(s.deallocations == 2u);
}

BOOST_AUTO_TEST_CASE(shared_pool_is_one_process_wide_pool) {
    affine::frame_pool& a = affine::frame_pool::shared();
    BOOST_TEST(&a == &affine::frame_pool::shared());
    auto const before = a.statistics().allocations;
    std::thread t([] {
        void* p = affine::frame_pool::shared().allocate(300);
        affine::frame_pool::shared().deallocate(p, 300);
    });
    t.join();
    BOOST_TEST(a.statistics().allocations == before + 1);
}

BOOST_AUTO_TEST_CASE(statistics_are_exact_after_concurrent_use) {
    affine::frame_pool::options opts;
    opts.thread_cache_blocks = 16; // many depot transfers
    affine::frame_pool pool(opts);
    std::atomic<bool> stop{false};
    std::size_t max_seen = 0; // Boost.Test assertions are for the main thread only
    std::thread reader([&] {
        while (!stop.load())
            max_seen = std::max(max_seen, pool.statistics().outstanding);
    });
    std::vector<std::thread> workers;
    for (int w = 0; w != 4; ++w)
        workers.emplace_back([&, w] {
            std::vector<void*> v;
            std::size_t const n = 64u << (w % 3);
            for (int round = 0; round != 200; ++round) {
                v = allocate_n(pool, 64, n);
                deallocate_all(pool, v, n);
            }
        });
    for (auto& w : workers)
        w.join();
    stop = true;
    reader.join();
    BOOST_TEST(max_seen <= 2u * 4u * 64u); // a snapshot, never garbage
    auto const s = pool.statistics();
    BOOST_TEST(s.allocations == 4u * 200u * 64u);
    BOOST_TEST(s.deallocations == s.allocations);
    BOOST_TEST(s.outstanding == 0u);
}

namespace {

// The shared pool must still work during static destruction.
struct static_user {
    ~static_user() {
        void* p = affine::frame_pool::shared().allocate(128);
        affine::frame_pool::shared().deallocate(p, 128);
    }
} const static_user_instance;

} // namespace
