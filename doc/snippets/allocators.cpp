//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Documentation snippet: choosing the frame allocator.

#include <boost/affine.hpp>

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/container/pmr/memory_resource.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>

namespace asio = boost::asio;
namespace affine = boost::affine;
namespace pmr = boost::container::pmr;
using affine::co_spawn;
using affine::task;
using affine::use_affine;

bool all_good = true;

void check(bool ok, char const* what) {
    std::printf("%-58s %s\n", what, ok ? "ok" : "FAILED");
    all_good = all_good && ok;
}

// tag::counting[]
// Any type with allocate(n) -> void* and deallocate(p, n) is a frame allocator.
// Storage must be 16-byte aligned.
struct counting_allocator {
    std::atomic<long> allocations{0};
    std::atomic<long> live{0};

    void* allocate(std::size_t n) {
        ++allocations;
        ++live;
        return ::operator new(n, std::align_val_t{16});
    }
    void deallocate(void* p, std::size_t) noexcept {
        --live;
        ::operator delete(p, std::align_val_t{16});
    }
};
// end::counting[]

task<int> leaf(int x) {
    co_return x + 1;
}

task<int> session() {
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(1));
    co_await timer.async_wait(use_affine);
    co_return co_await leaf(1); // no allocator argument: the chain's allocator
}

void force_on_chain() {
    // tag::with_allocator[]
    counting_allocator alloc; // must outlive every frame it allocates
    asio::io_context ioc;
    // The callable form: session() is called inside the chain, so its frame,
    // the root's, leaf()'s and Asio's operation storage all come from alloc.
    co_spawn(
        affine::with_allocator(ioc.get_executor(), alloc), [] { return session(); },
        asio::detached);
    ioc.run();
    // end::with_allocator[]
    // At least the root frame, the posted start and the timer's operation;
    // session() and leaf() too unless the compiler elided their frames.
    check(alloc.allocations >= 3 && alloc.live == 0,
          "with_allocator + callable form: whole chain from alloc");
}

void own_pool() {
    // tag::own_pool[]
    affine::frame_pool pool; // declared before the io_context: destroyed after it
    asio::io_context ioc;
    co_spawn(
        affine::with_allocator(ioc.get_executor(), pool), [] { return session(); }, asio::detached);
    ioc.run();
    affine::frame_pool_stats s = pool.statistics();
    std::printf("pool: %zu allocations, %zu outstanding, %zu upstream\n", s.allocations,
                s.outstanding, s.upstream_allocations);
    // end::own_pool[]
    check(s.allocations > 0 && s.outstanding == 0, "a frame_pool of one's own");
}

// tag::allocator_arg[]
// An explicit allocator for one coroutine: std::allocator_arg_t, then the allocator.
task<int> parse(std::allocator_arg_t, counting_allocator& /*alloc*/, int x) {
    co_return x * 2;
}

// A first (or second) parameter with get_frame_allocator() does the same.
struct request_context {
    counting_allocator* alloc;
    counting_allocator& get_frame_allocator() const noexcept { return *alloc; }
};

task<int> handle(request_context ctx, int x) {
    co_return co_await parse(std::allocator_arg, *ctx.alloc, x) + 1;
}
// end::allocator_arg[]

// tag::pmr[]
// A Boost.Container memory resource: pass a pmr::memory_resource*.
class counting_resource : public pmr::memory_resource {
public:
    long allocations = 0;

private:
    void* do_allocate(std::size_t n, std::size_t align) override {
        ++allocations;
        return ::operator new(n, std::align_val_t(align));
    }
    void do_deallocate(void* p, std::size_t, std::size_t align) override {
        ::operator delete(p, std::align_val_t(align));
    }
    bool do_is_equal(pmr::memory_resource const& o) const noexcept override { return this == &o; }
};

task<int> with_resource(std::allocator_arg_t, pmr::memory_resource*, int x) {
    co_return x;
}
// end::pmr[]

void explicit_forms() {
    counting_allocator alloc;
    counting_resource resource;
    asio::io_context ioc;
    co_spawn(
        ioc,
        [&]() -> task<void> {
            int r = co_await handle(request_context{&alloc}, 20);
            r += co_await with_resource(std::allocator_arg, &resource, 1);
            check(r == 42, "explicit allocators: results");
        },
        asio::detached);
    ioc.run();
    // Two frames, minus those the compiler elided (clang 16 elides both here).
    std::printf("explicit allocator: %ld frames, memory resource: %ld\n", alloc.allocations.load(),
                resource.allocations);
    check(alloc.allocations <= 2 && alloc.live == 0, "allocator_arg_t and get_frame_allocator()");
    // One frame, unless elided (clang elides it).
    check(resource.allocations <= 1, "pmr::memory_resource*");
}

void context_default() {
    // tag::context_default[]
    counting_allocator alloc; // outlives the context
    asio::io_context ioc;
    affine::set_default_frame_allocator(ioc, alloc);

    // Every chain later spawned on ioc's executors uses alloc, unless the
    // executor carries its own allocator (with_allocator).
    co_spawn(
        ioc, [] { return session(); }, asio::detached);
    ioc.run();

    // The precedence, for an executor: the allocator it carries, its context's
    // default, the allocator of the chain running on this thread, then
    // frame_pool::shared().
    affine::any_frame_allocator chosen = affine::frame_allocator_for(ioc.get_executor());
    // end::context_default[]
    check(chosen == affine::any_frame_allocator(alloc) && alloc.allocations >= 3 && alloc.live == 0,
          "set_default_frame_allocator");
}

int main() {
    force_on_chain();
    own_pool();
    explicit_forms();
    context_default();
    return all_good ? EXIT_SUCCESS : EXIT_FAILURE;
}
