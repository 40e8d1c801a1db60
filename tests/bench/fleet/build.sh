#!/usr/bin/env bash
# Builds the fleet load generator into BUILD_DIR (default build/host) from its own
# sources and the lib/ modules it shares with the agent: tests/bench/fleet/build.sh [BUILD_DIR]
set -eu
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
OUT=${1:-$ROOT/build/host}/bench
mkdir -p "$OUT"
CC=${CC:-cc}
EXTRA=
case "$(basename "$CC")" in *clang*) EXTRA=-Wno-unknown-warning-option ;; esac
${CC} $EXTRA -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
	-Wno-format-truncation -o "$OUT/fleet" \
	"$ROOT"/tests/bench/fleet/fleet.c "$ROOT"/tests/bench/fleet/proc.c \
	"$ROOT"/lib/buf.c "$ROOT"/lib/crypto.c "$ROOT"/lib/fsutil.c "$ROOT"/lib/json.c "$ROOT"/lib/log.c \
	"$ROOT"/lib/monotonic.c \
	"$ROOT"/lib/sha256_mbedtls.c \
	-levent -lmbedtls -lmbedx509 -lmbedcrypto -lm
echo "$OUT/fleet"
