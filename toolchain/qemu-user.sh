#!/usr/bin/env bash
# Runs a cross-built program under qemu-user with the cross C library (/usr/<triplet>) and
# the Debian target sysroot's libraries (build/sysroot-<ARCH>/) for its shared objects.
# LD_LIBRARY_PATH is set for the guest program only (-E), never for the host.
# usage: qemu-user.sh aarch64|armv7hf PROGRAM [ARGS...]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/toolchain/arch.sh"
arch_vars "${1:?usage: qemu-user.sh ARCH PROGRAM [ARGS...]}"
S=${SYSROOT:-$ROOT/build/sysroot-$1}
shift
exec "$QEMU_USER" -L "/usr/$TRIPLET" \
	-E "LD_LIBRARY_PATH=$S/usr/lib/$TRIPLET:$S/lib/$TRIPLET" "$@"
