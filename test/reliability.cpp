//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// What happens when things go wrong: allocation failure at every point of
// representative chains, shutdown with 10^4 chains in flight, cancellation
// racing completion from other threads, exceptions from everywhere. Each
// case counts: frames live, locals alive, handlers run.

// Test that header file is self-contained.
#include <boost/affine.hpp>

#include "test_helpers.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/multiple_exceptions.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#define BOOST_TEST_MODULE reliability
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <functional>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace asio = boost::asio;
namespace affine = boost::affine;
using namespace affine::awaitable_operators;
using namespace std::chrono_literals;
using affine::task;
using affine::use_affine;
using boost::system::error_code;

namespace {

// ---------------------------------------------------------------------------
// Allocation failure

// A frame allocator whose k-th allocation throws std::bad_alloc.
class failing_allocator {
public:
    explicit failing_allocator(long k) noexcept
        : k_(k) {}
    void* allocate(std::size_t n) {
        if (++count_ == k_)
            throw std::bad_alloc();
        ++live_;
        return ::operator new(n);
    }
    void deallocate(void* p, std::size_t) noexcept {
        --live_;
        ::operator delete(p);
    }
    long count() const noexcept { return count_.load(); }
    long live() const noexcept { return live_.load(); }

private:
    long k_;
    std::atomic<long> count_{0};
    std::atomic<long> live_{0};
};

task<int> leaf(int v) {
    co_await asio::post(co_await asio::this_coro::executor, use_affine);
    co_return v;
}

task<int> middle(int v) {
    int s = 0;
    for (int i = 0; i < 3; ++i)
        s += co_await leaf(v);
    co_return s;
}

// A legacy awaitable that resumes its caller on another thread: awaited
// through make_affine's trampoline. The thread uses the home executor (it
// posts the resumption there), so, as with any thread that uses an
// executor, the context must outlive it: the test waits for it.
std::atomic<int> foreign_threads{0};

struct foreign_thread_awaitable {
    bool await_ready() const noexcept { return false; }
    BOOST_NOINLINE void await_suspend(std::coroutine_handle<> h) {
        ++foreign_threads;
        std::thread([h] {
            h.resume();
            --foreign_threads;
        }).detach();
    }
    int await_resume() const noexcept { return 1; }
};

// Spawn, nested tasks, both operators, make_affine, token operations (post,
// timer, a socket read), completions on a foreign thread: 12 when all goes
// well.
task<int> representative() {
    int s = co_await middle(1);                    // 3
    auto [a, b] = co_await (middle(1) && leaf(2)); // 3, 2
    auto o = co_await (leaf(3) || middle(1));      // 3 either way
    s += co_await foreign_thread_awaitable{};      // 1
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer t(ex, 0ms);
    co_await t.async_wait(use_affine);
    asio::local::stream_protocol::socket x(ex), y(ex);
    asio::local::connect_pair(x, y);
    char c = 0;
    co_await asio::async_write(x, asio::buffer("\0", 1), use_affine);
    co_await asio::async_read(y, asio::buffer(&c, 1), use_affine);
    co_return s + a + b + std::visit([](int v) { return v; }, o) + c;
}

// Runs `representative` with an allocator that fails its k-th allocation;
// returns the number of allocations the run asked for.
template <class Home>
long run_failing_at(long k, Home make_home) {
    failing_allocator alloc(k);
    std::atomic<int> calls{0};
    int result = -1;
    std::exception_ptr error;
    bool thrown_by_co_spawn = false;
    {
        auto [ctx, ex] = make_home(affine::any_frame_allocator(alloc));
        try {
            affine::co_spawn(
                ex, [] { return representative(); },
                [&](std::exception_ptr e, int v) {
                    ++calls;
                    error = e;
                    result = v;
                });
        } catch (std::bad_alloc const&) {
            thrown_by_co_spawn = true;
        }
        ctx->run();
        while (foreign_threads.load() != 0)
            std::this_thread::yield();
    }
    BOOST_TEST_CONTEXT("failing allocation " << k) {
        // Nothing leaked, and the work was not lost: exactly one of
        // co_spawn threw, the handler got the failure, or all went well.
        BOOST_TEST(alloc.live() == 0);
        BOOST_TEST(calls.load() == (thrown_by_co_spawn ? 0 : 1));
        if (!thrown_by_co_spawn && !error)
            BOOST_TEST(result == 12);
        if (error) {
            bool bad_alloc = false;
            try {
                std::rethrow_exception(error);
            } catch (std::bad_alloc const&) {
                bad_alloc = true;
            } catch (asio::multiple_exceptions const&) {
                // An operand of && failed, the other was cancelled: Asio
                // keeps the left operand's exception, which may be the
                // cancellation.
                bad_alloc = true;
            } catch (...) {
            }
            BOOST_TEST(bad_alloc);
        }
    }
    return alloc.count();
}

struct io_context_home {
    std::unique_ptr<asio::io_context> ioc = std::make_unique<asio::io_context>();
    void run() { ioc->run(); }
};

struct pool_home {
    std::unique_ptr<asio::thread_pool> pool = std::make_unique<asio::thread_pool>(2);
    void run() { pool->join(); }
};

// ---------------------------------------------------------------------------
// Shutdown

// Counts live locals of the chains.
std::atomic<long> locals_alive{0};
struct local_guard {
    local_guard() noexcept { ++locals_alive; }
    local_guard(local_guard const&) = delete;
    ~local_guard() { --locals_alive; }
};

task<void> wait_timer() {
    local_guard g;
    asio::steady_timer t(co_await asio::this_coro::executor, 1h);
    co_await t.async_wait(use_affine);
}

task<void> read_socket(std::shared_ptr<asio::local::stream_protocol::socket> s) {
    local_guard g;
    char c;
    co_await s->async_read_some(asio::buffer(&c, 1), use_affine);
}

using int_channel = asio::experimental::channel<void(error_code, int)>;

task<void> receive(std::shared_ptr<int_channel> ch) {
    local_guard g;
    co_await ch->async_receive(use_affine);
}

// An operation completed by another thread: its completion is queued on the
// home context when the context is destroyed.
task<void> foreign_completion(asio::thread_pool::executor_type other) {
    local_guard g;
    co_await asio::post(other, use_affine);
}

task<void> in_flight(int kind, std::shared_ptr<asio::local::stream_protocol::socket> s,
                     std::shared_ptr<int_channel> ch, asio::thread_pool::executor_type other) {
    local_guard g;
    switch (kind % 5) {
    case 0:
        co_await wait_timer();
        break;
    case 1:
        co_await read_socket(s);
        break;
    case 2:
        co_await receive(ch);
        break;
    case 3:
        co_await (wait_timer() && (read_socket(s) || receive(ch)));
        break;
    default:
        co_await foreign_completion(other);
        break;
    }
}

} // namespace

