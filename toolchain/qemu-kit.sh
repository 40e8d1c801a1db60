#!/usr/bin/env bash
# Kernel, virtio modules and busybox for the qemu-system guest, from Debian packages:
# linux-image-<ver>-cloud-arm64 (aarch64) or linux-image-<ver>-armmp (armv7hf), and
# busybox-static, fetched with `apt-get download` and unpacked with `dpkg -x`.
# Output: build/qemu-<ARCH>/kit/{vmlinuz, busybox, modules/*.ko, kernel-version}.
# Idempotent: stamp-guarded; the .debs stay cached.
# usage: qemu-kit.sh aarch64|armv7hf
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/toolchain/arch.sh"
ARCH=${1:?usage: qemu-kit.sh aarch64|armv7hf}
arch_vars "$ARCH"
K="$ROOT/build/qemu-$ARCH/kit"
flavour=$([ "$ARCH" = aarch64 ] && echo cloud-arm64 || echo armmp)
want="$flavour $(sha256sum "$0" | cut -c1-16)"
[ -f "$K/.stamp" ] && [ "$(cat "$K/.stamp")" = "$want" ] && exit 0

bash "$ROOT/toolchain/cross-deps.sh"
# The meta-package names the current kernel package.
kpkg=$(apt-cache depends "linux-image-$flavour:$DEB_ARCH" 2>/dev/null |
	sed -n "s/^ *Depends: \(linux-image-[0-9][^ :]*-$flavour\)\(:$DEB_ARCH\)\?\$/\1/p" | head -n1)
[ -n "$kpkg" ] || { echo "qemu-kit.sh: no linux-image-$flavour for $DEB_ARCH (apt-get update?)" >&2; exit 1; }

D="$ROOT/build/qemu-$ARCH/debs"
mkdir -p "$D"
(
	cd "$D"
	need=""
	ls "${kpkg}"_*_"$DEB_ARCH".deb >/dev/null 2>&1 || need="$need $kpkg:$DEB_ARCH"
	ls busybox-static_*_"$DEB_ARCH".deb >/dev/null 2>&1 || need="$need busybox-static:$DEB_ARCH"
	if [ -n "$need" ]; then
		echo "qemu-kit.sh: apt-get download$need"
		apt-get -o APT::Sandbox::User=root download -q $need >/dev/null
	fi
)

X="$ROOT/build/qemu-$ARCH/x"
rm -rf "$X" "$K"
mkdir -p "$X" "$K/modules"
dpkg -x "$(ls "$D/${kpkg}"_*_"$DEB_ARCH".deb | tail -n1)" "$X"
dpkg -x "$(ls "$D"/busybox-static_*_"$DEB_ARCH".deb | tail -n1)" "$X"
cp "$(ls "$X"/boot/vmlinuz-* | head -n1)" "$K/vmlinuz"
cp "$X/bin/busybox" "$K/busybox"
kver=$(ls "$X/lib/modules" | head -n1)
echo "$kver" >"$K/kernel-version"
# virtio over MMIO (QEMU's -M virt), the block driver and ext4 with what it needs (crc32c
# is asked for through the crypto API, not as a module dependency, so it is listed). Those
# built into this kernel are absent. Each module's own "depends=" comes first; the load
# order goes to modules/order (the .deb has no modules.dep and the guest has no modprobe).
mods="$X/lib/modules/$kver/kernel"
: >"$K/modules/order"
add_module() { # NAME
	local f dep
	grep -qx "$1" "$K/modules/order" && return 0
	f=$(find "$mods" -name "$1.ko" -o -name "$1.ko.xz" | head -n1)
	[ -n "$f" ] || return 0 # built in
	case "$f" in
	*.xz) xz -dc "$f" >"$K/modules/$1.ko" ;;
	*) cp "$f" "$K/modules/$1.ko" ;;
	esac
	for dep in $(tr '\0' '\n' <"$K/modules/$1.ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
		add_module "$dep"
	done
	echo "$1" >>"$K/modules/order"
}
for m in virtio_ring virtio virtio_mmio virtio_blk crc32c_generic libcrc32c crc16 mbcache jbd2 ext4; do
	add_module "$m"
done
rm -rf "$X"
echo "$want" >"$K/.stamp"
echo "qemu-kit.sh: $kpkg ($kver) and busybox in $K; modules: $(xargs <"$K/modules/order")"
