#!/usr/bin/env python3
# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# Where the time and the memory go: builds small probes (and two of the
# benchmarks) against copies of include/ with one change each, and measures
# what each change saves. The changes are experiments, not proposals: some
# are unsafe (they say so), they only show what a mechanism costs.
#
#   bench/ablation/run.py [--cxx g++] [--rounds 5] [--probe nested,post,pingpong,memory]
#
# Works in build/ablation/. Needs valgrind for instruction counts (optional).
# Time: medians over rounds in which every binary runs once, in turn.

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
work = os.path.join(root, 'build', 'ablation')

FA = 'boost/affine/frame_allocator.hpp'
AT = 'boost/affine/detail/await_transform.hpp'
TK = 'boost/affine/task.hpp'
FP = 'boost/affine/frame_pool.hpp'
FI = 'boost/affine/detail/frame_pool_impl.hpp'
UA = 'boost/affine/use_affine.hpp'
BE = 'boost/affine/detail/basic_environment.hpp'
PR = 'boost/affine/protocol.hpp'
EN = 'boost/affine/environment.hpp'

cold_throw = [
    (AT, '''            boost::throw_exception(
                system::system_error(asio::error::operation_aborted, "co_await"));
        return transform_operand''', '''            ablation_throw_cancelled();
        return transform_operand'''),
    (AT, '''// The tiered policy of seed 003''', '''[[noreturn]] BOOST_NOINLINE inline void ablation_throw_cancelled() {
    boost::throw_exception(system::system_error(asio::error::operation_aborted, "co_await"));
}

// The tiered policy of seed 003'''),
]
no_elided = [
    (FA, '    this_thread_state().last_frame = frame;\n', ''),
    (TK, '''        if (take_frame_allocated(
                std::coroutine_handle<task_promise>::from_promise(*this).address()))
            this->result_.flags() |= frame_allocated_flag;''', ''),
]
tls_inline = [
    (FA, '''BOOST_NOINLINE inline thread_state& this_thread_state() noexcept {
    static constinit thread_local thread_state state;
    __asm__ __volatile__("" ::: "memory");''', '''inline thread_state& this_thread_state() noexcept {
    static constinit thread_local thread_state state;'''),
]
direct_pool = [
    (FA, '''inline void* allocate_frame(std::size_t n) {
    return allocate_frame(n, current_frame_allocator());
}''', '''inline void* allocate_frame(std::size_t n) {
    void* raw = frame_pool::shared().allocate(n + sizeof(frame_header));
    ::new (raw) frame_header{};
    void* frame = static_cast<frame_header*>(raw) + 1;
    this_thread_state().last_frame = frame;
    return frame;
}'''),
    (FA, '''    any_frame_allocator owner = h->owner;
    owner.deallocate(h, n + sizeof(frame_header));''', '''    frame_pool::shared().deallocate(h, n + sizeof(frame_header));'''),
]
pool_inline = [
    (FP, '[[nodiscard]] BOOST_NOINLINE void* allocate', '[[nodiscard]] void* allocate'),
    (FP, 'BOOST_NOINLINE void deallocate', 'void deallocate'),
]
no_atomic = [
    (UA, '''        phase expected = phase::starting;
        return phase_.compare_exchange_strong(expected, phase::suspended,
                                              std::memory_order_acq_rel);''',
     '''        if (phase_.load(std::memory_order_relaxed) != phase::starting)
            return false;
        phase_.store(phase::suspended, std::memory_order_relaxed);
        return true;'''),
    (UA, '''        if (phase_.exchange(phase::completed, std::memory_order_acq_rel) == phase::starting)''',
     '''        phase const old_phase = phase_.load(std::memory_order_relaxed);
        phase_.store(phase::completed, std::memory_order_relaxed);
        if (old_phase == phase::starting)'''),
]
no_handler_executor = [
    (UA, '''    using executor_type = handler_executor;
    executor_type get_executor() const noexcept { return handler_executor(*op_->env_); }''', ''),
]
dispatch_off_home = [
    (BE, '''    void home_post_function(environment& owner, posted_function* f) override {
        post_handler(function_handler(&owner, f));
    }''', '''    void home_post_function(environment& owner, posted_function* f) override {
        if constexpr (std::is_same_v<Executor, asio::any_io_executor>) {
            post_handler(function_handler(&owner, f));
        } else {
            asio::dispatch(ex_, function_handler(&owner, f));
        }
    }'''),
]
fine_classes = [
    (FI, 'inline constexpr std::size_t frame_pool_class_count = 7;',
     'inline constexpr std::size_t frame_pool_class_count = 64;'),
    (FI, '''inline constexpr std::size_t frame_pool_max_class = frame_pool_min_class
                                                    << (frame_pool_class_count - 1);''',
     'inline constexpr std::size_t frame_pool_max_class = frame_pool_min_class * frame_pool_class_count;'),
    (FI, '''    return static_cast<std::size_t>(std::bit_width((n - 1) | (frame_pool_min_class - 1))) -
           static_cast<std::size_t>(std::bit_width(frame_pool_min_class - 1));''',
     '    return (n - 1) / frame_pool_min_class;'),
    (FI, '    return frame_pool_min_class << c;', '    return frame_pool_min_class * (c + 1);'),
    (FI, 'static_assert(frame_pool_class_of(65) == 1 && frame_pool_class_of(128) == 1);', ''),
    (FI, 'static_assert(frame_pool_class_of(0) >= frame_pool_class_count);', ''),
]

