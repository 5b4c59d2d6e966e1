//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Diagnostics: the async backtrace of a chain, with the co_await site of every task, through
// nested tasks, the operands of && and ||, make_affine and completions on other threads, up to
// the co_spawn that started it.

// Test that header file is self-contained.
#include <boost/affine/async_backtrace.hpp>

#include <boost/affine/awaitable_operators.hpp>
#include <boost/affine/co_spawn.hpp>
#include <boost/affine/task.hpp>
#include <boost/affine/use_affine.hpp>

#include "test_helpers.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#define BOOST_TEST_MODULE diagnostics
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

namespace asio = boost::asio;
namespace affine = boost::affine;
using affine::async_frame_kind;
using affine::async_stack;
using affine::task;
using affine::use_affine;
using namespace affine::awaitable_operators;

namespace {

// A frame as the tests check it: kind, line, whether the function names `name`.
struct expect {
    async_frame_kind kind;
    unsigned line = 0;    // 0: not checked
    char const* name = 0; // null: not checked
    unsigned operand = 0;
};

void check(async_stack const& s, std::vector<expect> const& want) {
    BOOST_TEST_INFO("stack:\n" << s);
    BOOST_TEST_REQUIRE(s.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        BOOST_TEST_INFO("frame #" << i << ": " << s[i]);
        BOOST_TEST((s[i].kind() == want[i].kind));
        if (want[i].line != 0) {
            BOOST_TEST(s[i].where().line() == want[i].line);
            BOOST_TEST(std::string_view(s[i].where().file_name()).ends_with("diagnostics.cpp"));
        }
        if (want[i].name)
            BOOST_TEST(s[i].function().find(want[i].name) != std::string_view::npos);
        if (want[i].kind == async_frame_kind::and_operand ||
            want[i].kind == async_frame_kind::or_operand)
            BOOST_TEST(s[i].operand() == want[i].operand);
    }
}

// The lines of the co_awaits and calls the tests expect to see.
struct lines {
    unsigned leaf_call = 0, middle_await = 0, outer_await = 0, spawn = 0;
};
lines at;

async_stack captured;

task<int> leaf(int x) {
    co_await asio::post(co_await asio::this_coro::executor, use_affine);
    at.leaf_call = __LINE__ + 1;
    captured = affine::async_backtrace();
    co_return x;
}

task<int> middle(int x) {
    at.middle_await = __LINE__ + 1;
    int v = co_await leaf(x);
    co_return v + 1;
}

task<int> outer() {
    co_await asio::post(co_await asio::this_coro::executor, use_affine);
    at.outer_await = __LINE__ + 1;
    int v = co_await middle(1);
    co_return v;
}

} // namespace

BOOST_AUTO_TEST_CASE(nested_tasks_innermost_first_up_to_the_spawn) {
    asio::io_context ioc;
    at.spawn = __LINE__ + 1;
    auto f = affine::co_spawn(ioc, outer(), asio::use_future);
    ioc.run();
    BOOST_TEST(f.get() == 2);
    check(captured, {{async_frame_kind::task, at.leaf_call, "leaf"},
                     {async_frame_kind::task, at.middle_await, "middle"},
                     {async_frame_kind::task, at.outer_await, "outer"},
                     {async_frame_kind::spawn, at.spawn}});
    BOOST_TEST(captured.omitted() == 0u);
    BOOST_TEST(std::string_view(captured[3].where().function_name()).find("nested_tasks") !=
               std::string_view::npos);

    // The familiar form, a frame a line.
    std::string const text = affine::to_string(captured);
    BOOST_TEST_INFO(text);
    BOOST_TEST(text.starts_with("#0 "));
    BOOST_TEST(text.find("#1 ") != std::string::npos);
    BOOST_TEST(text.find("diagnostics.cpp:" + std::to_string(at.middle_await) + "\n") !=
               std::string::npos);
    BOOST_TEST(text.find("#3 co_spawn at ") != std::string::npos);
    BOOST_TEST(std::count(text.begin(), text.end(), '\n') == 4);
}

