//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Diagnostics: the async backtrace of a chain, with the co_await site of every task, through
// nested tasks, the operands of && and ||, make_affine and completions on other threads, up to
// the co_spawn that started it; where exceptions came from; the registry of live chains
// (live_chains, dump_chains); chain-local values; resume and suspend hooks.

// Misuse is reported by an assertion with a message, then an exception: this test catches the
// assertion to check both.
#define BOOST_ENABLE_ASSERT_HANDLER

// Test that header file is self-contained.
#include <boost/affine/async_backtrace.hpp>
#include <boost/affine/chain_local.hpp>
#include <boost/affine/live_chains.hpp>

#include <boost/affine/allocating_executor.hpp>
#include <boost/affine/awaitable_operators.hpp>
#include <boost/affine/co_spawn.hpp>
#include <boost/affine/task.hpp>
#include <boost/affine/use_affine.hpp>

#include "test_helpers.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#define BOOST_TEST_MODULE diagnostics
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
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
bool expecting_assertion = false;
std::string last_assertion;
} // namespace

namespace boost {
void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file,
                          long line) {
    if (!expecting_assertion) {
        std::fprintf(stderr, "%s:%ld: %s: assertion %s failed: %s\n", file, line, function, expr,
                     msg);
        std::abort();
    }
    last_assertion = msg;
}
void assertion_failed(char const* expr, char const* function, char const* file, long line) {
    std::fprintf(stderr, "%s:%ld: %s: assertion %s failed\n", file, line, function, expr);
    std::abort();
}
} // namespace boost

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

// ---------------------------------------------------------------------------
// Chain-local values.

namespace {

// Counts its live instances, to check that a chain's values are destroyed with it.
struct request_id {
    static inline std::atomic<int> live{0};
    int id;
    explicit request_id(int i)
        : id(i) {
        ++live;
    }
    request_id(request_id const& o)
        : id(o.id) {
        ++live;
    }
    ~request_id() { --live; }
};

affine::chain_local<request_id> current_request;
affine::chain_local<std::string> current_user;

int read_id() {
    request_id const* r = current_request.get();
    return r ? r->id : -1;
}

task<int> inner_reads() {
    co_await asio::post(co_await asio::this_coro::executor, use_affine);
    co_return read_id();
}

task<int> sets_then_reads(int id) {
    BOOST_TEST(current_request.get() == nullptr); // a new chain has none
    current_request.emplace(id);
    co_await asio::post(co_await asio::this_coro::executor, use_affine);
    int const nested = co_await inner_reads();
    BOOST_TEST(nested == id);
    co_return read_id();
}

} // namespace

BOOST_AUTO_TEST_CASE(chain_local_set_in_a_task_read_in_the_chain_after_co_await) {
    asio::io_context ioc;
    auto a = affine::co_spawn(ioc, sets_then_reads(7), asio::use_future);
    auto b = affine::co_spawn(ioc, sets_then_reads(8), asio::use_future); // interleaved
    ioc.run();
    BOOST_TEST(a.get() == 7);
    BOOST_TEST(b.get() == 8);
    BOOST_TEST(request_id::live.load() == 0);     // destroyed with their chains
    BOOST_TEST(current_request.get() == nullptr); // no chain here
}

namespace {

task<int> operand_reads() {
    co_await asio::post(co_await asio::this_coro::executor, use_affine);
    co_return read_id();
}

task<int> operand_sets() {
    co_await asio::post(co_await asio::this_coro::executor, use_affine);
    current_user.emplace("set in an operand");
    co_return 0;
}

task<int> with_operands() {
    current_request.emplace(42);
    auto [a, b] = co_await (operand_reads() && operand_sets());
    BOOST_TEST(a == 42); // the operands see their chain's values
    (void)b;
    std::string const* user = current_user.get();
    BOOST_TEST_REQUIRE(user != nullptr); // and set the chain's
    BOOST_TEST(*user == "set in an operand");
    auto v = co_await (operand_reads() || operand_reads());
    co_return std::visit([](int x) { return x; }, v);
}

int spawned_saw = 0;

task<void> spawned_child() {
    spawned_saw = read_id();
    co_return;
}

task<void> spawned_child_given(request_id inherited) {
    current_request.emplace(inherited); // what a chain passes on, it passes explicitly
    spawned_saw = read_id();
    co_return;
}

task<void> spawns() {
    current_request.emplace(5);
    auto ex = co_await asio::this_coro::executor;
    co_await affine::co_spawn(ex, spawned_child(), use_affine);
    BOOST_TEST(spawned_saw == -1); // a spawned chain does not inherit
    co_await affine::co_spawn(ex, spawned_child_given(*current_request.get()), use_affine);
    BOOST_TEST(spawned_saw == 5);
    BOOST_TEST(read_id() == 5);
}

} // namespace

