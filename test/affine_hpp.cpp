//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

// Test that header file is self-contained, and that the convenience header
// brings every public name.
#include <boost/affine.hpp>

namespace affine = boost::affine;

static_assert(affine::dispatcher<affine::environment>);
static_assert(affine::affine_awaitable<affine::task<>, affine::environment>);
static_assert(affine::affine_awaitable<affine::strict_task<int>, affine::environment>);
static_assert(affine::frame_allocator<affine::frame_pool>);
static_assert(affine::frame_allocator<affine::any_frame_allocator>);
static_assert(affine::has_frame_allocator<
              affine::allocating_executor<boost::asio::io_context::executor_type>>);

using check_names = decltype(affine::use_affine);
using check_use_affine_t = affine::use_affine_t<>;
using check_async_op = affine::async_op<void(boost::system::error_code, std::size_t)>;
using check_frame_pool_stats = affine::frame_pool_stats;
using check_std_allocator = affine::frame_std_allocator<int>;
template <class A, class D>
using check_affine_awaiter = affine::affine_awaiter<A, D>;
template <class D, class Dp>
using check_affine_promise = affine::affine_promise<D, Dp>;
template <class T, class D, class Dp>
using check_affine_task = affine::affine_task<T, D, Dp>;
