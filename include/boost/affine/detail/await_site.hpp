//
// Copyright (c) 2026 The Boost.Affine authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
//

#ifndef BOOST_AFFINE_DETAIL_AWAIT_SITE_HPP
#define BOOST_AFFINE_DETAIL_AWAIT_SITE_HPP

// Where a co_await is: the source location of the expression, taken by a defaulted argument of
// the promise's await_transform (and of co_spawn, for the spawn's site), kept as the pointer
// that std::source_location holds.
//
// The argument is __builtin_source_location(), the pointer std::source_location::current()
// wraps (g++ and clang; libstdc++ and libc++ alike hold only it), not a std::source_location:
// a defaulted argument of class type costs g++ a slot in the coroutine frame per co_await,
// a pointer does not. location_of() makes the std::source_location again.
//
// BOOST_AFFINE_NO_AWAIT_SITES, defined before any of the library's headers, compiles the
// recording out: no site is kept, and the backtraces show functions and co_spawn sites only
// as far as they are known (doc/diagnostics.adoc).

#include <bit>
#include <type_traits>
#include <source_location>

namespace boost::affine::detail {

// A co_await's (or a co_spawn's) source location, or null when unknown.
using site_ptr = void const*;

static_assert(sizeof(std::source_location) == sizeof(site_ptr) &&
                  std::is_trivially_copyable_v<std::source_location>,
              "boost::affine: this standard library's std::source_location is not the one "
              "pointer that __builtin_source_location() returns (g++ and clang with "
              "libstdc++ or libc++ hold only it)");

#define BOOST_AFFINE_DETAIL_HERE                                                                   \
    static_cast<::boost::affine::detail::site_ptr>(__builtin_source_location())

#if defined(BOOST_AFFINE_NO_AWAIT_SITES)
inline constexpr bool record_await_sites = false;
#else
inline constexpr bool record_await_sites = true;
#endif

// The location a site names (a default-constructed one for null: line 0, empty names).
inline std::source_location location_of(site_ptr site) noexcept {
    if (!site)
        return std::source_location();
    return std::bit_cast<std::source_location>(site);
}

} // namespace boost::affine::detail

#endif
