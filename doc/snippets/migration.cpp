//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Documentation snippet: the migration guide's before/after pairs. Each
// construct is written twice, with asio::awaitable and with
// boost::affine::task; both versions are compiled, run, and must agree.

#include <boost/affine.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <tuple>
#include <variant>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using boost::system::error_code;

bool all_good = true;

void check(bool ok, char const* what) {
    std::printf("%-48s %s\n", what, ok ? "ok" : "FAILED");
    all_good = all_good && ok;
}

// Each namespace holds one version of the same program.
namespace before {
// tag::before_basic[]
using asio::awaitable;
using asio::use_awaitable;
using namespace asio::experimental::awaitable_operators;
using timer = asio::use_awaitable_t<>::as_default_on_t<asio::steady_timer>;

awaitable<int> tick(std::chrono::milliseconds d, int v) {
    timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(); // the default token
    co_return v;
}

awaitable<int> program() {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer t(ex, 1ms);
    co_await t.async_wait(use_awaitable);                             // a completion token
    auto [ec] = co_await t.async_wait(asio::as_tuple(use_awaitable)); // adapters
    co_await t.async_wait(asio::deferred);                            // deferred operations
    auto [a, b] = co_await (tick(2ms, 1) && tick(1ms, 2));            // operators
    auto first = co_await (tick(50ms, 3) || tick(1ms, 4));
    co_return a + b + std::get<1>(first) + (ec ? 100 : 0); // 7
}
// end::before_basic[]

// tag::before_channel[]
awaitable<int> channel_sum() {
    asio::experimental::channel<void(error_code, int)> ch(co_await asio::this_coro::executor, 4);
    for (int i = 1; i <= 4; ++i)
        co_await ch.async_send(error_code(), i, use_awaitable);
    int sum = 0;
    for (int i = 0; i < 4; ++i)
        sum += co_await ch.async_receive(use_awaitable);
    co_return sum; // 10
}
// end::before_channel[]

int run() {
    asio::io_context ioc;
    // tag::before_spawn[]
    auto f = asio::co_spawn(ioc, program(), asio::use_future);
    auto g = asio::co_spawn(
        ioc, [] { return channel_sum(); }, asio::use_future);
    // end::before_spawn[]
    ioc.run();
    return f.get() + g.get();
}
} // namespace before

namespace after {
// tag::after_basic[]
using boost::affine::task;                          // was asio::awaitable
using boost::affine::use_affine;                    // was asio::use_awaitable
using namespace boost::affine::awaitable_operators; // was asio::experimental::...
using timer = boost::affine::use_affine_t<>::as_default_on_t<asio::steady_timer>;

task<int> tick(std::chrono::milliseconds d, int v) {
    timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(); // the default token
    co_return v;
}

task<int> program() {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer t(ex, 1ms);
    co_await t.async_wait(use_affine);                             // a completion token
    auto [ec] = co_await t.async_wait(asio::as_tuple(use_affine)); // adapters
    co_await t.async_wait(asio::deferred);                         // deferred operations
    auto [a, b] = co_await (tick(2ms, 1) && tick(1ms, 2));         // operators
    auto first = co_await (tick(50ms, 3) || tick(1ms, 4));
    co_return a + b + std::get<1>(first) + (ec ? 100 : 0); // 7
}
// end::after_basic[]

// tag::after_channel[]
task<int> channel_sum() {
    asio::experimental::channel<void(error_code, int)> ch(co_await asio::this_coro::executor, 4);
    for (int i = 1; i <= 4; ++i)
        co_await ch.async_send(error_code(), i, use_affine);
    int sum = 0;
    for (int i = 0; i < 4; ++i)
        sum += co_await ch.async_receive(use_affine);
    co_return sum; // 10
}
// end::after_channel[]

int run() {
    asio::io_context ioc;
    // tag::after_spawn[]
    auto f = boost::affine::co_spawn(ioc, program(), asio::use_future);
    auto g = boost::affine::co_spawn(
        ioc, [] { return channel_sum(); }, asio::use_future);
    // end::after_spawn[]
    ioc.run();
    return f.get() + g.get();
}
} // namespace after

