//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Documentation snippet: awaiting Asio operations with use_affine.

#include <boost/affine.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>

namespace asio = boost::asio;
using boost::affine::co_spawn;
using boost::affine::task;
using boost::affine::use_affine;
using boost::system::error_code;
using socket_type = asio::local::stream_protocol::socket;

bool all_good = true;

void check(bool ok, char const* what) {
    std::printf("%-40s %s\n", what, ok ? "ok" : "FAILED");
    all_good = all_good && ok;
}

task<void> errors(socket_type& a, socket_type& b) {
    // tag::errors[]
    std::array<char, 5> out{'h', 'e', 'l', 'l', 'o'}, in{};
    co_await asio::async_write(a, asio::buffer(out), use_affine);
    std::size_t n = co_await asio::async_read(b, asio::buffer(in), use_affine);
    check(n == 5, "read yields the byte count");

    a.close(); // the peer reads end of file: thrown, as with use_awaitable
    try {
        co_await b.async_read_some(asio::buffer(in), use_affine);
    } catch (boost::system::system_error const& e) {
        check(e.code() == asio::error::eof, "an error code is thrown");
    }
    // end::errors[]
}

task<void> adapters() {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex, std::chrono::hours(1));

    // tag::adapters[]
    // as_tuple: the error code is returned, not thrown.
    asio::post(ex, [&] { timer.cancel(); });
    auto [ec1] = co_await timer.async_wait(asio::as_tuple(use_affine));
    check(ec1 == asio::error::operation_aborted, "as_tuple(use_affine)");

    // redirect_error: the error code is stored in a variable.
    error_code ec2;
    asio::post(ex, [&] { timer.cancel(); });
    co_await timer.async_wait(asio::redirect_error(use_affine, ec2));
    check(ec2 == asio::error::operation_aborted, "redirect_error(use_affine, ec)");

    // bind_cancellation_slot: this operation alone listens to the signal.
    asio::cancellation_signal signal;
    asio::post(ex, [&] { signal.emit(asio::cancellation_type::terminal); });
    auto [ec3] = co_await timer.async_wait(
        asio::bind_cancellation_slot(signal.slot(), asio::as_tuple(use_affine)));
    check(ec3 == asio::error::operation_aborted, "bind_cancellation_slot(..., use_affine)");

    // deferred: the operation is started with use_affine when awaited.
    timer.expires_after(std::chrono::milliseconds(1));
    auto op = timer.async_wait(asio::deferred);
    co_await std::move(op);
    check(true, "asio::deferred");
    // end::adapters[]
}

// tag::default_token[]
using timer_type = boost::affine::use_affine_t<>::as_default_on_t<asio::steady_timer>;

task<void> default_token() {
    timer_type timer(co_await asio::this_coro::executor, std::chrono::milliseconds(1));
    co_await timer.async_wait(); // no token: use_affine
    check(true, "as_default_on_t");
}
// end::default_token[]

// tag::cancel_chain[]
task<void> sleeper() {
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::hours(1));
    co_await timer.async_wait(use_affine); // the chain's slot reaches this operation
}

void cancel_chain() {
    asio::io_context ioc;
    asio::cancellation_signal signal;
    co_spawn(ioc, sleeper(), asio::bind_cancellation_slot(signal.slot(), [](std::exception_ptr e) {
                 check(e != nullptr, "terminal cancellation of a chain");
             }));
    asio::post(ioc, [&] { signal.emit(asio::cancellation_type::terminal); });
    ioc.run();
}
// end::cancel_chain[]

int main() {
    asio::io_context ioc;
    socket_type a(ioc), b(ioc);
    asio::local::connect_pair(a, b);
    auto done = [](std::exception_ptr e) {
        if (e)
            all_good = false;
    };
    co_spawn(ioc, errors(a, b), done);
    co_spawn(ioc, adapters(), done);
    co_spawn(ioc, default_token(), done);
    ioc.run();
    cancel_chain();
    return all_good ? EXIT_SUCCESS : EXIT_FAILURE;
}
