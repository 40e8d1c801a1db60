#!/usr/bin/env bash
# Upgrade jobs with real agents: a folder-wide job upgrades every camera of the
# image's model in the folder tree (another model is skipped, with the reason) and
# `job show` / `job list` follow each device; a job for the recommended image picks
# only the outdated cameras; cancelling a job while its cameras download leaves them
# on their version.
set -u
. "$(dirname "$0")/../lib.sh"
MODEL=P3265-LVE
OTHER=M1065-L

cloud_start || { echo "FAIL cloud_start"; exit 1; }
ORG=$(cc org create "Org A")
SITE=$(cc folder create "$ORG" "Site B")
FLOOR=$(cc folder create "$ORG" "Floor 1" --parent "$SITE")
LOBBY=$(cc folder create "$ORG" "Lobby")

status_has() { agent_status "$1" | grep -q "$2"; }
# job_get JOB EXPR: EXPR over `job show JOB`.
job_get() { cc job show "$1" | jget "$2"; }
# job_states JOB: "SERIAL:STATE ..." of the job's tasks, by serial.
job_states() { job_get "$1" '" ".join(t["serial"] + ":" + t["state"] for t in j["tasks"])'; }
job_all() { # JOB STATE: every task of the job is in STATE
	[ "$(job_get "$1" 'all(t["state"] == "'"$2"'" for t in j["tasks"]) and len(j["tasks"]) > 0')" = True ]
}
# cam NAME SERIAL MODEL VERSION FOLDER [agent options]: a camera enrolled in FOLDER.
cam() {
	local name=$1 serial=$2 model=$3 version=$4 folder=$5
	shift 5
	camera_create "$name" "$serial" "$model" "$version"
	agent_start "$name" --token "$(cc token create "$folder")" --set long_poll_s=30 "$@"
}

# --- a folder-wide job: three cameras in the tree, one of another model
cam a1 ACCC8E00J001 "$MODEL" 11.11.73 "$SITE"
cam a2 ACCC8E00J002 "$MODEL" 11.11.73 "$FLOOR"
cam m1 ACCC8E00J003 "$OTHER" 11.11.73 "$SITE"
for s in J001 J002 J003; do
	check "enrolled_$s" wait_for 20 device_has "ACCC8E00$s" os_version 11.11.73
done
"$MKIMAGE" "$WORK/good.bin" "$MODEL" 12.0.1 $((1024 * 1024)) ok
IMAGE=$(cc image add "$MODEL" 12.0.1 "$WORK/good.bin")
JOB=$(cc job create "$IMAGE" --folder "$SITE" 2>"$WORK/skipped.txt")
check job_created test -n "$JOB"
check other_model_skipped grep -q "skipped ACCC8E00J003 .*is a $OTHER, the image is for $MODEL" "$WORK/skipped.txt"
check folder_job_succeeds wait_for 90 job_all "$JOB" succeeded
check job_show_each_device test "$(job_states "$JOB")" = "ACCC8E00J001:succeeded ACCC8E00J002:succeeded"
check job_show_folders test "$(job_get "$JOB" '",".join(t["folder"] for t in j["tasks"])')" = "Site B,Site B/Floor 1"
check job_show_skipped test "$(job_get "$JOB" '[s["serial"] for s in j["skipped"]]')" = "['ACCC8E00J003']"
check job_list_counts test "$(cc job list | jget '[(x["done"], x["total"], x["counts"]) for x in j["jobs"] if x["id"] == "'"$JOB"'"][0]')" \
	= "(2, 2, {'succeeded': 2})"
check cameras_upgraded wait_for 20 device_has ACCC8E00J002 os_version 12.0.1
check camera_runs_it status_has a1 '^AXIS OS: *12.0.1'
check other_model_untouched device_has ACCC8E00J003 os_version 11.11.73

# --- the recommended image of a model: only the cameras not on it
cam r1 ACCC8E00R001 "$MODEL" 11.5.0 "$LOBBY"
cam r2 ACCC8E00R002 "$MODEL" 12.0.1 "$LOBBY"
check r1_enrolled wait_for 20 device_has ACCC8E00R001 os_version 11.5.0
check r2_enrolled wait_for 20 device_has ACCC8E00R002 os_version 12.0.1
check no_recommended_yet not cc job create --recommended "$MODEL" 2>/dev/null
cc image recommend "$IMAGE" >/dev/null
check recommended_listed test "$(cc image list --model "$MODEL" | jget '[i["recommended"] for i in j["images"]]')" = "[True]"
RJOB=$(cc job create --recommended "$MODEL" 2>"$WORK/rskipped.txt")
check recommended_picks_outdated test "$(job_get "$RJOB" '[t["serial"] for t in j["tasks"]]')" = "['ACCC8E00R001']"
check recommended_skips_current test "$(grep -c 'already on 12.0.1' "$WORK/rskipped.txt")" = 3
check recommended_succeeds wait_for 90 job_all "$RJOB" succeeded
check recommended_upgraded wait_for 20 device_has ACCC8E00R001 os_version 12.0.1

# --- cancelled while downloading (slowly): the cameras stay on their version
cam c1 ACCC8E00C001 "$MODEL" 11.11.73 "$LOBBY" --set download_max_bytes_per_s=100000
cam c2 ACCC8E00C002 "$MODEL" 11.11.73 "$LOBBY" --set download_max_bytes_per_s=100000
check c1_enrolled wait_for 20 device_has ACCC8E00C001 os_version 11.11.73
check c2_enrolled wait_for 20 device_has ACCC8E00C002 os_version 11.11.73
"$MKIMAGE" "$WORK/big.bin" "$MODEL" 12.1.0 $((4 * 1024 * 1024)) ok
BIG=$(cc image add "$MODEL" 12.1.0 "$WORK/big.bin")
C1=$(cc device find ACCC8E00C001)
C2=$(cc device find ACCC8E00C002)
CJOB=$(cc job create "$BIG" --devices "$C1,$C2")
check cancel_job_downloading wait_for 30 job_all "$CJOB" downloading
check job_cancel test "$(cc job cancel "$CJOB" | jget '(j["cancelled"], j["not_cancelled"])')" = "(2, 0)"
check cancel_job_tasks_cancelled job_all "$CJOB" cancelled
check c1_drops_task wait_for 20 status_has c1 '^task: *none'
check c2_drops_task wait_for 20 status_has c2 '^task: *none'
sleep 2
check c1_on_old_version status_has c1 '^AXIS OS: *11.11.73'
check c2_on_old_version device_has ACCC8E00C002 os_version 11.11.73
check cancel_in_history grep -q "job $CJOB cancelled: 2 tasks cancelled" <(cc history)

cloud_stop
check no_admin_token_in_logs not grep -qF "$(cat "$CLOUD_DATA/admin.token")" "$WORK"/*.log
finish
