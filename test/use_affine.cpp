//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Test that header file is self-contained.
#include <boost/affine/use_affine.hpp>

#include <boost/affine/co_spawn.hpp>
#include <boost/affine/frame_pool.hpp>
#include <boost/affine/task.hpp>

#include "test_helpers.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/consign.hpp>
#include <boost/asio/experimental/as_single.hpp>
#include <boost/asio/prepend.hpp>
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/defer.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>

#define BOOST_TEST_MODULE use_affine
#include <boost/test/unit_test.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>

namespace asio = boost::asio;
namespace affine = boost::affine;
namespace beast = boost::beast;
using affine::task;
using affine::use_affine;
using boost::system::error_code;

namespace {

// An operation that completes inside its own initiation with `values...`.
template <class Signature, class... Values>
auto complete_inline(Values... values) {
    return [=](auto&& token) {
        return asio::async_initiate<decltype(token), Signature>(
            [=](auto handler) { std::move(handler)(values...); }, token);
    };
}

// An operation that completes later, on the handler's associated executor.
template <class Signature, class... Values>
auto complete_posted(asio::any_io_executor ex, Values... values) {
    return [=](auto&& token) {
        return asio::async_initiate<decltype(token), Signature>(
            [=](auto handler) {
                asio::post(ex, [handler = std::move(handler), values...]() mutable {
                    auto hex = asio::get_associated_executor(handler);
                    asio::dispatch(hex, [handler = std::move(handler), values...]() mutable {
                        std::move(handler)(values...);
                    });
                });
            },
            token);
    };
}

// The current stack position, to check that a loop does not grow the stack.
[[gnu::noinline]] std::size_t stack_depth_probe() {
    return reinterpret_cast<std::size_t>(__builtin_frame_address(0));
}

} // namespace

BOOST_AUTO_TEST_CASE(every_signature_shape_is_supported) {
    test::run([]() -> task<void> {
        // ()
        co_await complete_inline<void()>()(use_affine);
        // (error_code) without error
        co_await complete_inline<void(error_code)>(error_code())(use_affine);
        // (error_code, T)
        int v = co_await complete_inline<void(error_code, int)>(error_code(), 5)(use_affine);
        BOOST_TEST(v == 5);
        // (exception_ptr, T)
        std::string s = co_await complete_inline<void(std::exception_ptr, std::string)>(
            std::exception_ptr(), std::string("hi"))(use_affine);
        BOOST_TEST(s == "hi");
        // (error_code, T...)
        auto [a, b] = co_await complete_inline<void(error_code, int, double)>(error_code(), 1,
                                                                              2.5)(use_affine);
        BOOST_TEST(a == 1);
        BOOST_TEST(b == 2.5);
        // (T) and (T, U) without an error first
        BOOST_TEST(co_await complete_inline<void(int)>(3)(use_affine) == 3);
        auto t = co_await complete_inline<void(int, char)>(4, 'x')(use_affine);
        BOOST_TEST(std::get<0>(t) == 4);
        BOOST_TEST(std::get<1>(t) == 'x');
    });
}

BOOST_AUTO_TEST_CASE(posted_completions_yield_their_values) {
    test::run([]() -> task<void> {
        auto ex = co_await asio::this_coro::executor;
        int v = co_await complete_posted<void(error_code, int)>(ex, error_code(), 8)(use_affine);
        BOOST_TEST(v == 8);
        auto [x, y] = co_await complete_posted<void(error_code, int, int)>(ex, error_code(), 1,
                                                                           2)(use_affine);
        BOOST_TEST(x + y == 3);
    });
}

BOOST_AUTO_TEST_CASE(error_code_becomes_system_error) {
    test::run([]() -> task<void> {
        error_code ec = asio::error::connection_reset;
        try {
            co_await complete_inline<void(error_code, int)>(ec, 1)(use_affine);
            BOOST_FAIL("no exception");
        } catch (boost::system::system_error const& e) {
            BOOST_TEST(e.code() == ec);
        }
        auto ex = co_await asio::this_coro::executor;
        try {
            co_await complete_posted<void(error_code)>(ex, ec)(use_affine);
            BOOST_FAIL("no exception");
        } catch (boost::system::system_error const& e) {
            BOOST_TEST(e.code() == ec);
        }
    });
}