BOOST_AUTO_TEST_CASE(chain_local_operands_share_the_chain_spawned_chains_do_not) {
    BOOST_TEST(test::run([] { return with_operands(); }) == 42);
    test::run([] { return spawns(); });
    BOOST_TEST(request_id::live.load() == 0);
}

BOOST_AUTO_TEST_CASE(chain_local_storage_comes_from_the_chain_allocator_once) {
    test::counting_allocator alloc;
    asio::io_context ioc;
    long during = 0;
    auto f = affine::co_spawn(
        affine::with_allocator(ioc.get_executor(), alloc),
        [&]() -> task<void> {
            long const before = alloc.allocations.load();
            current_request.emplace(1);
            BOOST_TEST(alloc.allocations.load() == before + 1); // its node, from the chain's
            long const after_first = alloc.allocations.load();
            for (int i = 0; i < 1000; ++i) {
                current_request.emplace(i); // reuses the storage
                BOOST_TEST(read_id() == i);
                current_request.reset();
                BOOST_TEST(current_request.get() == nullptr);
            }
            during = alloc.allocations.load() - after_first;
            current_request.emplace(2);
            co_await asio::post(co_await asio::this_coro::executor, use_affine);
            BOOST_TEST(read_id() == 2);
        },
        asio::use_future);
    ioc.run();
    f.get();
    BOOST_TEST(during == 0);
    BOOST_TEST(alloc.live.load() == 0); // freed with the root
    BOOST_TEST(request_id::live.load() == 0);
}

BOOST_AUTO_TEST_CASE(chain_local_across_strands_of_a_thread_pool) {
    // Each chain on a strand of its own over a thread_pool(2): its value follows it from
    // thread to thread, and no chain sees another's.
    asio::thread_pool pool(2);
    std::atomic<int> wrong{0};
    std::vector<std::future<void>> done;
    for (int c = 0; c < 8; ++c)
        done.push_back(affine::co_spawn(
            asio::make_strand(pool.get_executor()),
            [c, &wrong, &pool]() -> task<void> {
                current_request.emplace(c);
                for (int i = 0; i < 200; ++i) {
                    co_await asio::post(pool.get_executor(), use_affine); // completes anywhere
                    if (read_id() != c || co_await inner_reads() != c)
                        ++wrong;
                }
            },
            asio::use_future));
    for (auto& d : done)
        d.get();
    pool.join();
    BOOST_TEST(wrong.load() == 0);
    BOOST_TEST(request_id::live.load() == 0);
}

BOOST_AUTO_TEST_CASE(chain_local_emplace_outside_a_chain_is_reported) {
    BOOST_TEST(current_request.get() == nullptr);
    current_request.reset(); // nothing to do
    expecting_assertion = true;
    last_assertion.clear();
    BOOST_CHECK_THROW(current_request.emplace(1), std::logic_error);
    expecting_assertion = false;
    BOOST_TEST(last_assertion.find("outside a chain") != std::string::npos);
}

// ---------------------------------------------------------------------------
// Resume and suspend hooks.

