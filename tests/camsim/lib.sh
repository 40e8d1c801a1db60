# Shell helpers for tests that run the agent on a camera simulated at the VAPIX level
# (tests/camsim): a private D-Bus daemon for the service account, camsim supervising the
# agent with platform axis. Source after tests/lib.sh.

CAMSIM="$ROOT/$BUILD/camsim"

# dbus_start: a private message bus (Debian's dbus-daemon); sets DBUS_ADDR.
dbus_start() {
	rm -f "$WORK/dbus.addr"
	dbus-daemon --session --nofork --print-address=3 3>"$WORK/dbus.addr" 2>>"$WORK/dbus.log" &
	PIDS+=($!)
	wait_for 10 test -s "$WORK/dbus.addr" || { echo "dbus-daemon did not start"; return 1; }
	DBUS_ADDR=$(head -n1 "$WORK/dbus.addr")
}

# camsim_start NAME SERIAL MODEL VERSION [camsim options...] [-- agent options...]
# Runs camsim (camera dir $WORK/NAME, log $WORK/NAME.log) with the agent under it
# (state dir $WORK/NAME/agent). Sets CAMSIM_PID and VAPIX_URL.
camsim_start() {
	local name=$1 serial=$2 model=$3 version=$4
	shift 4
	local copts=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		copts+=("$1")
		shift
	done
	[ "${1:-}" = "--" ] && shift
	rm -f "$WORK/$name.url"
	"$CAMSIM" --dir "$WORK/$name" --listen 127.0.0.12:0 --url-file "$WORK/$name.url" \
		--dbus-address "$DBUS_ADDR" --serial "$serial" --model "$model" --version "$version" \
		"${copts[@]}" -- "$CAMAGENT" --state-dir "$WORK/$name/agent" --set platform=axis \
		--set vapix_url=@VAPIX_URL@ --set "axis_dbus_address=$DBUS_ADDR" \
		--set local_api_port=0 --allow-insecure-http "$@" >>"$WORK/$name.log" 2>&1 &
	CAMSIM_PID=$!
	PIDS+=("$CAMSIM_PID")
	wait_for 10 test -s "$WORK/$name.url" || { echo "camsim did not start"; return 1; }
	VAPIX_URL=$(cat "$WORK/$name.url")
}

camsim_stop() {
	kill -TERM "$CAMSIM_PID" 2>/dev/null
	wait "$CAMSIM_PID" 2>/dev/null
}

# camsim_state NAME FIELD: one field of the camera's state.json.
camsim_state() {
	python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
print(str(v).lower() if isinstance(v, bool) else v)' "$WORK/$1/state.json" "$2"
}
camsim_has() { [ "$(camsim_state "$1" "$2" 2>/dev/null)" = "$3" ]; }

# camsim_faults NAME 'RULES': replaces the camera's fault switches (see tests/camsim/vapix.c).
camsim_faults() {
	printf '%s\n' "$2" >"$WORK/$1/faults.tmp" && mv "$WORK/$1/faults.tmp" "$WORK/$1/faults"
}

# service_password: the password camsim's D-Bus service hands out right now.
service_password() {
	gdbus call --address "$DBUS_ADDR" --dest com.axis.HTTPConf1 \
		--object-path /com/axis/HTTPConf1/VAPIXServiceAccounts1 \
		--method com.axis.HTTPConf1.VAPIXServiceAccounts1.GetCredentials camagent |
		sed -n "s/^('[^:]*:\(.*\)',)\$/\1/p"
}

# no_secret_in SECRET PATH...: the secret is in no file under the paths.
no_secret_in() {
	local secret=$1
	shift
	[ -n "$secret" ] && ! grep -rqF -- "$secret" "$@"
}

# loop_answers_during SECONDS SERIAL API_PORT NAME: while a slow camera call goes on for
# about SECONDS from now, the agent's local API answers every second within 500 ms, its
# heartbeat reaches the cloud and its task long poll goes on (checks NAME_local_api,
# NAME_heartbeat, NAME_task_polls). The agent runs with heartbeat_s=1 and a short poll.
loop_answers_during() {
	local secs=$1 serial=$2 port=$3 name=$4 started polls slow=0
	started=$(date +%s)
	polls=$(grep -c "tasks/next" "$WORK/cloud.log")
	for _ in $(seq $((secs - 3))); do
		curl -sf -m 0.5 "http://127.0.0.1:$port/api/status" >/dev/null || slow=$((slow + 1))
		sleep 1
	done
	check "${name}_local_api" test "$slow" = 0
	check "${name}_heartbeat" test "$(device_field "$serial" last_seen)" -ge $((started + 2))
	check "${name}_task_polls" test "$(grep -c "tasks/next" "$WORK/cloud.log")" -gt "$polls"
}
