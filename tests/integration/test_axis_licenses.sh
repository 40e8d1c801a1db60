#!/usr/bin/env bash
# Licenses on platform axis, with vendor key files in the documented shape: a license
# preloaded against the camera's serial before it ever enrolls activates when it does;
# key files imported in bulk are matched to the camera by serial; the agent installs
# exactly that file through applications/license.cgi and applications/list.cgi reports
# it Valid with its expiry; at expiry (the injected clock) the agent takes it off with
# removelicensekey, and a revocation does the same over the long-poll wake-up. The
# camera's refusals (wrong serial 30, expired 31, application not installed 24) reach
# the cloud as the license's reason, and every step is on the license's record.
set -u
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/camsim/lib.sh"

SERIAL=ACCC8E00C001
MODEL=Q1656
CLOCK="$WORK/clock"
date +%s >"$CLOCK"
export CAMAGENT_TEST_CLOCK="$CLOCK" # the agent under camsim reads the cloud's clock

cloud_start 0 --test-clock "$CLOCK" || { echo "FAIL cloud_start"; exit 1; }
dbus_start || { echo "FAIL dbus_start"; exit 1; }
ORG=$(cc org create "Lic Org")
FOLDER=$(cc folder create "$ORG" "Hall")

# Preloaded with the hardware purchase: recorded against the serial, nothing enrolled yet.
key_file "$WORK/analytics.xml" "$SERIAL" 4711
P=$(cc license preload --org "$ORG" --serial "$SERIAL" --app 4711 --key-file "$WORK/analytics.xml")
check preload_waits_for_its_hardware test "$(license_field "$P" state)" = pending
key_file "$WORK/other.xml" ACCC8E00C999 4711
check key_file_for_another_serial_refused not cc license preload --org "$ORG" \
	--serial "$SERIAL" --app 4711 --key-file "$WORK/other.xml"
check key_file_for_another_app_refused not cc license preload --org "$ORG" \
	--serial "$SERIAL" --app 4712 --key-file "$WORK/analytics.xml"
printf 'CAMSIM-LICENSE 1\napp=camagent-analytics\nserial=%s\nexp=0\n' "$SERIAL" >"$WORK/made-up.key"
check made_up_key_file_refused not cc license preload --org "$ORG" --serial "$SERIAL" \
	--app 4711 --key-file "$WORK/made-up.key"
check expired_license_refused not cc license preload --org "$ORG" --serial "$SERIAL" \
	--app camagent-people --exp $(($(cat "$CLOCK") - 1))

# The camera's clock runs two days ahead of the host's: a key that the cloud and the agent
# still see as valid for one more day has expired for the camera.
camsim_start cam "$SERIAL" "$MODEL" 11.11.73 --app camagent-analytics:4711 \
	--app camagent-people:4712 --app camagent-lpr:4713 --clock-offset 172800 \
	-- --token "$(cc token create "$FOLDER")" --set long_poll_s=3 ||
	{ echo "FAIL camsim_start"; finish; }
wait_for 20 device_has "$SERIAL" os_version 11.11.73 || { echo "FAIL enroll"; finish; }
DEVICE=$(cc device find "$SERIAL")

check preloaded_license_activates_on_enrollment cc license wait "$P" active 30
check camera_holds_exactly_the_vendor_file cmp -s "$WORK/analytics.xml" \
	"$WORK/cam/licenses/camagent-analytics.key"
check list_cgi_reports_it_valid wait_for 20 test "$(device_app "$DEVICE" camagent-analytics license_state)" = Valid
check inventory_reports_vendor test "$(device_app "$DEVICE" camagent-analytics vendor)" = "camagent project"
check listed_per_product test "$(cc license list --app 4711 | grep -c '"id"')" = 1

# Bulk import: the files say which serial and application each is for.
mkdir -p "$WORK/keys"
EXP_DAY=$(date -u -d "@$(($(cat "$CLOCK") + 5 * 86400))" +%F)
EXP_END=$(($(date -u -d "$EXP_DAY" +%s) + 86400))
key_file "$WORK/keys/people.xml" "$SERIAL" 4712 "$EXP_DAY"
key_file "$WORK/keys/spare.xml" ACCC8E00C777 4712
check bulk_import cc license import --org "$ORG" "$WORK/keys"
I=$(cc license list --serial "$SERIAL" --app 4712 | python3 -c 'import json,sys; print(json.load(sys.stdin)["licenses"][0]["id"])')
check imported_license_activates cc license wait "$I" active 30
check imported_license_keeps_key_expiry test "$(license_field "$I" license_exp)" = "$EXP_END"
check list_cgi_reports_expiry wait_for 20 test "$(device_app "$DEVICE" camagent-people license_exp)" = "$EXP_END"
check spare_waits_for_its_hardware test "$(cc license list --serial ACCC8E00C777 | grep -c pending)" = 1

