//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Test that header file is self-contained.
#include <boost/affine/frame_allocator.hpp>

#include <boost/affine/co_spawn.hpp>
#include <boost/affine/frame_pool.hpp>
#include <boost/affine/task.hpp>

#include "frame_allocator_scope.hpp"
#include "test_helpers.hpp"

#include <boost/affine/use_affine.hpp>

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/container/pmr/memory_resource.hpp>

#define BOOST_TEST_MODULE frame_allocator
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace affine = boost::affine;
namespace pmr = boost::container::pmr;
using affine::task;

namespace {

// A Boost.Container memory resource that counts (header-only: the abstract
// class needs no compiled library).
class counting_resource : public pmr::memory_resource {
public:
    long allocations = 0;
    long live = 0;

private:
    void* do_allocate(std::size_t n, std::size_t align) override {
        ++allocations;
        ++live;
        return ::operator new(n, std::align_val_t(align));
    }
    void do_deallocate(void* p, std::size_t /*n*/, std::size_t align) override {
        --live;
        ::operator delete(p, std::align_val_t(align));
    }
    bool do_is_equal(memory_resource const& o) const noexcept override { return this == &o; }
};

// A stateless allocator: stored by value in the handle.
struct stateless_allocator {
    static inline long calls = 0;
    void* allocate(std::size_t n) {
        ++calls;
        return ::operator new(n, std::align_val_t{16});
    }
    void deallocate(void* p, std::size_t /*n*/) noexcept {
        ::operator delete(p, std::align_val_t{16});
    }
};

// A parameter that carries an allocator, as seed 000 describes.
struct context_with_allocator {
    test::counting_allocator* alloc;
    test::counting_allocator& get_frame_allocator() const noexcept { return *alloc; }
};

task<int> with_allocator_arg(std::allocator_arg_t, test::counting_allocator&, int v) {
    co_return v;
}
task<int> with_pmr_arg(std::allocator_arg_t, pmr::memory_resource*, int v) {
    co_return v;
}
task<int> first_param(context_with_allocator, int v) {
    co_return v;
}
task<int> plain(int v) {
    co_return v;
}
task<int> second_param(int v, context_with_allocator) {
    co_return v;
}

// An affine awaitable that yields the awaiting coroutine's frame address.
struct frame_address {
    void* address = nullptr;
    bool await_ready() const noexcept { return false; }
    template <class Dispatcher>
    bool await_suspend(std::coroutine_handle<> h, Dispatcher&) noexcept {
        address = h.address();
        return false;
    }
    void* await_resume() const noexcept { return address; }
};

bool is_aligned_16(void const* p) {
    return reinterpret_cast<std::uintptr_t>(p) % 16 == 0;
}

} // namespace

BOOST_AUTO_TEST_CASE(handle_refers_to_lvalues_and_copies_small_temporaries) {
    test::counting_allocator counter;
    affine::any_frame_allocator a(counter);
    void* p = a.allocate(100);
    BOOST_TEST(counter.allocations == 1);
    a.deallocate(p, 100);
    BOOST_TEST(counter.live == 0);

    affine::any_frame_allocator b{stateless_allocator{}};
    long before = stateless_allocator::calls;
    b.deallocate(b.allocate(10), 10);
    BOOST_TEST(stateless_allocator::calls == before + 1);

    affine::any_frame_allocator def;
    BOOST_TEST((def == affine::any_frame_allocator(affine::frame_pool::shared())));
    BOOST_TEST(!(def == a));
    static_assert(sizeof(affine::any_frame_allocator) == 2 * sizeof(void*));
}

// Runs a task created outside any coroutine: its frame cannot be elided
// (with clang, HALO elides a child's frame into its caller's when it can).
template <class T>
T run_task(task<T> t) {
    return test::run([t = std::move(t)]() mutable { return std::move(t); });
}

BOOST_AUTO_TEST_CASE(pmr_memory_resource_is_a_frame_allocator) {
    counting_resource mr;
    task<int> t = with_pmr_arg(std::allocator_arg, &mr, 4);
    BOOST_TEST(!t.elided());
    BOOST_TEST(mr.allocations == 1);
    BOOST_TEST(run_task(std::move(t)) == 4);
    BOOST_TEST(mr.live == 0);

    // and forced on a whole chain
    asio::io_context ioc;
    affine::co_spawn(
        affine::with_allocator(ioc.get_executor(), &mr), [] { return plain(1); }, asio::detached);
    BOOST_TEST(mr.allocations == 3); // the root frame, the posted start
    auto before = affine::frame_pool::shared().statistics().allocations;
    ioc.run();
    BOOST_TEST(mr.allocations >= 3); // plain's frame, unless elided into the root's
    BOOST_TEST(affine::frame_pool::shared().statistics().allocations == before);
    BOOST_TEST(mr.live == 0);
}

BOOST_AUTO_TEST_CASE(allocator_arg_first_parameter_chooses_the_frame_allocator) {
    test::counting_allocator counter;
    task<int> t = with_allocator_arg(std::allocator_arg, counter, 3);
    BOOST_TEST(counter.allocations == 1);
    BOOST_TEST(run_task(std::move(t)) == 3);
    BOOST_TEST(counter.live == 0);
}

BOOST_AUTO_TEST_CASE(first_or_second_parameter_with_get_frame_allocator) {
    test::counting_allocator counter;
    context_with_allocator ctx{&counter};
    task<int> a = first_param(ctx, 1);
    task<int> b = second_param(2, ctx);
    BOOST_TEST(counter.allocations == 2);
    BOOST_TEST(run_task(std::move(a)) == 1);
    BOOST_TEST(run_task(std::move(b)) == 2);
    BOOST_TEST(counter.live == 0);
}