namespace {

// What a tracing system does with the hooks: puts the chain's request id in a thread-local
// for each slice of the chain, and takes it out after. Records the order of the calls.
thread_local int tracing_id = -1;

struct tracing_hooks final : affine::chain_hooks {
    std::mutex m;
    std::string events; // 'R' and 'S', in order
    std::atomic<int> wrong{0};
    void on_resume() noexcept override {
        request_id const* r = current_request.get(); // the chain is current: its values too
        if (tracing_id != -1)
            ++wrong; // another slice's context left behind
        tracing_id = r ? r->id : -2;
        std::lock_guard g(m);
        events += 'R';
    }
    void on_suspend() noexcept override {
        if (current_request.get() && tracing_id != current_request.get()->id)
            ++wrong;
        tracing_id = -1;
        std::lock_guard g(m);
        events += 'S';
    }
};

[[gnu::noinline]] int traced_id() {
    return tracing_id;
}

bool alternates(std::string const& e) {
    for (std::size_t i = 0; i < e.size(); ++i)
        if (e[i] != (i % 2 == 0 ? 'R' : 'S'))
            return false;
    return e.size() % 2 == 0;
}

} // namespace

BOOST_AUTO_TEST_CASE(hooks_run_around_every_slice_in_order) {
    tracing_hooks hooks;
    int seen_wrong = 0;
    asio::io_context ioc;
    auto f = affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            current_request.emplace(11);
            BOOST_TEST(affine::current_chain_hooks() == nullptr);
            affine::set_chain_hooks(&hooks); // this slice counts: on_resume now
            BOOST_TEST(affine::current_chain_hooks() == &hooks);
            for (int i = 0; i < 100; ++i) {
                co_await asio::post(co_await asio::this_coro::executor, use_affine); // a slice
                if (traced_id() != 11)
                    ++seen_wrong;
                co_await inner_reads(); // nested task: one more slice (its post)
            }
        },
        asio::use_future);
    ioc.run();
    f.get();
    BOOST_TEST(seen_wrong == 0);
    BOOST_TEST(hooks.wrong.load() == 0);
    // The slice that set them, then 200 posted resumptions: 201 pairs, the last one ended when
    // the chain completed.
    BOOST_TEST(hooks.events.size() == 402u);
    BOOST_TEST(alternates(hooks.events));
    BOOST_TEST(tracing_id == -1);
}

BOOST_AUTO_TEST_CASE(hooks_belong_to_the_chain_operands_included) {
    tracing_hooks hooks;
    asio::io_context ioc;
    int in_operands = 0;
    auto f = affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            current_request.emplace(3);
            affine::set_chain_hooks(&hooks);
            auto check = [&]() -> task<int> {
                co_await asio::post(co_await asio::this_coro::executor, use_affine);
                in_operands += traced_id() == 3;
                co_return 0;
            };
            co_await (check() && check());
            affine::set_chain_hooks(nullptr); // on_suspend now; none after
            co_await asio::post(co_await asio::this_coro::executor, use_affine);
            BOOST_TEST(traced_id() == -1);
        },
        asio::use_future);
    // Another chain, without hooks, interleaved: its slices call nothing.
    auto g = affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            for (int i = 0; i < 10; ++i) {
                co_await asio::post(co_await asio::this_coro::executor, use_affine);
                BOOST_TEST(traced_id() == -1);
            }
        },
        asio::use_future);
    ioc.run();
    f.get();
    g.get();
    BOOST_TEST(in_operands == 2);
    BOOST_TEST(hooks.wrong.load() == 0);
    BOOST_TEST(alternates(hooks.events));
    BOOST_TEST(hooks.events.size() >= 4u);
}