namespace {

// A task that moves from one co_await to the next: its frame names the one it is at.
unsigned second_await = 0;
task<int> two_awaits() {
    int a = co_await leaf(1);
    second_await = __LINE__ + 1;
    int b = co_await leaf(2);
    co_return a + b;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_frame_names_the_co_await_it_is_at_now) {
    BOOST_TEST(test::run([] { return two_awaits(); }) == 3);
    BOOST_TEST_REQUIRE(captured.size() == 3u);
    BOOST_TEST(captured[1].where().line() == second_await);
}

namespace {

unsigned and_await = 0, or_await = 0, nested_await = 0;
async_stack left_stack, right_stack;

task<int> left() {
    co_await asio::post(co_await asio::this_coro::executor, use_affine);
    left_stack = affine::async_backtrace();
    co_return 1;
}

task<int> right() {
    right_stack = affine::async_backtrace(); // before its first co_await
    co_await asio::post(co_await asio::this_coro::executor, use_affine);
    co_return 2;
}

task<int> with_and() {
    and_await = __LINE__ + 1;
    auto [a, b] = co_await (left() && middle(5));
    co_return a + b;
}

task<int> with_or() {
    or_await = __LINE__ + 1;
    auto v = co_await (right() || left());
    co_return v.index() == 0 ? std::get<0>(v) : std::get<1>(v);
}

task<int> with_three() {
    nested_await = __LINE__ + 1;
    auto [a, b, c] = co_await (right() && right() && left());
    co_return a + b + c;
}

} // namespace

BOOST_AUTO_TEST_CASE(through_the_operands_of_and_and_or) {
    BOOST_TEST(test::run([] { return with_and(); }) == 7);
    // The right operand: leaf, middle, then which operand, then the task awaiting &&.
    check(captured, {{async_frame_kind::task, at.leaf_call, "leaf"},
                     {async_frame_kind::task, at.middle_await, "middle"},
                     {async_frame_kind::and_operand, 0, nullptr, 1},
                     {async_frame_kind::task, and_await, "with_and"},
                     {async_frame_kind::spawn}});
    check(left_stack, {{async_frame_kind::task, 0, "left"},
                       {async_frame_kind::and_operand, 0, nullptr, 0},
                       {async_frame_kind::task, and_await, "with_and"},
                       {async_frame_kind::spawn}});

    int const first = test::run([] { return with_or(); });
    BOOST_TEST((first == 1 || first == 2));
    check(right_stack, {{async_frame_kind::task, 0, "right"},
                        {async_frame_kind::or_operand, 0, nullptr, 0},
                        {async_frame_kind::task, or_await, "with_or"},
                        {async_frame_kind::spawn}});
    check(left_stack, {{async_frame_kind::task, 0, "left"},
                       {async_frame_kind::or_operand, 0, nullptr, 1},
                       {async_frame_kind::task, or_await, "with_or"},
                       {async_frame_kind::spawn}});

    // a && b && c is (a && b) && c: the left operand's frames go through both operators.
    BOOST_TEST(test::run([] { return with_three(); }) == 5);
    check(left_stack, {{async_frame_kind::task, 0, "left"},
                       {async_frame_kind::and_operand, 0, nullptr, 1},
                       {async_frame_kind::task, nested_await, "with_three"},
                       {async_frame_kind::spawn}});
    check(right_stack, {{async_frame_kind::task, 0, "right"},
                        {async_frame_kind::and_operand, 0, nullptr, 1},
                        {async_frame_kind::and_operand, 0, nullptr, 0},
                        {async_frame_kind::task, nested_await, "with_three"},
                        {async_frame_kind::spawn}});
}

namespace {

// A legacy awaitable (make_affine's trampoline runs it) that takes the backtrace where it is
// started, then completes on a thread of its own.
struct legacy_on_a_thread {
    async_stack* seen;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        *seen = affine::async_backtrace();
        test::run_detached([h] { h.resume(); });
    }
    int await_resume() const noexcept { return 4; }
};

unsigned legacy_await = 0;
async_stack in_legacy;

task<int> awaits_legacy() {
    legacy_await = __LINE__ + 1;
    int v = co_await legacy_on_a_thread{&in_legacy};
    v += co_await leaf(0); // after the foreign thread's completion, back home
    co_return v;
}

} // namespace

BOOST_AUTO_TEST_CASE(through_make_affine_and_a_completion_on_another_thread) {
    {
        // The foreign thread posts home: the home context outlives it.
        asio::io_context ioc;
        auto f = affine::co_spawn(ioc, awaits_legacy(), asio::use_future);
        ioc.run();
        BOOST_TEST(f.get() == 4);
        test::wait_for_foreign_threads();
    }
    // In the awaitable: #0 where it called async_backtrace, then the task at its co_await
    // (the trampoline between them is no frame of the chain's).
    check(in_legacy, {{async_frame_kind::task, 0, "await_suspend"},
                      {async_frame_kind::task, legacy_await, "awaits_legacy"},
                      {async_frame_kind::spawn}});
    BOOST_TEST_REQUIRE(captured.size() == 3u);
    BOOST_TEST(std::string(captured[1].function()).find("awaits_legacy") != std::string::npos);
}

