#!/usr/bin/env bash
# Host packages for cross builds, .eap packaging and the QEMU checks, all from Debian:
# the cross compilers, qemu-user-static, qemu-system-arm (also gives qemu-system-aarch64),
# cpio and e2fsprogs for the guest, and the foreign architectures arm64 + armhf so that
# toolchain/sysroot.sh can `apt-get download` target packages.
# Idempotent: apt runs only when a package or an architecture is missing, and
# `apt-get update` runs at most once per call.
set -eu

PACKAGES="gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf binutils-aarch64-linux-gnu
libc6-dev-arm64-cross libc6-dev-armhf-cross binutils-arm-linux-gnueabihf qemu-user-static qemu-system-arm cpio e2fsprogs file
dpkg-dev python3"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
foreign=$(dpkg --print-foreign-architectures)
newarch=""
for a in arm64 armhf; do
	printf '%s\n' "$foreign" | grep -qx "$a" || newarch="$newarch $a"
done
[ -z "$missing$newarch" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "cross-deps.sh: missing packages:$missing architectures:$newarch (run as root)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
for a in $newarch; do
	echo "cross-deps.sh: dpkg --add-architecture $a"
	dpkg --add-architecture "$a"
done
# A mirror caught mid-sync fails one index ("File has unexpected size"); apt keeps the
# others, so go on with a warning rather than stop the build.
apt-get update -qq || echo "cross-deps.sh: warning: apt-get update reported errors; going on" >&2
if [ -n "$missing" ]; then
	echo "cross-deps.sh: installing$missing"
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
