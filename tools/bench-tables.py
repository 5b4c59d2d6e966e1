#!/usr/bin/env python3
# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# The tables of doc/benchmarks.adoc, from the benchmarks' JSON results: reads
# every <results>/*.json and writes an AsciiDoc file of tagged regions that
# doc/benchmarks.adoc includes (include::bench_tables.adoc[tag=NAME]).
#
#   tools/bench-tables.py [results_dir] [output_file]
#
# Defaults: bench/results and doc/bench_tables.adoc, in the repository.
#
# Nothing here knows a benchmark or a case. Each file says how its results are
# shown (bench/bench_common.hpp writes it; see report::table and report::show
# there): under "tables", each table's id (the region's tag), title, label
# columns, value columns (implementations and their headers), ratio columns,
# format (time, bytes, allocs), whether it has a column of allocations per
# operation, how the same table of several files combines ("merge"), and its
# rows: the label cells and the case (group, param, home) whose figures fill
# it, with which figure ("value": median or another key of the result).
#
# A file <benchmark>-<tag>.json is a run with another compiler (tag "clang");
# <benchmark>.json the main one. How a table declared by several files is
# rendered, by its "merge":
#   own    one region per file: <id> for the main run, <id>-<tag> for others;
#   stack  one region: the rows of every file, main run first ({compiler} in
#          a label or the title names the file's compiler);
#   side   one region: a row per label, over all files that declare the
#          table (in their "position" order); the value and ratio columns
#          repeated for each compiler, headed by its name.
# Also generated: "provenance" (what built the files) and "targets" /
# "targets-<tag>" (every target the programs checked). What cannot be shown (a
# row whose case has no results) is reported on standard error.

import json
import math
import os
import re
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

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


def compiler_label(data, tag):
    """('g{pp}', '12') from "g++ 12.2.0"; ('clang', '16') from "clang++ 16.0.6"."""
    c = (data or {}).get('compiler', '') or ''
    m = re.match(r'\s*(\S+?)\s+(\d+)', c)
    if not m:
        return (esc_text(tag) if tag else 'the compiler'), ''
    name, major = m.group(1), m.group(2)
    if name.startswith('g++'):
        name = 'g{pp}'
    elif name.startswith('clang'):
        name = 'clang'
    else:
        name = esc_text(name)
    return name, major


FORMATS = {'time': fmt_time, 'bytes': fmt_bytes, 'allocs': fmt_allocs, 'ratio': fmt_ratio}


# ------------------------------------------------------------------ results

class Results:
    """One JSON file: its results by (group, param, home, impl), its tables."""

    def __init__(self, path, data):
        self.path = path
        self.name = os.path.basename(path)
        self.data = data
        bench = data.get('benchmark', '')
        stem = self.name[:-len('.json')]
        self.tag = stem[len(bench) + 1:] if bench and stem.startswith(bench + '-') else ''
        self.compiler = compiler_label(data, self.tag)[0]
        self.rows = {}
        for r in data.get('results', []):
            key = (r.get('group', ''), r.get('param', ''), r.get('home', ''), r.get('impl', ''))
            self.rows[key] = r
        self.tables = data.get('tables', [])

    def value(self, case, impl, key):
        r = self.rows.get(tuple(case) + (impl,))
        if r is None:
            return None
        if key == 'allocs':
            # The total over all runs divided by the operations (as
            # bench/bench_common.hpp counts them), else the runs' median.
            t, n = r.get('allocs_total'), r.get('ops_total')
            if t is not None and n:
                return float(t) / float(n)
            key = 'allocs_per_op_median'
        v = r.get(key)
        return None if v is None else float(v)

    def has_case(self, case):
        return any(k[:3] == tuple(case) for k in self.rows)


def load(results_dir):
    files = []
    if os.path.isdir(results_dir):
        for n in sorted(os.listdir(results_dir)):
            if not n.endswith('.json'):
                continue
            path = os.path.join(results_dir, n)
            try:
                with open(path, encoding='utf-8') as f:
                    files.append(Results(path, json.load(f)))
            except (OSError, ValueError) as e:
                warn('cannot read {}: {}; skipped'.format(path, e))
    # The main run first, then the others by tag.
    files.sort(key=lambda r: (r.tag != '', r.tag, r.name))
    return files


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

    def table(self, cols, header, rows, title=None):
        if title:
            self.add('.' + title)
        self.add('[cols="{}",options="header"]'.format(','.join(str(c) for c in cols)), '|===')
        self.add(row_line(header))
        for r in rows:
            self.add(row_line(r))
        self.add('|===')


