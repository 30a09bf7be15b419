#!/usr/bin/env python3
"""Fails when the project's modules include each other in a circle.

A module is a header and the source of the same name (runner/core/cache.h
and cache.c); a source without a header of its own whose name starts with
a module's name and "_" belongs to that module (audience_cache.c to
audience), any other one is a module by itself. Module A depends on B
when A's header or source includes B's header ("..." includes, resolved
as the compiler does: the including file's directory, then the -I
directories of the Makefile). A circle means neither can be understood,
tested or moved without the other; this prints each one found and exits 1.

Usage: tests/tools/include-cycles.py [ROOT]   (default: the current directory)
"""
import os
import re
import sys

INCLUDE_DIRS = ["runner/core", "functions/common", "runner"]
SOURCE_DIRS = ["runner", "functions"]
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def files(root):
    out = []
    for top in SOURCE_DIRS:
        for d, _, names in os.walk(os.path.join(root, top)):
            for n in names:
                if n.endswith((".c", ".h")):
                    out.append(os.path.relpath(os.path.join(d, n), root))
    return sorted(out)


def resolve(root, src, inc):
    for d in [os.path.dirname(src)] + INCLUDE_DIRS:
        p = os.path.normpath(os.path.join(d, inc))
        if os.path.isfile(os.path.join(root, p)):
            return p
    return None  # a system or generated header


def module_of(path, headers):
    base = path[:-2]
    if base + ".h" in headers:
        return base
    d, name = os.path.split(base)
    parts = name.split("_")
    for i in range(len(parts) - 1, 0, -1):
        cand = os.path.join(d, "_".join(parts[:i]))
        if cand + ".h" in headers:
            return cand
    return base


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    all_files = files(root)
    headers = {f[:-2] + ".h" for f in all_files if f.endswith(".h")}
    deps = {}
    why = {}
    for f in all_files:
        m = module_of(f, headers)
        deps.setdefault(m, set())
        with open(os.path.join(root, f), encoding="utf-8",
                  errors="replace") as fh:
            text = fh.read()
        for inc in INCLUDE_RE.findall(text):
            p = resolve(root, f, inc)
            if not p or not p.endswith(".h"):
                continue
            t = module_of(p, headers)
            if t != m:
                deps[m].add(t)
                why.setdefault((m, t), f"{f} includes \"{inc}\"")
    # Tarjan's strongly connected components: each one of more than one
    # module is a circle.
    index, low, stack, on, sccs = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(deps.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(deps):
        if v not in index:
            visit(v)
    for comp in sccs:
        print("include circle: " + " <-> ".join(comp))
        members = set(comp)
        for a in comp:
            for b in sorted(deps[a] & members):
                print(f"  {a} -> {b}: {why[(a, b)]}")
    if sccs:
        return 1
    print(f"no include circles among {len(deps)} modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
