#!/usr/bin/env bash
# Three camcloud instances on one PostgreSQL behind HAProxy, all on loopback and all
# started and stopped here: a camera enrolls through the balancer and holds its task
# poll on one instance; that instance is killed (-9) and the camera holds its next
# poll on another; a job created through the third wakes it at once (LISTEN/NOTIFY),
# and the upgrade succeeds with the camera talking to whichever instance the balancer
# picks. The instances share one signing key and one admin token (files), the nonce
# memory (a signed auth request accepted by one is refused by another as replayed),
# access tokens and the image directory (any instance serves the artifact).
set -u
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/pg.sh"
. "$ROOT/tests/haproxy.sh"
MODEL=P3265-LVE
SERIAL=ACCC8E00M001
N=3

# The PostgreSQL pass of tests/run.sh would only run this again on a cluster of its own.
if [ -n "${CAMCLOUD_STORE_BASE:-}" ]; then
	echo "runs on PostgreSQL in the first pass already"
	exit 0
fi
command -v haproxy >/dev/null || { echo "FAIL haproxy: not installed (toolchain/deps.sh test)"; exit 1; }
pg_available || { echo "FAIL postgres: no initdb/pg_ctl (toolchain/deps.sh test)"; exit 1; }
pg_cluster_start || { echo "FAIL postgres_cluster"; exit 1; }
trap 'cleanup; pg_cluster_stop' EXIT
STORE=$(pg_database camcloud_multi)

LB_URL="http://127.0.0.1:$(free_port)"
SHARED="$WORK/shared"
mkdir -p "$SHARED" && chmod 0700 "$SHARED"
check signing_key_created "$CAMCLOUD" signing-key create "$SHARED/signing.key"
check signing_key_0600 test "$(stat -c %a "$SHARED/signing.key")" = 600
check signing_key_never_replaced not "$CAMCLOUD" signing-key create "$SHARED/signing.key"
openssl rand -hex 32 >"$SHARED/admin.token" && chmod 0600 "$SHARED/admin.token"
# serve_with_key KEY: an instance that should refuse to start with KEY (10 s at most).
serve_with_key() {
	timeout 10 "$CAMCLOUD" serve --data "$WORK/refused" --listen 127.0.0.1:0 --store "$STORE" \
		--signing-key "$1" --admin-token-file "$SHARED/admin.token" >>"$WORK/refused.log" 2>&1
}
cp "$SHARED/signing.key" "$WORK/open.key" && chmod 0644 "$WORK/open.key"
check key_readable_by_others_refused not serve_with_key "$WORK/open.key"
check missing_key_refused not serve_with_key "$WORK/missing.key"
check missing_key_not_made test ! -e "$WORK/missing.key"

# instance_start I: camcloud number I on a free port, its URL in INSTANCE_URL[I].
declare -A INSTANCE_URL INSTANCE_PID
instance_start() {
	local i=$1
	"$CAMCLOUD" serve --data "$WORK/cloud$i" --listen 127.0.0.1:0 --url-file "$WORK/cloud$i.url" \
		--store "$STORE" --signing-key "$SHARED/signing.key" \
		--admin-token-file "$SHARED/admin.token" --public-url "$LB_URL" \
		--log-level debug >>"$WORK/cloud$i.log" 2>&1 &
	INSTANCE_PID[$i]=$!
	PIDS+=($!)
	wait_for 20 test -s "$WORK/cloud$i.url" || { echo "camcloud $i did not start"; return 1; }
	INSTANCE_URL[$i]=$(cat "$WORK/cloud$i.url")
}
for i in $(seq $N); do
	instance_start "$i" || { echo "FAIL instance_$i"; finish; }
done
# A second key would make tasks the camera refuses: every instance has the one key.
fingerprints() { sed -n 's/.*signing key \([0-9a-f]\{64\}\).*/\1/p' "$WORK"/cloud[1-9].log | sort -u; }
check one_signing_key test "$(fingerprints | wc -l)" = 1