BOOST_AUTO_TEST_CASE(hooks_on_strands_of_a_thread_pool) {
    // Eight chains on strands over a thread_pool(2), each with hooks of its own: every slice,
    // on whichever thread, sees its own chain's id in the thread-local, and the calls of each
    // chain alternate.
    asio::thread_pool pool(2);
    std::vector<std::unique_ptr<tracing_hooks>> hooks;
    std::vector<std::future<void>> done;
    std::atomic<int> wrong{0};
    for (int c = 0; c < 8; ++c) {
        hooks.push_back(std::make_unique<tracing_hooks>());
        done.push_back(affine::co_spawn(
            asio::make_strand(pool.get_executor()),
            [c, &wrong, &pool, h = hooks.back().get()]() -> task<void> {
                current_request.emplace(c);
                affine::set_chain_hooks(h);
                for (int i = 0; i < 200; ++i) {
                    co_await asio::post(pool.get_executor(), use_affine); // completes anywhere
                    if (traced_id() != c)
                        ++wrong;
                }
            },
            asio::use_future));
    }
    for (auto& d : done)
        d.get();
    pool.join();
    BOOST_TEST(wrong.load() == 0);
    for (auto& h : hooks) {
        BOOST_TEST(h->wrong.load() == 0);
        BOOST_TEST(alternates(h->events));
        BOOST_TEST(h->events.size() == 402u);
    }
}

BOOST_AUTO_TEST_CASE(set_chain_hooks_outside_a_chain_is_reported) {
    tracing_hooks hooks;
    BOOST_TEST(affine::current_chain_hooks() == nullptr);
    expecting_assertion = true;
    last_assertion.clear();
    BOOST_CHECK_THROW(affine::set_chain_hooks(&hooks), std::logic_error);
    expecting_assertion = false;
    BOOST_TEST(last_assertion.find("outside a chain") != std::string::npos);
    BOOST_TEST(hooks.events.empty());
}

// The registry of live chains.

namespace {

unsigned wait_line = 0, waiter_line = 0, pair_line = 0;

// Waits until the timer is cancelled.
task<void> wait_on(asio::steady_timer& t) {
    wait_line = __LINE__ + 1;
    auto [ec] = co_await t.async_wait(asio::as_tuple(use_affine));
    (void)ec;
}

task<void> waiter(asio::steady_timer& t) {
    co_await asio::post(co_await asio::this_coro::executor, use_affine);
    waiter_line = __LINE__ + 1;
    co_await wait_on(t);
}

task<void> waits_on_a_pair(asio::steady_timer& a, asio::steady_timer& b) {
    pair_line = __LINE__ + 1;
    co_await (wait_on(a) && waiter(b));
}

std::unique_ptr<asio::steady_timer> forever(asio::io_context& ioc) {
    auto t = std::make_unique<asio::steady_timer>(ioc);
    t->expires_at(asio::steady_timer::time_point::max());
    return t;
}

// Runs `ioc` until it has nothing ready: every chain is suspended.
void settle(asio::io_context& ioc) {
    ioc.restart();
    while (ioc.poll() != 0) {
    }
}

} // namespace

