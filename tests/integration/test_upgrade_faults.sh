#!/usr/bin/env bash
# Upgrade tasks under faults, end to end: the agent talks to camcloud through a
# fault-injecting proxy. Each case names what it proves.
# check: alone (it measures the download rate limit)
set -u
. "$(dirname "$0")/../lib.sh"
MODEL=P3265-LVE
MiB=$((1024 * 1024))

cloud_start || { echo "FAIL cloud_start"; exit 1; }
proxy_start || { echo "FAIL proxy_start"; exit 1; }
ORG=$(cc org create "Org U")
FOLDER=$(cc folder create "$ORG" "Roof")
log_has() { grep -q "$2" "$WORK/$1.log"; }
range_requests() { grep -c '"range": "bytes=[1-9]' "$WORK/proxy.log"; }

# image VERSION SIZE [ok|fail]: registers an image, prints its id
image() {
	"$MKIMAGE" "$WORK/img-$1.bin" "$MODEL" "$1" "$2" "${3:-ok}"
	cc image add "$MODEL" "$1" "$WORK/img-$1.bin"
}

camera_create cam ACCC8E00D001 "$MODEL" 11.11.73
start_cam() { agent_start cam --token "$TOKEN" --cloud-url "$PROXY_URL" --set retry_max_s=1 "$@"; }
TOKEN=$(cc token create "$FOLDER")
start_cam
wait_for 20 device_has ACCC8E00D001 os_version 11.11.73 || { echo "FAIL enroll"; finish; }
DEV=$(cc device find ACCC8E00D001)

# --- the connection drops mid-stream twice: resumed with Range, image verified
faults '{"rules": [{"path": "/device/v1/artifacts/", "drop_after": 1048576, "count": 2}]}'
T=$(cc task create "$DEV" "$(image 12.0.1 $((3 * MiB)))")
check dropped_download_resumes cc task wait "$T" succeeded 60
check resumed_with_range test "$(range_requests)" -ge 2
faults '{"rules": []}'

# --- server errors on the artifact: retried with backoff, then success
faults '{"rules": [{"path": "/device/v1/artifacts/", "status": 503, "count": 3}]}'
T=$(cc task create "$DEV" "$(image 12.0.2 $MiB)")
check server_errors_retried cc task wait "$T" succeeded 60
faults '{"rules": []}'

# --- status reports fail for a while: states are retried, never lost
faults '{"rules": [{"path": "/device/v1/tasks/", "method": "POST", "status": 500, "count": 4}]}'
T=$(cc task create "$DEV" "$(image 12.0.3 $MiB)")
check failed_reports_retried cc task wait "$T" succeeded 60
faults '{"rules": []}'

# --- a status report that hangs: timed out, retried, the task goes on
agent_stop
start_cam --set request_timeout_s=2
faults '{"rules": [{"path": "/device/v1/tasks/", "method": "POST", "delay": 6, "count": 1}]}'
T=$(cc task create "$DEV" "$(image 12.0.3.5 $MiB)")
check hung_report_retried cc task wait "$T" succeeded 60
check hung_report_timed_out grep -q "task status report failed: .*timed out" "$WORK/cam.log"
faults '{"rules": []}'

# --- the artifact is corrupted in transit: SHA-256 mismatch, task fails, file deleted
faults '{"rules": [{"path": "/device/v1/artifacts/", "corrupt_byte": 5000, "count": 1}]}'
T=$(cc task create "$DEV" "$(image 12.0.4 $MiB)")
check corrupted_image_fails cc task wait "$T" failed 60
check corrupted_reason grep -q "SHA-256 mismatch" <(cc task show "$T")
check corrupted_file_deleted test -z "$(ls "$WORK/cam/agent" | grep '^download-')"
faults '{"rules": []}'

# --- the artifact is gone (404): final, not retried forever
faults '{"rules": [{"path": "/device/v1/artifacts/", "status": 404, "count": -1}]}'
T=$(cc task create "$DEV" "$(image 12.0.5 $MiB)")
check missing_artifact_fails cc task wait "$T" failed 30
check missing_artifact_reason grep -q "HTTP 404" <(cc task show "$T")
faults '{"rules": []}'

