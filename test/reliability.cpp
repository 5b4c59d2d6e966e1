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
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
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

#include <pthread.h>
#include <variant>
#include <optional>
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

// A frame allocator whose k-th allocation throws std::bad_alloc. Thread-safe,
// and says so, so that every allocation of the chain, Asio's included, is one
// of its points.
class failing_allocator {
public:
    static constexpr bool thread_safe = true;
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
// through make_affine's trampoline. The test waits for the thread
// (test::foreign_threads) before the context goes.
using test::foreign_threads;

struct foreign_thread_awaitable {
    bool await_ready() const noexcept { return false; }
    BOOST_NOINLINE void await_suspend(std::coroutine_handle<> h) {
        test::run_detached([h] { h.resume(); });
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
        test::run_detached([h] { h.resume(); }); // resumed from afar
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

namespace {

// ---------------------------------------------------------------------------
// What an operation leaves behind: its cancellation handler, its executor

// A legacy awaitable that parks its caller until the test resumes it: it
// does not attach to the chain's cancellation slot, so a cancellation
// emitted meanwhile reaches whatever the slot still holds.
std::coroutine_handle<> parked_caller;

struct park {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept { parked_caller = h; }
    void await_resume() const noexcept {}
};

// Resumes the parked caller from this thread (outside the context's run).
void unpark() {
    BOOST_REQUIRE(parked_caller);
    std::exchange(parked_caller, {}).resume();
}

// Runs every handler that is ready, without blocking.
void drain(asio::io_context& ioc) {
    while (ioc.poll() > 0) {
    }
}

// Cancellation requests that reached an operation's handler after the
// operation had completed: each would have called into an I/O object that
// may be gone.
std::atomic<int> late_cancellations{0};

// An operation that completes at once (posted to `ex`), after putting in the
// handler's cancellation slot a handler that counts the requests that reach
// it once the operation has completed.
template <class Token>
auto completes_soon(asio::any_io_executor ex, Token&& token) {
    return asio::async_initiate<Token, void(error_code)>(
        [ex](auto handler) {
            auto done = std::make_shared<bool>(false);
            auto slot = asio::get_associated_cancellation_slot(handler);
            if (slot.is_connected())
                slot.assign([done](asio::cancellation_type_t) {
                    if (*done)
                        ++late_cancellations;
                });
            asio::post(ex, [h = std::move(handler), done]() mutable {
                *done = true;
                std::move(h)(error_code());
            });
        },
        token);
}

// The probe, a local timer and a local channel, each used once (the last one
// `last`) and destroyed when the task returns.
task<void> uses_local_io_objects(int last) {
    auto ex = co_await asio::this_coro::executor;
    for (int i = 1; i <= 3; ++i) {
        switch ((last + i) % 3) {
        case 0:
            co_await completes_soon(ex, use_affine);
            break;
        case 1: {
            asio::steady_timer t(ex, 0ms);
            co_await t.async_wait(use_affine);
            break;
        }
        default: {
            int_channel ch(ex, 1);
            co_await ch.async_send(error_code(), 1, use_affine);
            co_await ch.async_receive(use_affine);
            break;
        }
        }
    }
}

task<void> io_then_park(int last) {
    co_await uses_local_io_objects(last);
    co_await park{};
}

// Completes once io_then_park is parked.
task<void> after_parked() {
    auto ex = co_await asio::this_coro::executor;
    while (!parked_caller)
        co_await asio::post(ex, use_affine);
    co_await asio::post(ex, use_affine);
}

} // namespace

BOOST_AUTO_TEST_CASE(a_completed_operation_is_never_reached_by_later_cancellation) {
    // The chain (or the losing operand of ||, or an operand of && whose other
    // operand fails) uses I/O objects that are destroyed after their
    // operations complete, then awaits something that does not attach to the
    // cancellation slot; it is cancelled then. Without the slot being cleared
    // after each completion, the cancellation calls into the destroyed timer
    // and channel (heap-use-after-free under AddressSanitizer) and reaches
    // the probe's handler (counted in every build).
    late_cancellations = 0;
    for (int kind = 0; kind < 9; ++kind) {
        BOOST_TEST_CONTEXT("kind " << kind) {
            asio::io_context ioc;
            asio::cancellation_signal signal;
            int calls = 0;
            std::exception_ptr error;
            auto chain = [kind]() -> task<void> {
                int last = kind / 3;
                if (kind % 3 == 0) {
                    co_await io_then_park(last);
                } else if (kind % 3 == 1) {
                    co_await (io_then_park(last) || after_parked());
                } else {
                    auto fails = []() -> task<void> {
                        co_await after_parked();
                        throw std::runtime_error("fails");
                    };
                    co_await (io_then_park(last) && fails());
                }
            };
            affine::co_spawn(ioc, chain,
                             asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e) {
                                 ++calls;
                                 error = e;
                             }));
            drain(ioc);
            BOOST_REQUIRE(parked_caller);
            if (kind % 3 == 0) { // the chain itself is cancelled, on its home's thread
                signal.emit(asio::cancellation_type::terminal);
                drain(ioc);
            }
            unpark(); // its resumption is posted home
            ioc.run();
            BOOST_TEST(calls == 1);
            BOOST_TEST(late_cancellations.load() == 0);
        }
    }
}

namespace {

// Waits until cancelled; counts cancellation requests that arrive on another
// thread than `home`'s.
template <class Token>
auto wait_for_cancellation(asio::io_context::executor_type home, std::atomic<long>& off_home,
                           std::atomic<int>& waiting, Token&& token) {
    return asio::async_initiate<Token, void(error_code)>(
        [home, &off_home, &waiting](auto handler) {
            using H = decltype(handler);
            auto slot = asio::get_associated_cancellation_slot(handler);
            BOOST_REQUIRE(slot.is_connected());
            auto pending = std::make_shared<std::optional<H>>(std::move(handler));
            slot.assign([home, &off_home, pending](asio::cancellation_type_t) {
                if (!home.running_in_this_thread())
                    ++off_home;
                if (*pending) {
                    H h = std::move(**pending);
                    pending->reset();
                    asio::post(home, [h = std::move(h)]() mutable {
                        std::move(h)(asio::error::operation_aborted);
                    });
                }
            });
            ++waiting;
        },
        token);
}

} // namespace

BOOST_AUTO_TEST_CASE(cancelling_a_chain_that_awaits_a_spawn_on_another_thread) {
    // The parent runs on this thread; the child it awaits is spawned on a
    // context run by another thread. The parent's cancellation must reach
    // the child on the child's thread (as asio::co_spawn dispatches it), never
    // from the thread that cancels: emitted there, it races the child
    // (ThreadSanitizer) and is counted here.
    constexpr int total = 10000;
    constexpr int batch = 500;
    test::foreign_thread other;
    asio::io_context ioc;
    std::atomic<long> off_home{0};
    std::atomic<int> waiting{0};
    long aborted = 0, calls = 0;
    for (int first = 0; first < total; first += batch) {
        std::vector<asio::cancellation_signal> signals(batch);
        waiting = 0;
        for (int i = 0; i < batch; ++i) {
            affine::co_spawn(
                ioc,
                [&]() -> task<void> {
                    co_await affine::co_spawn(
                        other.ioc,
                        [&]() -> task<void> {
                            co_await wait_for_cancellation(other.ioc.get_executor(), off_home,
                                                           waiting, use_affine);
                        },
                        use_affine);
                },
                asio::bind_cancellation_slot(
                    signals[std::size_t(i)].slot(), [&](std::exception_ptr e) {
                        ++calls;
                        try {
                            if (e)
                                std::rethrow_exception(e);
                        } catch (boost::system::system_error const& x) {
                            aborted += x.code() == asio::error::operation_aborted;
                        }
                    }));
        }
        // Every child waits on the other thread; each parent is cancelled on its home (this
        // thread), half of them while their child's completion may be on its way.
        while (waiting.load() != batch)
            ioc.poll();
        for (int i = 0; i < batch; ++i)
            signals[std::size_t(i)].emit(asio::cancellation_type::terminal);
        ioc.run();
        ioc.restart();
    }
    // The other thread posted the children's completions to ioc: it must be done with those
    // posts before ioc goes.
    std::atomic<bool> other_done{false};
    asio::post(other.ioc, [&] { other_done = true; });
    while (!other_done)
        std::this_thread::yield();
    BOOST_TEST(calls == total);
    BOOST_TEST(aborted == total);
    BOOST_TEST(off_home.load() == 0);
}

BOOST_AUTO_TEST_CASE(co_spawn_keeps_the_context_of_its_handlers_executor_running) {
    // co_spawn(home, task, bind_executor(other, handler)): other.run() must not
    // return while the handler is still to come, as with asio::co_spawn.
    constexpr int rounds = 200;
    int ran = 0, ran_on_other = 0;
    for (int r = 0; r < rounds; ++r) {
        asio::io_context home, other;
        affine::co_spawn(
            home,
            []() -> task<int> {
                // Long enough for other.run() to return first if nothing kept it running.
                asio::steady_timer t(co_await asio::this_coro::executor, 2ms);
                co_await t.async_wait(use_affine);
                co_return 7;
            },
            asio::bind_executor(other, [&](std::exception_ptr e, int v) {
                ran += !e && v == 7;
                ran_on_other += other.get_executor().running_in_this_thread();
            }));
        std::thread t([&] { other.run(); });
        home.run();
        t.join();
    }
    BOOST_TEST(ran == rounds);
    BOOST_TEST(ran_on_other == rounds);
}

BOOST_AUTO_TEST_CASE(a_chain_given_up_by_another_context_unwinds_on_its_home) {
    // A parent awaits a child spawned on a second context; the second context
    // is destroyed while the parent waits. The parent is given up (no handler
    // runs), and its locals are destroyed on its home's thread, not on the
    // thread that destroys the second context.
    constexpr int rounds = 200;
    int wrong_thread = 0, handlers = 0;
    for (int r = 0; r < rounds; ++r) {
        test::foreign_thread home;
        std::atomic<bool> waiting{false};
        std::atomic<bool> unwound{false};
        std::thread::id unwound_on;
        auto second = std::make_unique<asio::io_context>();
        struct record {
            std::thread::id& where;
            std::atomic<bool>& done;
            ~record() {
                where = std::this_thread::get_id();
                done = true;
            }
        };
        affine::co_spawn(
            home.ioc,
            [&]() -> task<void> {
                record rec{unwound_on, unwound};
                co_await affine::co_spawn(
                    *second,
                    [&]() -> task<void> {
                        asio::steady_timer t(co_await asio::this_coro::executor, 1h);
                        waiting = true;
                        co_await t.async_wait(use_affine);
                    },
                    use_affine);
            },
            [&](std::exception_ptr) { ++handlers; });
        {
            // (Without work, run_one_for would stop `second` before the child is spawned.)
            auto guard = asio::make_work_guard(*second);
            while (!waiting)
                second->run_one_for(1ms);
        }
        // The home's thread posted the child's start to `second`: as with any thread that uses
        // an executor, it must be done with that post before `second` goes.
        std::atomic<bool> home_done{false};
        asio::post(home.ioc, [&] { home_done = true; });
        while (!home_done)
            std::this_thread::yield();
        second.reset();
        while (!unwound)
            std::this_thread::yield();
        wrong_thread += unwound_on != home.thread.get_id();
    }
    BOOST_TEST(wrong_thread == 0);
    BOOST_TEST(handlers == 0);
    BOOST_TEST(locals_alive.load() == 0);
}

namespace {

// An operation in the style of Boost.Beast's timeouts: it starts a timer
// whose handler is bound to the completion handler's associated executor,
// and completes at once; the timer's handler runs later, after the chain
// that awaited the operation has ended.
template <class Token>
auto with_lingering_timer(asio::steady_timer& timer, int& timer_handlers, bool& on_home,
                          asio::io_context& ioc, Token&& token) {
    return asio::async_initiate<Token, void()>(
        [&](auto handler) {
            auto ex = asio::get_associated_executor(handler);
            timer.expires_after(1h);
            timer.async_wait(asio::bind_executor(ex, [&](error_code) {
                ++timer_handlers;
                on_home = ioc.get_executor().running_in_this_thread();
            }));
            asio::post(ioc, [h = std::move(handler)]() mutable { std::move(h)(); });
        },
        token);
}

} // namespace

BOOST_AUTO_TEST_CASE(the_executor_given_to_asio_outlives_the_chain) {
    // Asio (and libraries built on it, as Beast's timeouts) may copy a
    // handler's associated executor and use it after the chain has ended: it
    // must be a value valid as long as its execution context.
    asio::io_context ioc;
    asio::steady_timer timer(ioc);
    int timer_handlers = 0;
    bool timer_on_home = false;
    std::optional<asio::any_io_executor> kept;
    bool ended = false;
    affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            co_await with_lingering_timer(timer, timer_handlers, timer_on_home, ioc, use_affine);
            auto capture = [&](auto&& token) {
                return asio::async_initiate<decltype(token), void()>(
                    [&](auto handler) {
                        kept.emplace(asio::get_associated_executor(handler));
                        std::move(handler)();
                    },
                    token);
            };
            co_await capture(use_affine);
        },
        [&](std::exception_ptr e) {
            BOOST_TEST(!e);
            ended = true;
        });
    ioc.run_one(); // the chain's first step
    while (!ended)
        ioc.run_one();
    // The chain is gone. Its timer's handler still runs through the executor
    // it was bound to, and so does work given to the kept executor, from this
    // thread and from another.
    timer.cancel();
    int posted = 0, dispatched_from_afar = 0;
    asio::post(*kept, [&] { posted += ioc.get_executor().running_in_this_thread(); });
    std::thread([&] {
        asio::dispatch(
            *kept, [&] { dispatched_from_afar += ioc.get_executor().running_in_this_thread(); });
    }).join();
    ioc.run();
    BOOST_TEST(timer_handlers == 1);
    BOOST_TEST(timer_on_home);
    BOOST_TEST(posted == 1);
    BOOST_TEST(dispatched_from_afar == 1);
}

