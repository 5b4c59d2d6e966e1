#!/usr/bin/env bash
# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# THE test command. Builds and runs every test in test/Jamfile in several
# configurations, each in its own directory under build/:
#
#   gcc       g++ Release (-O3 -DNDEBUG)        ctest, with the examples
#   asan      clang++-16 -O2 -g, assertions on, -fsanitize=address,undefined:
#             ctest (the no-sanitizer tests are not even built)
#   tsan      clang++-16 -O2 -g, assertions on, -fsanitize=thread:
#             ctest -L threads
#   debug     g++ -O0 -g, assertions on: ctest without zero_alloc
#   fuzz      test/fuzz/fuzz_chains.cpp, clang++-16 libFuzzer with ASan and
#             UBSan: replays test/fuzz/corpus, then fuzzes for
#             BOOST_AFFINE_FUZZ_SECONDS (default 30)
#   b2        b2 toolset=clang-16 test          (the Jamfile, built by b2 with clang
#             16, Asio's examples included; beast_loopback left out: Beast 1.81's
#             flex server does not compile with clang 16, see test/Jamfile)
#   clang     clang++-16 Release ctest: not in the default run (b2 builds and runs
#             the same tests with clang 16); BOOST_AFFINE_STAGES=clang runs it
#   consumer  cmake --install + find_package consumer, and an
#             add_subdirectory consumer
#   docs      tools/build-docs.sh (AsciiDoc, warnings fail) and
#             tools/check-doc-snippets.sh (every doc snippet compiled and run)
#   trixie    Debian 13 in a chroot (tools/chroot.sh): g++ 14 Release ctest
#             with Asio's examples, clang++ 19 Release ctest; then Boost 1.88
#             in place of 1.83, g++ 14 Release ctest of the core tests
#   sid       Debian unstable likewise: g++ 16 with Asio's and Beast's
#             examples, clang++ 22, Boost 1.92; then Boost 1.90, g++ 16 core
#
# The chroots are made in the background from the start of the run (they need
# root, and debootstrap), in build/chroot/, once: a later run reuses them.
#
# BOOST_AFFINE_STAGES="gcc clang" runs a subset (default: all, in the order
# above). BOOST_AFFINE_JOBS sets the parallelism (default 2).
#
# Ends with a per-stage summary and, alone on the last line,
# `<tests passed> passed, <tests failed> failed`, counted over all stages.
# A stage that fails to configure or build counts one failure of its own
# (a run test that does not compile also fails in ctest: not run).
# Exits non-zero if anything failed.

set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/tools/install-deps.sh"

all_stages="gcc asan tsan fuzz debug b2 consumer docs trixie sid"
known_stages="$all_stages clang"
stages="${BOOST_AFFINE_STAGES:-$all_stages}"
jobs="${BOOST_AFFINE_JOBS:-2}"
build="$root/build"
logs="$build/logs"
mkdir -p "$logs"

for s in $stages; do
    case " $known_stages " in
        *" $s "*) ;;
        *) echo "run-tests.sh: unknown stage '$s' (known: $known_stages)" >&2; exit 2 ;;
    esac
done

# Logs and CI output are not terminals: no colour escapes in them.
if [[ ! -t 1 ]]; then
    export BOOST_TEST_COLOR_OUTPUT="${BOOST_TEST_COLOR_OUTPUT:-no}"
fi

# Sanitizer reports must fail the test that triggered them.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1:strict_init_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"

total_passed=0
total_failed=0
summary=()

# note <stage> <status> <passed> <failed> <seconds> [detail]
note() {
    total_passed=$((total_passed + $3))
    total_failed=$((total_failed + $4))
    summary+=("$(printf '%-16s %-4s %4d passed, %4d failed  (%ds)%s' \
        "$1" "$2" "$3" "$4" "$5" "${6:+  $6}")")
}

banner() {
    echo
    echo "======================================================================"
    echo "== $*"
    echo "======================================================================"
}

