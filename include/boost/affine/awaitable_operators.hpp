//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_AWAITABLE_OPERATORS_HPP
#define BOOST_AFFINE_AWAITABLE_OPERATORS_HPP

#include <boost/affine/task.hpp>
#include <boost/affine/detail/parallel.hpp>

#include <boost/asio/multiple_exceptions.hpp>

#include <cstddef>
#include <exception>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

namespace boost::affine {

namespace detail {

template <class T>
struct is_std_tuple : std::false_type {};
template <class... T>
struct is_std_tuple<std::tuple<T...>> : std::true_type {};

template <class T>
struct is_std_variant : std::false_type {};
template <class... T>
struct is_std_variant<std::variant<T...>> : std::true_type {};

template <class T>
using or_void_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// The result of t && u: void operands dropped, a tuple on the left extended.
template <class T, class U>
struct and_result {
    using type = std::tuple<T, U>;
};
template <class T>
struct and_result<T, void> {
    using type = T;
};
template <class U>
struct and_result<void, U> {
    using type = U;
};
template <>
struct and_result<void, void> {
    using type = void;
};
template <class... T, class U>
struct and_result<std::tuple<T...>, U> {
    using type = std::tuple<T..., U>;
};
template <class... T>
struct and_result<std::tuple<T...>, void> {
    using type = std::tuple<T...>;
};

// The result of t || u: void operands as std::monostate, a variant on the
// left extended.
template <class T, class U>
struct or_result {
    using type = std::variant<or_void_t<T>, or_void_t<U>>;
};
template <class... T, class U>
struct or_result<std::variant<T...>, U> {
    using type = std::variant<T..., or_void_t<U>>;
};

template <class T0, class T1>
using and_outcome = typename parallel_awaiter<T0, T1>::outcome;

template <class T, class U>
typename and_result<T, U>::type and_value(and_outcome<T, U>& o) {
    using R = typename and_result<T, U>::type;
    if constexpr (std::is_void_v<T> && std::is_void_v<U>)
        return;
    else if constexpr (std::is_void_v<U>)
        return o.b0_.value();
    else if constexpr (std::is_void_v<T>)
        return o.b1_.value();
    else if constexpr (is_std_tuple<T>::value)
        return std::tuple_cat(o.b0_.value(), std::tuple<U>(o.b1_.value()));
    else
        return R(o.b0_.value(), o.b1_.value());
}

// Moves alternative I of `v` into the same alternative of the wider `R`.
template <class R, std::size_t I = 0, class V>
R widen_variant(V& v) {
    if constexpr (I + 1 < std::variant_size_v<V>) {
        if (v.index() != I)
            return widen_variant<R, I + 1>(v);
    }
    BOOST_ASSERT_MSG(v.index() == I, "boost::affine: || operand is a valueless variant");
    if (v.index() != I)
        throw std::bad_variant_access();
    return R(std::in_place_index<I>, std::move(*std::get_if<I>(&v)));
}

// The result of t || u when branch `i` won.
template <class T, class U>
typename or_result<T, U>::type or_value(and_outcome<T, U>& o, unsigned i) {
    using R = typename or_result<T, U>::type;
    if (i == 0) {
        if constexpr (std::is_void_v<T>) {
            return R(std::in_place_index<0>);
        } else if constexpr (is_std_variant<T>::value) {
            T v = o.b0_.value();
            return widen_variant<R>(v);
        } else {
            return R(std::in_place_index<0>, o.b0_.value());
        }
    }
    constexpr std::size_t right = std::variant_size_v<R> - 1;
    if constexpr (std::is_void_v<U>)
        return R(std::in_place_index<right>);
    else
        return R(std::in_place_index<right>, o.b1_.value());
}

template <class T, class U, class Executor>
auto run_parallel(parallel_mode m, task<T, Executor> t, task<U, Executor> u) {
    return parallel_awaiter<T, U>(m, make_branch<T>(std::move(t)), make_branch<U>(std::move(u)));
}

} // namespace detail

/** `&&` and `||` over tasks, as `asio::experimental::awaitable_operators`
    has them over `asio::awaitable` (Boost 1.81), after renaming.

    Both operands start at once on the awaiting chain's home executor, each
    in an environment of its own (the chain's executor and frame allocator,
    its own cancellation), and the result is awaited when both have
    finished. A branch sees terminal cancellation only, as a spawned
    `asio::awaitable` does; cancellation of the awaiting chain reaches both.

    No global allocation per evaluation in steady state: the operator's
    frame and one small frame per operand come from the chain's frame
    allocator, and the branches' cancellation signals are recycled within the
    chain.

    @par Concurrency
    On a home executor that runs handlers concurrently (a `thread_pool`
    without a strand), the two branches may run in parallel and the
    cancellation of one by the other races with it, as with Asio's
    operators: use a strand.
*/
namespace awaitable_operators {

/** Waits for both tasks; if one throws, cancels the other, waits for it, and
    rethrows (`asio::multiple_exceptions` holding the first operand's
    exception if both threw).

    @return A task of the operands' `Executor`, yielding nothing if both are void; the value
    of the non-void one if one is; `std::tuple<T, U>` otherwise, and `std::tuple<T..., U>` if
    the left operand already yields a tuple (so `a && b && c` is a flat tuple).
*/
template <class T, class U, class Executor>
task<typename detail::and_result<T, U>::type, Executor> operator&&(task<T, Executor> t,
                                                                   task<U, Executor> u) {
    auto o = co_await detail::run_parallel(detail::parallel_mode::cancel_on_failure, std::move(t),
                                           std::move(u));
    std::exception_ptr e0 = o.exception(0);
    std::exception_ptr e1 = o.exception(1);
    if (e0 && e1)
        throw asio::multiple_exceptions(e0);
    if (e0)
        detail::rethrow_noted(e0);
    if (e1)
        detail::rethrow_noted(e1);
    if constexpr (std::is_void_v<typename detail::and_result<T, U>::type>)
        co_return;
    else
        co_return detail::and_value<T, U>(o);
}

/** Waits for the first task to succeed, cancels the other and waits for it.

    @return `std::variant<T, U>` (a void operand as `std::monostate`) holding
    the result of the first operand to complete without an exception
    (`std::variant<T..., U>` if the left operand already yields a variant, so
    `a || b || c` is a flat variant).
    @throws asio::multiple_exceptions holding the first exception, if both
    threw.
*/
template <class T, class U, class Executor>
task<typename detail::or_result<T, U>::type, Executor> operator||(task<T, Executor> t,
                                                                  task<U, Executor> u) {
    auto o = co_await detail::run_parallel(detail::parallel_mode::cancel_on_success, std::move(t),
                                           std::move(u));
    unsigned first = o.first();
    if (!o.exception(first))
        co_return detail::or_value<T, U>(o, first);
    if (!o.exception(1 - first))
        co_return detail::or_value<T, U>(o, 1 - first);
    throw asio::multiple_exceptions(o.exception(first));
}

} // namespace awaitable_operators

} // namespace boost::affine

#endif
