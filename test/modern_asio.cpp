//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Newer Asio's idioms in tasks, each tested with the Boost versions that have
// it (the CI matrix builds this with Boost 1.81, 1.83, 1.88, 1.90 and 1.92):
// operations awaited with no completion token (deferred is the default token
// from Boost 1.85), cancel_after and cancel_at (1.86), co_composed,
// any_completion_handler, bind_immediate_executor (1.82) and co_spawn's
// defaulted token. Each case checks the values, the errors, and that the task
// resumes on its home executor (a strand).

#include <boost/affine/co_spawn.hpp>
#include <boost/affine/task.hpp>
#include <boost/affine/use_affine.hpp>

#include "test_helpers.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/co_composed.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/version.hpp>
#include <boost/asio/write.hpp>

#if __has_include(<boost/asio/bind_immediate_executor.hpp>)
#include <boost/asio/bind_immediate_executor.hpp>
#define BOOST_AFFINE_TEST_IMMEDIATE 1
#endif
#if __has_include(<boost/asio/cancel_after.hpp>)
#include <boost/asio/cancel_after.hpp>
#include <boost/asio/cancel_at.hpp>
#define BOOST_AFFINE_TEST_CANCEL_AFTER 1
#endif
#if __has_include(<boost/asio/default_completion_token.hpp>)
#include <boost/asio/default_completion_token.hpp>
#define BOOST_AFFINE_TEST_DEFERRED_DEFAULT 1
#endif

#define BOOST_TEST_MODULE modern_asio
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <string>
#include <tuple>

namespace asio = boost::asio;
namespace affine = boost::affine;
using affine::task;
using affine::use_affine;
using asio::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;

namespace {

using strand_type = asio::strand<asio::io_context::executor_type>;

// Out of line, as in the other tests: a strand's check reads a thread-local.
BOOST_NOINLINE bool on(strand_type const& s) {
    return s.running_in_this_thread();
}

// A connected pair of sockets on `ex`.
[[maybe_unused]] std::pair<tcp::socket, tcp::socket> socket_pair(asio::any_io_executor ex) {
    tcp::acceptor acceptor(ex, {asio::ip::address_v4::loopback(), 0});
    tcp::socket a(ex), b(ex);
    a.connect(acceptor.local_endpoint());
    acceptor.accept(b);
    return {std::move(a), std::move(b)};
}

// Runs `make(strand)`'s task on a strand of a fresh io_context; fails the test on an exception.
template <class Make>
void run_on_strand(Make make) {
    asio::io_context ioc;
    strand_type strand = asio::make_strand(ioc);
    bool done = false;
    affine::co_spawn(strand, make(strand), [&](std::exception_ptr e) {
        done = true;
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (std::exception const& x) {
                BOOST_ERROR("the task threw: " << x.what());
            }
        }
    });
    ioc.run();
    BOOST_TEST(done);
}

} // namespace

BOOST_AUTO_TEST_CASE(this_boost) {
    BOOST_TEST_MESSAGE("Boost.Asio " << BOOST_ASIO_VERSION / 100000 << "."
                                     << BOOST_ASIO_VERSION / 100 % 1000 << "."
                                     << BOOST_ASIO_VERSION % 100);
#if defined(BOOST_AFFINE_TEST_DEFERRED_DEFAULT)
    static_assert(
        std::is_same_v<asio::default_completion_token_t<asio::any_io_executor>, asio::deferred_t>);
#endif
    BOOST_TEST(BOOST_ASIO_VERSION >= 102600);
}

// co_composed operations (experimental in every Boost of the matrix; asio::co_composed too
// from 1.86), awaited with use_affine: values, errors, and the task resumes on its strand.
template <class Token>
auto async_double_after(asio::steady_timer& timer, int v, Token&& token) {
    return asio::async_initiate<Token, void(error_code, int)>(
        asio::experimental::co_composed<void(error_code, int)>(
            [](auto /*state*/, asio::steady_timer& timer, int v) -> void {
                timer.expires_after(1ms);
                auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::deferred));
                if (ec)
                    co_return {ec, 0};
                if (v < 0)
                    co_return {asio::error::invalid_argument, 0};
                co_return {error_code(), 2 * v};
            },
            timer),
        token, std::ref(timer), v);
}

