//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Ablation probe (bench/ablation/run.py): nested task<int> calls at depth 16,
// with boost::affine (default) or with the floor (-DFLOOR).
//
//   nested [levels [runs]]    prints the median ns per level

#ifdef FLOOR
#include "../floor_task.hpp"
using floor_bench::task;
#else
#include <boost/affine.hpp>
using boost::affine::task;
#endif

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace asio = boost::asio;

task<int> nested(int d) {
    if (d <= 1)
        co_return 1;
    co_return 1 + co_await nested(d - 1);
}

double result;

task<void> loop(int depth, long n) {
    long sum = 0;
    for (long i = 0; i < n / 10; ++i)
        sum += co_await nested(depth);
    auto const t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i)
        sum += co_await nested(depth);
    auto const t1 = std::chrono::steady_clock::now();
    result = std::chrono::duration<double, std::nano>(t1 - t0).count() / double(n * depth);
    if (sum != (n + n / 10) * depth)
        std::abort();
}

int main(int argc, char** argv) {
    int const depth = 16;
    long const levels = argc > 1 ? std::atol(argv[1]) : 20'000'000;
    int const runs = argc > 2 ? std::atoi(argv[2]) : 7;
    std::vector<double> v;
    for (int r = 0; r < runs; ++r) {
        asio::io_context ioc(1);
#ifdef FLOOR
        floor_bench::spawn(ioc.get_executor(), loop(depth, levels / depth), [] {});
#else
        boost::affine::co_spawn(ioc, loop(depth, levels / depth), asio::detached);
#endif
        ioc.run();
        v.push_back(result);
    }
    std::sort(v.begin(), v.end());
    std::printf("%.3f\n", v[v.size() / 2]);
}
