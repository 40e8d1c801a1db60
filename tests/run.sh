#!/usr/bin/env bash
# Runs the unit test binaries given as arguments (cmocka), then every
# tests/integration/test_*.sh, and ends with one line: "N passed, N failed".
# Integration scripts print "PASS <name>" / "FAIL <name>" per case.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export BUILD=${BUILD:-build/host}
unit_only=0
if [ "${1:-}" = "--unit-only" ]; then
	unit_only=1
	shift
fi
passed=0
failed=0
failures=()

count_cmocka() { # binary output-file
	local ok bad
	ok=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$2" | tail -n1)
	bad=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$2" | tail -n1)
	if [ -z "$ok" ] && [ -z "$bad" ]; then
		failed=$((failed + 1)) # crashed before its summary
		failures+=("$(basename "$1") (no summary: crashed?)")
		return
	fi
	passed=$((passed + ${ok:-0}))
	failed=$((failed + ${bad:-0}))
	[ "${bad:-0}" = 0 ] || failures+=("$(basename "$1")")
}

out=$(mktemp)
for t in "$@"; do
	echo "--- $(basename "$t")"
	"$t" >"$out" 2>&1
	cat "$out"
	count_cmocka "$t" "$out"
done

if [ $unit_only = 0 ]; then
	for s in "$ROOT"/tests/integration/test_*.sh; do
		[ -e "$s" ] || continue
		echo "--- $(basename "$s")"
		bash "$s" >"$out" 2>&1
		rc=$?
		cat "$out"
		p=$(grep -c '^PASS ' "$out")
		f=$(grep -c '^FAIL ' "$out")
		if [ $rc != 0 ] && [ "$f" = 0 ]; then
			f=1 # died before reporting its failure
			echo "FAIL $(basename "$s") exited $rc"
		fi
		passed=$((passed + p))
		failed=$((failed + f))
		[ "$f" = 0 ] || failures+=("$(basename "$s")")
	done
fi
rm -f "$out"

echo
for f in "${failures[@]+"${failures[@]}"}"; do
	echo "failed: $f"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