BOOST_AUTO_TEST_CASE(allocation_failure_at_every_point_on_an_io_context) {
    long total = 0;
    for (long k = 1;; ++k) {
        long asked = run_failing_at(k, [](affine::any_frame_allocator a) {
            auto home = std::make_shared<io_context_home>();
            auto ex = affine::with_allocator(home->ioc->get_executor(), a);
            return std::pair(home, ex);
        });
        if (asked < k) { // the k-th allocation never happened: all went well
            total = k - 1;
            break;
        }
        BOOST_REQUIRE(k < 10000);
    }
    BOOST_TEST_MESSAGE("io_context: " << total << " allocation points, each failed once");
    BOOST_TEST(total > 30);
}

BOOST_AUTO_TEST_CASE(allocation_failure_at_every_point_on_a_strand_over_a_thread_pool) {
    long total = 0;
    for (long k = 1;; ++k) {
        long asked = run_failing_at(k, [](affine::any_frame_allocator a) {
            auto home = std::make_shared<pool_home>();
            auto ex = affine::with_allocator(asio::make_strand(home->pool->get_executor()), a);
            return std::pair(home, ex);
        });
        if (asked < k) {
            total = k - 1;
            break;
        }
        BOOST_REQUIRE(k < 10000);
    }
    BOOST_TEST_MESSAGE("strand over thread_pool: " << total << " allocation points");
    BOOST_TEST(total > 30);
}

