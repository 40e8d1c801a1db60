#!/usr/bin/env bash
# camcloud's time for one folder job over N devices, without a fleet:
#   tests/bench/job_create_bench.sh [BUILD_DIR] [N] [RUNS]
# Starts camcloud in a temporary directory (STORE=postgres: on a private PostgreSQL
# cluster from tests/pg.sh, else SQLite), writes N devices of one model into one folder
# by SQL (rows enrollment would write; nothing holds a poll, so no wake-up follows), then
# creates RUNS folder jobs of an image for that model, each after cancelling the last (so
# every job makes N tasks again), and prints the admin's wall time and camcloud's own
# time and CPU for each (the CPU is the steadier figure on a shared machine). Not a test.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build/host}
N=${2:-10000}
RUNS=${3:-2}
CAMCLOUD=$BUILD/camcloud
WORK=$(mktemp -d "${TMPDIR:-/tmp}/job-bench.XXXXXX")
CLOUD_PID=
cleanup() {
	[ -n "$CLOUD_PID" ] && kill -TERM "$CLOUD_PID" 2>/dev/null && wait "$CLOUD_PID" 2>/dev/null
	[ "${STORE:-}" = postgres ] && pg_cluster_stop
	rm -rf "$WORK"
}
trap cleanup EXIT
store=()
if [ "${STORE:-}" = postgres ]; then
	. "$ROOT/tests/pg.sh"
	pg_cluster_start
	store=(--store "$(pg_database jobbench)")
	sql() { "$PG_BIN/psql" -q -X -v ON_ERROR_STOP=1 "$CAMCLOUD_STORE_BASE dbname=jobbench" -c "$1" >/dev/null; }
else
	sql() { sqlite3 -bail -cmd ".timeout 5000" "$WORK/cloud/camcloud.db" "$1"; }
fi
"$CAMCLOUD" serve --data "$WORK/cloud" --listen 127.0.0.1:0 --url-file "$WORK/url" \
	"${store[@]}" --log-level debug 2>"$WORK/cloud.log" &
CLOUD_PID=$!
for _ in $(seq 100); do [ -s "$WORK/url" ] && break; sleep 0.05; done
[ -s "$WORK/url" ] || { cat "$WORK/cloud.log" >&2; exit 1; }
cc() { "$CAMCLOUD" --url-file "$WORK/url" --data "$WORK/cloud" "$@"; }

org=$(cc org create bench)
folder=$(cc folder create "$org" all)
head -c 4096 /dev/urandom >"$WORK/image.bin"
image=$(cc image add BENCH-1 2.0.0 "$WORK/image.bin")
# ids of 32 decimal digits (hex digits all), the same SQL on both stores
sql "WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n + 1 < $N)
INSERT INTO devices (id, org_id, folder_id, serial, model, hardware_id, arch, public_key,
 key_fp, os_version, agent_version, created_at)
SELECT substr('0000000000000000000000000000000' || CAST(n + 1000000 AS TEXT),
 length(CAST(n + 1000000 AS TEXT)), 32), '$org', '$folder', 'B' || CAST(n + 1000000 AS TEXT),
 'BENCH-1', 'hw', 'aarch64', 'key', 'fp', '1.0.0', '0.1.0', 0 FROM k"
echo "$N devices in one folder ($(uptime | sed 's/.*load/load/'))"
# camcloud's CPU time so far, in ms (utime + stime of /proc/PID/stat)
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$CLOUD_PID/stat"; }
for i in $(seq "$RUNS"); do
	c0=$(cpu_ms)
	t0=$(date +%s%N)
	job=$(cc job create "$image" --folder "$folder" 2>/dev/null)
	t1=$(date +%s%N)
	c1=$(cpu_ms)
	handler=$(grep "POST /admin/v1/jobs ->" "$WORK/cloud.log" | tail -1 | sed 's/.*-> //')
	echo "job create $i: admin request $(((t1 - t0) / 1000000)) ms (command line included), camcloud: $handler, its CPU $((c1 - c0)) ms"
	cc job cancel "$job" >/dev/null
done
