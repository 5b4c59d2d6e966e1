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
#   bench/ablation/run.py [--cxx g++] [--rounds 5] [--probe nested,post,pingpong,memory] [--at REV]
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
FI = 'boost/affine/detail/frame_pool_impl.hpp'  # its name at PINNED
UA = 'boost/affine/use_affine.hpp'
BE = 'boost/affine/detail/basic_environment.hpp'
PR = 'boost/affine/protocol.hpp'
EN = 'boost/affine/environment.hpp'

# The experiments of the earlier rounds (the cancelled-co_await throw out of
# line, no elided() bookkeeping with GCC, the thread state and the pool inline
# with GCC, frame_pool devirtualised, async_op without atomic read-modify-writes,
# completions dispatched home, finer size classes) are in the library now;
# see doc/benchmarks.adoc. What is left to measure is what remains per level.
no_stats = [
    (FI, '''                m.head = b->next;
                frame_pool_bump(r->allocations);
                return b;''', '''                m.head = b->next;
                return b;'''),
    (FI, '''                m.head = b;
                frame_pool_bump(r->deallocations);
                return;''', '''                m.head = b;
                return;'''),
]
no_cancel_check = [
    (AT, '''        if (env.cancellation_state().cancelled() != asio::cancellation_type::none &&
            env.throw_if_cancelled()) [[unlikely]]
            throw_cancelled();''', ''),
]
no_misuse_check = [
    (TK, '''        if (!valid())
            detail::report_misuse(''', '''        if (false)
            detail::report_misuse('''),
]
no_dispatch_check = [
    (PR, '''                if (d && c) [[likely]]
                    return detail::dispatch_to(*d, c);''', '''                if (d && c) [[likely]]
                    return c;'''),
]
no_handler_executor = [
    (UA, '''    using executor_type = handler_executor;
    executor_type get_executor() const noexcept { return handler_executor(*op_->env_); }''', ''),
]

# name: (description, patches)
variants = {
    'base': ('the library as it is', []),
    'no_stats': ("frame_pool's statistics counters not kept on the fast path (UNSAFE: "
                 "statistics() wrong)", no_stats),
    'no_cancel_check': ("co_await does not check the chain's cancellation first (UNSAFE: "
                        "Asio's throw_if_cancelled behaviour lost)", no_cancel_check),
    'no_misuse_check': ("co_await of a task does not check it is valid (UNSAFE: awaiting an "
                        "empty task is undefined)", no_misuse_check),
    'no_dispatch_check': ("final_suspend transfers to the awaiter without checking this thread "
                          "runs the chain (UNSAFE in general)", no_dispatch_check),
    'all_four': ('the four above together', no_stats + no_cancel_check + no_misuse_check +
                 no_dispatch_check),
    'no_handler_executor': ("handlers without the associated handler_executor (UNSAFE: "
                            "loses affinity; shows what Asio's work_dispatcher and the "
                            "executor indirection cost)", no_handler_executor),
}

probes = {
    'nested': ('bench/ablation/nested.cpp', ['base', 'no_stats', 'no_cancel_check',
                                             'no_misuse_check', 'no_dispatch_check', 'all_four'],
               'ns/level', ['20000000'], ['160000', '320000'], 176000),
    'post': ('bench/ablation/post.cpp', ['base', 'no_handler_executor'],
             'ns/post', ['2000000'], ['50000', '100000'], 55000),
}


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout


# The commit whose headers the patches above are written against, and whose
# figures doc/benchmarks.adoc quotes. The probes measure that tree (extracted
# with git archive), not the working tree, so that the figures can be
# reproduced; --at names another commit (the patches must then apply to it).
PINNED = '2b78acd'
pinned = PINNED


def pinned_include():
    d = os.path.join(work, 'tree-' + pinned)
    if not os.path.exists(os.path.join(d, 'include')):
        os.makedirs(d, exist_ok=True)
        archive = subprocess.run(['git', '-C', root, 'archive', pinned, 'include'], check=True,
                                 capture_output=True).stdout
        subprocess.run(['tar', '-x', '-C', d], input=archive, check=True)
    return os.path.join(d, 'include')


def make_variant(name):
    desc, patches = variants[name]
    d = os.path.join(work, 'include-' + name)
    if os.path.exists(d):
        shutil.rmtree(d)
    shutil.copytree(pinned_include(), d)
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
    names = ['base']
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
    ap.add_argument('--probe', default='nested,post')
    ap.add_argument('--at', default=PINNED, help='the commit whose include/ is patched')
    a = ap.parse_args()
    global pinned
    pinned = a.at
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
