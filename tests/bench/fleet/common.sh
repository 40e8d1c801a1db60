# What both fleet benchmarks (run.sh, multi.sh) do once their camcloud is up. Source it.
# fleet_run URL PID ADMIN_TOKEN_FILE [fleet options]: with cc (the caller's admin command
# line) makes an organization, a folder, an enrollment token for N devices and an
# image in WORK, then runs the generator FLEET against URL, reporting process PID.
# Returns the generator's exit code.
fleet_run() {
	local url=$1 pid=$2 admin=$3 org folder token image
	shift 3
	org=$(cc org create fleet)
	folder=$(cc folder create "$org" all)
	token=$(cc token create "$folder" --max-uses "$N")
	head -c 4096 /dev/urandom >"$WORK/image.bin"
	image=$(cc image add FLEET-1 2.0.0 "$WORK/image.bin")
	"$FLEET" --url "$url" --pid "$pid" --token "$token" --admin-token-file "$admin" \
		--image "$image" --folder "$folder" -n "$N" "$@"
}
