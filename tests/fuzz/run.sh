#!/usr/bin/env bash
# Builds each libFuzzer target tests/fuzz/fuzz_*.c with clang (ASan + UBSan) and runs it for
# SECONDS, starting from the seeds in tests/fuzz/corpus/<target>/. Prints one PASS/FAIL per
# target and "N passed, N failed".
#
# A target names what it links in one line of its own source:
#     /* fuzz-links: lib agent */
# with the sets below (lib, agent, cloud) or plain source paths. Adding a target is adding a
# file; this script does not change.
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]   (default 20 s, every target)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_EACH=${1:-20}
shift $(($# > 0 ? 1 : 0))
OUT="$ROOT/build/fuzz"
OBJ="$OUT/obj"
mkdir -p "$OBJ"
cd "$ROOT" || exit 1

CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer-no-link,address,undefined
	-fno-sanitize-recover=all -Wall -Wextra -Werror -Wno-unused-parameter
	-DCAMAGENT_VERSION=\"fuzz\" -I. $(pkg-config --cflags gio-2.0 libpq)"
LIBS="-lcmocka -lcurl -levent -lmbedtls -lmbedx509 -lmbedcrypto -lsqlite3 -lcrypto -lz -lpq -largon2
	$(pkg-config --libs gio-2.0)"

# Objects built with other flags are not reused.
[ "$(cat "$OBJ/.cflags" 2>/dev/null)" = "$CFLAGS" ] || { rm -rf "$OBJ" && mkdir -p "$OBJ" && echo "$CFLAGS" >"$OBJ/.cflags"; }

# The sources of each set, relative to the repository root.
set_sources() {
	case $1 in
	lib) ls lib/*.c | grep -v '^lib/sha256_mbedtls\.c$' ;; # the default hash backend
	agent) ls agent/*.c platform/*.c platform/sim/*.c platform/axis/*.c | grep -v '^agent/main\.c$' ;;
	cloud) find cloud -name '*.c' | sort | grep -v -e '^cloud/main\.c$' -e '^cloud/domain/ecdsa_mbedtls\.c$' \
		-e '^cloud/store/postgres/pg_none\.c$' # the default backends
		echo build/host/gen/console_assets.c ;; # the console, embedded (make fuzz makes it)
	*) echo "$1" ;;
	esac
}

# Compiles one source into build/fuzz/obj/ unless its object is newer than it and every header.
compile() {
	local src=$1 o="$OBJ/${1%.c}.o"
	if [ -f "$o" ] && [ "$o" -nt "$src" ] && [ -z "$(find lib agent cloud platform tests \
		-name '*.h' -newer "$o" -print -quit)" ]; then
		return 0
	fi
	mkdir -p "$(dirname "$o")"
	# shellcheck disable=SC2086
	clang $CFLAGS -c "$src" -o "$o"
}

build() { # target
	local t=$1 srcs="" objs="" s
	local links
	links=$(sed -n 's|.*fuzz-links: *\(.*[^ ]\) *\*/.*|\1|p' "tests/fuzz/$t.c" | head -n1)
	for s in $links; do
		srcs="$srcs $(set_sources "$s")"
	done
	for s in tests/fuzz/$t.c $srcs; do
		compile "$s" || return 1
		objs="$objs $OBJ/${s%.c}.o"
	done
	# shellcheck disable=SC2086
	clang -fsanitize=fuzzer,address,undefined $objs $LIBS -o "$OUT/$t"
}

# Scratch files of the targets, on tmpfs when there is one (state files are fsynced).
FUZZ_TMPDIR=$(mktemp -d "$([ -w /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/camagent-fuzz.XXXXXX")
export FUZZ_TMPDIR
trap 'rm -rf "$FUZZ_TMPDIR"' EXIT

targets="$*"
[ -n "$targets" ] || targets=$(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//')

# fuzz_one target: runs a built target for SECONDS_EACH; its verdict line (and what a
# failure found) goes to $OUT/<target>.verdict.
fuzz_one() {
	local t=$1 corpus="$OUT/corpus-$1"
	mkdir -p "$corpus"
	cp "tests/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null
	# The working directory is build/fuzz so crash-* files land there, not in the tree.
	# A fixed seed (FUZZ_SEED) makes a run repeatable: CI explores the same inputs each time.
	if (cd "$OUT" && "./$t" -seed="${FUZZ_SEED:-1}" -max_total_time="$SECONDS_EACH" \
		-max_len=4096 -timeout=10 \
		-rss_limit_mb=1024 "$corpus") >"$OUT/$t.log" 2>&1; then
		echo "PASS $t ($(sed -n 's/.*Done \([0-9]*\) runs.*/\1/p' "$OUT/$t.log") runs in ${SECONDS_EACH} s)"
	else
		echo "FAIL $t (see $OUT/$t.log)"
		grep -m1 -A25 'ERROR\|runtime error\|deadly signal' "$OUT/$t.log"
	fi >"$OUT/$t.verdict"
}

# Built one after another (they share objects), then run FUZZ_JOBS at a time (default:
# one per core): each run is one process on one core for its whole time.
built=()
passed=0
failed=0
for t in $targets; do
	if build "$t" >"$OUT/$t.build.log" 2>&1; then
		built+=("$t")
	else
		echo "FAIL $t (build)"
		tail -n 20 "$OUT/$t.build.log"
		failed=$((failed + 1))
	fi
done
jobs_max=${FUZZ_JOBS:-$(nproc)}
running=0
for t in "${built[@]+"${built[@]}"}"; do
	if [ "$running" -ge "$jobs_max" ]; then
		wait -n
		running=$((running - 1))
	fi
	fuzz_one "$t" &
	running=$((running + 1))
done
wait
for t in "${built[@]+"${built[@]}"}"; do
	cat "$OUT/$t.verdict"
	if grep -q '^PASS ' "$OUT/$t.verdict"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
