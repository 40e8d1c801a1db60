#!/usr/bin/env bash
# The agent takes its enrollment token and cloud URL from the ACAP's own parameters
# (param.cgi) when its config has none, with the group name in either case. A parameter of
# type password is not readable through param.cgi, so such a token is not found there.
set -u
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/camsim/lib.sh"

cloud_start || { echo "FAIL cloud_start"; exit 1; }
dbus_start || { echo "FAIL dbus_start"; exit 1; }
FOLDER=$(cc folder create "$(cc org create "Param Org")" "Dock")

params() { # NAME TOKEN TYPE
	mkdir -p "$WORK/$1"
	printf 'CloudUrl="%s" type="string"\nEnrollmentToken="%s" type="%s"\nLongPollSeconds="25" type="int:min=5;max=300"\n' \
		"$CLOUD_URL" "$2" "$3" >"$WORK/$1/param.conf"
}

params cam1 "$(cc token create "$FOLDER")" "string"
camsim_start cam1 ACCC8E00P001 P3265-LVE 11.11.73 --param-group Camagent ||
	{ echo "FAIL camsim_start"; finish; }
check enrolls_from_params wait_for 20 device_has ACCC8E00P001 os_version 11.11.73
check logged_source grep -q "using the enrollment token from the camera's app settings" "$WORK/cam1.log"
camsim_stop

params cam2 "$(cc token create "$FOLDER")" "password:maxlen=1024"
camsim_start cam2 ACCC8E00P002 P3265-LVE 11.11.73 || { echo "FAIL camsim_start"; finish; }
check password_param_unreadable wait_for 20 grep -q "waiting for an enrollment token" "$WORK/cam2.log"
check not_enrolled not device_has ACCC8E00P002 os_version 11.11.73
camsim_stop
finish
