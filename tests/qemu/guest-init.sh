#!/bin/sh
# /init of the qemu-system guest (busybox sh): a simulated camera that really reboots.
# State lives on the virtual disk /dev/vda (ext4, mounted at /data): camcloud's database,
# the agent's state dir and the simulated camera with its A/B slots. Each boot runs camcloud
# and the agent; the agent asks for a reboot by exiting with 10, and this init then does a
# real `reboot -f` (QEMU restarts the machine with the same kernel and initramfs; the slot
# state on the disk decides what "boots"). A driver walks through the phases, resuming
# after every reboot from /data/phase:
#   enroll -> upgrade (good image, reboot into the new slot, success reported)
#          -> rollback (broken image, reboot, back to the old slot, rollback reported) -> done
# Lines starting with "GUEST " and "RESULT " are read by tests/qemu/qemu_system_check.sh.
export PATH=/usr/local/bin:/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox mkdir -p /proc /sys /dev /data /tmp /bin /sbin /usr/bin /usr/sbin
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
/bin/busybox --install -s
mount -t tmpfs tmpfs /tmp

uptime_s() { cut -d' ' -f1 /proc/uptime; }
say() { echo "GUEST $*"; }
result() { # a failure seen while the agent reboots the machine is no failure
	case "$*" in FAILED*) [ -f /tmp/rebooting ] && sleep 600 ;; esac
	echo "RESULT $*"
}
halt_guest() { # poweroff ends QEMU; a reboot under way wins
	while [ -f /tmp/rebooting ]; do sleep 1; done
	say "poweroff: $*"
	stop_all
	poweroff -f
	sleep 60
}
stop_all() {
	[ -n "${AGENT_LOOP:-}" ] && kill "$AGENT_LOOP" 2>/dev/null
	killall -TERM camagent 2>/dev/null
	killall -TERM camcloud 2>/dev/null
	i=0
	while { pidof camagent || pidof camcloud; } >/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sync
	umount /data 2>/dev/null || mount -o remount,ro /data
}

for m in $(cat /modules/order 2>/dev/null); do
	insmod "/modules/$m.ko" || say "insmod $m failed"
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
mount -t ext4 /dev/vda /data || halt_guest "no state disk"
ifconfig lo 127.0.0.1 up
hostname camera

boot=$(($(cat /data/boots 2>/dev/null || echo 0) + 1))
echo $boot >/data/boots
sync
phase=$(cat /data/phase 2>/dev/null || echo enroll)
say "boot $boot: init at uptime $(uptime_s) s, phase $phase, kernel $(uname -r), $(uname -m)"
[ $boot -le 6 ] || halt_guest "too many boots"

# ---- camcloud (fixed port: the enrolled agent keeps its URL across reboots) ----
CLOUD=/data/cloud
URL=http://127.0.0.1:8080
camcloud serve --data $CLOUD --listen 127.0.0.1:8080 --log-level warn >>/data/cloud.log 2>&1 &
cc() { camcloud --url $URL --data $CLOUD "$@"; }
i=0
until cc org list >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 300 ] || halt_guest "camcloud did not start: $(tail -n 5 /data/cloud.log)"
	sleep 0.1
done
say "camcloud up at uptime $(uptime_s) s"

mkimage() { sh /usr/local/share/mkimage.sh "$@"; }
SERIAL=ACCC8E0Q0001
MODEL=P3265-LVE
if [ ! -f /data/setup.done ]; then
	ORG=$(cc org create "Acme Security") &&
		FOLDER=$(cc folder create "$ORG" "Stockholm HQ") &&
		cc token create "$FOLDER" >/data/token &&
		echo "$FOLDER" >/data/folder &&
		camagent sim-create /data/cam $SERIAL $MODEL 11.11.73 >/dev/null &&
		mkimage /data/good.bin $MODEL 12.0.1 $((4 * 1024 * 1024)) ok &&
		mkimage /data/bad.bin $MODEL 12.1.0 $((1024 * 1024)) fail ||
		halt_guest "setup failed"
	touch /data/setup.done
	sync
	say "setup: org $ORG, folder $FOLDER, enrollment token, camera $SERIAL on AXIS OS 11.11.73, images 12.0.1 (ok) and 12.1.0 (fails to boot)"
fi
say "boot.json: slot $(sed -n 's/.*"active": *"\([ab]\)".*/\1/p' /data/cam/boot.json 2>/dev/null || echo ?) active before the sim bootloader step (boot $boot)"

