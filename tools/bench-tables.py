#!/usr/bin/env python3
# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# The tables of doc/benchmarks.adoc, from the benchmarks' JSON results: reads
# <results>/{task,echo,memory,frame_pool}.json (g++) and the same with the
# -clang suffix (clang), and writes an AsciiDoc file of tagged regions that
# doc/benchmarks.adoc includes (include::bench_tables.adoc[tag=NAME]).
#
#   tools/bench-tables.py [results_dir] [output_file]
#
# Defaults: bench/results and doc/bench_tables.adoc, in the repository. A
# missing results file is no error: the regions that need it say
# "(no results)". Whatever the script cannot map (a case, a home, an
# implementation it does not know) is reported on standard error.
#
# Regions: provenance, task-io, task-strand, echo, echo-allocs, memory,
# frame-pool, clang, sizes, targets, targets-clang.

import json
import math
import os
import re
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BENCHES = ['task', 'echo', 'memory', 'frame_pool']
COMPILERS = ['gcc', 'clang']           # '' and '-clang' suffixes
SUFFIX = {'gcc': '', 'clang': '-clang'}
DEFAULT_NAME = {'gcc': 'g{pp}', 'clang': 'clang'}
IMPLS = ['affine', 'awaitable', 'callbacks', 'floor']
HOME_IO = 'io_context'
HOME_STRAND = 'strand/tp2'

warnings = []


def warn(msg):
    if msg not in warnings:
        warnings.append(msg)


# ---------------------------------------------------------------- formatting

def fmt_time(v):
    """4 significant digits, at most 2 decimals, never fewer digits than the
    integer part; thousands separators (22.73, 8.24, 112.6, 1,574, 18,212)."""
    if v is None:
        return '-'
    a = abs(v)
    if a >= 999.5:
        return '{:,}'.format(int(round(v)))
    intdigits = len(str(int(a))) if a >= 1 else 1
    decimals = min(2, max(0, 4 - intdigits))
    if abs(round(v, decimals)) >= 10 ** intdigits:   # 99.996 -> 100.0
        decimals = min(2, max(0, 4 - intdigits - 1))
    return '{:,.{}f}'.format(v, decimals)


def fmt_ratio(v):
    return '-' if v is None else '{:.2f}'.format(v)


def fmt_bytes(v):
    return '-' if v is None else '{:,}'.format(int(round(v)))


def fmt_sci(v, digits):
    """v < 0.01 in the doc's short scientific form: 2.0e-4, 3.96e-5."""
    m, e = '{:.{}e}'.format(v, digits - 1).split('e')
    return '{}e{}'.format(m, int(e))


def fmt_sig(v, digits):
    """digits significant digits, trailing zeros dropped, an integer part
    never shortened (1,345), scientific below 0.01."""
    if v is None:
        return '-'
    if v == 0:
        return '0'
    a = abs(v)
    if a < 0.01 and float(fmt_sci(a, digits)) < 0.01:
        return fmt_sci(v, digits)
    if a >= 10 ** digits - 0.5:
        return '{:,}'.format(int(round(v)))
    s = '{:.{}g}'.format(v, digits)
    if 'e' in s:                       # 999.7 with 3 digits -> 1e+03
        return '{:,}'.format(int(round(v)))
    return s


def fmt_allocs(v):
    """Allocations per operation: 0, 2, 5.8e-4, 0.0256, 2.01."""
    if v is None:
        return '-'
    return fmt_sig(v, 2 if 0 < abs(v) < 0.01 else 3)


