#!/usr/bin/env python3
"""lesson_refs.py - checks the line ranges that lessons cite for functions.

A lesson says, for example, "`event_loop_wait()` (1444-1453)" or
"`send_all()` (lines 161-184)". For each such reference this finds the
functions of that name in the repository's C files and accepts the range
if, in one of them, it is the whole function (from its return type line,
its name line or the comment just above, to its closing brace) or lies
strictly inside it (a few lines of the body). Anything else is printed,
with where the function is now, and the exit status is 1.

    tests/tools/lesson_refs.py FILE.md ...

A name that no C file defines (a libevent function, a seed's) is skipped.
"""
import glob
import os
import re
import sys

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# `name()`, then up to 30 characters that end no clause, then the range;
# "`a()` and `b()` (lines X-Y)" is one range for both.
REF = re.compile(r"(?:`(\w+)\(\)`\** and \**)?`(\w+)\(\)`[^`;.:]{0,30}?"
                 r"\b(?:lines? )?(\d+)-(\d+)\b")


def functions():
    """Maps each function name to (file, first, name line, last) tuples,
    where first is the top of the comment block above it, if any."""
    found = {}
    paths = glob.glob(os.path.join(TOP, "lib", "*.[ch]"))
    paths += glob.glob(os.path.join(TOP, "chapters", "*", "*.c"))
    for path in paths:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        for i, line in enumerate(lines):
            m = re.match(r"^(\w+)\(", line)
            if not m or i == 0 or not re.match(r"^[a-z]", lines[i - 1]):
                continue
            end = i
            while end < len(lines) and not lines[end].startswith("}"):
                end += 1
            top = i - 1
            while top > 0 and re.match(r"^( \*|/\*)", lines[top - 1]):
                top -= 1
            found.setdefault(m.group(1), []).append(
                (os.path.relpath(path, TOP), top + 1, i, i + 1, end + 1))
    return found


def holds(span, a, b):
    _, top, ret, name, last = span
    whole = a in (top, ret, name) and b == last
    inside = name < a and b < last
    return whole or inside


def holds_pair(first, second, a, b):
    """Both functions, in one file, from the top of one to the end of the
    other."""
    for s in first:
        for t in second:
            if s[0] != t[0]:
                continue
            lo, hi = (s, t) if s[2] < t[2] else (t, s)
            if a in (lo[1], lo[2], lo[3]) and b == hi[4]:
                return True
    return False


def main(paths):
    found = functions()
    bad = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for m in REF.finditer(text):
            first, name = m.group(1), m.group(2)
            a, b = int(m.group(3)), int(m.group(4))
            if name not in found or b < a:
                continue
            if any(holds(s, a, b) for s in found[name]):
                continue
            if first in found and holds_pair(found[first], found[name],
                                             a, b):
                continue
            now = ", ".join("%s %d-%d" % (s[0], s[2], s[4])
                            for s in found[name])
            print("%s: `%s()` lines %d-%d do not hold it (now: %s)"
                  % (os.path.relpath(path, TOP), name, a, b, now))
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
