//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The library builds with Asio's handler tracking (BOOST_ASIO_ENABLE_HANDLER_TRACKING), as
// Asio's coroutine support does: use_affine_t then records where the token was made, as
// use_awaitable_t does, and Asio's records of the operation name that place.

#define BOOST_ASIO_ENABLE_HANDLER_TRACKING

#include <boost/affine.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>

namespace asio = boost::asio;
namespace affine = boost::affine;

using timer = affine::use_affine_t<>::as_default_on_t<asio::steady_timer>;

affine::task<int> tracked() {
    auto ex = co_await asio::this_coro::executor;
    co_await asio::post(ex, affine::use_affine);
    co_await asio::post(ex, affine::use_affine_t<>(__FILE__, __LINE__, "tracked"));
    timer t(ex, std::chrono::milliseconds(1));
    co_await t.async_wait(); // the default token: made here
    auto [ec] = co_await t.async_wait(asio::as_tuple(affine::use_affine_t<>{}));
    co_return ec ? 0 : 1;
}

static_assert(sizeof(affine::use_affine_t<>) >= sizeof(char const*) + sizeof(int),
              "the token carries its location");

void start(asio::io_context& ioc) {
    affine::co_spawn(ioc, tracked(), asio::detached);
}
