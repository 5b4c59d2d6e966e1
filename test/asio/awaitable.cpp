//
// awaitable.cpp
// ~~~~~~~~~~~~~
//
// Copyright (c) 2003-2022 Christopher M. Kohlhoff (chris at kohlhoff dot com)
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//
// Boost.Affine: Asio's test/awaitable.cpp from Boost 1.81, migrated by renaming:
// boost/asio/awaitable.hpp -> boost/affine/task.hpp (where task<T> is).
// Nothing else changed; the harness is Asio's unit_test.hpp, copied beside it.
//

// Disable autolinking for unit tests.
#if !defined(BOOST_ALL_NO_LIB)
#define BOOST_ALL_NO_LIB 1
#endif // !defined(BOOST_ALL_NO_LIB)

// Test that header file is self-contained.
#include <boost/affine/task.hpp>

#include "unit_test.hpp"

BOOST_ASIO_TEST_SUITE
(
  "awaitable",
  BOOST_ASIO_TEST_CASE(null_test)
)