# Expiry: the agent takes the key off through the platform and reports it.
echo $((EXP_END + 60)) >"$CLOCK"
check expired_license_deactivated cc license wait "$I" expired 40
check expired_key_removed_from_camera wait_for 10 camsim_has cam licenses.camagent-people missing
check expiry_on_record grep -q "^expired license expired" <(license_events "$I")
echo $(($(date +%s))) >"$CLOCK"

# Revocation reaches the device over the long-poll wake-up and removes the key.
check revoke cc license revoke "$P"
check revoked_license_removed cc license wait "$P" removed 30
check revoked_key_removed_from_camera wait_for 10 camsim_has cam licenses.camagent-analytics missing
check revocation_on_record test "$(license_events "$P" | cut -d' ' -f1 | tr '\n' ' ')" = "granted active revoked removed "

# The camera's refusals, with its documented codes, become the license's reason.
key_file "$WORK/lpr.xml" "$SERIAL" 4713
camsim_faults cam "license.cgi:uploadlicensekey error=30"
L=$(cc license preload --org "$ORG" --serial "$SERIAL" --app 4713 --key-file "$WORK/lpr.xml")
check wrong_serial_fails cc license wait "$L" failed 30
check wrong_serial_reason grep -q "Error 30 (the key is for another device" <(license_reason "$L")
check failure_on_record grep -q "^failed .*Error 30" <(license_events "$L")
camsim_faults cam ""

key_file "$WORK/lpr-soon.xml" "$SERIAL" 4713 "$(date -u -d tomorrow +%F)"
L=$(cc license preload --org "$ORG" --serial "$SERIAL" --app 4713 --key-file "$WORK/lpr-soon.xml")
check expired_fails cc license wait "$L" failed 30
check expired_reason grep -q "Error 31 (the license key has expired)" <(license_reason "$L")
check expired_not_installed camsim_has cam licenses.camagent-lpr missing

key_file "$WORK/unknown.xml" "$SERIAL" 9999
L=$(cc license preload --org "$ORG" --serial "$SERIAL" --app 9999 --key-file "$WORK/unknown.xml")
check not_installed_fails cc license wait "$L" failed 30
check not_installed_reason grep -q "Error 24 (application not installed)" <(license_reason "$L")

# A key file of another XML shape than the one camcloud reads is taken opaque when the
# admin names its serial and application, reaches the camera byte for byte, and the
# camera judges it (camsim reads only the documented shape: Error 21). In bulk, where
# nothing names the hardware, it is refused.
printf '<?xml version="1.0"?>\n<AxisLicense><Device>%s</Device><App>4713</App></AxisLicense>\n' \
	"$SERIAL" >"$WORK/other-shape.xml"
L=$(cc license preload --org "$ORG" --serial "$SERIAL" --app 4713 --key-file "$WORK/other-shape.xml")
check other_shape_key_file_taken_opaque test -n "$L"
check other_shape_key_file_judged_by_the_camera cc license wait "$L" failed 30
check other_shape_reason grep -q "Error 21 (invalid license key file)" <(license_reason "$L")
mkdir -p "$WORK/other-keys" && cp "$WORK/other-shape.xml" "$WORK/other-keys/"
check other_shape_bulk_import_refused not cc license import --org "$ORG" "$WORK/other-keys"

# list.cgi must confirm: a key the camera accepts but then reports Invalid is not active.
key_file "$WORK/people2.xml" "$SERIAL" 4712
# every list.cgi while it is on: the check after the upload, and the inventory's refreshes
camsim_faults cam "list.cgi invalid *"
L=$(cc license preload --org "$ORG" --serial "$SERIAL" --app 4712 --key-file "$WORK/people2.xml")
check unconfirmed_fails cc license wait "$L" failed 30
check unconfirmed_reason grep -q 'list.cgi reports License="Invalid" for camagent-people' <(license_reason "$L")
camsim_faults cam "list.cgi error=1 *"
L=$(cc license preload --org "$ORG" --serial "$SERIAL" --app 4712 --key-file "$WORK/people2.xml")
check list_error_fails cc license wait "$L" failed 30
check list_error_reason grep -q "list.cgi: the camera answered with an error" <(license_reason "$L")
camsim_faults cam ""
camsim_stop
finish
