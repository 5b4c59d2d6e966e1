//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// environment: the chain's dispatcher, home executor, frame allocator and
// cancellation, as a task sees them.

// Test that header file is self-contained.
#include <boost/affine/environment.hpp>

#include <boost/affine/co_spawn.hpp>
#include <boost/affine/task.hpp>
#include <boost/affine/use_affine.hpp>

#include "test_helpers.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#define BOOST_TEST_MODULE environment
#include <boost/test/unit_test.hpp>

#include <coroutine>
#include <exception>
#include <future>
#include <thread>

namespace asio = boost::asio;
namespace affine = boost::affine;
using affine::task;
using affine::use_affine;

BOOST_AUTO_TEST_CASE(a_chain_is_current_while_it_runs_and_only_then) {
    asio::io_context ioc;
    affine::environment* inside = nullptr;
    affine::environment* nested = nullptr;
    affine::environment* after_await = nullptr;
    BOOST_TEST(affine::environment::current() == nullptr);
    affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            inside = affine::environment::current();
            auto inner = [&]() -> task<void> {
                nested = affine::environment::current();
                co_return;
            };
            co_await inner();
            co_await asio::post(ioc, use_affine);
            after_await = affine::environment::current();
        },
        [&](std::exception_ptr e) {
            BOOST_TEST(!e);
            // The completion handler is not part of the chain.
            BOOST_TEST(affine::environment::current() == nullptr);
        });
    ioc.run();
    BOOST_TEST(inside != nullptr);
    BOOST_TEST(nested == inside);
    BOOST_TEST(after_await == inside);
    BOOST_TEST(affine::environment::current() == nullptr);
}

BOOST_AUTO_TEST_CASE(dispatch_transfers_inside_the_chain_and_posts_from_outside) {
    asio::io_context ioc;
    affine::environment* env = nullptr;
    std::coroutine_handle<> same = std::noop_coroutine();
    affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            env = affine::environment::current();
            // Inside the chain, dispatch hands the handle back for symmetric transfer.
            same = env->dispatch(std::noop_coroutine());
            co_return;
        },
        [](std::exception_ptr e) { BOOST_TEST(!e); });
    ioc.run();
    BOOST_TEST(env != nullptr);
    BOOST_TEST((same == std::noop_coroutine()));
}

// The environment knows its home in every form a home takes: an executor that
// any_io_executor holds inline (made on demand) and one it does not (a strand
// over a thread_pool, 32 bytes: a copy is kept).
template <class Home, class Context>
void check_home(Home home, Context& ctx, asio::any_io_executor elsewhere) {
    auto f = affine::co_spawn(
        home,
        [&]() -> task<bool> {
            affine::environment* env = affine::environment::current();
            asio::any_io_executor here = co_await asio::this_coro::executor;
            bool ok = true;
            ok = ok && here == asio::any_io_executor(home);
            ok = ok && env->get_executor() == here;
            ok = ok && env->is_home(here) && env->is_home(asio::any_io_executor(home));
            ok = ok && !env->is_home(elsewhere);
            ok = ok && &env->context() == static_cast<asio::execution_context*>(&ctx);
            co_return ok;
        },
        asio::use_future);
    BOOST_TEST(f.get());
}

BOOST_AUTO_TEST_CASE(environment_knows_its_home_executor) {
    asio::thread_pool pool(1);
    asio::io_context other;
    asio::any_io_executor elsewhere = other.get_executor();
    {
        // A thread runs the io_context while this one waits for each check.
        asio::io_context ioc;
        auto guard = asio::make_work_guard(ioc);
        std::thread runner([&] { ioc.run(); });
        check_home(ioc.get_executor(), ioc, elsewhere);
        check_home(asio::make_strand(ioc), ioc, elsewhere);
        check_home(asio::any_io_executor(asio::make_strand(ioc)), ioc, elsewhere);
        // The same io_context, another strand: not the home.
        check_home(asio::make_strand(ioc), ioc, asio::make_strand(ioc));
        guard.reset();
        runner.join();
    }
    check_home(pool.get_executor(), pool, elsewhere);
    check_home(asio::make_strand(pool.get_executor()), pool, elsewhere);
    check_home(asio::make_strand(pool.get_executor()), pool,
               asio::make_strand(pool.get_executor()));
    pool.join();
}