def fmt_measured(v, digits=3):
    """A target's value or limit: digits significant digits, trailing zeros
    kept (1.00, 0.700), an integer as such, scientific below 0.01."""
    if v is None:
        return '-'
    if isinstance(v, bool):
        return 'yes' if v else 'no'
    if v == int(v):
        return '{:,}'.format(int(v))
    a = abs(v)
    if a < 0.01:
        return fmt_sci(v, digits)
    if a >= 10 ** digits - 0.5:
        return '{:,}'.format(int(round(v)))
    if a >= 1:
        intdigits = len(str(int(a)))
        if round(a, max(0, digits - intdigits)) >= 10 ** intdigits:   # 99.96
            intdigits += 1
        decimals = max(0, digits - intdigits)
    else:                              # 0.0500: leading zeros do not count
        decimals = digits - 1 - int(math.floor(math.log10(a)))
        if round(a, decimals) >= 10 ** (math.floor(math.log10(a)) + 1):
            decimals -= 1
    return '{:,.{}f}'.format(v, decimals)


def fmt_value(t):
    """A target's value, with more digits where 3 would hide why it is (not)
    met (1.003 > 1, not 1.00)."""
    v, limit, rel = t.get('value'), t.get('limit'), t.get('relation')
    test = {'<=': lambda a, b: a <= b, '>=': lambda a, b: a >= b,
            '<': lambda a, b: a < b, '>': lambda a, b: a > b}.get(rel)
    if not isinstance(v, (int, float)) or isinstance(v, bool) \
            or not isinstance(limit, (int, float)) or test is None:
        return fmt_measured(v)
    for digits in range(3, 7):
        s = fmt_measured(v, digits)
        try:
            shown = float(s.replace(',', ''))
        except ValueError:
            return s
        if test(shown, limit) == test(v, limit):
            return s
    return s


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def esc_text(s):
    """Text from the JSON, made safe for AsciiDoc (and for table cells)."""
    s = str(s).replace('++', '{pp}')
    s = s.replace('<=', '\\<=').replace('=>', '\\=>')
    return s.replace('|', '\\|')


def compiler_label(meta, comp):
    """('g{pp}', '12') from "g++ 12.2.0"; ('clang', '16') from "clang++ 16.0.6"."""
    c = (meta or {}).get('compiler', '') or ''
    m = re.match(r'\s*(\S+?)\s+(\d+)', c)
    if not m:
        return DEFAULT_NAME[comp], ''
    name, major = m.group(1), m.group(2)
    if name.startswith('g++'):
        name = 'g{pp}'
    elif name.startswith('clang'):
        name = 'clang'
    else:
        name = esc_text(name)
    return name, major


# ------------------------------------------------------------------ results

class Results:
    """One JSON file: rows by (group, param, home, impl)."""

    def __init__(self, path, data):
        self.path = path
        self.data = data
        self.rows = {}
        self.order = []                # (group, param, home) in file order
        for r in data.get('results', []):
            key3 = (r.get('group', ''), r.get('param', ''), r.get('home', ''))
            if key3 not in self.order:
                self.order.append(key3)
            self.rows[key3 + (r.get('impl', ''),)] = r

    def row(self, group, param, home, impl):
        return self.rows.get((group, param, home, impl))

    def median(self, group, param, home, impl, key='median'):
        r = self.row(group, param, home, impl)
        if r is None or r.get(key) is None:
            return None
        return float(r[key])

    def allocs(self, group, param, home, impl):
        """Allocations per operation: the total over all runs divided by
        the operations (as bench/bench_common.hpp counts them), else the
        median of the runs' figures."""
        r = self.row(group, param, home, impl)
        if r is None:
            return None
        t, n = r.get('allocs_total'), r.get('ops_total')
        if t is not None and n:
            return float(t) / float(n)
        v = r.get('allocs_per_op_median')
        return None if v is None else float(v)

    def impls(self):
        return sorted({k[3] for k in self.rows})


def load(results_dir):
    res = {}
    for comp in COMPILERS:
        for b in BENCHES:
            path = os.path.join(results_dir, b + SUFFIX[comp] + '.json')
            if not os.path.exists(path):
                res[(b, comp)] = None
                continue
            try:
                with open(path, encoding='utf-8') as f:
                    res[(b, comp)] = Results(path, json.load(f))
            except (OSError, ValueError) as e:
                warn('cannot read {}: {}; taken as missing'.format(path, e))
                res[(b, comp)] = None
    return res


