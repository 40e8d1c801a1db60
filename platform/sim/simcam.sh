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
signals=0
forwarded=""

on_signal() {
	stop_signal=$1
	signals=$((signals + 1))
	if [ -n "$child" ]; then
		kill -s "$1" "$child" 2>/dev/null
		forwarded=$child
	fi
}
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT

# Waits for the agent to end. A caught signal interrupts `wait` while the agent may still
# run, so wait again until a wait completes with no signal during it. (bash 5 returns a
# reaped child's status again; a shell that answers 127 instead keeps the earlier status.)
wait_child() {
	local rc prev=-1 seen
	while :; do
		seen=$signals
		wait "$child"
		rc=$?
		if [ "$rc" -eq 127 ] && [ "$prev" -ge 0 ]; then
			rc=$prev
		fi
		[ "$signals" -eq "$seen" ] && return "$rc"
		prev=$rc
	done
}

reboots=0
while :; do
	# Background jobs of a script ignore SIGINT; restore it for the agent.
	[ -n "$stop_signal" ] && exit 143
	( trap - INT; exec "$@" ) &
	child=$!
	# a signal that came while the agent was being started was not forwarded yet
	if [ -n "$stop_signal" ] && [ "$forwarded" != "$child" ]; then
		kill -s "$stop_signal" "$child" 2>/dev/null
		forwarded=$child
	fi
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
