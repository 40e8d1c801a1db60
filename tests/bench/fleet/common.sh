# What both fleet benchmarks (run.sh, multi.sh) do once their camcloud is up. Source it.
# fleet_run URL PIDS ADMIN_TOKEN_FILE [fleet options]: with cc (the caller's admin command
# line) makes an organization, a folder, an enrollment token for N devices and an
# image in WORK, then runs the generator FLEET against URL, reporting the processes
# PIDS (comma-separated). FLEET_PROCS=S splits the N devices over S generator
# processes (one process holds at most its file limit of connections): shard 0 makes
# the job once every shard holds its polls and prints the figures of all.
# Returns the generators' exit code.
fleet_run() {
	local url=$1 pid=$2 admin=$3 org folder token image procs=${FLEET_PROCS:-1} k rc=0
	shift 3
	org=$(cc org create fleet)
	folder=$(cc folder create "$org" all)
	token=$(cc token create "$folder" --max-uses "$N")
	head -c 4096 /dev/urandom >"$WORK/image.bin"
	image=$(cc image add FLEET-1 2.0.0 "$WORK/image.bin")
	local common=(--url "$url" --pid "$pid" --token "$token" --admin-token-file "$admin"
		--image "$image" --folder "$folder")
	if [ "$procs" -le 1 ]; then
		"$FLEET" "${common[@]}" -n "$N" "$@"
		return
	fi
	mkdir -p "$WORK/sync"
	local shards=()
	for k in $(seq 1 $((procs - 1))); do
		"$FLEET" "${common[@]}" -n $((N / procs)) --shard "$k/$procs" --sync "$WORK/sync" "$@" \
			>"$WORK/shard$k.log" 2>&1 &
		shards+=($!)
	done
	"$FLEET" "${common[@]}" -n $((N / procs)) --shard "0/$procs" --sync "$WORK/sync" "$@" || rc=$?
	for k in "${shards[@]}"; do wait "$k" || rc=1; done
	grep -h "fleet:" "$WORK"/shard*.log >&2 || true
	return $rc
}