def fname(b, comp):
    return b + SUFFIX[comp] + '.json'


# ------------------------------------------------------------------ output

class Out:
    def __init__(self):
        self.lines = []
        self.tags = []

    def add(self, *lines):
        self.lines.extend(lines)

    def begin(self, tag):
        self.tags.append(tag)
        self.add('// tag::{}[]'.format(tag))

    def end(self, tag):
        self.add('// end::{}[]'.format(tag), '')

    def no_results(self, *missing):
        self.add('(no results)')
        for m in missing:
            self.add('// missing: {}'.format(m))

    def region(self, tag, missing, write):
        """A tagged region: `write(self)`, or "(no results)" naming the
        `missing` inputs when there are any."""
        self.begin(tag)
        if missing:
            self.no_results(*missing)
        else:
            write(self)
        self.end(tag)

    def table(self, cols, header, rows):
        self.add('[cols="{}",options="header"]'.format(cols), '|===')
        self.add(row_line(header))
        for r in rows:
            self.add(row_line(r))
        self.add('|===')


def row_line(cells):
    """A table row; a cell given as (text, span) spans span columns."""
    parts = []
    for c in cells:
        if isinstance(c, tuple):
            parts.append('{}+| {}'.format(c[1], c[0]))
        else:
            parts.append('| ' + c if c != '' else '|')
    return ' '.join(parts)


# ------------------------------------------------------------- task tables

def task_case_label(group, param, home, unit, where=False):
    """The doc's label of a case of bench_task; where=True adds the home (for
    the g++/clang table). None for a group it does not know."""
    h = {HOME_IO: '`io_context`', HOME_STRAND: 'strand'}.get(home, esc_text(home))
    m = re.match(r'depth=(\d+)$', param)
    if group == 'nested' and m:
        if where:
            return 'nested, depth {}, {} (ns/level)'.format(m.group(1), h)
        return 'nested, depth {} (ns/level)'.format(m.group(1))
    if group == 'post' and param == '':
        return '`post`, ' + h if where else '`post`'
    if group == 'post' and param == 'any_io_executor':
        base = '`post` to an `any_io_executor`'
        return base + ', ' + h if where else base
    if group == 'timer' and param == 'expiry=0':
        return 'timer, zero expiry, ' + h if where else 'timer, zero expiry'
    if group == 'ping-pong':
        if where:
            return 'ping-pong, ' + h
        return 'ping-pong, {} (round trip)'.format(esc_text(param))
    if group in ('a && b', 'a || b') and param == '2 posts':
        op = '`{}`'.format(esc_text(group))
        return op + ', ' + h if where else op + ' (each posts once)'
    if group == 'spawn':
        if where:
            return '`co_spawn`, ' + h
        m = re.match(r'(\d+)-level chain$', param)
        if m:
            return '`co_spawn` of a {}-level chain'.format(m.group(1))
        return '`co_spawn`, {}'.format(esc_text(param))
    return None


def is_size_group(group):
    return group.startswith('sizeof') or group.startswith('frame:')


def task_table(out, res, home, title):
    cases = [k for k in res.order if k[2] == home and not is_size_group(k[0])]
    rows = []
    for group, param, h in cases:
        units = {r['unit'] for k, r in res.rows.items() if k[:3] == (group, param, h)}
        unit = ', '.join(sorted(u for u in units if u))
        label = task_case_label(group, param, h, unit)
        if label is None:
            warn('{}: case "{}" "{}" has no label; shown as is'.format(
                os.path.basename(res.path), group, param))
            label = esc_text('{} {} ({})'.format(group, param, unit).replace(' ()', ''))
        med = {i: res.median(group, param, h, i) for i in IMPLS}
        rows.append([label] + [fmt_time(med[i]) for i in IMPLS]
                    + [fmt_ratio(ratio(med['affine'], med['awaitable'])),
                       fmt_ratio(ratio(med['affine'], med['floor'])),
                       ', '.join(fmt_allocs(res.allocs(group, param, h, i)) for i in IMPLS)])
    out.add('.' + title)
    out.table('3,1,1,1,1,1,1,2',
              ['case (unit)', 'affine', 'awaitable', 'callbacks', 'floor',
               'affine / awaitable', 'affine / floor',
               'allocations per op: affine, awaitable, callbacks, floor'], rows)


