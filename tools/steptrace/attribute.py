#!/usr/bin/env python3
"""Attributes a pc trace (one hex pc per line) to functions.

    attribute.py TRACE KERNEL PROGRAM            instructions per function
    attribute.py TRACE KERNEL PROGRAM --lines F  per source line (innermost
                                                 inlined frame) of the
                                                 kernel pcs inside F
"""
import bisect
import collections
import subprocess
import sys

KERNEL_BASE = 0xFFFF800000000000


def symbols(path):
    table = []
    nm = subprocess.run(["nm", "-C", "--defined-only", path], capture_output=True, text=True)
    for line in nm.stdout.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] in "tTwW":
            table.append((int(parts[0], 16), parts[2]))
    table.sort()
    return table


def namer(tables):
    def name(pc):
        for table in tables:
            i = bisect.bisect_right(table, (pc, "\uffff")) - 1
            if i >= 0 and (pc >= KERNEL_BASE) == (table[i][0] >= KERNEL_BASE):
                return table[i][1]
        return "?%x" % pc
    return name


def by_line(pcs, kernel, function):
    kernel_pcs = ["%x" % pc for pc in pcs if pc >= KERNEL_BASE]
    unique = sorted(set(kernel_pcs))
    out = subprocess.run(["addr2line", "-e", kernel, "-f", "-C", "-i", "-a"] + unique,
                         capture_output=True, text=True).stdout.splitlines()
    frames, current, i = {}, None, 0
    while i < len(out):
        if out[i].startswith("0x"):
            current = "%x" % int(out[i], 16)
            frames[current] = []
            i += 1
        else:
            frames[current].append((out[i], out[i + 1].split("/")[-1]))
            i += 2
    counts = collections.Counter()
    for pc in kernel_pcs:
        chain = frames.get(pc, [])
        if not any(function in f for f, _ in chain):
            continue
        inner = chain[0]
        counts["%s @ %s" % (inner[0][:70], inner[1])] += 1
    return counts


def main():
    trace, kernel, program = sys.argv[1:4]
    pcs = [int(line, 16) for line in open(trace)]
    user = sum(1 for pc in pcs if pc < KERNEL_BASE)
    print("total %d  user %d  kernel %d" % (len(pcs), user, len(pcs) - user))
    if "--lines" in sys.argv:
        counts = by_line(pcs, kernel, sys.argv[sys.argv.index("--lines") + 1])
    else:
        name = namer([symbols(kernel), symbols(program)])
        counts = collections.Counter(name(pc) for pc in pcs)
    for what, n in counts.most_common(60):
        print("%6d  %s" % (n, what[:150]))


main()