BOOST_AUTO_TEST_CASE(exception_ptr_is_rethrown) {
    test::run([]() -> task<void> {
        auto ep = std::make_exception_ptr(std::runtime_error("from the operation"));
        BOOST_CHECK_THROW(
            co_await complete_inline<void(std::exception_ptr, int)>(ep, 0)(use_affine),
            std::runtime_error);
    });
}

BOOST_AUTO_TEST_CASE(timer_wait_and_cancellation) {
    test::run([]() -> task<void> {
        auto ex = co_await asio::this_coro::executor;
        asio::steady_timer t(ex, std::chrono::milliseconds(1));
        co_await t.async_wait(use_affine);

        asio::steady_timer never(ex, std::chrono::hours(1));
        asio::post(ex, [&] { never.cancel(); });
        try {
            co_await never.async_wait(use_affine);
            BOOST_FAIL("no exception");
        } catch (boost::system::system_error const& e) {
            BOOST_TEST(e.code() == asio::error::operation_aborted);
        }
    });
}

BOOST_AUTO_TEST_CASE(adapters_as_tuple_and_redirect_error) {
    test::run([]() -> task<void> {
        auto ex = co_await asio::this_coro::executor;
        asio::steady_timer never(ex, std::chrono::hours(1));

        asio::post(ex, [&] { never.cancel(); });
        auto [ec1] = co_await never.async_wait(asio::as_tuple(use_affine));
        BOOST_TEST(ec1 == asio::error::operation_aborted);

        error_code ec2;
        asio::post(ex, [&] { never.cancel(); });
        co_await never.async_wait(asio::redirect_error(use_affine, ec2));
        BOOST_TEST(ec2 == asio::error::operation_aborted);

        auto [ec3, n] = co_await complete_inline<void(error_code, int)>(
            error_code(asio::error::eof), 6)(asio::as_tuple(use_affine));
        BOOST_TEST(ec3 == asio::error::eof);
        BOOST_TEST(n == 6);
    });
}

BOOST_AUTO_TEST_CASE(bind_cancellation_slot_cancels_the_operation) {
    test::run([]() -> task<void> {
        auto ex = co_await asio::this_coro::executor;
        asio::steady_timer never(ex, std::chrono::hours(1));
        asio::cancellation_signal signal;
        asio::post(ex, [&] { signal.emit(asio::cancellation_type::terminal); });
        auto [ec] = co_await never.async_wait(
            asio::bind_cancellation_slot(signal.slot(), asio::as_tuple(use_affine)));
        BOOST_TEST(ec == asio::error::operation_aborted);
    });
}

BOOST_AUTO_TEST_CASE(as_default_on_makes_use_affine_the_default_token) {
    using timer = affine::use_affine_t<>::as_default_on_t<asio::steady_timer>;
    test::run([]() -> task<void> {
        auto ex = co_await asio::this_coro::executor;
        timer t(ex, std::chrono::milliseconds(1));
        co_await t.async_wait();
        auto t2 = affine::use_affine_t<>::as_default_on(asio::steady_timer(ex));
        t2.expires_after(std::chrono::milliseconds(1));
        co_await t2.async_wait();
    });
    // the handler-tracking constructor
    constexpr affine::use_affine_t<> tracked("file", 1, "function");
    (void)tracked;
}

BOOST_AUTO_TEST_CASE(deferred_operations_are_awaitable) {
    test::run([]() -> task<void> {
        auto ex = co_await asio::this_coro::executor;
        asio::steady_timer t(ex, std::chrono::milliseconds(1));
        co_await t.async_wait(asio::deferred);
        auto op = complete_inline<void(error_code, int)>(error_code(), 12)(asio::deferred);
        BOOST_TEST(co_await std::move(op) == 12);
    });
}

BOOST_AUTO_TEST_CASE(deferred_as_default_on_objects_are_awaitable) {
    using timer = asio::deferred_t::as_default_on_t<asio::steady_timer>;
    test::run([]() -> task<void> {
        auto ex = co_await asio::this_coro::executor;
        timer t(ex, std::chrono::milliseconds(1));
        co_await t.async_wait();
        // A deferred operation composed with deferred's continuation.
        t.expires_after(std::chrono::milliseconds(1));
        int v = co_await t.async_wait(
            asio::deferred([](error_code ec) { return asio::deferred.values(ec ? -1 : 5); }));
        BOOST_TEST(v == 5);
    });
}

