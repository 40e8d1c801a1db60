#!/usr/bin/env python3
"""Prints the shared-library closure of ELF files: one "SONAME PATH" line per library,
found by following DT_NEEDED (readelf -d) through the given library folders in order.
Libraries named in --provided files (one SONAME a line, # comments) are left out and not
descended into: they are the target system's. Exit 1 if a library cannot be found.

  elf-closure.py [--provided FILE] --libdir DIR [--libdir DIR ...] ELF...
"""
import argparse
import os
import re
import subprocess
import sys


def needed(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--provided", action="append", default=[])
    ap.add_argument("--libdir", action="append", default=[])
    ap.add_argument("elf", nargs="+")
    a = ap.parse_args()
    provided = set()
    for f in a.provided:
        with open(f) as fh:
            provided |= {l.split("#")[0].strip() for l in fh} - {""}
    for e in a.elf:
        if not os.path.isfile(e):
            sys.exit(f"elf-closure.py: {e}: no such file")
    found, missing, todo = {}, [], list(a.elf)
    while todo:
        for so in needed(todo.pop()):
            if so in provided or so in found:
                continue
            for d in a.libdir:
                p = os.path.join(d, so)
                if os.path.exists(p):
                    found[so] = p
                    todo.append(p)
                    break
            else:
                if so not in missing:
                    missing.append(so)
    for so in sorted(found):
        print(so, found[so])
    for so in missing:
        print(f"elf-closure.py: {so} not found in {a.libdir}", file=sys.stderr)
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
