//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// && and || over tasks: results, exceptions, cancellation of the loser,
// cancellation from outside, affinity, and frames from the chain's
// allocator, against the semantics of Asio 1.81's awaitable operators.

// Test that header file is self-contained.
#include <boost/affine/awaitable_operators.hpp>

#include <boost/affine/allocating_executor.hpp>
#include <boost/affine/co_spawn.hpp>
#include <boost/affine/use_affine.hpp>

#include "test_helpers.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/multiple_exceptions.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#define BOOST_TEST_MODULE awaitable_operators
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <variant>

namespace asio = boost::asio;
namespace affine = boost::affine;
using namespace affine::awaitable_operators;
using namespace std::chrono_literals;
using affine::task;

namespace {

// Completes after `d` with `v` (the timer in the frame; cancellation makes it
// throw operation_aborted, as the timer's wait does).
template <class T>
task<T> after(std::chrono::milliseconds d, T v) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(affine::use_affine);
    co_return v;
}

task<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(affine::use_affine);
}

task<int> fail_after(std::chrono::milliseconds d, std::string what) {
    co_await sleep_for(d);
    throw std::runtime_error(what);
}

task<int> ready(int v) {
    co_return v;
}

// Waits forever unless cancelled; records that it saw the cancellation.
task<void> wait_forever(bool& cancelled) {
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::hours(1));
    try {
        co_await t.async_wait(affine::use_affine);
    } catch (boost::system::system_error const& e) {
        cancelled = e.code() == asio::error::operation_aborted;
        throw;
    }
}

// Out of line: clang 16 may keep a thread-local's address across a
// coroutine's suspension, and the strand's check reads a thread-local.
using pool_strand = asio::strand<asio::thread_pool::executor_type>;
BOOST_NOINLINE bool on(pool_strand const& s) {
    return s.running_in_this_thread();
}

} // namespace

BOOST_AUTO_TEST_CASE(and_yields_a_tuple_without_void_operands) {
    auto r = test::run([]() -> task<std::tuple<int, std::string>> {
        co_return co_await (after(5ms, 1) && after(1ms, std::string("two")));
    });
    BOOST_TEST(std::get<0>(r) == 1);
    BOOST_TEST(std::get<1>(r) == "two");

    int v = test::run([]() -> task<int> { co_return co_await (sleep_for(1ms) && after(2ms, 7)); });
    BOOST_TEST(v == 7);
    v = test::run([]() -> task<int> { co_return co_await (after(2ms, 8) && sleep_for(1ms)); });
    BOOST_TEST(v == 8);
    test::run([]() -> task<void> { co_await (sleep_for(1ms) && sleep_for(2ms)); });
}

BOOST_AUTO_TEST_CASE(and_chains_to_a_flat_tuple) {
    auto r = test::run([]() -> task<std::tuple<int, double, char, int>> {
        co_return co_await (after(3ms, 1) && after(1ms, 2.5) && ready('c') && after(2ms, 4));
    });
    BOOST_TEST(std::get<0>(r) == 1);
    BOOST_TEST(std::get<1>(r) == 2.5);
    BOOST_TEST(std::get<2>(r) == 'c');
    BOOST_TEST(std::get<3>(r) == 4);
}

BOOST_AUTO_TEST_CASE(and_cancels_the_other_on_exception_and_waits_for_it) {
    bool cancelled = false;
    bool resumed_after_both = false;
    BOOST_CHECK_EXCEPTION(test::run([&]() -> task<void> {
                              try {
                                  co_await (wait_forever(cancelled) && fail_after(1ms, "boom"));
                              } catch (...) {
                                  // The cancelled branch has finished by now.
                                  resumed_after_both = cancelled;
                                  throw;
                              }
                          }),
                          // As with Asio: the cancelled one threw too, and
                          // the first operand's exception is the one kept.
                          asio::multiple_exceptions, [](asio::multiple_exceptions const& e) {
                              try {
                                  std::rethrow_exception(e.first_exception());
                              } catch (boost::system::system_error const& s) {
                                  return s.code() == asio::error::operation_aborted;
                              } catch (...) {
                                  return false;
                              }
                          });
    BOOST_TEST(cancelled);
    // A cancelled operand that returns normally leaves the one exception.
    BOOST_CHECK_EXCEPTION(test::run([&]() -> task<void> {
                              co_await ([]() -> task<void> {
                                  try {
                                      co_await sleep_for(1h);
                                  } catch (boost::system::system_error const&) {
                                  }
                              }() && fail_after(1ms, "boom"));
                          }),
                          std::runtime_error, [](std::runtime_error const& e) {
                              return e.what() == std::string("boom");
                          });
    BOOST_TEST(resumed_after_both);
}

