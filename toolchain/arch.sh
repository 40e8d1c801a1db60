# Sourced by the toolchain scripts: maps an ACAP architecture name (aarch64, armv7hf)
# to Debian's architecture, the GNU triplet and the qemu-user binary.
# usage: . toolchain/arch.sh; arch_vars ARCH  (sets DEB_ARCH TRIPLET QEMU_USER QEMU_SYSTEM)
arch_vars() {
	case "$1" in
	aarch64)
		DEB_ARCH=arm64 TRIPLET=aarch64-linux-gnu QEMU_USER=qemu-aarch64-static
		QEMU_SYSTEM=qemu-system-aarch64 ELF_MACHINE=AArch64
		;;
	armv7hf)
		DEB_ARCH=armhf TRIPLET=arm-linux-gnueabihf QEMU_USER=qemu-arm-static
		QEMU_SYSTEM=qemu-system-arm ELF_MACHINE=ARM
		;;
	*)
		echo "unknown ARCH '$1' (use aarch64 or armv7hf)" >&2
		return 1
		;;
	esac
}
