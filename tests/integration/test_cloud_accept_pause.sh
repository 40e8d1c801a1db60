#!/usr/bin/env bash
# camcloud out of descriptors: with its limit lowered to 70, more idle connections than it
# can hold make accept() fail with EMFILE while the listener stays readable. camcloud
# stops accepting for a moment instead of spinning (its log says so, its CPU stays low),
# a request sent meanwhile waits in the backlog, and once the idle clients go that request
# is answered and new ones are served again.
set -u
. "$(dirname "$0")/../lib.sh"
HOLD=90

ulimit -Sn 70 # camcloud inherits it
CLOUD_ARGS="--log-level debug" cloud_start 0 --idle-timeout 60 --header-timeout 60 \
	--max-conns-per-source 1000 || { echo "FAIL cloud_start"; exit 1; }
ulimit -Sn "$(ulimit -Hn)"
PORT=$(cloud_port)
TOKEN=$(head -n1 "$CLOUD_DATA/admin.token")
out=$(python3 - "$PORT" "$CLOUD_PID" "$HOLD" "$TOKEN" <<'PY'
import json, os, socket, sys, threading, time
port, pid, hold, token = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
tick = os.sysconf("SC_CLK_TCK")
def cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick
def ask(res):
    t0 = time.monotonic()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET /admin/v1/orgs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                  b"Authorization: Bearer " + token.encode() + b"\r\n\r\n")
        data = s.recv(64)
        res["status"] = data.split(b" ")[1].decode() if data.startswith(b"HTTP/") else "none"
    except OSError as e:
        res["status"] = "error " + str(e)
    res["at"] = time.monotonic() - t0
held = []
for _ in range(hold):
    held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
time.sleep(0.5)
c0, t0 = cpu(), time.monotonic()
waiting = {}
th = threading.Thread(target=ask, args=(waiting,))
th.start()
time.sleep(3)
cpu_pct = 100 * (cpu() - c0) / (time.monotonic() - t0)
answered_while_full = "at" in waiting
released = time.monotonic()
for s in held:
    s.close()
th.join(15)
after = {}
ask(after)
print(json.dumps({"cpu_percent": round(cpu_pct, 1), "answered_while_full": answered_while_full,
                  "waiting_status": waiting.get("status"),
                  "waiting_answered_after_release_s": round(waiting.get("at", 99) - 3, 2),
                  "after_status": after.get("status")}))
PY
)
echo "measured: $out"
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
below() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$1" "$2"; }
check accept_paused_at_the_limit grep -q "server: accept: Too many open files; pausing" "$WORK/cloud.log"
check no_spin_while_full below "$(field "$out" cpu_percent)" 20
check request_waits_while_full test "$(field "$out" answered_while_full)" = False
check request_answered_once_resumed test "$(field "$out" waiting_status)" = 200
check answered_soon_after_release below "$(field "$out" waiting_answered_after_release_s)" 2
check serves_new_requests_afterwards test "$(field "$out" after_status)" = 200
cloud_stop
finish
