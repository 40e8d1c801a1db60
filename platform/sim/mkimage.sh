#!/usr/bin/env bash
# mkimage.sh: builds a simulated camera OS image (see platform/sim/sim.c) for tests and demos:
# a CAMSIM-IMAGE text header padded with random bytes to exactly SIZE_BYTES.
# usage: mkimage.sh OUT MODEL VERSION SIZE_BYTES [ok|fail]
set -eu

usage() {
	echo "usage: mkimage.sh OUT MODEL VERSION SIZE_BYTES [ok|fail]" >&2
	exit 2
}

[ $# -eq 4 ] || [ $# -eq 5 ] || usage
out=$1 model=$2 version=$3 size=$4 boot=${5:-ok}

case "$boot" in ok | fail) ;; *) echo "mkimage.sh: boot must be ok or fail" >&2; exit 2 ;; esac
case "$size" in '' | *[!0-9]*) echo "mkimage.sh: SIZE_BYTES must be a number" >&2; exit 2 ;; esac
for v in "$model" "$version"; do
	if [ -z "$v" ] || [ "${#v}" -ge 64 ] || [ -n "$(printf '%s' "$v" | tr -d '[:print:]')" ]; then
		echo "mkimage.sh: model and version must be 1..63 printable characters" >&2
		exit 2
	fi
done

header=$(printf 'CAMSIM-IMAGE 1\nmodel=%s\nversion=%s\nboot=%s\n' "$model" "$version" "$boot")
hsize=$(( $(printf '%s\n\n' "$header" | wc -c) ))
if [ "$size" -lt "$hsize" ]; then
	echo "mkimage.sh: SIZE_BYTES must be at least the header size ($hsize)" >&2
	exit 2
fi

tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
{
	printf '%s\n\n' "$header"
	head -c "$((size - hsize))" /dev/urandom
} >"$tmp"
actual=$(wc -c <"$tmp")
if [ "$actual" -ne "$size" ]; then
	echo "mkimage.sh: wrote $actual bytes instead of $size" >&2
	exit 1
fi
mv -f "$tmp" "$out"
trap - EXIT
