//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// A strict_task rejects an awaitable that is not affine, with a message that
// names the fix.
// EXPECT-ERROR: strict_task: this awaitable is not affine\. Give it an overload await_suspend

#include <boost/affine/task.hpp>

#include <coroutine>

namespace {

struct legacy {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    void await_resume() const noexcept {}
};

boost::affine::strict_task<void> f() {
    co_await legacy{};
}

} // namespace

void use() {
    (void)f();
}
