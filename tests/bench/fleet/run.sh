#!/usr/bin/env bash
# The fleet benchmark against one camcloud: tests/bench/fleet/run.sh [BUILD_DIR] [N] [fleet options]
# Starts camcloud on loopback in a temporary directory with the file limit raised to the
# hard limit, makes an organization, a folder, an enrollment token for N devices and an
# image, runs the load generator (built by build.sh) and stops camcloud. Not a test.
# LOG_LEVEL=debug also prints camcloud's own time for the job create request.
# FLEET=PATH runs an already built generator (say, one built with sanitizers).
# STORE=postgres:CONNINFO runs camcloud on that PostgreSQL database (serve --store).
# CLOUD_OPTS="..." adds options to camcloud serve (say, --sign-threads 1).
set -eu
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
BUILD=${1:-$ROOT/build/host}
N=${2:-1000}
shift $(($# < 2 ? $# : 2))
CAMCLOUD=$BUILD/camcloud
FLEET=${FLEET:-$("$ROOT/tests/bench/fleet/build.sh" "$BUILD")}
. "$ROOT/tests/bench/fleet/common.sh"
ulimit -n "$(ulimit -Hn)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fleet-bench.XXXXXX")
CLOUD_PID=
cleanup() {
	[ -n "$CLOUD_PID" ] && kill -TERM "$CLOUD_PID" 2>/dev/null && wait "$CLOUD_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

"$CAMCLOUD" serve --data "$WORK/cloud" --listen 127.0.0.1:0 --url-file "$WORK/url" \
	${STORE:+--store "$STORE"} ${CLOUD_OPTS:-} --log-level "${LOG_LEVEL:-warn}" 2>"$WORK/cloud.log" &
CLOUD_PID=$!
for _ in $(seq 100); do [ -s "$WORK/url" ] && break; sleep 0.05; done
[ -s "$WORK/url" ] || { cat "$WORK/cloud.log" >&2; exit 1; }
cc() { "$CAMCLOUD" --url-file "$WORK/url" --data "$WORK/cloud" "$@"; }

echo "camcloud $(cc --version 2>/dev/null || true) pid $CLOUD_PID, file limit $(ulimit -n)"
rc=0
fleet_run "$(cat "$WORK/url")" "$CLOUD_PID" "$WORK/cloud/admin.token" "$@" || rc=$?
grep -m5 "ERROR" "$WORK/cloud.log" >&2 || true
grep -m1 "POST /admin/v1/jobs ->" "$WORK/cloud.log" | sed 's/.*http: /camcloud: /' || true
exit $rc