# ------------------------------------------------------------------- echo

ECHO_METRICS = [
    ('echo', 'median', 'requests/s'),
    ('echo p50', 'p50_us', 'p50 round trip (µs)'),
    ('echo p99', 'p99_us', 'p99 round trip (µs)'),
    ('echo server CPU', 'server_cpu_us_per_req', 'server CPU per request (µs)'),
]
ECHO_GROUPS = {m[0] for m in ECHO_METRICS}


def echo_where(param, home):
    m = re.match(r'(\d+) conn', param)
    n = m.group(1) if m else esc_text(param)
    h = {HOME_IO: '`io_context`',
         HOME_STRAND: '`thread_pool(2)`, strands'}.get(home, esc_text(home))
    return '{} ({})'.format(n, h)


def echo_metric(res, group, key, param, home, impl):
    v = res.median(group, param, home, impl)
    if v is None and key != 'median':  # the figure kept beside throughput
        v = res.median('echo', param, home, impl, key)
    return v


def echo_table(out, res):
    for g, p, h in res.order:
        if g not in ECHO_GROUPS:
            warn('echo.json: group "{}" not shown'.format(g))
        if h not in (HOME_IO, HOME_STRAND):
            warn('echo.json: home "{}" has no label; shown as is'.format(h))
    points = [(p, h) for g, p, h in res.order if g == 'echo']
    rows = []
    for param, home in points:
        for group, key, label in ECHO_METRICS:
            v = {i: echo_metric(res, group, key, param, home, i) for i in IMPLS}
            rows.append([echo_where(param, home), label] + [fmt_time(v[i]) for i in IMPLS]
                        + [fmt_ratio(ratio(v['affine'], v['awaitable'])),
                           fmt_ratio(ratio(v['affine'], v['floor']))])
    out.table('2,2,1,1,1,1,1,1',
              ['connections (server)', 'metric', 'affine', 'awaitable', 'callbacks',
               'floor', 'affine / awaitable', 'affine / floor'], rows)


def join_words(items):
    if len(items) <= 1:
        return ''.join(items)
    return ', '.join(items[:-1]) + ' and ' + items[-1]


def echo_allocs(out, res):
    homes = []
    for g, p, h in res.order:
        if g == 'echo' and h not in homes:
            homes.append(h)
    home_name = {HOME_IO: 'the `io_context`', HOME_STRAND: 'the `thread_pool(2)`'}
    parts = []
    for home in homes:
        figures = []                   # (impl, text) in IMPLS order
        for impl in IMPLS:
            total = ops = 0
            seen = False
            for k, r in res.rows.items():
                if k[0] == 'echo' and k[2] == home and k[3] == impl:
                    seen = True
                    total += r.get('allocs_total') or 0
                    ops += r.get('ops_total') or 0
            if not seen:
                continue
            v = total / ops if ops else None
            text = fmt_allocs(v)
            if impl == 'affine' and v and v < 0.01:
                text += ' ({:,} in {:,} requests)'.format(int(total), int(ops))
            figures.append((impl, text))
        where = home_name.get(home, '`{}`'.format(esc_text(home)))
        missing = [i for i in IMPLS if i not in [f[0] for f in figures]]
        if figures and all(t == '0' for _, t in figures):
            who = 'every implementation' if not missing else join_words([f[0] for f in figures])
            parts.append('0 for {} on {}'.format(who, where))
            continue
        groups = []                    # consecutive impls with the same figure
        for impl, text in figures:
            if groups and groups[-1][1] == text:
                groups[-1][0].append(impl)
            else:
                groups.append(([impl], text))
        parts.append('on {}, {}'.format(
            where, ', '.join('{} {}'.format(join_words(g), t) for g, t in groups)))
    if not parts:
        out.no_results('echo rows in ' + res.path)
        return
    out.add('Allocations per request: ' + '; '.join(parts) + '.')


