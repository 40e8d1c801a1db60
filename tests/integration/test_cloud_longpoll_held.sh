#!/usr/bin/env bash
# A held task poll is answered by camcloud, not cut by its own idle timeout, even when
# the wait is as long as (or longer than) that timeout (both are 60 s by default).
set -u
. "$(dirname "$0")/../lib.sh"

cloud_start 0 --idle-timeout 3 --log-level debug || { echo "FAIL cloud_start"; exit 1; }
FOLDER=$(cc folder create "$(cc org create "Poll Org")" "Desk")
camera_create cam ACCC8E00L001 P3265-LVE 11.11.73
agent_start cam --token "$(cc token create "$FOLDER")" --set long_poll_s=6 --log-level debug
check enrolls wait_for 20 device_has ACCC8E00L001 os_version 11.11.73
answered() { [ "$(grep -c 'tasks/next[^ ]* -> 204' "$WORK/cloud.log")" -ge 2 ]; }
check held_polls_answered wait_for 30 answered
check held_poll_lasts_its_wait grep -qE 'tasks/next[^ ]* -> 204 \(6[0-9]{3} ms\)' "$WORK/cloud.log"
check no_poll_dropped_by_the_server not grep -q 'dropped: connection closed' "$WORK/cloud.log"
check no_poll_cut_on_the_agent not grep -q 'task poll failed' "$WORK/cam.log"
agent_stop
finish
