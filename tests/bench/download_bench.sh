#!/usr/bin/env bash
# Download + verify throughput, CPU and memory of the agent, side by side in the same run
# with, from the same camcloud and artifact:
#   curl -o /dev/null                       transfer only (no disk, no hash)
#   sha256sum FILE, openssl dgst -sha256    hash only (the file is in the page cache)
#   curl | tee FILE | openssl dgst -sha256; sync FILE
#                                           what the agent does, as a shell pipeline
#   dd bs=256k conv=fsync                   the disk: writing the same size durably
# The agent's figures are its own log line: transfer time, CPU time of the download, the
# final fsync and its peak RSS (VmHWM). Prints a table per size; not part of make check.
# The load average is printed first and last: on a shared machine, figures under load are
# not comparable. A size given twice is run twice (a new image version each time).
# Usage: tests/bench/download_bench.sh [SIZE_MIB...]   (default: 64 256 512)
set -eu
. "$(dirname "$0")/../lib.sh"
SIZES=${*:-64 256 512}
MODEL=P3265-LVE
TIMED="$ROOT/tests/bench/timed.py"

cloud_start
ORG=$(cc org create bench)
FOLDER=$(cc folder create "$ORG" bench)
camera_create cam ACCC8E0BE001 "$MODEL" 1.0.0
agent_start cam --token "$(cc token create "$FOLDER")"
wait_for 20 device_has ACCC8E0BE001 os_version 1.0.0
DEV=$(cc device find ACCC8E0BE001)

# A bearer token for curl, made the way the agent makes one (signed auth request).
access_token() {
	local body sig
	body="{\"device_id\":\"$DEV\",\"ts\":$(date +%s),\"nonce\":\"$(openssl rand -hex 16)\"}"
	sig=$(printf '%s' "$body" | openssl dgst -sha256 -sign "$WORK/cam/agent/device.key" | base64 -w0)
	curl -sf -X POST -H "X-Camagent-Signature: $sig" -H 'Content-Type: application/json' \
		--data "$body" "$CLOUD_URL/device/v1/auth" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# row TOOL MIB WALL_S CPU_S [NOTE]: one line of the table.
row() {
	python3 - "$@" <<'PY'
import sys
tool, mib, wall, cpu = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
note = sys.argv[5] if len(sys.argv) > 5 else ""
print("%-6d %-34s %7.2f s %7.0f MB/s %7.2f CPU s/GiB  %s"
      % (mib, tool, wall, mib * 1048576 / wall / 1e6, cpu * 1024 / mib, note))
PY
}
# field LINE REGEX: the first group of REGEX (sed -n) in LINE.
field() { echo "$1" | sed -n "s/$2/\1/p"; }

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %-34s %9s %12s %17s  %s\n' MiB tool time rate CPU note
minor=0
for mib in $SIZES; do
	minor=$((minor + 1))
	img="$WORK/img-$mib.bin"
	"$MKIMAGE" "$img" "$MODEL" "1.$minor.0" $((mib * 1024 * 1024)) ok
	IMAGE=$(cc image add "$MODEL" "1.$minor.0" "$img")
	# The cloud serves an artifact only while the device has a task for it: the curl runs
	# first, with the agent stopped, then the agent takes the same task.
	agent_stop
	TASK=$(cc task create "$DEV" "$IMAGE")
	export AUTH="Authorization: Bearer $(access_token)" URL="$CLOUD_URL/device/v1/artifacts/$IMAGE"
	export OUT="$WORK/pipeline.bin"
	read -r curl_s curl_cpu < <("$TIMED" curl -sf -o /dev/null -H "$AUTH" "$URL")
	read -r pipe_s pipe_cpu < <("$TIMED" bash -c \
		'set -o pipefail; curl -sf -H "$AUTH" "$URL" | tee "$OUT" | openssl dgst -sha256 && sync "$OUT"')
	rm -f "$OUT"
	agent_start cam
	cc task wait "$TASK" succeeded 600 >/dev/null
	line=$(grep "download complete" "$WORK/cam.log" | tail -n1)
	agent_s=$(field "$line" '.* in \([0-9.]*\) s .*')
	agent_cpu=$(field "$line" '.*, \([0-9.]*\) s CPU.*')
	fsync_s=$(field "$line" '.*final fsync \([0-9.]*\) s.*')
	hwm=$(field "$line" '.*peak RSS \([0-9]*\) kB.*')
	read -r sha_s sha_cpu < <("$TIMED" sha256sum "$img")
	read -r ossl_s ossl_cpu < <("$TIMED" openssl dgst -sha256 "$img")
	read -r dd_s dd_cpu < <("$TIMED" dd if=/dev/zero of="$OUT" bs=256k count=$((mib * 4)) conv=fsync status=none)
	rm -f "$OUT"
	row "camagent download+SHA-256+fsync" "$mib" "$agent_s" "$agent_cpu" \
		"VmHWM $hwm kB, final fsync $fsync_s s"
	row "curl -o /dev/null" "$mib" "$curl_s" "$curl_cpu"
	row "sha256sum" "$mib" "$sha_s" "$sha_cpu"
	row "openssl dgst -sha256" "$mib" "$ossl_s" "$ossl_cpu"
	row "curl | tee | openssl dgst; sync" "$mib" "$pipe_s" "$pipe_cpu"
	row "dd bs=256k conv=fsync" "$mib" "$dd_s" "$dd_cpu"
	python3 - "$agent_s" "$curl_s" "$sha_s" "$pipe_s" <<'PY'
import sys
agent, curl, sha, pipe = map(float, sys.argv[1:])
slower = max(curl, sha)
print("       goals: agent at %.0f%% of the slower of curl and sha256sum (>= 90%%), "
      "%.2fx the pipeline's speed (>= 1)" % (100 * slower / agent, pipe / agent))
PY
	: >"$WORK/cam.log"
done
agent_stop
cloud_stop
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
