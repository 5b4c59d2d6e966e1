//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Documentation snippet: a first task, and the ways to start one.

#include <boost/affine.hpp>

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <future>
#include <stdexcept>
#include <thread>

// tag::first[]
namespace asio = boost::asio;
using boost::affine::co_spawn;   // was: asio::co_spawn
using boost::affine::task;       // was: asio::awaitable
using boost::affine::use_affine; // was: asio::use_awaitable

task<int> delayed_answer() {
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(10));
    co_await timer.async_wait(use_affine); // an error would be thrown as system_error
    co_return 42;
}

task<void> print_answer() {
    int answer = co_await delayed_answer(); // a task awaits a task
    std::printf("answer: %d\n", answer);
}

void first() {
    asio::io_context ioc;
    co_spawn(ioc, print_answer(), asio::detached);
    ioc.run();
}
// end::first[]

task<void> fail() {
    co_await asio::post(co_await asio::this_coro::executor, use_affine);
    throw std::runtime_error("failed");
}

void tokens() {
    // tag::tokens[]
    asio::io_context ioc;

    // A callback receives the exception, if any, and the value.
    co_spawn(ioc, delayed_answer(), [](std::exception_ptr e, int answer) {
        if (!e)
            std::printf("callback: %d\n", answer);
    });
    co_spawn(ioc, fail(), [](std::exception_ptr e) {
        try {
            if (e)
                std::rethrow_exception(e);
        } catch (std::runtime_error const& x) {
            std::printf("callback: caught %s\n", x.what());
        }
    });

    // The callable form: the task is made inside the chain, on its home executor.
    co_spawn(
        ioc, [] { return print_answer(); }, asio::detached);
    ioc.run();
    // end::tokens[]
}

void future() {
    // tag::future[]
    asio::io_context ioc;
    auto work = asio::make_work_guard(ioc);
    std::thread runner([&] { ioc.run(); });

    std::future<int> f = co_spawn(ioc, delayed_answer(), asio::use_future);
    std::printf("future: %d\n", f.get());

    std::future<void> g = co_spawn(ioc, fail(), asio::use_future);
    try {
        g.get();
    } catch (std::runtime_error const& e) {
        std::printf("future: caught %s\n", e.what());
    }
    work.reset();
    runner.join();
    // end::future[]
}

int main() {
    first();
    tokens();
    future();
    return EXIT_SUCCESS;
}
