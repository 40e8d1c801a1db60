#!/usr/bin/env bash
# The agent's own app replaced on a camera simulated at the VAPIX level: a camagent package
# uploaded through applications/upload.cgi makes camsim record the new version and restart
# the agent process it supervises, as AXIS OS restarts an upgraded app. The restarted agent
# keeps its enrollment (localdata survives an app upgrade), reports to the cloud again, and
# list.cgi shows the new version Running. (camsim runs the same agent binary again: it
# does not execute the package's own executable.) Also camsim's own refusals, seen with curl as the service account:
# unsigned while AllowUnsigned is false (until config.cgi sets it), wrong architecture,
# a schema-1 package on AXIS OS 13, an OS outside compatibleOsVersions, no manifest,
# not a package, another letter case, a root user; and what camsim keeps across its restart.
set -u
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/camsim/lib.sh"

SERIAL=ACCC8E00A001
MKEAP="bash $ROOT/tests/tools/mkeap.sh"

cloud_start || { echo "FAIL cloud_start"; exit 1; }
dbus_start || { echo "FAIL dbus_start"; exit 1; }
FOLDER=$(cc folder create "$(cc org create "Apps Org")" "Roof")

vapix() { # CGI [curl args...]: a VAPIX call as the service account; prints the reply
	local cgi=$1
	shift
	curl -s -u "a0-camagent:$(service_password)" "$@" "$VAPIX_URL/axis-cgi/applications/$cgi"
}
upload() { vapix upload.cgi -F "packfil=@$1;type=application/octet-stream" | tr -d '\r'; }
listed() { # APP ATTR VALUE: list.cgi shows the attribute of the app
	vapix list.cgi -X POST | grep "Name=\"$1\"" | grep -q "$2=\"$3\""
}
agent_restarted() {
	[ "$(camsim_state cam agent_pid)" != "$PID1" ] && [ "$(camsim_state cam agent_pid)" != 0 ]
}

camsim_start cam "$SERIAL" P3265-LVE 12.10.1 --app-version 0.1.0 \
	-- --token "$(cc token create "$FOLDER")" --set long_poll_s=20 ||
	{ echo "FAIL camsim_start"; finish; }
check enrolled wait_for 20 device_has "$SERIAL" os_version 12.10.1
DEVICE=$(cc device find "$SERIAL")
PID1=$(camsim_state cam agent_pid)
wait_for 10 grep -q "reported AXIS OS" "$WORK/cam.log"
REPORTS=$(grep -c "reported AXIS OS" "$WORK/cam.log")
reported_again() { [ "$(grep -c "reported AXIS OS" "$WORK/cam.log")" -gt "$REPORTS" ]; }
check lists_running_version listed camagent Version 0.1.0

$MKEAP "$WORK/camagent_0_2_0_aarch64.eap" camagent 0.2.0 aarch64 --signed
check self_update_accepted [ "$(upload "$WORK/camagent_0_2_0_aarch64.eap")" = OK ]
check agent_restarted wait_for 10 agent_restarted
check agent_runs_again wait_for 10 camsim_has cam agent_running true
check one_app_upgrade camsim_has cam app_upgrades 1
check list_shows_new_version wait_for 5 listed camagent Version 0.2.0
check list_shows_running wait_for 5 listed camagent Status Running
check same_device [ "$(cc device find "$SERIAL")" = "$DEVICE" ]
check enrolled_once [ "$(grep -c "enrolled as device" "$WORK/cam.log")" = 1 ]
check new_agent_reports wait_for 20 reported_again

# camsim's refusals, as upload.cgi's documented codes
$MKEAP "$WORK/u.eap" analytics 1.0.0 aarch64
check unsigned_refused [ "$(upload "$WORK/u.eap")" = "Error: 2" ]
$MKEAP "$WORK/arm.eap" analytics 1.0.0 armv7hf --signed
check wrong_arch_refused [ "$(upload "$WORK/arm.eap")" = "Error: 5" ]
$MKEAP "$WORK/os13.eap" analytics 1.0.0 aarch64 --signed --os 13-
check os_range_refused [ "$(upload "$WORK/os13.eap")" = "Error: 5" ]
$MKEAP "$WORK/nomf.eap" analytics 1.0.0 aarch64 --signed --no-manifest
check no_manifest_refused [ "$(upload "$WORK/nomf.eap")" = "Error: 29" ]
$MKEAP "$WORK/badmf.eap" analytics 1.0.0 aarch64 --raw-manifest '{"schemaVersion":"2.0.0"}'
check bad_manifest_refused [ "$(upload "$WORK/badmf.eap")" = "Error: 29" ]
echo "not a package" >"$WORK/junk.eap"
check junk_refused [ "$(upload "$WORK/junk.eap")" = "Error: 1" ]
$MKEAP "$WORK/root.eap" analytics 1.0.0 aarch64 --signed --user root:root
check root_user_refused [ "$(upload "$WORK/root.eap")" = "Error: 13" ]
check no_packfil_refused [ "$(vapix upload.cgi -F "file=@$WORK/u.eap" | tr -d '\r')" = "Error: 1" ]
check allow_unsigned_false grep -q 'value="false"' <(vapix config.cgi -d action=get -d name=AllowUnsigned)
vapix config.cgi -d action=set -d name=AllowUnsigned -d value=true >/dev/null
check allow_unsigned_set grep -q 'value="true"' <(vapix config.cgi -d action=get -d name=AllowUnsigned)
check unsigned_installs [ "$(upload "$WORK/u.eap")" = OK ]
check fresh_install_stopped listed analytics Status Stopped
$MKEAP "$WORK/case.eap" Analytics 1.0.0 aarch64
check other_case_refused [ "$(upload "$WORK/case.eap")" = "Error: 14" ]
check start_ok [ "$(vapix control.cgi -d action=start -d package=analytics | tr -d '\r')" = OK ]
check start_twice_6 [ "$(vapix control.cgi -d action=start -d package=analytics | tr -d '\r')" = "Error: 6" ]
check unknown_app_4 [ "$(vapix control.cgi -d action=stop -d package=nothere | tr -d '\r')" = "Error: 4" ]
check remove_ok [ "$(vapix control.cgi -d action=remove -d package=analytics | tr -d '\r')" = OK ]
check removed not listed analytics Version 1.0.0
# the installed apps and AllowUnsigned persist in the camera's directory
check apps_persisted grep -q '"allow_unsigned":1' "$WORK/cam/apps.json"
camsim_stop
camsim_start cam "$SERIAL" P3265-LVE 12.10.1 --app-version 0.1.0 -- --set long_poll_s=20 ||
	{ echo "FAIL camsim_start again"; finish; }
check version_survives_restart listed camagent Version 0.2.0
check allow_unsigned_survives_restart \
	grep -q 'value="true"' <(vapix config.cgi -d action=get -d name=AllowUnsigned)
camsim_stop

# AXIS OS 13 installs only schema-2 packages
camsim_start cam13 ACCC8E00A013 P3265-LVE 13.0.1 -- --set long_poll_s=20 ||
	{ echo "FAIL camsim_start 13"; finish; }
$MKEAP "$WORK/s1.eap" camagent 0.2.0 aarch64 --signed --schema 1
check schema1_refused_on_13 [ "$(upload "$WORK/s1.eap")" = "Error: 5" ]
check schema1_reason grep -q "installs only manifest schema 2.x" "$WORK/cam13.log"
check schema2_installs_on_13 [ "$(upload "$WORK/camagent_0_2_0_aarch64.eap")" = OK ]
camsim_stop
finish
