#!/usr/bin/env bash
# Download + verify throughput and memory of the agent, side by side with
# `curl -o /dev/null` from the same camcloud (transfer only) and `sha256sum`
# (hash only) on the same image. Prints one table; not part of make check.
# Usage: tests/bench/download_bench.sh [SIZE_MIB...]   (default: 64 256)
set -eu
. "$(dirname "$0")/../lib.sh"
SIZES=${*:-64 256}
MODEL=P3265-LVE

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

secs() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1])))" "$1"; }

printf '%-8s %-22s %-22s %-22s %-14s\n' "MiB" "camagent dl+verify" "curl -o /dev/null" "sha256sum" "agent peak RSS"
minor=0
for mib in $SIZES; do
	minor=$((minor + 1))
	img="$WORK/img-$mib.bin"
	"$MKIMAGE" "$img" "$MODEL" "1.$minor.0" $((mib * 1024 * 1024)) ok
	IMAGE=$(cc image add "$MODEL" "1.$minor.0" "$img")
	# The cloud serves an artifact only while the device has a task for it: curl first,
	# with the agent stopped, then let the agent take the same task.
	agent_stop
	TASK=$(cc task create "$DEV" "$IMAGE")
	token=$(access_token)
	start=$(date +%s.%N)
	curl -sf -o /dev/null -H "Authorization: Bearer $token" "$CLOUD_URL/device/v1/artifacts/$IMAGE"
	curl_s=$(python3 -c "import time,sys; print(time.time()-float(sys.argv[1]))" "$start")
	agent_start cam
	cc task wait "$TASK" succeeded 600 >/dev/null
	line=$(grep "download complete" "$WORK/cam.log" | tail -n1)
	agent_s=$(echo "$line" | sed -n 's/.* in \([0-9.]*\) s .*/\1/p')
	rss=$(echo "$line" | sed -n 's/.*peak RSS \([0-9]*\) kB.*/\1/p')
	start=$(date +%s.%N)
	sha256sum "$img" >/dev/null
	sha_s=$(python3 -c "import time,sys; print(time.time()-float(sys.argv[1]))" "$start")
	mbps() { python3 -c "import sys; print('%.0f MB/s' % (int(sys.argv[1])*1048576/float(sys.argv[2])/1e6))" "$mib" "$1"; }
	printf '%-8s %-22s %-22s %-22s %-14s\n' "$mib" "$(secs "$agent_s") s, $(mbps "$agent_s")" \
		"$(secs "$curl_s") s, $(mbps "$curl_s")" "$(secs "$sha_s") s, $(mbps "$sha_s")" "${rss:-?} kB"
	: >"$WORK/cam.log"
done
agent_stop
cloud_stop
