//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// libFuzzer target: the input is a program of chains. Each byte is a step:
// await a nested task, an operation completed inline or on a foreign
// thread, a timer, an && or ||, throw, an I/O object destroyed once its
// operation completed (then an await that does not attach to the chain's
// cancellation), or a chain spawned onto the foreign thread's context and
// awaited; the first byte says which chains are cancelled. A simple model
// says what must happen, and the target aborts when it does not:
//
// - every chain's completion handler runs exactly once;
// - a chain that nobody cancelled returns the value the model computed
//   (each step adds a known amount; a throw is caught and adds its own);
// - a cancelled chain returns that value or operation_aborted;
// - after every co_await the chain runs on its home executor;
// - when the context is gone, no frame is left (the allocator's live count).
//
// Built with clang++-16 -fsanitize=fuzzer,address,undefined; the corpus is
// test/fuzz/corpus/ (tools/run-tests.sh, stage fuzz).

#include <boost/affine.hpp>

#include "../test_helpers.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace affine = boost::affine;
using namespace affine::awaitable_operators;
using affine::task;
using affine::use_affine;

namespace {

void require(bool ok, char const* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_chains: model violated: %s\n", what);
        std::abort();
    }
}

using test::foreign_thread;

foreign_thread& foreign() {
    static foreign_thread f;
    return f;
}

struct counting_allocator {
    std::atomic<long> live{0};
    void* allocate(std::size_t n) {
        ++live;
        return ::operator new(n, std::align_val_t{16});
    }
    void deallocate(void* p, std::size_t) noexcept {
        --live;
        ::operator delete(p, std::align_val_t{16});
    }
};

// What one run shares with its chains.
struct world {
    asio::io_context* home;
    std::atomic<int> violations{0};
    void check_home() {
        if (!home->get_executor().running_in_this_thread())
            ++violations;
    }
};

// An operation that completes inside its initiation.
template <class Token>
auto inline_op(int v, Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code, int)>(
        [v](auto handler) { std::move(handler)(boost::system::error_code(), v); }, token);
}

// An operation completed on the foreign thread, through the handler's
// associated executor.
struct foreign_op_initiation {
    template <class Handler>
    BOOST_NOINLINE void operator()(Handler handler, int v) const {
        asio::post(foreign().ioc, [handler = std::move(handler), v]() mutable {
            auto ex = asio::get_associated_executor(handler);
            asio::dispatch(ex, [handler = std::move(handler), v]() mutable {
                std::move(handler)(boost::system::error_code(), v);
            });
        });
    }
};

template <class Token>
auto foreign_op(int v, Token&& token) {
    return asio::async_initiate<Token, void(boost::system::error_code, int)>(
        foreign_op_initiation{}, token, v);
}

task<int> step(world& w, std::uint8_t op, int depth);

// A chain of its own on the foreign thread's context, awaited by a step.
task<int> on_foreign(world& w, std::uint8_t op) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer t(ex, std::chrono::microseconds(op));
    co_await t.async_wait(use_affine);
    if (!foreign().ioc.get_executor().running_in_this_thread())
        ++w.violations;
    co_return 6;
}

task<int> nested(world& w, std::uint8_t op, int depth) {
    int v = co_await step(w, op, depth + 1);
    w.check_home();
    co_return v + 1;
}

// One step of a chain; returns what the model adds for it.
task<int> step(world& w, std::uint8_t op, int depth) {
    auto ex = co_await asio::this_coro::executor;
    switch (op % 10) {
    case 0:
        co_return 1;
    case 1: {
        int v = co_await inline_op(2, use_affine);
        w.check_home();
        co_return v;
    }
    case 2: {
        int v = co_await foreign_op(3, use_affine);
        w.check_home();
        co_return v;
    }
    case 3: {
        asio::steady_timer t(ex, std::chrono::microseconds(op >> 3));
        co_await t.async_wait(use_affine);
        w.check_home();
        co_return 4;
    }
    case 4:
        if (depth > 3)
            co_return 1;
        co_return co_await nested(w, static_cast<std::uint8_t>(op >> 3), depth);
    case 5: {
        if (depth > 3)
            co_return 1;
        auto [a, b] = co_await (step(w, static_cast<std::uint8_t>(op >> 3), depth + 1) &&
                                step(w, static_cast<std::uint8_t>(op >> 4), depth + 1));
        w.check_home();
        co_return a + b;
    }
    case 6: {
        if (depth > 3)
            co_return 1;
        // Both operands yield the same, so the model does not care which
        // one wins.
        auto r = co_await (step(w, 2, depth + 1) || step(w, 1, depth + 1));
        w.check_home();
        co_return r.index() == 0 ? std::get<0>(r) + 1 : std::get<1>(r) + 2;
    }
    case 7:
        try {
            co_await foreign_op(0, use_affine);
            throw std::runtime_error("step");
        } catch (std::runtime_error const&) {
            w.check_home();
        }
        co_return 7;
    case 8: {
        {
            // Used once and destroyed: a cancellation that arrives during the
            // next await must not reach it.
            asio::steady_timer t(ex, std::chrono::microseconds(op >> 4));
            co_await t.async_wait(use_affine);
        }
        int v = co_await foreign_op(5, use_affine);
        w.check_home();
        co_return v;
    }
    default: {
        int v = co_await affine::co_spawn(
            foreign().ioc, [&w, op] { return on_foreign(w, static_cast<std::uint8_t>(op >> 4)); },
            use_affine);
        w.check_home();
        co_return v;
    }
    }
}