# ---- the agent under this init's power loop: exit 10 = a REAL reboot ----
agent_loop() {
	while :; do
		camagent --state-dir /data/cam/agent --sim-dir /data/cam --allow-insecure-http \
			--token "$(cat /data/token)" --set long_poll_s=20
		rc=$?
		case $rc in
		10)
			touch /tmp/rebooting # the driver must not take the cloud going down for a failure
			say "agent exit 10 at uptime $(uptime_s) s: reboot -f"
			stop_all
			reboot -f
			sleep 60
			;;
		0 | 143) exit 0 ;;
		*)
			say "agent exited $rc; respawn in 1 s"
			sleep 1
			;;
		esac
	done
}
agent_loop &
AGENT_LOOP=$!

status_has() { camagent status --state-dir /data/cam/agent 2>/dev/null | grep -q "$1"; }
wait_until() { # SECONDS CMD...
	n=$(($1 * 10))
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}
set_phase() { echo "$1" >/data/phase && sync; }
# An upgrade for the folder: a folder-wide job when camcloud has them, else a device task.
# The agent may take it, install and reboot the machine before this returns, so every phase
# writes its next phase first and finds its task id from the cloud afterwards (find_task).
upgrade_folder() { # IMAGE_ID
	folder=$(cat /data/folder)
	if job=$(cc job create "$1" --folder "$folder" 2>/dev/null) && [ -n "$job" ]; then
		say "folder-wide upgrade job $job for folder $folder at uptime $(uptime_s) s (boot $boot)"
	elif cc task create "$(cat /data/device)" "$1" >/dev/null; then
		say "device upgrade task (no folder-wide jobs in this camcloud) at uptime $(uptime_s) s (boot $boot)"
	else
		halt_guest "cannot create an upgrade for image $1"
	fi
}
task_of_image() { # IMAGE_ID: the id of this device's task for that image
	cc task list | tr '{' '\n' | grep "\"image_id\": *\"$1\"" | grep "$(cat /data/device)" |
		sed -n 's/.*"id": *"\([0-9a-f]*\)".*/\1/p' | tail -n1 | grep .
}
find_task() { # IMAGE_ID
	wait_until 60 task_of_image "$1" || halt_guest "no task for image $1"
	task_of_image "$1"
}
add_image() { # FILE VERSION: the image id, added once (kept on the disk)
	[ -s "$1.id" ] || cc image add $MODEL "$2" "$1" >"$1.id" || halt_guest "image add $1 failed"
	sync
	cat "$1.id"
}
slot() { sed -n 's/.*"active": *"\([ab]\)".*/\1/p' /data/cam/boot.json; }

while :; do
	phase=$(cat /data/phase 2>/dev/null || echo enroll)
	case $phase in
	enroll)
		if wait_until 120 cc device find $SERIAL; then
			result "enrolled $SERIAL at uptime $(uptime_s) s"
		else
			result "FAILED enroll"
			halt_guest "enroll failed"
		fi
		cc device find $SERIAL >/data/device
		IMAGE=$(add_image /data/good.bin 12.0.1)
		set_phase upgrade
		upgrade_folder "$IMAGE"
		;;
	upgrade)
		TASK=$(find_task "$(add_image /data/good.bin 12.0.1)")
		if cc task wait "$TASK" succeeded 300; then
			result "upgrade_succeeded task $TASK at boot $boot uptime $(uptime_s) s"
		else
			result "FAILED upgrade task $TASK: $(cc task show "$TASK")"
			halt_guest "upgrade failed"
		fi
		wait_until 30 status_has 'AXIS OS: *12.0.1' && result "running_new_version 12.0.1 slot $(slot)"
		BAD=$(add_image /data/bad.bin 12.1.0)
		set_phase rollback
		upgrade_folder "$BAD"
		;;
	rollback)
		TASK=$(find_task "$(add_image /data/bad.bin 12.1.0)")
		if cc task wait "$TASK" failed 300; then
			if cc task show "$TASK" | grep -q 'rolled back'; then
				result "rollback_reported task $TASK at boot $boot uptime $(uptime_s) s"
			else
				result "FAILED rollback not reported: $(cc task show "$TASK")"
			fi
		else
			result "FAILED broken image task $TASK did not fail"
		fi
		wait_until 30 status_has 'AXIS OS: *12.0.1' && result "still_on_good_version 12.0.1 slot $(slot)"
		set_phase done
		;;
	done)
		halt_guest "all phases done after $boot boots"
		;;
	*) halt_guest "unknown phase $phase" ;;
	esac
done
