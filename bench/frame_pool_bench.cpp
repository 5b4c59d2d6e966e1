//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The frame pool alone: nanoseconds per allocate+free pair of 256-byte blocks,
// for frame_pool, frame_pool through any_frame_allocator (the path a frame
// takes), malloc/free, Boost.Container's pmr unsynchronized_pool_resource and
// synchronized_pool_resource, and the floor's thread-local free list
// (floor_task.hpp). Plus two properties of the pool under cross-thread use:
// memory stays bounded when every block is freed on another thread, and the
// blocks an exiting thread had cached are reused.
//
// Timed cases:
//   same thread        allocate then free one block, repeatedly (a chain creating
//                      and destroying one frame at a time)
//   32 nested          allocate 32 blocks, free them in reverse order (nested frames)
//   freed on another   a producer thread allocates batches of 1024 blocks and hands
//   thread             them to a consumer thread that frees them (at most 4 batches
//                      in flight); time per block
// unsynchronized_pool_resource is not thread-safe, so it has no cross-thread figure.
//
// Memory cases (not timed):
//   cross-thread growth   the producer/consumer above for 1x, 4x and 16x a number
//                         of blocks: memory taken from upstream (frame_pool) or from
//                         malloc (the free list, malloc) after each
//   exiting thread        a thread allocates and frees 4096 blocks (its cache keeps
//                         some), then exits; another thread then allocates 4096
//                         blocks: how many upstream allocations that needs
//
//   bench_frame_pool [--quick]

#include "bench_common.hpp"
#include "floor_task.hpp"

#include <boost/affine/frame_allocator.hpp>
#include <boost/affine/frame_pool.hpp>

#include <boost/container/pmr/synchronized_pool_resource.hpp>
#include <boost/container/pmr/unsynchronized_pool_resource.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace {

namespace pmr = boost::container::pmr;
namespace affine = boost::affine;
using bench::cfg;

std::size_t const block_size = 256;

inline void escape(void* p) {
    asm volatile("" : : "r"(p) : "memory");
}

struct pool_alloc {
    affine::frame_pool pool;
    void* allocate(std::size_t n) { return pool.allocate(n); }
    void deallocate(void* p, std::size_t n) { pool.deallocate(p, n); }
};

// The path of a frame: a type-erased handle's table, then the pool.
struct any_alloc {
    affine::frame_pool pool;
    affine::any_frame_allocator a{pool};
    void* allocate(std::size_t n) { return a.allocate(n); }
    void deallocate(void* p, std::size_t n) { a.deallocate(p, n); }
};

struct malloc_alloc {
    void* allocate(std::size_t n) { return std::malloc(n); }
    void deallocate(void* p, std::size_t) { std::free(p); }
};

struct free_list_alloc {
    void* allocate(std::size_t n) { return floor_bench::frame_allocate(n); }
    void deallocate(void* p, std::size_t n) { floor_bench::frame_deallocate(p, n); }
};

template <class Resource>
struct pmr_alloc {
    Resource res;
    void* allocate(std::size_t n) { return res.allocate(n, 16); }
    void deallocate(void* p, std::size_t n) { res.deallocate(p, n, 16); }
};

bench::sample timed(std::size_t ops, auto body) {
    bench::sample s;
    std::uint64_t const a0 = bench::allocations();
    auto const t0 = bench::clock_type::now();
    body();
    auto const t1 = bench::clock_type::now();
    s.allocations = bench::allocations() - a0;
    s.operations = ops;
    s.value = bench::ns_between(t0, t1) / double(ops);
    return s;
}

template <class A>
bench::sample same_thread(A& a, std::size_t n) {
    return timed(n, [&] {
        for (std::size_t i = 0; i != n; ++i) {
            void* p = a.allocate(block_size);
            escape(p);
            a.deallocate(p, block_size);
        }
    });
}

template <class A>
bench::sample nested32(A& a, std::size_t n) {
    constexpr std::size_t depth = 32;
    n = n / depth * depth;
    return timed(n, [&] {
        void* frames[depth];
        for (std::size_t i = 0; i != n / depth; ++i) {
            for (auto& f : frames) {
                f = a.allocate(block_size);
                escape(f);
            }
            for (std::size_t k = depth; k-- != 0;)
                a.deallocate(frames[k], block_size);
        }
    });
}