BOOST_AUTO_TEST_CASE(channels_send_and_receive_in_tasks) {
    using channel = asio::experimental::channel<void(error_code, int)>;
    asio::io_context ioc;
    channel ch(ioc, 2);
    long sum = 0;
    bool closed_seen = false;
    affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            for (int i = 1; i <= 100; ++i)
                co_await ch.async_send(error_code(), i, use_affine);
            ch.close();
        },
        asio::detached);
    affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            for (;;) {
                auto [ec, v] = co_await ch.async_receive(asio::as_tuple(use_affine));
                if (ec) {
                    closed_seen = ec == asio::experimental::error::channel_closed;
                    co_return;
                }
                sum += v;
            }
        },
        asio::detached);
    ioc.run();
    BOOST_TEST(sum == 5050);
    BOOST_TEST(closed_seen);
}

// Out of line: clang 16 may keep a thread-local's address across a
// coroutine's suspension, and the strand's check reads a thread-local.
BOOST_NOINLINE bool on(asio::strand<asio::thread_pool::executor_type> const& s) {
    return s.running_in_this_thread();
}

BOOST_AUTO_TEST_CASE(concurrent_channels_across_threads_resume_at_home) {
    using channel = asio::experimental::concurrent_channel<void(error_code, int)>;
    asio::thread_pool pool(2);
    asio::io_context ioc; // the sender's home, run by this thread
    auto receiver_home = asio::make_strand(pool);
    channel ch(pool, 0); // unbuffered: every send meets a receive
    int violations = 0;
    auto sender = affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            for (int i = 1; i <= 2000; ++i) {
                co_await ch.async_send(error_code(), i, use_affine);
                if (!ioc.get_executor().running_in_this_thread())
                    ++violations;
            }
            ch.close();
        },
        asio::use_future);
    auto receiver = affine::co_spawn(
        receiver_home,
        [&]() -> task<long> {
            long s = 0;
            int bad = 0;
            for (;;) {
                auto [ec, v] = co_await ch.async_receive(asio::as_tuple(use_affine));
                if (!on(receiver_home))
                    ++bad;
                if (ec)
                    co_return bad ? -1 : s;
                s += v;
            }
        },
        asio::use_future);
    ioc.run();
    sender.get();
    BOOST_TEST(receiver.get() == 2000L * 2001 / 2);
    BOOST_TEST(violations == 0);
    // Cancelling a pending receive through the chain's slot.
    asio::cancellation_signal sig;
    auto cancelled = affine::co_spawn(
        receiver_home,
        [&]() -> task<bool> {
            channel idle(pool, 0);
            auto [ec, v] = co_await idle.async_receive(asio::as_tuple(use_affine));
            (void)v;
            co_return ec == asio::error::operation_aborted ||
                ec == asio::experimental::error::channel_cancelled;
        },
        asio::bind_cancellation_slot(sig.slot(), asio::use_future));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    asio::post(receiver_home, [&] { sig.emit(asio::cancellation_type::terminal); });
    BOOST_TEST(cancelled.get());
}

BOOST_AUTO_TEST_CASE(handler_reports_home_executor_allocator_and_slot) {
    asio::io_context ioc;
    asio::cancellation_signal signal;
    bool checked = false;
    affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            affine::environment* env = affine::environment::current();
            BOOST_REQUIRE(env != nullptr);
            auto inspect = [&](auto&& token) {
                return asio::async_initiate<decltype(token), void()>(
                    [&](auto handler) {
                        auto ex = asio::get_associated_executor(handler);
                        // The executor is a copy of the home executor: same context, copies
                        // equal, run inline from the home.
                        BOOST_TEST(&asio::query(ex, asio::execution::context) == &ioc);
                        BOOST_TEST((ex == asio::get_associated_executor(handler)));
                        bool ran_inline = false;
                        ex.execute([&] { ran_inline = true; });
                        BOOST_TEST(ran_inline);
                        auto alloc = asio::get_associated_allocator(handler);
                        BOOST_TEST((alloc.frame_allocator() == env->get_frame_allocator()));
                        auto slot = asio::get_associated_cancellation_slot(handler);
                        BOOST_TEST(slot.is_connected());
                        checked = true;
                        std::move(handler)();
                    },
                    token);
            };
            co_await inspect(use_affine);
        },
        asio::bind_cancellation_slot(signal.slot(), [](std::exception_ptr e) { BOOST_TEST(!e); }));
    ioc.run();
    BOOST_TEST(checked);
}

