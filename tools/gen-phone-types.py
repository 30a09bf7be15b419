#!/usr/bin/env python3
"""Turns libphonenumber's per-type number patterns into digit automata.

Input: tools/gen-phone-types.cc's lines (tab-separated: code, region,
main-for-code, type, pattern, lengths, national prefix, national prefix
for parsing, transform rule). Output: schemas/data/phone-types.txt, for
each country calling code one deterministic automaton over the digits
after the code, accepting exactly the national numbers that match a
number type's pattern (fixed line, mobile, toll free, ...) of a region
with that code and have one of that type's possible lengths. A number
written with the main region's national prefix (+44 0 7400 ...) is
accepted as libphonenumber's parser accepts it, by adding the prefix in
front; a code whose main region rewrites numbers while parsing or strips
a prefix given as a pattern is written "CODE|*" (no type check: its
lengths are still checked). The automata are layered by digit position
and minimised, so runtime checks walk at most 17 states per number.

Format: "CODE|ROOT|N" then N state lines, each "A" (accepting) or "."
followed by the ten targets for digits 0-9, comma-separated, each a
state index or "-" (none); "T*K" repeats a target K times.
"""
import sys
try:
    import re._parser as P
    import re._constants as C
except ImportError:  # Python < 3.11
    import sre_parse as P
    import sre_constants as C

DIG = frozenset("0123456789")
MAX_DIGITS = 17


class NFA:
    def __init__(self):
        self.eps, self.tr = [], []

    def new(self):
        self.eps.append([])
        self.tr.append([])
        return len(self.eps) - 1


def charset(op, av):
    if op == C.LITERAL:
        return frozenset([chr(av)]) & DIG
    if op == C.ANY:
        return DIG
    out, neg = set(), False
    for o, a in av:
        if o == C.NEGATE:
            neg = True
        elif o == C.LITERAL:
            out.add(chr(a))
        elif o == C.RANGE:
            out |= {chr(c) for c in range(a[0], a[1] + 1)}
        elif o == C.CATEGORY and a == C.CATEGORY_DIGIT:
            out |= DIG
        else:
            raise ValueError("unsupported class item %r" % (o,))
    out &= DIG
    return DIG - out if neg else frozenset(out)


def build(n, seq, cur):
    """Adds the parsed regex seq from state cur; returns its end state."""
    for op, av in seq:
        if op in (C.LITERAL, C.IN, C.ANY):
            nxt = n.new()
            n.tr[cur].append((charset(op, av), nxt))
            cur = nxt
        elif op == C.SUBPATTERN:
            cur = build(n, av[-1], cur)
        elif op == C.BRANCH:
            end = n.new()
            for alt in av[1]:
                n.eps[build(n, alt, cur)].append(end)
            cur = end
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, hi, sub = av
            if hi == C.MAXREPEAT:
                raise ValueError("unbounded repeat")
            ends = []
            for i in range(hi):
                if i >= lo:
                    ends.append(cur)
                cur = build(n, sub, cur)
            end = n.new()
            for e in ends + [cur]:
                n.eps[e].append(end)
            cur = end
        elif op == C.AT:
            pass
        else:
            raise ValueError("unsupported regex item %r" % (op,))
    return cur


def closure(n, states):
    st, seen = list(states), set(states)
    while st:
        for t in n.eps[st.pop()]:
            if t not in seen:
                seen.add(t)
                st.append(t)
    return frozenset(seen)


def automaton(pats):
    """pats: (regex, lengths). Returns (root, [(accept, targets)])."""
    n = NFA()
    start = n.new()
    acc = {}
    for pat, lens in pats:
        acc.setdefault(build(n, P.parse(pat), start), set()).update(lens)
    layers, trans = [[closure(n, [start])]], {}
    for depth in range(MAX_DIGITS):
        nxt = {}
        for S in layers[-1]:
            row = []
            for d in "0123456789":
                T = {t for s in S for cs, t in n.tr[s] if d in cs}
                T = closure(n, T) if T else None
                row.append(T)
                if T:
                    nxt[T] = None
            trans[(depth, S)] = row
        if not nxt:
            break
        layers.append(list(nxt))
    ids, sig, states = {}, {}, []
    for depth in range(len(layers) - 1, -1, -1):
        for S in layers[depth]:
            row = trans.get((depth, S), [None] * 10)
            tg = tuple(ids[(depth + 1, T)] if T else -1 for T in row)
            a = any(depth in acc.get(s, ()) for s in S)
            if not a and all(t == -1 for t in tg):
                ids[(depth, S)] = -1
                continue
            if (a, tg) not in sig:
                sig[(a, tg)] = len(states)
                states.append((a, tg))
            ids[(depth, S)] = sig[(a, tg)]
    return ids[(0, layers[0][0])], states


def targets(tg):
    out, i = [], 0
    while i < 10:
        j = i
        while j < 10 and tg[j] == tg[i]:
            j += 1
        t = "-" if tg[i] < 0 else str(tg[i])
        out.append(t if j - i == 1 else "%s*%d" % (t, j - i))
        i = j
    return ",".join(out)


def main():
    rows = [l.rstrip("\n").split("\t") for l in sys.stdin if l.strip()]
    regions, pats = {}, {}
    for cc, reg, main, typ, pat, lens, np, npp, tr in rows:
        regions.setdefault(cc, {})[reg] = (main == "1", np, npp, tr == "1")
        if typ != "general":
            L = {int(x) for x in lens.split(",") if x and int(x) > 0}
            pats.setdefault(cc, []).append((pat, L))
    print("# Country calling code|root|states, then the states: a digit\n"
          "# automaton per code accepting the national numbers of a type\n"
          "# (fixed line, mobile, ...) with one of its possible lengths,\n"
          "# from libphonenumber's metadata, written by tools/gen-phone-types.py\n"
          "# from Debian's libphonenumber 8.12.57 (Apache-2.0, Copyright (C)\n"
          "# 2009 The Libphonenumber Authors). \"CODE|*\": lengths only.")
    for cc in sorted(regions, key=int):
        rs = regions[cc]
        main = [v for v in rs.values() if v[0]] or \
            (list(rs.values()) if len(rs) == 1 else [])
        if not main:
            print("%s|*" % cc)
            continue
        _, np, npp, tr = main[0]
        if tr or (npp and not npp.isdigit()) or cc not in pats:
            print("%s|*" % cc)
            continue
        ps = list(pats[cc])
        if npp:
            ps += [("%s(?:%s)" % (npp, p), {l + len(npp) for l in L})
                   for p, L in pats[cc]]
        root, states = automaton(ps)
        print("%s|%d|%d" % (cc, root, len(states)))
        for a, tg in states:
            print(("A" if a else ".") + targets(tg))


if __name__ == "__main__":
    main()