# ----------------------------------------------------------------- memory

MEMORY_ROWS = [
    ('heap per session', 'C heap, {} (bytes)', 'bytes'),
    ('RSS per session', 'resident set, {} (bytes)', 'bytes'),
    ('heap per session', 'calls to `malloc` & co., {}', 'allocs'),
]


def memory_table(out, res):
    rows = []
    for comp in COMPILERS:
        r = res[('memory', comp)]
        name = compiler_label(r.data if r else None, comp)[0]
        if r is None:
            rows.append([name, ('(no results)', 5)])
            continue
        for group, label, kind in MEMORY_ROWS:
            key = next((k for k in r.order if k[0] == group), None)
            if key is None:
                rows.append([label.format(name), ('(no results)', 5)])
                continue
            if kind == 'bytes':
                v = {i: r.median(key[0], key[1], key[2], i) for i in IMPLS}
                rows.append([label.format(name)] + [fmt_bytes(v[i]) for i in IMPLS]
                            + [fmt_ratio(ratio(v['affine'], v['awaitable']))])
            else:
                rows.append([label.format(name)]
                            + [fmt_allocs(r.allocs(key[0], key[1], key[2], i)) for i in IMPLS]
                            + [''])
        for g, p, h in r.order:
            if g not in ('heap per session', 'RSS per session'):
                warn('{}: group "{}" not shown'.format(fname('memory', comp), g))
    out.table('3,1,1,1,1,1',
              ['per session', 'affine', 'awaitable', 'callbacks', 'floor',
               'affine / awaitable'], rows)


# ------------------------------------------------------------- frame pool

POOL_COLUMNS = [
    ('frame_pool', '`frame_pool`'),
    ('any_frame_allocator', 'through `any_frame_allocator`'),
    ('malloc', '`malloc`'),
    ('pmr_unsync', 'pmr unsynchronized pool'),
    ('pmr_sync', 'pmr synchronized pool'),
    ('free_list', 'free list (floor)'),
]


def frame_pool_table(out, res):
    rows = []
    known = {c[0] for c in POOL_COLUMNS}
    for comp in COMPILERS:
        r = res[('frame_pool', comp)]
        name = compiler_label(r.data if r else None, comp)[0]
        if r is None:
            rows.append([name, ('(no results)', len(POOL_COLUMNS))])
            continue
        for impl in r.impls():
            if impl not in known:
                warn('{}: implementation "{}" not shown'.format(fname('frame_pool', comp), impl))
        for group, param, home in r.order:
            label = '{}, {}'.format(esc_text(group), name)
            rows.append([label] + [fmt_time(r.median(group, param, home, c[0]))
                                   for c in POOL_COLUMNS])
    out.table('2,1,1,1,1,1,1', [''] + [c[1] for c in POOL_COLUMNS], rows)


# ------------------------------------------------------- clang beside g++

