#!/usr/bin/env bash
# The foundation path with real processes on loopback: enroll, report, upgrade
# across a reboot, license. Then the same camera refuses a broken image's boot
# (rollback reported), and a downgrade task is refused.
set -u
. "$(dirname "$0")/../lib.sh"

SERIAL=ACCC8E000001
MODEL=P3265-LVE

cloud_start || { echo "FAIL cloud_start"; exit 1; }
ORG=$(cc org create "Test Org")
FOLDER=$(cc folder create "$ORG" "Site A")
TOKEN=$(cc token create "$FOLDER")
camera_create cam "$SERIAL" "$MODEL" 11.11.73
agent_start cam --token "$TOKEN" --set long_poll_s=20

check enroll_and_report wait_for 20 device_has "$SERIAL" os_version 11.11.73
DEVICE=$(cc device find "$SERIAL")
check device_key_is_private test "$(stat -c %a "$WORK/cam/agent/device.key")" = 600
check status_shows_enrolled grep -q '^enrollment: *enrolled' <(agent_status cam)

"$MKIMAGE" "$WORK/good.bin" "$MODEL" 12.0.1 $((2 * 1024 * 1024)) ok
IMAGE=$(cc image add "$MODEL" 12.0.1 "$WORK/good.bin")
TASK=$(cc task create "$DEVICE" "$IMAGE")
check upgrade_succeeds cc task wait "$TASK" succeeded 60
check reboot_happened grep -q "rebooting" "$WORK/cam.log"
check cloud_sees_new_version wait_for 20 device_has "$SERIAL" os_version 12.0.1
check camera_runs_new_version grep -q '^AXIS OS: *12.0.1' <(agent_status cam)
check status_shows_last_task grep -q "^task: *$TASK -> 12.0.1: succeeded" <(agent_status cam)

# a vendor key file goes to the camera as it is; a camcloud token stays with the agent
key_file "$WORK/analytics.xml" "$SERIAL" 4711
LICENSE=$(cc license preload --org "$ORG" --serial "$SERIAL" --app 4711 --key-file "$WORK/analytics.xml")
check license_active cc license wait "$LICENSE" active 30
check license_installed_on_camera cmp -s "$WORK/analytics.xml" "$WORK/cam/licenses/4711.key"
TOKEN_LICENSE=$(cc license issue "$DEVICE" camagent-analytics)
check token_license_active cc license wait "$TOKEN_LICENSE" active 30
check token_kept_for_the_app grep -q '"signature"' "$WORK/cam/agent/license-tokens/camagent-analytics.license"

# An image that installs but does not boot: the camera rolls back, the task fails.
"$MKIMAGE" "$WORK/bad.bin" "$MODEL" 12.1.0 $((1024 * 1024)) fail
BAD=$(cc image add "$MODEL" 12.1.0 "$WORK/bad.bin")
TASK2=$(cc task create "$DEVICE" "$BAD")
check broken_image_fails cc task wait "$TASK2" failed 60
check rollback_reported grep -q 'rolled back' <(cc task show "$TASK2")
check still_on_good_version wait_for 20 device_has "$SERIAL" os_version 12.0.1

# A downgrade without allow_downgrade is refused before any download.
"$MKIMAGE" "$WORK/old.bin" "$MODEL" 11.0.0 $((1024 * 1024)) ok
OLD=$(cc image add "$MODEL" 11.0.0 "$WORK/old.bin")
TASK3=$(cc task create "$DEVICE" "$OLD")
check downgrade_refused cc task wait "$TASK3" failed 30

agent_stop
cloud_stop
check no_admin_token_in_logs not grep -qF "$(cat "$CLOUD_DATA/admin.token")" "$WORK/cam.log" "$WORK/cloud.log"
check no_token_secret_in_logs not grep -qF "$(token_secret "$TOKEN")" "$WORK/cam.log" "$WORK/cloud.log"
finish
