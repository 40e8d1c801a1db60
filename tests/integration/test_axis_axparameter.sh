#!/usr/bin/env bash
# Settings through the camera's axparameter library (the stand-in camsim offers, backed by
# the camera's param.conf): a password-type EnrollmentToken is read there although
# param.cgi never shows it; a token set in the camera's settings while the agent runs is
# used at once, without a restart; a changed CloudUrl is followed.
set -u
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/camsim/lib.sh"
AXP="$ROOT/$BUILD/camsim-lib"

cloud_start || { echo "FAIL cloud_start"; exit 1; }
dbus_start || { echo "FAIL dbus_start"; exit 1; }
FOLDER=$(cc folder create "$(cc org create "Axparameter Org")" "Lobby")

params() { # NAME CLOUD_URL TOKEN: the camera's app settings, replaced at once
	mkdir -p "$WORK/$1"
	printf 'CloudUrl="%s" type="string"\nEnrollmentToken="%s" type="password:maxlen=1024"\nLongPollSeconds="5" type="int:min=5;max=300"\n' \
		"$2" "$3" >"$WORK/$1/param.conf.tmp" && mv "$WORK/$1/param.conf.tmp" "$WORK/$1/param.conf"
}
starts() { grep -c "started the agent" "$WORK/$1.log"; }

TOKEN=$(cc token create "$FOLDER")
params cam1 "$CLOUD_URL" "$TOKEN"
camsim_start cam1 ACCC8E00X001 P3265-LVE 11.11.73 --axparameter "$AXP" ||
	{ echo "FAIL camsim_start"; finish; }
check settings_through_axparameter wait_for 10 grep -q "settings through axparameter" "$WORK/cam1.log"
check enrolls_from_password_param wait_for 20 device_has ACCC8E00X001 os_version 11.11.73
check token_secret_not_logged not grep -qF "$(token_secret "$TOKEN")" "$WORK/cam1.log"
camsim_stop

params cam2 "$CLOUD_URL" ""
camsim_start cam2 ACCC8E00X002 P3265-LVE 11.11.73 --axparameter "$AXP" ||
	{ echo "FAIL camsim_start"; finish; }
check waits_for_token wait_for 20 grep -q "waiting for an enrollment token" "$WORK/cam2.log"
TOKEN=$(cc token create "$FOLDER")
params cam2 "$CLOUD_URL" "$TOKEN"
check setting_change_seen wait_for 10 grep -q "camera settings changed: configuration reloaded" "$WORK/cam2.log"
check enrolls_after_token_set wait_for 20 device_has ACCC8E00X002 os_version 11.11.73
check token_set_without_restart test "$(starts cam2)" = 1

# The same cloud under a new address (a proxy in front of it): the agent follows.
proxy_start || { echo "FAIL proxy_start"; finish; }
params cam2 "$PROXY_URL" "$TOKEN"
check follows_cloud_url wait_for 10 grep -q "cloud URL changed from $CLOUD_URL to $PROXY_URL" "$WORK/cam2.log"
check talks_to_new_url wait_for 30 grep -q '"/device/v1/' "$WORK/proxy.log"
check new_url_persisted grep -qF "\"cloud_url\":\"$PROXY_URL\"" "$WORK/cam2/agent/state.json"
check url_change_without_restart test "$(starts cam2)" = 1
camsim_stop
finish