BOOST_AUTO_TEST_CASE(frames_are_16_byte_aligned) {
    // A frame from the allocator is 16-byte aligned. (GCC 12 does not honour
    // alignas on locals stored in a frame: see the design notes. An elided
    // frame is laid out by the compiler inside its caller's.)
    auto make = []() -> task<void> {
        void* frame = co_await frame_address{};
        BOOST_TEST(is_aligned_16(frame));
    };
    for (int i = 0; i < 4; ++i)
        run_task(make());
    affine::any_frame_allocator a;
    for (std::size_t n : {1u, 15u, 17u, 100u, 1000u, 5000u}) {
        void* p = affine::detail::allocate_frame(n, a);
        BOOST_TEST(is_aligned_16(p));
        affine::detail::deallocate_frame(p, n);
    }
}

BOOST_AUTO_TEST_CASE(each_frame_returns_to_its_owner_whichever_allocator_is_current) {
    test::counting_allocator first, second;
    void* p = nullptr;
    {
        affine::any_frame_allocator a(first);
        test::frame_allocator_scope s(&a);
        p = affine::detail::allocate_frame(64);
    }
    {
        affine::any_frame_allocator b(second);
        test::frame_allocator_scope s(&b);
        affine::detail::deallocate_frame(p, 64); // goes back to `first`
    }
    BOOST_TEST(first.live == 0);
    BOOST_TEST(second.allocations == 0);
}

BOOST_AUTO_TEST_CASE(frame_freed_on_another_thread_returns_to_its_allocator) {
    affine::frame_pool pool;
    std::vector<void*> frames;
    {
        affine::any_frame_allocator a(pool);
        for (int i = 0; i < 1000; ++i)
            frames.push_back(affine::detail::allocate_frame(200, a));
    }
    std::thread([&] {
        for (void* p : frames)
            affine::detail::deallocate_frame(p, 200);
    }).join();
    auto s = pool.statistics();
    BOOST_TEST(s.allocations == 1000u);
    BOOST_TEST(s.outstanding == 0u);
}

BOOST_AUTO_TEST_CASE(nested_frames_use_the_allocator_current_on_this_thread) {
    test::counting_allocator counter;
    asio::io_context ioc;
    affine::co_spawn(
        affine::with_allocator(ioc.get_executor(), counter),
        [&]() -> task<void> {
            long before = counter.allocations;
            auto inner = []() -> task<int> { co_return 1; };
            task<int> t = inner(); // no allocator argument anywhere
            BOOST_TEST(counter.allocations == before + (t.elided() ? 0 : 1));
            co_await std::move(t);
        },
        asio::detached);
    ioc.run();
    BOOST_TEST(counter.live == 0);
}

BOOST_AUTO_TEST_CASE(frame_std_allocator_is_a_standard_allocator) {
    test::counting_allocator counter;
    affine::frame_std_allocator<int> a{affine::any_frame_allocator(counter)};
    std::vector<int, affine::frame_std_allocator<int>> v(a);
    v.resize(100);
    BOOST_TEST(counter.allocations >= 1);
    v = {};
    v.shrink_to_fit();
    std::allocator_traits<decltype(a)>::rebind_alloc<double> b(a);
    BOOST_TEST((a == b));
}

namespace {

// Counts its calls; says nothing about thread safety.
struct plain_counting_allocator {
    void* allocate(std::size_t n) {
        ++allocations;
        return ::operator new(n, std::align_val_t{16});
    }
    void deallocate(void* p, std::size_t) noexcept {
        ++deallocations;
        ::operator delete(p, std::align_val_t{16});
    }
    long allocations = 0, deallocations = 0;
};

struct says_not_thread_safe : plain_counting_allocator {
    static constexpr bool thread_safe = false;
};

} // namespace

BOOST_AUTO_TEST_CASE(an_allocator_says_whether_it_is_thread_safe) {
    static_assert(affine::is_thread_safe_frame_allocator<affine::frame_pool>::value);
    static_assert(affine::is_thread_safe_frame_allocator<test::counting_allocator>::value);
    static_assert(!affine::is_thread_safe_frame_allocator<plain_counting_allocator>::value);
    static_assert(!affine::is_thread_safe_frame_allocator<says_not_thread_safe>::value);

    // Asio's storage for an operation (freed on the thread that completes it) comes from a
    // thread-safe chain allocator, and from the shared pool for any other.
    auto timer_wait = [](auto& alloc) {
        asio::io_context ioc;
        std::pair<long, long> counts; // by the allocator, by the shared pool
        affine::co_spawn(
            affine::with_allocator(ioc.get_executor(), &alloc),
            [&]() -> task<void> {
                asio::steady_timer t(co_await asio::this_coro::executor);
                long before = alloc.allocations;
                auto pool_before = affine::frame_pool::shared().statistics().allocations;
                co_await t.async_wait(affine::use_affine);
                counts = {
                    alloc.allocations - before,
                    long(affine::frame_pool::shared().statistics().allocations - pool_before)};
            },
            asio::detached);
        ioc.run();
        return counts;
    };
    test::counting_allocator safe;
    plain_counting_allocator plain;
    auto [safe_ops, safe_pool] = timer_wait(safe);
    auto [plain_ops, plain_pool] = timer_wait(plain);
    BOOST_TEST(safe_ops >= 1); // the timer's operation
    BOOST_TEST(safe_pool == 0);
    BOOST_TEST(plain_ops == 0);
    BOOST_TEST(plain_pool >= 1);
    BOOST_TEST(safe.live == 0);
    BOOST_TEST(plain.allocations == plain.deallocations);
}
