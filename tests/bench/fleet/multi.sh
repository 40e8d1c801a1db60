#!/usr/bin/env bash
# The fleet benchmark against several camcloud instances on one PostgreSQL behind
# HAProxy: tests/bench/fleet/multi.sh [BUILD_DIR] [N] [INSTANCES] [fleet options]
# Starts a private PostgreSQL cluster (tests/pg.sh), INSTANCES camcloud processes
# sharing one signing key and admin token, HAProxy in front (tests/haproxy.sh), and
# runs the load generator through the balancer: devices enroll and hold their polls on
# whichever instance the balancer picks, the job is created through one of them and
# the others hear it by NOTIFY. The generator watches the instances (its "camcloud" RSS
# and CPU lines are their sums); each instance's, and HAProxy's, are printed at the end.
# Not a test.
# Every device is two descriptors in HAProxy, so one HAProxy process carries at most
# half the file limit: LB_PROCS HAProxy processes (default: enough for N) bind the same
# port (HAProxy sets SO_REUSEPORT on Linux) and the kernel spreads the connections
# over them; each is a whole balancer with the same configuration.
# FLEET_PROCS generator processes (default: enough for N at 15,000 each) share the
# N devices (common.sh); N should be a multiple of it.
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
# a process holds 2 descriptors per device: stay under the limit with room for the
# kernel's uneven spread (a quarter more than an even share)
per_proc=$((($(ulimit -n) - 500) / 2))
LB_PROCS=${LB_PROCS:-$(((N * 5 / 4 + per_proc - 1) / per_proc))}
share=$((N * 5 / 4 / LB_PROCS + 100))
[ "$share" -le "$per_proc" ] || share=$per_proc
# a check every second, down after 5 failures: a connect on a loaded machine can take
# longer than the test's 300 ms, and a fleet's enrollment loads it
HAPROXY_CHECK="inter 1s fall 5 rise 2" HAPROXY_MAXCONN=$share HAPROXY_TIMEOUT_S=400 haproxy_config "$LB" "${servers[@]}" >"$WORK/haproxy.cfg"
LB_PIDS=
for _ in $(seq "$LB_PROCS"); do
	haproxy -db -f "$WORK/haproxy.cfg" >>"$WORK/haproxy.log" 2>&1 &
	PIDS+=($!)
	LB_PIDS=${LB_PIDS:+$LB_PIDS,}$!
done
for _ in $(seq 100); do
	"$CAMCLOUD" --url "http://$LB" --admin-token-file "$WORK/admin.token" org list >/dev/null 2>&1 && break
	sleep 0.1
done
# The set-up goes to one instance: each has a data directory of its own here, and an
# upload's chunks must all reach the one that holds its file (docs/operations.md).
cc() { "$CAMCLOUD" --url "http://${servers[0]}" --admin-token-file "$WORK/admin.token" "$@"; }

# A listening port's column col of ss: 2 the connections waiting to be accepted, 3 the
# backlog. A process's resident kB, and its CPU time.
listen_queue() { ss -Hlnt "sport = :$1" | awk -v col="$2" '{print $col; exit}'; }
rss_kb() { awk '/VmRSS/ {print $2}' /proc/"$1"/status; }
cpu_time() { ps -o times= -p "$1" | tr -d ' '; }

# Each instance's accept queue, sampled: its peak, and the kernel's count of
# connections dropped because a listen queue was full (ListenOverflows, machine-wide),
# say whether an instance stopped keeping up with its new connections.
queue_peaks() {
	local peak=() at=() i n t0=$SECONDS
	while :; do
		for i in "${!servers[@]}"; do
			n=$(listen_queue "${servers[$i]##*:}" 2)
			[ "${n:-0}" -le "${peak[$i]:-0}" ] || { peak[$i]=$n; at[$i]=$((SECONDS - t0)); }
		done
		printf '%s\n%s\n' "${peak[*]}" "${at[*]}" >"$WORK/queue_peaks"
		sleep 0.2
	done
}
overflows() { nstat -az TcpExtListenOverflows | awk '/ListenOverflows/ {print $2}'; }
overflows_before=$(overflows)
queue_peaks &
SAMPLER=$!
PIDS+=($SAMPLER)

FLEET_PROCS=${FLEET_PROCS:-$(((N + 14999) / 15000))}
echo "$INSTANCES camcloud instances (pids ${PIDS[*]:0:$INSTANCES}) behind $LB_PROCS HAProxy" \
	"processes on one port (pids $LB_PIDS, maxconn $share each), $FLEET_PROCS generator" \
	"processes, file limit $(ulimit -n)"
rc=0
# The generator waits until the processes it watches hold a connection per device and
# are idle: the instances. (HAProxy holds two per device, and idles while an instance
# is still working through its queue: watching it, the job came before half the polls
# were held.)
INSTANCE_PIDS=$(IFS=,; echo "${PIDS[*]:0:$INSTANCES}")
fleet_run "http://$LB" "$INSTANCE_PIDS" "$WORK/admin.token" "$@" || rc=$?
kill "$SAMPLER" 2>/dev/null && wait "$SAMPLER" 2>/dev/null || true
peaks=() at=()
{ read -r -a peaks && read -r -a at; } <"$WORK/queue_peaks" || true
echo "accept queues: peak $(IFS=/; echo "${peaks[*]}") of $(listen_queue "${servers[0]##*:}" 3)" \
	"(instances 1..$INSTANCES), at $(IFS=/; echo "${at[*]}") s into the" \
	"run; listen overflows on the machine: $(($(overflows) - overflows_before))"
for i in $(seq "$INSTANCES"); do
	p=${PIDS[$((i - 1))]}
	echo "instance $i: RSS $(($(rss_kb "$p") / 1024)) MB, CPU $(cpu_time "$p") s in all"
	grep -m3 "ERROR" "$WORK/cloud$i.log" >&2 || true
done
lb_rss=0 lb_cpu=
for p in ${LB_PIDS//,/ }; do
	lb_rss=$((lb_rss + $(rss_kb "$p")))
	lb_cpu="$lb_cpu $(cpu_time "$p")"
done
echo "HAProxy: RSS $((lb_rss / 1024)) MB in all, CPU$lb_cpu s"
grep -m5 -i "alert\|emerg\|is down" "$WORK/haproxy.log" >&2 || true
exit $rc
