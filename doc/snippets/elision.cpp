//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Documentation snippet: detecting coroutine elision (HALO) and checking
// allocation behaviour with the pool's counters. What it prints depends on
// the compiler and the optimisation level; its checks do not.

#include <boost/affine.hpp>

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <cstdio>
#include <cstdlib>

namespace asio = boost::asio;
namespace affine = boost::affine;
using affine::co_spawn;
using affine::task;
using affine::use_affine;

bool all_good = true;

task<int> child(int x) {
    co_return x + 1;
}

// tag::elided[]
task<void> parent(affine::frame_pool& pool) {
    std::size_t before = pool.statistics().allocations;
    task<int> t = child(1);
    std::size_t allocated = pool.statistics().allocations - before;

    // elided(): the frame did not come from operator new, so no frame
    // allocator was called for it.
    std::printf("child frame elided: %s (pool allocations: %zu)\n", t.elided() ? "yes" : "no",
                allocated);
    all_good = all_good && t.elided() == (allocated == 0);

    int v = co_await std::move(t);
    all_good = all_good && v == 2;
}
// end::elided[]

// tag::statistics[]
task<void> steady_state() {
    // After a warm-up, a loop of awaits must not make the pool go upstream.
    auto ex = co_await asio::this_coro::executor;
    for (int i = 0; i < 1000; ++i)
        co_await asio::post(ex, use_affine);
    affine::frame_pool_stats before = affine::frame_pool::shared().statistics();
    for (int i = 0; i < 100000; ++i) {
        co_await asio::post(ex, use_affine);
        co_await child(i);
    }
    affine::frame_pool_stats after = affine::frame_pool::shared().statistics();
    std::printf("100000 iterations: %zu pool allocations, %zu upstream\n",
                after.allocations - before.allocations,
                after.upstream_allocations - before.upstream_allocations);
    all_good = all_good && after.upstream_allocations == before.upstream_allocations;
}
// end::statistics[]

int main() {
    affine::frame_pool pool;
    {
        asio::io_context ioc;
        co_spawn(
            affine::with_allocator(ioc.get_executor(), pool), [&] { return parent(pool); },
            asio::detached);
        co_spawn(ioc, steady_state(), asio::detached);
        ioc.run();
    }
    return all_good ? EXIT_SUCCESS : EXIT_FAILURE;
}
