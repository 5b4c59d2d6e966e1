//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_DETAIL_KNOWN_EXECUTORS_HPP
#define BOOST_AFFINE_DETAIL_KNOWN_EXECUTORS_HPP

// An any_io_executor cannot say whether the calling thread runs it, nor be posted to with an
// allocator: only the executor inside it can, if its type is known. The types looked for are
// Asio's own, which is why this header, and only this one, includes io_context, strand and
// thread_pool.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <type_traits>

namespace boost::affine::detail {

// The executor types whose identity we look for inside an any_io_executor.
template <class F>
bool for_known_targets(asio::any_io_executor const& ex, F&& f) {
    using ioc = asio::io_context::executor_type;
    using pool = asio::thread_pool::executor_type;
    if (auto* p = ex.target<ioc>())
        return f(*p);
    if (auto* p = ex.target<asio::strand<ioc>>())
        return f(*p);
    if (auto* p = ex.target<pool>())
        return f(*p);
    if (auto* p = ex.target<asio::strand<pool>>())
        return f(*p);
    if (auto* p = ex.target<asio::strand<asio::any_io_executor>>())
        return f(*p);
    return false;
}

template <class Executor>
bool running_in_this_thread(Executor const& ex) noexcept {
    if constexpr (requires { ex.running_in_this_thread(); }) {
        return ex.running_in_this_thread();
    } else if constexpr (std::is_base_of_v<asio::any_io_executor, Executor>) {
        // any_io_executor, or an adaptor of it (use_affine_t<>::executor_with_default).
        return for_known_targets(static_cast<asio::any_io_executor const&>(ex),
                                 [](auto const& e) { return e.running_in_this_thread(); });
    } else {
        return false; // unknown: always post, which is correct if slower
    }
}

} // namespace boost::affine::detail

#endif
