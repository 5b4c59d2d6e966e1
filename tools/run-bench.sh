#!/usr/bin/env bash
# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# Builds every benchmark (bench/*.cpp -> bench_<stem>; g++, -O2, in
# build/bench) and runs each from bench/results/, where it leaves its files;
# each one's standard output is also kept there as <stem>.txt. Any gnuplot
# script bench/*.gp is then run from bench/results/.
#
#   tools/run-bench.sh [bench arguments...]     arguments go to every bench
#
# BOOST_AFFINE_BENCH="frame_pool task" runs only those (stems).

set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/build/bench"
results="$root/bench/results"

"$root/tools/install-deps.sh"

cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DCMAKE_CXX_COMPILER=g++ \
    -DBOOST_AFFINE_BUILD_TESTS=OFF -DBOOST_AFFINE_BUILD_EXAMPLES=OFF \
    -DBOOST_AFFINE_BUILD_BENCH=ON
cmake --build "$dir" -j2 --target boost_affine_bench

mkdir -p "$results"
export BOOST_AFFINE_BENCH_RESULTS="$results"

if [[ -n "${BOOST_AFFINE_BENCH:-}" ]]; then
    stems=($BOOST_AFFINE_BENCH)
else
    stems=()
    for src in "$root"/bench/*.cpp; do
        [[ -e "$src" ]] || continue
        stem=$(basename "$src" .cpp)
        stems+=("$stem")
    done
fi

if [[ ${#stems[@]} -eq 0 ]]; then
    echo "run-bench.sh: no benchmark in bench/" >&2
    exit 1
fi

for stem in "${stems[@]}"; do
    echo "== bench_$stem"
    (cd "$results" && "$dir/bench/bench_$stem" "$@") | tee "$results/$stem.txt"
done

for gp in "$root"/bench/*.gp; do
    [[ -e "$gp" ]] || continue
    echo "== gnuplot $(basename "$gp")"
    (cd "$results" && gnuplot "$gp")
done

echo "Results in $results"