BOOST_AUTO_TEST_CASE(handler_executor_runs_foreign_work_on_home) {
    // The foreign thread posts to ioc: as with any thread that uses an
    // executor, it must be done before ioc goes (it is joined below).
    std::thread foreign;
    asio::io_context ioc;
    std::atomic<bool> on_home{false}; // polled by this thread
    affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            auto op = [&](auto&& token) {
                return asio::async_initiate<decltype(token), void(int)>(
                    [&](auto handler) {
                        // Completed from a foreign thread through the handler's executor.
                        foreign = std::thread([handler = std::move(handler)]() mutable {
                            auto ex = asio::get_associated_executor(handler);
                            asio::dispatch(ex, [handler = std::move(handler)]() mutable {
                                std::move(handler)(1);
                            });
                        });
                    },
                    token);
            };
            int v = co_await op(use_affine);
            on_home = ioc.get_executor().running_in_this_thread();
            BOOST_TEST(v == 1);
        },
        [](std::exception_ptr e) { BOOST_TEST(!e); });
    auto guard = asio::make_work_guard(ioc);
    std::thread runner([&] { ioc.run(); });
    while (!on_home)
        std::this_thread::yield();
    guard.reset();
    runner.join();
    foreign.join();
    BOOST_TEST(on_home.load());
}

// post(ex, use_affine) with an any_io_executor: the library posts the
// resumption home itself only when `ex` is the home; any other executor runs
// the post, and the task resumes at home after it.
BOOST_AUTO_TEST_CASE(type_erased_post_goes_where_it_is_sent) {
    asio::io_context home, other;
    int step = 0;
    auto chain = [&]() -> task<void> {
        asio::any_io_executor here = co_await asio::this_coro::executor;
        co_await asio::post(here, use_affine);
        step = 1;
        co_await asio::defer(here, use_affine);
        step = 2;
        co_await asio::post(asio::any_io_executor(other.get_executor()), use_affine);
        BOOST_TEST(home.get_executor().running_in_this_thread());
        step = 3;
    };
    affine::co_spawn(home, chain(), asio::detached);
    // The third post keeps work on `home` (the handler's executor) while it
    // waits for `other`: poll, do not run.
    for (int i = 0; i < 100 && step < 2; ++i)
        home.poll();
    home.poll();
    BOOST_TEST(step == 2); // waits for `other` to run the third post
    BOOST_TEST(other.run() == 1u);
    home.run();
    BOOST_TEST(step == 3);
}

// What Asio's post and defer store for an any_io_executor, in the Boost this is built with, is
// what the library recognises for its own post home (the fast path above): if a Boost release
// changes it (1.90 added a work function), this fails instead of the fast path turning off.
namespace capture {
struct token {};
} // namespace capture

template <class Signature>
struct boost::asio::async_result<capture::token, Signature> {
    template <class Initiation, class... Args>
    static std::tuple<std::decay_t<Initiation>, std::decay_t<Args>...>
    initiate(Initiation&&, capture::token, Args&&...);
};

BOOST_AUTO_TEST_CASE(asio_post_and_defer_initiations_are_recognised) {
    using post_stored =
        decltype(asio::post(std::declval<asio::any_io_executor>(), capture::token{}));
    using defer_stored =
        decltype(asio::defer(std::declval<asio::any_io_executor>(), capture::token{}));
    static_assert(affine::detail::is_type_erased_post<post_stored>::value,
                  "asio::post(any_io_executor, token) stores an initiation the library no longer "
                  "recognises: see detail::is_type_erased_post");
    static_assert(affine::detail::is_type_erased_post<defer_stored>::value,
                  "asio::defer(any_io_executor, token) stores an initiation the library no "
                  "longer recognises: see detail::is_type_erased_post");
    // A post elsewhere is not taken for one: to a typed executor, or with a token of its own.
    using typed_stored =
        decltype(asio::post(std::declval<asio::io_context::executor_type>(), capture::token{}));
    static_assert(!affine::detail::is_type_erased_post<typed_stored>::value);
    BOOST_TEST(true); // (the checks are the static_asserts)
}

