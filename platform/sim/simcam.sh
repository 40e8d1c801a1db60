#!/usr/bin/env bash
# simcam.sh: the simulated camera's power supply. Runs the agent like systemd's respawn:
# exit code 10 means "reboot requested", so the agent is started again (the next start is
# the boot, see platform/sim/sim.c); any other exit code ends simcam with that code.
# SIGTERM/SIGINT are forwarded to the running agent; simcam exits once it has ended.
# (bash cannot trap a signal ignored at its start: SIGINT when simcam itself was started as
# a background job of a script. Use SIGTERM there.)
# usage: simcam.sh CAMERA_DIR -- AGENT_CMD [ARGS...]
set -u

REBOOT_CODE=10
MAX_REBOOTS=20

usage() {
	echo "usage: simcam.sh CAMERA_DIR -- AGENT_CMD [ARGS...]" >&2
	exit 2
}

[ $# -ge 3 ] && [ "$2" = "--" ] || usage
dir=$1
shift 2
[ -f "$dir/camera.json" ] || { echo "simcam: no simulated camera in $dir" >&2; exit 2; }
serial=$(sed -n 's/.*"serial": *"\([^"]*\)".*/\1/p' "$dir/camera.json" | head -n1)
[ -n "$serial" ] || serial=$dir

child=""
stop_signal=""

on_signal() {
	stop_signal=$1
	[ -n "$child" ] && kill -s "$1" "$child" 2>/dev/null
}
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT

# Waits for the agent to end. A caught signal interrupts `wait` (status > 128) while the
# agent may still be running: wait again. 127 then means the first status was the agent's.
wait_child() {
	local rc next
	wait "$child"
	rc=$?
	while [ -n "$stop_signal" ] && [ "$rc" -gt 128 ]; do
		wait "$child"
		next=$?
		[ "$next" -eq 127 ] && break
		rc=$next
	done
	return "$rc"
}

reboots=0
while :; do
	# Background jobs of a script ignore SIGINT; restore it for the agent.
	( trap - INT; exec "$@" ) &
	child=$!
	wait_child
	rc=$?
	child=""
	if [ -n "$stop_signal" ]; then
		exit "$rc"
	fi
	if [ "$rc" -ne "$REBOOT_CODE" ]; then
		exit "$rc"
	fi
	if [ "$reboots" -ge "$MAX_REBOOTS" ]; then
		echo "simcam: $serial rebooted $MAX_REBOOTS times, giving up" >&2
		exit "$rc"
	fi
	reboots=$((reboots + 1))
	echo "simcam: $serial rebooting" >&2
done
