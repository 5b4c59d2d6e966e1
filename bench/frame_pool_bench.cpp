//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Nanoseconds per allocate+free pair: frame_pool vs malloc/free vs Boost.Container's pmr pool
// resources.
//
//   g++ -std=c++20 -O2 -DNDEBUG -I include bench/frame_pool_bench.cpp
//       -lboost_container -pthread -o frame_pool_bench
//
// Cases:
//   same_thread   allocate then free one block, repeatedly (the steady state of a chain that
//                 creates and destroys one frame at a time)
//   same_thread_burst  allocate 32 blocks, free them in reverse order (nested frames)
//   cross_thread  a producer allocates batches of 1024 blocks and hands them to a consumer
//                 thread that frees them (at most 4 batches in flight); time per block
// unsynchronized_pool_resource is not thread-safe, so it has no cross_thread figure.

#include <boost/affine/frame_pool.hpp>

#include <boost/container/pmr/synchronized_pool_resource.hpp>
#include <boost/container/pmr/unsynchronized_pool_resource.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace pmr = boost::container::pmr;

std::size_t const frame_size = 256;
int const repetitions = 7;

// Keeps the compiler from eliding an allocation/free pair.
inline void escape(void* p) {
    asm volatile("" : : "r"(p) : "memory");
}

struct pool_alloc {
    boost::affine::frame_pool pool;
    void* allocate(std::size_t n) { return pool.allocate(n); }
    void deallocate(void* p, std::size_t n) { pool.deallocate(p, n); }
};

struct malloc_alloc {
    void* allocate(std::size_t n) { return std::malloc(n); }
    void deallocate(void* p, std::size_t) { std::free(p); }
};

template <class Resource>
struct pmr_alloc {
    Resource res;
    void* allocate(std::size_t n) { return res.allocate(n, 16); }
    void deallocate(void* p, std::size_t n) { res.deallocate(p, n, 16); }
};

using clock_type = std::chrono::steady_clock;

double ns_since(clock_type::time_point t0, std::size_t ops) {
    return std::chrono::duration<double, std::nano>(clock_type::now() - t0).count() /
           static_cast<double>(ops);
}

template <class A>
double same_thread(A& a, std::size_t iterations) {
    auto const t0 = clock_type::now();
    for (std::size_t i = 0; i != iterations; ++i) {
        void* p = a.allocate(frame_size);
        escape(p);
        a.deallocate(p, frame_size);
    }
    return ns_since(t0, iterations);
}

template <class A>
double same_thread_burst(A& a, std::size_t iterations) {
    constexpr std::size_t depth = 32;
    void* frames[depth];
    auto const t0 = clock_type::now();
    for (std::size_t i = 0; i != iterations / depth; ++i) {
        for (auto& f : frames) {
            f = a.allocate(frame_size);
            escape(f);
        }
        for (std::size_t k = depth; k-- != 0;)
            a.deallocate(frames[k], frame_size);
    }
    return ns_since(t0, iterations / depth * depth);
}

template <class A>
double cross_thread(A& a, std::size_t blocks) {
    constexpr std::size_t batch = 1024;
    constexpr std::size_t max_in_flight = 4;
    std::mutex m;
    std::condition_variable cv;
    std::deque<std::vector<void*>> queue;
    std::vector<std::vector<void*>> empties; // recycled vectors: no vector allocation timed
    for (std::size_t i = 0; i != max_in_flight + 2; ++i) {
        empties.emplace_back();
        empties.back().reserve(batch);
    }
    bool finished = false;

    auto const t0 = clock_type::now();
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
            for (void* p : v)
                a.deallocate(p, frame_size);
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
            v.push_back(a.allocate(frame_size));
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
    return ns_since(t0, blocks / batch * batch);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

struct result {
    std::string name;
    double ns;
};

std::vector<result> results;

void run(std::string const& name, std::function<double()> const& f) {
    f(); // warm up
    std::vector<double> v;
    for (int i = 0; i != repetitions; ++i)
        v.push_back(f());
    results.push_back({name, median(v)});
}

template <class A>
void run_all(char const* alloc_name, bool thread_safe) {
    A a;
    std::size_t const n = 4'000'000;
    run(std::string("same_thread/") + alloc_name, [&] { return same_thread(a, n); });
    run(std::string("same_thread_burst/") + alloc_name, [&] { return same_thread_burst(a, n); });
    if (thread_safe)
        run(std::string("cross_thread/") + alloc_name, [&] { return cross_thread(a, 1'000'000); });
}

} // namespace

int main() {
    run_all<pool_alloc>("frame_pool", true);
    run_all<malloc_alloc>("malloc", true);
    run_all<pmr_alloc<pmr::unsynchronized_pool_resource>>("pmr_unsynchronized_pool", false);
    run_all<pmr_alloc<pmr::synchronized_pool_resource>>("pmr_synchronized_pool", true);

    std::printf("%-45s %12s\n", "case (256-byte blocks)", "ns/pair");
    for (auto const& r : results)
        std::printf("%-45s %12.2f\n", r.name.c_str(), r.ns);
    for (auto const& r : results)
        std::printf("{\"case\": \"%s\", \"ns_median\": %.3f}\n", r.name.c_str(), r.ns);
}