namespace {

// A frame allocator that belongs to one chain on a strand: not thread-safe
// (plain counters, which ThreadSanitizer watches), it counts the calls made
// where the chain does not run.
class chain_only_allocator {
public:
    explicit chain_only_allocator(asio::strand<asio::thread_pool::executor_type> const& home)
        : home_(home) {}
    void* allocate(std::size_t n) {
        count();
        ++live;
        return ::operator new(n, std::align_val_t{16});
    }
    void deallocate(void* p, std::size_t) noexcept {
        count();
        --live;
        ::operator delete(p, std::align_val_t{16});
    }
    long calls = 0, away = 0, live = 0;

private:
    void count() noexcept {
        ++calls;
        away += !home_.running_in_this_thread();
    }
    asio::strand<asio::thread_pool::executor_type> home_;
};

task<int> elsewhere_then_home(asio::thread_pool::executor_type other) {
    co_await asio::post(other, use_affine); // completes on one of other's threads
    co_return 1;
}

task<int> chain_with_foreign_completions(asio::thread_pool::executor_type other, int rounds) {
    auto ex = co_await asio::this_coro::executor;
    int s = 0;
    for (int i = 0; i < rounds; ++i) {
        s += co_await elsewhere_then_home(other);
        asio::steady_timer t(ex, 0ms);
        co_await t.async_wait(use_affine);
        auto [a, b] = co_await (elsewhere_then_home(other) && elsewhere_then_home(other));
        auto o = co_await (elsewhere_then_home(other) || elsewhere_then_home(other));
        s += a + b + std::visit([](int v) { return v; }, o);
        co_await foreign_thread_awaitable{}; // resumed on a thread of its own
    }
    co_return s;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_chains_allocator_is_called_only_where_the_chain_runs) {
    // A chain on a strand over a thread_pool(2), with an allocator of its
    // own, whose operations complete on other threads: what carries those
    // completions home, and Asio's storage for the operations (which Asio
    // frees on the completing thread), must not come from the chain's
    // allocator there.
    constexpr int rounds = 1500; // about 10^4 completions on other threads
    asio::thread_pool pool(2), other(2);
    auto home = asio::make_strand(pool);
    chain_only_allocator alloc(home);
    std::atomic<int> result{-1};
    // Spawned from the strand, so that the root frame too is allocated there.
    asio::post(home, [&] {
        affine::co_spawn(
            affine::with_allocator(home, &alloc),
            [&] { return chain_with_foreign_completions(other.get_executor(), rounds); },
            [&](std::exception_ptr e, int v) { result = e ? -2 : v; });
    });
    while (result.load() == -1)
        std::this_thread::sleep_for(1ms);
    pool.join();
    other.join();
    while (foreign_threads.load() != 0)
        std::this_thread::yield();
    BOOST_TEST(result.load() == 4 * rounds);
    BOOST_TEST(alloc.calls > 4 * rounds);
    BOOST_TEST(alloc.away == 0);
    BOOST_TEST(alloc.live == 0);
}

namespace {

// ---------------------------------------------------------------------------
// Destroying deep chains

// Runs `f` on a thread with a stack of `bytes`, and waits for it: what
// recursion in proportion to a chain's depth would overflow.
template <class F>
void on_small_stack(std::size_t bytes, F f) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, bytes);
    pthread_t t;
    auto run = [](void* p) -> void* {
        (*static_cast<F*>(p))();
        return nullptr;
    };
    int rc = pthread_create(&t, &attr, run, &f);
    pthread_attr_destroy(&attr);
    BOOST_REQUIRE(rc == 0);
    pthread_join(t, nullptr);
}

