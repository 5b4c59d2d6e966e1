//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Memory per suspended session: N sessions (100,000; 10,000 with --quick),
// each a 2-level chain (a task awaiting a task that waits on a steady_timer
// local to it, expiring in an hour), spawned on an io_context and run until
// every one is waiting. Then, per session:
//
//   heap B      bytes the C allocator handed out (mallinfo2: uordblks +
//               hblkhd), i.e. what the sessions took from malloc, the frame
//               pool's slabs included
//   RSS B       growth of the resident set (/proc/self/statm)
//   mallocs     calls to the C allocation functions (counted as in
//               test/zero_alloc.cpp)
//   setup ns    time to spawn the N sessions and run them to their wait
//
// Implementations: boost::affine::task (frames from frame_pool::shared()),
// Boost.Cobalt's task where the build has it (cobalt_impl.hpp: frames from an
// unsynchronized_pool_resource, as under cobalt::run),
// asio::awaitable (co_spawn), the floor (floor_task.hpp: frames from a
// thread-local free list that starts empty, so from operator new), and plain
// callbacks (a heap object holding the timer, and a handler).
//
// Each measurement runs in a child process of its own (fork), so that no
// implementation inherits memory another one freed. Afterwards the timers
// are cancelled and every session must complete.
//
//   bench_memory [--quick]

#include "bench_common.hpp"
#include "cobalt_impl.hpp"
#include "floor_task.hpp"
#include "../test/frame_allocator_scope.hpp"

#include <boost/affine.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

namespace asio = boost::asio;
namespace affine = boost::affine;
using bench::cfg;
using boost::system::error_code;

namespace {

struct registry {
    std::vector<asio::steady_timer*> timers;
    long finished = 0;
};

using executor = asio::io_context::executor_type;

template <class I>
using vtask = typename I::template task<void>;

struct affine_impl {
    template <class T>
    using task = affine::task<T>;
    static constexpr auto& token = affine::use_affine;
    static void spawn(executor ex, task<void> t) {
        affine::co_spawn(ex, std::move(t), asio::detached);
    }
};

struct awaitable_impl {
    template <class T>
    using task = asio::awaitable<T>;
    static constexpr auto& token = asio::use_awaitable;
    static void spawn(executor ex, task<void> t) {
        asio::co_spawn(ex, std::move(t), asio::detached);
    }
};

struct floor_impl {
    template <class T>
    using task = floor_bench::task<T>;
    static constexpr auto& token = floor_bench::use_floor;
    static void spawn(executor ex, task<void> t) {
        floor_bench::spawn(ex, std::move(t), [] {});
    }
};

#if defined(BOOST_AFFINE_BENCH_COBALT)
using bench::cobalt_impl;
constexpr bool with_cobalt = true;
#else
constexpr bool with_cobalt = false;
#endif

template <class I>
vtask<I> wait_level(executor ex, registry* reg) {
    asio::steady_timer t(ex, std::chrono::hours(1));
    reg->timers.push_back(&t);
    auto [ec] = co_await t.async_wait(asio::as_tuple(I::token));
    (void)ec;
    ++reg->finished;
}

template <class I>
vtask<I> session(executor ex, registry* reg) {
    co_await wait_level<I>(ex, reg);
}

struct cb_session {
    asio::steady_timer t;
    registry* reg;
    cb_session(executor ex, registry* r)
        : t(ex, std::chrono::hours(1))
        , reg(r) {}
    void start() {
        reg->timers.push_back(&t);
        t.async_wait([this](error_code) {
            ++reg->finished;
            delete this;
        });
    }
};

struct usage {
    double heap = 0, rss = 0, allocs = 0, pool = 0;
};

usage now_usage() {
    usage u;
    struct mallinfo2 mi = mallinfo2();
    u.heap = double(mi.uordblks + mi.hblkhd);
    std::ifstream statm("/proc/self/statm");
    long size = 0, resident = 0;
    statm >> size >> resident;
    u.rss = double(resident) * double(sysconf(_SC_PAGESIZE));
    u.allocs = double(bench::allocations());
    u.pool = double(affine::frame_pool::shared().statistics().upstream_bytes);
    return u;
}

struct result {
    double heap, rss, allocs, setup_ns, pool;
};

enum class impl { affine, awaitable, callbacks, floor, cobalt };

// In the child process.
result measure(impl which, long n) {
    asio::io_context ioc(1);
    auto ex = ioc.get_executor();
    registry reg;
    reg.timers.reserve(std::size_t(n));
#if defined(BOOST_AFFINE_BENCH_COBALT)
    bench::cobalt_memory::single_thread cobalt_frames;
#endif
    usage const u0 = now_usage();
    auto const t0 = bench::clock_type::now();
    for (long i = 0; i < n; ++i) {
        switch (which) {
        case impl::affine:
            affine_impl::spawn(ex, session<affine_impl>(ex, &reg));
            break;
        case impl::awaitable:
            awaitable_impl::spawn(ex, session<awaitable_impl>(ex, &reg));
            break;
        case impl::floor:
            floor_impl::spawn(ex, session<floor_impl>(ex, &reg));
            break;
        case impl::callbacks:
            asio::post(ex, [s = new cb_session(ex, &reg)] { s->start(); });
            break;
        case impl::cobalt:
#if defined(BOOST_AFFINE_BENCH_COBALT)
            cobalt_impl::spawn_detached(ex, session<cobalt_impl>(ex, &reg));
#endif
            break;
        }
    }
    while (long(reg.timers.size()) < n)
        if (ioc.poll() == 0)
            break;
    auto const t1 = bench::clock_type::now();
    usage const u1 = now_usage();
    if (long(reg.timers.size()) != n) {
        std::fprintf(stderr, "memory: only %zu of %ld sessions are waiting\n", reg.timers.size(),
                     n);
        std::exit(1);
    }
    for (auto* t : reg.timers)
        t->cancel();
    ioc.run();
    if (reg.finished != n) {
        std::fprintf(stderr, "memory: %ld of %ld sessions finished\n", reg.finished, n);
        std::exit(1);
    }
    return {(u1.heap - u0.heap) / double(n), (u1.rss - u0.rss) / double(n),
            (u1.allocs - u0.allocs) / double(n), bench::ns_between(t0, t1) / double(n),
            (u1.pool - u0.pool) / double(n)};
}

// Runs `measure` in a child process.
result measure_in_child(impl which, long n) {
    int fd[2];
    if (pipe(fd) != 0)
        std::abort();
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        result r = measure(which, n);
        if (write(fd[1], &r, sizeof r) != ssize_t(sizeof r))
            _exit(2);
        _exit(0);
    }
    close(fd[1]);
    result r{};
    ssize_t got = read(fd[0], &r, sizeof r);
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (got != ssize_t(sizeof r) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "memory: the child process failed\n");
        std::exit(1);
    }
    return r;
}