def cell(text):
    """A table cell's text: a '|' of the text must not end the cell."""
    return re.sub(r'(?<!\\)\|', r'\\|', text)


def row_line(cells):
    return ' '.join('| ' + cell(c) if c != '' else '|' for c in cells)


# ------------------------------------------------------------------ tables

def spec_of(table):
    """A table's declaration with its defaults."""
    t = dict(table)
    t.setdefault('title', '')
    t.setdefault('stub', [''])
    t.setdefault('format', 'time')
    t.setdefault('merge', 'own')
    t.setdefault('allocs', False)
    t.setdefault('ratios', [])
    t.setdefault('columns', [])
    t.setdefault('rows', [])
    t.setdefault('position', 0)
    return t


def subst(text, res):
    name, major = compiler_label(res.data, res.tag)
    return text.replace('{compiler}', '{} {}'.format(name, major).rstrip())


def cells_for(res, t, row):
    """The value cells of `row` from `res`: each column's figure, the ratios,
    the allocations (when the table has them and the row wants them)."""
    fmt = FORMATS.get(row.get('format') or t['format'], fmt_time)
    key = row.get('value', 'median')
    case = (row.get('group', ''), row.get('param', ''), row.get('home', ''))
    if not res.has_case(case):
        warn('{}: table "{}", row "{}": no results for {}'.format(
            res.name, t['id'], ' / '.join(row.get('stub', [])), case))
    impls = [c[0] for c in t['columns']] + [i for pair in t['ratios'] for i in pair]
    vals = {i: res.value(case, i, key) for i in impls}
    cells = [fmt(vals[c[0]]) for c in t['columns']]
    for a, b in t['ratios']:
        cells.append(fmt_ratio(ratio(vals.get(a), vals.get(b))) if row.get('ratios', True)
                     else '')
    return cells, case


def allocs_cell(res, t, row, case):
    if not row.get('allocs', True):
        return ''
    return ', '.join(fmt_allocs(res.value(case, c[0], 'allocs')) for c in t['columns'])


def value_headers(t, prefix=''):
    h = [prefix + c[1] for c in t['columns']]
    h += [prefix + '{} / {}'.format(label_of(t, a), label_of(t, b)) for a, b in t['ratios']]
    return h


def label_of(t, impl):
    return next((c[1] for c in t['columns'] if c[0] == impl), impl)


def allocs_header(t):
    return 'allocations per op: ' + ', '.join(c[1] for c in t['columns'])


def widths(t, n_values, allocs):
    return [3] + [2] * (len(t['stub']) - 1) + [1] * n_values + ([2] if allocs else [])


def render_own(out, res, t):
    rows = []
    for row in t['rows']:
        cells, case = cells_for(res, t, row)
        line = [subst(c, res) for c in row.get('stub', [])] + cells
        if t['allocs']:
            line.append(allocs_cell(res, t, row, case))
        rows.append(line)
    header = t['stub'] + value_headers(t) + ([allocs_header(t)] if t['allocs'] else [])
    n = len(t['columns']) + len(t['ratios'])
    out.table(widths(t, n, t['allocs']), header, rows, subst(t['title'], res) or None)


def render_stack(out, decls, t):
    rows = []
    for res, d in decls:
        for row in d['rows']:
            cells, case = cells_for(res, d, row)
            line = [subst(c, res) for c in row.get('stub', [])] + cells
            if t['allocs']:
                line.append(allocs_cell(res, d, row, case))
            rows.append(line)
    header = t['stub'] + value_headers(t) + ([allocs_header(t)] if t['allocs'] else [])
    n = len(t['columns']) + len(t['ratios'])
    out.table(widths(t, n, t['allocs']), header, rows, subst(t['title'], decls[0][0]) or None)


def render_side(out, decls, t):
    tags = []
    for res, _ in decls:
        if res.tag not in tags:
            tags.append(res.tag)
    order = sorted(decls, key=lambda rd: (rd[1]['position'], rd[0].name))
    labels = []                        # row labels in order of first appearance
    for res, d in order:
        for row in d['rows']:
            key = tuple(row.get('stub', []))
            if key not in labels:
                labels.append(key)
    names = {}
    for res, _ in decls:
        names.setdefault(res.tag, '{} '.format(res.compiler))
    rows = []
    for key in labels:
        line = list(key)
        for tag in tags:
            found = None
            for res, d in order:
                if res.tag != tag:
                    continue
                row = next((r for r in d['rows'] if tuple(r.get('stub', [])) == key), None)
                if row is not None:
                    found = cells_for(res, d, row)[0]
                    break
            n = len(t['columns']) + len(t['ratios'])
            line += found if found is not None else ['-'] * n
        rows.append(line)
    header = list(t['stub'])
    for tag in tags:
        header += value_headers(t, names[tag])
    n = (len(t['columns']) + len(t['ratios'])) * len(tags)
    out.table(widths(t, n, False), header, rows, t['title'] or None)


