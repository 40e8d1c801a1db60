#!/usr/bin/env bash
# Enrollment and identity, end to end with real processes: every refusal is clear
# on the agent's side and leaves no device behind; retries never duplicate a device.
set -u
. "$(dirname "$0")/../lib.sh"
MODEL=P3265-LVE

cloud_start || { echo "FAIL cloud_start"; exit 1; }
proxy_start || { echo "FAIL proxy_start"; exit 1; }
ORG=$(cc org create "Org A")
FOLDER=$(cc folder create "$ORG" "Lobby")

device_count() { cc device list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["devices"]))'; }
serial_count() { cc device list | python3 -c 'import json,sys; print(sum(d["serial"] == sys.argv[1] for d in json.load(sys.stdin)["devices"]))' "$1"; }
status_has() { agent_status "$1" | grep -q "$2"; }
log_has() { grep -q "$2" "$WORK/$1.log"; }

# Re-encodes a token with one field changed: retoken TOKEN FIELD VALUE
retoken() {
	python3 -c '
import base64, json, sys
t, field, value = sys.argv[1:4]
b = t.split(".", 1)[1]
d = json.loads(base64.urlsafe_b64decode(b + "=" * (-len(b) % 4)))
d[field] = value
print("cam1." + base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("="))' "$@"
}

# --- 401 on an authenticated request: authenticate again once, then back off
faults '{"rules": [{"path": "/device/v1/report", "status": 401, "count": 3}]}'
AUTH=$(cc token create "$FOLDER")
camera_create auth ACCC8E00A001 "$MODEL" 11.11.73
agent_start auth --token "$AUTH" --cloud-url "$PROXY_URL" --set retry_max_s=1
check reauth_once_on_401 wait_for 15 log_has auth "authenticating again"
check backoff_after_second_401 wait_for 15 log_has auth "still unauthorized after authenticating again"
check reports_after_401s_end wait_for 20 log_has auth "reported AXIS OS"
check reauth_used_new_tokens test "$(grep -c '"path": "/device/v1/auth"' "$WORK/proxy.log")" -ge 2
agent_stop
faults '{"rules": []}'
DEVICES_BEFORE=$(device_count)

# --- a token the cloud never issued
GOOD=$(cc token create "$FOLDER")
camera_create bad1 ACCC8E00B001 "$MODEL" 11.11.73
agent_start bad1 --token "$(retoken "$GOOD" secret 00000000000000000000000000000000)"
check unknown_token_refused wait_for 15 status_has bad1 "token_invalid"
check unknown_token_state_refused status_has bad1 "^enrollment: *refused"
agent_stop

# --- expired
EXPIRING=$(cc token create "$FOLDER" --expires-in 1)
sleep 2
camera_create bad2 ACCC8E00B002 "$MODEL" 11.11.73
agent_start bad2 --token "$EXPIRING"
check expired_token_refused wait_for 15 status_has bad2 "token_expired"
agent_stop

# --- revoked
REVOKED=$(cc token create "$FOLDER")
cc token revoke "$REVOKED" >/dev/null
camera_create bad3 ACCC8E00B003 "$MODEL" 11.11.73
agent_start bad3 --token "$REVOKED"
check revoked_token_refused wait_for 15 status_has bad3 "token_revoked"
agent_stop

# --- a refused token is not retried by itself: one request, then quiet
check refused_token_not_retried test "$(grep -c 'enrolling at' "$WORK/bad3.log")" = 1
check no_device_from_bad_tokens test "$(device_count)" = "$DEVICES_BEFORE"

# --- a token naming another cloud's key: the reply is not trusted, nothing pinned
OTHER_FP=$(printf 'another cloud' | sha256sum | cut -d' ' -f1)
camera_create fp ACCC8E00F001 "$MODEL" 11.11.73
agent_start fp --token "$(retoken "$GOOD" fp "$OTHER_FP")"
check wrong_cloud_key_refused wait_for 15 log_has fp "is not the key"
check wrong_cloud_not_pinned status_has fp "^enrollment: *unenrolled"
agent_stop

