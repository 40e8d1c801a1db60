#!/usr/bin/env bash
# kill -9 at every step of an upgrade: the agent dies right after persisting each
# task state (a power cut), starts again, and the upgrade still ends exactly once,
# succeeded, with the cloud told — never a half-applied image, never a lost report.
set -u
. "$(dirname "$0")/../lib.sh"
MODEL=P3265-LVE

cloud_start || { echo "FAIL cloud_start"; exit 1; }
ORG=$(cc org create "Org P")
FOLDER=$(cc folder create "$ORG" "Basement")
TOKEN=$(cc token create "$FOLDER")
camera_create cam ACCC8E00C001 "$MODEL" 10.0.0
agent_start cam --token "$TOKEN"
wait_for 20 device_has ACCC8E00C001 os_version 10.0.0 || { echo "FAIL enroll"; finish; }
DEV=$(cc device find ACCC8E00C001)

minor=0
for state in received downloading verifying installing rebooting verifying_version succeeded; do
	minor=$((minor + 1))
	version="10.$minor.0"
	"$MKIMAGE" "$WORK/img-$version.bin" "$MODEL" "$version" $((1024 * 1024)) ok
	agent_stop
	CAMAGENT_TEST_CRASH_AFTER=$state agent_start cam
	TASK=$(cc task create "$DEV" "$(cc image add "$MODEL" "$version" "$WORK/img-$version.bin")")
	wait_for 30 sh -c "! kill -0 $AGENT_PID 2>/dev/null"
	crashed=$(grep -c "power cut right after entering $state" "$WORK/cam.log")
	agent_start cam
	check "power_cut_after_${state}_recovers" cc task wait "$TASK" succeeded 60
	check "power_cut_after_${state}_hook_fired" test "$crashed" -ge 1
	check "power_cut_after_${state}_runs_$version" wait_for 20 device_has ACCC8E00C001 os_version "$version"
done
check no_download_left_behind test -z "$(ls "$WORK/cam/agent" | grep '^download-')"
check no_task_left_behind test ! -e "$WORK/cam/agent/task.json"
agent_stop
finish
