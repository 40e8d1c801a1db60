#!/usr/bin/env bash
# Damaged state files never stop the agent. Each of state.json, task.json,
# licenses.json and device.key is emptied, cut in half, overwritten with garbage or
# replaced by valid JSON of the wrong shape; the agent keeps running and falls back to
# the file's previous generation (.prev) where one exists, else does the safest thing
# the file allows: no task (or the named task failed, told to the cloud), licenses
# fetched again, or a new device key and the unenrolled state that needs a new token.
set -u
. "$(dirname "$0")/../lib.sh"
MODEL=P3265-LVE
SERIAL=ACCC8E00D001
S="$WORK/cam/agent"
OPTS=(--set heartbeat_s=2 --set retry_max_s=1)

cloud_start || { echo "FAIL cloud_start"; exit 1; }
ORG=$(cc org create "Org D")
FOLDER=$(cc folder create "$ORG" "Depot")
camera_create cam "$SERIAL" "$MODEL" 11.0.0
agent_start cam --token "$(cc token create "$FOLDER")" "${OPTS[@]}"
wait_for 20 device_has "$SERIAL" os_version 11.0.0 || { echo "FAIL enroll"; finish; }
DEV=$(cc device find "$SERIAL")

status_has() { agent_status cam | grep -q "$1"; }
log_has() { grep -q "$1" "$WORK/cam.log"; }
state_of() { [ "$(task_field "$1" state)" = "$2" ]; }
running() { pgrep -P "$AGENT_PID" -f camagent >/dev/null; }
never_exited() { running && ! grep -q "camagent stopped (exit [1-9]" "$WORK/cam.log"; }
# restart [OPTIONS]: a fresh log and no stale status.json, so every check sees this run.
restart() {
	agent_stop
	: >"$WORK/cam.log"
	rm -f "$S/status.json"
	agent_start cam "${OPTS[@]}" "$@"
	wait_for 10 log_has "camagent .* starting"
}

# damage FILE HOW: empty, half, garbage or shape (valid JSON of the wrong shape). The
# agent is stopped first, as a power cut leaves it: a running agent may save the file
# again right after the damage (a report acknowledged late on a loaded machine).
damage() {
	local f="$S/$1"
	agent_stop
	case $2 in
	empty) : >"$f" ;;
	half) head -c $(($(stat -c %s "$f") / 2)) "$f" >"$f.cut" && mv "$f.cut" "$f" ;;
	garbage) printf '\x89\x00garbage\xff%.0s' 1 2 3 4 5 6 7 8 >"$f" ;;
	shape) case $1 in
		state.json) echo '{"enroll": ["enrolled"], "device_id": 7}' >"$f" ;;
		task.json) echo "{\"task_id\": \"$TASK\", \"state\": \"nowhere\"}" >"$f" ;;
		licenses.json) echo '{"licenses": {"license_id": "x"}}' >"$f" ;;
		device.key) echo '{"key": "not a key"}' >"$f" ;;
		esac ;;
	esac
}

# reenroll: the cloud refuses the serial under another key until the old device is
# removed (a stolen serial cannot take a camera over); then a new token, given at
# start, enrolls the camera again.
reenroll() {
	cc device remove "$(cc device find "$SERIAL")" >/dev/null || return 1
	restart --token "$(cc token create "$FOLDER")"
	wait_for 20 status_has "^enrollment: *enrolled"
}

# --- licenses.json: two licenses, so a previous generation exists
L1=$(cc license issue "$DEV" camagent-analytics)
cc license wait "$L1" active 30 >/dev/null
L2=$(cc license issue "$DEV" camagent-counter)
cc license wait "$L2" active 30 >/dev/null
for how in empty half garbage shape; do
	wait_for 10 test -e "$S/licenses.json.prev"
	damage licenses.json "$how"
	restart
	check "damaged_licenses_${how}_falls_back_to_prev" wait_for 15 log_has "licenses: .*using the previous generation"
	check "damaged_licenses_${how}_kept_aside" test -e "$S/licenses.json.damaged"
	damage licenses.json "$how"
	rm -f "$S/licenses.json.prev"
	restart
	check "lost_licenses_${how}_fetched_again" wait_for 20 log_has "license $L1 (camagent-analytics): new -> active"
	check "lost_licenses_${how}_remembered_again" wait_for 10 grep -q "$L1" "$S/licenses.json"
	check "lost_licenses_${how}_agent_keeps_running" never_exited
done