# run_ctest <build dir> <log> [ctest args...]: runs ctest there, tee'ing to
# <log>; sets ctest_passed and ctest_failed from its closing line. A ctest
# that finds no test, or prints no closing line, counts as one failure.
run_ctest() {
    local dir="$1" log="$2"
    shift 2
    local rc=0
    in_stage ctest --test-dir "$dir" --output-on-failure --no-tests=error -j"$jobs" "$@" \
        2>&1 | tee "$log" || rc=$?
    local line
    line=$(grep -E '[0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1 || true)
    if [[ -n "$line" ]]; then
        local total
        ctest_failed=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
        total=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")
        ctest_passed=$((total - ctest_failed))
    else
        ctest_passed=0
        ctest_failed=1
    fi
    if [[ $rc -ne 0 && $ctest_failed -eq 0 ]]; then
        ctest_failed=1
    fi
}

# A stage's commands run on this machine, or, while stage_chroot names one (a
# directory made by tools/chroot.sh), inside that chroot, where the source is
# /src (tools/chroot.sh sync) and the stage's build directory /src/build/<stage>.
stage_chroot=""
in_stage() {
    if [[ -n "$stage_chroot" ]]; then
        "$root/tools/chroot.sh" run "$stage_chroot" "$@"
    else
        "$@"
    fi
}

# cmake_stage <stage> <ctest args...> -- <cmake configure args...>
cmake_stage() {
    local stage="$1"
    shift
    local ctest_args=()
    while [[ $# -gt 0 && "$1" != "--" ]]; do
        ctest_args+=("$1")
        shift
    done
    shift
    local src="$root" dir="$build/$stage" host_dir="$build/$stage"
    if [[ -n "$stage_chroot" ]]; then
        src=/src
        dir="/src/build/$stage"
        host_dir="$stage_chroot$dir"
    fi
    local log="$logs/$stage"
    local start=$SECONDS

    banner "$stage: configure"
    if ! in_stage cmake -S "$src" -B "$dir" -G "Unix Makefiles" "$@" 2>&1 \
            | tee "$log.configure.log"; then
        note "$stage" FAIL 0 1 $((SECONDS - start)) "configure failed"
        return
    fi

    banner "$stage: build"
    # A test that no longer compiles must not run its previous executable.
    if [[ -d "$host_dir/test" ]]; then
        find "$host_dir/test" -maxdepth 1 -type f -name 'test_*' -delete
    fi
    local build_ok=1
    # -k: one test that does not compile must not hide the others.
    if ! in_stage cmake --build "$dir" -j"$jobs" -- -k 2>&1 | tee "$log.build.log"; then
        build_ok=0
    fi

    banner "$stage: test"
    run_ctest "$dir" "$log.ctest.log" "${ctest_args[@]}"
    local passed=$ctest_passed failed=$ctest_failed

    local detail=""
    if [[ $build_ok -eq 0 ]]; then
        # Counted once, besides any test that it left without an executable.
        detail="build failed"
        failed=$((failed + 1))
    fi
    if [[ $failed -eq 0 ]]; then
        note "$stage" PASS "$passed" 0 $((SECONDS - start))
    else
        note "$stage" FAIL "$passed" "$failed" $((SECONDS - start)) "$detail"
    fi
}

stage_gcc() {
    cmake_stage gcc -- \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ -DBOOST_AFFINE_WERROR=ON
}

# Tests only (the examples and benchmarks are built by g++, here and in Debian unstable).
stage_clang() {
    cmake_stage clang -- \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++-16 \
        -DBOOST_AFFINE_BUILD_EXAMPLES=OFF -DBOOST_AFFINE_BUILD_BENCH=OFF
}

stage_asan() {
    cmake_stage asan -- \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g" \
        -DCMAKE_CXX_COMPILER=clang++-16 -DBOOST_AFFINE_SANITIZE=address,undefined \
        -DBOOST_AFFINE_BUILD_EXAMPLES=OFF -DBOOST_AFFINE_BUILD_BENCH=OFF
}

stage_tsan() {
    cmake_stage tsan -L threads -- \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g" \
        -DCMAKE_CXX_COMPILER=clang++-16 -DBOOST_AFFINE_SANITIZE=thread \
        -DBOOST_AFFINE_BUILD_EXAMPLES=OFF -DBOOST_AFFINE_BUILD_BENCH=OFF
}

# -O0 with assertions. GCC 12 turns symmetric transfer into a tail call only
# from -O2, so what loops over awaits that complete at once needs -O2: the
# zero-allocation test is left out, and task's constant-stack case disables
# itself. -Wno-mismatched-new-delete: GCC 12's false positive at -O0 on
# coroutine frames (GCC bug 109224; see doc/design.adoc).
stage_debug() {
    cmake_stage debug -E zero_alloc -- \
        -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=g++ \
        -DCMAKE_CXX_FLAGS="-Wno-mismatched-new-delete" \
        -DBOOST_AFFINE_BUILD_EXAMPLES=OFF -DBOOST_AFFINE_BUILD_BENCH=OFF
}

stage_b2() {
    local start=$SECONDS
    local dir="$build/b2"
    local log="$logs/b2.log"
    banner "b2: build and run test/Jamfile"

    # The tests the Jamfile declares; b2 prints **passed** for each that
    # passes. Forget earlier results so that every test runs again (objects
    # and executables stay and are not rebuilt).
    local total
    # beast_loopback is left out (--no-beast-loopback).
    total=$(grep -cE '^[[:space:]]*(run|compile|compile-fail)[[:space:]]' "$root/test/Jamfile" || true)
    total=$((total - 1))
    if [[ -d "$dir" ]]; then
        find "$dir" \( -name '*.test' -o -name '*.run' -o -name '*.output' \) -type f -delete
    fi

    local rc=0
    b2 -j"$jobs" toolset=clang-16 --no-beast-loopback --build-dir="$dir" test 2>&1 | tee "$log" || rc=$?
    local passed
    passed=$(grep -c '^\*\*passed\*\*' "$log" || true)
    local failed=$((total - passed))
    if [[ $failed -lt 0 ]]; then
        failed=0
    fi
    if [[ $rc -ne 0 && $failed -eq 0 ]]; then
        failed=1
    fi
    if [[ $total -eq 0 ]]; then
        failed=1
    fi
    if [[ $failed -eq 0 ]]; then
        note b2 PASS "$passed" 0 $((SECONDS - start))
    else
        note b2 FAIL "$passed" "$failed" $((SECONDS - start)) "b2 exit $rc"
    fi
}

stage_fuzz() {
    local start=$SECONDS
    local dir="$build/fuzz"
    local log="$logs/fuzz.log"
    local seconds="${BOOST_AFFINE_FUZZ_SECONDS:-30}"
    banner "fuzz: test/fuzz/fuzz_chains.cpp, the corpus then ${seconds}s of fuzzing"
    mkdir -p "$dir"
    rm -rf "$dir/new-corpus"
    mkdir -p "$dir/new-corpus"
    # Replays every input of the kept corpus, then explores from it (new
    # inputs go to build/, never into the repository's corpus).
    if { clang++-16 -std=c++20 -O2 -g -Wall -Wextra -Werror \
             -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
             -I"$root/include" "$root/test/fuzz/fuzz_chains.cpp" -o "$dir/fuzz_chains" -pthread \
         && "$dir/fuzz_chains" -max_len=64 -max_total_time="$seconds" -print_final_stats=1 \
             "$dir/new-corpus" "$root/test/fuzz/corpus"; } > "$log" 2>&1; then
        tail -n 3 "$log"
        note fuzz PASS 1 0 $((SECONDS - start))
    else
        tail -n 40 "$log"
        note fuzz FAIL 0 1 $((SECONDS - start))
    fi
}

stage_docs() {
    local start=$SECONDS
    local passed=0 failed=0
    banner "docs: AsciiDoc build (no warnings) and compiled snippets"
    local step
    for step in build-docs check-doc-snippets; do
        if "$root/tools/$step.sh" > "$logs/docs.$step.log" 2>&1; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            tail -n 30 "$logs/docs.$step.log"
        fi
    done
    if [[ $failed -eq 0 ]]; then
        note docs PASS "$passed" 0 $((SECONDS - start))
    else
        note docs FAIL "$passed" "$failed" $((SECONDS - start))
    fi
}

stage_consumer() {
    local start=$SECONDS
    local passed=0 failed=0
    local lib="$build/consumer/lib"
    local prefix="$build/consumer/prefix"
    local log="$logs/consumer"
    rm -rf "$prefix"

    banner "consumer: install Boost.Affine to $prefix"
    local installed=1
    if ! { cmake -S "$root" -B "$lib" -DCMAKE_CXX_COMPILER=g++ \
               -DBOOST_AFFINE_BUILD_TESTS=OFF -DBOOST_AFFINE_BUILD_EXAMPLES=OFF \
               -DBOOST_AFFINE_BUILD_BENCH=OFF \
           && cmake --build "$lib" -j"$jobs" \
           && cmake --install "$lib" --prefix "$prefix"; } 2>&1 | tee "$log.lib.log"; then
        installed=0
        failed=$((failed + 1))
    fi

    local consumer
    for consumer in install subdir; do
        local src="$root/test/cmake_${consumer}_test"
        local dir="$build/consumer/$consumer-test"
        local args=(-DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Release)
        if [[ $consumer == install ]]; then
            if [[ $installed -eq 0 ]]; then
                failed=$((failed + 1))
                continue
            fi
            args+=("-DCMAKE_PREFIX_PATH=$prefix")
        fi
        banner "consumer: $consumer"
        rm -rf "$dir"
        if ! { cmake -S "$src" -B "$dir" "${args[@]}" \
               && cmake --build "$dir" -j"$jobs"; } 2>&1 | tee "$log.$consumer.log"; then
            failed=$((failed + 1))
            continue
        fi
        run_ctest "$dir" "$log.$consumer.ctest.log"
        passed=$((passed + ctest_passed))
        failed=$((failed + ctest_failed))
    done

    if [[ $failed -eq 0 ]]; then
        note consumer PASS "$passed" 0 $((SECONDS - start))
    else
        note consumer FAIL "$passed" "$failed" $((SECONDS - start))
    fi
}

# The Debian releases of the matrix, each in a chroot under build/chroot/ made by
# tools/chroot.sh (debootstrap, from the archive this machine's apt configuration
# names), its compilers and Boost from its own packages; then the same chroot with
# a second Boost of that release.
trixie_packages=(g++-14 clang-19 cmake make
    libboost1.83-dev libboost-test1.83-dev libboost-container1.83-dev)
trixie_second_boost=(libboost1.88-dev libboost-test1.88-dev libboost-container1.88-dev)
sid_packages=(g++-16 clang-22 cmake make libssl-dev
    libboost1.92-dev libboost-test1.92-dev libboost-container1.92-dev libboost-cobalt1.92-dev)
sid_second_boost=(libboost1.90-dev libboost-test1.90-dev libboost-container1.90-dev)

declare -A chroot_pid=()

# Starts making the chroot of <suite> in the background: debootstrap fetches while the
# stages before it build.
start_chroot() {
    local suite="$1"
    local -n packages="${suite}_packages"
    if [[ $(id -u) -ne 0 ]]; then
        return
    fi
    "$root/tools/chroot.sh" make "$build/chroot/$suite" "$suite" "${packages[@]}" \
        > "$logs/chroot-$suite.log" 2>&1 &
    chroot_pid[$suite]=$!
}

# The core of the suite, for the second Boost of a release: what meets Asio most, and the
# migrated Asio examples (example_loopback runs them; the echo server example runs too).
core_tests="task;use_affine;co_spawn;awaitable_operators;affinity;reliability;zero_alloc;modern_asio;example_loopback"

# chroot_stage <suite> <g++> <clang++> <Beast examples: ON|OFF> <second Boost>: in the chroot of
# <suite>, its g++ with the examples (Asio's; Beast's too if asked) and, where the release
# packages Boost.Cobalt, the two benchmarks that run it beside the library (a quick run of
# each is a test), and its clang++, the tests only, all Release with -Werror on everything;
# then with <second Boost> installed in place of the first, its g++ with the core tests and
# Asio's examples ($core_tests).
chroot_stage() {
    local suite="$1" gxx="$2" clangxx="$3" beast="$4" second="$5"
    local -n second_packages="${suite}_second_boost"
    local dir="$build/chroot/$suite"
    local start=$SECONDS
    banner "$suite: Debian $suite in $dir"
    if [[ $(id -u) -ne 0 ]]; then
        note "$suite" FAIL 0 1 0 "needs root (debootstrap, chroot); BOOST_AFFINE_STAGES leaves it out"
        return
    fi
    if ! wait "${chroot_pid[$suite]}"; then
        tail -n 30 "$logs/chroot-$suite.log"
        note "$suite" FAIL 0 1 $((SECONDS - start)) "debootstrap failed (build/logs/chroot-$suite.log)"
        return
    fi
    # The release's own Boost (a chroot kept from an earlier run may hold the second).
    local -n packages="${suite}_packages"
    if ! "$root/tools/chroot.sh" install "$dir" "${packages[@]}" > "$logs/chroot-$suite-boost.log" 2>&1; then
        tail -n 30 "$logs/chroot-$suite-boost.log"
        note "$suite" FAIL 0 1 $((SECONDS - start)) "apt-get install failed"
        return
    fi
    "$root/tools/chroot.sh" sync "$dir"
    note "$suite" PASS 0 0 $((SECONDS - start)) "chroot ready (waited for debootstrap)"

    stage_chroot="$dir"
    local no_beast=()
    if [[ $beast != ON ]]; then
        no_beast=(-DCMAKE_DISABLE_FIND_PACKAGE_OpenSSL=ON)
    fi
    local cobalt_bench=(-DBOOST_AFFINE_BUILD_BENCH=OFF)
    if [[ -d "$dir/usr/include/boost/cobalt" ]]; then
        cobalt_bench=(-DBOOST_AFFINE_BUILD_BENCH=ON -DBOOST_AFFINE_BENCH_ONLY="task_bench;memory_bench")
    fi
    cmake_stage "$suite-gcc${gxx#g++-}" -- \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$gxx" -DBOOST_AFFINE_WERROR=ON \
        "${cobalt_bench[@]}" "${no_beast[@]}"
    cmake_stage "$suite-clang${clangxx#clang++-}" -- \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$clangxx" -DBOOST_AFFINE_WERROR=ON \
        -DBOOST_AFFINE_BUILD_EXAMPLES=OFF -DBOOST_AFFINE_BUILD_BENCH=OFF

    start=$SECONDS
    banner "$suite: Boost $second in place of the release's own"
    if "$root/tools/chroot.sh" install "$dir" "${second_packages[@]}" \
            > "$logs/chroot-$suite-boost$second.log" 2>&1; then
        cmake_stage "$suite-boost$second" -- \
            -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$gxx" -DBOOST_AFFINE_WERROR=ON \
            -DBOOST_AFFINE_BUILD_BENCH=OFF -DCMAKE_DISABLE_FIND_PACKAGE_OpenSSL=ON \
            -DBOOST_AFFINE_TEST_ONLY="$core_tests"
    else
        tail -n 30 "$logs/chroot-$suite-boost$second.log"
        note "$suite-boost$second" FAIL 0 1 $((SECONDS - start)) "apt-get install failed"
    fi
    stage_chroot=""
}

# Debian 13: g++ 14 (with Asio's examples), clang 19, Boost 1.83; then Boost 1.88.
stage_trixie() {
    chroot_stage trixie g++-14 clang++-19 OFF 1.88
}

# Debian unstable: g++ 16 (with Asio's and Beast's examples), clang 22, Boost 1.92; then
# Boost 1.90.
stage_sid() {
    chroot_stage sid g++-16 clang++-22 ON 1.90
}

for s in $stages; do
    case "$s" in
        trixie | sid) start_chroot "$s" ;;
    esac
done

for s in $stages; do
    "stage_$s"
done

echo
echo "======================================================================"
echo "== Summary (logs in build/logs/)"
echo "======================================================================"
for line in "${summary[@]}"; do
    echo "$line"
done
echo "$total_passed passed, $total_failed failed"

if [[ $total_failed -ne 0 ]]; then
    exit 1
fi
