//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_TEST_FRAME_ALLOCATOR_SCOPE_HPP
#define BOOST_AFFINE_TEST_FRAME_ALLOCATOR_SCOPE_HPP

// For tests and benchmarks only: makes a frame allocator current on this thread
// for a scope, outside any chain, so that frames made there (a coroutine
// created, not started; detail::allocate_frame) come from it. A program does
// that through the public means instead: co_spawn on with_allocator(ex, a),
// or a coroutine whose first or second parameter carries the allocator.
// Reaches the library's per-thread state on purpose.

#include <boost/affine/frame_allocator.hpp>
#include <boost/affine/detail/thread_state.hpp>

#include <utility>

namespace test {

class frame_allocator_scope {
public:
    explicit frame_allocator_scope(boost::affine::any_frame_allocator const* a) noexcept
        : prev_(std::exchange(boost::affine::detail::this_thread_state().allocator, a)) {}
    ~frame_allocator_scope() { boost::affine::detail::this_thread_state().allocator = prev_; }
    frame_allocator_scope(frame_allocator_scope const&) = delete;
    frame_allocator_scope& operator=(frame_allocator_scope const&) = delete;

private:
    boost::affine::any_frame_allocator const* prev_;
};

} // namespace test

#endif
