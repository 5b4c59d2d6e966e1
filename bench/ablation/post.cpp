//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Ablation probe (bench/ablation/run.py): co_await asio::post on an
// io_context, with boost::affine (default) or with the floor (-DFLOOR).
//
//   post [posts [runs]]    prints the median ns per post

#ifdef FLOOR
#include "../floor_task.hpp"
using floor_bench::task;
#define TOKEN floor_bench::use_floor
#else
#include <boost/affine.hpp>
using boost::affine::task;
#define TOKEN boost::affine::use_affine
#endif

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace asio = boost::asio;

double result;

task<void> loop(asio::io_context::executor_type ex, long n) {
    for (long i = 0; i < n / 10; ++i)
        co_await asio::post(ex, TOKEN);
    auto const t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i)
        co_await asio::post(ex, TOKEN);
    auto const t1 = std::chrono::steady_clock::now();
    result = std::chrono::duration<double, std::nano>(t1 - t0).count() / double(n);
}

int main(int argc, char** argv) {
    long const n = argc > 1 ? std::atol(argv[1]) : 2'000'000;
    int const runs = argc > 2 ? std::atoi(argv[2]) : 7;
    std::vector<double> v;
    for (int r = 0; r < runs; ++r) {
        asio::io_context ioc(1);
#ifdef FLOOR
        floor_bench::spawn(ioc.get_executor(), loop(ioc.get_executor(), n), [] {});
#else
        boost::affine::co_spawn(ioc, loop(ioc.get_executor(), n), asio::detached);
#endif
        ioc.run();
        v.push_back(result);
    }
    std::sort(v.begin(), v.end());
    std::printf("%.3f\n", v[v.size() / 2]);
}
