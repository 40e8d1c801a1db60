#!/usr/bin/env bash
# A full disk: the agent's state dir lives on a small tmpfs. A task that cannot fit
# fails before downloading; a disk that fills up during the download fails the task
# with the reason and deletes the partial file; the agent's own state stays intact
# and the next task that fits succeeds.
set -u
. "$(dirname "$0")/../lib.sh"
MODEL=P3265-LVE
MiB=$((1024 * 1024))

camera_create cam ACCC8E00E001 "$MODEL" 11.0.0
mkdir -p "$WORK/cam/agent"
if ! mount -t tmpfs -o size=6m tmpfs "$WORK/cam/agent" 2>/dev/null; then
	echo "SKIP test_disk_full: cannot mount a tmpfs here (needs root)"
	exit 0
fi
umount_state() { umount "$WORK/cam/agent" 2>/dev/null; }
trap 'cleanup_all' EXIT
# Stop the processes, then unmount, then remove: the work dir cannot go while the tmpfs is on it.
cleanup_all() {
	local keep=${KEEP_WORK:-}
	KEEP_WORK=1 cleanup
	umount_state
	[ -n "$keep" ] || rm -rf "$WORK"
}

cloud_start || { echo "FAIL cloud_start"; exit 1; }
ORG=$(cc org create "Org D")
FOLDER=$(cc folder create "$ORG" "Attic")
TOKEN=$(cc token create "$FOLDER")
agent_start cam --token "$TOKEN" --set retry_max_s=1
wait_for 20 device_has ACCC8E00E001 os_version 11.0.0 || { echo "FAIL enroll"; finish; }
DEV=$(cc device find ACCC8E00E001)

image() { "$MKIMAGE" "$WORK/img-$1.bin" "$MODEL" "$1" "$2" ok; cc image add "$MODEL" "$1" "$WORK/img-$1.bin"; }

# Too big from the start: refused before a byte is downloaded.
T=$(cc task create "$DEV" "$(image 11.1.0 $((8 * MiB)))")
check too_big_fails cc task wait "$T" failed 30
check too_big_reason grep -q "not enough free space" <(cc task show "$T")

# Fits at the start, but the disk fills up during the download.
agent_stop
agent_start cam --set download_max_bytes_per_s=1000000
T=$(cc task create "$DEV" "$(image 11.2.0 $((3 * MiB)))")
wait_for 30 task_progress_at_least "$T" 10
head -c $((4 * MiB)) /dev/zero >"$WORK/cam/agent/filler" 2>/dev/null
check disk_filled_fails cc task wait "$T" failed 60
check disk_filled_reason grep -q "No space left on device" <(cc task show "$T")
check disk_filled_partial_deleted test -z "$(ls "$WORK/cam/agent" | grep '^download-')"
check state_intact grep -q '^enrollment: *enrolled' <(agent_status cam)
check still_on_old_version device_has ACCC8E00E001 os_version 11.0.0

# Space freed: the next task succeeds.
rm -f "$WORK/cam/agent/filler"
T=$(cc task create "$DEV" "$(image 11.3.0 $((2 * MiB)))")
check succeeds_after_space_freed cc task wait "$T" succeeded 60
agent_stop
finish