#if BOOST_ASIO_VERSION >= 102800 // Boost 1.82: immediate completion
// An operation that completes inside its initiation (a read that finds its data there) does so
// through the handler's immediate executor; use_affine's runs it inline on the home, so that the
// task goes on without a post, in constant stack, on a strand too.
BOOST_AUTO_TEST_CASE(immediate_completions_resume_inline_without_a_post) {
    asio::io_context ioc;
    auto strand = asio::make_strand(ioc);
    asio::ip::tcp::acceptor acceptor(ioc, {asio::ip::address_v4::loopback(), 0});
    asio::ip::tcp::socket reader(strand), writer(ioc);
    writer.connect(acceptor.local_endpoint());
    acceptor.accept(reader);
    constexpr int n = 2000;
    std::string data(n, 'x');
    asio::write(writer, asio::buffer(data));

    int reads = 0;
    std::size_t first = 0, last = 0;
    bool on_strand = true;
    affine::co_spawn(
        strand,
        [&]() -> task<void> {
            // The first read waits until all the data is there: every later one finds its byte.
            char c;
            co_await asio::async_read(reader, asio::buffer(&c, 1), use_affine);
            ++reads;
            while (reader.available() + 1 < std::size_t(n))
                co_await asio::post(co_await asio::this_coro::executor, use_affine);
            first = stack_depth_probe();
            for (int i = 1; i < n; ++i) {
                co_await reader.async_read_some(asio::buffer(&c, 1), use_affine);
                on_strand = on_strand && strand.running_in_this_thread();
                ++reads;
                last = stack_depth_probe();
            }
        },
        [](std::exception_ptr e) { BOOST_TEST(!e); });
    std::size_t handlers = ioc.run();
    BOOST_TEST(reads == n);
    BOOST_TEST(first == last);
    BOOST_TEST(on_strand);
    // Posted through the io_context, each immediate completion would run one handler or more.
    BOOST_TEST(handlers < std::size_t(n / 10));
}
#endif

BOOST_AUTO_TEST_CASE(inline_completion_runs_in_constant_stack) {
    test::run([]() -> task<void> {
        std::size_t first = stack_depth_probe();
        std::size_t last = 0;
        for (int i = 0; i < 1'000'000; ++i) {
            co_await complete_inline<void(error_code)>(error_code())(use_affine);
            last = stack_depth_probe();
        }
        BOOST_TEST(first == last);
    });
}

BOOST_AUTO_TEST_CASE(an_operation_never_awaited_never_starts) {
    bool started = false;
    auto op = [&](auto&& token) {
        return asio::async_initiate<decltype(token), void()>(
            [&](auto handler) {
                started = true;
                std::move(handler)();
            },
            token);
    };
    {
        auto pending = op(use_affine);
        (void)pending;
    }
    BOOST_TEST(!started);
}

BOOST_AUTO_TEST_CASE(large_initiations_use_the_chain_allocator) {
    test::counting_allocator counter;
    asio::io_context ioc;
    affine::co_spawn(
        affine::with_allocator(ioc.get_executor(), counter),
        [&]() -> task<void> {
            std::array<char, 256> big{};
            big[0] = 'a';
            auto op = [big](auto&& token) {
                return asio::async_initiate<decltype(token), void(char)>(
                    [](auto handler, std::array<char, 256> const& b) { std::move(handler)(b[0]); },
                    token, big);
            };
            long before = counter.allocations;
            char c = co_await op(use_affine);
            BOOST_TEST(c == 'a');
            BOOST_TEST(counter.allocations - before == 1);
        },
        [](std::exception_ptr e) { BOOST_TEST(!e); });
    ioc.run();
    BOOST_TEST(counter.live == 0);
}

