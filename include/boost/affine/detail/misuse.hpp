//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_DETAIL_MISUSE_HPP
#define BOOST_AFFINE_DETAIL_MISUSE_HPP

#include <boost/assert.hpp>
#include <boost/throw_exception.hpp>

#include <stdexcept>

namespace boost::affine::detail {

// Misuse of the library at run time: an assertion with a message where
// assertions are enabled, then (or otherwise) a std::logic_error.
[[noreturn]] inline void report_misuse(char const* message) {
    BOOST_ASSERT_MSG(false, message);
    boost::throw_exception(std::logic_error(message));
}

} // namespace boost::affine::detail

#endif
