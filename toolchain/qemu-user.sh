#!/usr/bin/env bash
# Runs a cross-built program under qemu-user inside the target sysroot (build/sysroot-<ARCH>/:
# Debian 11's glibc 2.31 and libraries), so it runs on the C library it was built for.
# LD_LIBRARY_PATH is set for the guest program only (-E), never for the host.
# usage: qemu-user.sh aarch64|armv7hf PROGRAM [ARGS...]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/toolchain/arch.sh"
arch_vars "${1:?usage: qemu-user.sh ARCH PROGRAM [ARGS...]}"
S=${SYSROOT:-$ROOT/build/sysroot-$1}
shift
# CAMAGENT_QEMU_USER tells a test that it runs emulated (an exec of another target
# program, or a figure of the process's own memory, means nothing there).
exec "$QEMU_USER" -L "$S" \
	-E "LD_LIBRARY_PATH=$S/usr/lib/$TRIPLET:$S/lib/$TRIPLET" -E CAMAGENT_QEMU_USER=1 "$@"
