#!/usr/bin/env bash
# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# The load test: builds bench/echo_load.cpp (the echo server of the example
# with a load client of its own; g++, Release, in build/load) and runs it for 60 s with 256
# loopback connections on two threads, its load client in chaos mode (random
# abrupt closes, half-closes and resets, then reconnects; every echo checked)
# and its stability checks on (RSS, the frame pool and open descriptors
# sampled once a second must stay flat after the first third of the run).
# Prints the samples and ends with `load test: PASS` or `load test: FAIL: ...`;
# exits non-zero on any failure: a wrong echo, a server error, growth after
# the warm-up, a run that does not end, a crash.
#
#   tools/run-load-test.sh [--seconds N] [other echo server arguments...]
#
# Arguments go to the program after the defaults above, so they override
# them: --seconds, --connections, --threads, --seed (the chaos client's
# choices; a run prints its seed). ctest runs a short version, echo_load_short.

set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/build/load"

"$root/tools/install-deps.sh"

cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ \
    -DBOOST_AFFINE_BUILD_TESTS=OFF -DBOOST_AFFINE_BUILD_EXAMPLES=OFF \
    -DBOOST_AFFINE_BUILD_BENCH=ON >&2
cmake --build "$dir" -j2 --target bench_echo_load >&2

exec "$dir/bench/bench_echo_load" --connections 256 --seconds 60 --threads 2 \
    --chaos --check-stability "$@"
