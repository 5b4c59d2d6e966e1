//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Documentation snippet: strict_task, and making an awaitable affine.

#include <boost/affine.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>

#include <coroutine>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace asio = boost::asio;
using boost::affine::co_spawn;
using boost::affine::strict_task;
using boost::affine::task;
using boost::affine::use_affine;

// tag::affine_awaitable[]
// An awaitable that computes a value on a thread of its own. The second
// await_suspend overload makes it affine: it resumes the awaiting coroutine
// through the dispatcher, on the coroutine's home executor, without the
// make_affine trampoline.
struct compute_elsewhere {
    int input;
    int output = 0;

    bool await_ready() const noexcept { return false; }

    // For coroutines that know nothing of dispatchers: resumes on its thread.
    void await_suspend(std::coroutine_handle<> h) {
        std::thread([this, h] {
            output = input * 2;
            h.resume();
        }).detach();
    }

    // For affine coroutines: d(h) resumes h on its home executor.
    template <class Dispatcher>
    void await_suspend(std::coroutine_handle<> h, Dispatcher& d) {
        std::thread([this, h, &d] {
            output = input * 2;
            d(h);
        }).detach();
    }

    int await_resume() const noexcept { return output; }
};

static_assert(boost::affine::affine_awaitable<compute_elsewhere, boost::affine::environment>);
// end::affine_awaitable[]

// tag::strict[]
strict_task<int> leaf() {
    co_return 1;
}

strict_task<int> strict(asio::io_context& ioc) {
    int a = co_await leaf();                      // a task
    a += co_await compute_elsewhere{20};          // an affine awaitable
    auto ex = co_await asio::this_coro::executor; // this_coro tags
    co_await asio::post(ex, use_affine);          // Asio operations with use_affine
    bool home = ioc.get_executor().running_in_this_thread();
    co_return home ? a : -1;
}
// end::strict[]

// tag::legacy[]
struct legacy {
    bool await_ready() const noexcept { return true; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    int await_resume() const noexcept { return 1; }
};

task<int> tiered() {
    co_return co_await legacy{}; // task: through make_affine, one pooled frame
}

// strict_task<int> rejected() {
//     co_return co_await legacy{}; // does not compile:
//     // "boost::affine::strict_task: this awaitable is not affine. Give it an
//     // overload await_suspend(std::coroutine_handle<>, Dispatcher&) ..."
// }
// end::legacy[]

int main() {
    asio::io_context ioc;
    auto work = asio::make_work_guard(ioc);
    std::thread runner([&] { ioc.run(); });
    int s = co_spawn(ioc, strict(ioc), asio::use_future).get();
    int t = co_spawn(ioc, tiered(), asio::use_future).get();
    work.reset();
    runner.join();
    std::printf("strict_task: %d, task with a legacy awaitable: %d\n", s, t);
    return s == 41 && t == 1 ? EXIT_SUCCESS : EXIT_FAILURE;
}
