#!/usr/bin/env bash
# make qemu-system-check ARCH=aarch64 (armv7hf too): boots Debian's ARM kernel under
# qemu-system with a busybox initramfs holding the cross-built camagent and camcloud (with
# their shared libraries) and the sim platform's image maker, plus an ext4 disk for state.
# Everything runs inside the guest (tests/qemu/guest-init.sh): enroll, an upgrade that
# REALLY reboots the machine into the new slot, then a broken image that boots back into
# the old slot. This side reads the serial console, asserts the success and rollback
# lines, prints boot and upgrade timings, and exits non-zero on failure. Hard timeout:
# QEMU_TIMEOUT seconds (default 600). Ends with "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
: "${ARCH:?}" "${BUILD:=build/$ARCH}"
. toolchain/arch.sh
arch_vars "$ARCH"
SYSROOT=${SYSROOT:-$ROOT/build/sysroot-$ARCH}
TIMEOUT=${QEMU_TIMEOUT:-600}
Q="$ROOT/build/qemu-$ARCH"
passed=0
failed=0
t0=$SECONDS

bash toolchain/qemu-kit.sh "$ARCH" || { echo "qemu-kit failed"; echo "0 passed, 1 failed"; exit 1; }
K="$Q/kit"

# ---- initramfs: busybox, /init, our programs and their whole library closure ----
R="$Q/initramfs"
rm -rf "$R"
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,usr/local/share,modules,lib/$TRIPLET,proc,sys,dev,data,tmp,etc}
cp "$K/busybox" "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
cp "$K"/modules/* "$R/modules/"
install -m 755 tests/qemu/guest-init.sh "$R/init"
# The sim's image maker runs in the guest under busybox sh, whose tr (an applet the shell
# prefers over any PATH entry) has no [:print:] class: the same set as an ASCII range.
sed "s/'\[:print:\]'/' -~'/" platform/sim/mkimage.sh >"$R/usr/local/share/mkimage.sh"
grep -q "' -~'" "$R/usr/local/share/mkimage.sh" || echo "qemu-system-check: warning: mkimage.sh changed, check its tr" >&2
for p in camagent camcloud; do
	[ -x "$BUILD/$p" ] || { echo "$BUILD/$p missing (make cross ARCH=$ARCH)"; echo "0 passed, 1 failed"; exit 1; }
	cp "$BUILD/$p" "$R/usr/local/bin/$p"
	"$TRIPLET-strip" "$R/usr/local/bin/$p"
done
# Everything from the target sysroot, the C library included (the one the programs are built for).
closure=$(python3 toolchain/elf-closure.py --libdir "$SYSROOT/usr/lib/$TRIPLET" --libdir "$SYSROOT/lib/$TRIPLET" \
	"$BUILD/camagent" "$BUILD/camcloud") || { echo "0 passed, 1 failed"; exit 1; }
echo "$closure" | while read -r so path; do
	cp -L "$path" "$R/lib/$TRIPLET/$so"
	"$TRIPLET-strip" --strip-unneeded "$R/lib/$TRIPLET/$so" 2>/dev/null
done
interp=$(readelf -l "$BUILD/camagent" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
mkdir -p "$R$(dirname "$interp")"
cp -L "$SYSROOT/lib/$TRIPLET/$(basename "$interp")" "$R$interp"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
printf '127.0.0.1 localhost camera\n' >"$R/etc/hosts"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) >"$Q/initrd.gz"
echo "qemu-system-check: initramfs $(du -k "$Q/initrd.gz" | cut -f1) KiB ($(echo "$closure" | wc -l) libraries), kernel $(cat "$K/kernel-version")"

# ---- the state disk: fresh for every run ----
rm -f "$Q/disk.img"
truncate -s 256M "$Q/disk.img"
mkfs.ext4 -q -F -L camdata "$Q/disk.img"

case "$ARCH" in
aarch64) machine="-M virt -cpu cortex-a53 -smp 2" console=ttyAMA0 ;;
armv7hf) machine="-M virt -cpu cortex-a15 -smp 2" console=ttyAMA0 ;;
esac
LOG="$Q/console.log"
echo "qemu-system-check: booting $QEMU_SYSTEM (timeout ${TIMEOUT} s); full console log: $LOG"
start=${EPOCHREALTIME/./}
# Each console line gets the host's elapsed time; the interesting ones are echoed.
timeout --foreground -k 5 "$TIMEOUT" "$QEMU_SYSTEM" $machine -m 512 -nographic -no-user-config \
	-kernel "$K/vmlinuz" -initrd "$Q/initrd.gz" -append "console=$console quiet panic=-1" \
	-drive if=none,file="$Q/disk.img",format=raw,id=d0 -device virtio-blk-device,drive=d0 \
	-nic none </dev/null 2>&1 |
	while IFS= read -r line; do
		line=${line%$'\r'}
		el=$(( (${EPOCHREALTIME/./} - start) / 10000 ))
		printf '%5d.%02d %s\n' $((el / 100)) $((el % 100)) "$line"
	done >"$LOG"
rc=${PIPESTATUS[0]}
wall=$((SECONDS - t0))
grep -E ' (GUEST|RESULT) |sim: boot from slot|task [0-9a-f]+: |rebooting|Kernel panic' "$LOG" | cut -c1-200

check() { # NAME PATTERN: a console line matches
	if grep -qE "$2" "$LOG"; then
		echo "PASS $1"
		passed=$((passed + 1))
	else
		echo "FAIL $1"
		failed=$((failed + 1))
	fi
}
at() { grep -E "$1" "$LOG" | head -n1 | awk '{print $1}'; } # host seconds of the first match
check qemu_powered_off_in_time "GUEST poweroff: all phases done"
check guest_booted "GUEST boot 1: init"
check agent_enrolled "RESULT enrolled"
check upgrade_succeeded "RESULT upgrade_succeeded"
check real_reboot_into_new_slot "GUEST boot 2: init"
check booted_new_slot "sim: boot from slot [ab]: upgraded"
check running_new_version "RESULT running_new_version 12.0.1"
check real_reboot_after_broken_image "GUEST boot 3: init"
if grep -q "GUEST boot 4:" "$LOG"; then echo "FAIL exactly_three_boots"; failed=$((failed + 1)); else
	echo "PASS exactly_three_boots"; passed=$((passed + 1)); fi
check booted_back_into_old_slot "sim: boot from slot [ab]: rolled_back"
check rollback_reported "RESULT rollback_reported"
check still_on_good_version "RESULT still_on_good_version 12.0.1"
if grep -qE "RESULT FAILED|Kernel panic" "$LOG"; then
	grep -E "RESULT FAILED|Kernel panic" "$LOG"
	echo "FAIL no_failures_in_guest"
	failed=$((failed + 1))
else
	echo "PASS no_failures_in_guest"
	passed=$((passed + 1))
fi
[ "$rc" = 124 ] && echo "qemu-system-check: HARD TIMEOUT after $TIMEOUT s"

# ---- timings (host seconds since QEMU started) ----
b1=$(at "GUEST boot 1: init")
b2=$(at "GUEST boot 2: init")
b3=$(at "GUEST boot 3: init")
task1=$(at "GUEST (folder-wide|device) upgrade")
ok1=$(at "RESULT upgrade_succeeded")
r1=$(at "GUEST agent exit 10")
r2=$(grep -E "GUEST agent exit 10" "$LOG" | sed -n 2p | awk '{print $1}')
task2=$(grep -E "GUEST (folder-wide|device) upgrade" "$LOG" | sed -n 2p | awk '{print $1}')
rb=$(at "RESULT rollback_reported")
end=$(at "GUEST poweroff")
d() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }' || echo "?"; }
echo "timings ($ARCH, TCG): first boot to /init ${b1:-?} s;" \
	"reboot 1 (agent exit -> /init) $(d "$r1" "$b2") s; reboot 2 $(d "$r2" "$b3") s"
echo "timings ($ARCH): upgrade task -> succeeded $(d "$task1" "$ok1") s (download, install, reboot, report);" \
	"broken image task -> rollback reported $(d "$task2" "$rb") s; guest total ${end:-?} s; wall $wall s"

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
