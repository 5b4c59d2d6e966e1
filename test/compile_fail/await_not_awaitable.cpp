//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// co_await on something that is not awaitable, in a task, is rejected with a
// message that says so.
// EXPECT-ERROR: boost::affine::task: co_await on something that is not awaitable

#include <boost/affine/task.hpp>

namespace {

boost::affine::task<void> f() {
    co_await 42;
}

} // namespace

void use() {
    (void)f();
}
