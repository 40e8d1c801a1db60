#!/usr/bin/env bash
# make demo PLATFORM=axis: the demo path of tests/demo.sh on a camera simulated at the VAPIX
# level. camsim plays the camera (basicdeviceinfo.cgi, firmwaremanagement.cgi, license.cgi,
# list.cgi, the D-Bus service account) and runs the agent with platform axis; the camera
# reboots by itself after the upgrade and the agent commits once it reached the cloud.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/demo_lib.sh"
. "$ROOT/tests/camsim/lib.sh"

SERIAL=ACCC8EF0A1B3
MODEL=P3265-LVE
FROM=11.11.73
TO=12.0.1


say "Starting camcloud (HTTP + SQLite) on loopback"
cloud_start || fail "camcloud did not start"
echo "camcloud listening at $CLOUD_URL"

say "The first owner signs up and signs in; the owner creates a folder and an enrollment token"
sign_in_owner "Acme Security" admin@acme.example || fail "the owner could not sign in"
FOLDER=$(cc folder create "$ORG" "Stockholm HQ")
TOKEN=$(cc token create "$FOLDER" --expires-in 3600 --max-uses 1)
echo "enrollment token: ${TOKEN:0:24}... (one use, expires in 1 h)"

say "The camera was bought with a preloaded license: its vendor key file is imported for serial $SERIAL"
key_file "$WORK/analytics.xml" "$SERIAL" 4711
PRELOADED=$(cc license preload --org "$ORG" --serial "$SERIAL" --app 4711 --key-file "$WORK/analytics.xml")
echo "license $PRELOADED (application id 4711): $(license_field "$PRELOADED" state), waiting for its hardware"

say "A $MODEL camera (serial $SERIAL, AXIS OS $FROM) simulated at the VAPIX level"
dbus_start || fail "dbus-daemon did not start"
camsim_start cam "$SERIAL" "$MODEL" "$FROM" --app camagent-analytics:4711 --app-version 0.1.0 \
	-- --token "$TOKEN" --set long_poll_s=30 || fail "camsim did not start"
echo "camera VAPIX at $VAPIX_URL; service account served on a private D-Bus"
wait_for 20 device_has "$SERIAL" os_version "$FROM" || fail "the camera did not enroll and report"
DEVICE=$(cc device find "$SERIAL")
grep -E "service account fetched|running AXIS OS|enrolled as|reported AXIS OS" "$WORK/cam.log" |
	sed 's/^.*INFO: /  agent: /' | head -n 5
echo "cloud sees device $DEVICE: AXIS OS $(device_field "$SERIAL" os_version)"

say "Enrolled: the preloaded license activates by itself through license.cgi"
cc license wait "$PRELOADED" active 60 | sed 's/^/  cloud: /' || fail "the preloaded license was not activated"
grep -E "license key for .* installed" "$WORK/cam.log" | sed 's/^/  /'
wait_for 20 test "$(device_app "$DEVICE" camagent-analytics license_state)" = Valid &&
	echo "list.cgi reports camagent-analytics License=Valid"

say "Admin triggers an upgrade to AXIS OS $TO"
"$MKIMAGE" "$WORK/AXIS_OS_$TO.bin" "$MODEL" "$TO" $((8 * 1024 * 1024)) ok
TASK=$(cc task create "$DEVICE" "$(cc image add "$MODEL" "$TO" "$WORK/AXIS_OS_$TO.bin")")
cc task wait "$TASK" succeeded 90 | sed 's/^/  cloud: /' || fail "the upgrade did not succeed"
grep -E "upgrade accepted|rebooting:|boot: |commit:" "$WORK/cam.log" | sed 's/^/  /'
wait_for 20 device_has "$SERIAL" os_version "$TO" || fail "the cloud did not see AXIS OS $TO"
echo "camera firmware: active $(camsim_state cam active), committed $(camsim_state cam committed)"

say "Admin rolls camagent 0.2.0 to the camera: the agent updates itself"
bash "$ROOT/tests/tools/mkeap.sh" "$WORK/camagent_0_2_0_aarch64.eap" camagent 0.2.0 aarch64 \
	--signed --schema 1
PACKAGE=$(cc app upload "$WORK/camagent_0_2_0_aarch64.eap")
echo "package $PACKAGE streamed to the cloud (POST /admin/v1/uploads, PUT, finish):" \
	"$(cc app show "$PACKAGE" | jget 'j["app"] + " " + j["version"] + " for " + j["architecture"] + ", sha256 " + j["sha256"][:16]')..."
JOB=$(cc app task install "$PACKAGE" --devices "$DEVICE")
APP_TASK=$(cc job show "$JOB" | python3 -c 'import json, sys; print(json.load(sys.stdin)["tasks"][0]["id"])')
cc task wait "$APP_TASK" succeeded 90 | sed 's/^/  cloud: /' || fail "the self-update did not succeed"
grep -E "uploading camagent|restarting the agent's app|the camera lists camagent|rebooting -> " \
	"$WORK/cam.log" | sed 's/^.*INFO: /  agent: /' | tail -n 5
wait_for 20 device_has "$SERIAL" agent_version 0.2.0 || fail "the cloud did not see camagent 0.2.0"
echo "cloud sees device $DEVICE (same id, enrolled once): camagent $(device_field "$SERIAL" agent_version)"

say "What the camera itself says (camagent status)"
"$CAMAGENT" status --state-dir "$WORK/cam/agent" | sed 's/^/  /'

say "Stopping"
camsim_stop
cloud_stop
echo "demo complete (platform axis): enrolled, upgraded $FROM -> $TO with the camera's own reboot and commit, preloaded license active, agent updated itself 0.1.0 -> 0.2.0"