BOOST_AUTO_TEST_CASE(destroying_an_io_context_with_ten_thousand_chains_in_flight) {
    // Timers, socket reads, channel receives, operators, and completions
    // queued by another thread: all pending when the context is destroyed.
    constexpr int chains = 10000;
    test::counting_allocator frames;
    std::atomic<int> handlers{0};
    asio::thread_pool other(1);
    std::atomic<bool> gate{false};
    asio::post(other, [&] {
        while (!gate.load())
            std::this_thread::sleep_for(1ms);
    });
    {
        asio::io_context ioc;
        auto ex = affine::with_allocator(ioc.get_executor(), affine::any_frame_allocator(frames));
        auto a = std::make_shared<asio::local::stream_protocol::socket>(ioc);
        auto b = std::make_shared<asio::local::stream_protocol::socket>(ioc);
        asio::local::connect_pair(*a, *b);
        auto ch = std::make_shared<int_channel>(ioc, 0);
        for (int i = 0; i < chains; ++i)
            affine::co_spawn(
                ex, [i, a, ch, o = other.get_executor()] { return in_flight(i, a, ch, o); },
                [&](std::exception_ptr) { ++handlers; });
        while (ioc.poll() > 0) {
        }
        // Every chain is suspended; now the other thread completes its
        // operations, which queues their resumptions on ioc.
        BOOST_TEST(locals_alive.load() >= 2 * chains);
        gate = true;
        other.join();
        BOOST_TEST(frames.live.load() > 0);
    }
    // The context is gone: every chain destroyed, every local destroyed,
    // every frame freed, no handler run.
    BOOST_TEST(handlers.load() == 0);
    BOOST_TEST(locals_alive.load() == 0);
    BOOST_TEST(frames.live.load() == 0);
}

BOOST_AUTO_TEST_CASE(stopping_a_thread_pool_with_chains_in_flight) {
    constexpr int chains = 10000;
    test::counting_allocator frames;
    std::atomic<int> handlers{0};
    {
        asio::thread_pool pool(2);
        auto strand = asio::make_strand(pool);
        auto ex = affine::with_allocator(strand, affine::any_frame_allocator(frames));
        auto a = std::make_shared<asio::local::stream_protocol::socket>(strand);
        auto b = std::make_shared<asio::local::stream_protocol::socket>(strand);
        asio::local::connect_pair(*a, *b);
        auto ch = std::make_shared<int_channel>(strand, 0);
        for (int i = 0; i < chains; ++i)
            affine::co_spawn(
                ex, [i, a, ch, o = pool.get_executor()] { return in_flight(i % 4, a, ch, o); },
                [&](std::exception_ptr) { ++handlers; });
        std::this_thread::sleep_for(100ms);
        pool.stop();
        pool.join();
        asio::post(strand, [a, ch] {
            a->close();
            ch->close();
        }); // never runs
    }
    BOOST_TEST(handlers.load() == 0);
    BOOST_TEST(locals_alive.load() == 0);
    BOOST_TEST(frames.live.load() == 0);
}

namespace {

// ---------------------------------------------------------------------------
// Cancellation races

// Awaits something that completes about now: a timer due now, an operation
// completed by another thread, or an || of both; cancellation is emitted at
// about the same time.
task<int> racer(int kind, asio::thread_pool::executor_type other) {
    auto ex = co_await asio::this_coro::executor;
    switch (kind % 3) {
    case 0: {
        asio::steady_timer t(ex, 0ms);
        co_await t.async_wait(use_affine);
        break;
    }
    case 1:
        co_await asio::post(other, use_affine);
        break;
    default: {
        auto now = []() -> task<void> {
            asio::steady_timer t(co_await asio::this_coro::executor, 0ms);
            co_await t.async_wait(use_affine);
        };
        co_await (now() || now());
        break;
    }
    }
    co_return 1;
}

} // namespace

