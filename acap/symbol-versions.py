#!/usr/bin/env python3
"""Lists the versioned symbols ELF files need (readelf -V, "Version needs") and checks them
against what every supported camera has:
  - glibc (libc.so.6, libm, libpthread, libdl, librt, libresolv, the loader): GLIBC_x no
    newer than the floor (--glibc-floor, 2.31: AXIS OS 11.11), never GLIBC_PRIVATE;
  - libgcc_s.so.1: its GCC_x versions (the compiler runtime every glibc system carries);
  - any library in --bundled DIR: whatever it defines (it travels with the package);
  - every other library (libcurl, glib, OpenSSL, ...): no symbol version at all, since the
    camera's build of it need not carry the versions a Debian build does.
Prints one line per file with the highest glibc version it needs and every versioned need;
with --check, exit 1 and one line per violation.

  symbol-versions.py [--check] [--glibc-floor 2.31] [--bundled DIR] ELF...
"""
import argparse
import os
import re
import subprocess
import sys

GLIBC_LIBS = re.compile(r"^(libc|libm|libpthread|libdl|librt|libresolv|libutil|libanl)\.so\.\d+$|^ld-linux.*\.so\.\d+$")


def version_needs(path):
    """[(library, version)] from the file's "Version needs" section."""
    out = subprocess.run(["readelf", "-V", "-W", path], capture_output=True, text=True, check=True).stdout
    needs, lib, inside = [], None, False
    for line in out.splitlines():
        if line.startswith("Version needs section"):
            inside = True
        elif line.startswith("Version") and inside:
            inside = False
        elif inside:
            m = re.search(r"File: (\S+)", line)
            if m:
                lib = m.group(1)
            m = re.search(r"Name: (\S+)", line)
            if m and lib:
                needs.append((lib, m.group(1)))
    return needs


def vkey(v):
    return tuple(int(x) for x in re.findall(r"\d+", v))


def problems(lib, ver, floor, bundled):
    if lib in bundled:
        return None
    if GLIBC_LIBS.match(lib):
        if not re.match(r"^GLIBC_\d+(\.\d+)*$", ver):
            return f"{ver} from {lib} is not a public glibc version"
        if vkey(ver) > vkey(floor):
            return f"{ver} from {lib} is newer than the floor GLIBC_{floor}"
        return None
    if lib == "libgcc_s.so.1" and ver.startswith("GCC_"):
        return None
    return f"{ver} from {lib}: the camera's {lib} need not carry symbol versions"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--glibc-floor", default="2.31")
    ap.add_argument("--bundled", help="folder of the libraries the package carries")
    ap.add_argument("elf", nargs="+")
    a = ap.parse_args()
    bundled = set(os.listdir(a.bundled)) if a.bundled and os.path.isdir(a.bundled) else set()
    bad = []
    for e in a.elf:
        needs = version_needs(e)
        glibc = [v for lib, v in needs if GLIBC_LIBS.match(lib) and v.startswith("GLIBC_2")]
        top = max(glibc, key=vkey) if glibc else "none"
        listed = " ".join(sorted({f"{v}({lib})" for lib, v in needs})) or "-"
        print(f"{os.path.basename(e)}: highest {top}; needs {listed}")
        for lib, v in needs:
            p = problems(lib, v, a.glibc_floor, bundled)
            if p:
                bad.append(f"{os.path.basename(e)}: {p}")
    for b in sorted(set(bad)):
        print(f"symbol-versions.py: {b}", file=sys.stderr)
    sys.exit(1 if a.check and bad else 0)


if __name__ == "__main__":
    main()