BOOST_AUTO_TEST_CASE(every_asio_adapter_composes_with_use_affine) {
    asio::io_context ioc;
    asio::io_context other; // an executor elsewhere, for bind_executor
    auto other_work = asio::make_work_guard(other);
    std::thread other_thread([&] { other.run(); });
    bool done = false;
    affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            auto ex = co_await asio::this_coro::executor;
            auto on_home = [&] { return ioc.get_executor().running_in_this_thread(); };
            asio::steady_timer t(ex);

            // bind_executor: the completion runs on `other`, the task resumes home.
            t.expires_after(std::chrono::milliseconds(1));
            co_await t.async_wait(asio::bind_executor(other.get_executor(), use_affine));
            BOOST_TEST(on_home());

            // bind_allocator: Asio's storage from the bound allocator instead.
            test::counting_allocator counter;
            t.expires_after(std::chrono::milliseconds(1));
            co_await t.async_wait(asio::bind_allocator(
                affine::frame_std_allocator<void>(affine::any_frame_allocator(counter)),
                use_affine));
            BOOST_TEST(counter.allocations >= 1);
            BOOST_TEST(counter.live == 0);

            // append and prepend add completion values
            t.expires_after(std::chrono::milliseconds(1));
            int appended = co_await t.async_wait(asio::append(use_affine, 42));
            BOOST_TEST(appended == 42);
            t.expires_after(std::chrono::milliseconds(1));
            auto [first, ec] = co_await t.async_wait(asio::prepend(use_affine, 7));
            BOOST_TEST(first == 7);
            BOOST_TEST(!ec);

            // consign keeps its values alive while the operation is pending,
            // and releases them once it has completed
            auto kept = std::make_shared<int>(1);
            std::weak_ptr<int> watch = kept;
            bool alive_while_pending = false;
            asio::post(ex, [&] { alive_while_pending = !watch.expired(); });
            t.expires_after(std::chrono::milliseconds(5));
            co_await t.async_wait(asio::consign(use_affine, std::move(kept)));
            co_await asio::post(ex, use_affine); // the completion has unwound
            BOOST_TEST(alive_while_pending);
            BOOST_TEST(watch.expired());

            // experimental::as_single: one tuple of the completion values
            t.expires_after(std::chrono::milliseconds(1));
            auto single = co_await complete_inline<void(error_code, int)>(error_code(), 5)(
                asio::experimental::as_single(use_affine));
            BOOST_TEST(std::get<1>(single) == 5);

            // an adapter as the default token of an I/O object
            using tuple_timer =
                asio::as_tuple_t<affine::use_affine_t<>>::as_default_on_t<asio::steady_timer>;
            tuple_timer tt(ex, std::chrono::milliseconds(1));
            auto [ec2] = co_await tt.async_wait();
            BOOST_TEST(!ec2);
            BOOST_TEST(on_home());
            // (experimental::as_single_t<...>::as_default_on_t does not
            // compile as an I/O object's executor with clang 16 and Asio
            // 1.81, whatever the inner token: Asio's own limit.)
            // (The other adapters carry state, an error_code&, a slot, an
            // executor, values: Asio 1.81 gives them no as_default_on_t.)
            done = true;
        },
        [](std::exception_ptr e) { BOOST_TEST(!e); });
    ioc.run();
    other_work.reset();
    other_thread.join();
    BOOST_TEST(done);
}

// Boost.Beast's coroutine servers name their executor type and give their I/O objects a default
// token on it: as_tuple_t<use_awaitable_t<E>>::executor_with_default<E>, acceptors and sockets
// rebound to that, tasks of E. Renamed, the same serves a loopback connection.
BOOST_AUTO_TEST_CASE(typed_executor_default_tokens_serve_a_loopback_connection) {
    using executor_type = asio::io_context::executor_type;
    using executor_with_default =
        asio::as_tuple_t<affine::use_affine_t<executor_type>>::executor_with_default<executor_type>;
    using acceptor_type = asio::ip::tcp::acceptor::rebind_executor<executor_with_default>::other;
    using socket_type = asio::ip::tcp::socket::rebind_executor<executor_with_default>::other;

    asio::io_context ioc;
    acceptor_type acceptor(ioc.get_executor(), {asio::ip::address_v4::loopback(), 0});
    unsigned short const port = acceptor.local_endpoint().port();
    std::string received;
    std::size_t written = 0;

    auto server = [&]() -> task<void, executor_type> {
        auto [ec, socket] = co_await acceptor.async_accept();
        static_assert(std::is_same_v<decltype(socket), socket_type>);
        BOOST_TEST(!ec);
        char buf[5];
        auto [ec2, n] = co_await asio::async_read(socket, asio::buffer(buf));
        BOOST_TEST(!ec2);
        received.assign(buf, n);
    };
    auto client = [&]() -> task<void, executor_type> {
        socket_type socket(co_await asio::this_coro::executor);
        auto [ec] = co_await socket.async_connect({asio::ip::address_v4::loopback(), port});
        BOOST_TEST(!ec);
        // as_default_on: a timer made to use the token of this executor type.
        auto timer = affine::use_affine_t<executor_type>::as_default_on(
            asio::steady_timer(co_await asio::this_coro::executor, std::chrono::milliseconds(1)));
        co_await timer.async_wait();
        auto [ec2, n] = co_await asio::async_write(socket, asio::buffer("hello", 5));
        BOOST_TEST(!ec2);
        written = n;
    };
    affine::co_spawn(ioc, server, asio::detached);
    affine::co_spawn(executor_with_default(ioc.get_executor()), client, asio::detached);
    ioc.run();
    BOOST_TEST(written == 5u);
    BOOST_TEST(received == "hello");
}

