//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The coroutine cases: boost::affine::task against asio::awaitable, plain
// Asio callbacks (where the case has them) and the floor (floor_task.hpp),
// in one binary and one run, interleaved, each the median of >= 5 runs.
//
//   nested      co_await a chain of `depth` nested task<int> (recursion with a
//               runtime depth, so no compiler can elide the frames), in ns per
//               level and global allocations per call
//   post        co_await asio::post(ex, token)
//   timer       a steady_timer expiring at once: expires_after(0), async_wait
//   ping-pong   64 bytes each way over a local stream socket pair (both sides
//               written with the same implementation)
//   and / or    co_await (a && b), (a || b): two tasks that each await one post
//               (asio::experimental::awaitable_operators for awaitable;
//               floor::when_all / when_any for the floor)
//   spawn       co_spawn of a short chain (a task awaiting a task<int> that
//               completes at once), detached, in batches of 256 (io_context)
//
// Homes: an io_context run by the main thread, and a strand over a
// thread_pool(2). I/O objects have the home's concrete executor type. Global
// allocations are counted at the C library's door (bench_common.hpp) between
// the end of a warm-up and the end of each run.
//
// Also: sizeof of the promise types, and the frame sizes of the tasks used
// here, for each implementation.
//
// Built with Boost.Cobalt (cobalt_impl.hpp), each coroutine case also runs
// cobalt::task; the tables are then declared for that run alone (the cases of
// the other runs have no Cobalt column).
//
//   bench_task [--quick]

#include "bench_common.hpp"
#include "cobalt_impl.hpp"
#include "floor_task.hpp"

#include <boost/affine.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <condition_variable>
#include <mutex>
#include <tuple>
#include <variant>

namespace asio = boost::asio;
namespace affine = boost::affine;
using bench::cfg;
using boost::system::error_code;

namespace {

// ---------------------------------------------------------------------------
// The implementations, behind one interface.

void check(std::exception_ptr e) {
    if (e)
        std::rethrow_exception(e);
}

struct affine_impl {
    template <class T>
    using task = affine::task<T>;
    static constexpr auto& token = affine::use_affine;

    template <class Ex, class T, class Done>
    static void spawn(Ex const& ex, task<T> t, Done done) {
        affine::co_spawn(ex, std::move(t), [done](std::exception_ptr e, auto&&...) mutable {
            check(e);
            done();
        });
    }
    template <class Ex, class T>
    static void spawn_detached(Ex const& ex, task<T> t) {
        affine::co_spawn(ex, std::move(t), asio::detached);
    }
    template <class A, class B>
    static auto both(task<A> a, task<B> b) {
        using namespace affine::awaitable_operators;
        return std::move(a) && std::move(b);
    }
    template <class A, class B>
    static auto either(task<A> a, task<B> b) {
        using namespace affine::awaitable_operators;
        return std::move(a) || std::move(b);
    }
};

struct awaitable_impl {
    template <class T>
    using task = asio::awaitable<T>;
    static constexpr auto& token = asio::use_awaitable;

    template <class Ex, class T, class Done>
    static void spawn(Ex const& ex, task<T> t, Done done) {
        asio::co_spawn(ex, std::move(t), [done](std::exception_ptr e, auto&&...) mutable {
            check(e);
            done();
        });
    }
    template <class Ex, class T>
    static void spawn_detached(Ex const& ex, task<T> t) {
        asio::co_spawn(ex, std::move(t), asio::detached);
    }
    template <class A, class B>
    static auto both(task<A> a, task<B> b) {
        using namespace asio::experimental::awaitable_operators;
        return std::move(a) && std::move(b);
    }
    template <class A, class B>
    static auto either(task<A> a, task<B> b) {
        using namespace asio::experimental::awaitable_operators;
        return std::move(a) || std::move(b);
    }
};

struct floor_impl {
    template <class T>
    using task = floor_bench::task<T>;
    static constexpr auto& token = floor_bench::use_floor;