CLANG_ROWS = [
    ('task', 'nested', 'depth=4', HOME_IO),
    ('task', 'nested', 'depth=16', HOME_IO),
    ('task', 'nested', 'depth=64', HOME_IO),
    ('task', 'nested', 'depth=64', HOME_STRAND),
    ('task', 'post', '', HOME_IO),
    ('task', 'post', '', HOME_STRAND),
    ('task', 'post', 'any_io_executor', HOME_STRAND),
    ('task', 'ping-pong', '64 B', HOME_IO),
    ('task', 'ping-pong', '64 B', HOME_STRAND),
    ('task', 'a && b', '2 posts', HOME_IO),
    ('task', 'a && b', '2 posts', HOME_STRAND),
    ('task', 'spawn', '2-level chain', HOME_IO),
    ('echo', 'echo', '1 conn', HOME_IO),
    ('echo', 'echo', '16 conn', HOME_IO),
    ('echo', 'echo', '256 conn', HOME_IO),
]


def clang_table(out, res):
    names = {c: compiler_label(next((res[(b, c)].data for b in BENCHES if res[(b, c)]), None),
                               c)[0] for c in COMPILERS}
    rows = []
    missing = []
    for bench, group, param, home in CLANG_ROWS:
        cells = []
        present = False
        for comp in COMPILERS:
            r = res[(bench, comp)]
            if r is None:
                if fname(bench, comp) not in missing:
                    missing.append(fname(bench, comp))
                cells += ['-', '-', '-']
                continue
            a = r.median(group, param, home, 'affine')
            present = present or a is not None
            cells += [fmt_time(a),
                      fmt_ratio(ratio(a, r.median(group, param, home, 'awaitable'))),
                      fmt_ratio(ratio(a, r.median(group, param, home, 'floor')))]
        if not present:
            continue
        if bench == 'echo':
            m = re.match(r'(\d+) conn', param)
            n = m.group(1) if m else esc_text(param)
            label = 'echo, {} connection{} (requests/s)'.format(n, '' if n == '1' else 's')
        else:
            label = task_case_label(group, param, home, '', where=True)
        rows.append([label] + cells)
    g, c = names['gcc'], names['clang']
    out.table('3,1,1,1,1,1,1',
              ['case', g + ' affine', g + ' aff/aw', g + ' aff/floor',
               c + ' affine', c + ' aff/aw', c + ' aff/floor'], rows)
    for m in missing:
        out.add('', '(no results in `{}`: its columns are "-")'.format(m))


# ------------------------------------------------------------------ sizes

SIZE_LABELS = {
    'sizeof promise task<void>': '`sizeof` promise of `task<void>`',
    'sizeof promise task<int>': '`sizeof` promise of `task<int>`',
    'sizeof per-chain state': '`sizeof` per-chain state (affine: '
                              '`basic_environment<io_context::executor_type>`; '
                              'awaitable: `awaitable_thread`)',
    'sizeof use_affine op (read)': '`sizeof async_op<void(error_code, size_t)>`',
    'frame: empty task<void>': 'frame: empty `task<void>`',
    'frame: nested level (task<int>)': 'frame: nested level (`task<int>` awaiting one)',
    'frame: post loop': 'frame: `post` loop',
    'frame: timer loop': 'frame: timer loop',
    'frame: ping loop (2 x 64 B)': 'frame: ping loop (two 64-byte buffers)',
    'frame: echo side (64 B)': 'frame: echo side (64-byte buffer)',
    'frame: a && b awaiting loop': 'frame: the loop awaiting `a && b`',
    'frame: a && b operator': 'frame: `a && b` operator',
    'frame: co_spawn root (callable form)': 'frame: `co_spawn` root (callable form)',
}
SIZE_IMPLS = ['affine', 'awaitable', 'floor']