// Producer allocates, consumer frees; returns the time per block.
template <class A>
bench::sample cross_thread(A& a, std::size_t blocks) {
    constexpr std::size_t batch = 1024;
    constexpr std::size_t max_in_flight = 4;
    blocks = blocks / batch * batch;
    std::mutex m;
    std::condition_variable cv;
    std::deque<std::vector<void*>> queue;
    std::vector<std::vector<void*>> empties; // recycled: no vector allocation while timed
    for (std::size_t i = 0; i != max_in_flight + 2; ++i) {
        empties.emplace_back();
        empties.back().reserve(batch);
    }
    bool finished = false;
    std::thread consumer;
    bench::sample s = timed(blocks, [&] {
        consumer = std::thread([&] {
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
                for (void* p : v)
                    a.deallocate(p, block_size);
                v.clear();
                std::lock_guard<std::mutex> g(m);
                empties.push_back(std::move(v));
            }
        });
        for (std::size_t sent = 0; sent < blocks; sent += batch) {
            std::vector<void*> v;
            {
                std::unique_lock<std::mutex> l(m);
                cv.wait(l, [&] { return queue.size() < max_in_flight && !empties.empty(); });
                v = std::move(empties.back());
                empties.pop_back();
            }
            for (std::size_t i = 0; i != batch; ++i) {
                v.push_back(a.allocate(block_size));
                escape(v.back());
            }
            {
                std::lock_guard<std::mutex> g(m);
                queue.push_back(std::move(v));
            }
            cv.notify_all();
        }
        {
            std::lock_guard<std::mutex> g(m);
            finished = true;
        }
        cv.notify_all();
        consumer.join();
    });
    // Thread creation allocates; those are not the allocator's.
    s.allocations = 0;
    return s;
}

double heap_bytes() {
    struct mallinfo2 mi = mallinfo2();
    return double(mi.uordblks + mi.hblkhd);
}

} // namespace