# name: (description, patches)
variants = {
    'base': ('the library as it is', []),
    'cold_throw': ("await_transform's cancellation throw moved to a noinline function "
                   "(await_transform is then inlined)", cold_throw),
    'no_elided': ('no elided() bookkeeping (last-frame store, promise check)', no_elided),
    'tls_inline': ('this_thread_state() inline, no barrier (safe with GCC only)', tls_inline),
    'direct_pool': ('frames straight from frame_pool::shared(), no any_frame_allocator '
                    'table calls (not a fix: ignores the chain allocator)', direct_pool),
    'pool_inline': ('frame_pool::allocate/deallocate inlinable (unsafe with clang 16)',
                    pool_inline),
    'gcc_all': ('cold_throw + no_elided + tls_inline + pool_inline',
                cold_throw + no_elided + tls_inline + pool_inline),
    'no_atomic': ("async_op's phase without read-modify-writes (UNSAFE across threads: "
                  "shows the atomics' cost)", no_atomic),
    'no_handler_executor': ("handlers without the associated handler_executor (UNSAFE: "
                            "loses affinity; shows what Asio's work_dispatcher and the "
                            "executor indirection cost)", no_handler_executor),
    'post_all': ('tls_inline + no_atomic + no_handler_executor',
                 tls_inline + no_atomic + no_handler_executor),
    'dispatch_off_home': ('a completion arriving off the home strand is dispatched '
                          '(blocking.possibly), not posted', dispatch_off_home),
    'fine_classes': ('frame_pool size classes every 64 bytes instead of powers of two',
                     fine_classes),
}

probes = {
    'nested': ('bench/ablation/nested.cpp', ['base', 'cold_throw', 'no_elided', 'tls_inline',
                                             'direct_pool', 'pool_inline', 'gcc_all'],
               'ns/level', ['20000000'], ['160000', '320000'], 176000),
    'post': ('bench/ablation/post.cpp', ['base', 'tls_inline', 'no_atomic',
                                         'no_handler_executor', 'post_all'],
             'ns/post', ['2000000'], ['50000', '100000'], 55000),
}


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout


def make_variant(name):
    desc, patches = variants[name]
    d = os.path.join(work, 'include-' + name)
    if os.path.exists(d):
        shutil.rmtree(d)
    shutil.copytree(os.path.join(root, 'include'), d)
    for f, old, new in patches:
        p = os.path.join(d, f)
        s = open(p).read()
        if old not in s:
            print(f'  variant {name}: a patch no longer applies to {f} (the library changed)')
            return None
        open(p, 'w').write(s.replace(old, new, 1))
    return d


def build(cxx, src, inc, out, extra=()):
    cmd = [cxx, '-std=c++20', '-O2', '-DNDEBUG', '-pthread', '-o', out, os.path.join(root, src)]
    if inc:
        cmd.insert(1, '-I' + inc)
    cmd[1:1] = list(extra)
    if 'frame_pool' in src:
        cmd.append('-lboost_container')
    subprocess.run(cmd, check=True)


def instructions(exe, sizes, per):
    if not shutil.which('valgrind'):
        return None
    counts = []
    for n in sizes:
        out = subprocess.run(['valgrind', '--tool=callgrind', '--callgrind-out-file=/dev/null',
                              exe, n, '1'], text=True, capture_output=True).stderr
        m = re.search(r'Collected : (\d+)', out)
        if not m:
            return None
        counts.append(int(m.group(1)))
    return (counts[1] - counts[0]) / per


