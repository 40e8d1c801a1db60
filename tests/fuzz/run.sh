#!/usr/bin/env bash
# Builds each libFuzzer target with clang (ASan + UBSan) and runs it for SECONDS,
# starting from the seeds in tests/fuzz/corpus/<target>/. Prints one PASS/FAIL per target.
# Usage: tests/fuzz/run.sh [SECONDS]   (default 20)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_EACH=${1:-20}
OUT="$ROOT/build/fuzz"
mkdir -p "$OUT"
passed=0
failed=0
build() { # target sources...
	local t=$1
	shift
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all "$@" -lmbedtls -lmbedx509 -lmbedcrypto -lz -o "$OUT/$t"
}
LIB="$ROOT/lib/json.c $ROOT/lib/buf.c $ROOT/lib/crypto.c $ROOT/lib/fsutil.c $ROOT/lib/log.c $ROOT/lib/envelope.c"
for t in fuzz_json fuzz_envelope fuzz_window fuzz_eap; do
	extra=""
	[ $t = fuzz_window ] && extra="$ROOT/agent/window.c"
	[ $t = fuzz_eap ] && extra="$ROOT/lib/eap.c $ROOT/lib/version.c"
	# shellcheck disable=SC2086
	if ! build $t "$ROOT/tests/fuzz/$t.c" $LIB $extra; then
		echo "FAIL $t (build)"
		failed=$((failed + 1))
		continue
	fi
	corpus="$OUT/corpus-$t"
	mkdir -p "$corpus"
	cp "$ROOT/tests/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null
	if "$OUT/$t" -max_total_time="$SECONDS_EACH" -max_len=4096 "$corpus" >"$OUT/$t.log" 2>&1; then
		echo "PASS $t ($(sed -n 's/.*Done \([0-9]*\) runs.*/\1/p' "$OUT/$t.log") runs in ${SECONDS_EACH} s)"
		passed=$((passed + 1))
	else
		echo "FAIL $t"
		tail -n 30 "$OUT/$t.log"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
