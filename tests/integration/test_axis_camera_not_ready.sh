#!/usr/bin/env bash
# A camera that is not ready when the agent starts does not kill the agent: the camera
# still starting (camsim --not-ready: systemready "no", every CGI 503, no service account
# on D-Bus), then basicdeviceinfo.cgi answering 503, 401 and garbage. Each time the agent
# stays up, says why in its log and on its local API, asks again with a bounded backoff
# and enrolls once the camera answers.
set -u
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/camsim/lib.sh"

MODEL=P3265-LVE
NOT_READY_S=6
cloud_start || { echo "FAIL cloud_start"; exit 1; }
dbus_start || { echo "FAIL dbus_start"; exit 1; }
FOLDER=$(cc folder create "$(cc org create "Boot Org")" "Hall")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
api_says_not_ready() { # PORT WORDS
	curl -sf -m 1 "http://127.0.0.1:$1/api/status" | python3 -c '
import json, sys
sys.exit(0 if sys.argv[1] in json.load(sys.stdin)["camera_not_ready"] else 1)' "$2"
}

# --- still starting: systemready "no", 503 and no D-Bus account for NOT_READY_S seconds
PORT=$(free_port)
camsim_start slow ACCC8E00B001 "$MODEL" 11.11.73 --not-ready $NOT_READY_S \
	-- --token "$(cc token create "$FOLDER")" --set local_api_port="$PORT" \
	--set long_poll_s=20 || { echo "FAIL camsim_start"; finish; }
STARTED=$SECONDS
check not_ready_logged wait_for 10 grep -q "the camera is not ready (attempt 1): systemready.cgi: the camera is not ready yet" "$WORK/slow.log"
check not_ready_on_local_api wait_for 5 api_says_not_ready "$PORT" "not ready yet"
check not_ready_in_status_file grep -q '"camera_not_ready":"systemready.cgi' "$WORK/slow/agent/status.json"
check enrolls_once_ready wait_for 60 device_has ACCC8E00B001 os_version 11.11.73
check did_not_start_early test $((SECONDS - STARTED)) -ge $((NOT_READY_S - 1))
check agent_never_exited not grep -q "the agent exited" "$WORK/slow.log"
ATTEMPTS=$(grep -c "the camera is not ready (attempt" "$WORK/slow.log")
check backoff_bounds_attempts test "$ATTEMPTS" -ge 2 -a "$ATTEMPTS" -le 6
check ready_after_attempts grep -q "the camera is ready after" "$WORK/slow.log"
check api_clear_once_ready not api_says_not_ready "$PORT" "not ready"
camsim_stop

# --- VAPIX 503, 401 and garbage from basicdeviceinfo.cgi at start
n=0
for fault in "http=503" "http=401" "garbage"; do
	n=$((n + 1))
	SERIAL=ACCC8E00B10$n
	mkdir -p "$WORK/cam$n"
	printf 'basicdeviceinfo.cgi %s 3\n' "$fault" >"$WORK/cam$n/faults"
	camsim_start "cam$n" "$SERIAL" "$MODEL" 11.11.73 \
		-- --token "$(cc token create "$FOLDER")" --set long_poll_s=20 ||
		{ echo "FAIL camsim_start"; finish; }
	check "waits_on_${fault/=/_}" wait_for 20 grep -q "the camera is not ready (attempt 1): .*basicdeviceinfo" "$WORK/cam$n.log"
	check "recovers_from_${fault/=/_}" wait_for 60 device_has "$SERIAL" os_version 11.11.73
	check "stays_up_on_${fault/=/_}" not grep -q "the agent exited" "$WORK/cam$n.log"
	camsim_stop
done
cloud_stop
finish
