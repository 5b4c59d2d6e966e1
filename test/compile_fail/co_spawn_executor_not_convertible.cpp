//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// co_spawn of a task<T, Executor> on an executor that does not convert to
// Executor (here a strand, for a task on io_context's executor type) is
// rejected, as asio::co_spawn rejects it for an awaitable<T, Executor>.
// EXPECT-ERROR: boost::affine::co_spawn: the executor must convert to the task's Executor type

#include <boost/affine/co_spawn.hpp>

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

boost::affine::task<void, boost::asio::io_context::executor_type> typed() {
    co_return;
}

void use(boost::asio::io_context& ioc) {
    boost::affine::co_spawn(boost::asio::make_strand(ioc), typed(), boost::asio::detached);
}