BOOST_AUTO_TEST_CASE(live_chains_shows_every_chain_where_it_waits) {
    asio::io_context ioc, other;
    auto t1 = forever(ioc), t2 = forever(ioc), t3 = forever(other);
    BOOST_TEST(affine::live_chains(ioc).empty());
    unsigned const spawn1 = __LINE__ + 1;
    affine::co_spawn(ioc, waiter(*t1), asio::detached);
    affine::co_spawn(ioc, waiter(*t2), asio::detached);
    affine::co_spawn(other, waiter(*t3), asio::detached);

    // Spawned, not started: no task frame yet, the spawn only.
    std::vector<affine::chain_info> chains = affine::live_chains(ioc);
    BOOST_TEST_REQUIRE(chains.size() == 2u);
    check(chains[0].stacks.at(0), {{async_frame_kind::spawn, spawn1}});
    BOOST_TEST(chains[0].id < chains[1].id); // oldest first

    settle(ioc);
    settle(other);
    chains = affine::live_chains(ioc);
    BOOST_TEST_REQUIRE(chains.size() == 2u);
    for (affine::chain_info const& c : chains) {
        BOOST_TEST((c.state == affine::chain_state::suspended));
        BOOST_TEST_REQUIRE(c.stacks.size() == 1u);
        check(c.stacks[0], {{async_frame_kind::task, wait_line, "wait_on"},
                            {async_frame_kind::task, waiter_line, "waiter"},
                            {async_frame_kind::spawn}});
        BOOST_TEST(c.function().find("waiter") != std::string_view::npos);
        BOOST_TEST(c.age.count() >= 0);
    }
    BOOST_TEST(chains[0].spawned_at.line() == spawn1);
    BOOST_TEST(affine::live_chains(other).size() == 1u);
    BOOST_TEST(affine::live_chains().size() >= 3u); // every context's

    // The text: a line per chain, its stack indented, the count.
    std::ostringstream os;
    affine::dump_chains(ioc, os);
    std::string const text = os.str();
    BOOST_TEST_INFO(text);
    BOOST_TEST(text.find("chain " + std::to_string(chains[0].id) + " ") == 0u);
    BOOST_TEST(text.find("waiter(") < text.find(": suspended"));
    BOOST_TEST(text.find(": suspended, age ") != std::string::npos);
    BOOST_TEST(text.find("\n  #0 ") != std::string::npos);
    BOOST_TEST(text.find("wait_on(") > text.find("\n  #0 "));
    BOOST_TEST(text.find("diagnostics.cpp:" + std::to_string(waiter_line) + "\n") !=
               std::string::npos);
    BOOST_TEST(text.find("  #2 co_spawn at ") != std::string::npos);
    BOOST_TEST(text.ends_with("\n2 live chains\n"));

    // Completed chains leave the registry; so do chains given up with their context.
    t1->cancel();
    t2->cancel();
    settle(ioc);
    BOOST_TEST(affine::live_chains(ioc).empty());
    affine::co_spawn(ioc, waiter(*t1), asio::detached);
    BOOST_TEST(affine::live_chains(ioc).size() == 1u);
    t3.reset();
    {
        asio::io_context doomed;
        auto t = forever(doomed);
        affine::co_spawn(doomed, waiter(*t), asio::detached);
        settle(doomed);
        BOOST_TEST(affine::live_chains(doomed).size() == 1u);
        t->cancel(); // queued, never run: the chain goes with the context
    }
}

BOOST_AUTO_TEST_CASE(live_chains_from_a_handler_and_from_a_chain) {
    asio::io_context ioc;
    auto t = forever(ioc);
    affine::co_spawn(ioc, waiter(*t), asio::detached);
    settle(ioc);

    // From a handler on the context.
    std::vector<affine::chain_info> seen;
    asio::post(ioc, [&] { seen = affine::live_chains(ioc); });
    settle(ioc);
    BOOST_TEST_REQUIRE(seen.size() == 1u);
    BOOST_TEST((seen[0].state == affine::chain_state::suspended));

    // From a chain: itself at the call, the other where it waits.
    unsigned call_line = 0;
    affine::co_spawn(
        ioc,
        [&]() -> task<void> {
            co_await asio::post(co_await asio::this_coro::executor, use_affine);
            call_line = __LINE__ + 1;
            seen = affine::live_chains(ioc);
        },
        asio::detached);
    settle(ioc);
    BOOST_TEST_REQUIRE(seen.size() == 2u);
    BOOST_TEST((seen[0].state == affine::chain_state::suspended));
    BOOST_TEST((seen[1].state == affine::chain_state::calling));
    BOOST_TEST_REQUIRE(seen[1].stacks.size() == 1u);
    check(seen[1].stacks[0], {{async_frame_kind::task, call_line}, {async_frame_kind::spawn}});
    t->cancel();
    settle(ioc);
    BOOST_TEST(affine::live_chains(ioc).empty());
}