BOOST_AUTO_TEST_CASE(co_composed_operations_are_awaited) {
    run_on_strand([](strand_type strand) -> task<void> {
        asio::steady_timer timer(strand);
        int v = co_await async_double_after(timer, 21, use_affine);
        BOOST_TEST(v == 42);
        BOOST_TEST(on(strand));
        auto [ec, w] = co_await async_double_after(timer, -1, asio::as_tuple(use_affine));
        BOOST_TEST(ec == asio::error::invalid_argument);
        BOOST_TEST(w == 0);
        BOOST_TEST(on(strand));
        bool threw = false;
        try {
            co_await async_double_after(timer, -1, use_affine);
        } catch (boost::system::system_error const& e) {
            threw = e.code() == asio::error::invalid_argument;
        }
        BOOST_TEST(threw);
        BOOST_TEST(on(strand));
    });
}

// A task chain started as an Asio operation completes into an any_completion_handler, as
// asio::co_spawn's does: the type-erased handler keeps its executor and its allocator.
void start_answer(asio::any_io_executor ex,
                  asio::any_completion_handler<void(std::exception_ptr, int)> handler) {
    affine::co_spawn(
        ex, []() -> task<int> { co_return 42; }, std::move(handler));
}

BOOST_AUTO_TEST_CASE(co_spawn_completes_into_any_completion_handler) {
    asio::io_context ioc;
    int got = 0;
    bool ran_on_ioc = false;
    start_answer(ioc.get_executor(), [&](std::exception_ptr e, int v) {
        BOOST_TEST(!e);
        got = v;
        ran_on_ioc = ioc.get_executor().running_in_this_thread();
    });
    ioc.run();
    BOOST_TEST(got == 42);
    BOOST_TEST(ran_on_ioc);

    // And awaited by a task, through an initiating function that erases the handler.
    got = 0;
    ioc.restart();
    affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            auto ex = co_await asio::this_coro::executor;
            got = co_await asio::async_initiate<affine::use_affine_t<> const&,
                                                void(std::exception_ptr, int)>(
                [ex](asio::any_completion_handler<void(std::exception_ptr, int)> h) {
                    start_answer(ex, std::move(h));
                },
                use_affine);
        },
        asio::detached);
    ioc.run();
    BOOST_TEST(got == 42);
}

#if defined(BOOST_AFFINE_TEST_DEFERRED_DEFAULT)
// Boost 1.85 on: an operation with no completion token is deferred, and a task awaits it as
// it awaits one with use_affine.
BOOST_AUTO_TEST_CASE(operations_without_a_token_are_awaited) {
    run_on_strand([](strand_type strand) -> task<void> {
        tcp::acceptor acceptor(strand, {asio::ip::address_v4::loopback(), 0});
        tcp::socket client(strand);
        co_await client.async_connect(acceptor.local_endpoint());
        BOOST_TEST(on(strand));
        tcp::socket server = co_await acceptor.async_accept();
        BOOST_TEST(on(strand));
        co_await asio::async_write(client, asio::buffer("ping", 4));
        char buf[8];
        std::size_t n = co_await server.async_read_some(asio::buffer(buf));
        BOOST_TEST(std::string(buf, n) == "ping");
        BOOST_TEST(on(strand));
        // An error is thrown, as with use_affine.
        client.close();
        bool threw = false;
        try {
            for (;;)
                co_await server.async_read_some(asio::buffer(buf));
        } catch (boost::system::system_error const& e) {
            threw = e.code() == asio::error::eof;
        }
        BOOST_TEST(threw);
        BOOST_TEST(on(strand));
    });
}

