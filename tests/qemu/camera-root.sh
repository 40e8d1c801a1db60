#!/usr/bin/env bash
# Makes a camera-like library root for qemu-user: Debian 11's glibc 2.31 and the libraries
# AXIS OS provides (acap/axis-os-libs.txt) with what they in turn need, all taken from the
# target sysroot, and nothing else: no library of the build host's Debian 12, none of the
# package's own (they must come from its lib/). Link-only stubs are never taken.
# Run a packed executable in it: SYSROOT=OUT_DIR toolchain/qemu-user.sh ARCH PROGRAM.
# usage: ARCH=.. TRIPLET=.. SYSROOT=.. camera-root.sh OUT_DIR [PACKAGE_LIB_DIR]
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
: "${ARCH:?}" "${TRIPLET:?}" "${SYSROOT:?}"
OUT=${1:?usage: camera-root.sh OUT_DIR [PACKAGE_LIB_DIR]}
OWN=${2:-}
L="$OUT/lib/$TRIPLET"
rm -rf "$OUT"
mkdir -p "$L"
dirs="$SYSROOT/lib/$TRIPLET $SYSROOT/usr/lib/$TRIPLET"
for so in $(sed 's/#.*//' "$ROOT/acap/axis-os-libs.txt"); do
	for d in $dirs; do
		# (the link stubs are the unversioned libfoo.so names, never a SONAME listed here)
		if [ -e "$d/$so" ]; then
			cp -L "$d/$so" "$L/$so"
			break
		fi
	done
done
# what those libraries (libcurl, glib) need is the camera's too
python3 "$ROOT/toolchain/elf-closure.py" $(for d in $dirs; do echo --libdir "$d"; done) "$L"/* |
	while read -r so p; do
		[ -e "$L/$so" ] || cp -L "$p" "$L/$so"
	done
if [ -n "$OWN" ] && [ -d "$OWN" ]; then
	for so in $(ls "$OWN"); do rm -f "$L/$so"; done
fi
# the program interpreter, where PT_INTERP names it (/lib/ld-linux-*.so.*)
for ld in "$L"/ld-linux*.so.*; do
	cp -L "$ld" "$OUT/lib/$(basename "$ld")"
done
