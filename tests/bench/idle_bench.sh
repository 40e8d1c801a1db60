#!/usr/bin/env bash
# Idle cost: an enrolled camagent against camcloud, side by side in the same run with
# swupdate (suricatta, hawkBit mode) and mender-client from Debian, each pointed at a dead
# loopback port and polling every POLL_S seconds like the agent. Prints wake-ups (voluntary
# context switches) and CPU per 10 minutes, private dirty and PSS, and the agent's long polls:
# started, cut, answered, the fraction of the time one is held (tests/bench/idle_watch.py).
# Both camagent and camcloud log at debug level, which is where polls are logged.
# Needs root the first time (toolchain/bench-deps.sh installs swupdate and mender-client).
# Usage: tests/bench/idle_bench.sh [SECONDS]   (default 600; a warm-up of WARMUP_S=15 first)
set -eu
SECONDS_IDLE=${1:-600}
WARMUP_S=${WARMUP_S:-15}
POLL_S=60 # the agent's long_poll_s default
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
bash "$ROOT/toolchain/bench-deps.sh"
CLOUD_ARGS="--log-level debug"
. "$ROOT/tests/lib.sh"

cloud_start
ORG=$(cc org create bench)
FOLDER=$(cc folder create "$ORG" bench)
camera_create cam ACCC8E0BE001 P3265-LVE 1.0.0
agent_start cam --token "$(cc token create "$FOLDER")" --log-level debug
wait_for 20 device_has ACCC8E0BE001 os_version 1.0.0
AGENT=$(pgrep -P "$AGENT_PID" -x camagent)

# A loopback port nothing listens on.
DEAD=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# swupdate: suricatta against a hawkBit that is not there. It insists on a verification
# certificate for signed images; a throwaway one will do.
SW="$WORK/swupdate"
mkdir -p "$SW"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=bench \
	-days 2 -keyout "$SW/key.pem" -out "$SW/cert.pem" 2>/dev/null
cat >"$SW/swupdate.cfg" <<CFG
globals : { verbose = true; loglevel = 3; };
suricatta : { tenant = "default"; id = "bench"; url = "http://127.0.0.1:$DEAD"; polldelay = $POLL_S; };
CFG
TMPDIR="$SW" swupdate -k "$SW/cert.pem" -f "$SW/swupdate.cfg" \
	-u "-t default -u http://127.0.0.1:$DEAD -i bench -p $POLL_S" >"$WORK/swupdate.log" 2>&1 &
SWUPDATE=$!
PIDS+=("$SWUPDATE")

# mender-client: the daemon against a Mender server that is not there.
MD="$WORK/mender"
mkdir -p "$MD"
echo "device_type=bench" >"$MD/device_type"
echo '{}' >"$MD/fallback.conf"
cat >"$MD/mender.conf" <<CFG
{"ServerURL": "http://127.0.0.1:$DEAD", "DeviceTypeFile": "$MD/device_type",
 "UpdatePollIntervalSeconds": $POLL_S, "InventoryPollIntervalSeconds": 300,
 "RetryPollIntervalSeconds": $POLL_S}
CFG
mender --config "$MD/mender.conf" --fallback-config "$MD/fallback.conf" --data "$MD" \
	--no-syslog --log-level info daemon >"$WORK/mender.log" 2>&1 &
MENDER=$!
PIDS+=("$MENDER")

sleep "$WARMUP_S"
for p in "$SWUPDATE" "$MENDER"; do
	kill -0 "$p" 2>/dev/null || { echo "a comparison program died:"; tail -n 5 "$WORK"/{swupdate,mender}.log; exit 1; }
done
echo "idle for $SECONDS_IDLE s from the first poll after a $WARMUP_S s warm-up; load average $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$ROOT/tests/bench/idle_watch.py" "$SECONDS_IDLE" "$WORK/cam.log" "$WORK/cloud.log" "$POLL_S" \
	camagent="$AGENT" swupdate="$SWUPDATE" mender-client="$MENDER"
echo "swupdate $(dpkg-query -W -f='${Version}' swupdate), mender-client" \
	"$(dpkg-query -W -f='${Version}' mender-client); load average $(cut -d' ' -f1-3 /proc/loadavg)"