BOOST_AUTO_TEST_CASE(live_chains_through_the_operands_of_and) {
    asio::io_context ioc;
    auto a = forever(ioc), b = forever(ioc);
    affine::co_spawn(ioc, waits_on_a_pair(*a, *b), asio::detached);
    settle(ioc);
    std::vector<affine::chain_info> chains = affine::live_chains(ioc);
    BOOST_TEST_REQUIRE(chains.size() == 1u);
    BOOST_TEST_REQUIRE(chains[0].stacks.size() == 2u); // one per operand
    // (which operand comes first is not specified)
    async_stack const& s0 =
        chains[0].stacks[0].size() == 4 ? chains[0].stacks[0] : chains[0].stacks[1];
    async_stack const& s1 =
        chains[0].stacks[0].size() == 4 ? chains[0].stacks[1] : chains[0].stacks[0];
    check(s0, {{async_frame_kind::task, wait_line, "wait_on"},
               {async_frame_kind::and_operand, 0, nullptr, 0},
               {async_frame_kind::task, pair_line, "waits_on_a_pair"},
               {async_frame_kind::spawn}});
    check(s1, {{async_frame_kind::task, wait_line, "wait_on"},
               {async_frame_kind::task, waiter_line, "waiter"},
               {async_frame_kind::and_operand, 0, nullptr, 1},
               {async_frame_kind::task, pair_line, "waits_on_a_pair"},
               {async_frame_kind::spawn}});

    // One operand done: the other is where the chain waits.
    a->cancel();
    settle(ioc);
    chains = affine::live_chains(ioc);
    BOOST_TEST_REQUIRE(chains.size() == 1u);
    BOOST_TEST_REQUIRE(chains[0].stacks.size() == 1u);
    BOOST_TEST(chains[0].stacks[0].size() == 5u);
    b->cancel();
    settle(ioc);
    BOOST_TEST(affine::live_chains(ioc).empty());
}

BOOST_AUTO_TEST_CASE(live_chains_after_ten_thousand_spawns_and_completions) {
    asio::io_context ioc;
    constexpr int n = 10000;
    std::vector<std::unique_ptr<asio::steady_timer>> timers;
    for (int i = 0; i < n; ++i) {
        timers.push_back(forever(ioc));
        affine::co_spawn(ioc, waiter(*timers.back()), asio::detached);
    }
    settle(ioc);
    std::vector<affine::chain_info> chains = affine::live_chains(ioc);
    BOOST_TEST_REQUIRE(chains.size() == std::size_t(n));
    std::set<std::uint64_t> ids;
    bool all_waiting = true;
    for (affine::chain_info const& c : chains) {
        ids.insert(c.id);
        all_waiting = all_waiting && c.state == affine::chain_state::suspended &&
                      c.stacks.size() == 1 && c.stacks[0].size() == 3 &&
                      c.stacks[0][0].where().line() == wait_line;
    }
    BOOST_TEST(ids.size() == std::size_t(n)); // none twice, none missing
    BOOST_TEST(all_waiting);
    // Half complete, then the rest.
    for (int i = 0; i < n; i += 2)
        timers[i]->cancel();
    settle(ioc);
    chains = affine::live_chains(ioc);
    BOOST_TEST_REQUIRE(chains.size() == std::size_t(n / 2));
    for (int i = 1; i < n; i += 2)
        timers[i]->cancel();
    settle(ioc);
    BOOST_TEST(affine::live_chains(ioc).empty());
}

namespace {

// A chain on a strand of the pool that posts in a loop: slices on both threads.
task<void> spinning(int n) {
    for (int i = 0; i < n; ++i) {
        co_await asio::post(co_await asio::this_coro::executor, use_affine);
    }
}

} // namespace

BOOST_AUTO_TEST_CASE(live_chains_of_a_thread_pool_while_its_chains_run) {
    asio::thread_pool pool(2);
    constexpr int chains = 8;
    std::atomic<int> done{0};
    for (int i = 0; i < chains; ++i)
        affine::co_spawn(asio::make_strand(pool), spinning(3000),
                         [&](std::exception_ptr) { done.fetch_add(1); });
    int dumps = 0, running = 0, suspended = 0;
    bool consistent = true;
    while (done.load() < chains) {
        for (affine::chain_info const& c : affine::live_chains(pool)) {
            if (c.state == affine::chain_state::running) {
                ++running;
                consistent = consistent && c.stacks.empty();
            } else {
                ++suspended;
                // Not started yet (the spawn only), or at its post.
                consistent =
                    consistent && c.stacks.size() == 1 &&
                    (c.stacks[0].size() == 1 ||
                     (c.stacks[0].size() == 2 &&
                      c.stacks[0][0].function().find("spinning") != std::string_view::npos));
            }
        }
        ++dumps;
    }
    pool.join();
    BOOST_TEST_MESSAGE(dumps << " dumps: " << running << " chains running, " << suspended
                             << " suspended");
    BOOST_TEST(consistent);
    BOOST_TEST(dumps > 0);
    BOOST_TEST(affine::live_chains(pool).empty());
}

