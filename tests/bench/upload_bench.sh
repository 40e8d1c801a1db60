#!/usr/bin/env bash
# Streamed upload (docs/admin-api.md, Uploads) of an image of each size with the CLI
# (`camcloud image add`, 1 MiB chunks over loopback): wall time, throughput, and camcloud's
# peak RSS (VmHWM) before and after, which must not grow with the size; and, to compare,
# the path form (`--server-path`: the server hashes a file it reads). Not part of make
# check; tests/integration/test_cloud_uploads.sh asserts the memory bound at 64 MiB.
# Usage: tests/bench/upload_bench.sh [SIZE_MIB...]   (default: 64 256)
set -eu
. "$(dirname "$0")/../lib.sh"
SIZES=${*:-64 256}
MODEL=P3265-LVE
cloud_start
hwm() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$CLOUD_PID/status"; }
now() { date +%s.%N; }
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-10s %9s %9s %12s %12s\n' size form seconds MiB/s "VmHWM before" "VmHWM after"
for mib in $SIZES; do
	head -c $((mib * 1024 * 1024)) /dev/urandom >"$WORK/img.bin"
	for form in streamed server-path; do
		h0=$(hwm)
		t0=$(now)
		cc image add "$MODEL" "$mib.$form" "$WORK/img.bin" \
			$([ "$form" = server-path ] && echo --server-path) >/dev/null
		t1=$(now)
		h1=$(hwm)
		awk -v m="$mib" -v f="$form" -v a="$t0" -v b="$t1" -v h0="$h0" -v h1="$h1" \
			'BEGIN { printf "%-8s %-10s %9.2f %9.1f %9d kB %9d kB\n", m " MiB", f, b - a, m / (b - a), h0, h1 }'
	done
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
