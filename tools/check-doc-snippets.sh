#!/usr/bin/env bash
# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# Compiles and runs every documentation snippet (doc/snippets/*.cpp, each a
# program with main) with warnings as errors, in build/doc-snippets. Exits
# non-zero if one fails to compile, fails, or runs longer than 120 s.
#
#   tools/check-doc-snippets.sh [stem...]     (default: every snippet)
#
# CXX selects the compiler (default g++); BOOST_AFFINE_JOBS the number of
# snippets compiled at once (default 2).

set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

cxx="${CXX:-g++}"
jobs="${BOOST_AFFINE_JOBS:-2}"
flags=(-std=c++20 -O2 -Wall -Wextra -Werror -Iinclude -pthread)
out="$root/build/doc-snippets/$(basename "$cxx")"
mkdir -p "$out"

if [[ $# -gt 0 ]]; then
    sources=()
    for stem in "$@"; do
        sources+=("doc/snippets/$stem.cpp")
    done
else
    sources=(doc/snippets/*.cpp)
fi
if [[ ${#sources[@]} -eq 0 || ! -e "${sources[0]}" ]]; then
    echo "check-doc-snippets.sh: no snippet in doc/snippets" >&2
    exit 1
fi

# Compile, at most $jobs at a time; each compiler's output goes to a log.
pids=()
for src in "${sources[@]}"; do
    stem=$(basename "$src" .cpp)
    rm -f "$out/$stem"
    "$cxx" "${flags[@]}" "$src" -o "$out/$stem" >"$out/$stem.log" 2>&1 &
    pids+=($!)
    while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do
        wait -n || true
    done
done
for pid in "${pids[@]}"; do
    wait "$pid" || true
done

failed=0
for src in "${sources[@]}"; do
    stem=$(basename "$src" .cpp)
    if [[ ! -x "$out/$stem" ]]; then
        echo "FAIL  $src: does not compile with $cxx"
        cat "$out/$stem.log"
        failed=$((failed + 1))
        continue
    fi
    rc=0
    timeout 120 "$out/$stem" >"$out/$stem.out" 2>&1 || rc=$?
    if [[ $rc -ne 0 ]]; then
        echo "FAIL  $src: exit status $rc"
        cat "$out/$stem.out"
        failed=$((failed + 1))
    else
        echo "pass  $src"
    fi
done

echo "${#sources[@]} snippets, $failed failed ($cxx)"
[[ $failed -eq 0 ]]
