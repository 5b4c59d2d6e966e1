//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// A task<T, Executor> awaits only tasks of its own Executor, as
// asio::awaitable<T, Executor> does: here a task on io_context's executor type
// awaits a task<void> (any_io_executor).
// EXPECT-ERROR: boost::affine::task<T, Executor>: a task awaits only tasks of its own Executor

#include <boost/affine/task.hpp>

#include <boost/asio/io_context.hpp>

boost::affine::task<void> other() {
    co_return;
}

boost::affine::task<void, boost::asio::io_context::executor_type> typed() {
    co_await other();
}