BOOST_AUTO_TEST_CASE(and_with_two_exceptions_throws_multiple_exceptions_of_the_first_operand) {
    BOOST_CHECK_EXCEPTION(test::run([]() -> task<void> {
                              // The right one fails first and cancels the left one, which
                              // catches the cancellation and fails in turn.
                              co_await ([]() -> task<int> {
                                  try {
                                      co_await sleep_for(50ms);
                                  } catch (...) {
                                  }
                                  throw std::logic_error("left");
                              }() && fail_after(1ms, "right"));
                          }),
                          asio::multiple_exceptions, [](asio::multiple_exceptions const& e) {
                              try {
                                  std::rethrow_exception(e.first_exception());
                              } catch (std::logic_error const& l) {
                                  return l.what() == std::string("left");
                              } catch (...) {
                                  return false;
                              }
                          });
}

BOOST_AUTO_TEST_CASE(or_yields_the_first_to_succeed_and_cancels_the_loser) {
    bool cancelled = false;
    auto r = test::run([&]() -> task<std::variant<std::monostate, int>> {
        co_return co_await (wait_forever(cancelled) || after(1ms, 42));
    });
    BOOST_TEST(r.index() == 1u);
    BOOST_TEST(std::get<1>(r) == 42);
    BOOST_TEST(cancelled);

    auto s = test::run([]() -> task<std::variant<int, std::string>> {
        co_return co_await (after(1ms, 1) || after(500ms, std::string("slow")));
    });
    BOOST_TEST(s.index() == 0u);

    auto v = test::run([]() -> task<std::variant<std::monostate, std::monostate>> {
        co_return co_await (sleep_for(500ms) || sleep_for(1ms));
    });
    BOOST_TEST(v.index() == 1u);
}

BOOST_AUTO_TEST_CASE(or_skips_a_failure_and_throws_only_if_both_fail) {
    auto r = test::run([]() -> task<std::variant<int, int>> {
        co_return co_await (fail_after(1ms, "first") || after(5ms, 9));
    });
    BOOST_TEST(r.index() == 1u);
    BOOST_TEST(std::get<1>(r) == 9);

    BOOST_CHECK_EXCEPTION(test::run([]() -> task<void> {
                              co_await (fail_after(5ms, "second") || fail_after(1ms, "first"));
                          }),
                          asio::multiple_exceptions, [](asio::multiple_exceptions const& e) {
                              // The exception of the first to complete.
                              try {
                                  std::rethrow_exception(e.first_exception());
                              } catch (std::runtime_error const& x) {
                                  return x.what() == std::string("first");
                              } catch (...) {
                                  return false;
                              }
                          });
}

BOOST_AUTO_TEST_CASE(or_chains_to_a_flat_variant) {
    auto r = test::run([]() -> task<std::variant<int, std::monostate, std::string>> {
        co_return co_await (after(300ms, 1) || sleep_for(200ms) || after(1ms, std::string("x")));
    });
    BOOST_TEST(r.index() == 2u);
    BOOST_TEST(std::get<2>(r) == "x");

    auto s = test::run([]() -> task<std::variant<int, std::monostate, std::string>> {
        co_return co_await (after(300ms, 1) || sleep_for(1ms) || after(200ms, std::string("x")));
    });
    BOOST_TEST(s.index() == 1u);
}

BOOST_AUTO_TEST_CASE(synchronous_operands) {
    // The left one completes while the operator starts: the right one still
    // starts, sees the cancellation at its first co_await, and || returns the
    // left.
    bool cancelled = false;
    auto r = test::run([&]() -> task<std::variant<int, std::monostate>> {
        co_return co_await (ready(3) || wait_forever(cancelled));
    });
    BOOST_TEST(r.index() == 0u);
    BOOST_TEST(std::get<0>(r) == 3);

    auto t = test::run(
        []() -> task<std::tuple<int, int>> { co_return co_await (ready(1) && ready(2)); });
    BOOST_TEST(std::get<0>(t) == 1);
    BOOST_TEST(std::get<1>(t) == 2);
}

BOOST_AUTO_TEST_CASE(cancellation_of_the_chain_reaches_both_branches) {
    asio::io_context ioc;
    asio::cancellation_signal sig;
    bool left = false, right = false;
    std::exception_ptr error;
    bool done = false;
    affine::co_spawn(
        ioc, [&]() -> task<void> { co_await (wait_forever(left) && wait_forever(right)); },
        asio::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr e) {
            error = e;
            done = true;
        }));
    asio::steady_timer t(ioc, 5ms);
    t.async_wait([&](auto) { sig.emit(asio::cancellation_type::terminal); });
    ioc.run();
    BOOST_TEST(done);
    BOOST_TEST(left);
    BOOST_TEST(right);
    BOOST_TEST(static_cast<bool>(error));
}

BOOST_AUTO_TEST_CASE(this_coro_in_a_branch) {
    // A branch has its own cancellation state, fresh, terminal only.
    auto r = test::run([]() -> task<std::tuple<bool, bool>> {
        auto check = []() -> task<bool> {
            auto cs = co_await asio::this_coro::cancellation_state;
            co_await asio::this_coro::reset_cancellation_state(asio::enable_total_cancellation());
            bool throws = co_await asio::this_coro::throw_if_cancelled();
            co_return cs.cancelled() == asio::cancellation_type::none&& throws;
        };
        co_return co_await (check() && check());
    });
    BOOST_TEST(std::get<0>(r));
    BOOST_TEST(std::get<1>(r));
}