// The blocks one affine session takes from its allocator, while suspended,
// in the order they were allocated: requested size -> frame_pool block.
struct block_recorder {
    std::vector<std::pair<void*, std::size_t>> live;
    std::vector<std::size_t> all;
    void* allocate(std::size_t n) {
        void* p = affine::frame_pool::shared().allocate(n);
        live.emplace_back(p, n);
        all.push_back(n);
        return p;
    }
    void deallocate(void* p, std::size_t n) noexcept {
        for (auto it = live.begin(); it != live.end(); ++it)
            if (it->first == p) {
                live.erase(it);
                break;
            }
        affine::frame_pool::shared().deallocate(p, n);
    }
};

std::size_t pool_block(std::size_t n) {
    namespace d = affine::detail;
    std::size_t const c = d::frame_pool_class_of(n);
    return c < d::frame_pool_class_count ? d::frame_pool_class_size(c) : n;
}

std::string affine_session_blocks() {
    block_recorder rec;
    affine::any_frame_allocator handle(rec);
    asio::io_context ioc(1);
    auto ex = ioc.get_executor();
    registry reg;
    reg.timers.reserve(1);
    affine::task<void> t = [&] {
        // Make the session's own frame come from the recorder too.
        test::frame_allocator_scope scope(&handle);
        return session<affine_impl>(ex, &reg);
    }();
    affine::co_spawn(affine::with_allocator(ex, rec), std::move(t), asio::detached);
    while (reg.timers.empty())
        if (ioc.poll() == 0)
            break;
    std::string s = "one affine session's blocks while suspended (requested bytes -> pool block):";
    std::size_t req = 0, blocks = 0;
    for (auto& [p, n] : rec.live) {
        s += " " + std::to_string(n) + "->" + std::to_string(pool_block(n));
        req += n;
        blocks += pool_block(n);
    }
    s += "; total " + std::to_string(req) + " B requested, " + std::to_string(blocks) +
         " B of blocks; transient blocks also allocated:";
    for (std::size_t n : rec.all) {
        bool is_live = false;
        for (auto& [p, m] : rec.live)
            is_live = is_live || m == n;
        if (!is_live)
            s += " " + std::to_string(n);
    }
    for (auto* tm : reg.timers)
        tm->cancel();
    ioc.run();
    return s;
}

} // namespace

