#!/usr/bin/env bash
# The camera's safety net: the agent upgrades with autoCommit "never" and an autoRollback
# timer. When the agent cannot reach the cloud after the reboot it never commits, so the
# camera rolls itself back when the timer runs out (camsim: 1 "minute" = 4 s here); the
# agent then reports the rollback once the cloud is back.
set -u
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/camsim/lib.sh"

SERIAL=ACCC8E00B001
MODEL=P1465-LE

cloud_start || { echo "FAIL cloud_start"; exit 1; }
PORT=$(cloud_port)
dbus_start || { echo "FAIL dbus_start"; exit 1; }
FOLDER=$(cc folder create "$(cc org create "Roll Org")" "Yard")
camsim_start cam "$SERIAL" "$MODEL" 11.11.73 --minute-seconds 4 --reboot-delay 1 \
	-- --token "$(cc token create "$FOLDER")" --set long_poll_s=20 --set retry_max_s=2 \
	--set axis_auto_rollback_min=1 || { echo "FAIL camsim_start"; finish; }
wait_for 20 device_has "$SERIAL" os_version 11.11.73 || { echo "FAIL enroll"; finish; }
DEVICE=$(cc device find "$SERIAL")
"$MKIMAGE" "$WORK/img.bin" "$MODEL" 12.0.1 $((128 * 1024)) ok
T=$(cc task create "$DEVICE" "$(cc image add "$MODEL" 12.0.1 "$WORK/img.bin")")

# The camera accepted the image and is about to reboot: the cloud goes away now.
check upgrade_accepted wait_for 30 camsim_has cam rebooting true
cloud_stop
check booted_uncommitted wait_for 20 camsim_has cam active 12.0.1
check not_committed camsim_has cam committed false
check timer_rolls_back wait_for 30 grep -q "autoRollback: AXIS OS 12.0.1 was not committed in time" "$WORK/cam.log"
check back_on_old wait_for 20 camsim_has cam active 11.11.73
check counted_rollback camsim_has cam rollbacks 1

cloud_start "$PORT" || { echo "FAIL cloud_restart"; finish; }
check task_failed cc task wait "$T" failed 60
check reason_rolled_back grep -q "rolled back to AXIS OS 11.11.73" <(cc task show "$T")
check reason_came_up_cloud_unreached grep -q "AXIS OS 12.0.1 came up, but the cloud was not reached before the camera.s rollback timer fired" <(cc task show "$T")
check cloud_sees_old wait_for 20 device_has "$SERIAL" os_version 11.11.73
camsim_stop
finish
