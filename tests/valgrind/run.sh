#!/usr/bin/env bash
# valgrind memcheck over one full path, agent and cloud both under valgrind: camcloud serves
# while a simulated camera enrolls, reports, takes an upgrade across its reboot (every agent
# incarnation runs under valgrind), activates a license and installs, starts and configures
# an application; then both stop by SIGTERM so the leak checks run. Any memcheck error or definite leak in any process is a failure.
# Prints PASS/FAIL lines and "N passed, N failed". Usage: BUILD=build/host tests/valgrind/run.sh
set -u
. "$(dirname "$0")/../lib.sh"

command -v valgrind >/dev/null || { echo "FAIL valgrind_installed (toolchain/deps.sh installs it)"; echo "0 passed, 1 failed"; exit 1; }
START=$SECONDS
SERIAL=ACCC8E0000C1
MODEL=P3265-LVE
VG_LOGS="$WORK/valgrind"
mkdir -p "$VG_LOGS"
REAL_CLOUD=$CAMCLOUD
REAL_AGENT=$CAMAGENT

# Runs "$@" under memcheck when it is a long-running process (camcloud serve, the agent's
# daemon), natively otherwise (admin commands, sim-create, status). One log per process.
write_wrapper() { # PATH REAL_BINARY NAME FIRST_ARGUMENT_PATTERN
	cat >"$1" <<WRAP
#!/usr/bin/env bash
case "\${1:-}" in
$4) exec valgrind --error-exitcode=99 --leak-check=full \\
	--errors-for-leak-kinds=definite --show-leak-kinds=definite --track-origins=yes \\
	--suppressions="$ROOT/tests/valgrind/suppressions.supp" \\
	--log-file="$VG_LOGS/$3.%p.log" "$2" "\$@" ;;
*) exec "$2" "\$@" ;;
esac
WRAP
	chmod +x "$1"
}
write_wrapper "$WORK/camcloud-vg" "$REAL_CLOUD" camcloud 'serve'
write_wrapper "$WORK/camagent-vg" "$REAL_AGENT" camagent '--*'
CAMCLOUD="$WORK/camcloud-vg"
CAMAGENT="$WORK/camagent-vg"

passed=0
failed=0
step() { # NAME CMD...: like check, counted
	local name=$1
	shift
	if "$@"; then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		failed=$((failed + 1))
		FAILED=1
	fi
}

cloud_start_slow() {
	CLOUD_DATA="$WORK/cloud"
	"$CAMCLOUD" serve --data "$CLOUD_DATA" --listen 127.0.0.1:0 --url-file "$WORK/cloud.url" \
		>>"$WORK/cloud.log" 2>&1 &
	CLOUD_PID=$!
	PIDS+=("$CLOUD_PID")
	wait_for 60 test -s "$WORK/cloud.url" && CLOUD_URL=$(cat "$WORK/cloud.url")
}

step cloud_starts cloud_start_slow || { echo "$passed passed, $failed failed"; finish; }
ORG=$(cc org create "Valgrind Org")
FOLDER=$(cc folder create "$ORG" "Site V")
TOKEN=$(cc token create "$FOLDER")
camera_create cam "$SERIAL" "$MODEL" 11.11.73 >/dev/null
agent_start cam --token "$TOKEN" --set long_poll_s=20
step enroll_and_report wait_for 120 device_has "$SERIAL" os_version 11.11.73
DEVICE=$(cc device find "$SERIAL")

"$MKIMAGE" "$WORK/good.bin" "$MODEL" 12.0.1 $((1024 * 1024)) ok
IMAGE=$(cc image add "$MODEL" 12.0.1 "$WORK/good.bin")
TASK=$(cc task create "$DEVICE" "$IMAGE")
step upgrade_across_reboot cc task wait "$TASK" succeeded 240
step cloud_sees_new_version wait_for 120 device_has "$SERIAL" os_version 12.0.1

LICENSE=$(cc license issue "$DEVICE" camagent-analytics)
step license_active cc license wait "$LICENSE" active 120

# An application: the package uploaded to the catalog, installed, started with a parameter
# its manifest declares, seen running in the camera's inventory.
bash "$ROOT/tests/tools/mkeap.sh" "$WORK/app.eap" analytics 1.0.0 aarch64 --signed --schema 1 \
	--param Sensitivity=5
PACKAGE=$(cc app upload "$WORK/app.eap")
app_task_is() { # JOB STATE: the job's one task is in that state
	[ "$(cc job show "$1" | jget '[t["state"] for t in j["tasks"]]')" = "['$2']" ]
}
app_step() { # NAME ACTION OPTIONS..: an app task on the camera, waited for
	local name=$1 job
	shift
	job=$(cc app task "$1" "$PACKAGE" --devices "$DEVICE" "${@:2}") &&
		step "$name" wait_for 120 app_task_is "$job" succeeded
}
app_step app_installed install
app_step app_started start
app_step app_param_set set_params --param Sensitivity=9
app_running() { [ "$(device_app "$DEVICE" analytics running)" = true ]; }
step app_running_in_inventory wait_for 60 app_running

agent_stop
rc=$?
step agent_exits_cleanly test "$rc" = 0
cloud_stop
rc=$?
step cloud_exits_cleanly test "$rc" = 0

# Every process that ran under memcheck ended with an error summary of 0 (definite leaks
# count as errors here).
clean_log() {
	grep -q "ERROR SUMMARY: 0 errors from 0 contexts" "$1"
}
agents=0
for log in "$VG_LOGS"/*.log; do
	[ -e "$log" ] || continue
	case $log in */camagent.*) agents=$((agents + 1)) ;; esac
	if ! clean_log "$log"; then
		cat "$log"
	fi
	step "memcheck_$(basename "$log" .log)" clean_log "$log"
done
step agent_ran_at_least_twice test "$agents" -ge 2
echo "valgrind path took $((SECONDS - START)) s"
echo "$passed passed, $failed failed"
finish