BOOST_AUTO_TEST_CASE(cancellation_racing_completion_from_other_threads) {
    constexpr int total = 100000;
    constexpr int batch = 500;
    test::counting_allocator frames;
    asio::thread_pool pool(2);
    asio::thread_pool other(1);
    using strand_type = asio::strand<asio::thread_pool::executor_type>;
    std::vector<strand_type> strands;
    for (int i = 0; i < 4; ++i)
        strands.push_back(asio::make_strand(pool));
    long values = 0, aborted = 0, wrong = 0, calls_not_one = 0;
    for (int first = 0; first < total; first += batch) {
        std::vector<asio::cancellation_signal> signals(batch);
        std::vector<std::atomic<int>> calls(batch);
        std::vector<int> outcome(batch, -1); // 1: value, 0: aborted, 2: other
        std::atomic<int> done{0}, emitted{0};
        for (int i = 0; i < batch; ++i) {
            strand_type& home = strands[std::size_t(i) % strands.size()];
            affine::co_spawn(
                affine::with_allocator(home, affine::any_frame_allocator(frames)),
                racer(first + i, other.get_executor()),
                asio::bind_cancellation_slot(
                    signals[std::size_t(i)].slot(), [&, i](std::exception_ptr e, int v) {
                        ++calls[std::size_t(i)];
                        int o = 2;
                        if (!e && v == 1) {
                            o = 1;
                        } else if (e) {
                            try {
                                std::rethrow_exception(e);
                            } catch (boost::system::system_error const& x) {
                                if (x.code() == asio::error::operation_aborted)
                                    o = 0;
                            } catch (asio::multiple_exceptions const&) {
                                o = 0; // both || operands cancelled
                            } catch (...) {
                            }
                        }
                        outcome[std::size_t(i)] = o;
                        ++done;
                    }));
            // Emitted on the chain's strand, as Asio requires, from this
            // thread's post: it races the completion on the pool's threads.
            asio::post(home, [&signals, &emitted, i] {
                signals[std::size_t(i)].emit(asio::cancellation_type::terminal);
                ++emitted;
            });
        }
        while (done.load() != batch || emitted.load() != batch)
            std::this_thread::yield();
        for (int i = 0; i < batch; ++i) {
            calls_not_one += calls[std::size_t(i)].load() != 1;
            values += outcome[std::size_t(i)] == 1;
            aborted += outcome[std::size_t(i)] == 0;
            wrong += outcome[std::size_t(i)] == 2;
        }
    }
    pool.join();
    other.join();
    BOOST_TEST(calls_not_one == 0);
    BOOST_TEST(wrong == 0);
    BOOST_TEST(values + aborted == total);
    BOOST_TEST(frames.live.load() == 0);
    BOOST_TEST_MESSAGE("cancellation races: " << values << " completed, " << aborted
                                              << " cancelled");
}

namespace {

// ---------------------------------------------------------------------------
// Exceptions

struct throws_in_suspend {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) { throw std::runtime_error("suspend"); }
    void await_resume() const noexcept {}
};

struct throws_in_resume {
    bool await_ready() const noexcept { return false; }
    BOOST_NOINLINE void await_suspend(std::coroutine_handle<> h) {
        ++foreign_threads; // the test waits for it: see foreign_thread_awaitable
        std::thread([h] {
            h.resume(); // resumed from afar
            --foreign_threads;
        }).detach();
    }
    int await_resume() const { throw std::runtime_error("resume"); }
};

std::string what(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (std::exception const& x) {
        return x.what();
    } catch (...) {
        return "?";
    }
}

} // namespace

BOOST_AUTO_TEST_CASE(exceptions_from_make_affine_awaitables_reach_the_awaiting_task) {
    asio::io_context ioc;
    std::string r;
    affine::co_spawn(
        ioc,
        []() -> task<std::string> {
            std::string s;
            try {
                co_await throws_in_suspend{};
            } catch (std::runtime_error const& e) {
                s += e.what();
            }
            try {
                co_await throws_in_resume{};
            } catch (std::runtime_error const& e) {
                s += std::string(" ") + e.what();
            }
            co_return s;
        },
        [&](std::exception_ptr, std::string v) { r = std::move(v); });
    ioc.run();
    while (foreign_threads.load() != 0) // before ioc goes
        std::this_thread::yield();
    BOOST_TEST(r == "suspend resume");
}

BOOST_AUTO_TEST_CASE(exceptions_from_deep_inside_reach_the_completion_handler) {
    // Thrown five tasks deep, in an operator's branch, through the root.
    asio::io_context ioc;
    std::exception_ptr error;
    int calls = 0;
    auto deep = [](auto& self, int n) -> task<int> {
        if (n == 0)
            throw std::logic_error("deep");
        co_return co_await self(self, n - 1);
    };
    affine::co_spawn(
        ioc, [&]() -> task<void> { co_await (leaf(1) && deep(deep, 5)); },
        [&](std::exception_ptr e) {
            ++calls;
            error = e;
        });
    ioc.run();
    BOOST_TEST(calls == 1);
    BOOST_TEST(what(error) == "deep");
}

BOOST_AUTO_TEST_CASE(a_throwing_completion_handler_leaves_run_as_with_asio) {
    // asio::co_spawn lets the handler's exception leave io_context::run();
    // so does boost::affine::co_spawn, and the context stays usable.
    asio::io_context ioc;
    affine::co_spawn(ioc, leaf(1),
                     [](std::exception_ptr, int) { throw std::runtime_error("from the handler"); });
    std::string caught;
    try {
        ioc.run();
    } catch (std::runtime_error const& e) {
        caught = e.what();
    }
    BOOST_TEST(caught == "from the handler");
    int v = 0;
    ioc.restart();
    affine::co_spawn(ioc, leaf(2), [&](std::exception_ptr, int x) { v = x; });
    ioc.run();
    BOOST_TEST(v == 2);
}
