#!/usr/bin/env bash
# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# The benchmark suite, in one command: builds every benchmark (bench/*.cpp ->
# bench_<stem>; -O2), runs each (its table on standard output, kept in
# <results>/<stem>.txt; its JSON and gnuplot data files in <results>), prints
# the targets of all of them, draws the plots (bench/*.gp ->
# doc/images/bench_*.png) and writes the documentation's tables
# (tools/bench-tables.py -> doc/bench_tables.adoc).
#
#   tools/run-bench.sh [--quick] [bench arguments...]
#
#   --quick    a short smoke run (well under a minute of running, for CI):
#              fewer iterations, results in build/bench*/quick-results and
#              plots in build/bench*/quick-images, nothing under bench/ or
#              doc/ is touched
#
# Environment:
#   BOOST_AFFINE_BENCH="task echo"   run only these (stems, with or without
#                                    the _bench suffix)
#   BOOST_AFFINE_BENCH_CXX=clang++-16
#                                    the compiler (default g++). Any other than
#                                    g++ builds in build/bench-<tag> and writes
#                                    <name>-<tag>.json (tag: clang for clang++*),
#                                    beside g++'s results; plots are drawn from
#                                    g++'s results only.
#   BOOST_AFFINE_BENCH_ONLY=nested   run only the cases whose name contains this
#   BOOST_AFFINE_BENCH_TAG=boost1.92 the tag of the results (<name>-<tag>.json) and
#                                    of the build directory, in place of the
#                                    compiler's; a run with another Boost, in a
#                                    chroot of another Debian (tools/chroot.sh),
#                                    which brings its own packages: the Debian 12
#                                    ones are not installed then. Where CMake
#                                    finds Boost.Cobalt (1.84+), bench_task and
#                                    bench_memory run it too.

set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

quick=0
args=()
for a in "$@"; do
    if [[ "$a" == "--quick" ]]; then
        quick=1
    else
        args+=("$a")
    fi
done

cxx="${BOOST_AFFINE_BENCH_CXX:-g++}"
case "$(basename "$cxx")" in
    g++) tag="" ;;
    clang++*) tag="clang" ;;
    *) tag="$(basename "$cxx")" ;;
esac
if [[ -n "${BOOST_AFFINE_BENCH_TAG:-}" ]]; then
    tag="$BOOST_AFFINE_BENCH_TAG"
fi

dir="$root/build/bench${tag:+-$tag}"
if [[ $quick -eq 1 ]]; then
    results="$dir/quick-results"
    images="$dir/quick-images"
else
    results="$root/bench/results"
    images="$root/doc/images"
fi

if [[ -z "${BOOST_AFFINE_BENCH_TAG:-}" ]]; then
    "$root/tools/install-deps.sh"
fi

stems=()
if [[ -n "${BOOST_AFFINE_BENCH:-}" ]]; then
    for s in $BOOST_AFFINE_BENCH; do
        s="${s%_bench}"
        if [[ -e "$root/bench/${s}_bench.cpp" ]]; then
            stems+=("${s}_bench")
        else
            stems+=("$s")
        fi
    done
else
    for src in "$root"/bench/*.cpp; do
        [[ -e "$src" ]] || continue
        stems+=("$(basename "$src" .cpp)")
    done
fi

if [[ ${#stems[@]} -eq 0 ]]; then
    echo "run-bench.sh: no benchmark in bench/" >&2
    exit 1
fi

only=""
if [[ -n "${BOOST_AFFINE_BENCH:-}" ]]; then
    only="$(IFS=';'; echo "${stems[*]}")"
fi
# -O2 always: GCC 12 makes symmetric transfer a tail call only from -O2 on.
cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DCMAKE_CXX_COMPILER="$cxx" \
    -DBOOST_AFFINE_BUILD_TESTS=OFF -DBOOST_AFFINE_BUILD_EXAMPLES=OFF \
    -DBOOST_AFFINE_BUILD_BENCH=ON -DBOOST_AFFINE_BENCH_ONLY="$only"
cmake --build "$dir" -j2 --target boost_affine_bench

mkdir -p "$results" "$images"
export BOOST_AFFINE_BENCH_RESULTS="$results"
export BOOST_AFFINE_BENCH_TAG="$tag"
commit="${BOOST_AFFINE_BENCH_COMMIT:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)}"
if ! git -C "$root" diff --quiet HEAD -- include 2>/dev/null; then
    commit="$commit+modified-include"
fi
export BOOST_AFFINE_BENCH_COMMIT="$commit"
if [[ $quick -eq 1 ]]; then
    export BOOST_AFFINE_BENCH_QUICK=1
fi

start=$SECONDS
outputs=()
for stem in "${stems[@]}"; do
    exe="$dir/bench/bench_$stem"
    if [[ ! -x "$exe" ]]; then
        echo "run-bench.sh: no benchmark $stem ($exe)" >&2
        exit 1
    fi
    out="$results/$stem${tag:+-$tag}.txt"
    echo "== bench_$stem ($cxx)"
    (cd "$results" && "$exe" ${args[@]+"${args[@]}"}) | tee "$out"
    outputs+=("$out")
done
elapsed=$((SECONDS - start))

echo
echo "== targets ($cxx$([[ $quick -eq 1 ]] && echo ', quick run: not for quoting'))"
grep -h '^target ' "${outputs[@]}" || true
met=$(grep -h '^target MET' "${outputs[@]}" | wc -l || true)
missed=$(grep -h '^target MISSED' "${outputs[@]}" | wc -l || true)
echo "targets met: $met, missed: $missed; benchmarks ran for ${elapsed} s"

if [[ -z "$tag" ]]; then
    if command -v gnuplot >/dev/null; then
        for stem in "${stems[@]}"; do
            gp="$root/bench/${stem%_bench}.gp"
            [[ -e "$gp" ]] || continue
            echo "== gnuplot $(basename "$gp") -> $images"
            (cd "$results" && gnuplot -e "images='$images'" "$gp")
        done
    else
        echo "run-bench.sh: gnuplot not found: no plots" >&2
    fi
fi

if [[ $quick -eq 0 ]] && command -v python3 > /dev/null; then
    # The documentation's tables (doc/bench_tables.adoc), from g++'s and clang's results.
    python3 "$root/tools/bench-tables.py" "$results" "$root/doc/bench_tables.adoc"
fi

echo "Results in $results${tag:+ (tag $tag)}"
