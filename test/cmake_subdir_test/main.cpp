//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#if __has_include(<boost/affine.hpp>)
#include <boost/affine.hpp>
#else
#include <boost/affine/concepts.hpp>
#endif

int main() {}