// Boost.Beast's streams awaited with use_affine report timeouts and cancellation with the errors
// asio::awaitable's coroutines see, in the same program.
namespace {

// What a read on a connection whose peer sends nothing ends with: after a tcp_stream timeout,
// or after the chain's cancellation.
template <bool Affine>
boost::system::error_code beast_read_error(bool by_timeout) {
    asio::io_context ioc;
    asio::ip::tcp::acceptor acceptor(ioc, {asio::ip::address_v4::loopback(), 0});
    asio::ip::tcp::socket client(ioc);
    client.connect(acceptor.local_endpoint());
    beast::tcp_stream stream(acceptor.accept());
    boost::system::error_code result;
    char buf[16];
    auto read = [&](auto token) -> auto {
        if (by_timeout)
            stream.expires_after(std::chrono::milliseconds(20));
        return stream.async_read_some(asio::buffer(buf), asio::redirect_error(token, result));
    };
    asio::cancellation_signal cancel;
    if constexpr (Affine) {
        affine::co_spawn(
            ioc, [&]() -> task<void> { co_await read(use_affine); },
            asio::bind_cancellation_slot(cancel.slot(), asio::detached));
    } else {
        asio::co_spawn(
            ioc, [&]() -> asio::awaitable<void> { co_await read(asio::use_awaitable); },
            asio::bind_cancellation_slot(cancel.slot(), asio::detached));
    }
    asio::steady_timer t(ioc, std::chrono::milliseconds(20));
    if (!by_timeout)
        t.async_wait([&](error_code) { cancel.emit(asio::cancellation_type::terminal); });
    ioc.run();
    return result;
}

} // namespace

BOOST_AUTO_TEST_CASE(beast_stream_timeouts_and_cancellation_surface_as_with_awaitable) {
    error_code const affine_timeout = beast_read_error<true>(true);
    error_code const awaitable_timeout = beast_read_error<false>(true);
    BOOST_TEST((affine_timeout == beast::error::timeout));
    BOOST_TEST(affine_timeout == awaitable_timeout);
    error_code const affine_cancel = beast_read_error<true>(false);
    error_code const awaitable_cancel = beast_read_error<false>(false);
    BOOST_TEST((affine_cancel == asio::error::operation_aborted));
    BOOST_TEST(affine_cancel == awaitable_cancel);
}

// A chain on a strand over a thread pool awaits a tcp_stream on that strand (the stream's
// executor, which its timeouts use too): every read completes on one of the pool's threads and
// resumes the chain on its strand.
BOOST_AUTO_TEST_CASE(beast_stream_completions_resume_on_the_home_strand) {
    asio::thread_pool pool(2);
    auto home = asio::make_strand(pool);
    asio::io_context io; // the client's socket, used synchronously
    asio::ip::tcp::acceptor acceptor(pool, {asio::ip::address_v4::loopback(), 0});
    asio::ip::tcp::socket client(io);
    client.connect(acceptor.local_endpoint());
    beast::tcp_stream stream(home);
    acceptor.accept(stream.socket());
    std::atomic<int> on_home{0};
    std::future<void> done = affine::co_spawn(
        home,
        [&]() -> task<void> {
            char buf[16];
            for (int i = 0; i < 20; ++i) {
                asio::write(client, asio::buffer("x", 1));
                stream.expires_after(std::chrono::seconds(5));
                co_await stream.async_read_some(asio::buffer(buf), use_affine);
                on_home += on(home);
            }
            stream.expires_never();
        },
        asio::use_future);
    done.get();
    BOOST_TEST(on_home.load() == 20);
}
