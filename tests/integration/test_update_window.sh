#!/usr/bin/env bash
# Update windows, end to end: the agent downloads and verifies at once, waits in
# waiting_window (and says so), installs only once the window opens; a task whose
# window is far away can be cancelled while waiting; a window that closed fails.
set -u
. "$(dirname "$0")/../lib.sh"
MODEL=P3265-LVE

cloud_start || { echo "FAIL cloud_start"; exit 1; }
ORG=$(cc org create "Org W")
FOLDER=$(cc folder create "$ORG" "Yard")
camera_create cam ACCC8E00W001 "$MODEL" 11.0.0
agent_start cam --token "$(cc token create "$FOLDER")" --set heartbeat_s=2 --set retry_max_s=1
wait_for 20 device_has ACCC8E00W001 os_version 11.0.0 || { echo "FAIL enroll"; finish; }
DEV=$(cc device find ACCC8E00W001)
image() { "$MKIMAGE" "$WORK/img-$1.bin" "$MODEL" "$1" $((1024 * 1024)) ok; cc image add "$MODEL" "$1" "$WORK/img-$1.bin"; }
state_of() { [ "$(task_field "$1" state)" = "$2" ]; }
log_line_time() { grep "$1" "$WORK/cam.log" | head -n1 | cut -c1-20; }

# A window opening in 6 s: downloaded and verified now, installed only then.
OPEN_AT=$(($(date +%s) + 6))
T=$(cc task create "$DEV" "$(image 11.1.0)" --window-utc "$OPEN_AT" $((OPEN_AT + 600)))
check waits_for_window wait_for 10 state_of "$T" waiting_window
check verified_before_window test -n "$(grep "task $T: downloading -> verifying" "$WORK/cam.log")"
check agent_says_it_waits grep -q "waiting [0-9]* s for the update window" "$WORK/cam.log"
check status_shows_waiting grep -q "waiting_window" <(agent_status cam)
check installs_in_window cc task wait "$T" succeeded 30
installed=$(date -u -d "$(log_line_time "task $T: waiting_window -> installing")" +%s)
check not_installed_before_window test "$installed" -ge "$OPEN_AT"
check runs_new_version wait_for 10 device_has ACCC8E00W001 os_version 11.1.0

# A window hours away: waiting, then cancelled; the agent learns it on its heartbeat.
HOUR=$(date -d '+3 hours' +%H):00
T=$(cc task create "$DEV" "$(image 11.2.0)" --window-daily "$HOUR" "$(date -d '+4 hours' +%H):00")
check daily_window_waits wait_for 10 state_of "$T" waiting_window
cc task cancel "$T" >/dev/null
check cancel_while_waiting wait_for 15 grep -q "task $T: the cloud cancelled it" "$WORK/cam.log"
check cancelled_image_deleted wait_for 5 sh -c "! ls '$WORK/cam/agent' | grep -q '^download-'"
check not_installed device_has ACCC8E00W001 os_version 11.1.0

# A window that ends while the agent is off: it fails instead of installing late.
agent_stop
NOW=$(date +%s)
T=$(cc task create "$DEV" "$(image 11.3.0)" --window-utc $((NOW + 1)) $((NOW + 3)) --expires-in 600)
sleep 4
agent_start cam
check closed_window_fails cc task wait "$T" failed 30
check closed_window_reason grep -q "window closed" <(cc task show "$T")
check closed_window_not_installed device_has ACCC8E00W001 os_version 11.1.0
agent_stop
finish