int main(int argc, char** argv) {
    bench::init(argc, argv);
    bench::report r(
        "frame_pool",
        {"frame_pool", "any_frame_allocator", "malloc", "pmr_unsync", "pmr_sync", "free_list"},
        {{"frame_pool", "malloc"}, {"frame_pool", "free_list"}});

    std::size_t const n = cfg().pick<std::size_t>(4'000'000, 400'000);
    std::size_t const nx = cfg().pick<std::size_t>(1'000'000, 100'000);

    pool_alloc pool;
    any_alloc any;
    malloc_alloc mal;
    pmr_alloc<pmr::unsynchronized_pool_resource> unsync;
    pmr_alloc<pmr::synchronized_pool_resource> sync;
    free_list_alloc fl;

    r.add_table({.id = "frame-pool",
                 .stub = {""},
                 .columns = {{"frame_pool", "`frame_pool`"},
                             {"any_frame_allocator", "through `any_frame_allocator`"},
                             {"malloc", "`malloc`"},
                             {"pmr_unsync", "pmr unsynchronized pool"},
                             {"pmr_sync", "pmr synchronized pool"},
                             {"free_list", "free list (floor)"}},
                 .merge = "stack"});
    for (char const* c : {"same thread", "32 nested", "freed on another thread"})
        r.show(
            "frame-pool",
            {.stub = {std::string(c) + ", {compiler}"}, .group = c, .param = "256 B", .home = "-"});
    r.run_case("same thread", "256 B", "-", "ns/pair",
               {{"frame_pool", [&] { return same_thread(pool, n); }},
                {"any_frame_allocator", [&] { return same_thread(any, n); }},
                {"malloc", [&] { return same_thread(mal, n); }},
                {"pmr_unsync", [&] { return same_thread(unsync, n); }},
                {"pmr_sync", [&] { return same_thread(sync, n); }},
                {"free_list", [&] { return same_thread(fl, n); }}});
    r.run_case("32 nested", "256 B", "-", "ns/pair",
               {{"frame_pool", [&] { return nested32(pool, n); }},
                {"any_frame_allocator", [&] { return nested32(any, n); }},
                {"malloc", [&] { return nested32(mal, n); }},
                {"pmr_unsync", [&] { return nested32(unsync, n); }},
                {"pmr_sync", [&] { return nested32(sync, n); }},
                {"free_list", [&] { return nested32(fl, n); }}});
    r.run_case("freed on another thread", "256 B", "-", "ns/pair",
               {{"frame_pool", [&] { return cross_thread(pool, nx); }},
                {"any_frame_allocator", [&] { return cross_thread(any, nx); }},
                {"malloc", [&] { return cross_thread(mal, nx); }},
                {"pmr_sync", [&] { return cross_thread(sync, nx); }}});

    // Cross-thread growth: fresh allocators, 1x, 4x, 16x (and 64x) the
    // blocks. What can be live at once is bounded: 4 batches in flight, one
    // being filled, one being freed (6 x 1024 blocks), plus what the two
    // threads' caches hold (2 x thread_cache_blocks), plus one slab being
    // carved; memory held beyond that bound would be growth. The free list
    // grows by every block (only 1x and 4x: it would take gigabytes).
    std::size_t const base = cfg().pick<std::size_t>(256 * 1024, 32 * 1024);
    double const bound = double((6 * 1024 + 2 * 128) * block_size + 64 * 1024 + 64);
    std::string growth;
    double pool_last = 0;
    {
        affine::frame_pool p;
        struct ref {
            affine::frame_pool& p;
            void* allocate(std::size_t k) { return p.allocate(k); }
            void deallocate(void* q, std::size_t k) { p.deallocate(q, k); }
        } a{p};
        std::size_t done = 0;
        std::vector<std::size_t> mults{1, 4, 16};
        if (!cfg().quick)
            mults.push_back(64);
        for (std::size_t mult : mults) {
            cross_thread(a, base * mult - done);
            done = base * mult;
            pool_last = double(p.statistics().upstream_bytes);
            growth += "frame_pool after " + std::to_string(done) +
                      " blocks: " + bench::fmt(pool_last / 1024, 0) + " KiB; ";
        }
    }
    double fl_first = 0, fl_last = 0;
    {
        free_list_alloc a;
        double const h0 = heap_bytes();
        std::size_t done = 0;
        for (std::size_t mult : {1, 4}) {
            cross_thread(a, base * mult - done);
            done = base * mult;
            double held = heap_bytes() - h0;
            if (mult == 1)
                fl_first = held;
            fl_last = held;
            growth += "free list after " + std::to_string(done) +
                      " blocks: " + bench::fmt(held / 1024, 0) + " KiB; ";
        }
        // The floor's blocks are never given back: this memory stays.
    }
    r.note("cross-thread growth: " + growth +
           "bound on live + cached blocks: " + bench::fmt(bound / 1024, 0) + " KiB");
    r.add_target("cross-thread frees: frame_pool KiB held at the end <= live+cached bound",
                 pool_last / 1024, "<=", bound / 1024,
                 "the floor's free list: " + bench::fmt(fl_first / 1024, 0) + " -> " +
                     bench::fmt(fl_last / 1024, 0) + " KiB from 1x to 4x the blocks");

    // An exiting thread's cached blocks.
    {
        affine::frame_pool p;
        constexpr std::size_t count = 4096;
        std::thread t([&] {
            std::vector<void*> v;
            for (std::size_t i = 0; i != count; ++i)
                v.push_back(p.allocate(block_size));
            for (void* q : v)
                p.deallocate(q, block_size);
        });
        t.join();
        auto const before = p.statistics();
        std::vector<void*> v;
        for (std::size_t i = 0; i != count; ++i)
            v.push_back(p.allocate(block_size));
        auto const after = p.statistics();
        for (void* q : v)
            p.deallocate(q, block_size);
        p.trim();
        auto const trimmed = p.statistics();
        r.add_target(
            "exiting thread: upstream allocations to reallocate its blocks",
            double(after.upstream_allocations - before.upstream_allocations), "<=", 0,
            "cached blocks after the thread exited: " + std::to_string(before.cached_blocks) +
                "; upstream bytes after trim(): " + std::to_string(trimmed.upstream_bytes));
    }

    r.add_target("frame_pool allocate+free pair, same thread (ns)",
                 r.value("same thread", "256 B", "-", "frame_pool"), "<=", 3.0);
    r.add_target("frame_pool allocations per pair at the C library's door",
                 r.find("same thread", "256 B", "-", "frame_pool")->allocs_per_op(), "<=", 0.0);

    r.write_dat("frame_pool", {{"same thread", "same thread", "256 B", "-"},
                               {"32 nested", "32 nested", "256 B", "-"},
                               {"other thread", "freed on another thread", "256 B", "-"}});
    r.finish();
}