// Where tools/gdb/affine_chains.py is tested: test/gdb_chains.cmake runs this test under gdb,
// stops it here and checks that the gdb command prints what dump_chains printed.
extern "C" BOOST_NOINLINE void boost_affine_test_gdb_stop() {
    __asm__ __volatile__("" ::: "memory");
}

BOOST_AUTO_TEST_CASE(live_chains_as_the_gdb_command_reads_them) {
    asio::io_context ioc;
    auto t = forever(ioc), a = forever(ioc), b = forever(ioc);
    affine::co_spawn(ioc, waiter(*t), asio::detached);
    affine::co_spawn(ioc, waits_on_a_pair(*a, *b), asio::detached);
    settle(ioc);
    affine::co_spawn(ioc, waiter(*t), asio::detached); // not started
    std::ostringstream os;
    affine::dump_chains(os);
    std::string const text = os.str();
    BOOST_TEST(text.ends_with("\n3 live chains\n"));
    std::printf("=== dump_chains ===\n%s=== end ===\n", text.c_str());
    std::fflush(stdout);
    boost_affine_test_gdb_stop();
    t->cancel();
    a->cancel();
    b->cancel();
    settle(ioc);
    t->cancel(); // the third chain, which started waiting meanwhile
    settle(ioc);
    BOOST_TEST(affine::live_chains(ioc).empty());
}

// Where exceptions came from.

namespace {

// (Written by chains that may run at once on a thread pool's threads.)
std::atomic<unsigned> throw_after{0}, rethrow_await{0}, catch_await{0};

task<int> thrower(int x) {
    throw_after.store(__LINE__ + 1, std::memory_order_relaxed);
    co_await asio::post(co_await asio::this_coro::executor, use_affine);
    if (x > 0)
        throw std::runtime_error("thrower " + std::to_string(x));
    co_return x;
}

task<int> passes_it_on(int x) {
    rethrow_await.store(__LINE__ + 1, std::memory_order_relaxed);
    co_return co_await thrower(x) + 1;
}

async_stack caught_stack;
std::string caught_what;

task<int> catches_it() {
    try {
        catch_await.store(__LINE__ + 1, std::memory_order_relaxed);
        co_return co_await passes_it_on(3);
    } catch (std::runtime_error const& e) {
        caught_what = e.what();
        caught_stack = affine::exception_backtrace(std::current_exception());
    }
    co_return -1;
}

task<int> throws_in_an_operand() {
    auto [a, b] = co_await (leaf(1) && passes_it_on(4));
    co_return a + b;
}

} // namespace

BOOST_AUTO_TEST_CASE(an_exception_remembers_the_task_it_left) {
    asio::io_context ioc;
    std::exception_ptr ep;
    unsigned const spawn_line = __LINE__ + 1;
    affine::co_spawn(ioc, passes_it_on(2), [&](std::exception_ptr e, int) { ep = e; });
    ioc.run();
    BOOST_TEST_REQUIRE(bool(ep));
    // The innermost task, at its latest co_await before the throw; the task awaiting it; the
    // spawn. Not the tasks and the root it passed through on its way out.
    check(affine::exception_backtrace(ep), {{async_frame_kind::task, throw_after, "thrower"},
                                            {async_frame_kind::task, rethrow_await, "passes_it_on"},
                                            {async_frame_kind::spawn, spawn_line}});
    std::exception_ptr const copy = ep; // any copy finds it
    BOOST_TEST(affine::exception_backtrace(copy).size() == 3u);

    // Caught in a task that awaited it: the same origin.
    BOOST_TEST(test::run([] { return catches_it(); }) == -1);
    BOOST_TEST(caught_what == "thrower 3");
    check(caught_stack, {{async_frame_kind::task, throw_after, "thrower"},
                         {async_frame_kind::task, rethrow_await, "passes_it_on"},
                         {async_frame_kind::task, catch_await, "catches_it"},
                         {async_frame_kind::spawn}});

    // Through an operand of &&.
    std::exception_ptr from_operand;
    asio::io_context ioc2;
    affine::co_spawn(ioc2, throws_in_an_operand(),
                     [&](std::exception_ptr e, int) { from_operand = e; });
    ioc2.run();
    BOOST_TEST_REQUIRE(bool(from_operand));
    check(affine::exception_backtrace(from_operand),
          {{async_frame_kind::task, throw_after, "thrower"},
           {async_frame_kind::task, rethrow_await, "passes_it_on"},
           {async_frame_kind::and_operand, 0, nullptr, 1},
           {async_frame_kind::task},
           {async_frame_kind::spawn}});
}