servers=()
for i in $(seq $N); do servers+=("${INSTANCE_URL[$i]#http://}"); done
haproxy_config "${LB_URL#http://}" "${servers[@]}" >"$WORK/haproxy.cfg"
haproxy -c -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 || { echo "FAIL haproxy_config"; cat "$WORK/haproxy.log"; exit 1; }
haproxy -db -f "$WORK/haproxy.cfg" >>"$WORK/haproxy.log" 2>&1 &
PIDS+=($!)

# The admin command line through the balancer, or straight to instance I.
cc() { "$CAMCLOUD" --url "$LB_URL" --admin-token-file "$SHARED/admin.token" "$@"; }
cc_on() { local i=$1; shift; "$CAMCLOUD" --url "${INSTANCE_URL[$i]}" --admin-token-file "$SHARED/admin.token" "$@"; }
check balancer_up wait_for 10 cc org list

ORG=$(cc org create "Multi Org")

# --- one name asked of every instance at once: one organization, the others refused.
# Names are unique for the caller, which no index can say; without the names' lock two
# instances could both find the name free.
race_round() { # N: each instance creates "Race N" at the same moment
	local i pids=()
	for i in $(seq $N); do
		cc_on "$i" org create "Race $1" >"$WORK/race$1.$i" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
}
for r in $(seq 20); do race_round "$r"; done
race_names() { cc org list | python3 -c '
import collections, json, sys
print(" ".join(str(n) for _, n in sorted(collections.Counter(
    o["name"] for o in json.load(sys.stdin)["orgs"] if o["name"].startswith("Race ")).items())))'
}
check race_one_org_per_name test "$(race_names)" = "$(printf '1 %.0s' $(seq 20) | sed 's/ $//')"
check race_others_refused test "$(cat "$WORK"/race*.[1-9] | grep -c "already exists among your organizations")" = $((20 * (N - 1)))
FOLDER=$(cc_on 2 folder create "$ORG" "Site")
camera_create cam "$SERIAL" "$MODEL" 11.11.73
agent_start cam --token "$(cc_on 3 token create "$FOLDER")" --set long_poll_s=30 --log-level debug
check enrolls_through_balancer wait_for 30 device_has "$SERIAL" os_version 11.11.73
DEVICE=$(device_field "$SERIAL" id)

holds() { grep -c "holding GET /device/v1/tasks/next of $DEVICE" "$WORK/cloud$1.log"; }
# holder_after COUNTS...: the instance with more held polls than COUNTS[I] (its
# count before), printed; fails while none has.
holder_after() {
	local i before=("" "$@")
	for i in $(seq $N); do
		[ -n "${INSTANCE_PID[$i]:-}" ] || continue
		if [ "$(holds "$i")" -gt "${before[$i]}" ]; then echo "$i"; return 0; fi
	done
	return 1
}
counts() { local i; for i in $(seq $N); do holds "$i"; done; }
wait_holder() { # COUNTS...: waits up to 40 s for a new hold; sets HOLDER
	local deadline=$((SECONDS + 40))
	HOLDER=
	while [ $SECONDS -lt $deadline ]; do
		HOLDER=$(holder_after "$@") && return 0
		sleep 0.1
	done
	return 1
}

# --- the instance holding the camera's poll dies; the camera holds on another
wait_holder $(for i in $(seq $N); do echo 0; done)
check poll_held wait_for 1 test -n "$HOLDER"
DEAD=${HOLDER:-1}
BEFORE=$(counts)
kill -9 "${INSTANCE_PID[$DEAD]}"
wait "${INSTANCE_PID[$DEAD]}" 2>/dev/null
unset "INSTANCE_PID[$DEAD]"
wait_holder $BEFORE
check poll_held_again_elsewhere test -n "$HOLDER" -a "$HOLDER" != "$DEAD"
HOLDER=${HOLDER:-1}
OTHER=
for i in $(seq $N); do
	[ "$i" = "$DEAD" ] || [ "$i" = "$HOLDER" ] || OTHER=$i
done