BOOST_AUTO_TEST_CASE(branches_resume_on_the_home_strand) {
    asio::thread_pool pool(2);
    auto strand = asio::make_strand(pool);
    auto branch = [strand](int n) -> task<int> {
        int violations = 0;
        for (int i = 0; i < n; ++i) {
            asio::steady_timer t(co_await asio::this_coro::executor, 0ms);
            co_await t.async_wait(affine::use_affine);
            if (!on(strand))
                ++violations;
        }
        co_return violations;
    };
    auto f = affine::co_spawn(
        strand,
        [&]() -> task<int> {
            int violations = 0;
            for (int i = 0; i < 50; ++i) {
                auto [a, b] = co_await (branch(5) && branch(3));
                violations += a + b;
                auto o = co_await (branch(2) || branch(4));
                violations += o.index() == 0 ? std::get<0>(o) : std::get<1>(o);
                if (!on(strand))
                    ++violations;
            }
            co_return violations;
        },
        asio::use_future);
    BOOST_TEST(f.get() == 0);
}

BOOST_AUTO_TEST_CASE(frames_come_from_the_chain_allocator_and_all_return) {
    test::counting_allocator counter;
    {
        asio::io_context ioc;
        auto ex = affine::with_allocator(ioc.get_executor(), affine::any_frame_allocator(counter));
        int result = 0;
        affine::co_spawn(
            ex,
            []() -> task<int> {
                int sum = 0;
                for (int i = 0; i < 20; ++i) {
                    auto [a, b] = co_await (after(0ms, 1) && after(0ms, 2));
                    auto o = co_await (after(0ms, 3) || after(10ms, 4));
                    sum += a + b + std::get<0>(o);
                }
                co_return sum;
            },
            [&](std::exception_ptr, int v) { result = v; });
        ioc.run();
        BOOST_TEST(result == 20 * 6);
    }
    // Per evaluation: the operator's frame, two branch frames, two operand
    // frames, through the chain's allocator.
    BOOST_TEST(counter.allocations.load() >= 40 * 5);
    BOOST_TEST(counter.live.load() == 0);
}

BOOST_AUTO_TEST_CASE(destroying_the_context_with_operators_in_flight_frees_everything) {
    // Both branches pending, one of them itself a pending ||: destroying the
    // io_context destroys every handler, each branch counts as abandoned, and
    // the last one gives the whole chain up: every frame freed, every local
    // destroyed, the completion handler never invoked.
    test::counting_allocator counter;
    auto alive = std::make_shared<int>(0);
    bool invoked = false;
    {
        asio::io_context ioc;
        auto ex = affine::with_allocator(ioc.get_executor(), affine::any_frame_allocator(counter));
        for (int i = 0; i < 10; ++i) {
            affine::co_spawn(
                ex,
                [alive]() -> task<void> {
                    auto hold = alive;
                    bool c0 = false, c1 = false, c2 = false;
                    co_await (wait_forever(c0) && (wait_forever(c1) || wait_forever(c2)));
                },
                [&](std::exception_ptr) { invoked = true; });
        }
        ioc.run_for(20ms);
        BOOST_TEST(alive.use_count() == 21); // the callables and their tasks' locals
        BOOST_TEST(counter.live.load() > 0);
    }
    BOOST_TEST(!invoked);
    BOOST_TEST(alive.use_count() == 1);
    BOOST_TEST(counter.live.load() == 0);
}

// Operands of task<T, Executor> make a task of the same Executor, as asio's operators make an
// awaitable<..., Executor>.
namespace {
using io_executor = asio::io_context::executor_type;
task<int, io_executor> typed_leaf(int v) {
    co_await asio::post(co_await asio::this_coro::executor, affine::use_affine);
    co_return v;
}
} // namespace

BOOST_AUTO_TEST_CASE(typed_tasks_combine_with_the_awaitable_operators) {
    using namespace affine::awaitable_operators;
    asio::io_context ioc;
    auto body = [&]() -> task<int, io_executor> {
        auto both = typed_leaf(1) && typed_leaf(2);
        static_assert(std::is_same_v<decltype(both), task<std::tuple<int, int>, io_executor>>);
        auto [a, b] = co_await std::move(both);
        auto either = co_await (typed_leaf(3) || typed_leaf(4));
        static_assert(std::is_same_v<decltype(either), std::variant<int, int>>);
        co_return a + b + (either.index() == 0 ? std::get<0>(either) : -100);
    };
    std::future<int> f = affine::co_spawn(ioc, body, asio::use_future);
    ioc.run();
    BOOST_TEST(f.get() == 6);
}
