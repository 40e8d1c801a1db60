#!/usr/bin/env bash
# make qemu-check ARCH=aarch64|armv7hf: the cross-built unit tests, then the essential
# agent <-> camcloud integration test (tests/integration/test_end_to_end.sh) with the
# cross-built camagent, all under qemu-user; camcloud is the host build (build/host).
# Then the same test with the packed agent (the default .eap, unpacked) in a camera-like
# root: glibc 2.31 and the libraries AXIS OS provides, nothing of the build host's Debian 12
# (tests/qemu/camera-root.sh), failing on any dynamic-loader message on its stderr.
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

integration() { # WRAPPER LABEL: every $INTEGRATION test with $CAMAGENT=WRAPPER
	local s p f rc start
	for s in $INTEGRATION; do
		start=$SECONDS
		echo "--- $s ($2, host camcloud)"
		CAMAGENT="$1" CAMCLOUD="$ROOT/build/host/camcloud" BUILD="$BUILD" \
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
		[ "$f" = 0 ] || failures+=("$s ($2)")
		echo "qemu-check: $s ($2) took $((SECONDS - start)) s"
	done
}

# The agent runs under qemu-user through this wrapper; lib.sh takes it from $CAMAGENT.
wrapper="$ROOT/$BUILD/camagent.qemu"
printf '#!/bin/sh\nexec "%s" %s "%s" "$@"\n' "$RUN" "$ARCH" "$ROOT/$BUILD/camagent" >"$wrapper"
chmod +x "$wrapper"
integration "$wrapper" "camagent under qemu-user $ARCH"

# The packed agent in the camera-like root; its stderr also goes to a file, read for loader
# messages afterwards.
LOADER_MESSAGES="version [^ ]* not found|no version information|error while loading|cannot open shared object|ld\\.so|symbol lookup error"
app=$(python3 acap/manifest.py get manifest.json acapPackageConf.setup.appName)
eap=$(ls "$BUILD/${app}"_*_"$ARCH".eap 2>/dev/null | head -n1)
pkg="$ROOT/$BUILD/eap-unpacked"
camera="$ROOT/$BUILD/camera-root"
stderr_log="$ROOT/$BUILD/camera-root-stderr.log"
rm -rf "$pkg"
mkdir -p "$pkg"
if [ -n "$eap" ] && tar -xzf "$eap" -C "$pkg" &&
	SYSROOT=${SYSROOT:-$ROOT/build/sysroot-$ARCH} bash tests/qemu/camera-root.sh "$camera" "$pkg/lib"; then
	: >"$stderr_log"
	wrapper="$ROOT/$BUILD/camagent.camera"
	printf '#!/bin/bash\nexec 2> >(tee -a "%s" >&2)\nSYSROOT="%s" exec "%s" %s "%s" "$@"\n' \
		"$stderr_log" "$camera" "$RUN" "$ARCH" "$pkg/$app" >"$wrapper"
	chmod +x "$wrapper"
	integration "$wrapper" "packed $(basename "$eap") in a glibc $(strings "$camera/lib/$TRIPLET/libc.so.6" |
		sed -n 's/.*release version \([0-9][0-9.]*[0-9]\).*/\1/p' | head -n1) camera root"
	# the pattern must catch what a real loader says: a Debian 12 link in the same root
	probe="$ROOT/$BUILD/probe-debian12"
	printf '#include <pthread.h>\nstatic void *f(void *a) { return a; }\nint main(void) { pthread_t t; return pthread_create(&t, 0, f, 0); }\n' |
		"$TRIPLET-gcc" -x c - -o "$probe" -lpthread
	if SYSROOT="$camera" bash "$RUN" "$ARCH" "$probe" 2>&1 | grep -qE "$LOADER_MESSAGES"; then
		echo "PASS loader_message_pattern_catches_a_debian_12_link"
		passed=$((passed + 1))
	else
		echo "FAIL loader_message_pattern_catches_a_debian_12_link"
		failed=$((failed + 1))
		failures+=("loader message pattern")
	fi
	if grep -E "$LOADER_MESSAGES" "$stderr_log"; then
		echo "FAIL packed_agent_no_loader_messages"
		failed=$((failed + 1))
		failures+=("packed agent: loader messages")
	else
		echo "PASS packed_agent_no_loader_messages ($(wc -l <"$stderr_log") lines of agent stderr read)"
		passed=$((passed + 1))
	fi
else
	echo "FAIL packed_agent_unpacks (make acap ARCH=$ARCH)"
	failed=$((failed + 1))
	failures+=("packed agent: no package")
fi

echo
for f in "${failures[@]+"${failures[@]}"}"; do
	echo "failed: $f"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
