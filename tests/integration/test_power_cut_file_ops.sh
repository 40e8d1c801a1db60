#!/usr/bin/env bash
# A power cut before any file operation of the agent and the sim platform: an interposer
# (tests/tools/fileop_fault.c) counts every operation that changes a file of the camera
# (its state dir and the simulated camera's slots, boot record and licenses) over one
# enroll + upgrade + license cycle and kills the agent with SIGKILL right before the Nth.
# The power comes back (the agent starts again, without the interposer) and the cycle must
# end as without the cut: enrolled once, the image installed exactly once and committed,
# the license active, the state readable, nothing left behind, no spin.
# One counting run measures how many operations a cycle has; the cuts then fall at a
# sample of them drawn with a fixed seed (FILEOP_SEED, FILEOP_SAMPLES; FILEOP_SAMPLES=all
# tries every one), always with the first. The count varies a little between runs (the
# timing of status writes and download chunks), so the draw stays below the last 5 %.
set -u
. "$(dirname "$0")/../lib.sh"

MODEL=P3265-LVE
FAULT_SO="$ROOT/$BUILD/test-tools/fileop_fault.so"
SEED=${FILEOP_SEED:-1011}
SAMPLES=${FILEOP_SAMPLES:-24}
LOG_LINES_MAX=400
[ -f "$FAULT_SO" ] || { echo "FAIL interposer_built ($FAULT_SO)"; exit 1; }
# A sanitizer build wants its runtime first in the list of preloaded libraries.
PRELOAD=$FAULT_SO
ASAN_RT=$(ldd "$CAMAGENT" 2>/dev/null | awk '/libasan/ {print $3; exit}')
[ -n "$ASAN_RT" ] && PRELOAD="$ASAN_RT:$FAULT_SO"

cloud_start || { echo "FAIL cloud_start"; exit 1; }
FOLDER=$(cc folder create "$(cc org create "Cut Org")" "Cellar")
TOKEN=$(cc token create "$FOLDER" --max-uses 1000)
"$MKIMAGE" "$WORK/img.bin" "$MODEL" 10.1.0 $((256 * 1024)) ok
IMAGE=$(cc image add "$MODEL" 10.1.0 "$WORK/img.bin")

# The agent under the interposer; after a cut the power comes back: the same agent again,
# without it. simcam runs this in the agent's place.
cat >"$WORK/cut-agent.sh" <<SCRIPT
#!/usr/bin/env bash
pid=
trap '[ -n "\$pid" ] && kill -TERM "\$pid" 2>/dev/null' TERM INT
run() {
	"\$@" &
	pid=\$!
	while :; do
		wait "\$pid"
		rc=\$?
		kill -0 "\$pid" 2>/dev/null || return "\$rc"
	done
}
run env LD_PRELOAD="$PRELOAD" "$CAMAGENT" "\$@"
rc=\$?
if [ "\$rc" = 137 ]; then
	echo "power back after the cut"
	run "$CAMAGENT" "\$@"
	rc=\$?
fi
exit "\$rc"
SCRIPT
chmod +x "$WORK/cut-agent.sh"

# cycle NAME SERIAL CUT_AT: one enroll + upgrade + license; prints why when it went wrong.
cycle() {
	local name=$1 serial=$2 dev task lic
	camera_create "$name" "$serial" "$MODEL" 10.0.0 || { echo "camera_create"; return 1; }
	FILEOP_FAULT_DIR="$WORK/$name" FILEOP_FAULT_COUNTER="$WORK/$name.count" FILEOP_FAULT_AT=$3 \
		CAMAGENT="$WORK/cut-agent.sh" agent_start "$name" --token "$TOKEN"
	wait_for 40 device_has "$serial" os_version 10.0.0 || { echo "not enrolled"; return 1; }
	dev=$(cc device find "$serial")
	task=$(cc task create "$dev" "$IMAGE")
	lic=$(cc license issue "$dev" camagent-analytics)
	cc task wait "$task" succeeded 60 >/dev/null || { echo "task: $(cc task show "$task" | tr '\n' ' ')"; return 1; }
	cc license wait "$lic" active 30 >/dev/null || { echo "license not active"; return 1; }
	wait_for 20 device_has "$serial" os_version 10.1.0 || { echo "not on 10.1.0"; return 1; }
	agent_stop
	agent_status "$name" >/dev/null || { echo "state unreadable"; return 1; }
	[ -z "$(ls "$WORK/$name/agent" | grep '^download-')" ] || { echo "download left"; return 1; }
	[ ! -e "$WORK/$name/agent/task.json" ] || { echo "task left"; return 1; }
	[ "$(wc -l <"$WORK/$name.log")" -lt $LOG_LINES_MAX ] || { echo "log over $LOG_LINES_MAX lines: spin?"; return 1; }
}
export FILEOP_FAULT_DIR FILEOP_FAULT_COUNTER FILEOP_FAULT_AT

why=$(cycle count ACCC8E00E000 0)
check counting_cycle_ends_right test -z "$why"
[ -n "$why" ] && echo "  $why"
TOTAL=$(python3 -c 'import struct,sys; print(struct.unpack("q", open(sys.argv[1],"rb").read(8))[0])' "$WORK/count.count")
echo "a cycle has $TOTAL file operations"
check cycle_has_file_operations test "$TOTAL" -gt 20

CUTS=$(python3 -c '
import random, sys
total, samples, seed = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
last = max(2, total - total // 20)
ns = list(range(1, last + 1))
if samples != "all" and int(samples) < last:
    rng = random.Random(seed)
    ns = sorted({1} | set(rng.sample(range(2, last + 1), int(samples) - 1)))
print(" ".join(map(str, ns)))' "$TOTAL" "$SAMPLES" "$SEED")
echo "cutting before operations: $CUTS (seed $SEED)"
i=0
fired=0
for n in $CUTS; do
	i=$((i + 1))
	name=cut$n
	why=$(cycle "$name" "$(printf 'ACCC8E%06d' "$i")" "$n")
	check "cut_before_file_op_${n}_ends_right" test -z "$why"
	[ -n "$why" ] && echo "  $why"
	grep -q "power cut before file operation $n " "$WORK/$name.log" && fired=$((fired + 1))
done
echo "cuts that fired: $fired of $i"
check every_cut_fired test "$fired" = "$i"
cloud_stop
finish