// Where each level's local was destroyed, in order.
std::vector<int> destroyed_levels;

struct level_guard {
    int level;
    ~level_guard() { destroyed_levels.push_back(level); }
};

task<void> deep(int level) {
    level_guard g{level};
    if (level == 0) {
        asio::steady_timer t(co_await asio::this_coro::executor, 1h);
        co_await t.async_wait(use_affine);
    } else {
        co_await deep(level - 1);
    }
}

task<void> nested_and(int level) {
    local_guard g;
    if (level == 0)
        co_await wait_timer();
    else
        co_await (wait_timer() && nested_and(level - 1));
}

} // namespace

BOOST_AUTO_TEST_CASE(destroying_a_chain_a_million_frames_deep_in_constant_stack) {
    // Suspended at the bottom on a timer, destroyed with its io_context: the
    // frames go innermost first, one at a time, as a stack unwinds, on a
    // thread with a 1 MiB stack. (At -O0 GCC does not turn symmetric transfer
    // into a tail call, so building such a chain takes stack of its own:
    // there the chain is 2,000 deep and the stack the default.)
    constexpr int depth = test::optimized ? 1'000'000 : 2'000;
    test::counting_allocator frames;
    destroyed_levels.clear();
    destroyed_levels.reserve(depth + 1);
    long live_while_suspended = 0;
    bool none_destroyed_while_suspended = false;
    int handlers = 0;
    auto body = [&] { // (no Boost.Test on the other thread: it is not thread-safe)
        asio::io_context ioc;
        affine::co_spawn(
            affine::with_allocator(ioc.get_executor(), affine::any_frame_allocator(frames)),
            [] { return deep(depth); }, [&](std::exception_ptr) { ++handlers; });
        drain(ioc);
        live_while_suspended = frames.live.load();
        none_destroyed_while_suspended = destroyed_levels.empty();
    };
    if constexpr (test::optimized)
        on_small_stack(1 << 20, body);
    else
        body();
    BOOST_TEST(live_while_suspended > depth);
    BOOST_TEST(none_destroyed_while_suspended);
    BOOST_TEST(handlers == 0);
    BOOST_TEST(frames.live.load() == 0);
    BOOST_REQUIRE(destroyed_levels.size() == std::size_t(depth) + 1);
    bool innermost_first = true;
    for (int i = 0; i <= depth; ++i)
        innermost_first = innermost_first && destroyed_levels[std::size_t(i)] == i;
    BOOST_TEST(innermost_first);
}

