//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_HPP
#define BOOST_AFFINE_HPP

#include <boost/affine/allocating_executor.hpp>
#include <boost/affine/async_backtrace.hpp>
#include <boost/affine/awaitable_operators.hpp>
#include <boost/affine/chain_local.hpp>
#include <boost/affine/co_spawn.hpp>
#include <boost/affine/concepts.hpp>
#include <boost/affine/environment.hpp>
#include <boost/affine/frame_allocator.hpp>
#include <boost/affine/frame_pool.hpp>
#if !defined(BOOST_AFFINE_NO_CHAIN_REGISTRY)
#include <boost/affine/live_chains.hpp>
#endif
#include <boost/affine/make_affine.hpp>
#include <boost/affine/protocol.hpp>
#include <boost/affine/task.hpp>
#include <boost/affine/use_affine.hpp>

#endif
