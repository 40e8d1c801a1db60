#!/usr/bin/env bash
# A new agent that never checks in: the camera takes the agent's new package but does not
# restart the agent; the task waits in rebooting, and once the cloud's deadline for the new
# agent has passed (its clock moved with --test-clock) the task is failed with that reason,
# in the history too. Before the deadline it is still rebooting.
set -u
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/camsim/lib.sh"
MKEAP="bash $ROOT/tests/tools/mkeap.sh"
DEADLINE=900 # APP_CHECKIN_DEADLINE_S (cloud/domain/apps.h)
jget() { python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
task_state() { cc job show "$1" | jget 'j["tasks"][0]["state"]'; }
task_is() { [ "$(task_state "$1")" = "$2" ]; }

: >"$WORK/clock"
cloud_start 0 --test-clock "$WORK/clock" || { echo "FAIL cloud_start"; exit 1; }
dbus_start || { echo "FAIL dbus_start"; exit 1; }
FOLDER=$(cc folder create "$(cc org create "Apps Org")" "Roof")
camsim_start cam ACCC8E00V001 P3265-LVE 12.10.1 --app-version 0.1.0 --app-restart-delay 100000 \
	-- --token "$(cc token create "$FOLDER")" --set long_poll_s=20 || { echo "FAIL camsim"; finish; }
check enrolled wait_for 20 device_has ACCC8E00V001 os_version 12.10.1
$MKEAP "$WORK/agent.eap" camagent 0.2.0 aarch64 --signed
JOB=$(cc app task install "$(cc app upload "$WORK/agent.eap")" --devices "$(cc device find ACCC8E00V001)")
check waits_in_rebooting wait_for 30 task_is "$JOB" rebooting
camsim_stop # the camera never restarts the agent
NOW=$(date +%s)
echo $((NOW + DEADLINE - 60)) >"$WORK/clock"
check still_rebooting_before_deadline task_is "$JOB" rebooting
echo $((NOW + DEADLINE + 60)) >"$WORK/clock"
check failed_after_deadline task_is "$JOB" failed
check overdue_reason [ "$(cc job show "$JOB" | jget 'j["tasks"][0]["reason"]')" = "the new agent never checked in after its package was installed" ]
check overdue_in_history cc history | grep -q "rebooting -> failed: the new agent never checked in"
finish
