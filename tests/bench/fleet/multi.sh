#!/usr/bin/env bash
# The fleet benchmark against several camcloud instances on one PostgreSQL behind
# HAProxy: tests/bench/fleet/multi.sh [BUILD_DIR] [N] [INSTANCES] [fleet options]
# Starts a private PostgreSQL cluster (tests/pg.sh), INSTANCES camcloud processes
# sharing one signing key and admin token, HAProxy in front (tests/haproxy.sh), and
# runs the load generator through the balancer: devices enroll and hold their polls on
# whichever instance the balancer picks, the job is created through one of them and
# the others hear it by NOTIFY. The generator watches HAProxy (its RSS and CPU lines
# are HAProxy's); every instance's are printed at the end. Not a test.
# Every device is two descriptors in HAProxy: N is bounded by half the file limit.
set -eu
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
BUILD=${1:-$ROOT/build/host}
N=${2:-1000}
INSTANCES=${3:-3}
shift $(($# < 3 ? $# : 3))
CAMCLOUD=$BUILD/camcloud
FLEET=${FLEET:-$("$ROOT/tests/bench/fleet/build.sh" "$BUILD")}
. "$ROOT/tests/pg.sh"
. "$ROOT/tests/haproxy.sh"
. "$ROOT/tests/bench/fleet/common.sh"
ulimit -n "$(ulimit -Hn)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fleet-multi.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	pg_cluster_stop
	rm -rf "$WORK"
}
trap cleanup EXIT
pg_cluster_start
STORE=$(pg_database fleet)
LB="127.0.0.1:$(free_port)"
"$CAMCLOUD" signing-key create "$WORK/signing.key" >/dev/null
openssl rand -hex 32 >"$WORK/admin.token"
chmod 0600 "$WORK/admin.token"

servers=()
for i in $(seq "$INSTANCES"); do
	# Every connection comes from the balancer's address: no per-source cap here.
	"$CAMCLOUD" serve --data "$WORK/cloud$i" --listen 127.0.0.1:0 --url-file "$WORK/url$i" \
		--store "$STORE" --signing-key "$WORK/signing.key" --admin-token-file "$WORK/admin.token" \
		--public-url "http://$LB" --max-conns-per-source 1000000 \
		--log-level "${LOG_LEVEL:-warn}" 2>"$WORK/cloud$i.log" &
	PIDS+=($!)
	for _ in $(seq 200); do [ -s "$WORK/url$i" ] && break; sleep 0.05; done
	[ -s "$WORK/url$i" ] || { cat "$WORK/cloud$i.log" >&2; exit 1; }
	servers+=("$(sed 's|^http://||' "$WORK/url$i")")
done
HAPROXY_MAXCONN=$((N + 100)) HAPROXY_TIMEOUT_S=400 haproxy_config "$LB" "${servers[@]}" >"$WORK/haproxy.cfg"
haproxy -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
PIDS+=($!)
cc() { "$CAMCLOUD" --url "http://$LB" --admin-token-file "$WORK/admin.token" "$@"; }
for _ in $(seq 100); do cc org list >/dev/null 2>&1 && break; sleep 0.1; done

echo "$INSTANCES camcloud instances (pids ${PIDS[*]:0:$INSTANCES}) behind HAProxy, file limit $(ulimit -n)"
rc=0
# The generator waits until the process it watches holds N connections and is idle:
# that is HAProxy here, so its "camcloud" RSS and CPU lines are HAProxy's.
fleet_run "http://$LB" "${PIDS[$INSTANCES]}" "$WORK/admin.token" "$@" || rc=$?
for i in $(seq "$INSTANCES"); do
	p=${PIDS[$((i - 1))]}
	echo "instance $i: RSS $(($(awk '/VmRSS/ {print $2}' /proc/"$p"/status) / 1024)) MB," \
		"CPU $(ps -o times= -p "$p" | tr -d ' ') s in all"
	grep -m3 "ERROR" "$WORK/cloud$i.log" >&2 || true
done
grep -m3 -i "alert\|emerg" "$WORK/haproxy.log" >&2 || true
exit $rc
