# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)

# Warnings and sanitizers for the library's own tests, examples and benches.
# Never applied to Boost::affine itself: consumers choose their own flags.

include_guard(GLOBAL)

# boost_affine_target_options(<target> [WERROR] [NO_SANITIZE])
#
#   WERROR       treat warnings as errors (tests; everything with BOOST_AFFINE_WERROR)
#   NO_SANITIZE  ignore BOOST_AFFINE_SANITIZE (benchmarks, compile-fail tests)
function(boost_affine_target_options target)
    cmake_parse_arguments(PARSE_ARGV 1 ARG "WERROR;NO_SANITIZE" "" "")
    if(BOOST_AFFINE_WERROR)
        set(ARG_WERROR ON)
    endif()

    # -std=c++20, not gnu++20: what b2 and users' strict builds see.
    set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)

    if(MSVC)
        target_compile_options(${target} PRIVATE /W4)
        if(ARG_WERROR)
            target_compile_options(${target} PRIVATE /WX)
        endif()
    else()
        target_compile_options(${target} PRIVATE -Wall -Wextra)
        if(ARG_WERROR)
            target_compile_options(${target} PRIVATE -Werror)
        endif()
    endif()

    if(BOOST_AFFINE_SANITIZE AND NOT ARG_NO_SANITIZE)
        set(flags -fsanitize=${BOOST_AFFINE_SANITIZE} -fno-omit-frame-pointer)
        if(BOOST_AFFINE_SANITIZE MATCHES "undefined")
            list(APPEND flags -fno-sanitize-recover=all)
        endif()
        target_compile_options(${target} PRIVATE ${flags})
        target_link_options(${target} PRIVATE ${flags})
    endif()
endfunction()
