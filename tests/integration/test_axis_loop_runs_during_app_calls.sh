#!/usr/bin/env bash
# The agent's loop keeps running while the camera answers the Application API slowly: an
# app package upload (upload.cgi), a license key upload (license.cgi), the application
# list (list.cgi) and the app's settings read again on SIGHUP (param.cgi) each answered
# seconds late (camsim's delay fault) leave the settings page's API, the heartbeat and the
# task long poll answering, and each call still ends with the camera's answer. A package of
# 64 MiB is hashed and its manifest read a piece a loop turn: no turn holds the loop for
# more than LOOP_LIMIT_MS of CPU (the agent's loop watch, CAMAGENT_TEST_LOOP_WATCH).
# check: alone (it bounds how late the local API answers)
set -u
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/camsim/lib.sh"

SERIAL=ACCC8E00A0A7
MODEL=P3265-LVE
SLOW_S=8
LOOP_LIMIT_MS=40
export CAMAGENT_TEST_LOOP_WATCH=$LOOP_LIMIT_MS
MKEAP="bash $ROOT/tests/tools/mkeap.sh"
API_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
jget() { python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
task_is() { [ "$(cc job show "$1" | jget '[t["state"] for t in j["tasks"]][0]')" = "$2" ]; }
faults_hit() { grep -c "fault: $1" "$WORK/cam.log"; } # CGI: requests the fault took
hit_more() { [ "$(faults_hit "$1")" -gt "$2" ]; }    # CGI N: more than N so far
licensed() { [ "$(device_app "$DEV" camagent-analytics license_state)" = Valid ]; }

CLOUD_ARGS="--log-level debug" cloud_start || { echo "FAIL cloud_start"; exit 1; }
dbus_start || { echo "FAIL dbus_start"; exit 1; }
ORG=$(cc org create "Slow Org")
TOKEN=$(cc token create "$(cc folder create "$ORG" "Yard")")
camsim_start cam "$SERIAL" "$MODEL" 12.10.1 --app camagent-analytics:4711 \
	-- --token "$TOKEN" --set local_api_port="$API_PORT" --set long_poll_s=2 \
	--set heartbeat_s=1 || { echo "FAIL camsim_start"; finish; }
check enrolled wait_for 20 device_has "$SERIAL" os_version 12.10.1
DEV=$(cc device find "$SERIAL")

# An app package the camera takes slowly.
$MKEAP "$WORK/s.eap" analytics 1.1.0 aarch64 --signed
JOB=$(cc app task install "$(cc app upload "$WORK/s.eap")" --devices "$DEV")
camsim_faults cam "upload.cgi delay=$SLOW_S"
check app_upload_started wait_for 30 grep -q "uploading analytics 1.1.0" "$WORK/cam.log"
loop_answers_during "$SLOW_S" "$SERIAL" "$API_PORT" during_app_upload
check app_upload_still_running task_is "$JOB" installing
check app_installed wait_for 30 task_is "$JOB" succeeded

# A license key the camera takes slowly.
camsim_faults cam "license.cgi:uploadlicensekey delay=$SLOW_S"
key_file "$WORK/analytics.xml" "$SERIAL" 4711
L=$(cc license preload --org "$ORG" --serial "$SERIAL" --app 4711 --key-file "$WORK/analytics.xml")
check license_upload_started wait_for 30 hit_more license.cgi 0
loop_answers_during "$SLOW_S" "$SERIAL" "$API_PORT" during_license_upload
check license_still_pending not grep -q "installing -> active" "$WORK/cam.log"
check license_active cc license wait "$L" active 30

# Every application list answered slowly (the report's inventory asks for one each time).
hits=$(faults_hit list.cgi)
camsim_faults cam "list.cgi delay=$SLOW_S *"
check list_started wait_for 30 hit_more list.cgi "$hits"
loop_answers_during "$SLOW_S" "$SERIAL" "$API_PORT" during_list
camsim_faults cam ""
check inventory_follows wait_for 30 licensed

# The app's settings read again on SIGHUP, answered slowly (this camera has no axparameter).
camsim_faults cam "param.cgi:list delay=$SLOW_S *"
kill -HUP "$(camsim_state cam agent_pid)"
check settings_read_started wait_for 10 grep -q "fault: param.cgi:list" "$WORK/cam.log"
loop_answers_during "$SLOW_S" "$SERIAL" "$API_PORT" during_settings_read
camsim_faults cam ""
check settings_read_ends wait_for 30 grep -q "SIGHUP: configuration reloaded" "$WORK/cam.log"

# A large package: hashed and read a piece a loop turn before it goes up (its download is
# not looked at: over loopback curl hands over megabytes in one turn).
$MKEAP "$WORK/big.eap" analytics 1.2.0 aarch64 --signed --payload-mb 64
from=$(wc -l <"$WORK/cam.log")
JOB=$(cc app task install "$(cc app upload "$WORK/big.eap")" --devices "$DEV")
check big_download_done wait_for 120 grep -q "uploading analytics 1.2.0" "$WORK/cam.log"
check big_installed wait_for 60 task_is "$JOB" succeeded
check loop_watch_on grep -q "loop: watching for turns" "$WORK/cam.log"
# from the downloaded package's end on: the checks before the upload and the upload
held=$(tail -n +$((from + 1)) "$WORK/cam.log" | sed -n '/download complete/,$p' |
	grep "loop: held" | head -3)
[ -n "$held" ] && echo "long turns: $held"
check big_checked_in_short_turns test -z "$held"
check no_crash not grep -Eq "exited with|AddressSanitizer|runtime error" "$WORK/cam.log"
camsim_stop
cloud_stop
finish
