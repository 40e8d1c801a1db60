# Shared shell helpers for the demo and the integration tests: start a camcloud on
# a free loopback port with its own data dir, make simulated cameras, run agents
# under the simulated camera's power loop, wait for conditions, clean up.
# Source it; set BUILD (default build/host). Everything lives under $WORK.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-build/host}
CAMCLOUD=${CAMCLOUD:-"$ROOT/$BUILD/camcloud"} # override: e.g. a qemu-user wrapper (tests/qemu/)
CAMAGENT=${CAMAGENT:-"$ROOT/$BUILD/camagent"}
SIMCAM="$ROOT/platform/sim/simcam.sh"
MKIMAGE="$ROOT/platform/sim/mkimage.sh"
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/camagent-test.XXXXXX")}
mkdir -p "$WORK"
PIDS=()

cleanup() {
	local rc=$? pid
	set +e # processes stopped earlier make kill and wait fail; that is fine here
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	PIDS=()
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
	return $rc
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# cloud_start [PORT [SERVE OPTIONS...]]: starts camcloud (a free port by default); sets
# CLOUD_URL and CLOUD_DATA. CLOUD_ARGS (e.g. "--log-level debug") are added as well.
# With CAMCLOUD_STORE_BASE set (tests/run.sh, tests/pg.sh) the cloud keeps its state in
# a PostgreSQL database of its own, named after $WORK so that a restart finds it again.
cloud_start() {
	CLOUD_DATA="$WORK/cloud"
	rm -f "$WORK/cloud.url"
	local store=()
	if [ -n "${CAMCLOUD_STORE_BASE:-}" ]; then
		. "$ROOT/tests/pg.sh"
		local db
		db=cc_$(basename "$WORK" | tr -c 'a-zA-Z0-9' _ | tr A-Z a-z)
		store=(--store "$(pg_database "$db")")
		CLOUD_PG_CONN="$CAMCLOUD_STORE_BASE dbname=$db"
	fi
	"$CAMCLOUD" serve --data "$CLOUD_DATA" --listen "127.0.0.1:${1:-0}" --url-file "$WORK/cloud.url" \
		"${store[@]}" ${CLOUD_ARGS:-} "${@:2}" >>"$WORK/cloud.log" 2>&1 &
	CLOUD_PID=$!
	PIDS+=("$CLOUD_PID")
	wait_for 10 test -s "$WORK/cloud.url" || { echo "camcloud did not start:"; cat "$WORK/cloud.log"; return 1; }
	CLOUD_URL=$(cat "$WORK/cloud.url")
}

# cloud_sql SQL: runs SQL on the running cloud's store, SQLite or PostgreSQL. Only for
# fixtures: rows another part of the system writes in production.
cloud_sql() {
	if [ -n "${CLOUD_PG_CONN:-}" ]; then
		"$PG_BIN/psql" -q -X -v ON_ERROR_STOP=1 "$CLOUD_PG_CONN" -c "$1" >/dev/null
	else
		sqlite3 -bail -cmd ".timeout 5000" "$CLOUD_DATA/camcloud.db" "$1"
	fi
}

cloud_port() { echo "${CLOUD_URL##*:}"; }

# admin_http METHOD PATH [BODY]: one admin API request with the admin token; the reply
# body goes to $WORK/reply.json, the HTTP status to stdout. reply EXPR: a Python
# expression over that reply (j).
admin_http() {
	curl -s -o "$WORK/reply.json" -w '%{http_code}' -X "$1" \
		-H "Authorization: Bearer $(cat "$CLOUD_DATA/admin.token")" \
		-H 'Content-Type: application/json' ${3:+--data "$3"} "$CLOUD_URL$2"
}
reply() { python3 -c 'import json, sys; j = json.load(open(sys.argv[2])); print(eval(sys.argv[1]))' "$1" "$WORK/reply.json"; }

# smtp_sink_start: a local SMTP sink (tests/tools/smtp_sink.py, Debian's python3-aiosmtpd)
# writing every mail it accepts to $WORK/mails/NNNN.eml; sets SMTP_URL. Stopped at exit.
smtp_sink_start() {
	rm -f "$WORK/smtp.port"
	/usr/bin/python3 "$ROOT/tests/tools/smtp_sink.py" --dir "$WORK/mails" \
		--port-file "$WORK/smtp.port" "$@" >>"$WORK/smtp.log" 2>&1 &
	PIDS+=($!)
	wait_for 10 test -s "$WORK/smtp.port" || { echo "smtp sink did not start:"; cat "$WORK/smtp.log"; return 1; }
	SMTP_URL="smtp://127.0.0.1:$(cat "$WORK/smtp.port")"
}

cloud_stop() {
	kill -TERM "$CLOUD_PID" 2>/dev/null
	wait "$CLOUD_PID" 2>/dev/null
}

# The admin command line against the running cloud.
cc() {
	"$CAMCLOUD" --url-file "$WORK/cloud.url" --data "$CLOUD_DATA" "$@"
}

# camera_create NAME SERIAL MODEL VERSION: a simulated camera in $WORK/NAME.
camera_create() {
	"$CAMAGENT" sim-create "$WORK/$1" "$2" "$3" "$4"
}

# agent_start NAME [agent options...]: runs the agent under the camera's power loop.
# Sets AGENT_PID (the simcam loop). The log is $WORK/NAME.log.
agent_start() {
	local name=$1
	shift
	"$SIMCAM" "$WORK/$name" -- "$CAMAGENT" --state-dir "$WORK/$name/agent" \
		--sim-dir "$WORK/$name" --allow-insecure-http --set local_api_port=0 "$@" >>"$WORK/$name.log" 2>&1 &
	AGENT_PID=$!
	PIDS+=("$AGENT_PID")
}

# agent_kill9: kill -9 the agent (a crash or power cut); its power loop ends with it.
agent_kill9() {
	pkill -9 -P "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" 2>/dev/null
}

# agent_status NAME: `camagent status` of a camera.
agent_status() {
	"$CAMAGENT" status --state-dir "$WORK/$1/agent"
}

# check NAME CMD...: one test case: prints PASS/FAIL NAME; failures set FAILED=1.
FAILED=0
check() {
	local name=$1
	shift
	if "$@"; then
		echo "PASS $name"
	else
		echo "FAIL $name"
		FAILED=1
	fi
}

# finish: dumps logs when something failed; the exit code of the test script.
finish() {
	if [ "$FAILED" != 0 ]; then
		local f
		for f in "$WORK"/*.log; do
			echo "--- $f"
			tail -n 40 "$f"
		done
	fi
	exit "$FAILED"
}

agent_stop() {
	kill -TERM "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" 2>/dev/null
}

# wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}

# device_field SERIAL FIELD: one field of a device from `camcloud device list`.
device_field() {
	cc device list | python3 -c '
import json, sys
serial, field = sys.argv[1], sys.argv[2]
for d in json.load(sys.stdin)["devices"]:
    if d["serial"] == serial:
        print(d.get(field, "")); break
else:
    sys.exit(1)' "$1" "$2"
}

device_has() { [ "$(device_field "$1" "$2")" = "$3" ]; }

not() { ! "$@"; }

# jget EXPR: a Python expression over the JSON on stdin (j).
jget() { python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# token_secret TOKEN: the secret inside a cam1. enrollment token.
token_secret() {
	python3 -c '
import base64, json, sys
b = sys.argv[1].split(".", 1)[1]
print(json.loads(base64.urlsafe_b64decode(b + "=" * (-len(b) % 4)))["secret"])' "$1"
}

# proxy_start: a fault-injecting proxy in front of the cloud; sets PROXY_URL.
# Change its behaviour with `faults '<rules json>'`; its request log is $WORK/proxy.log.
proxy_start() {
	faults '{"rules": []}'
	python3 "$ROOT/tests/tools/faultproxy.py" --upstream "$CLOUD_URL" --rules "$WORK/faults.json" \
		--log "$WORK/proxy.log" --url-file "$WORK/proxy.url" >>"$WORK/proxy.out" 2>&1 &
	PIDS+=($!)
	wait_for 10 test -s "$WORK/proxy.url" || { echo "faultproxy did not start"; return 1; }
	PROXY_URL=$(cat "$WORK/proxy.url")
}

faults() {
	printf '%s\n' "$1" >"$WORK/faults.json.tmp" && mv "$WORK/faults.json.tmp" "$WORK/faults.json"
}

# task_field ID FIELD: one field of `camcloud task show`.
task_field() {
	cc task show "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$2"
}

# license_field ID FIELD: one field of the license as the cloud lists it.
license_field() {
	cc license list | python3 -c '
import json, sys
for l in json.load(sys.stdin)["licenses"]:
    if l["id"] == sys.argv[1]:
        print(l.get(sys.argv[2], ""))' "$1" "$2"
}

# license_reason ID: why the cloud lists a license as failed ("" when it is not).
license_reason() { license_field "$1" reason; }

# license_events ID: "event reason" lines of a license's record, oldest first.
license_events() {
	cc license events --license "$1" | python3 -c '
import json, sys
for e in json.load(sys.stdin)["events"]:
    print(e["event"], e["reason"])'
}

# key_file FILE SERIAL APPLICATION_ID [YYYY-MM-DD]: writes a license key file of the
# shape a vendor's license service issues (lib/keyfile.h). Its signature is a stand-in:
# only the vendor can make a real one, and the simulated camera does not check it.
key_file() {
	{
		printf '<?xml version="1.0" encoding="UTF-8"?>\n<LicenseKey>\n'
		printf '  <DeviceID>%s</DeviceID>\n  <ApplicationID>%s</ApplicationID>\n' "$2" "$3"
		[ -n "${4:-}" ] && printf '  <ExpirationDate>%s</ExpirationDate>\n' "$4"
		printf '  <Signature>%s</Signature>\n</LicenseKey>\n' \
			"$(printf '%s/%s' "$2" "$3" | sha256sum | cut -c1-64)"
	} >"$1"
}

# device_app DEVICE_ID APP FIELD: one field of an application the device reported.
device_app() {
	cc device apps "$1" | python3 -c '
import json, sys
for a in json.load(sys.stdin)["apps"]:
    if a["name"] == sys.argv[1]:
        v = a[sys.argv[2]]
        print(str(v).lower() if isinstance(v, bool) else v)' "$2" "$3"
}

task_progress_at_least() { [ "$(task_field "$1" progress)" -ge "$2" ] 2>/dev/null; }
