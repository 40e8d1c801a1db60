#!/usr/bin/env bash
# Application tasks from the cloud to cameras, end to end. An app rolled to a folder: the
# camera of the other architecture is skipped with why, the camera that installs only
# signed packages (AllowUnsigned false) fails with that reason; with a signed package it
# installs, starts, takes a parameter its manifest declares, stops and is removed, each
# confirmed from list.cgi; a job for every camera running the app reaches only the camera
# whose inventory lists it running, and an action on an app no camera has any longer is
# skipped as not installed. The agent updates itself through a cloud app task across the
# camera's restart of its app: the new agent confirms the task from list.cgi and reports the
# new version, enrolled once, its keys kept. An AXIS OS 13 upgrade is refused while the
# schema-1 agent package is installed and allowed once the app task replaced it.
set -u
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/camsim/lib.sh"
MODEL=P3265-LVE
MKEAP="bash $ROOT/tests/tools/mkeap.sh"
jget() { python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
job_task_of() { # JOB SERIAL FIELD: a field of the job's task for that camera
	cc job show "$1" | jget '[t["'"$3"'"] for t in j["tasks"] if t["serial"] == "'"$2"'"][0]'
}
task_is() { [ "$(job_task_of "$1" "$2" state)" = "$3" ]; }
reason_has() { job_task_of "$1" "$2" reason | grep -q "$3"; } # JOB SERIAL TEXT
vapix() { curl -s -u "a0-camagent:$(service_password)" "$@"; }
listed() { # APP ATTR VALUE: list.cgi shows the attribute of the app
	vapix -X POST "$VAPIX_URL/axis-cgi/applications/list.cgi" | grep "Name=\"$1\"" |
		grep -q "$2=\"$3\""
}
# inventory APP FIELD VALUE: the camera's inventory in the cloud (its last report) says so;
# an app job decides from it, so each step waits for the report that follows a task
inventory() { [ "$(device_app "$DEV" "$1" "$2")" = "$3" ]; }
# app_job ACTION PACKAGE TARGET-OPTIONS...: the job id (skips on $WORK/skipped.txt)
app_job() { cc app task "$@" 2>"$WORK/skipped.txt"; }

cloud_start || { echo "FAIL cloud_start"; exit 1; }
dbus_start || { echo "FAIL dbus_start"; exit 1; }
ORG=$(cc org create "Apps Org")
SITE=$(cc folder create "$ORG" "Site")
ROOF=$(cc folder create "$ORG" "Roof" --parent "$SITE")

camsim_start cam ACCC8E00T001 "$MODEL" 12.10.1 --app-version 0.1.0 \
	-- --token "$(cc token create "$ROOF")" --set long_poll_s=20 || { echo "FAIL camsim"; finish; }
"$CAMAGENT" sim-create "$WORK/arm" ACCC8E00T002 M1065-L 12.10.1 armv7hf
agent_start arm --token "$(cc token create "$SITE")" --set long_poll_s=20
check enrolled wait_for 20 device_has ACCC8E00T001 os_version 12.10.1
check arm_enrolled wait_for 20 device_has ACCC8E00T002 os_version 12.10.1
DEV=$(cc device find ACCC8E00T001)
check reports_listed_version wait_for 10 device_has ACCC8E00T001 agent_version 0.1.0
KEY_FP=$(cc device show "$DEV" | jget 'j["key_fp"]')

# --- an app rolled to the folder tree: wrong architecture skipped, unsigned refused
$MKEAP "$WORK/u.eap" analytics 1.0.0 aarch64 --param Sensitivity=5
UNSIGNED=$(cc app upload "$WORK/u.eap")
JOB=$(app_job install "$UNSIGNED" --folder "$SITE")
check job_created test -n "$JOB"
check wrong_arch_skipped grep -q "skipped ACCC8E00T002 .*analytics 1.0.0 would not run there: the package is for aarch64, the camera is armv7hf" "$WORK/skipped.txt"
check unsigned_fails wait_for 30 task_is "$JOB" ACCC8E00T001 failed
check unsigned_reason reason_has "$JOB" ACCC8E00T001 "install: upload.cgi: Error 2 (verification failed: the signature is missing or invalid); the camera's AllowUnsigned is false"
check nothing_installed not listed analytics Version 1.0.0

# --- a signed package: install, start, set a declared parameter, stop, remove
$MKEAP "$WORK/s.eap" analytics 1.1.0 aarch64 --signed --param Sensitivity=5
SIGNED=$(cc app upload "$WORK/s.eap")
JOB=$(app_job install "$SIGNED" --devices "$DEV")
check signed_installs wait_for 30 task_is "$JOB" ACCC8E00T001 succeeded
check listed_installed listed analytics Version 1.1.0
check listed_stopped listed analytics Status Stopped
check inventory_installed wait_for 20 inventory analytics version 1.1.0
JOB=$(app_job start "$SIGNED" --devices "$DEV")
check start_succeeds wait_for 30 task_is "$JOB" ACCC8E00T001 succeeded
check listed_running listed analytics Status Running
check inventory_running wait_for 20 inventory analytics running true
# every camera running the app: the arm camera runs none
JOB=$(app_job restart "$SIGNED" --running analytics)
check running_target_one_task [ "$(cc job show "$JOB" | jget '[t["serial"] for t in j["tasks"]]')" = "['ACCC8E00T001']" ]
check running_target_kind [ "$(cc job show "$JOB" | jget '(j["kind"], j["target"])')" = "('running', 'analytics')" ]
check running_target_restarts wait_for 30 task_is "$JOB" ACCC8E00T001 succeeded
JOB=$(app_job restart "$SIGNED" --running nothere)
check running_target_nobody [ "$(cc job show "$JOB" | jget 'len(j["tasks"]) + len(j["skipped"])')" = 0 ]
JOB=$(app_job start "$SIGNED" --devices "$DEV")
check start_twice_fails wait_for 30 task_is "$JOB" ACCC8E00T001 failed
check start_twice_reason reason_has "$JOB" ACCC8E00T001 "already running"
check undeclared_param_refused not cc app task set_params "$SIGNED" --devices "$DEV" --param Nope=1 2>/dev/null
JOB=$(app_job set_params "$SIGNED" --devices "$DEV" --param Sensitivity=9)
check set_params_succeeds wait_for 30 task_is "$JOB" ACCC8E00T001 succeeded
JOB=$(app_job stop "$SIGNED" --devices "$DEV")
check stop_succeeds wait_for 30 task_is "$JOB" ACCC8E00T001 succeeded
check listed_stopped_again listed analytics Status Stopped
JOB=$(app_job remove "$SIGNED" --devices "$DEV")
check remove_succeeds wait_for 30 task_is "$JOB" ACCC8E00T001 succeeded
check removed not listed analytics Version 1.1.0
check inventory_removed wait_for 20 not inventory analytics version 1.1.0
JOB=$(app_job start "$SIGNED" --folder "$SITE")
check not_installed_skipped grep -q "skipped ACCC8E00T001 .*app not installed (analytics is not in the camera's inventory)" "$WORK/skipped.txt"
check not_installed_arm_skipped grep -q "skipped ACCC8E00T002 .*app not installed" "$WORK/skipped.txt"
check not_installed_no_task [ "$(cc job show "$JOB" | jget 'len(j["tasks"])')" = 0 ]

# --- the schema-1 agent package strands the agent on AXIS OS 13
$MKEAP "$WORK/agent_0_1_0.eap" camagent 0.1.0 aarch64 --signed --schema 1
cc app upload "$WORK/agent_0_1_0.eap" >/dev/null
$MKEAP "$WORK/agent_0_2_0.eap" camagent 0.2.0 aarch64 --signed --os 12.10-13
NEXT=$(cc app upload "$WORK/agent_0_2_0.eap")
"$MKIMAGE" "$WORK/os13.bin" "$MODEL" 13.0.1 $((64 * 1024)) ok
OS13=$(cc image add "$MODEL" 13.0.1 "$WORK/os13.bin")
check os13_refused not cc task create "$DEV" "$OS13" 2>"$WORK/strand.err"
check os13_reason_offers_fix grep -q "camagent 0.1.0 would not run on AXIS OS 13.0.1 .*install camagent 0.2.0 first (package $NEXT)" "$WORK/strand.err"

# --- the agent updates itself through a cloud app task
PID1=$(camsim_state cam agent_pid)
JOB=$(app_job install "$NEXT" --devices "$DEV")
check self_update_succeeds wait_for 60 task_is "$JOB" ACCC8E00T001 succeeded
check agent_was_restarted [ "$(camsim_state cam agent_pid)" != "$PID1" ]
check task_passed_rebooting cc history | grep -q "task .* on ACCC8E00T001: installing -> rebooting"
check confirmed_by_new_agent grep -q "the camera lists camagent 0.2.0 Running" "$WORK/cam.log"
check new_version_reported wait_for 20 device_has ACCC8E00T001 agent_version 0.2.0
check list_shows_new_version listed camagent Version 0.2.0
check enrolled_once [ "$(grep -c "enrolled as device" "$WORK/cam.log")" = 1 ]
check same_device [ "$(cc device find ACCC8E00T001)" = "$DEV" ]
check same_key [ "$(cc device show "$DEV" | jget 'j["key_fp"]')" = "$KEY_FP" ]
check task_state_cleared not test -e "$WORK/cam/agent/task.json"

# --- now AXIS OS 13 is allowed
LATER=$(($(date +%s) + 86400))
OS13_TASK=$(cc task create "$DEV" "$OS13" --window-utc "$LATER" $((LATER + 3600)))
check os13_allowed_after_update test -n "$OS13_TASK"
cc task cancel "$OS13_TASK" >/dev/null
finish
