#!/usr/bin/env bash
# Tied-to-hardware licenses on platform axis: camcloud issues a key for the camera's serial,
# the agent installs it through applications/license.cgi and confirms License="Valid" in
# applications/list.cgi; the camera's refusals (wrong serial 30, expired 31, application
# not installed 24) reach the cloud as the license's reason.
set -u
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/camsim/lib.sh"

SERIAL=ACCC8E00C001
MODEL=Q1656


cloud_start || { echo "FAIL cloud_start"; exit 1; }
dbus_start || { echo "FAIL dbus_start"; exit 1; }
FOLDER=$(cc folder create "$(cc org create "Lic Org")" "Hall")
# The camera's clock runs two days ahead of the host's: a key that the cloud and the agent
# still see as valid for one more day has expired for the camera.
camsim_start cam "$SERIAL" "$MODEL" 11.11.73 --app camagent-analytics --app camagent-people \
	--app camagent-lpr --clock-offset 172800 \
	-- --token "$(cc token create "$FOLDER")" --set long_poll_s=20 ||
	{ echo "FAIL camsim_start"; finish; }
wait_for 20 device_has "$SERIAL" os_version 11.11.73 || { echo "FAIL enroll"; finish; }
DEVICE=$(cc device find "$SERIAL")

L=$(cc license issue "$DEVICE" camagent-analytics)
check license_active cc license wait "$L" active 30
check camera_has_key camsim_has cam licenses.camagent-analytics installed
check key_is_camcloud_format grep -q "^serial=$SERIAL\$" "$WORK/cam/licenses/camagent-analytics.key"

camsim_faults cam "license.cgi:uploadlicensekey error=30"
L=$(cc license issue "$DEVICE" camagent-people)
check wrong_serial_fails cc license wait "$L" failed 30
check wrong_serial_reason grep -q "Error 30 (the key is for another device" <(license_reason "$L")
camsim_faults cam ""

L=$(cc license issue "$DEVICE" camagent-lpr --exp $(($(date +%s) + 86400)))
check expired_fails cc license wait "$L" failed 30
check expired_reason grep -q "Error 31 (the license key has expired)" <(license_reason "$L")
check expired_not_installed camsim_has cam licenses.camagent-lpr missing

L=$(cc license issue "$DEVICE" camagent-unknown)
check not_installed_fails cc license wait "$L" failed 30
check not_installed_reason grep -q "Error 24 (application not installed)" <(license_reason "$L")

# list.cgi must confirm: a key the camera accepts but then reports Invalid is not active.
camsim_faults cam "list.cgi invalid"
L=$(cc license issue "$DEVICE" camagent-people)
check unconfirmed_fails cc license wait "$L" failed 30
check unconfirmed_reason grep -q 'list.cgi reports License="Invalid" for camagent-people' <(license_reason "$L")
camsim_faults cam "list.cgi error=1"
L=$(cc license issue "$DEVICE" camagent-people)
check list_error_fails cc license wait "$L" failed 30
check list_error_reason grep -q "list.cgi: the camera answered with an error" <(license_reason "$L")
camsim_faults cam ""
camsim_stop
finish
