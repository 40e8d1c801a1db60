#!/usr/bin/env bash
# The agent on platform axis under camsim (a camera simulated at the VAPIX level), end to
# end with camcloud: identity from basicdeviceinfo.cgi, an upgrade through
# firmwaremanagement.cgi across the camera's own reboot with commit, an image that does
# not come up (rollback reported), refusals the camera makes itself (downgrade 409, invalid
# image 415), and the service account never written or logged.
set -u
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/camsim/lib.sh"

SERIAL=ACCC8E00A001
MODEL=P3265-LVE
image() { # VERSION [ok|fail] -> image id
	"$MKIMAGE" "$WORK/img-$1.bin" "$MODEL" "$1" $((256 * 1024)) "${2:-ok}"
	cc image add "$MODEL" "$1" "$WORK/img-$1.bin"
}

cloud_start || { echo "FAIL cloud_start"; exit 1; }
dbus_start || { echo "FAIL dbus_start"; exit 1; }
ORG=$(cc org create "Axis Org")
FOLDER=$(cc folder create "$ORG" "Gate")
TOKEN=$(cc token create "$FOLDER")
camsim_start cam "$SERIAL" "$MODEL" 11.11.73 --hwid 92F --arch armv7hf --minute-seconds 20 \
	-- --token "$TOKEN" --set long_poll_s=20 --set axis_auto_rollback_min=1 ||
	{ echo "FAIL camsim_start"; finish; }

check identity_reported wait_for 20 device_has "$SERIAL" os_version 11.11.73
check identity_arch device_has "$SERIAL" arch armv7hf
check identity_model device_has "$SERIAL" model "$MODEL"
check credentials_from_dbus grep -q "VAPIX service account fetched over D-Bus" "$WORK/cam.log"
DEVICE=$(cc device find "$SERIAL")

# --- upgrade with commit: the camera reboots by itself, the agent commits after the cloud
T=$(cc task create "$DEVICE" "$(image 12.0.1)")
check upgrade_succeeds cc task wait "$T" succeeded 60
check camera_rebooted grep -q "rebooting: firmware upgrade" "$WORK/cam.log"
check camera_committed camsim_has cam committed true
check camera_runs_new camsim_has cam active 12.0.1
check upgrade_params grep -q "autoCommit never, autoRollback 1," "$WORK/cam.log"
check cloud_sees_new wait_for 20 device_has "$SERIAL" os_version 12.0.1
check pending_record_cleared test ! -e "$WORK/cam/agent/axis-upgrade.json"

# --- an image that does not come up: the bootloader stays on 12.0.1, the task fails
T=$(cc task create "$DEVICE" "$(image 12.1.0 fail)")
check broken_image_fails cc task wait "$T" failed 60
check rollback_reported grep -q "rolled back" <(cc task show "$T")
check still_old camsim_has cam active 12.0.1

# --- a downgrade the task allows: the camera itself refuses it without a hard factory default
T=$(cc task create "$DEVICE" "$(image 11.0.0)" --allow-downgrade)
check downgrade_refused_by_camera cc task wait "$T" failed 60
check downgrade_reason grep -q "error 409 (downgrade refused" <(cc task show "$T")

# --- an image the camera cannot use: invalid image 415
printf 'not an AXIS OS image\n' >"$WORK/junk.bin"
T=$(cc task create "$DEVICE" "$(cc image add "$MODEL" 12.2.0 "$WORK/junk.bin")")
check invalid_image_refused cc task wait "$T" failed 60
check invalid_image_reason grep -q "error 415 (invalid image)" <(cc task show "$T")
check still_on_12_0_1 camsim_has cam active 12.0.1

PASSWORD=$(service_password)
camsim_stop
cloud_stop
check password_not_in_state no_secret_in "$PASSWORD" "$WORK/cam/agent"
check password_not_in_logs no_secret_in "$PASSWORD" "$WORK/cam.log" "$WORK/cloud.log"
check token_secret_not_in_logs no_secret_in "$(token_secret "$TOKEN")" "$WORK/cam.log"
finish
