//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// The diagnostics compiled out: with BOOST_AFFINE_NO_AWAIT_SITES and BOOST_AFFINE_NO_CHAIN_REGISTRY
// the library still builds (the whole of it, boost/affine.hpp), a task object keeps no site,
// a backtrace has its frames without their lines, and no chain is registered.

#define BOOST_AFFINE_NO_AWAIT_SITES
#define BOOST_AFFINE_NO_CHAIN_REGISTRY
#include <boost/affine.hpp>

#include "test_helpers.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>

#define BOOST_TEST_MODULE diagnostics_off
#include <boost/test/unit_test.hpp>

#include <coroutine>

namespace asio = boost::asio;
namespace affine = boost::affine;
using affine::async_frame_kind;
using affine::task;
using affine::use_affine;

namespace {

affine::async_stack captured;
bool registered = true;

task<int> leaf() {
    co_await asio::post(co_await asio::this_coro::executor, use_affine);
    captured = affine::async_backtrace();
    registered = affine::detail::chain_registry_instance.chains_ != nullptr;
    co_return 1;
}

task<int> outer() {
    co_return co_await leaf() + 1;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_backtrace_without_sites_and_no_registry) {
    // The link of a task into its chain: its handle and the task outside it, no site.
    static_assert(sizeof(affine::detail::task_link) == 2 * sizeof(void*));
    static_assert(!affine::detail::record_await_sites);
    static_assert(!affine::detail::chain_registry_enabled);

    asio::io_context ioc;
    unsigned const spawn_line = __LINE__ + 1;
    auto f = affine::co_spawn(ioc, outer(), asio::use_future);
    ioc.run();
    BOOST_TEST(f.get() == 2);
    BOOST_TEST(!registered);
    BOOST_TEST_INFO(captured);
    BOOST_TEST_REQUIRE(captured.size() == 3u);
    // #0 is where async_backtrace was called (its own default argument); the task awaiting it
    // has no site; the spawn has its own.
    BOOST_TEST((captured[0].kind() == async_frame_kind::task));
    BOOST_TEST(captured[0].where().line() != 0u);
    BOOST_TEST((captured[1].kind() == async_frame_kind::task));
    BOOST_TEST(captured[1].where().line() == 0u);
    BOOST_TEST((captured[2].kind() == async_frame_kind::spawn));
    BOOST_TEST(captured[2].where().line() == spawn_line);
    // Nothing published per slice.
    BOOST_TEST(affine::detail::this_thread_state().running_chain.load() == nullptr);
}