namespace {

[[gnu::noinline]] async_stack helper() {
    return affine::async_backtrace();
}

unsigned before_helper = 0;
async_stack from_helper;

task<void> calls_a_helper() {
    before_helper = __LINE__ + 1;
    co_await leaf(3);
    from_helper = helper();
}

} // namespace

BOOST_AUTO_TEST_CASE(in_a_function_a_task_calls_the_task_follows) {
    test::run([] { return calls_a_helper(); });
    // #0 the helper; the task then at the co_await it began last.
    check(from_helper, {{async_frame_kind::task, 0, "helper"},
                        {async_frame_kind::task, before_helper, "calls_a_helper"},
                        {async_frame_kind::spawn}});
}

BOOST_AUTO_TEST_CASE(on_a_strand_of_a_thread_pool) {
    asio::thread_pool pool(2);
    auto strand = asio::make_strand(pool.get_executor());
    std::vector<async_stack> stacks;
    auto f = affine::co_spawn(
        strand,
        [&]() -> task<void> {
            for (int i = 0; i < 50; ++i) {
                co_await asio::post(pool.get_executor(), use_affine); // completes elsewhere
                co_await middle(i);
                stacks.push_back(captured);
            }
        },
        asio::use_future);
    f.get();
    pool.join();
    BOOST_TEST_REQUIRE(stacks.size() == 50u);
    for (auto const& s : stacks) {
        BOOST_TEST_REQUIRE(s.size() == 4u);
        BOOST_TEST((s[2].kind() == async_frame_kind::task));
        BOOST_TEST((s[3].kind() == async_frame_kind::spawn));
        BOOST_TEST(s[1].where().line() == at.middle_await);
    }
}

namespace {

task<int> recurse(int depth) {
    if (depth == 0) {
        captured = affine::async_backtrace();
        co_return 0;
    }
    co_return 1 + co_await recurse(depth - 1);
}

} // namespace

BOOST_AUTO_TEST_CASE(a_deep_chain_keeps_its_innermost_frames_and_the_spawn) {
    BOOST_TEST(test::run([] { return recurse(40); }) == 40);
    // 41 tasks and the spawn: 31 innermost, 10 omitted, the spawn.
    BOOST_TEST(captured.size() == async_stack::capacity);
    BOOST_TEST(captured.omitted() == 10u);
    BOOST_TEST((captured[async_stack::capacity - 1].kind() == async_frame_kind::spawn));
    BOOST_TEST((captured[async_stack::capacity - 2].kind() == async_frame_kind::task));
    std::string const text = affine::to_string(captured);
    BOOST_TEST_INFO(text);
    BOOST_TEST(text.find("... 10 frames omitted\n#41 co_spawn") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(outside_a_chain_the_stack_is_empty) {
    async_stack s = affine::async_backtrace();
    BOOST_TEST(s.empty());
    BOOST_TEST(affine::to_string(s).empty());
}

BOOST_AUTO_TEST_CASE(every_co_spawn_overload_records_its_site) {
    asio::io_context ioc;
    unsigned lines_[4];
    std::vector<async_stack> got;
    auto body = [&]() -> task<void> {
        got.push_back(affine::async_backtrace());
        co_return;
    };
    lines_[0] = __LINE__ + 1;
    affine::co_spawn(ioc, body(), asio::detached);
    lines_[1] = __LINE__ + 1;
    affine::co_spawn(ioc, body, asio::detached);
    lines_[2] = __LINE__ + 1;
    affine::co_spawn(ioc.get_executor(), body(), asio::detached);
    lines_[3] = __LINE__ + 1;
    affine::co_spawn(ioc.get_executor(), body, asio::detached);
    ioc.run();
    BOOST_TEST_REQUIRE(got.size() == 4u);
    for (int i = 0; i < 4; ++i) {
        BOOST_TEST_REQUIRE(got[i].size() == 2u);
        BOOST_TEST((got[i][1].kind() == async_frame_kind::spawn));
        BOOST_TEST(got[i][1].where().line() == lines_[i]);
    }
}
