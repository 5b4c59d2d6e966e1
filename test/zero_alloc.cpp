//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The library's central guarantee, checked by counting: in steady state, a
// co_await performs no global allocation. This test replaces the global
// allocation functions (operator new and the C functions Asio's recycling
// allocator calls directly) with counting ones.

#include <boost/affine.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#define BOOST_TEST_MODULE zero_alloc
#include <boost/test/unit_test.hpp>

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <execinfo.h>
#include <future>
#include <thread>
#include <variant>
#include <vector>
#include <malloc.h>
#include <new>

// ---------------------------------------------------------------------------
// Counting global allocation functions.
//
// One source of allocations is outside any completion handler's control:
// Asio 1.81's strand re-posts its invoker, when handlers arrived while it
// ran, with its own thread-local recycling allocator
// (strand_executor_service::invoker::on_invoker_exit), ignoring the allocator
// property. While `attributing` is set, each allocation's call stack is
// inspected and those are counted apart, so that the test can still demand
// zero of everything else.

namespace {
std::atomic<long> global_allocations{0};
std::atomic<long> strand_repost_allocations{0};
std::atomic<bool> attributing{false};
// The call stack of the first re-post counted, for the log; written once, by the thread that
// claims it (the pool's two threads may both meet a re-post).
char first_repost_stack[8192];
std::atomic<bool> first_repost_claimed{false};
// The call stack of the first allocation counted against the library while a measurement
// runs (not during a warm-up), for the log of a failure.
char first_counted_stack[8192];
std::atomic<bool> first_counted_claimed{false};
std::atomic<bool> measuring{false};
thread_local bool in_hook = false;

void write_stack(char (&out)[8192], char** names, int n, std::size_t size) {
    std::size_t used = std::size_t(std::snprintf(out, sizeof out, "  (%zu bytes)\n", size));
    for (int i = 0; names && i < n && used + 2 < sizeof out; ++i)
        used += std::size_t(std::snprintf(out + used, sizeof out - used, "  %s\n", names[i]));
}

void count_allocation(std::size_t size) {
    if (in_hook)
        return; // the inspection's own allocations
    if (!attributing.load(std::memory_order_relaxed)) {
        global_allocations.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    in_hook = true;
    void* frames[48];
    int n = backtrace(frames, 48);
    char** names = backtrace_symbols(frames, n);
    bool repost = false;
    // The re-post is on_invoker_exit (when not inlined): it executes a strand invoker with
    // Asio's recycling allocator, ignoring the handlers' allocator. How much of it a compiler
    // inlines varies (g++ 14 with Boost 1.83 leaves other strand_executor_service frames
    // named): any frame of the strand's service nearer the allocation than any of this
    // library's counts. What a handler run by the strand allocates is not the strand's: a
    // frame of this library's is nearer then.
    for (int i = 0; names && i < n && !repost; ++i) {
        if (std::strstr(names[i], "5boost6affine") != nullptr) // (mangled names)
            break;
        repost = std::strstr(names[i], "on_invoker_exit") != nullptr ||
                 std::strstr(names[i], "strand_executor_service") != nullptr;
    }
    if (repost && !first_repost_claimed.exchange(true))
        write_stack(first_repost_stack, names, n, size);
    if (!repost && measuring.load(std::memory_order_relaxed) &&
        !first_counted_claimed.exchange(true))
        write_stack(first_counted_stack, names, n, size);
    std::free(names);
    (repost ? strand_repost_allocations : global_allocations)
        .fetch_add(1, std::memory_order_relaxed);
    in_hook = false;
}
} // namespace

#include "counting_allocations.hpp"

void boost_affine_count_allocation(std::size_t n, bool) noexcept {
    count_allocation(n);
}

// ---------------------------------------------------------------------------

namespace asio = boost::asio;
namespace affine = boost::affine;
using affine::task;
using affine::use_affine;

namespace {

constexpr int warmup = 2000;

affine::chain_local<long> chain_counter;
constexpr int iterations = 20000;

// Runs `op()` `warmup` times, then counts the global allocations of
// `iterations` more.
template <class TaskExecutor = asio::any_io_executor, class Op>
task<long, TaskExecutor> steady_state_allocations(Op op) {
    for (int i = 0; i < warmup; ++i)
        co_await op();
    long before = global_allocations.load();
    measuring = true;
    for (int i = 0; i < iterations; ++i)
        co_await op();
    measuring = false;
    co_return global_allocations.load() - before;
}

template <class TaskExecutor = asio::any_io_executor>
task<int, TaskExecutor> nested(int depth) {
    if (depth == 0)
        co_return 0;
    co_return 1 + co_await nested<TaskExecutor>(depth - 1);
}

// Gives the shared frame pool more free blocks of every size class than two
// thread caches and the live frames can hold, as a server would reserve its
// memory: with cross-thread frees, the footprint otherwise approaches its
// bound only as a random walk does (a late slab now and then).
void reserve_frame_pool() {
    constexpr int blocks = 512;
    std::vector<void*> held;
    held.reserve(blocks);
    // Every class up to 1024 bytes (frames and Asio's operations), then a few larger ones.
    auto next_class = [](std::size_t n) { return n < 1024 ? n + 16 : n * 2; };
    for (std::size_t n = 32; n <= 4096; n = next_class(n)) {
        for (int i = 0; i < blocks; ++i)
            held.push_back(affine::frame_pool::shared().allocate(n));
        for (void* p : held)
            affine::frame_pool::shared().deallocate(p, n);
        held.clear();
    }
}

// Spawns the measurement on `ex` and waits for it (the thread running it is
// the caller's `run()`).
template <class TaskExecutor = asio::any_io_executor, class Executor, class Op>
std::future<long> spawn_measurement(Executor ex, Op op) {
    return affine::co_spawn(
        ex, [op]() mutable { return steady_state_allocations<TaskExecutor>(op); },
        asio::use_future);
}

// The steady-state loops of the guarantee, on a home executor `Home` (its I/O objects use it
// too), in tasks whose executor type is `TaskExecutor`.
template <class Home, class TaskExecutor = asio::any_io_executor>
struct cases {
    template <class T>
    using task = affine::task<T, TaskExecutor>;