# --- a task envelope altered on the way: nothing of it is used (not even its id to
# report against); the cloud offers the task again, untouched, and it runs
faults '{"rules": [{"path": "/device/v1/tasks/next", "tamper_signature": true, "count": 1}]}'
T=$(cc task create "$DEV" "$(image 12.0.6 $MiB)")
check tampered_envelope_refused wait_for 30 log_has cam "refusing a task envelope: .*signature"
check tampered_envelope_not_reported_against not grep -q "refusing task $T" "$WORK/cam.log"
check tampered_task_runs_when_offered_intact cc task wait "$T" succeeded 60
faults '{"rules": []}'

# --- a task that expired before the agent saw it (delivery delayed past its expiry)
faults '{"rules": [{"path": "/device/v1/tasks/next", "delay_response": 3, "count": 1}]}'
T=$(cc task create "$DEV" "$(image 12.0.7 $MiB)" --expires-in 2)
check expired_task_refused cc task wait "$T" failed 30
check expired_task_reason grep -q "expired" <(cc task show "$T")
faults '{"rules": []}'

# --- a task for another camera, replayed to this one: refused as bound to another device
camera_create other ACCC8E00D002 "$MODEL" 11.11.73
faults "{\"rules\": [{\"path\": \"/device/v1/tasks/next\", \"save_body\": \"$WORK/other-task.json\", \"count\": 1}]}"
agent_stop
agent_start other --token "$(cc token create "$FOLDER")" --cloud-url "$PROXY_URL"
wait_for 20 device_has ACCC8E00D002 os_version 11.11.73
OTHER=$(cc device find ACCC8E00D002)
agent_stop
VERSION_BEFORE_REPLAY=$(device_field ACCC8E00D001 os_version)
T_OTHER=$(cc task create "$OTHER" "$(image 12.0.8 $MiB)")
agent_start other --cloud-url "$PROXY_URL"
wait_for 30 grep -q '"task": {' "$WORK/other-task.json"
cc task wait "$T_OTHER" succeeded 60 >/dev/null
agent_stop
faults "{\"rules\": [{\"path\": \"/device/v1/tasks/next\", \"body_file\": \"$WORK/other-task.json\", \"count\": 1}]}"
start_cam
check replayed_task_refused wait_for 20 log_has cam "refusing task $T_OTHER: .*another device"
check replayed_task_untouched test "$(task_field "$T_OTHER" state)" = succeeded
check replayed_task_not_installed device_has ACCC8E00D001 os_version "$VERSION_BEFORE_REPLAY"
faults '{"rules": []}'

# --- kill -9 mid-download, restart: resumes where it was, no restart from zero
before=$(range_requests)
T=$(cc task create "$DEV" "$(image 12.1.0 $((4 * MiB)))")
agent_stop
start_cam --set download_max_bytes_per_s=1000000
wait_for 30 task_progress_at_least "$T" 20
agent_kill9
start_cam
check killed_download_resumes cc task wait "$T" succeeded 60
check killed_download_used_range test "$(range_requests)" -gt "$before"

# --- the speed limit holds: measured rate within 10 % of the limit
agent_stop
start_cam --set download_max_bytes_per_s=2000000
T=$(cc task create "$DEV" "$(image 12.1.1 $((6 * MiB)))")
check limited_download_succeeds cc task wait "$T" succeeded 60
rate=$(grep "download complete" "$WORK/cam.log" | tail -n1 | sed -n 's/.*(\([0-9]*\) bytes\/s).*/\1/p')
check speed_limit_respected python3 -c "import sys; r=int(sys.argv[1]); sys.exit(0 if 1800000 <= r <= 2200000 else 1)" "${rate:-0}"
echo "measured download rate: ${rate:-?} bytes/s (limit 2000000)"

# --- cancelled while downloading: the agent drops it and goes back to polling
agent_stop
start_cam --set download_max_bytes_per_s=500000
T=$(cc task create "$DEV" "$(image 12.2.0 $((4 * MiB)))")
wait_for 30 task_progress_at_least "$T" 10
cc task cancel "$T" >/dev/null
check cancelled_task_stays_cancelled wait_for 20 log_has cam "cancelled it; stopping"
check cancelled_file_deleted wait_for 5 sh -c "! ls '$WORK/cam/agent' | grep -q '^download-'"
check cancelled_not_installed device_has ACCC8E00D001 os_version 12.1.1

agent_stop
finish