// co_spawn with no token returns a deferred operation, as asio::co_spawn's does from 1.85:
// nothing runs until it is started, here by awaiting it in another task.
BOOST_AUTO_TEST_CASE(co_spawn_without_a_token_is_deferred) {
    asio::io_context ioc;
    bool started = false;
    auto op = affine::co_spawn(ioc, [&]() -> task<int> {
        started = true;
        co_return 7;
    });
    ioc.poll();
    BOOST_TEST(!started);
    ioc.restart(); // poll() ran out of work
    int got = 0;
    affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            std::tie(std::ignore, got) = co_await std::move(op)(asio::as_tuple(use_affine));
        },
        [](std::exception_ptr e) {
            try {
                if (e)
                    std::rethrow_exception(e);
            } catch (std::exception const& x) {
                BOOST_ERROR("the awaiting task threw: " << x.what());
            }
        });
    ioc.run();
    BOOST_TEST(started);
    BOOST_TEST(got == 7);
}
#endif

#if defined(BOOST_AFFINE_TEST_CANCEL_AFTER)
// Boost 1.86 on: cancel_after and cancel_at around use_affine, around as_tuple(use_affine),
// and as partial tokens. The timeout cancels the operation it wraps, and only it: the task
// resumes on its strand with operation_aborted and goes on.
BOOST_AUTO_TEST_CASE(cancel_after_and_cancel_at_time_out_the_operation) {
    run_on_strand([](strand_type strand) -> task<void> {
        auto [client, server] = socket_pair(strand);
        char buf[8];

        bool threw = false;
        try {
            co_await server.async_read_some(asio::buffer(buf), asio::cancel_after(5ms, use_affine));
        } catch (boost::system::system_error const& e) {
            threw = e.code() == asio::error::operation_aborted;
        }
        BOOST_TEST(threw);
        BOOST_TEST(on(strand));

        auto [ec, n] = co_await server.async_read_some(
            asio::buffer(buf),
            asio::cancel_at(std::chrono::steady_clock::now() + 5ms, asio::as_tuple(use_affine)));
        BOOST_TEST(ec == asio::error::operation_aborted);
        BOOST_TEST(n == 0u);
        BOOST_TEST(on(strand));

        // A partial token: the operation is deferred with its timeout, then awaited.
        threw = false;
        try {
            co_await server.async_read_some(asio::buffer(buf), asio::cancel_after(5ms));
        } catch (boost::system::system_error const& e) {
            threw = e.code() == asio::error::operation_aborted;
        }
        BOOST_TEST(threw);
        BOOST_TEST(on(strand));

        // The socket is not harmed: a read with a timeout it meets completes with the data.
        co_await asio::async_write(client, asio::buffer("pong", 4), use_affine);
        std::size_t got =
            co_await server.async_read_some(asio::buffer(buf), asio::cancel_after(10s, use_affine));
        BOOST_TEST(std::string(buf, got) == "pong");
        BOOST_TEST(on(strand));
    });
}
#endif

#if defined(BOOST_AFFINE_TEST_IMMEDIATE)
// bind_immediate_executor around use_affine: an operation that completes inside its initiation
// goes through the executor the user bound (here a post to the strand, blocking.never) rather
// than the handler's own inline path; the task still resumes on its strand, once per operation.
BOOST_AUTO_TEST_CASE(bind_immediate_executor_around_use_affine) {
    run_on_strand([](strand_type strand) -> task<void> {
        auto [client, server] = socket_pair(strand);
        co_await asio::async_write(client, asio::buffer("abcdef", 6), use_affine);
        char buf[8];
        std::size_t total = 0;
        while (total < 6) {
            total += co_await server.async_read_some(
                asio::buffer(buf + total, 1),
                asio::bind_immediate_executor(
                    asio::require(strand, asio::execution::blocking.never), use_affine));
            BOOST_TEST(on(strand));
        }
        BOOST_TEST(std::string(buf, 6) == "abcdef");
    });
}
#endif
