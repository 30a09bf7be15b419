#!/usr/bin/env python3
"""Fails when a command file reaches into libgit2 (make check).

runner/cmd/ parses options, calls runner/core and prints (HACKING.md):
reading and writing the repository is core's (store, src, treewalk,
audit_walk...). So no file in runner/cmd/ may include <git2.h> (or any
git2/ header) or name libgit2's API: a git_* or GIT_* name, or
store_repo(), which hands out the libgit2 handle. The one exception is
the commit id as a value, which core's headers hand out and the
commands print: git_oid and its text form (ALLOWED below).

Comments and string literals are not looked at. Prints each use found
as file:line: name and exits 1; a file listed in KNOWN is reported but
does not fail the check (work left, named so it is not forgotten).

Usage: tests/tools/cmd-no-git.py [ROOT]   (default: the current directory)
"""
import os
import re
import sys

CMD_DIR = "runner/cmd"
ALLOWED = {"git_oid", "git_oid_tostr", "git_oid_is_zero", "git_oid_cpy",
           "git_oid_cmp", "git_oid_equal"}
# Files with uses left to move into core, and why they are not yet
# (none now: a file named here is reported without failing the check).
KNOWN = set()
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*[<"]git2(\.h|/)', re.M)
NAME_RE = re.compile(r"\b(git_[A-Za-z0-9_]+|GIT_[A-Z0-9_]+|store_repo)\b")
# a comment, a string or character literal, in the order they start
STRIP_RE = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                      re.S)


def blank(m):
    # keep the newlines, so line numbers stay right
    return re.sub(r"[^\n]", " ", m.group(0))


def check(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    found = []
    for m in INCLUDE_RE.finditer(text):
        found.append((text.count("\n", 0, m.start()) + 1, "#include <git2.h>"))
    code = STRIP_RE.sub(blank, text)
    for m in NAME_RE.finditer(code):
        if m.group(1) not in ALLOWED:
            found.append((code.count("\n", 0, m.start()) + 1, m.group(1)))
    return sorted(found)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    fail = 0
    names = sorted(n for n in os.listdir(os.path.join(root, CMD_DIR))
                   if n.endswith((".c", ".h")))
    for n in names:
        rel = CMD_DIR + "/" + n
        found = check(os.path.join(root, rel))
        for line, name in found:
            print("%s:%d: %s%s" % (rel, line, name,
                                   " (known)" if rel in KNOWN else ""),
                  file=sys.stderr)
        if found and rel not in KNOWN:
            fail = 1
    if fail:
        print("cmd-no-git: runner/cmd/ must reach git through runner/core "
              "(HACKING.md)", file=sys.stderr)
    return fail


if __name__ == "__main__":
    sys.exit(main())
