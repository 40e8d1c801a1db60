#!/usr/bin/env bash
# The agent's loop keeps running while the camera takes an AXIS OS image: the upload and the
# firmware status and bootid asked right before it go through the agent's one curl multi,
# so a camera that answers them late (camsim's delay faults on firmwaremanagement.cgi status
# and upgrade and on systemready.cgi, the minutes of a real camera scaled down to seconds)
# does not stop the settings page's API, the heartbeat or the task long poll.
# check: alone (it bounds how late the local API answers)
set -u
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/camsim/lib.sh"

SERIAL=ACCC8E00A0A5
MODEL=P3265-LVE
UPLOAD_S=8
ASK_S=5 # the firmware status, then the bootid, each answered this late
API_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

CLOUD_ARGS="--log-level debug" cloud_start || { echo "FAIL cloud_start"; exit 1; }
dbus_start || { echo "FAIL dbus_start"; exit 1; }
TOKEN=$(cc token create "$(cc folder create "$(cc org create "Upload Org")" "Yard")")
camsim_start cam "$SERIAL" "$MODEL" 11.11.73 --reboot-delay $((UPLOAD_S + 2)) \
	-- --token "$TOKEN" --set local_api_port="$API_PORT" --set long_poll_s=2 \
	--set heartbeat_s=1 || { echo "FAIL camsim_start"; finish; }
check enrolled wait_for 20 device_has "$SERIAL" os_version 11.11.73
DEVICE=$(cc device find "$SERIAL")

camsim_faults cam "firmwaremanagement.cgi:status delay=$ASK_S
systemready.cgi:systemready delay=$ASK_S
firmwaremanagement.cgi:upgrade delay=$UPLOAD_S"
"$MKIMAGE" "$WORK/img.bin" "$MODEL" 12.0.1 $((256 * 1024)) ok
T=$(cc task create "$DEVICE" "$(cc image add "$MODEL" 12.0.1 "$WORK/img.bin")")
check status_asked wait_for 30 grep -q "fault: firmwaremanagement.cgi:status" "$WORK/cam.log"
loop_answers_during $((2 * ASK_S)) "$SERIAL" "$API_PORT" before_upload
check bootid_asked grep -q "fault: systemready.cgi:systemready" "$WORK/cam.log"
check upload_started wait_for 30 grep -q "uploading AXIS OS image" "$WORK/cam.log"
loop_answers_during "$UPLOAD_S" "$SERIAL" "$API_PORT" during_upload
check upload_still_running not grep -q "camera accepted AXIS OS" "$WORK/cam.log"
check agent_says_it_goes_on grep -q "the camera takes the image; the agent goes on" "$WORK/cam.log"

check upgrade_succeeds cc task wait "$T" succeeded 90
check camera_runs_new camsim_has cam active 12.0.1
camsim_stop
cloud_stop
finish