BOOST_AUTO_TEST_CASE(
    destroying_ten_thousand_pending_operands_of_nested_operators_in_constant_stack) {
    // a && (b && (c && ...)), 10^4 levels, every operand pending on a timer,
    // destroyed with the io_context on a thread with a 1 MiB stack. (Starting
    // nested operators takes stack in proportion to their depth: the chain is
    // built on this thread's.)
    constexpr int depth = test::optimized ? 10'000 : 500;
    test::counting_allocator frames;
    auto ioc = std::make_unique<asio::io_context>();
    int handlers = 0;
    affine::co_spawn(
        affine::with_allocator(ioc->get_executor(), affine::any_frame_allocator(frames)),
        [] { return nested_and(depth); }, [&](std::exception_ptr) { ++handlers; });
    drain(*ioc);
    BOOST_TEST(locals_alive.load() >= 2 * depth);
    if constexpr (test::optimized)
        on_small_stack(1 << 20, [&] { ioc.reset(); });
    else
        ioc.reset();
    BOOST_TEST(handlers == 0);
    BOOST_TEST(locals_alive.load() == 0);
    BOOST_TEST(frames.live.load() == 0);
}

// ---------------------------------------------------------------------------
// A chain on a home run by several threads without a strand (an io_context run by two threads,
// as Boost.Beast's servers run theirs) never runs while the initiation of the operation it
// awaits is still running on another thread. Asio's initiations may touch the handler's
// cancellation slot after starting their work (experimental::parallel_group does): a chain
// resumed meanwhile by the completion, on another thread of its home, could have ended, and
// its cancellation state be gone.

