//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// co_spawn of something that is not a task (here a function that returns an
// int) is rejected with a message that says what co_spawn accepts.
// EXPECT-ERROR: boost::affine::co_spawn: the second argument must be a boost::affine::task<T>

#include <boost/affine/co_spawn.hpp>

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

void use(boost::asio::io_context& ioc) {
    boost::affine::co_spawn(
        ioc, [] { return 42; }, boost::asio::detached);
}
