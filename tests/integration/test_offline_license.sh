#!/usr/bin/env bash
# Offline systems: the agent writes a system file signed by its device key, camcloud
# answers it with a license file for that system (bound to its serial and key), and the
# agent verifies and activates it without ever reaching the cloud. A tampered system
# file, one whose serial is enrolled with another key, and a license file for another
# system are refused.
set -u
. "$(dirname "$0")/../lib.sh"

SERIAL=ACCC8E00E101
cloud_start || { echo "FAIL cloud_start"; exit 1; }
ORG=$(cc org create "Offline Org")
FOLDER=$(cc folder create "$ORG" "Plant")
TOKEN=$(cc token create "$FOLDER") # never used to enroll: it names the cloud's key
camera_create cam "$SERIAL" Q1656 11.11.73
camera_create cam2 ACCC8E00E102 Q1656 11.11.73
agent_args() { echo --state-dir "$WORK/$1/agent" --sim-dir "$WORK/$1" --token "$TOKEN"; }

key_file "$WORK/analytics.xml" "$SERIAL" 4711
L=$(cc license preload --org "$ORG" --serial "$SERIAL" --app 4711 --key-file "$WORK/analytics.xml")
check export_system_file "$CAMAGENT" license export-system-file "$WORK/system.json" $(agent_args cam)
check system_file_names_serial grep -q '"payload"' "$WORK/system.json"
offline_to() { cc license offline --org "$ORG" "$1" >"$2"; }
check cloud_answers_system_file offline_to "$WORK/system.json" "$WORK/license.json"
check license_file_has_the_license grep -q "\"serial\":\"$SERIAL\"" "$WORK/license.json"
check import_activates "$CAMAGENT" license import "$WORK/license.json" $(agent_args cam)
check key_installed cmp -s "$WORK/analytics.xml" "$WORK/cam/licenses/4711.key"
check agent_remembers_it grep -q "\"state\":\"active\"" "$WORK/cam/agent/licenses.json"

# refused by the cloud: tampered, or a serial enrolled with another device key
# the payload claims another serial, under the original signature
python3 - "$WORK/system.json" "$WORK/tampered.json" <<'PY'
import base64, json, sys
env = json.load(open(sys.argv[1]))
p = json.loads(base64.b64decode(env["payload"]))
p["serial"] = "ACCC8E00E199"
env["payload"] = base64.b64encode(json.dumps(p).encode()).decode()
json.dump(env, open(sys.argv[2], "w"))
PY
check tampered_system_file_refused not offline_to "$WORK/tampered.json" "$WORK/tampered.out"
# refused by the agent: a license file for another system
check import_other_system_refused not "$CAMAGENT" license import "$WORK/license.json" $(agent_args cam2)
check nothing_installed_elsewhere not test -e "$WORK/cam2/licenses/4711.key"
finish
