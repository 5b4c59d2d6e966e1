//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_DETAIL_AWAIT_TRANSFORM_HPP
#define BOOST_AFFINE_DETAIL_AWAIT_TRANSFORM_HPP

#include <boost/affine/concepts.hpp>
#include <boost/affine/environment.hpp>
#include <boost/affine/make_affine.hpp>
#include <boost/affine/protocol.hpp>
#include <boost/affine/use_affine.hpp>
#include <boost/affine/detail/misuse.hpp>

#include <boost/config.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <coroutine>
#include <type_traits>
#include <utility>

namespace boost::affine {
template <class T>
struct is_task; // task.hpp
} // namespace boost::affine

namespace boost::affine::detail {

// An awaiter that is ready with a value.
template <class T>
struct ready_awaiter {
    T value_;
    bool await_ready() const noexcept { return true; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    T await_resume() noexcept(std::is_nothrow_move_constructible_v<T>) { return std::move(value_); }
};

template <class>
inline constexpr bool always_false_v = false;

template <class T>
struct is_reset_cancellation_state_1 : std::false_type {};
template <class F>
struct is_reset_cancellation_state_1<asio::this_coro::reset_cancellation_state_1_t<F>>
    : std::true_type {};
template <class T>
struct is_reset_cancellation_state_2 : std::false_type {};
template <class I, class O>
struct is_reset_cancellation_state_2<asio::this_coro::reset_cancellation_state_2_t<I, O>>
    : std::true_type {};

template <bool Strict, class Executor, class A>
decltype(auto) transform_operand(environment& env, A&& a);

// What `co_await this_coro::executor` yields in a coroutine whose executor type is `Executor`
// (`void`: the library's own coroutines, which yield any_io_executor, as a task does by
// default). A concrete type is the home executor as the chain keeps it: co_spawn converted the
// spawn executor to the task's.
template <class Executor>
auto executor_of(environment& env) {
    if constexpr (std::is_void_v<Executor> || std::is_same_v<Executor, asio::any_io_executor>) {
        return env.get_executor();
    } else {
        auto const* ex = static_cast<Executor const*>(
            environment_home::of(env).executor_if(&executor_type_tag<Executor>));
        if (!ex)
            report_misuse("boost::affine: co_await this_coro::executor in a task<T, Executor> "
                          "whose chain's executor is of another type; start it with co_spawn "
                          "or await it from a task of the same Executor");
        return Executor(*ex);
    }
}

// Out of line and cold: building a system_error inline would keep the
// compiler from inlining every co_await's transformation.
[[noreturn]] BOOST_NOINLINE inline void throw_cancelled() {
    boost::throw_exception(system::system_error(asio::error::operation_aborted, "co_await"));
}

// The tiered policy of seed 003, for tasks and the chain's root. `Strict`
// rejects what would need a trampoline; `Executor` is the awaiting task's (void: a coroutine
// of the library's own).
template <bool Strict, class Executor, class A>
decltype(auto) transform_awaitable(environment& env, A&& a) {
    using D = std::remove_cvref_t<A>;
    if constexpr (std::is_same_v<D, asio::this_coro::executor_t>) {
        using E = decltype(executor_of<Executor>(env));
        return ready_awaiter<E>{executor_of<Executor>(env)};
    } else if constexpr (std::is_same_v<D, asio::this_coro::cancellation_state_t>) {
        return ready_awaiter<asio::cancellation_state>{env.cancellation_state()};
    } else if constexpr (std::is_same_v<D, asio::this_coro::reset_cancellation_state_0_t>) {
        env.reset_cancellation_state();
        return std::suspend_never{};
    } else if constexpr (is_reset_cancellation_state_1<D>::value) {
        env.reset_cancellation_state(std::forward<A>(a).filter);
        return std::suspend_never{};
    } else if constexpr (is_reset_cancellation_state_2<D>::value) {
        env.reset_cancellation_state(std::forward<A>(a).in_filter, std::forward<A>(a).out_filter);
        return std::suspend_never{};
    } else if constexpr (std::is_same_v<D, asio::this_coro::throw_if_cancelled_0_t>) {
        return ready_awaiter<bool>{env.throw_if_cancelled()};
    } else if constexpr (std::is_same_v<D, asio::this_coro::throw_if_cancelled_1_t>) {
        env.throw_if_cancelled(a.value);
        return std::suspend_never{};
    } else {
        // As asio::awaitable: in a cancelled chain, a co_await throws before
        // starting what it awaits (unless this_coro::throw_if_cancelled(false)).
        if (env.cancellation_state().cancelled() != asio::cancellation_type::none &&
            env.throw_if_cancelled()) [[unlikely]]
            throw_cancelled();
        return transform_operand<Strict, Executor>(env, std::forward<A>(a));
    }
}

// The tiers proper: what a co_await of an awaitable becomes.
template <bool Strict, class Executor, class A>
decltype(auto) transform_operand(environment& env, A&& a) {
    using D = std::remove_cvref_t<A>;
    if constexpr (is_task<D>::value && !std::is_void_v<Executor>) {
        static_assert(std::is_same_v<typename D::executor_type, Executor>,
                      "boost::affine::task<T, Executor>: a task awaits only tasks of its own "
                      "Executor type, as asio::awaitable<T, Executor> does (its chain has one "
                      "home executor, of one type)");
    }
    if constexpr (asio::is_deferred<D>::value) {
        // Deferred operations complete with use_affine: no allocation either.
        return std::forward<A>(a)(use_affine);
    } else if constexpr (affine_awaitable<D, environment>) {
        // The awaitable lives in the co_await expression; refer to it. The
        // dispatcher is the awaiting promise's (one pointer less in the frame).
        return affine_awaiter<A&&>{std::forward<A>(a)};
    } else if constexpr (Strict) {
        static_assert(always_false_v<D>,
                      "boost::affine::strict_task: this awaitable is not affine. Give it an "
                      "overload await_suspend(std::coroutine_handle<>, Dispatcher&) that resumes "
                      "the coroutine through the dispatcher, await an Asio operation with "
                      "use_affine, or use boost::affine::task, which wraps it with make_affine "
                      "(one pooled frame per co_await)");
    } else {
        static_assert(awaitable_expression<A&&>,
                      "boost::affine::task: co_await on something that is not awaitable (it has "
                      "no await_ready/await_suspend/await_resume and no operator co_await)");
        return make_affine(std::forward<A>(a), env);
    }
}

// The await_transform of the library's promises (a task's, the spawn root's, an operator
// branch's): the tiered policy, in the environment that the promise's dispatcher() names.
// `Executor`: the task's executor type; void for the library's own coroutines, which await
// tasks of any executor type.
//
// A task's records where its co_await is (the defaulted argument: the co_await expression's
// location) on its link in the chain, for async_backtrace; the library's own coroutines await
// at places of their own, which a backtrace names otherwise (an operator's operand, the spawn).
template <class Derived, bool Strict = false, class Executor = void>
class awaits_in_chain {
public:
    template <class A>
    decltype(auto) await_transform(A&& a, site_ptr site = BOOST_AFFINE_DETAIL_HERE) {
        environment* e = static_cast<Derived&>(*this).dispatcher();
        BOOST_ASSERT_MSG(e, "boost::affine: task is not part of a chain");
        if constexpr (record_await_sites && !std::is_void_v<Executor>)
            environment_home::note_site(*e, site);
        else
            (void)site;
        return detail::transform_awaitable<Strict, Executor>(*e, std::forward<A>(a));
    }
};

} // namespace boost::affine::detail

#endif
