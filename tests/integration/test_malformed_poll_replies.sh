#!/usr/bin/env bash
# A cloud that answers the task poll at once with a body of the wrong shape never makes
# the agent spin, end to end: for each class ({}, a numeric, a string or a null task,
# an array, a body that is no JSON) the agent's polls back off (a bounded number of
# requests in the window) and it says what is wrong in one warning line, not one per
# poll (the failure log is rate-limited). The unit tests bound the same classes over
# ten simulated minutes; this runs the real process through a proxy that lies.
set -u
. "$(dirname "$0")/../lib.sh"
MODEL=P3265-LVE
WINDOW=${WINDOW:-12}
within() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; } # N MIN MAX
polls() { grep -c '"path": "/device/v1/tasks/next' "$WORK/proxy.log"; }

cloud_start || { echo "FAIL cloud_start"; exit 1; }
proxy_start || { echo "FAIL proxy_start"; finish; }
ORG=$(cc org create "Lies Org")
FOLDER=$(cc folder create "$ORG" "Site")
n=0
for class in empty_object:'{}' numeric_task:'{"task": 5}' string_task:'{"task": "x"}' \
	null_task:'{"task": null}' array:'[1, 2, 3]' non_json:'<html>hello</html>'; do
	name=${class%%:*}
	n=$((n + 1))
	printf '%s' "${class#*:}" >"$WORK/$name.body"
	faults "{\"rules\": [{\"path\": \"/device/v1/tasks/next\", \"body_file\": \"$WORK/$name.body\", \"count\": -1}]}"
	: >"$WORK/proxy.log"
	camera_create "$name" "ACCC8E00M00$n" "$MODEL" 11.11.73
	agent_start "$name" --token "$(cc token create "$FOLDER")" --cloud-url "$PROXY_URL" \
		--set retry_max_s=300
	wait_for 20 grep -q '"path": "/device/v1/tasks/next' "$WORK/proxy.log"
	sleep "$WINDOW"
	agent_stop
	got=$(polls)
	warned=$(grep -c 'WARN: .*task.*retrying in' "$WORK/$name.log")
	echo "$name: $got polls, $warned warning lines in $WINDOW s"
	# Backoff 1, 2, 4, 8 s jittered to at least half: 5 or 6 polls in 12 s, 8 allowed
	# for a report's success between them (a spinning agent makes thousands); at least
	# 2 (it does poll again).
	check "poll_answered_${name}_backs_off" within "$got" 2 8
	check "poll_answered_${name}_warns_once" [ "$warned" = 1 ]
	check "poll_answered_${name}_agent_stays_up" not grep -q "camagent stopped (exit [1-9]" "$WORK/$name.log"
done
finish
