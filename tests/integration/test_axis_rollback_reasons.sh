#!/usr/bin/env bash
# The cloud is told which of three things happened around an AXIS OS upgrade on a camera:
# the agent was killed after the camera took the image and before its reboot (no
# rollback: the agent waits for that reboot and the upgrade succeeds); the new image came
# up but could not reach the cloud before the camera's rollback timer fired (the timer
# case is in test_axis_autorollback.sh); the new image never came up.
set -u
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/camsim/lib.sh"

SERIAL=ACCC8E00R001
MODEL=P3265-LVE
image() { # VERSION [ok|fail] -> image id
	"$MKIMAGE" "$WORK/img-$1.bin" "$MODEL" "$1" $((128 * 1024)) "${2:-ok}"
	cc image add "$MODEL" "$1" "$WORK/img-$1.bin"
}

cloud_start || { echo "FAIL cloud_start"; exit 1; }
dbus_start || { echo "FAIL dbus_start"; exit 1; }
FOLDER=$(cc folder create "$(cc org create "Reasons Org")" "Hall")
camsim_start cam "$SERIAL" "$MODEL" 11.11.73 --reboot-delay 4 \
	-- --token "$(cc token create "$FOLDER")" --set long_poll_s=20 --set retry_max_s=2 ||
	{ echo "FAIL camsim_start"; finish; }
wait_for 20 device_has "$SERIAL" os_version 11.11.73 || { echo "FAIL enroll"; finish; }
DEVICE=$(cc device find "$SERIAL")

# Killed between the camera's "accepted" and its reboot (4 s later here).
T=$(cc task create "$DEVICE" "$(image 12.0.1)")
check upgrade_accepted wait_for 30 camsim_has cam rebooting true
kill -KILL "$(sed -n 's/.*started the agent (pid \([0-9]*\)).*/\1/p' "$WORK/cam.log" | tail -n1)"
check agent_respawned wait_for 10 grep -q "has not rebooted into it yet; waiting for that reboot" "$WORK/cam.log"
check restart_before_reboot_succeeds cc task wait "$T" succeeded 60
check restart_before_reboot_no_rollback not grep -q "rolled back" <(cc task show "$T")
check runs_new_version wait_for 20 device_has "$SERIAL" os_version 12.0.1

# An image that never comes up: said so, in those words.
T=$(cc task create "$DEVICE" "$(image 12.0.2 fail)")
check broken_image_fails cc task wait "$T" failed 60
check broken_image_reason grep -q "AXIS OS 12.0.2 did not come up (the agent never ran on it); the camera rolled back to AXIS OS 12.0.1" <(cc task show "$T")
camsim_stop
finish
