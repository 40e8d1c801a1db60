#!/usr/bin/env bash
# camcloud under hostile clients, with its descriptor limit lowered to 1024: more
# slow connections (heads trickled a byte a second) and idle ones than that, opened
# at once and reopened when closed, while a normal client keeps asking (ten times a
# second, about a hundred samples). The normal client is answered within 100 ms (95 in
# 100 of its requests: one sample may wait for a busy machine's scheduler rather than
# for camcloud) and never waits a whole second, camcloud stays below 20% of one core
# (its own CPU time over the run: no spinning at the limit), slow heads and idle
# connections are closed by their timeouts, and one address gets no more than its
# share of connections (503 busy).
# check: alone (it bounds a normal client's p95 under attack)
set -u
. "$(dirname "$0")/../lib.sh"
SLOW=${SLOW:-1100}
TOOL="$ROOT/tests/tools/slowclients.py"
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
below() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$1" "$2"; }

ulimit -Sn 1024 # camcloud inherits it; the tool raises its own again
cloud_start 0 ${CLOUD_LOG_ARGS:-} --header-timeout 4 --idle-timeout 4 --max-conns-per-source 64 ||
	{ echo "FAIL cloud_start"; exit 1; }
PORT=$(cloud_port)
out=$(python3 "$TOOL" --port "$PORT" --pid "$CLOUD_PID" --slow "$SLOW" --sources 20 --seconds 12 \
	--token "$(head -n1 "$CLOUD_DATA/admin.token")")
echo "measured: $out"
check more_connections_than_the_fd_limit test "$(field "$out" opened_at_once)" -gt 1024
check normal_client_always_answered test "$(field "$out" probe_failures)" = 0
check normal_client_sampled_often test "$(field "$out" probes)" -ge 60
check normal_client_within_100ms_at_p95 below "$(field "$out" latency_ms_p95)" 100
check normal_client_never_waits_a_second below "$(field "$out" latency_ms_max)" 1000
check cpu_below_20_percent below "$(field "$out" cpu_percent)" 20
check slow_heads_closed test "$(field "$out" slow_closed)" -gt 0
check idle_connections_closed test "$(field "$out" idle_closed)" -gt 0
burst=$(python3 "$TOOL" --port "$PORT" --burst 74 --burst-from 127.0.0.250)
echo "burst: $burst"
check per_source_limit_answers_busy test "$(field "$burst" busy)" = 10
# the same when each connection's first bytes come with its accept
burst=$(python3 "$TOOL" --port "$PORT" --burst 74 --burst-from 127.0.0.251 --burst-head)
echo "burst with heads: $burst"
check per_source_limit_counts_a_head_sent_at_once test "$(field "$burst" busy)" = 10
check still_serving curl -sf -o /dev/null -H "Authorization: Bearer $(head -n1 "$CLOUD_DATA/admin.token")" \
	"$CLOUD_URL/admin/v1/orgs"
finish
