# Copyright (c) 2026 The Boost.Affine authors
#
# Distributed under the Boost Software License, Version 1.0. (See accompanying
# file LICENSE_1_0.txt or copy at http://www.boost.org/LICENSE_1_0.txt)
#
# gdb command `affine-chains`: every live Boost.Affine chain of the program and where it waits,
# as boost::affine::dump_chains prints it, from a stopped process or a core file, with no help
# from the program. Load it with
#
#   (gdb) source tools/gdb/affine_chains.py
#   (gdb) affine-chains
#
# The program needs debug information for the library's types (-g), and the registry (not
# compiled out with BOOST_AFFINE_NO_CHAIN_REGISTRY). What it walks, and must stay in step with:
# detail/chain_registry.hpp (chain_registry_instance, chain_record, thread_state::running_chain),
# environment.hpp (environment::innermost_, home_; task_link::outer_, site_; environment_home::
# branches_; branch_record), and a site being what __builtin_source_location() points to: two
# pointers (file, function) and two 32-bit numbers (line, column), in libstdc++ and libc++ alike.

import os
import time

import gdb

REGISTRY = 'boost::affine::detail::chain_registry_instance'


def _inner(v):
    """The value of a std::atomic<T> (its one member, down to a scalar)."""
    while v.type.strip_typedefs().code in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
        fields = [f for f in v.type.strip_typedefs().fields() if not f.is_base_class]
        bases = [f for f in v.type.strip_typedefs().fields() if f.is_base_class]
        f = fields[0] if fields else bases[0]
        v = v[f]
    return v


def _field(v, name):
    """A member, looked for in `v` and its bases."""
    try:
        return v[name]
    except gdb.error:
        for f in v.type.strip_typedefs().fields():
            if f.is_base_class:
                try:
                    return _field(v[f], name)
                except gdb.error:
                    pass
        raise


class Site(object):
    """A co_await's or co_spawn's source location: file, function, line."""

    def __init__(self, ptr):
        self.file = self.function = ''
        self.line = 0
        p = int(ptr)
        if p == 0:
            return
        inferior = gdb.selected_inferior()
        psize = gdb.lookup_type('void').pointer().sizeof
        raw = bytes(inferior.read_memory(p, 2 * psize + 8))
        order = 'little'
        file_ptr = int.from_bytes(raw[0:psize], order)
        func_ptr = int.from_bytes(raw[psize:2 * psize], order)
        self.line = int.from_bytes(raw[2 * psize:2 * psize + 4], order)
        char_p = gdb.lookup_type('char').const().pointer()
        self.file = gdb.Value(file_ptr).cast(char_p).string() if file_ptr else ''
        self.function = gdb.Value(func_ptr).cast(char_p).string() if func_ptr else ''


def _clean_function(f):
    # g++ names a coroutine's body by its frame: `void f(f(int)::_Z1fi.Frame*)`: `f(int)`
    # (async_frame::clean_function).
    z = f.rfind('::_Z')
    if z < 0 or len(f) < 8 or not f.endswith('.Frame*)'):
        return f
    depth = 0
    open_ = -1
    for i in range(z - 1, -1, -1):
        c = f[i]
        if c in ')>]':
            depth += 1
        elif c in '(<[':
            if depth == 0:
                open_ = i
                break
            depth -= 1
    if open_ < 0 or f[open_] != '(':
        return f
    signature = f[open_ + 1:z]
    if signature.endswith(')'):
        return signature
    name = f[:open_]
    if name.startswith('void'):
        name = name[4:]
    return name.lstrip(' ')


def function_of(f):
    """The function without its return type (async_frame::function)."""
    f = _clean_function(f)
    close = f.rfind(')')
    if close < 0:
        return f
    depth = 0
    open_ = -1
    for i in range(close, -1, -1):
        c = f[i]
        if c in ')>':
            depth += 1
        elif c in '(<':
            depth -= 1
            if depth == 0 and c == '(':
                open_ = i
                break
    if open_ < 0:
        return f
    depth = 0
    for i in range(open_ - 1, -1, -1):
        c = f[i]
        if c in ')>':
            depth += 1
        elif c in '(<':
            depth -= 1
        elif c == ' ' and depth == 0:
            return f[i + 1:]
    return f