    using timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                             asio::wait_traits<std::chrono::steady_clock>, Home>;
    using socket = asio::basic_stream_socket<asio::local::stream_protocol, Home>;

    static auto nested_chain() {
        return []() -> task<void> {
            int d = co_await nested<TaskExecutor>(16);
            if (d != 16)
                std::abort();
        };
    }

    static auto post(Home ex) {
        return [ex]() -> task<void> { co_await asio::post(ex, use_affine); };
    }
    // post to the task's own executor as this_coro::executor gives it.
    static auto post_type_erased() {
        return []() -> task<void> {
            co_await asio::post(co_await asio::this_coro::executor, use_affine);
        };
    }

    static auto timer_wait(std::shared_ptr<timer> t) {
        return [t]() -> task<void> {
            t->expires_after(std::chrono::seconds(0));
            co_await t->async_wait(use_affine);
        };
    }

    // One side of a 64-byte ping-pong; the other side echoes.
    static auto ping(std::shared_ptr<socket> s) {
        return [s]() -> task<void> {
            std::array<char, 64> out{'p'}, in{};
            co_await asio::async_write(*s, asio::buffer(out), use_affine);
            co_await asio::async_read(*s, asio::buffer(in), use_affine);
            if (in[0] != 'p')
                std::abort();
        };
    }

    static task<int> posted(Home ex, int v) {
        co_await asio::post(ex, use_affine);
        co_return v;
    }

    // The awaitable operators: both branches complete through the home.
    static auto both(Home ex) {
        return [ex]() -> task<void> {
            using namespace affine::awaitable_operators;
            auto [x, y] = co_await (posted(ex, 1) && posted(ex, 2));
            if (x + y != 3)
                std::abort();
        };
    }

    static auto either(Home ex) {
        return [ex]() -> task<void> {
            using namespace affine::awaitable_operators;
            auto v = co_await (posted(ex, 1) || posted(ex, 2));
            if (v.index() != 0 || std::get<0>(v) != 1)
                std::abort();
        };
    }

    // An async backtrace taken four tasks deep in an operand of &&, its frames read.
    static task<std::size_t> traced(int depth) {
        if (depth == 0) {
            affine::async_stack const s = affine::async_backtrace();
            std::size_t n = 0;
            for (auto const& f : s)
                n += f.function().size() + f.where().line();
            co_return n;
        }
        co_return co_await traced(depth - 1);
    }

    static auto backtrace(Home ex) {
        return [ex]() -> task<void> {
            using namespace affine::awaitable_operators;
            auto [x, y] = co_await (traced(4) && posted(ex, 2));
            if (x == 0 || y != 2)
                std::abort();
        };
    }

