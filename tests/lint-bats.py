#!/usr/bin/env python3
"""Reject negated commands that cannot fail a bats test.

bats runs a test under `set -e`, and bash's errexit ignores a pipeline negated with `!` (and
the left side of `&&`). A `! cmd` line therefore fails a test (or a helper function) only when
it is the last command before the closing brace; anywhere else it asserts nothing.  This
script prints TAP (one test) and lists every such line as FILE:LINE.  A `! cmd || other`
line is fine (the `||` acts on it), and so is a `!` inside `if`/`while` conditions.
Usage: tests/lint-bats.py [FILE...]   (default: tests/**/*.bats and tests/helpers.bash)
"""
import glob
import os
import re
import sys

NEGATED = re.compile(r'^\s*(?:[^#]*&&\s*)?!\s')


def next_code_line(lines, i):
    for line in lines[i + 1:]:
        stripped = line.strip()
        if stripped and not stripped.startswith('#'):
            return stripped
    return ''


def bad_lines(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        lines = f.read().split('\n')
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith('#') or not NEGATED.match(line):
            continue
        if stripped.startswith(('if ', 'elif ', 'while ', 'until ')):
            continue
        bang = line.index('!')
        if '||' in line[bang:]:
            continue
        if next_code_line(lines, i).startswith('}'):
            continue
        yield i + 1, stripped


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    files = argv or sorted(glob.glob(os.path.join(here, '**', '*.bats'), recursive=True)) + [
        os.path.join(here, 'helpers.bash')]
    found = [(p, n, text) for p in files for n, text in bad_lines(p)]
    print('1..1')
    for p, n, text in found:
        print('# %s:%d: negated command cannot fail the test: %s' % (os.path.relpath(p), n, text))
    if found:
        print('not ok 1 lint: %d mid-test `! cmd` line(s); use `run !`, refute_contains or `|| fail`' % len(found))
        return 1
    print('ok 1 lint: no mid-test `! cmd` lines in the bats suites')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