int main(int argc, char** argv) {
    bench::init(argc, argv);
    long const n = cfg().pick(100'000L, 10'000L);
    std::vector<std::pair<char const*, impl>> which_impls{{"affine", impl::affine},
                                                          {"awaitable", impl::awaitable},
                                                          {"callbacks", impl::callbacks},
                                                          {"floor", impl::floor}};
    std::vector<std::pair<std::string, std::string>> ratios{{"affine", "awaitable"},
                                                            {"affine", "floor"}};
    if (with_cobalt) {
        which_impls.emplace_back("cobalt", impl::cobalt);
        ratios.emplace_back("affine", "cobalt");
    }
    std::vector<std::string> names;
    for (auto& w : which_impls)
        names.emplace_back(w.first);
    bench::report r("memory", names, ratios);

    std::vector<std::pair<std::string, std::function<bench::sample()>>> impls;
    for (auto [name, which] : which_impls)
        impls.emplace_back(name, [n, which = which] {
            result res = measure_in_child(which, n);
            bench::sample s;
            s.value = res.heap;
            s.allocations = std::uint64_t(res.allocs * double(n) + 0.5);
            s.operations = std::uint64_t(n);
            s.extra["rss"] = res.rss;
            s.extra["setup_ns"] = res.setup_ns;
            s.extra["pool_upstream"] = res.pool;
            return s;
        });
    std::string param = std::to_string(n) + " sessions";
    r.run_case("heap per session", param, "io_context", "bytes", impls);
    // With Cobalt, a table of this run's own (the other runs have no Cobalt column).
    char const* const table_id = with_cobalt ? "memory-cobalt" : "memory";
    std::vector<std::pair<std::string, std::string>> table_ratios{{"affine", "awaitable"}};
    if (with_cobalt)
        table_ratios.emplace_back("affine", "cobalt");
    r.add_table({.id = table_id,
                 .stub = {"per session"},
                 .ratios = table_ratios,
                 .format = "bytes",
                 .merge = with_cobalt ? "own" : "stack"});
    r.show(table_id, {.stub = {"C heap, {compiler} (bytes)"},
                      .group = "heap per session",
                      .param = param,
                      .home = "io_context"});
    r.show(table_id, {.stub = {"resident set, {compiler} (bytes)"},
                      .group = "RSS per session",
                      .param = param,
                      .home = "io_context"});
    r.show(table_id, {.stub = {"calls to `malloc` & co., {compiler}"},
                      .group = "heap per session",
                      .param = param,
                      .home = "io_context",
                      .value = "allocs",
                      .format = "allocs",
                      .ratios = false});
    for (auto [metric, group, unit] :
         {std::tuple{"rss", "RSS per session", "bytes"},
          std::tuple{"setup_ns", "setup per session", "ns"},
          std::tuple{"pool_upstream", "pool slabs per session", "bytes"}}) {
        for (auto& im : impls) {
            bench::row const* src = r.find("heap per session", param, "io_context", im.first);
            if (!src)
                continue;
            if (std::string(metric) == "pool_upstream" && im.first != "affine")
                continue;
            bench::row row{group, param, "io_context", unit, im.first, {}};
            for (auto& smp : src->runs) {
                bench::sample x = smp;
                x.value = smp.extra.at(metric);
                row.runs.push_back(x);
            }
            r.add(std::move(row));
        }
    }

    auto v = [&](char const* group, char const* i) {
        return r.value(group, param, "io_context", i);
    };
    r.add_target("heap bytes per session affine/awaitable",
                 v("heap per session", "affine") / v("heap per session", "awaitable"), "<=", 0.5);
    r.add_target("RSS per session affine/awaitable",
                 v("RSS per session", "affine") / v("RSS per session", "awaitable"), "<=", 0.5);
    if (bench::row const* a = r.find("heap per session", param, "io_context", "affine"))
        r.add_target("mallocs per session affine", a->allocs_per_op(), "<=", 0.1);
    r.note(affine_session_blocks());
    r.note("heap = mallinfo2 uordblks + hblkhd growth / sessions; allocs/op column = mallocs "
           "per session");
    r.write_dat("memory", {{"heap", "heap per session", param, "io_context"},
                           {"RSS", "RSS per session", param, "io_context"}});
    r.finish();
}
