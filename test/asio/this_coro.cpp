//
// this_coro.cpp
// ~~~~~~~~~~~~~
//
// Copyright (c) 2003-2022 Christopher M. Kohlhoff (chris at kohlhoff dot com)
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//
// Boost.Affine: Asio's test/this_coro.cpp from Boost 1.81, migrated by renaming:
// nothing: this_coro is Asio's, unchanged after renaming.
// Nothing else changed; the harness is Asio's unit_test.hpp, copied beside it.
//

// Disable autolinking for unit tests.
#if !defined(BOOST_ALL_NO_LIB)
#define BOOST_ALL_NO_LIB 1
#endif // !defined(BOOST_ALL_NO_LIB)

// Test that header file is self-contained.
#include <boost/asio/this_coro.hpp>

#include "unit_test.hpp"

BOOST_ASIO_TEST_SUITE
(
  "this_coro",
  BOOST_ASIO_TEST_CASE(null_test)
)