def run_probe(cxx, name, rounds):
    src, names, unit, args, sizes, per = probes[name]
    exes = {}
    for v in names:
        inc = make_variant(v)
        if inc is None:
            continue
        exes[v] = os.path.join(work, f'{name}-{v}')
        build(cxx, src, inc, exes[v])
    exes['floor'] = os.path.join(work, f'{name}-floor')
    build(cxx, src, None, exes['floor'], ['-DFLOOR', '-I' + os.path.join(root, 'include')])
    times = {v: [] for v in exes}
    for _ in range(rounds):
        for v, exe in exes.items():
            times[v].append(float(sh([exe] + args + ['3'])))
    print(f'\n{name} ({cxx}, median of {rounds} rounds; instructions from callgrind)')
    base = statistics.median(times['base']) if 'base' in times else None
    rows = []
    for v in exes:
        t = statistics.median(times[v])
        ins = instructions(exes[v], sizes, per)
        rows.append({'variant': v, unit: t, 'instructions': ins,
                     'description': variants[v][0] if v in variants else 'the floor (floor_task.hpp)'})
        delta = f'{t - base:+7.2f}' if base is not None else ''
        print(f'  {v:20s} {t:8.2f} {unit} {delta}  '
              f'{"" if ins is None else f"{ins:6.0f} instr"}  '
              f'{variants[v][0] if v in variants else "the floor"}')
    return rows


def run_bench(cxx, name, rounds):
    """pingpong: task_bench's ping-pong; memory: memory_bench --quick."""
    results = {}
    names = ['base', 'dispatch_off_home'] if name == 'pingpong' else ['base', 'fine_classes']
    src = 'bench/task_bench.cpp' if name == 'pingpong' else 'bench/memory_bench.cpp'
    for v in names:
        inc = make_variant(v)
        if inc is None:
            continue
        exe = os.path.join(work, f'{name}-{v}')
        build(cxx, src, inc, exe)
        results[v] = exe
    print(f'\n{name} ({cxx})')
    rows = []
    for v, exe in results.items():
        vals = []
        for _ in range(rounds if name == 'pingpong' else 1):
            d = os.path.join(work, f'out-{name}-{v}')
            os.makedirs(d, exist_ok=True)
            env = dict(os.environ, BOOST_AFFINE_BENCH_RESULTS=d)
            if name == 'pingpong':
                env['BOOST_AFFINE_BENCH_ONLY'] = 'ping-pong'
                sh([exe], env=env)
                j = json.load(open(os.path.join(d, 'task.json')))
                get = lambda impl: next(r['median'] for r in j['results']
                                        if r['group'] == 'ping-pong' and r['home'] == 'strand/tp2'
                                        and r['impl'] == impl)
                vals.append(get('affine') / get('awaitable'))
            else:
                sh([exe, '--quick'], env=env)
                j = json.load(open(os.path.join(d, 'memory.json')))
                get = lambda impl: next(r['median'] for r in j['results']
                                        if r['group'] == 'heap per session' and r['impl'] == impl)
                vals.append(get('affine'))
                vals.append(get('affine') / get('awaitable'))
        if name == 'pingpong':
            m = statistics.median(vals)
            print(f'  {v:20s} strand ping-pong affine/awaitable {m:.3f}  {variants[v][0]}')
            rows.append({'variant': v, 'affine/awaitable': m, 'description': variants[v][0]})
        else:
            print(f'  {v:20s} heap per session {vals[0]:.0f} B, affine/awaitable {vals[1]:.3f}'
                  f'  {variants[v][0]}')
            rows.append({'variant': v, 'bytes': vals[0], 'affine/awaitable': vals[1],
                         'description': variants[v][0]})
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--cxx', default='g++')
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--probe', default='nested,post,pingpong,memory')
    a = ap.parse_args()
    os.makedirs(work, exist_ok=True)
    tag = '' if os.path.basename(a.cxx) == 'g++' else '-' + os.path.basename(a.cxx)
    path = os.path.join(work, f'ablation{tag}.json')
    out = json.load(open(path)) if os.path.exists(path) else {}
    for p in a.probe.split(','):
        if p in probes:
            out[p] = run_probe(a.cxx, p, a.rounds)
        else:
            out[p] = run_bench(a.cxx, p, 3)
    with open(path, 'w') as f:
        json.dump(out, f, indent=1)
    print(f'\nwrote {path} (probes of earlier runs kept)')


if __name__ == '__main__':
    main()