namespace interop {
// tag::interop[]
asio::awaitable<int> legacy() { // code not migrated yet
    co_return 20;
}

boost::affine::task<int> migrated() {
    // An asio::awaitable, started by asio::co_spawn, awaited in a task: the
    // task resumes on its own home executor.
    int v = co_await asio::co_spawn(co_await asio::this_coro::executor, legacy(),
                                    boost::affine::use_affine);
    co_return v + 1;
}

asio::awaitable<int> caller() {
    // A task chain, started by boost::affine::co_spawn, awaited in an
    // asio::awaitable.
    co_return co_await boost::affine::co_spawn(co_await asio::this_coro::executor, migrated(),
                                               asio::use_awaitable);
}
// end::interop[]

int run() {
    asio::io_context ioc;
    auto f = asio::co_spawn(ioc, caller(), asio::use_future);
    ioc.run();
    return f.get();
}
} // namespace interop

namespace cancellation {
// tag::cancellation[]
boost::affine::task<bool> wait_cancellable() {
    // As in an asio::awaitable: total cancellation let through, and no throw
    // from a co_await in a cancelled chain.
    co_await asio::this_coro::reset_cancellation_state(asio::enable_total_cancellation());
    co_await asio::this_coro::throw_if_cancelled(false);
    asio::steady_timer t(co_await asio::this_coro::executor, 1h);
    auto [ec] = co_await t.async_wait(asio::as_tuple(boost::affine::use_affine));
    auto state = co_await asio::this_coro::cancellation_state;
    co_return ec == asio::error::operation_aborted&& state.cancelled() ==
        asio::cancellation_type::total;
}
// end::cancellation[]

bool run() {
    asio::io_context ioc;
    asio::cancellation_signal signal;
    auto f = boost::affine::co_spawn(ioc, wait_cancellable(),
                                     asio::bind_cancellation_slot(signal.slot(), asio::use_future));
    asio::steady_timer t(ioc, 5ms);
    t.async_wait([&](error_code) { signal.emit(asio::cancellation_type::total); });
    ioc.run();
    return f.get();
}
} // namespace cancellation

namespace typed_before {
// tag::before_typed[]
using executor_type = asio::io_context::executor_type;
using executor_with_default =
    asio::as_tuple_t<asio::use_awaitable_t<executor_type>>::executor_with_default<executor_type>;
using timer = asio::steady_timer::rebind_executor<executor_with_default>::other;

asio::awaitable<int, executor_type> wait_twice() {
    executor_type ex = co_await asio::this_coro::executor; // the concrete type
    timer t(ex, 1ms);
    auto [ec] = co_await t.async_wait(); // as_tuple(use_awaitable_t<executor_type>)
    t.expires_after(1ms);
    auto [ec2] = co_await t.async_wait();
    co_return !ec && !ec2 ? 2 : 0;
}

asio::awaitable<int, executor_type> typed_program() {
    co_return co_await wait_twice() + co_await wait_twice();
}
// end::before_typed[]

int run() {
    asio::io_context ioc;
    auto f = asio::co_spawn(executor_with_default(ioc.get_executor()), typed_program(),
                            asio::use_future);
    ioc.run();
    return f.get();
}
} // namespace typed_before

namespace typed_after {
// tag::after_typed[]
using executor_type = asio::io_context::executor_type;
using executor_with_default = asio::as_tuple_t<
    boost::affine::use_affine_t<executor_type>>::executor_with_default<executor_type>;
using timer = asio::steady_timer::rebind_executor<executor_with_default>::other;

boost::affine::task<int, executor_type> wait_twice() {
    executor_type ex = co_await asio::this_coro::executor; // the concrete type
    timer t(ex, 1ms);
    auto [ec] = co_await t.async_wait(); // as_tuple(use_affine_t<executor_type>)
    t.expires_after(1ms);
    auto [ec2] = co_await t.async_wait();
    co_return !ec && !ec2 ? 2 : 0;
}

boost::affine::task<int, executor_type> typed_program() {
    co_return co_await wait_twice() + co_await wait_twice();
}
// end::after_typed[]

int run() {
    asio::io_context ioc;
    auto f = boost::affine::co_spawn(executor_with_default(ioc.get_executor()), typed_program(),
                                     asio::use_future);
    ioc.run();
    return f.get();
}
} // namespace typed_after

int main() {
    int b = before::run();
    int a = after::run();
    check(b == 17, "asio::awaitable program");
    check(a == b, "the same program with boost::affine::task");
    check(interop::run() == 21, "interop both ways");
    check(cancellation::run(), "this_coro cancellation API in a task");
    int tb = typed_before::run();
    check(tb == 4, "asio::awaitable<T, Executor> program");
    check(typed_after::run() == tb, "the same with boost::affine::task<T, Executor>");
    return all_good ? 0 : 1;
}
