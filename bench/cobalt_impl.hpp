//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Boost.Cobalt (Boost 1.84 and later) behind the benchmarks' implementation
// interface, for the benchmarks built with BOOST_AFFINE_BENCH_COBALT (defined by
// bench/CMakeLists.txt when CMake finds Boost's cobalt component; the programs
// then link Boost::cobalt).
//
//   task<T>            cobalt::task<T>
//   token              cobalt::use_op (the awaiting coroutine's small buffer)
//   spawn              cobalt::spawn(executor, task, handler)
//   both / either      cobalt::join / cobalt::race: the equivalents of && and ||
//                      (join rethrows as && does; race cancels the other task)
//
// Cobalt allocates its coroutine frames from cobalt::this_thread's default
// memory resource. cobalt::main and cobalt::run set it to an
// unsynchronized_pool_resource for their thread; the benchmarks do the same for
// a home run by one thread (cobalt_memory::single_thread) and give a home run by
// a thread pool one synchronized_pool_resource, the default of every thread
// (cobalt_memory::shared), since a frame made on one thread may end on another.

#ifndef BOOST_AFFINE_BENCH_COBALT_IMPL_HPP
#define BOOST_AFFINE_BENCH_COBALT_IMPL_HPP

#if defined(BOOST_AFFINE_BENCH_COBALT)

#include <boost/cobalt/join.hpp>
#include <boost/cobalt/op.hpp>
#include <boost/cobalt/race.hpp>
#include <boost/cobalt/spawn.hpp>
#include <boost/cobalt/task.hpp>
#include <boost/cobalt/this_thread.hpp>

#include <boost/asio/detached.hpp>

#include <exception>
#include <memory_resource>
#include <utility>

namespace bench {

namespace cobalt = boost::cobalt;

struct cobalt_memory {
    // Every thread's default from the start (set before any thread exists).
    static std::pmr::synchronized_pool_resource& shared() {
        static std::pmr::synchronized_pool_resource r;
        return r;
    }
    static void install_shared() {
        std::pmr::set_default_resource(&shared());
        cobalt::this_thread::set_default_resource(&shared());
    }
    // While alive, this thread's frames come from a pool of its own, as under
    // cobalt::run.
    struct single_thread {
        std::pmr::unsynchronized_pool_resource pool{std::pmr::new_delete_resource()};
        std::pmr::memory_resource* previous = cobalt::this_thread::set_default_resource(&pool);
        single_thread() = default;
        single_thread(single_thread const&) = delete;
        single_thread& operator=(single_thread const&) = delete;
        ~single_thread() { cobalt::this_thread::set_default_resource(previous); }
    };
};

struct cobalt_impl {
    template <class T>
    using task = cobalt::task<T>;
    static constexpr auto& token = cobalt::use_op;

    static void check(std::exception_ptr e) {
        if (e)
            std::rethrow_exception(e);
    }
    template <class Ex, class T, class Done>
    static void spawn(Ex const& ex, task<T> t, Done done) {
        cobalt::spawn(ex, std::move(t), [done](std::exception_ptr e, auto&&...) mutable {
            check(e);
            done();
        });
    }
    template <class Ex, class T>
    static void spawn_detached(Ex const& ex, task<T> t) {
        cobalt::spawn(ex, std::move(t), boost::asio::detached);
    }
    template <class A, class B>
    static auto both(task<A> a, task<B> b) {
        return cobalt::join(std::move(a), std::move(b));
    }
    template <class A, class B>
    static auto either(task<A> a, task<B> b) {
        return cobalt::race(std::move(a), std::move(b));
    }
};

} // namespace bench

#endif // BOOST_AFFINE_BENCH_COBALT
#endif // BOOST_AFFINE_BENCH_COBALT_IMPL_HPP
