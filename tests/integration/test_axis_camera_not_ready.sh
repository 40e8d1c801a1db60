#!/usr/bin/env bash
# A camera that is not ready when the agent starts does not kill the agent: the camera
# still starting (camsim --not-ready: systemready "no", every CGI 503, no service account
# on D-Bus), then basicdeviceinfo.cgi answering 503, 401 and garbage. Each time the agent
# stays up, says why in its log and on its local API, asks again with a bounded backoff
# and enrolls once the camera answers. An enrolled agent restarted while its camera is not
# ready (basicdeviceinfo.cgi 503, 401, garbage; VAPIX unreachable) keeps reporting what it
# knows to the cloud (the last identity and version, with camera_not_ready saying why) and
# on its local API, and reports the camera back once it answers.
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
# --- an enrolled agent restarted while its camera is not ready
last_report() { # DEVICE EXPR: a Python expression on r, the device's last report
	cc device show "$1" | python3 -c '
import json, sys
r = json.load(sys.stdin).get("last_report") or {}
sys.exit(0 if eval(sys.argv[1]) else 1)' "$2"
}
reports_not_ready() { # DEVICE WORDS
	last_report "$1" '"'"$2"'" in r.get("camera_not_ready", "") and r.get("os_version") == "11.11.73" and r.get("serial") == "'"$SERIAL"'"'
}
reports_ready() { last_report "$1" '"camera_not_ready" not in r and r.get("os_version") == "11.11.73"'; }
SERIAL=ACCC8E00B201
PORT=$(free_port)
AGENT_OPTS=(--set local_api_port="$PORT" --set long_poll_s=2 --set heartbeat_s=1)
camsim_start known "$SERIAL" "$MODEL" 11.11.73 -- --token "$(cc token create "$FOLDER")" \
	"${AGENT_OPTS[@]}" || { echo "FAIL camsim_start"; finish; }
check known_enrolled wait_for 20 device_has "$SERIAL" os_version 11.11.73
KNOWN=$(cc device find "$SERIAL")
camsim_stop
for cause in "http=503:HTTP 503" "http=401:refused the service account (HTTP 401)" \
	"garbage:reply is not a JSON object"; do
	fault=${cause%%:*} words=${cause#*:}
	printf 'basicdeviceinfo.cgi %s *\n' "$fault" >"$WORK/known/faults"
	camsim_start known "$SERIAL" "$MODEL" 11.11.73 -- "${AGENT_OPTS[@]}" ||
		{ echo "FAIL camsim_start"; finish; }
	check "reports_not_ready_${fault/=/_}" wait_for 30 reports_not_ready "$KNOWN" "$words"
	check "api_not_ready_${fault/=/_}" api_says_not_ready "$PORT" "$words"
	camsim_faults known ""
	check "reports_ready_again_${fault/=/_}" wait_for 60 reports_ready "$KNOWN"
	camsim_stop
done
# VAPIX unreachable: the agent alone, its VAPIX URL a closed port (a camsim without an
# agent of its own hands out the service account on D-Bus)
"$CAMSIM" --dir "$WORK/bus" --listen 127.0.0.12:0 --url-file "$WORK/bus.url" \
	--dbus-address "$DBUS_ADDR" --serial ACCC8E00B2FF --model "$MODEL" --version 11.11.73 \
	-- sleep 600 >>"$WORK/bus.log" 2>&1 &
BUS_PID=$!
PIDS+=("$BUS_PID")
"$CAMAGENT" --state-dir "$WORK/known/agent" --set platform=axis \
	--set vapix_url="http://127.0.0.12:$(free_port)" --set "axis_dbus_address=$DBUS_ADDR" \
	--allow-insecure-http "${AGENT_OPTS[@]}" >>"$WORK/alone.log" 2>&1 &
ALONE_PID=$!
PIDS+=("$ALONE_PID")
check reports_not_ready_unreachable wait_for 30 reports_not_ready "$KNOWN" "cannot reach the camera"
check api_not_ready_unreachable api_says_not_ready "$PORT" "cannot reach the camera"
check alone_stays_up kill -0 "$ALONE_PID"
kill -TERM "$ALONE_PID" "$BUS_PID" 2>/dev/null
wait "$ALONE_PID" "$BUS_PID" 2>/dev/null
cloud_stop
finish
