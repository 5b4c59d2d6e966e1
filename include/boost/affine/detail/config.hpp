//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_DETAIL_CONFIG_HPP
#define BOOST_AFFINE_DETAIL_CONFIG_HPP

#include <boost/config.hpp>

// What the compiler does with coroutines, as far as the library depends on it.
//
// Thread-locals. GCC lowers a coroutine in its front end into an "actor"
// function that every resumption calls afresh, so a thread-local's address is
// computed by the thread that runs the code after each resumption. Clang splits
// coroutines after optimisation and may compute such an address before a
// suspension and reuse it after, on another thread (LLVM #47179, #63022). With
// clang (and any compiler not known to be safe), code that may run in a
// coroutine body reaches thread-locals only through functions that are not
// inlined; with GCC it may inline them.
//
// Elision. GCC does not elide coroutine frames (it has no HALO), so with GCC
// no frame needs the bookkeeping that tells an elided frame from an allocated
// one.
#if defined(__GNUC__) && !defined(__clang__)
#define BOOST_AFFINE_DETAIL_TLS_ACCESS BOOST_FORCEINLINE
#define BOOST_AFFINE_DETAIL_TLS_INLINE 1
#define BOOST_AFFINE_DETAIL_MAY_ELIDE_FRAMES 0
#else
#define BOOST_AFFINE_DETAIL_TLS_ACCESS BOOST_NOINLINE
#define BOOST_AFFINE_DETAIL_TLS_INLINE 0
#define BOOST_AFFINE_DETAIL_MAY_ELIDE_FRAMES 1
#endif

#endif
