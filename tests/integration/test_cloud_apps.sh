#!/usr/bin/env bash
# The application catalog and the AXIS OS upgrade that would strand an app: camcloud keeps
# .eap packages it can read (name, version, architecture, schema, compatibleOsVersions,
# vendor id), refuses the ones it cannot with the reason, holds several versions of an app
# and one recommended package per app and architecture. An AXIS OS 13 upgrade of a camera
# whose agent package is schema 1.x is refused (a single task) or skipped (a job), naming
# the package that fixes it, unless the admin overrides the check. The camera's inventory
# (its report's apps, with the ApplicationID and since when each runs) is what the check
# reads: another catalog app that would not run refuses the upgrade too, an app the
# catalog does not hold is named as of unknown range and does not block. A job for the
# cameras running an app reaches the caller's organization only.
set -u
. "$(dirname "$0")/../lib.sh"
MODEL=P3265-LVE
MKEAP="bash $ROOT/tests/tools/mkeap.sh"
# app_field_is DEVICE APP FIELD VALUE: the device's inventory in the cloud says so (asked
# again on each call, so wait_for can wait for it)
app_field_is() { [ "$(device_app "$1" "$2" "$3")" = "$4" ]; }
jget() { python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

cloud_start || { echo "FAIL cloud_start"; exit 1; }
ORG=$(cc org create "Apps Org")
SITE=$(cc folder create "$ORG" "Site")

# --- the catalog
$MKEAP "$WORK/a1.eap" analytics 1.0.0 aarch64 --signed --param Sensitivity=5
$MKEAP "$WORK/a2.eap" analytics 1.1.0 aarch64 --signed --os 12.10-14
$MKEAP "$WORK/a2arm.eap" analytics 1.1.0 armv7hf --signed
A1=$(cc app upload "$WORK/a1.eap")
check package_added test -n "$A1"
A2=$(cc app upload "$WORK/a2.eap")
A2ARM=$(cc app upload "$WORK/a2arm.eap")
check same_package_same_id [ "$(cc app upload "$WORK/a1.eap")" = "$A1" ]
check manifest_fields [ "$(cc app show "$A2" | jget '(j["app"], j["version"], j["architecture"], j["schema_version"], j["compatible_os_versions"])')" = "('analytics', '1.1.0', 'aarch64', '2.0.0', ['12.10-14'])" ]
check vendor_id_kept [ -n "$(cc app show "$A2" | jget 'j["vendor_id"]')" ]
check declared_params_listed [ "$(cc app show "$A1" | jget 'j["params"]')" = "['Sensitivity']" ]
check no_params_listed [ "$(cc app show "$A2" | jget 'j["params"]')" = "[]" ]
check sha256_of_file [ "$(cc app show "$A1" | jget 'j["sha256"]')" = "$(sha256sum "$WORK/a1.eap" | cut -d' ' -f1)" ]
check several_versions [ "$(cc app list --app analytics | jget 'len(j["packages"])')" = 3 ]
check kept_in_data_dir test -f "$CLOUD_DATA/apps/$(cc app show "$A1" | jget 'j["sha256"]').eap"
echo "not a package" >"$WORK/junk.eap"
check junk_refused not cc app upload "$WORK/junk.eap" 2>"$WORK/junk.err"
check junk_reason grep -q "cannot read package .*junk.eap" "$WORK/junk.err"
$MKEAP "$WORK/nomf.eap" analytics 1.2.0 aarch64 --no-manifest
check no_manifest_refused not cc app upload "$WORK/nomf.eap" 2>"$WORK/nomf.err"
check no_manifest_reason grep -q "manifest" "$WORK/nomf.err"
$MKEAP "$WORK/badmf.eap" analytics 1.2.0 aarch64 --raw-manifest '{"schemaVersion":"2.0.0"}'
check bad_manifest_refused not cc app upload "$WORK/badmf.eap" 2>"$WORK/badmf.err"
$MKEAP "$WORK/a1other.eap" analytics 1.0.0 aarch64 --param Other=1
check other_content_refused not cc app upload "$WORK/a1other.eap" 2>"$WORK/other.err"
check other_content_reason grep -q "in the catalog with other content" "$WORK/other.err"
check missing_file_refused not cc app upload "$WORK/nothere.eap" 2>/dev/null
check nothing_left_behind [ "$(ls -A "$CLOUD_DATA/apps" | grep -c upload)" = 0 ]
check recommend [ "$(cc app recommend "$A2")" = "$A2" ]
check recommended_flag [ "$(cc app show "$A2" | jget 'j["recommended"]')" = True ]
cc app recommend "$A1" >/dev/null
check one_recommended_per_arch [ "$(cc app show "$A2" | jget 'j["recommended"]')" = False ]
check other_arch_untouched [ "$(cc app show "$A2ARM" | jget 'j["recommended"]')" = False ]
check recommend_history cc history | grep -q "package $A1 recommended for analytics on aarch64"

# --- an AXIS OS 13 upgrade while the agent's package is schema 1.x
camera_create c1 ACCC8E00S001 "$MODEL" 12.10.1
# two apps on the camera besides the agent: one with an ApplicationID, one the catalog
# will never hold
mkdir -p "$WORK/c1/apps"
echo '{"name":"plates","vendor":"V","version":"1.0.0","running":true,"app_id":"4714"}' >"$WORK/c1/apps/plates.json"
echo '{"name":"viewer","vendor":"V","version":"2.0.0","running":false}' >"$WORK/c1/apps/viewer.json"
agent_start c1 --token "$(cc token create "$SITE")" --set long_poll_s=30 --set heartbeat_s=2
check enrolled wait_for 20 device_has ACCC8E00S001 os_version 12.10.1
DEV=$(cc device find ACCC8E00S001)
check inventory_reported wait_for 20 app_field_is "$DEV" plates app_id 4714
check inventory_no_app_id [ "$(device_app "$DEV" viewer app_id)" = "" ]
SINCE=$(device_app "$DEV" plates since)
check inventory_running_since [ "$SINCE" -gt 0 ]
check inventory_stopped_since_zero [ "$(device_app "$DEV" viewer since)" = 0 ]
sleep 3 # another report while plates keeps running
check inventory_since_kept [ "$(device_app "$DEV" plates since)" = "$SINCE" ]
AGENT_VERSION=$(cc device show "$DEV" | jget 'j["agent_version"]')
"$MKIMAGE" "$WORK/os13.bin" "$MODEL" 13.0.1 $((64 * 1024)) ok
OS13=$(cc image add "$MODEL" 13.0.1 "$WORK/os13.bin")
LATER=$(($(date +%s) + 86400))
FIRST=$(cc task create "$DEV" "$OS13" --window-utc "$LATER" $((LATER + 3600)))
check unknown_agent_package_allowed test -n "$FIRST"
cc task cancel "$FIRST" >/dev/null
$MKEAP "$WORK/agent_s1.eap" camagent "$AGENT_VERSION" aarch64 --signed --schema 1
cc app upload "$WORK/agent_s1.eap" >/dev/null
check schema1_agent_refused not cc task create "$DEV" "$OS13" 2>"$WORK/strand.err"
check strand_reason grep -q "camagent $AGENT_VERSION would not run on AXIS OS 13.0.1 (.*schema 2" "$WORK/strand.err"
check strand_lists_unknown grep -q "AXIS OS range unknown (not in the catalog): plates 1.0.0, viewer 2.0.0" "$WORK/strand.err"
check strand_no_fix_yet grep -q "the catalog has no camagent package" "$WORK/strand.err"
$MKEAP "$WORK/agent_next.eap" camagent 9.9.9 aarch64 --signed
FIX=$(cc app upload "$WORK/agent_next.eap")
check still_refused not cc task create "$DEV" "$OS13" 2>"$WORK/strand2.err"
check strand_offers_fix grep -q "install camagent 9.9.9 first (package $FIX)" "$WORK/strand2.err"
JOB=$(cc job create "$OS13" --folder "$SITE" 2>"$WORK/skipped.txt")
check job_skips_stranded grep -q "skipped ACCC8E00S001 .*camagent $AGENT_VERSION would not run on AXIS OS 13.0.1" "$WORK/skipped.txt"
check job_made_no_task [ "$(cc job show "$JOB" | jget 'len(j["tasks"])')" = 0 ]
$MKEAP "$WORK/only13.eap" analytics 2.0.0 aarch64 --signed --os 13-
ONLY13=$(cc app upload "$WORK/only13.eap")
APPJOB=$(cc app task install "$ONLY13" --devices "$DEV" 2>"$WORK/appskip.txt")
check os_range_skipped grep -q "skipped ACCC8E00S001 .*analytics 2.0.0 would not run there: AXIS OS 12.10.1 is outside the package's compatibleOsVersions" "$WORK/appskip.txt"
check app_job_kind [ "$(cc job show "$APPJOB" | jget '(j["task_kind"], j["app_action"], j["model"], j["target_version"])')" = "('app', 'install', 'analytics/aarch64', '2.0.0')" ]
check image_list_has_no_packages [ "$(cc image list | jget 'sorted(i["version"] for i in j["images"])')" = "['13.0.1']" ]
OVERRIDDEN=$(cc task create "$DEV" "$OS13" --override-app-check)
check override_creates test -n "$OVERRIDDEN"
check override_in_history cc history | grep -q "app check overridden"
"$MKIMAGE" "$WORK/os12.bin" "$MODEL" 12.11.1 $((64 * 1024)) ok
OS12=$(cc image add "$MODEL" 12.11.1 "$WORK/os12.bin")
JOB12=$(cc job create "$OS12" --devices "$DEV" 2>"$WORK/skipped12.txt")
check os12_not_stranded not grep -q "would not run" "$WORK/skipped12.txt"
# --- every installed app the catalog holds is checked, not only the agent's
$MKEAP "$WORK/plates.eap" plates 1.0.0 aarch64 --signed --os 13-
cc app upload "$WORK/plates.eap" >/dev/null
"$MKIMAGE" "$WORK/os12b.bin" "$MODEL" 12.12.1 $((64 * 1024)) ok
OS12B=$(cc image add "$MODEL" 12.12.1 "$WORK/os12b.bin")
check other_app_strands not cc task create "$DEV" "$OS12B" 2>"$WORK/strand3.err"
check other_app_reason grep -q "plates 1.0.0 would not run on AXIS OS 12.12.1 (.*); the catalog has no plates package that does" "$WORK/strand3.err"
check other_app_unknown_still_listed grep -q "AXIS OS range unknown (not in the catalog): viewer 2.0.0" "$WORK/strand3.err"
# (the overridden upgrade has put the camera on 13.0.1 by now: this is a downgrade)
cc job create "$OS12B" --devices "$DEV" --allow-downgrade >/dev/null 2>"$WORK/skipped12b.txt"
check other_app_job_skips grep -q "skipped ACCC8E00S001 .*plates 1.0.0 would not run on AXIS OS 12.12.1" "$WORK/skipped12b.txt"

# --- a job for the cameras running an app reaches the caller's organization only: a
# camera of another organization running the same app is neither targeted nor skipped
OTHER=$(cc org create "Other Org")
OTHER_SITE=$(cc folder create "$OTHER" "Elsewhere")
camera_create c2 ACCC8E00S002 "$MODEL" 12.10.1
mkdir -p "$WORK/c2/apps"
COUNTER_APP='{"name":"counter","vendor":"V","version":"1.0.0","running":true}'
echo "$COUNTER_APP" >"$WORK/c2/apps/counter.json"
echo "$COUNTER_APP" >"$WORK/c1/apps/counter.json"
agent_start c2 --token "$(cc token create "$OTHER_SITE")" --set long_poll_s=30 --set heartbeat_s=2
check other_org_enrolled wait_for 20 device_has ACCC8E00S002 os_version 12.10.1
DEV2=$(cc device find ACCC8E00S002)
check other_org_runs_the_app wait_for 20 app_field_is "$DEV2" counter running true
check own_org_runs_the_app wait_for 20 app_field_is "$DEV" counter running true
$MKEAP "$WORK/counter.eap" counter 1.0.0 aarch64 --signed
COUNTER=$(cc app upload "$WORK/counter.eap")
job_serials() { cc job show "$1" | jget 'sorted(t["serial"] for t in j["tasks"] + j["skipped"])'; }
check running_job_wants_an_org not cc app task restart "$COUNTER" --running counter 2>/dev/null
RUNNING_A=$(cc app task restart "$COUNTER" --running counter --org "$ORG" 2>/dev/null)
check running_job_leaves_other_orgs_alone [ "$(job_serials "$RUNNING_A")" = "['ACCC8E00S001']" ]
RUNNING_B=$(cc app task restart "$COUNTER" --running counter --org "$OTHER" 2>/dev/null)
check running_job_of_other_org_its_own_only [ "$(job_serials "$RUNNING_B")" = "['ACCC8E00S002']" ]
finish
