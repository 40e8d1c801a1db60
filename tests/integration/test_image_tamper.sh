#!/usr/bin/env bash
# An image changed after the agent verified it is never installed: the install hashes
# the bytes it writes. The bytes are swapped for another valid image of the same size
# (a different version), so an install of them would show as that version running.
set -u
. "$(dirname "$0")/../lib.sh"
MODEL=P3265-LVE
SIZE=$((1024 * 1024))

cloud_start || { echo "FAIL cloud_start"; exit 1; }
ORG=$(cc org create "Org T")
FOLDER=$(cc folder create "$ORG" "Gate")
camera_create cam ACCC8E00T001 "$MODEL" 11.0.0
agent_start cam --token "$(cc token create "$FOLDER")" --set heartbeat_s=2 --set retry_max_s=1
wait_for 20 device_has ACCC8E00T001 os_version 11.0.0 || { echo "FAIL enroll"; finish; }
DEV=$(cc device find ACCC8E00T001)
image() { "$MKIMAGE" "$WORK/img-$1.bin" "$MODEL" "$1" "$SIZE" ok; cc image add "$MODEL" "$1" "$WORK/img-$1.bin"; }
state_of() { [ "$(task_field "$1" state)" = "$2" ]; }
# Overwrites the verified download in place (same file, same size, other bytes).
tamper() {
	"$MKIMAGE" "$WORK/evil.bin" "$MODEL" "$2" "$SIZE" ok
	cat "$WORK/evil.bin" >"$WORK/cam/agent/download-$1.img"
}
slot_has() { grep -aq "version=$1" "$WORK"/cam/slots/* 2>/dev/null; }

# Changed while it waits for its window: refused when the window opens.
OPEN_AT=$(($(date +%s) + 8))
T=$(cc task create "$DEV" "$(image 11.5.0)" --window-utc "$OPEN_AT" $((OPEN_AT + 600)))
check tamper_window_waits wait_for 15 state_of "$T" waiting_window
tamper "$T" 11.5.9
check tampered_in_window_fails cc task wait "$T" failed 40
check tampered_in_window_reason grep -q "image changed after verification" <(cc task show "$T")
check tampered_in_window_not_installed not slot_has 11.5.9
check tampered_in_window_still_old device_has ACCC8E00T001 os_version 11.0.0

# Changed while the agent was off, then the window opens: never installed. Whether
# the agent notices at resume (and fetches the image again) or at install, the
# camera must not run the changed bytes.
OPEN_AT=$(($(date +%s) + 10))
T=$(cc task create "$DEV" "$(image 11.6.0)" --window-utc "$OPEN_AT" $((OPEN_AT + 600)))
check restart_window_waits wait_for 15 state_of "$T" waiting_window
agent_stop
tamper "$T" 11.6.9
agent_start cam
final() { state_of "$T" succeeded || state_of "$T" failed; }
check restart_tamper_ends wait_for 60 final
check restart_tampered_not_installed not slot_has 11.6.9
check restart_tampered_not_running not device_has ACCC8E00T001 os_version 11.6.9
if state_of "$T" succeeded; then
	check restart_fetched_genuine_image device_has ACCC8E00T001 os_version 11.6.0
else
	check restart_tampered_reason grep -Eq "changed after verification|SHA-256 mismatch" \
		<(cc task show "$T")
fi
agent_stop
finish