namespace {

// An operation whose work completes on another thread at once, while its initiation goes on a
// little, then touches the handler's cancellation slot, as parallel_group_launch does.
struct slow_initiation {
    std::atomic<int>* started_;
    std::atomic<int>* returned_;
    asio::thread_pool* elsewhere_;

    template <class Handler>
    void operator()(Handler handler) const {
        auto slot = asio::get_associated_cancellation_slot(handler);
        ++*started_;
        asio::post(*elsewhere_, [h = std::move(handler)]() mutable { std::move(h)(); });
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        if (slot.is_connected())
            slot.template emplace<affine::detail::inert_cancellation_handler>();
        ++*returned_;
    }
};

template <class Token>
auto async_slow(std::atomic<int>& started, std::atomic<int>& returned, asio::thread_pool& elsewhere,
                Token&& token) {
    return asio::async_initiate<Token, void()>(slow_initiation{&started, &returned, &elsewhere},
                                               token);
}

} // namespace

BOOST_AUTO_TEST_CASE(a_chain_never_runs_while_its_initiation_runs_on_another_thread) {
    asio::io_context ioc(2);
    asio::thread_pool elsewhere(1);
    std::atomic<int> resumed_early{0}, done{0};
    // One chain at a time, so that the home's other thread is idle and takes the completion
    // at once.
    constexpr int chains = 1;
    for (int i = 0; i < chains; ++i) {
        affine::co_spawn(
            ioc,
            [&]() -> task<void> {
                std::atomic<int> started{0}, returned{0};
                for (int j = 0; j < 20; ++j) {
                    co_await async_slow(started, returned, elsewhere, affine::use_affine);
                    // Every initiation has returned before the chain goes on (and, after the
                    // last, ends: its cancellation state goes with it).
                    if (returned.load() != started.load())
                        ++resumed_early;
                }
                ++done;
            },
            asio::detached);
    }
    std::thread second([&] { ioc.run(); });
    ioc.run();
    second.join();
    elsewhere.join();
    BOOST_TEST(done.load() == chains);
    BOOST_TEST(resumed_early.load() == 0);
}