# --- a tampered enrollment reply is refused; the retry enrolls the same device once
faults '{"rules": [{"path": "/device/v1/enroll", "tamper_body": true, "count": 1}]}'
TAMPER=$(cc token create "$FOLDER")
camera_create tamper ACCC8E00T001 "$MODEL" 11.11.73
agent_start tamper --token "$TAMPER" --cloud-url "$PROXY_URL" --set retry_max_s=1
check tampered_reply_refused wait_for 15 log_has tamper "not signed by the cloud"
check tampered_then_enrolled wait_for 15 status_has tamper "^enrollment: *enrolled"
check tampered_one_device test "$(serial_count ACCC8E00T001)" = 1
agent_stop

# --- the same serial with another key (a cloned identity) is refused on both sides
CLONE=$(cc token create "$FOLDER")
before=$(device_count)
camera_create clone ACCC8E00T001 "$MODEL" 11.11.73
agent_start clone --token "$CLONE"
check duplicate_serial_refused wait_for 15 status_has clone "device_conflict"
check duplicate_serial_no_device test "$(device_count)" = "$before"
agent_stop

# --- used up: a one-use token enrolls one camera, the second is refused
ONCE=$(cc token create "$FOLDER" --max-uses 1)
camera_create once1 ACCC8E00U001 "$MODEL" 11.11.73
agent_start once1 --token "$ONCE"
check one_use_token_enrolls wait_for 15 status_has once1 "^enrollment: *enrolled"
agent_stop
camera_create once2 ACCC8E00U002 "$MODEL" 11.11.73
agent_start once2 --token "$ONCE"
check used_up_token_refused wait_for 15 status_has once2 "token_used_up"
agent_stop

# --- kill -9 after the cloud enrolled us but before the reply arrived: no duplicate
faults '{"rules": [{"path": "/device/v1/enroll", "delay_response": 3, "count": 1}]}'
KILL=$(cc token create "$FOLDER" --max-uses 1)
camera_create kill ACCC8E00K001 "$MODEL" 11.11.73
agent_start kill --token "$KILL" --cloud-url "$PROXY_URL"
wait_for 10 grep -q '"path": "/device/v1/enroll"' "$WORK/proxy.log"
sleep 1
agent_kill9
before=$(device_count)
agent_start kill --token "$KILL" --cloud-url "$PROXY_URL"
check killed_mid_enrollment_resumes wait_for 15 status_has kill "^enrollment: *enrolled"
check killed_mid_enrollment_no_duplicate test "$(device_count)" = "$before"
agent_stop

# --- server down at first start, then back on the same port: the agent retries and enrolls
LATE=$(cc token create "$FOLDER")
PORT=$(cloud_port)
cloud_stop
camera_create late ACCC8E00L001 "$MODEL" 11.11.73
agent_start late --token "$LATE" --set retry_max_s=1
check cloud_down_logged wait_for 10 log_has late "enrollment failed"
cloud_start "$PORT" || echo "FAIL cloud_restart"
check enrolls_after_cloud_restart wait_for 20 status_has late "^enrollment: *enrolled"

# --- decommission: the agent wipes its credentials, keeps its key, waits quietly
DEV=$(cc device find ACCC8E00L001)
KEY_BEFORE=$(sha256sum "$WORK/late/agent/device.key")
cc device remove "$DEV" >/dev/null
check decommission_seen wait_for 30 status_has late "^enrollment: *removed"
check decommission_keeps_key test "$KEY_BEFORE" = "$(sha256sum "$WORK/late/agent/device.key")"
lines=$(wc -l <"$WORK/late.log")
sleep 3
check decommission_no_log_spam test $(($(wc -l <"$WORK/late.log") - lines)) -le 2
check agent_still_running kill -0 "$AGENT_PID"
agent_stop

# --- and a new token brings it back
AGAIN=$(cc token create "$FOLDER")
agent_start late --token "$AGAIN"
check reenrolls_with_new_token wait_for 15 status_has late "^enrollment: *enrolled"
agent_stop

finish