// What the model says a step adds.
int expected(std::uint8_t op, int depth) {
    switch (op % 10) {
    case 0:
        return 1;
    case 1:
        return 2;
    case 2:
        return 3;
    case 3:
        return 4;
    case 4:
        return depth > 3 ? 1 : expected(static_cast<std::uint8_t>(op >> 3), depth + 1) + 1;
    case 5:
        return depth > 3 ? 1
                         : expected(static_cast<std::uint8_t>(op >> 3), depth + 1) +
                               expected(static_cast<std::uint8_t>(op >> 4), depth + 1);
    case 6:
        return depth > 3 ? 1 : 4;
    case 7:
        return 7;
    case 8:
        return 5;
    default:
        return 6;
    }
}

task<int> chain(world& w, std::vector<std::uint8_t> ops) {
    int sum = 0;
    for (std::uint8_t op : ops) {
        sum += co_await step(w, op, 0);
        w.check_home();
    }
    co_return sum;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    if (size == 0)
        return 0;
    // First byte: number of chains (1..4) and which of them get cancelled.
    int chains = 1 + (data[0] & 3);
    unsigned cancel_mask = data[0] >> 4;
    ++data;
    --size;

    counting_allocator frames;
    std::vector<std::vector<std::uint8_t>> scripts(static_cast<std::size_t>(chains));
    for (std::size_t i = 0; i < size && i < 64; ++i)
        scripts[i % scripts.size()].push_back(data[i]);

    struct outcome {
        int calls = 0;
        bool aborted = false;
        int value = -1;
    };
    std::vector<outcome> outcomes(scripts.size());
    std::vector<asio::cancellation_signal> signals(scripts.size());
    {
        asio::io_context ioc;
        world w{&ioc};
        auto ex = affine::with_allocator(ioc.get_executor(), affine::any_frame_allocator(frames));
        for (std::size_t i = 0; i < scripts.size(); ++i) {
            affine::co_spawn(
                ex, [&w, s = scripts[i]] { return chain(w, s); },
                asio::bind_cancellation_slot(
                    signals[i].slot(), [&, i](std::exception_ptr e, int v) {
                        ++outcomes[i].calls;
                        outcomes[i].value = v;
                        if (e) {
                            try {
                                std::rethrow_exception(e);
                            } catch (boost::system::system_error const& x) {
                                require(x.code() == asio::error::operation_aborted,
                                        "a chain failed with an unexpected error");
                                outcomes[i].aborted = true;
                            } catch (asio::multiple_exceptions const&) {
                                outcomes[i].aborted = true; // cancelled operands
                            } catch (...) {
                                require(false, "a chain failed with an unexpected exception");
                            }
                        }
                    }));
            if (cancel_mask & (1u << i)) {
                // Cancelled on the home executor, a little later.
                asio::post(ioc,
                           [&signals, i] { signals[i].emit(asio::cancellation_type::terminal); });
            }
        }
        ioc.run();
        // The foreign thread may still be returning from its last post to
        // ioc: as with any thread that uses an executor, wait for it before
        // the context goes.
        std::atomic<bool> drained{false};
        asio::post(foreign().ioc, [&] { drained = true; });
        while (!drained.load())
            std::this_thread::yield();
        require(w.violations.load() == 0, "a task resumed away from its home executor");
    }
    for (std::size_t i = 0; i < scripts.size(); ++i) {
        require(outcomes[i].calls == 1, "a completion handler ran other than once");
        int want = 0;
        for (std::uint8_t op : scripts[i])
            want += expected(op, 0);
        bool cancelled = cancel_mask & (1u << i);
        if (!outcomes[i].aborted)
            require(outcomes[i].value == want, "a chain returned other than the model's value");
        else
            require(cancelled, "a chain nobody cancelled was aborted");
    }
    require(frames.live.load() == 0, "frames left after the context was destroyed");
    return 0;
}