def sizes_table(out, res):
    order = []
    for comp in COMPILERS:
        r = res[('task', comp)]
        if r:
            for k in r.order:
                if is_size_group(k[0]) and k not in order:
                    order.append(k)
    names = {c: compiler_label(res[('task', c)].data if res[('task', c)] else None, c)[0]
             for c in COMPILERS}
    rows = []
    for group, param, home in order:
        label = SIZE_LABELS.get(group)
        if label is None:
            warn('task.json: size "{}" has no label; shown as is'.format(group))
            label = esc_text(group)
        cells = [label]
        for comp in COMPILERS:
            r = res[('task', comp)]
            cells += [fmt_bytes(r.median(group, param, home, i) if r else None)
                      for i in SIZE_IMPLS]
        rows.append(cells)
    header = ['']
    for comp in COMPILERS:
        header += ['{} {}'.format(names[comp], i) for i in SIZE_IMPLS]
    out.table('3,1,1,1,1,1,1', header, rows)
    for comp in COMPILERS:
        if res[('task', comp)] is None:
            out.add('', '(no results in `{}`: its columns are "-")'.format(fname('task', comp)))


# ---------------------------------------------------------------- targets

def targets_table(out, res, comp):
    rows = []
    missing = []
    for b in BENCHES:
        r = res[(b, comp)]
        if r is None:
            missing.append(fname(b, comp))
            continue
        for t in r.data.get('targets', []):
            measured = fmt_value(t)
            if t.get('note'):
                measured += ' ({})'.format(esc_text(t['note']))
            rel = {'<=': '≤', '>=': '≥', '<': '<', '>': '>', '==': '='}.get(
                t.get('relation', ''), esc_text(t.get('relation', '')))
            limit = '{} {}'.format(rel, fmt_measured(t.get('limit'))).strip()
            met = t.get('met')
            rows.append([esc_text(t.get('name', '')), measured, limit,
                         'yes' if met else ('no' if met is not None else '-')])
    if not rows:
        out.no_results(*missing)
        return
    name, major = compiler_label(next((res[(b, comp)].data for b in BENCHES
                                       if res[(b, comp)]), None), comp)
    out.add('.Targets, {} {}'.format(name, major).rstrip())
    out.table('4,3,1,1', ['target', 'measured', 'limit', 'met'], rows)
    for m in missing:
        out.add('', '(no results in `{}`)'.format(m))


# ------------------------------------------------------------- provenance

def provenance(out, res):
    present = [(b, c) for c in COMPILERS for b in BENCHES if res[(b, c)]]
    if not present:
        out.no_results('every results file')
        return

    def distinct(key, files):
        vals = []
        for f in files:
            v = res[f].data.get(key)
            if v not in [x[0] for x in vals]:
                vals.append((v, [f]))
            else:
                next(x for x in vals if x[0] == v)[1].append(f)
        return vals

    def listing(vals, fmt):
        if len(vals) == 1:
            return fmt(vals[0][0])
        return ', '.join('{} ({})'.format(fmt(v), ', '.join('`' + fname(*f) + '`' for f in fs))
                         for v, fs in vals)

    parts = []
    for comp in COMPILERS:
        files = [(b, c) for b, c in present if c == comp]
        if not files:
            continue
        comps = distinct('compiler', files)
        flags = distinct('flags', files)
        commits = distinct('commit', files)
        reps = distinct('repetitions', files)
        parts.append('{} built by {} with {} at library commit{} {}, {} repetitions'.format(
            ', '.join('`' + fname(*f) + '`' for f in files),
            listing(comps, lambda v: esc_text(v or 'an unknown compiler')),
            listing(flags, lambda v: '`{}`'.format(esc_text(v or '')) if v else 'no flags'),
            's' if len(commits) > 1 else '',
            listing(commits, lambda v: '`{}`'.format(esc_text(v or 'unknown'))),
            listing(reps, lambda v: str(v))))
    quick = [f for f in present if res[f].data.get('quick')]
    text = 'The tables come from ' + '; '.join(parts) + '. '
    if quick:
        text += ('**QUICK RUN: {} {} from `--quick` smoke runs (fewer iterations), '
                 'not measurements to quote.**'.format(
                     join_words(['`' + fname(*f) + '`' for f in quick]),
                     'is' if len(quick) == 1 else 'are'))
    else:
        text += 'All are full runs (none is a `--quick` run).'
    out.add(text)


