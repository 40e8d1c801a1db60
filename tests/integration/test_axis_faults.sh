#!/usr/bin/env bash
# Malformed, truncated and failed VAPIX replies give the agent a clear error, never a crash:
# at start (identity) the agent stays up and asks the camera again after a backoff;
# during an upgrade or a license install the task or license fails with the reason.
set -u
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/camsim/lib.sh"

SERIAL=ACCC8E00F001
MODEL=P3265-LVE

cloud_start || { echo "FAIL cloud_start"; exit 1; }
dbus_start || { echo "FAIL dbus_start"; exit 1; }
ORG=$(cc org create "Fault Org")
FOLDER=$(cc folder create "$ORG" "Bench")
mkdir -p "$WORK/cam"
# identity replies broken at start: truncated JSON, then not JSON, then an error object
printf '%s\n' "basicdeviceinfo.cgi truncate 1" "basicdeviceinfo.cgi garbage 1" \
	"basicdeviceinfo.cgi error=8000 1" "param.cgi garbage 1" >"$WORK/cam/faults"
camsim_start cam "$SERIAL" "$MODEL" 11.11.73 --app camagent-analytics:4711 \
	-- --token "$(cc token create "$FOLDER")" --set long_poll_s=20 ||
	{ echo "FAIL camsim_start"; finish; }
check starts_after_faults wait_for 30 device_has "$SERIAL" os_version 11.11.73
check truncated_identity_reason grep -q "basicdeviceinfo.cgi getAllProperties: reply is not a JSON object" "$WORK/cam.log"
check error_object_reason grep -q "getAllProperties: error 8000 (internal error)" "$WORK/cam.log"
check waited_for_the_camera test "$(grep -c 'the camera is not ready (attempt' "$WORK/cam.log")" -ge 3
check stayed_up not grep -q "the agent exited" "$WORK/cam.log"
check no_crash not grep -Eq "exited with (1[2-9][0-9]|13[0-9])$|AddressSanitizer|runtime error" "$WORK/cam.log"
check settings_garbage_warned grep -q "camera settings not read" "$WORK/cam.log"
DEVICE=$(cc device find "$SERIAL")
"$MKIMAGE" "$WORK/img.bin" "$MODEL" 12.0.1 $((64 * 1024)) ok
IMAGE=$(cc image add "$MODEL" 12.0.1 "$WORK/img.bin")

# upgrade: the status call before the upload answers garbage, truncated, empty, HTTP 500
while IFS='|' read -r fault words; do
	camsim_faults cam "firmwaremanagement.cgi:status $fault"
	T=$(cc task create "$DEVICE" "$IMAGE")
	if cc task wait "$T" failed 60 >/dev/null; then
		check "status_${fault%%=*}_reason" grep -qF "$words" <(cc task show "$T")
	else
		check "status_${fault%%=*}_fails" false
	fi
done <<'FAULTS'
truncate|firmwaremanagement.cgi status: reply is not a JSON object
garbage|firmwaremanagement.cgi status: reply is not a JSON object (starts \"<html>
empty|firmwaremanagement.cgi status: empty reply
http=500|VAPIX /axis-cgi/firmwaremanagement.cgi: HTTP 500
FAULTS
check camera_untouched camsim_has cam upgrades 0

# licenses: a reply that is not "OK"/"Error: n", and a list.cgi that is not XML
key_file "$WORK/analytics.xml" "$SERIAL" 4711
camsim_faults cam "license.cgi:uploadlicensekey garbage"
L=$(cc license preload --org "$ORG" --serial "$SERIAL" --app 4711 --key-file "$WORK/analytics.xml")
check license_garbage_fails cc license wait "$L" failed 30
check license_garbage_reason grep -q 'uploadlicensekey: unexpected reply' <(license_reason "$L")
camsim_faults cam "list.cgi truncate *" # the check after the upload and the inventory's refreshes
L=$(cc license preload --org "$ORG" --serial "$SERIAL" --app 4711 --key-file "$WORK/analytics.xml")
check list_truncated_fails cc license wait "$L" failed 30
check list_truncated_reason grep -q "list.cgi: malformed <application> element\|list.cgi: reply is not" <(license_reason "$L")
camsim_faults cam ""
T=$(cc task create "$DEVICE" "$IMAGE")
check upgrade_works_again cc task wait "$T" succeeded 60
check still_no_crash not grep -Eq "AddressSanitizer|runtime error" "$WORK/cam.log"
camsim_stop
finish