# --- task.json: a task waiting for a window a day away keeps its file (and a .prev)
n=0
new_task() {
	n=$((n + 1))
	"$MKIMAGE" "$WORK/img.bin" "$MODEL" "11.$n.0" $((256 * 1024)) ok
	local open_at=$(($(date +%s) + 86400))
	TASK=$(cc task create "$DEV" "$(cc image add "$MODEL" "11.$n.0" "$WORK/img.bin")" \
		--window-utc "$open_at" $((open_at + 600)))
	wait_for 30 state_of "$TASK" waiting_window && wait_for 10 test -e "$S/task.json.prev"
}
for how in empty half garbage shape; do
	new_task || { echo "FAIL task_setup_$how"; finish; }
	damage task.json "$how"
	restart
	check "damaged_task_${how}_falls_back_to_prev" wait_for 15 log_has "task: .*using the previous generation"
	check "damaged_task_${how}_task_resumes" wait_for 30 log_has "task $TASK: .*-> waiting_window"
	damage task.json "$how"
	rm -f "$S/task.json.prev"
	restart
	if [ "$how" = shape ]; then
		check "lost_task_${how}_reported_failed" cc task wait "$TASK" failed 20
		check "lost_task_${how}_reason_told" test "$(task_field "$TASK" reason)" = "the agent's task record was damaged"
	else
		check "lost_task_${how}_no_task" wait_for 15 log_has "task: .*; no task"
		check "lost_task_${how}_no_task_file" test ! -e "$S/task.json"
		cc task cancel "$TASK" >/dev/null
	fi
	check "lost_task_${how}_kept_aside" test -e "$S/task.json.damaged"
	check "lost_task_${how}_agent_keeps_running" never_exited
done

# --- state.json: the previous generation first (enrolled: written more than once by
# now), then with no previous generation left
for how in empty half garbage shape; do
	prev=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["enroll"], d["device_id"])' "$S/state.json.prev")
	damage state.json "$how"
	restart
	check "damaged_state_${how}_falls_back_to_prev" wait_for 15 log_has "state: .*using the previous generation"
	check "damaged_state_${how}_prev_was_enrolled" test "${prev% *}" = enrolled
	check "damaged_state_${how}_still_enrolled" wait_for 10 status_has "^enrollment: *enrolled"
	check "damaged_state_${how}_restored_from_prev" test "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["enroll"], d["device_id"])' "$S/state.json")" = "$prev"
	check "damaged_state_${how}_kept_aside" test -e "$S/state.json.damaged"
done
for how in empty half garbage shape; do
	cp "$S/device.key" "$WORK/key.before"
	damage state.json "$how"
	rm -f "$S/state.json.prev"
	restart
	check "lost_state_${how}_needs_new_token" wait_for 15 status_has "the enrollment record was damaged; needs a new enrollment token"
	check "lost_state_${how}_unenrolled" status_has "^enrollment: *unenrolled"
	check "lost_state_${how}_new_private_key" sh -c "! cmp -s '$S/device.key' '$WORK/key.before' && test \$(stat -c %a '$S/device.key') = 600"
	check "lost_state_${how}_kept_aside" test -e "$S/state.json.damaged"
	check "lost_state_${how}_agent_keeps_running" never_exited
	check "lost_state_${how}_enrolls_with_new_token" reenroll
	wait_for 20 device_has "$SERIAL" os_version 11.0.0
done

# --- device.key (no previous generation: a key is never rewritten)
for how in empty half garbage shape; do
	cp "$S/device.key" "$WORK/key.before"
	damage device.key "$how"
	restart
	check "damaged_key_${how}_needs_new_token" wait_for 15 status_has "the device key was damaged; needs a new enrollment token"
	check "damaged_key_${how}_unenrolled" status_has "^enrollment: *unenrolled"
	check "damaged_key_${how}_new_private_key" sh -c "! cmp -s '$S/device.key' '$WORK/key.before' && test \$(stat -c %a '$S/device.key') = 600"
	check "damaged_key_${how}_kept_aside" test -e "$S/device.key.damaged"
	check "damaged_key_${how}_agent_keeps_running" never_exited
	check "damaged_key_${how}_enrolls_with_new_token" reenroll
done

# --- state.json and device.key both lost: waits for a token, enrolls again with one
damage state.json garbage
rm -f "$S/state.json.prev"
damage device.key garbage
restart
check both_lost_waits_for_token wait_for 15 status_has "needs a new enrollment token"
sleep 2
check both_lost_stays_unenrolled status_has "^enrollment: *unenrolled"
check both_lost_agent_keeps_running never_exited
restart --token "$(cc token create "$FOLDER")"
check both_lost_new_key_refused_until_old_device_removed wait_for 15 status_has "already enrolled with another key"
check both_lost_enrolls_with_new_token reenroll
check both_lost_back_in_the_fleet wait_for 20 device_has "$SERIAL" os_version 11.0.0
check no_secret_in_log not grep -q "BEGIN EC PRIVATE KEY\|BEGIN PRIVATE KEY" "$WORK/cam.log"
agent_stop
finish
