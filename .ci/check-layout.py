#!/usr/bin/env python3
"""Checks that the source tree keeps the layering of docs/design.md ("Layout").

Layers (a folder each) and what each may include:
  src/base      base                               (no dependencies)
  libocispec    libocispec, base                   (the only user of yajl)
  src/linux     linux (and linux/cgroups), base, libocispec   (never policy)
  src/policy    policy, base, libocispec           (pure spec -> spec)
  src/core      core, policy, linux, base, libocispec
  src/cli       cli, core, policy, base, libocispec
  src/gen       gen, policy, linux, base, libocispec   (build-time generators, not linked into the runtime)
Also: no #include of yajl outside libocispec; no cycle between folders (src/linux and
src/linux/cgroups count as two); no file over MAX_FILE lines; no function over MAX_FUNC
lines (GNU style: a definition's body runs from a '{' in column 0 to the next '}' there).

Known debts are listed in .ci/layout-exceptions ("KIND WHAT  reason"); a debt that is gone
must be deleted from that file (a stale line fails), so the list only ever shrinks.
Prints one line per problem and a summary; exit status 1 on any problem.
"""
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
MAX_FILE = 1000
MAX_FUNC = 100
ALLOWED = {
    'base': {'base'},
    'libocispec': {'libocispec', 'base'},
    'linux': {'linux', 'linux/cgroups', 'base', 'libocispec'},
    'linux/cgroups': {'linux/cgroups', 'linux', 'base', 'libocispec'},
    'policy': {'policy', 'base', 'libocispec'},
    'core': {'core', 'policy', 'linux', 'linux/cgroups', 'base', 'libocispec'},
    'cli': {'cli', 'core', 'policy', 'base', 'libocispec'},
    'gen': {'gen', 'policy', 'linux', 'base', 'libocispec'},
}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
FUNC_START = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*)\s*\(')


def layer_of(rel):
    """Layer of a file given its path relative to ROOT, or None outside the layers."""
    if rel.startswith('libocispec/'):
        return 'libocispec'
    if rel.startswith('src/linux/cgroups/'):
        return 'linux/cgroups'
    parts = rel.split('/')
    if len(parts) >= 3 and parts[0] == 'src' and parts[1] in ALLOWED:
        return parts[1]
    return None


def sources():
    for top in ('src', 'libocispec'):
        for d, _, files in os.walk(os.path.join(ROOT, top)):
            for f in sorted(files):
                if f.endswith(('.c', '.h')):
                    yield os.path.relpath(os.path.join(d, f), ROOT)


def included_layer(rel, kind, name):
    """Layer of an #include "name" seen in REL (None for system headers and config.h)."""
    if kind == '<':
        return 'yajl' if name.startswith('yajl/') else None
    for base in (os.path.dirname(rel), 'src', 'libocispec'):
        path = os.path.normpath(os.path.join(base, name))
        if os.path.exists(os.path.join(ROOT, path)):
            return layer_of(path)
    return None


def long_functions(text):
    lines = text.split('\n')
    for i, line in enumerate(lines):
        if line != '{' or i == 0:
            continue
        j = i - 1
        while j > 0 and not FUNC_START.match(lines[j]) and lines[j].startswith(' '):
            j -= 1
        m = FUNC_START.match(lines[j])
        if not m:
            continue
        end = next((k for k in range(i + 1, len(lines)) if lines[k] == '}'), len(lines))
        if end - i - 1 > MAX_FUNC:
            yield m.group(1), end - i - 1


def find_problems():
    problems = []   # (key, message); key matches an exceptions line "KIND WHAT"
    edges = {}
    for rel in sources():
        text = open(os.path.join(ROOT, rel), encoding='utf-8', errors='replace').read()
        me = layer_of(rel)
        if me is None:
            problems.append(('place %s' % rel, '%s: not inside a layer folder' % rel))
            continue
        for kind, name in INCLUDE.findall(text):
            other = included_layer(rel, kind, name)
            if other == 'yajl':
                if me != 'libocispec':
                    problems.append(('yajl %s' % rel, '%s: includes <%s>: only libocispec may use yajl' % (rel, name)))
                continue
            if other is None:
                continue
            if other != me:
                edges.setdefault(me, set()).add(other)
            if other not in ALLOWED[me]:
                problems.append(('include %s %s' % (rel, name),
                                 '%s: %s may not include %s ("%s")' % (rel, me, other, name)))
        n = text.count('\n')
        if n > MAX_FILE:
            problems.append(('file %s' % rel, '%s: %d lines (limit %d)' % (rel, n, MAX_FILE)))
        for fn, length in long_functions(text):
            problems.append(('function %s:%s' % (rel, fn), '%s: %s is %d lines (limit %d)' % (rel, fn, length, MAX_FUNC)))
    problems += cycles(edges)
    return problems


def cycles(edges):
    out, state = [], {}

    def visit(n, path):
        state[n] = 1
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                loop = path[path.index(m):] + [m]
                out.append(('cycle %s' % ' '.join(loop), 'folders depend on each other: %s' % ' -> '.join(loop)))
            elif m not in state:
                visit(m, path + [m])
        state[n] = 2

    for n in sorted(edges):
        if n not in state:
            visit(n, [n])
    return out


def load_exceptions():
    path = os.path.join(ROOT, '.ci', 'layout-exceptions')
    known = {}
    if os.path.exists(path):
        for line in open(path):
            line = line.rstrip('\n')
            if not line.strip() or line.startswith('#'):
                continue
            key, _, reason = line.partition('  ')
            known[key.strip()] = reason.strip()
    return known


def main():
    known = load_exceptions()
    problems = find_problems()
    seen, bad = set(), 0
    for key, msg in problems:
        seen.add(key)
        if key in known:
            continue
        print('check-layout: %s' % msg)
        bad += 1
    for key in sorted(set(known) - seen):
        print('check-layout: .ci/layout-exceptions lists "%s", which is fixed: delete the line' % key)
        bad += 1
    print('check-layout: %d problem(s), %d known debt(s) in .ci/layout-exceptions' % (bad, len(seen & set(known))))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
