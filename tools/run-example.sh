#!/usr/bin/env bash
# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# Builds the echo server example (g++, Release, in build/example) and runs
# it; every argument is passed on to it.
#
#   tools/run-example.sh [echo server arguments...]
#
# BOOST_AFFINE_EXAMPLE=<stem> runs example/<stem>.cpp instead.

set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
example="${BOOST_AFFINE_EXAMPLE:-echo_server}"
dir="$root/build/example"

"$root/tools/install-deps.sh"

cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ \
    -DBOOST_AFFINE_BUILD_TESTS=OFF -DBOOST_AFFINE_BUILD_EXAMPLES=ON \
    -DBOOST_AFFINE_BUILD_BENCH=OFF >&2
cmake --build "$dir" -j2 --target "example_$example" >&2

exec "$dir/example/example_$example" "$@"