def frame_text(kind, site=None, operand=0):
    if kind == 'task':
        text = function_of(site.function) or '??'
        if site.line:
            text += ' at %s:%d' % (site.file, site.line)
        return text
    if kind in ('&&', '||'):
        return 'operand %d of %s' % (operand, kind)
    text = 'co_spawn'
    if site.line:
        text += ' at %s:%d' % (site.file, site.line)
    if function_of(site.function):
        text += ' in ' + function_of(site.function)
    return text


CAPACITY = 32  # async_stack::capacity


def stack_of(env, spawn, branches):
    """The frames from environment `env` outwards (detail::backtrace_from, suspended)."""
    frames = []
    skip = False
    while int(env):
        link = env['innermost_']
        while int(link):
            if skip:
                skip = False
            else:
                frames.append(('task', Site(link['site_'])))
            link = link['outer_']
        outer = None
        for b in branches:
            if int(b['env_']) == int(env):
                outer = b['outer_']
        if outer is None:
            frames.append(('spawn', spawn))
            break
        kind = '||' if bool(outer['cancel_on_success']) else '&&'
        frames.append((kind, int(outer['operand'])))
        skip = True
        env = outer['parent']
    return frames


def stack_lines(frames):
    omitted = max(0, len(frames) - CAPACITY)
    kept = frames if not omitted else frames[:CAPACITY - 1] + frames[-1:]
    lines = []
    for i, (kind, x) in enumerate(kept):
        last = i + 1 == len(kept)
        if last and omitted:
            lines.append('     ... %d frames omitted' % omitted)
        n = i + omitted if last else i
        if kind in ('&&', '||'):
            text = frame_text(kind, operand=x)
        else:
            text = frame_text(kind, site=x)
        lines.append('  #%d %s' % (n, text))
    return lines


def outermost_function(stacks):
    for frames in stacks:
        for kind, x in reversed(frames):
            if kind == 'task' and function_of(x.function):
                return function_of(x.function)
    return ''


def live_process():
    inferior = gdb.selected_inferior()
    if inferior.pid <= 0:
        return False
    try:
        gdb.execute('info proc', to_string=True)
        return True
    except gdb.error:
        return False  # a core file


def chains():
    """[(id, text lines)] oldest first."""
    registry = gdb.parse_and_eval(REGISTRY)
    running = set()
    t = registry['threads_']
    while int(t):
        running.add(int(_inner(t['running_chain'])))
        t = t['next_thread']
    now = time.monotonic_ns() if live_process() else None
    out = []
    r = registry['chains_']
    while int(r):
        rec = r.dereference()
        root = rec['root_']
        home = root['home_'].dereference()
        spawn = Site(rec['spawn_site_'])
        branches = []
        b = _field(home, 'branches_')
        while int(b):
            branches.append(b.dereference())
            b = b['next_']
        branches.reverse()
        # The process is stopped: a chain a slice of which runs on a thread is walked too (its
        # frames as of its latest co_await).
        state = 'running' if int(r) in running else 'suspended'
        if True:
            root_waits = not any(int(x['outer_']['parent']) == int(root) for x in branches)
            if root_waits:
                stacks = [stack_of(root, spawn, branches)]
            else:
                stacks = []
                for x in branches:
                    if not int(x['env_']['innermost_']):
                        continue
                    if any(int(o['outer_']['parent']) == int(x['env_']) for o in branches):
                        continue
                    stacks.append(stack_of(x['env_'], spawn, branches))
        header = 'chain %d' % int(rec['id_'])
        f = outermost_function(stacks)
        if f:
            header += ' ' + f
        header += ': ' + state
        if now is not None:
            age_ms = (now - int(rec['started_'])) // 1000000
            header += ', age %d.%03d s' % (age_ms // 1000, age_ms % 1000)
        else:
            header += ', age unknown (a core file)'
        if not stacks and spawn.line:
            header += ', spawned at %s:%d' % (spawn.file, spawn.line)
        lines = [header]
        for i, frames in enumerate(stacks):
            if i:
                lines.append('  --')
            lines.extend(stack_lines(frames))
        out.append(lines)
        r = rec['next_chain_']
    out.reverse()
    return out


class AffineChains(gdb.Command):
    """Print every live Boost.Affine chain and where it waits (as boost::affine::dump_chains)."""

    def __init__(self):
        super(AffineChains, self).__init__('affine-chains', gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        found = chains()
        for lines in found:
            for line in lines:
                gdb.write(line + '\n')
        gdb.write('%d live chain%s\n' % (len(found), '' if len(found) == 1 else 's'))


AffineChains()
