//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Documentation snippet: the async backtrace of a chain, through nested tasks and an operand
// of &&, up to its co_spawn. The program checks what it prints.

#include <boost/affine.hpp>

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

namespace asio = boost::asio;
using boost::affine::co_spawn;
using boost::affine::task;
using boost::affine::use_affine;

std::string printed;

// tag::backtrace[]
task<int> parse(int field) {
    co_await asio::post(co_await asio::this_coro::executor, use_affine);
    if (field < 0) {
        // Where are we, and who is waiting for us?
        printed = to_string(boost::affine::async_backtrace());
        std::cout << "parse: bad field " << field << ", awaited by\n" << printed;
        co_return 0;
    }
    co_return field;
}

task<int> handle_request(int field) {
    int value = co_await parse(field);
    co_return value + 1;
}

task<void> session() {
    using namespace boost::affine::awaitable_operators;
    auto [a, b] = co_await (handle_request(1) && handle_request(-1));
    std::cout << "results " << a << ' ' << b << '\n';
}

int main() {
    asio::io_context ioc;
    co_spawn(ioc, session(), asio::detached);
    ioc.run();
}
// end::backtrace[]

// tag::chain_local[]
struct request_id {
    int value;
};
boost::affine::chain_local<request_id> current_request; // static storage duration

std::ostringstream log_stream; // std::clog in a server

void log(std::string_view what) { // called anywhere in the chain
    if (request_id const* id = current_request.get())
        log_stream << '[' << id->value << "] " << what << '\n';
}

task<void> parse_body() {
    co_await asio::post(co_await asio::this_coro::executor, use_affine);
    log("body parsed"); // after a co_await, in another task: the same chain's value
}

task<void> handle(int id) {
    current_request.emplace(request_id{id}); // this chain's value
    log("request");
    co_await parse_body();
}
// end::chain_local[]

// tag::hooks[]
// A logger that knows nothing of chains: it reads a thread-local.
thread_local int logger_request = -1;

[[gnu::noinline]] void legacy_log(std::string_view what) {
    log_stream << "legacy [" << logger_request << "] " << what << '\n';
}

// Around every slice of a chain on a thread, the chain's request id goes into the thread-local,
// and out again after.
struct logger_context final : boost::affine::chain_hooks {
    void on_resume() noexcept override {
        if (request_id const* id = current_request.get())
            logger_request = id->value;
    }
    void on_suspend() noexcept override { logger_request = -1; }
};
logger_context logger_hooks;

task<void> traced_handle(int id) {
    current_request.emplace(request_id{id});
    boost::affine::set_chain_hooks(&logger_hooks); // for this slice and every later one
    co_await asio::post(co_await asio::this_coro::executor, use_affine);
    legacy_log("after a co_await"); // the thread-local is this chain's again
}
// end::hooks[]

void hooks_example() {
    log_stream.str("");
    asio::io_context ioc;
    co_spawn(ioc, traced_handle(3), asio::detached);
    co_spawn(ioc, traced_handle(4), asio::detached);
    ioc.run();
    std::string const want = "legacy [3] after a co_await\nlegacy [4] after a co_await\n";
    if (log_stream.str() != want || logger_request != -1) {
        std::fprintf(stderr, "diagnostics snippet: the hooks' log is\n%s",
                     log_stream.str().c_str());
        std::abort();
    }
}

void chain_local_example() {
    asio::io_context ioc;
    co_spawn(ioc, handle(1), asio::detached);
    co_spawn(ioc, handle(2), asio::detached); // interleaved with the first
    ioc.run();
    std::string const want = "[1] request\n[2] request\n[1] body parsed\n[2] body parsed\n";
    if (log_stream.str() != want) {
        std::fprintf(stderr, "diagnostics snippet: the log is\n%s", log_stream.str().c_str());
        std::abort();
    }
}

// What it prints, checked: the task that called async_backtrace, the one awaiting it, the
// operand of && it runs in, the task awaiting &&, and the co_spawn in main.
struct check_output {
    ~check_output() {
        chain_local_example();
        hooks_example();
        for (char const* want :
             {"#0 ", "parse(int) at ", "#1 ", "handle_request(int) at ", "#2 operand 1 of &&",
              "#3 ", "session() at ", "#4 co_spawn at ", " in main()"}) {
            if (printed.find(want) == std::string::npos) {
                std::fprintf(stderr, "diagnostics snippet: \"%s\" not in:\n%s", want,
                             printed.c_str());
                std::abort();
            }
        }
    }
} check_at_exit;