# ------------------------------------------------------------------- main

def generate(results_dir, rel_dir):
    res = load(results_dir)
    out = Out()
    out.add('// Generated by tools/bench-tables.py from {}/*.json: do not edit by hand;'
            .format(rel_dir),
            '// run tools/bench-tables.py again after tools/run-bench.sh.', '')

    out.begin('provenance')
    provenance(out, res)
    out.end('provenance')

    task = res[('task', 'gcc')]
    gname, gmajor = compiler_label(task.data if task else None, 'gcc')
    gtitle = '{} {}'.format(gname, gmajor).rstrip()
    for tag, home, title in [
            ('task-io', HOME_IO, '{}, `io_context`, one thread'),
            ('task-strand', HOME_STRAND, '{}, strand over `thread_pool(2)`')]:
        out.begin(tag)
        if task is None:
            out.no_results(fname('task', 'gcc'))
        elif not any(k[2] == home for k in task.order):
            out.no_results('cases on ' + home + ' in ' + fname('task', 'gcc'))
        else:
            task_table(out, task, home, title.format(gtitle))
        out.end(tag)
    if task:
        for g, p, h in task.order:
            if h not in (HOME_IO, HOME_STRAND) and not is_size_group(g):
                warn('task.json: home "{}" ({} {}) not shown'.format(h, g, p))
        for i in task.impls():
            if i not in IMPLS:
                warn('task.json: implementation "{}" not shown'.format(i))

    def absent(bench, compilers=COMPILERS):
        """The files named when none of `bench`'s results for `compilers` exist."""
        if any(res[(bench, c)] for c in compilers):
            return []
        return [fname(bench, c) for c in compilers]

    echo = res[('echo', 'gcc')]
    out.region('echo', absent('echo', ['gcc']), lambda o: echo_table(o, echo))
    out.region('echo-allocs', absent('echo', ['gcc']), lambda o: echo_allocs(o, echo))
    out.region('memory', absent('memory'), lambda o: memory_table(o, res))
    out.region('frame-pool', absent('frame_pool'), lambda o: frame_pool_table(o, res))
    clang_missing = []
    for c in ['clang', 'gcc']:
        if not clang_missing and not (res[('task', c)] or res[('echo', c)]):
            clang_missing = [fname('task', c), fname('echo', c)]
    out.region('clang', clang_missing, lambda o: clang_table(o, res))
    out.region('sizes', absent('task'), lambda o: sizes_table(o, res))
    out.region('targets', [], lambda o: targets_table(o, res, 'gcc'))
    out.region('targets-clang', [], lambda o: targets_table(o, res, 'clang'))

    while out.lines and out.lines[-1] == '':
        out.lines.pop()
    return '\n'.join(out.lines) + '\n', out.tags


def main(argv):
    if len(argv) > 2 or any(a in ('-h', '--help') for a in argv):
        sys.stderr.write('usage: tools/bench-tables.py [results_dir] [output_file]\n')
        return 0 if argv and argv[0] in ('-h', '--help') else 2
    results_dir = os.path.abspath(argv[0]) if argv else os.path.join(root, 'bench', 'results')
    output = os.path.abspath(argv[1]) if len(argv) > 1 else \
        os.path.join(root, 'doc', 'bench_tables.adoc')
    if not os.path.isdir(results_dir):
        sys.stderr.write('bench-tables: no directory {}; every region says '
                         '"(no results)"\n'.format(results_dir))
    rel = os.path.relpath(results_dir, root)
    if rel.startswith('..'):
        rel = results_dir
    text, tags = generate(results_dir, rel)
    with open(output, 'w', encoding='utf-8') as f:
        f.write(text)
    for w in warnings:
        sys.stderr.write('bench-tables: ' + w + '\n')
    print('{}: {} regions ({})'.format(os.path.relpath(output), len(tags), ', '.join(tags)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