def render_tables(out, files):
    ids = []                           # table ids in order of first declaration
    decls = {}
    for res in files:
        for table in res.tables:
            t = spec_of(table)
            if t['id'] not in decls:
                ids.append(t['id'])
                decls[t['id']] = []
            decls[t['id']].append((res, t))
    for tid in ids:
        first = decls[tid][0][1]
        merge = first['merge']
        if merge == 'own':
            for res, t in decls[tid]:
                tag = tid if not res.tag else '{}-{}'.format(tid, res.tag)
                out.begin(tag)
                render_own(out, res, t)
                out.end(tag)
        elif merge in ('stack', 'side'):
            out.begin(tid)
            (render_stack if merge == 'stack' else render_side)(out, decls[tid], first)
            out.end(tid)
        else:
            warn('table "{}": unknown merge "{}"; not shown'.format(tid, merge))


# ---------------------------------------------------------------- targets

def targets_table(out, files, tag):
    rows = []
    mine = [r for r in files if r.tag == tag]
    for r in mine:
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
        out.add('(no targets)')
        return
    name, major = compiler_label(mine[0].data, tag)
    out.table([4, 3, 1, 1], ['target', 'measured', 'limit', 'met'], rows,
              'Targets, {} {}'.format(name, major).rstrip())


# ------------------------------------------------------------- provenance

def join_words(items):
    if len(items) <= 1:
        return ''.join(items)
    return ', '.join(items[:-1]) + ' and ' + items[-1]


def provenance(out, files):
    if not files:
        out.add('(no results)')
        return

    def distinct(key, group):
        vals = []
        for f in group:
            v = f.data.get(key)
            if v not in [x[0] for x in vals]:
                vals.append((v, [f]))
            else:
                next(x for x in vals if x[0] == v)[1].append(f)
        return vals

    def listing(vals, fmt):
        if len(vals) == 1:
            return fmt(vals[0][0])
        return ', '.join('{} ({})'.format(fmt(v), ', '.join('`' + f.name + '`' for f in fs))
                         for v, fs in vals)

    parts = []
    tags = []
    for f in files:
        if f.tag not in tags:
            tags.append(f.tag)
    for tag in tags:
        group = [f for f in files if f.tag == tag]
        commits = distinct('commit', group)
        parts.append('{} built by {} and Boost {} with {} at library commit{} {}, {} '
                     'repetitions'.format(
            ', '.join('`' + f.name + '`' for f in group),
            listing(distinct('compiler', group), lambda v: esc_text(v or 'an unknown compiler')),
            listing(distinct('boost', group), lambda v: esc_text(v or '(not recorded)')),
            listing(distinct('flags', group),
                    lambda v: '`{}`'.format(esc_text(v or '')) if v else 'no flags'),
            's' if len(commits) > 1 else '',
            listing(commits, lambda v: '`{}`'.format(esc_text(v or 'unknown'))),
            listing(distinct('repetitions', group), lambda v: str(v))))
    quick = [f for f in files if f.data.get('quick')]
    text = 'The tables come from ' + '; '.join(parts) + '. '
    if quick:
        text += ('**QUICK RUN: {} {} from `--quick` smoke runs (fewer iterations), '
                 'not measurements to quote.**'.format(
                     join_words(['`' + f.name + '`' for f in quick]),
                     'is' if len(quick) == 1 else 'are'))
    else:
        text += 'All are full runs (none is a `--quick` run).'
    out.add(text)


# ------------------------------------------------------------------- main

def generate(results_dir, rel_dir):
    files = load(results_dir)
    out = Out()
    out.add('// Generated by tools/bench-tables.py from {}/*.json: do not edit by hand;'
            .format(rel_dir),
            '// run tools/bench-tables.py again after tools/run-bench.sh.', '')
    out.begin('provenance')
    provenance(out, files)
    out.end('provenance')
    render_tables(out, files)
    tags = []
    for f in files:
        if f.tag not in tags:
            tags.append(f.tag)
    for tag in tags:
        region = 'targets' if not tag else 'targets-' + tag
        out.begin(region)
        targets_table(out, files, tag)
        out.end(region)
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
        sys.stderr.write('bench-tables: no directory {}\n'.format(results_dir))
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
