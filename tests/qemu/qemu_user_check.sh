#!/usr/bin/env bash
# make qemu-check ARCH=aarch64|armv7hf: the cross-built unit tests, then the essential
# agent <-> camcloud integration test (tests/integration/test_end_to_end.sh) with the
# cross-built camagent, all under qemu-user; camcloud is the host build (build/host).
# Ends with one line: "N passed, N failed".
# usage: ARCH=... BUILD=build/<arch> qemu_user_check.sh UNIT_TEST_BINARIES...
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
: "${ARCH:?}" "${BUILD:?}"
RUN="$ROOT/toolchain/qemu-user.sh"
INTEGRATION=${QEMU_INTEGRATION:-test_end_to_end.sh}
passed=0
failed=0
failures=()
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# Test fixtures that unit tests start as processes (tests/camsim) run as host builds: an
# emulated program cannot exec another foreign binary without binfmt_misc.
export CAMSIM=${CAMSIM:-$ROOT/build/host/camsim}

start=$SECONDS
for t in "$@"; do
	echo "--- $(basename "$t") (qemu-user $ARCH)"
	bash "$RUN" "$ARCH" "$t" >"$out" 2>&1
	cat "$out"
	ok=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n1)
	bad=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n1)
	if [ -z "$ok$bad" ]; then
		failed=$((failed + 1))
		failures+=("$(basename "$t") (no summary: crashed?)")
		continue
	fi
	passed=$((passed + ${ok:-0}))
	failed=$((failed + ${bad:-0}))
	[ "${bad:-0}" = 0 ] || failures+=("$(basename "$t")")
done
echo "qemu-check: unit tests took $((SECONDS - start)) s"

# The agent runs under qemu-user through this wrapper; lib.sh takes it from $CAMAGENT.
wrapper="$ROOT/$BUILD/camagent.qemu"
printf '#!/bin/sh\nexec "%s" %s "%s" "$@"\n' "$RUN" "$ARCH" "$ROOT/$BUILD/camagent" >"$wrapper"
chmod +x "$wrapper"
for s in $INTEGRATION; do
	start=$SECONDS
	echo "--- $s (camagent under qemu-user $ARCH, host camcloud)"
	CAMAGENT="$wrapper" CAMCLOUD="$ROOT/build/host/camcloud" BUILD="$BUILD" \
		bash "tests/integration/$s" >"$out" 2>&1
	rc=$?
	cat "$out"
	p=$(grep -c '^PASS ' "$out")
	f=$(grep -c '^FAIL ' "$out")
	if [ $rc != 0 ] && [ "$f" = 0 ]; then
		f=1
		echo "FAIL $s exited $rc"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" = 0 ] || failures+=("$s")
	echo "qemu-check: $s took $((SECONDS - start)) s"
done

echo
for f in "${failures[@]+"${failures[@]}"}"; do
	echo "failed: $f"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