# --- a job made through another instance wakes the held poll at once
"$MKIMAGE" "$WORK/good.bin" "$MODEL" 12.0.1 $((256 * 1024)) ok
IMAGE=$(cc_on "$OTHER" image add "$MODEL" 12.0.1 "$WORK/good.bin")
answered() { grep -c "tasks/next[^ ]* -> 200" "$WORK/cloud$HOLDER.log"; }
ANSWERED=$(answered)
JOB=$(cc_on "$OTHER" job create "$IMAGE" --devices "$DEVICE" 2>/dev/null)
START=$SECONDS
check job_created test -n "$JOB"
answered_since() { [ "$(answered)" -gt "$1" ]; }
check woken_across_instances wait_for 10 answered_since "$ANSWERED"
check woken_at_once test $((SECONDS - START)) -lt 10
check wake_signal_logged not grep -q "peers: ignoring" "$WORK/cloud$HOLDER.log"
job_task_state() {
	cc job show "$JOB" | python3 -c 'import json, sys; print(json.load(sys.stdin)["tasks"][0]["state"])'
}
job_task_is() { [ "$(job_task_state)" = "$1" ]; }
check upgrade_succeeds wait_for 120 job_task_is succeeded
check camera_upgraded wait_for 30 device_has "$SERIAL" os_version 12.0.1
# Every state the camera reported was recorded once, in order, ending in success.
task_transitions() {
	cc history | python3 -c '
import json, sys
for e in reversed(json.load(sys.stdin)["events"]):  # history is newest first
    if e["action"] == "task.state" and sys.argv[1] in e["detail"]:
        print(e["detail"].split(": ", 1)[1])' "$(cc job show "$JOB" | python3 -c 'import json, sys; print(json.load(sys.stdin)["tasks"][0]["id"])')"
}
task_transitions >"$WORK/transitions.txt"
check states_recorded_once test "$(sort "$WORK/transitions.txt" | uniq -d | wc -l)" = 0
check states_all_there_in_order test "$(tr '\n' ' ' <"$WORK/transitions.txt")" = \
	"pending -> received received -> downloading downloading -> verifying verifying -> installing installing -> rebooting rebooting -> verifying_version verifying_version -> succeeded "
check one_task_for_the_device test "$(cc task list | python3 -c '
import json, sys
print(sum(1 for t in json.load(sys.stdin)["tasks"] if t["device_id"] == sys.argv[1]))' "$DEVICE")" = 1

# --- replay protection and access tokens shared through the store
auth_body() {
	printf '{"device_id":"%s","ts":%s,"nonce":"%s"}' "$DEVICE" "$(date +%s)" "$(openssl rand -hex 16)"
}
BODY=$(auth_body)
SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -sign "$WORK/cam/agent/device.key" -binary | base64 -w0)
post_auth() { # I OUT: the signed body to instance I; prints the HTTP status
	curl -s -o "$2" -w '%{http_code}' -H 'Content-Type: application/json' \
		-H "X-Camagent-Signature: $SIG" --data-binary "$BODY" "${INSTANCE_URL[$1]}/device/v1/auth"
}
check auth_accepted test "$(post_auth "$HOLDER" "$WORK/auth1.json")" = 200
check replay_refused_by_another_instance test "$(post_auth "$OTHER" "$WORK/auth2.json")" = 401
check replay_named grep -q '"replayed"' "$WORK/auth2.json"
TOKEN=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["access_token"])' "$WORK/auth1.json")
# A second task, for a window an hour ahead, keeps its image an artifact of the camera.
"$MKIMAGE" "$WORK/next.bin" "$MODEL" 12.0.2 $((128 * 1024)) ok
NEXT=$(cc_on "$OTHER" image add "$MODEL" 12.0.2 "$WORK/next.bin")
LATER=$(($(date +%s) + 3600))
check deferred_task_created cc task create "$DEVICE" "$NEXT" --window-utc "$LATER" $((LATER + 3600))
artifact_sha() { # I: the artifact as instance I serves it, with the token another issued
	curl -sf -H "Authorization: Bearer $TOKEN" "${INSTANCE_URL[$1]}/device/v1/artifacts/$NEXT" | sha256sum | cut -d' ' -f1
}
NEXT_SHA=$(sha256sum <"$WORK/next.bin" | cut -d' ' -f1)
for i in "$HOLDER" "$OTHER"; do
	check "artifact_served_by_instance_$i" test "$(artifact_sha "$i")" = "$NEXT_SHA"
done

agent_stop
finish
