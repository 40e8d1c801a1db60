#!/usr/bin/env bash
# Every documented firmwaremanagement.cgi upgrade error (HTTP 200 with an error object)
# reaches the cloud as a precise task reason; the camera stays on its firmware. The errors
# the camera cannot produce by itself here come from camsim's fault switch.
set -u
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/camsim/lib.sh"

SERIAL=ACCC8E00E001
MODEL=M3086-V

cloud_start || { echo "FAIL cloud_start"; exit 1; }
dbus_start || { echo "FAIL dbus_start"; exit 1; }
FOLDER=$(cc folder create "$(cc org create "Err Org")" "Lab")
camsim_start cam "$SERIAL" "$MODEL" 11.11.73 -- --token "$(cc token create "$FOLDER")" \
	--set long_poll_s=20 || { echo "FAIL camsim_start"; finish; }
wait_for 20 device_has "$SERIAL" os_version 11.11.73 || { echo "FAIL enroll"; finish; }
DEVICE=$(cc device find "$SERIAL")
"$MKIMAGE" "$WORK/img.bin" "$MODEL" 12.5.0 $((64 * 1024)) ok
IMAGE=$(cc image add "$MODEL" 12.5.0 "$WORK/img.bin")

# code|words the task reason must contain
while IFS='|' read -r code words; do
	camsim_faults cam "firmwaremanagement.cgi:upgrade error=$code"
	T=$(cc task create "$DEVICE" "$IMAGE")
	if cc task wait "$T" failed 60 >/dev/null; then
		check "upgrade_error_${code}_reason" grep -qF "error $code ($words" <(cc task show "$T")
	else
		check "upgrade_error_${code}_fails" false
	fi
done <<'CODES'
409|downgrade refused
410|this AXIS OS version is revoked
412|the running AXIS OS is not committed yet
415|invalid image
421|the image does not match this device
422|the image lacks the mandatory digital signature
423|the camera is busy
424|the image references an unknown custom firmware certificate
400|the camera could not parse the request
405|unknown method
417|API version not compatible
500|internal error in the camera
CODES
check camera_never_upgraded camsim_has cam upgrades 0
check camera_on_old_version camsim_has cam active 11.11.73

# With the switch off, the same image installs: the failures were the camera's answers.
camsim_faults cam ""
T=$(cc task create "$DEVICE" "$IMAGE")
check upgrade_after_errors cc task wait "$T" succeeded 60
camsim_stop
finish