    // A chain-local value, set by the first (warm-up) call and read, and updated, after every
    // post.
    static auto chain_local_reads(Home ex) {
        return [ex]() -> task<void> {
            if (!chain_counter.get())
                chain_counter.emplace(0);
            co_await asio::post(ex, use_affine);
            ++*chain_counter.get();
        };
    }

    static task<void> echo(std::shared_ptr<socket> s) {
        std::array<char, 64> buf;
        for (;;) {
            auto [ec, n] =
                co_await asio::async_read(*s, asio::buffer(buf), asio::as_tuple(use_affine));
            if (ec)
                co_return;
            co_await asio::async_write(*s, asio::buffer(buf, n), use_affine);
        }
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(io_context_steady_state_allocates_nothing) {
    asio::io_context ioc;
    using C = cases<asio::io_context::executor_type>;
    auto ex = ioc.get_executor();

    auto nested_f = spawn_measurement(ex, C::nested_chain());
    auto post_f = spawn_measurement(ex, C::post(ex));
    auto post_any_f = spawn_measurement(ex, C::post_type_erased());
    auto timer_f = spawn_measurement(ex, C::timer_wait(std::make_shared<C::timer>(ex)));
    auto both_f = spawn_measurement(ex, C::both(ex));
    auto either_f = spawn_measurement(ex, C::either(ex));
    auto backtrace_f = spawn_measurement(ex, C::backtrace(ex));
    auto chain_local_f = spawn_measurement(ex, C::chain_local_reads(ex));

    auto a = std::make_shared<C::socket>(ex);
    auto b = std::make_shared<C::socket>(ex);
    asio::local::connect_pair(*a, *b);
    affine::co_spawn(ex, C::echo(b), asio::detached);
    auto ping_f = spawn_measurement(ex, C::ping(a));
    while (ping_f.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
        ioc.run_one();
    a->close();
    ioc.run();

    BOOST_TEST(nested_f.get() == 0);
    BOOST_TEST(post_f.get() == 0);
    BOOST_TEST(post_any_f.get() == 0); // this_coro::executor made on demand: no allocation
    BOOST_TEST(timer_f.get() == 0);
    BOOST_TEST(ping_f.get() == 0);
    BOOST_TEST(both_f.get() == 0);
    BOOST_TEST(either_f.get() == 0);
    BOOST_TEST(backtrace_f.get() == 0);   // async_backtrace() allocates nothing
    BOOST_TEST(chain_local_f.get() == 0); // nor does reading a chain-local value
}

BOOST_AUTO_TEST_CASE(strand_over_thread_pool_steady_state_allocates_nothing) {
    // backtrace() loads its unwinder on first use: do it before counting.
    void* probe[4];
    backtrace(probe, 4);
    reserve_frame_pool();
    using strand = asio::strand<asio::thread_pool::executor_type>;
    using C = cases<strand>;
    asio::thread_pool pool(2);
    strand s1 = asio::make_strand(pool.get_executor());
    strand s2 = asio::make_strand(pool.get_executor());
    auto t = std::make_shared<C::timer>(s1);
    auto a = std::make_shared<C::socket>(s1);
    auto b = std::make_shared<C::socket>(s2);
    asio::local::connect_pair(*a, *b);
    affine::co_spawn(s2, C::echo(b), asio::detached);

    // Two threads each meet the frame pool, Asio's thread caches and the
    // timer queue for the first time at some point, and the frame pool's
    // footprint under cross-thread frees (blocks parked in two thread caches)
    // settles over a few slabs: two passes over all cases warm up, the third
    // is measured.
    long nested = 0, post = 0, post_any = 0, timer = 0, ping = 0, both = 0, either = 0;
    long reposts_before = 0;
    for (int pass = 0; pass < 3; ++pass) {
        attributing = pass == 2;
        reposts_before = strand_repost_allocations.load();
        nested = spawn_measurement(s1, C::nested_chain()).get();
        post = spawn_measurement(s1, C::post(s1)).get();
        post_any = spawn_measurement(s1, C::post_type_erased()).get();
        timer = spawn_measurement(s1, C::timer_wait(t)).get();
        ping = spawn_measurement(s1, C::ping(a)).get();
        both = spawn_measurement(s1, C::both(s1)).get();
        either = spawn_measurement(s1, C::either(s1)).get();
    }
    asio::post(s1, [a] { a->close(); });
    pool.join();

    attributing = false;
    if (nested + post + post_any + timer + ping + both + either != 0 && first_counted_claimed)
        std::fprintf(stderr, "first allocation counted against the library while measuring:\n%s",
                     first_counted_stack);
    BOOST_TEST(nested == 0);
    BOOST_TEST(post == 0);
    BOOST_TEST(post_any == 0); // Asio's any_executor::prefer would allocate twice per post
    BOOST_TEST(timer == 0);
    BOOST_TEST(ping == 0);
    BOOST_TEST(both == 0);
    BOOST_TEST(either == 0);
    // Asio's strand invoker re-posts (see above) when a handler reaches the strand while it
    // runs: rare, not one per await. Measured 1 to 30 per 154,000 awaits with Boost 1.81 and
    // 1.92; bounded at one per 100 awaits, so that one per await (what a post the library
    // stopped recognising once looked like) fails.
    long reposts = strand_repost_allocations.load() - reposts_before;
    long awaits = 7 * long(warmup + iterations);
    BOOST_TEST(reposts * 100 <= awaits);
    BOOST_TEST_MESSAGE("strand invoker re-post allocations (Asio-internal): "
                       << reposts << " over " << awaits << " awaits on two strands"
                       << (first_repost_stack[0] ? ", the first from:\n" : "")
                       << first_repost_stack);
}

BOOST_AUTO_TEST_CASE(type_erased_strand_home_allocates_nothing) {
    // The usual Asio idiom: co_spawn(socket.get_executor(), ...) makes the home
    // an any_io_executor holding a strand; resumptions must still carry the
    // chain's allocator. Two threads run the io_context.
    asio::io_context ioc;
    auto guard = asio::make_work_guard(ioc);
    // A thread's first use of the frame pool registers its cache (one
    // allocation, once per thread): do it before the measurement.
    reserve_frame_pool();
    auto warm_then_run = [&] {
        for (std::size_t n = 64; n <= 4096; n *= 2)
            affine::frame_pool::shared().deallocate(affine::frame_pool::shared().allocate(n), n);
        ioc.run();
    };
    std::thread first(warm_then_run);
    std::thread second(warm_then_run);
    asio::any_io_executor home = asio::make_strand(ioc);
    auto post = cases<asio::io_context::executor_type>::post(ioc.get_executor());
    long allocations = 0;
    for (int pass = 0; pass < 2; ++pass) { // the first pass warms up both threads
        attributing = pass == 1;
        allocations = spawn_measurement(home, post).get();
    }
    attributing = false;
    guard.reset();
    first.join();
    second.join();
    BOOST_TEST(allocations == 0);
    BOOST_TEST_MESSAGE("strand invoker re-post allocations (Asio-internal), all cases: "
                       << strand_repost_allocations.load());
}

// The same loops in tasks with a concrete executor type (asio::awaitable<T, Executor>'s
// migration): the chain keeps that executor as it is, and this_coro::executor yields it.
template <class TaskExecutor, class Home>
void check_typed_chain(asio::io_context& ioc, Home ex) {
    using C = cases<Home, TaskExecutor>;
    auto nested_f = spawn_measurement<TaskExecutor>(ex, C::nested_chain());
    auto post_f = spawn_measurement<TaskExecutor>(ex, C::post(ex));
    auto post_own_f = spawn_measurement<TaskExecutor>(ex, C::post_type_erased());
    auto timer_f =
        spawn_measurement<TaskExecutor>(ex, C::timer_wait(std::make_shared<typename C::timer>(ex)));
    auto both_f = spawn_measurement<TaskExecutor>(ex, C::both(ex));
    auto either_f = spawn_measurement<TaskExecutor>(ex, C::either(ex));
    ioc.restart();
    ioc.run();
    BOOST_TEST(nested_f.get() == 0);
    BOOST_TEST(post_f.get() == 0);
    BOOST_TEST(post_own_f.get() == 0); // this_coro::executor: the typed executor, copied
    BOOST_TEST(timer_f.get() == 0);
    BOOST_TEST(both_f.get() == 0);
    BOOST_TEST(either_f.get() == 0);
}

BOOST_AUTO_TEST_CASE(typed_task_executors_steady_state_allocate_nothing) {
    using io_executor = asio::io_context::executor_type;
    asio::io_context ioc;
    check_typed_chain<io_executor>(ioc, ioc.get_executor());
    check_typed_chain<asio::strand<io_executor>>(ioc, asio::make_strand(ioc.get_executor()));
    using with_default =
        asio::as_tuple_t<affine::use_affine_t<io_executor>>::executor_with_default<io_executor>;
    check_typed_chain<with_default>(ioc, with_default(ioc.get_executor()));
}