    template <class Ex, class T, class Done>
    static void spawn(Ex const& ex, task<T> t, Done done) {
        floor_bench::spawn(ex, std::move(t), std::move(done));
    }
    template <class Ex, class T>
    static void spawn_detached(Ex const& ex, task<T> t) {
        floor_bench::spawn(ex, std::move(t), [] {});
    }
    template <class A, class B>
    static auto both(task<A> a, task<B> b) {
        return floor_bench::when_all(std::move(a), std::move(b));
    }
    template <class A, class B>
    static auto either(task<A> a, task<B> b) {
        return floor_bench::when_any(std::move(a), std::move(b));
    }
};

// ---------------------------------------------------------------------------
// Homes.

using bench::completion;

struct done_fn {
    completion* c;
    void operator()() const { c->signal(); }
};

struct io_home {
    static constexpr char const* name = "io_context";
    using executor_type = asio::io_context::executor_type;
    asio::io_context ioc{1};
    completion c;
    executor_type a() { return ioc.get_executor(); }
    executor_type b() { return ioc.get_executor(); }
    done_fn done() { return {&c}; }
    void wait(int n) {
        ioc.restart();
        ioc.run();
        c.wait(n);
    }
};

struct strand_home {
    static constexpr char const* name = "strand/tp2";
    using executor_type = asio::strand<asio::thread_pool::executor_type>;
    asio::thread_pool pool{2};
    executor_type a_ = asio::make_strand(pool.get_executor());
    executor_type b_ = asio::make_strand(pool.get_executor());
    completion c;
    executor_type a() { return a_; }
    executor_type b() { return b_; }
    done_fn done() { return {&c}; }
    void wait(int n) { c.wait(n); }
};

// Measures the end of a run: time since start(), allocations since start().
struct meter {
    bench::clock_type::time_point t0;
    std::uint64_t a0 = 0;
    void start() {
        a0 = bench::allocations();
        t0 = bench::clock_type::now();
    }
    // `ops`: operations the allocations are per; `per`: what the time is per.
    void stop(bench::sample& s, std::uint64_t ops, double per) {
        auto const t1 = bench::clock_type::now();
        s.allocations = bench::allocations() - a0;
        s.operations = ops;
        s.value = bench::ns_between(t0, t1) / per;
    }
};

// ---------------------------------------------------------------------------
// The cases, written once for the three coroutine implementations.

template <class I>
using task = typename I::template task<int>;
template <class I>
using vtask = typename I::template task<void>;

template <class I>
task<I> nested(int depth) {
    if (depth <= 1)
        co_return 1;
    co_return 1 + co_await nested<I>(depth - 1);
}

template <class I>
vtask<I> nested_loop(int depth, int warm, int n, bench::sample* s) {
    meter m{};
    long sum = 0;
    for (int i = 0; i < warm + n; ++i) {
        if (i == warm)
            m.start();
        sum += co_await nested<I>(depth);
    }
    m.stop(*s, n, double(n) * depth);
    if (sum != long(warm + n) * depth)
        std::abort();
}

template <class I, class Ex>
vtask<I> post_loop(Ex ex, int warm, int n, bench::sample* s) {
    meter m{};
    for (int i = 0; i < warm + n; ++i) {
        if (i == warm)
            m.start();
        co_await asio::post(ex, I::token);
    }
    m.stop(*s, n, n);
}

// The usual spelling: post to the coroutine's own executor, an any_io_executor.
template <class I>
vtask<I> post_any_loop(int warm, int n, bench::sample* s) {
    asio::any_io_executor ex = co_await asio::this_coro::executor;
    meter m;
    for (int i = 0; i < warm + n; ++i) {
        if (i == warm)
            m.start();
        co_await asio::post(ex, I::token);
    }
    m.stop(*s, n, n);
}

template <class I, class Timer>
vtask<I> timer_loop(Timer& t, int warm, int n, bench::sample* s) {
    meter m{};
    for (int i = 0; i < warm + n; ++i) {
        if (i == warm)
            m.start();
        t.expires_after(std::chrono::seconds(0));
        co_await t.async_wait(I::token);
    }
    m.stop(*s, n, n);
}

template <class I, class Socket>
vtask<I> echo_side(Socket& s) {
    std::array<char, 64> buf;
    for (;;) {
        auto [ec, n] = co_await asio::async_read(s, asio::buffer(buf), asio::as_tuple(I::token));
        if (ec)
            co_return;
        co_await asio::async_write(s, asio::buffer(buf, n), I::token);
    }
}

template <class I, class Socket>
vtask<I> ping_loop(Socket& s, int warm, int n, bench::sample* smp) {
    meter m{};
    std::array<char, 64> out{'p'}, in{};
    for (int i = 0; i < warm + n; ++i) {
        if (i == warm)
            m.start();
        co_await asio::async_write(s, asio::buffer(out), I::token);
        co_await asio::async_read(s, asio::buffer(in), I::token);
        if (in[0] != 'p')
            std::abort();
    }
    m.stop(*smp, n, n);
    s.close();
}

template <class I, class Ex>
task<I> posted(Ex ex, int v) {
    co_await asio::post(ex, I::token);
    co_return v;
}

template <class I, class Ex>
vtask<I> and_loop(Ex ex, int warm, int n, bench::sample* s) {
    meter m{};
    long sum = 0;
    for (int i = 0; i < warm + n; ++i) {
        if (i == warm)
            m.start();
        auto [x, y] = co_await I::both(posted<I>(ex, 1), posted<I>(ex, 2));
        sum += x + y;
    }
    m.stop(*s, n, n);
    if (sum != 3L * (warm + n))
        std::abort();
}

template <class I, class Ex>
vtask<I> or_loop(Ex ex, int warm, int n, bench::sample* s) {
    meter m{};
    long sum = 0;
    for (int i = 0; i < warm + n; ++i) {
        if (i == warm)
            m.start();
        auto v = co_await I::either(posted<I>(ex, 1), posted<I>(ex, 2));
        sum += visit([](int x) { return x; }, v); // std:: or Cobalt's variant2::, by ADL
    }
    m.stop(*s, n, n);
    bench::keep(sum);
}

template <class I>
task<I> leaf() {
    co_return 1;
}

template <class I>
vtask<I> short_chain(long* counter) {
    *counter += co_await leaf<I>();
}

// ---------------------------------------------------------------------------
// The same cases with plain callbacks.

template <class Ex>
struct cb_post {
    Ex ex;
    int warm, n;
    bench::sample* s;
    done_fn done;
    int i = 0;
    meter m{};
    void step() {
        if (i == warm)
            m.start();
        if (i == warm + n) {
            m.stop(*s, n, n);
            done();
            return;
        }
        ++i;
        asio::post(ex, [this] { step(); });
    }
};

template <class Timer>
struct cb_timer {
    Timer& t;
    int warm, n;
    bench::sample* s;
    done_fn done;
    int i = 0;
    meter m{};
    void step() {
        if (i == warm)
            m.start();
        if (i == warm + n) {
            m.stop(*s, n, n);
            done();
            return;
        }
        ++i;
        t.expires_after(std::chrono::seconds(0));
        t.async_wait([this](error_code) { step(); });
    }
};

template <class Socket>
struct cb_echo {
    Socket& s;
    done_fn done;
    std::array<char, 64> buf{};
    void read() {
        asio::async_read(s, asio::buffer(buf), [this](error_code ec, std::size_t n) {
            if (ec) {
                done();
                return;
            }
            asio::async_write(s, asio::buffer(buf, n), [this](error_code ec2, std::size_t) {
                if (ec2) {
                    done();
                    return;
                }
                read();
            });
        });
    }
};

template <class Socket>
struct cb_ping {
    Socket& sock;
    int warm, n;
    bench::sample* s;
    done_fn done;
    int i = 0;
    meter m{};
    std::array<char, 64> out{'p'}, in{};
    void step() {
        if (i == warm)
            m.start();
        if (i == warm + n) {
            m.stop(*s, n, n);
            sock.close();
            done();
            return;
        }
        ++i;
        asio::async_write(sock, asio::buffer(out), [this](error_code ec, std::size_t) {
            if (ec)
                std::abort();
            asio::async_read(sock, asio::buffer(in), [this](error_code ec2, std::size_t) {
                if (ec2 || in[0] != 'p')
                    std::abort();
                step();
            });
        });
    }
};

// Two posted functions, joined: the callback form of a && b.
template <class Ex>
struct cb_and {
    Ex ex;
    int warm, n;
    bench::sample* s;
    done_fn done;
    int i = 0;
    int pending = 0;
    long sum = 0;
    meter m{};
    void step() {
        if (i == warm)
            m.start();
        if (i == warm + n) {
            m.stop(*s, n, n);
            done();
            return;
        }
        ++i;
        pending = 2;
        asio::post(ex, [this] { arrive(1); });
        asio::post(ex, [this] { arrive(2); });
    }
    void arrive(int v) {
        sum += v;
        if (--pending == 0)
            step();
    }
};

[[gnu::noinline]] int leaf_function() {
    return 1;
}

// ---------------------------------------------------------------------------
// Running a case.

// A strand over a thread_pool(2) hands work between the two threads, and
// whether the next handler runs on the thread that posted it or wakes the
// other one varies from run to run (a run's mean can differ 3x from the
// next): its cases get 3x the runs (of a third of the operations each).
template <class Home>
constexpr bool is_strand = std::is_same_v<Home, strand_home>;

template <class Home>
int runs() {
    return is_strand<Home> && !cfg().quick ? 3 * cfg().repetitions : cfg().repetitions;
}

template <class Home>
int ops(int io, int strand, int quick) {
    return cfg().pick(is_strand<Home> ? strand / 3 : io, quick);
}

using impl_list = std::vector<std::pair<std::string, std::function<bench::sample()>>>;

#if defined(BOOST_AFFINE_BENCH_COBALT)
using bench::cobalt_impl;
constexpr bool with_cobalt = true;
#else
struct cobalt_impl {};
constexpr bool with_cobalt = false;
#endif

// Adds Cobalt's run of a case, made by `run(cobalt_impl{})`, where it is built.
template <class Run>
impl_list&& and_cobalt(impl_list&& impls, Run run) {
    if constexpr (with_cobalt)
        impls.emplace_back("cobalt", run(cobalt_impl{}));
    return std::move(impls);
}

// One run of a chain made by `make(sample*)`, spawned on home.a().
template <class I, class Home, class Make>
std::function<bench::sample()> chain_run(Home& h, Make make) {
    return [&h, make] {
        bench::sample s;
        I::spawn(h.a(), make(&s), h.done());
        h.wait(1);
        return s;
    };
}

template <class Home>
void case_nested(bench::report& r, Home& h) {
    long const levels =
        cfg().pick(4'000'000L, 200'000L) / (is_strand<Home> && !cfg().quick ? 3 : 1);
    for (int depth : {1, 4, 16, 64}) {
        int const n = int(levels / depth);
        int const warm = n / 10 + 1;
        auto run = [&]<class I>(I) {
            return chain_run<I>(h, [depth, warm, n](bench::sample* s) {
                return nested_loop<I>(depth, warm, n, s);
            });
        };
        r.run_case("nested", "depth=" + std::to_string(depth), Home::name, "ns/level",
                   and_cobalt({{"affine", run(affine_impl{})},
                               {"awaitable", run(awaitable_impl{})},
                               {"floor", run(floor_impl{})}},
                              run),
                   runs<Home>());
    }
}

template <class Home>
void case_post(bench::report& r, Home& h) {
    int const n = ops<Home>(400'000, 150'000, 10'000);
    int const warm = n / 10;
    auto run = [&]<class I>(I) {
        return chain_run<I>(
            h, [&h, warm, n](bench::sample* s) { return post_loop<I>(h.a(), warm, n, s); });
    };
    auto cb = [&h, warm, n] {
        bench::sample s;
        cb_post<typename Home::executor_type> c{h.a(), warm, n, &s, h.done()};
        asio::post(h.a(), [&c] { c.step(); });
        h.wait(1);
        return s;
    };
    r.run_case("post", "", Home::name, "ns/op",
               and_cobalt({{"affine", run(affine_impl{})},
                           {"awaitable", run(awaitable_impl{})},
                           {"callbacks", cb},
                           {"floor", run(floor_impl{})}},
                          run),
               runs<Home>());
    auto run_any = [&]<class I>(I) {
        return chain_run<I>(h,
                            [warm, n](bench::sample* s) { return post_any_loop<I>(warm, n, s); });
    };
    r.run_case(
        "post", "any_io_executor", Home::name, "ns/op",
        and_cobalt({{"affine", run_any(affine_impl{})}, {"awaitable", run_any(awaitable_impl{})}},
                   run_any),
        runs<Home>());
}

template <class Home>
using timer_t_ = asio::basic_waitable_timer<std::chrono::steady_clock,
                                            asio::wait_traits<std::chrono::steady_clock>,
                                            typename Home::executor_type>;
template <class Home>
using socket_t =
    asio::basic_stream_socket<asio::local::stream_protocol, typename Home::executor_type>;

template <class Home>
void case_timer(bench::report& r, Home& h) {
    int const n = ops<Home>(20'000, 20'000, 1'000);
    int const warm = n / 10;
    auto run = [&]<class I>(I) {
        return [&h, warm, n] {
            bench::sample s;
            timer_t_<Home> t(h.a());
            I::spawn(h.a(), timer_loop<I>(t, warm, n, &s), h.done());
            h.wait(1);
            return s;
        };
    };
    auto cb = [&h, warm, n] {
        bench::sample s;
        timer_t_<Home> t(h.a());
        cb_timer<timer_t_<Home>> c{t, warm, n, &s, h.done()};
        asio::post(h.a(), [&c] { c.step(); });
        h.wait(1);
        return s;
    };
    r.run_case("timer", "expiry=0", Home::name, "ns/op",
               and_cobalt({{"affine", run(affine_impl{})},
                           {"awaitable", run(awaitable_impl{})},
                           {"callbacks", cb},
                           {"floor", run(floor_impl{})}},
                          run),
               runs<Home>());
}

template <class Home>
void case_ping_pong(bench::report& r, Home& h) {
    int const n = ops<Home>(20'000, 20'000, 1'000);
    int const warm = n / 10;
    auto run = [&]<class I>(I) {
        return [&h, warm, n] {
            bench::sample s;
            socket_t<Home> a(h.a()), b(h.b());
            asio::local::connect_pair(a, b);
            I::spawn(h.b(), echo_side<I>(b), h.done());
            I::spawn(h.a(), ping_loop<I>(a, warm, n, &s), h.done());
            h.wait(2);
            return s;
        };
    };
    auto cb = [&h, warm, n] {
        bench::sample s;
        socket_t<Home> a(h.a()), b(h.b());
        asio::local::connect_pair(a, b);
        cb_echo<socket_t<Home>> e{b, h.done()};
        cb_ping<socket_t<Home>> p{a, warm, n, &s, h.done()};
        asio::post(h.b(), [&e] { e.read(); });
        asio::post(h.a(), [&p] { p.step(); });
        h.wait(2);
        return s;
    };
    impl_list impls = and_cobalt({{"affine", run(affine_impl{})},
                                  {"awaitable", run(awaitable_impl{})},
                                  {"callbacks", cb},
                                  {"floor", run(floor_impl{})}},
                                 run);
#if defined(__clang__)
    // With clang 16, asio::awaitable crashed in this case on the strand
    // (SIGSEGV, in 2 of 5 runs; in echo_bench: in awaitable_thread::pump on
    // a null frame); nothing else did.
    if (is_strand<Home>) {
        impls.erase(impls.begin() + 1);
        r.note("asio::awaitable is left out of ping-pong on strand/tp2 with clang 16: it "
               "crashed intermittently there (SIGSEGV)");
    }
#endif
    r.run_case("ping-pong", "64 B", Home::name, "ns/rt", impls, runs<Home>());
}

template <class Home>
void case_operators(bench::report& r, Home& h) {
    int const n = ops<Home>(100'000, 60'000, 4'000);
    int const warm = n / 10;
    auto run_and = [&]<class I>(I) {
        return chain_run<I>(
            h, [&h, warm, n](bench::sample* s) { return and_loop<I>(h.a(), warm, n, s); });
    };
    auto run_or = [&]<class I>(I) {
        return chain_run<I>(
            h, [&h, warm, n](bench::sample* s) { return or_loop<I>(h.a(), warm, n, s); });
    };
    auto cb = [&h, warm, n] {
        bench::sample s;
        cb_and<typename Home::executor_type> c{h.a(), warm, n, &s, h.done()};
        asio::post(h.a(), [&c] { c.step(); });
        h.wait(1);
        return s;
    };
    r.run_case("a && b", "2 posts", Home::name, "ns/op",
               and_cobalt({{"affine", run_and(affine_impl{})},
                           {"awaitable", run_and(awaitable_impl{})},
                           {"callbacks", cb},
                           {"floor", run_and(floor_impl{})}},
                          run_and),
               runs<Home>());
    r.run_case("a || b", "2 posts", Home::name, "ns/op",
               and_cobalt({{"affine", run_or(affine_impl{})},
                           {"awaitable", run_or(awaitable_impl{})},
                           {"floor", run_or(floor_impl{})}},
                          run_or),
               runs<Home>());
}

void case_spawn(bench::report& r, io_home& h) {
    int const batch = 256;
    int const batches = cfg().pick(400, 40);
    auto run = [&]<class I>(I) {
        return [&h, batches] {
            bench::sample s;
            long counter = 0;
            auto ex = h.a();
            auto one_batch = [&] {
                for (int i = 0; i < batch; ++i)
                    I::spawn_detached(ex, short_chain<I>(&counter));
                h.ioc.restart();
                h.ioc.run();
            };
            for (int b = 0; b < batches / 10 + 1; ++b)
                one_batch();
            meter m;
            m.start();
            for (int b = 0; b < batches; ++b)
                one_batch();
            m.stop(s, std::uint64_t(batch) * batches, double(batch) * batches);
            if (counter != long(batch) * (batches + batches / 10 + 1))
                std::abort();
            return s;
        };
    };
    auto cb = [&h, batches] {
        bench::sample s;
        long counter = 0;
        auto ex = h.a();
        auto one_batch = [&] {
            for (int i = 0; i < batch; ++i)
                asio::post(ex, [&counter] { counter += leaf_function(); });
            h.ioc.restart();
            h.ioc.run();
        };
        for (int b = 0; b < batches / 10 + 1; ++b)
            one_batch();
        meter m;
        m.start();
        for (int b = 0; b < batches; ++b)
            one_batch();
        m.stop(s, std::uint64_t(batch) * batches, double(batch) * batches);
        return s;
    };
    r.run_case("spawn", "2-level chain", io_home::name, "ns/spawn",
               and_cobalt({{"affine", run(affine_impl{})},
                           {"awaitable", run(awaitable_impl{})},
                           {"callbacks", cb},
                           {"floor", run(floor_impl{})}},
                          run));
}

// ---------------------------------------------------------------------------
// Sizes.

// Records the size of every block asked for, then allocates from the shared pool.
struct size_recorder {
    std::size_t last = 0;
    std::vector<std::size_t> sizes;
    void* allocate(std::size_t n) {
        last = n;
        sizes.push_back(n);
        return affine::frame_pool::shared().allocate(n);
    }
    void deallocate(void* p, std::size_t n) noexcept {
        affine::frame_pool::shared().deallocate(p, n);
    }
};

// Not inlined, so that the frame escapes: it cannot be elided into a caller.
template <class F>
[[gnu::noinline]] auto make(F f) {
    return f();
}

template <class I>
vtask<I> empty_task() {
    co_return;
}

// The frames of the cases, created (not run) by each implementation; `size`
// reports the size of the allocation the creation made.
template <class I, class Size>
void frame_sizes(std::vector<std::pair<std::string, std::size_t>>& out, Size size) {
    static asio::io_context ioc;
    static timer_t_<io_home> timer(ioc.get_executor());
    static socket_t<io_home> sock(ioc.get_executor());
    bench::sample s;
    auto e = ioc.get_executor();
    out.emplace_back("frame: empty task<void>", size([] { return empty_task<I>(); }));
    out.emplace_back("frame: nested level (task<int>)", size([] { return nested<I>(2); }));
    out.emplace_back("frame: post loop", size([&] { return post_loop<I>(e, 0, 0, &s); }));
    out.emplace_back("frame: timer loop", size([&] { return timer_loop<I>(timer, 0, 0, &s); }));
    out.emplace_back("frame: ping loop (2 x 64 B)",
                     size([&] { return ping_loop<I>(sock, 0, 0, &s); }));
    out.emplace_back("frame: echo side (64 B)", size([&] { return echo_side<I>(sock); }));
    out.emplace_back("frame: a && b awaiting loop", size([&] { return and_loop<I>(e, 0, 0, &s); }));
    out.emplace_back("frame: a && b operator", size([&] { return I::both(leaf<I>(), leaf<I>()); }));
}

#if defined(BOOST_AFFINE_BENCH_COBALT)
// Records the size of every block Cobalt's frames ask for.
struct recording_resource : std::pmr::memory_resource {
    std::size_t last = 0;
    void* do_allocate(std::size_t n, std::size_t align) override {
        last = n;
        return std::pmr::new_delete_resource()->allocate(n, align);
    }
    void do_deallocate(void* p, std::size_t n, std::size_t align) override {
        std::pmr::new_delete_resource()->deallocate(p, n, align);
    }
    bool do_is_equal(std::pmr::memory_resource const& o) const noexcept override {
        return this == &o;
    }
};
#endif

void sizes(bench::report& r) {
    auto add = [&](std::string group, std::string impl, double bytes) {
        bench::row row{std::move(group), "", "-", "bytes", std::move(impl), {}};
        bench::sample s;
        s.value = bytes;
        s.allocations = 0;
        row.runs.push_back(s);
        r.add(std::move(row));
    };
    add("sizeof promise task<void>", "affine", sizeof(affine::task<void>::promise_type));
    add("sizeof promise task<int>", "affine", sizeof(affine::task<int>::promise_type));
    add("sizeof promise task<void>", "awaitable",
        sizeof(std::coroutine_traits<asio::awaitable<void>>::promise_type));
    add("sizeof promise task<int>", "awaitable",
        sizeof(std::coroutine_traits<asio::awaitable<int>>::promise_type));
    add("sizeof promise task<void>", "floor", sizeof(floor_bench::task<void>::promise_type));
    add("sizeof promise task<int>", "floor", sizeof(floor_bench::task<int>::promise_type));
#if defined(BOOST_AFFINE_BENCH_COBALT)
    add("sizeof promise task<void>", "cobalt",
        sizeof(std::coroutine_traits<boost::cobalt::task<void>>::promise_type));
    add("sizeof promise task<int>", "cobalt",
        sizeof(std::coroutine_traits<boost::cobalt::task<int>>::promise_type));
#endif
    add("sizeof per-chain state", "affine",
        sizeof(affine::detail::basic_environment<asio::io_context::executor_type>));
    add("sizeof per-chain state", "awaitable",
        sizeof(asio::detail::awaitable_thread<asio::any_io_executor>));
    add("sizeof use_affine op (read)", "affine",
        sizeof(affine::async_op<void(error_code, std::size_t)>));

    // affine: the frames are allocated from the chain's allocator, here a
    // recorder; a frame is the block less the 16-byte header.
    {
        size_recorder rec;
        asio::io_context ioc;
        std::vector<std::pair<std::string, std::size_t>> out;
        auto ex = affine::with_allocator(ioc.get_executor(), rec);
        affine::co_spawn(
            ex,
            [&]() -> affine::task<void> {
                frame_sizes<affine_impl>(out, [&](auto f) {
                    rec.last = 0;
                    auto t = make(f);
                    return rec.last ? rec.last - 16 : 0;
                });
                co_return;
            },
            asio::detached);
        std::size_t root = rec.sizes.empty() ? 0 : rec.sizes.front() - 16;
        ioc.run();
        for (auto& [k, v] : out)
            add(k, "affine", double(v));
        add("frame: co_spawn root (callable form)", "affine", double(root));
    }
    {
        std::vector<std::pair<std::string, std::size_t>> out;
        frame_sizes<floor_impl>(out, [](auto f) {
            floor_bench::last_frame_size = 0;
            auto t = make(f);
            return floor_bench::last_frame_size;
        });
        for (auto& [k, v] : out)
            add(k, "floor", double(v));
    }
#if defined(BOOST_AFFINE_BENCH_COBALT)
    {
        // Cobalt's frames, from this thread's default resource. Its join
        // allocates when awaited, not when made: no operator row.
        recording_resource rec;
        auto* previous = boost::cobalt::this_thread::set_default_resource(&rec);
        std::vector<std::pair<std::string, std::size_t>> out;
        frame_sizes<cobalt_impl>(out, [&](auto f) {
            rec.last = 0;
            auto t = make(f);
            return rec.last;
        });
        boost::cobalt::this_thread::set_default_resource(previous);
        for (auto& [k, v] : out)
            if (k != "frame: a && b operator")
                add(k, "cobalt", double(v));
    }
#endif
    {
        // Outside io_context::run, Asio's frame allocation goes straight to
        // aligned_alloc, with the size rounded up: ceil(size / 4) * 4 + 1,
        // then to a multiple of 16. This is the block's size, not the frame's.
        std::vector<std::pair<std::string, std::size_t>> out;
        frame_sizes<awaitable_impl>(out, [](auto f) {
            bench::detail::last_alloc_size = 0;
            auto t = make(f);
            return bench::detail::last_alloc_size;
        });
        for (auto& [k, v] : out)
            add(k, "awaitable", double(v));
    }
    // With Cobalt, a table of this run's own (the other runs have no Cobalt column).
    char const* const sizes_id = with_cobalt ? "sizes-cobalt" : "sizes";
    std::vector<std::pair<std::string, std::string>> columns{
        {"affine", "affine"}, {"awaitable", "awaitable"}, {"floor", "floor"}};
    if (with_cobalt)
        columns.emplace_back("cobalt", "cobalt");
    r.add_table({.id = sizes_id,
                 .stub = {""},
                 .columns = columns,
                 .format = "bytes",
                 .merge = with_cobalt ? "own" : "side"});
    for (auto [group, label] : std::initializer_list<std::pair<char const*, char const*>>{
             {"sizeof promise task<void>", "`sizeof` promise of `task<void>`"},
             {"sizeof promise task<int>", "`sizeof` promise of `task<int>`"},
             {"sizeof per-chain state", "`sizeof` per-chain state (affine: "
                                        "`basic_environment<io_context::executor_type>`; "
                                        "awaitable: `awaitable_thread`)"},
             {"sizeof use_affine op (read)", "`sizeof async_op<void(error_code, size_t)>`"},
             {"frame: empty task<void>", "frame: empty `task<void>`"},
             {"frame: nested level (task<int>)", "frame: nested level (`task<int>` awaiting one)"},
             {"frame: post loop", "frame: `post` loop"},
             {"frame: timer loop", "frame: timer loop"},
             {"frame: ping loop (2 x 64 B)", "frame: ping loop (two 64-byte buffers)"},
             {"frame: echo side (64 B)", "frame: echo side (64-byte buffer)"},
             {"frame: a && b awaiting loop", "frame: the loop awaiting `a && b`"},
             {"frame: a && b operator", "frame: `a && b` operator"},
             {"frame: co_spawn root (callable form)", "frame: `co_spawn` root (callable form)"}})
        r.show(sizes_id, {.stub = {label}, .group = group, .param = "", .home = "-"});
    r.note("frame sizes: affine = the size its promise's operator new receives (the pool "
           "block is 16 bytes more, rounded up to a multiple of 16); floor = the same; "
           "awaitable = the block Asio asks aligned_alloc for (the frame size rounded up to "
           "4, plus 1, then to 16)" +
           std::string(with_cobalt ? "; cobalt = the size its promise asks its memory "
                                     "resource for"
                                   : ""));
}

} // namespace

int main(int argc, char** argv) {
    bench::init(argc, argv);
    std::vector<std::string> impls{"affine", "awaitable", "callbacks", "floor"};
    std::vector<std::pair<std::string, std::string>> ratios{{"affine", "awaitable"},
                                                            {"affine", "floor"}};
    if (with_cobalt) {
        impls.emplace_back("cobalt");
        ratios.emplace_back("affine", "cobalt");
    }
    bench::report r("task", impls, ratios);
#if defined(BOOST_AFFINE_BENCH_COBALT)
    // Before any thread exists: every thread's default (see cobalt_impl.hpp).
    bench::cobalt_memory::install_shared();
#endif

    // Reserve frame-pool memory, as a server would: the pool's footprint
    // under cross-thread frees otherwise settles over the first runs.
    {
        std::vector<void*> held;
        for (std::size_t size = 64; size <= 4096; size *= 2) {
            for (int i = 0; i < 512; ++i)
                held.push_back(affine::frame_pool::shared().allocate(size));
            for (void* p : held)
                affine::frame_pool::shared().deallocate(p, size);
            held.clear();
        }
    }

    // How the documentation shows the cases (tools/bench-tables.py).
    for (auto [id, home, title] :
         {std::tuple{"task-io", io_home::name, "{compiler}, `io_context`, one thread"},
          std::tuple{"task-strand", strand_home::name,
                     "{compiler}, strand over `thread_pool(2)`"}}) {
        r.add_table(
            {.id = id, .title = title, .stub = {"case (unit)"}, .ratios = ratios, .allocs = true});
        for (int depth : {1, 4, 16, 64})
            r.show(id, {.stub = {"nested, depth " + std::to_string(depth) + " (ns/level)"},
                        .group = "nested",
                        .param = "depth=" + std::to_string(depth),
                        .home = home});
        for (auto [label, group, param] :
             {std::tuple{"`post`", "post", ""},
              std::tuple{"`post` to an `any_io_executor`", "post", "any_io_executor"},
              std::tuple{"timer, zero expiry", "timer", "expiry=0"},
              std::tuple{"ping-pong, 64 B (round trip)", "ping-pong", "64 B"},
              std::tuple{"`a && b` (each posts once)", "a && b", "2 posts"},
              std::tuple{"`a || b` (each posts once)", "a || b", "2 posts"}})
            r.show(id, {.stub = {label}, .group = group, .param = param, .home = home});
    }
    r.show("task-io", {.stub = {"`co_spawn` of a 2-level chain"},
                       .group = "spawn",
                       .param = "2-level chain",
                       .home = io_home::name});
    // The main cases, compilers side by side (with bench_echo's); not with
    // Cobalt (a run on another Boost, see bench/cobalt_impl.hpp).
    if (!with_cobalt)
        r.add_table({.id = "clang",
                     .stub = {"case"},
                     .columns = {{"affine", "affine"}},
                     .ratios = {{"affine", "awaitable"}, {"affine", "floor"}},
                     .merge = "side"});
    for (auto [label, group, param, home] :
         {std::tuple{"nested, depth 4, `io_context` (ns/level)", "nested", "depth=4",
                     io_home::name},
          std::tuple{"nested, depth 16, `io_context` (ns/level)", "nested", "depth=16",
                     io_home::name},
          std::tuple{"nested, depth 64, `io_context` (ns/level)", "nested", "depth=64",
                     io_home::name},
          std::tuple{"nested, depth 64, strand (ns/level)", "nested", "depth=64",
                     strand_home::name},
          std::tuple{"`post`, `io_context`", "post", "", io_home::name},
          std::tuple{"`post`, strand", "post", "", strand_home::name},
          std::tuple{"`post` to an `any_io_executor`, strand", "post", "any_io_executor",
                     strand_home::name},
          std::tuple{"ping-pong, `io_context`", "ping-pong", "64 B", io_home::name},
          std::tuple{"ping-pong, strand", "ping-pong", "64 B", strand_home::name},
          std::tuple{"`a && b`, `io_context`", "a && b", "2 posts", io_home::name},
          std::tuple{"`a && b`, strand", "a && b", "2 posts", strand_home::name},
          std::tuple{"`co_spawn`, `io_context`", "spawn", "2-level chain", io_home::name}})
        if (!with_cobalt)
            r.show("clang", {.stub = {label}, .group = group, .param = param, .home = home});

    {
#if defined(BOOST_AFFINE_BENCH_COBALT)
        // One thread: Cobalt's frames from a pool of its own, as under cobalt::run.
        bench::cobalt_memory::single_thread cobalt_frames;
#endif
        io_home h;
        case_nested(r, h);
        case_post(r, h);
        case_timer(r, h);
        case_ping_pong(r, h);
        case_operators(r, h);
        case_spawn(r, h);
    }
    {
        strand_home h;
        case_nested(r, h);
        case_post(r, h);
        case_timer(r, h);
        case_ping_pong(r, h);
        case_operators(r, h);
        h.pool.join();
    }
    sizes(r);

    // Targets of issue 4.
    auto ratio = [&](std::string name, char const* g, std::string const& p, char const* home,
                     char const* a, char const* b, char const* rel, double limit) {
        bench::row const* ra = r.find(g, p, home, a);
        bench::row const* rb = r.find(g, p, home, b);
        if (ra && rb)
            r.add_target(std::move(name), ra->value() / rb->value(), rel, limit,
                         r.paired_range(ra, rb));
    };
    for (int d : {4, 16, 64}) {
        std::string p = "depth=" + std::to_string(d);
        for (char const* home : {io_home::name, strand_home::name}) {
            ratio("nested " + p + " " + home + " affine/floor", "nested", p, home, "affine",
                  "floor", "<=", 1.3);
            ratio("nested " + p + " " + home + " awaitable/affine", "nested", p, home, "awaitable",
                  "affine", ">=", 3.0);
        }
    }
    ratio("post io_context affine/awaitable", "post", "", io_home::name, "affine", "awaitable",
          "<=", 0.75);
    ratio("post strand/tp2 affine/awaitable", "post", "", strand_home::name, "affine", "awaitable",
          "<=", 0.6);
    ratio("post any_io_executor io_context affine/awaitable", "post", "any_io_executor",
          io_home::name, "affine", "awaitable", "<=", 0.75);
    ratio("post any_io_executor strand/tp2 affine/awaitable", "post", "any_io_executor",
          strand_home::name, "affine", "awaitable", "<=", 0.6);
    for (char const* home : {io_home::name, strand_home::name})
        ratio(std::string("ping-pong ") + home + " affine/awaitable (time)", "ping-pong", "64 B",
              home, "affine", "awaitable", "<=", 1.0);
    // Zero allocations in steady state: every allocation of every run counts.
    for (char const* home : {io_home::name, strand_home::name}) {
        for (std::string g : {"nested", "post", "timer", "ping-pong", "a && b", "a || b"}) {
            std::vector<std::string> params;
            if (g == "nested")
                params = {"depth=1", "depth=4", "depth=16", "depth=64"};
            else if (g == "timer")
                params = {"expiry=0"};
            else if (g == "ping-pong")
                params = {"64 B"};
            else if (g == "post")
                params = {"", "any_io_executor"};
            else
                params = {"2 posts"};
            for (auto& p : params) {
                bench::row const* row = r.find(g, p, home, "affine");
                if (!row)
                    continue;
                double per_op = double(row->alloc_total()) / double(row->ops_total());
                r.add_target("allocs/op affine " + g + (p.empty() ? "" : " " + p) + " " + home,
                             per_op, "<=", 0.0,
                             std::to_string(row->alloc_total()) + " in " +
                                 std::to_string(row->ops_total()) + " ops");
            }
        }
    }

    r.write_dat("task_nested", {{"1", "nested", "depth=1", io_home::name},
                                {"4", "nested", "depth=4", io_home::name},
                                {"16", "nested", "depth=16", io_home::name},
                                {"64", "nested", "depth=64", io_home::name}});
    r.write_dat("task_ops", {{"post io", "post", "", io_home::name},
                             {"post strand", "post", "", strand_home::name},
                             {"post any io", "post", "any_io_executor", io_home::name},
                             {"post any strand", "post", "any_io_executor", strand_home::name},
                             {"timer io", "timer", "expiry=0", io_home::name},
                             {"timer strand", "timer", "expiry=0", strand_home::name},
                             {"ping-pong io", "ping-pong", "64 B", io_home::name},
                             {"ping-pong strand", "ping-pong", "64 B", strand_home::name},
                             {"&& io", "a && b", "2 posts", io_home::name},
                             {"&& strand", "a && b", "2 posts", strand_home::name},
                             {"|| io", "a || b", "2 posts", io_home::name},
                             {"|| strand", "a || b", "2 posts", strand_home::name},
                             {"spawn io", "spawn", "2-level chain", io_home::name}});
    r.finish();
}