BOOST_AUTO_TEST_CASE(an_exception_that_never_left_a_task_has_no_origin) {
    BOOST_TEST(affine::exception_backtrace(nullptr).empty());
    // (Under ThreadSanitizer the library keeps no exception alive, and a new one may take the
    // address of one it noted: documented.)
    if constexpr (affine::detail::exception_origins::owning)
        BOOST_TEST(
            affine::exception_backtrace(std::make_exception_ptr(std::runtime_error("x"))).empty());
    // Thrown and caught inside a task: nothing noted.
    std::exception_ptr inside;
    test::run([&]() -> task<void> {
        try {
            throw std::logic_error("inside");
        } catch (...) {
            inside = std::current_exception();
        }
        co_return;
    });
    BOOST_TEST(affine::exception_backtrace(inside).empty());
}

BOOST_AUTO_TEST_CASE(exceptions_from_chains_on_strands_of_a_thread_pool) {
    asio::thread_pool pool(2);
    constexpr int chains = 16;
    std::mutex m;
    std::vector<std::exception_ptr> errors;
    for (int i = 1; i <= chains; ++i)
        affine::co_spawn(asio::make_strand(pool), passes_it_on(i), [&](std::exception_ptr e, int) {
            std::lock_guard<std::mutex> g(m);
            errors.push_back(e);
        });
    pool.join();
    BOOST_TEST_REQUIRE(errors.size() == std::size_t(chains));
    // The library keeps the origins of the last 16.
    int found = 0;
    for (std::exception_ptr const& e : errors) {
        async_stack const s = affine::exception_backtrace(e);
        if (!s.empty() && s.size() == 3 && s[0].where().line() == throw_after &&
            s[1].where().line() == rethrow_await)
            ++found;
    }
    BOOST_TEST(found == chains);
}

BOOST_AUTO_TEST_CASE(terminate_on_exception_says_where) {
    // In a child process: it must end with SIGABRT, after saying what and where.
    int fds[2];
    BOOST_TEST_REQUIRE(::pipe(fds) == 0);
    pid_t const pid = ::fork();
    BOOST_TEST_REQUIRE(pid >= 0);
    if (pid == 0) {
        std::signal(SIGABRT, SIG_DFL); // not Boost.Test's handler
        ::dup2(fds[1], 2);
        ::close(fds[0]);
        asio::io_context ioc;
        affine::co_spawn(ioc, passes_it_on(7), affine::terminate_on_exception);
        ioc.run();
        ::_exit(0); // not reached
    }
    ::close(fds[1]);
    std::string err;
    char buf[512];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
        err.append(buf, std::size_t(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    BOOST_TEST_INFO(err);
    BOOST_TEST(WIFSIGNALED(status));
    BOOST_TEST(WTERMSIG(status) == SIGABRT);
    BOOST_TEST(err.find("boost::affine: a chain ended with an exception: thrower 7\n#0 ") == 0u);
    BOOST_TEST(err.find("diagnostics.cpp:" + std::to_string(throw_after) + "\n#1 ") !=
               std::string::npos);
    BOOST_TEST(err.find("#2 co_spawn at ") != std::string::npos);

    // A chain that succeeds: nothing.
    asio::io_context ioc;
    affine::co_spawn(ioc, passes_it_on(0), affine::terminate_on_exception);
    ioc.run();
}
