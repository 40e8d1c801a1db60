#!/usr/bin/env bash
# Makes the target sysroot build/sysroot-<ARCH>/ from Debian .deb files (no Axis SDK needed):
# the -dev packages the build links against plus their runtime library closure, fetched with
# `apt-get download <pkg>:<debarch>` and unpacked with `dpkg -x` (never installed, so
# libevent-dev & co. need not be co-installable for several architectures).
# The C library itself comes from the cross compiler (/usr/<triplet>), not from here.
# Idempotent: a stamp holding the package list and this script's hash; .debs are cached.
# usage: sysroot.sh aarch64|armv7hf [OUT_DIR]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/toolchain/arch.sh"
ARCH=${1:?usage: sysroot.sh aarch64|armv7hf [OUT_DIR]}
arch_vars "$ARCH"
S=${2:-$ROOT/build/sysroot-$ARCH}

# What the build links against (keep in step with the Makefile's LIBS and pkg-config names).
DEV_PACKAGES="libcurl4-openssl-dev libmbedtls-dev libevent-dev libsqlite3-dev libcmocka-dev libssl-dev
libglib2.0-dev"
ALL_PACKAGES="libjsmn-dev" # Architecture: all (header only)
# Never taken from Debian's target packages: the cross compiler brings libc, libgcc and
# the kernel headers; the rest are tools or interpreters a library package pulls in.
EXCLUDE='^(libc6|libc6-dev|libc-dev-bin|libgcc-s1|libstdc\+\+6|libcrypt-dev|libnsl-dev|libtirpc-dev|linux-libc-dev|libglib2.0-bin|libglib2.0-dev-bin|libpython.*|libperl.*|libreadline.*|libncurses.*|libtinfo.*|libpkgconf.*|libgdbm.*)$'

want="$(printf '%s\n' $DEV_PACKAGES $ALL_PACKAGES | sort) $(sha256sum "$0" | cut -c1-16) $DEB_ARCH"
if [ -f "$S/.stamp" ] && [ "$(cat "$S/.stamp")" = "$want" ]; then
	exit 0
fi

bash "$ROOT/toolchain/cross-deps.sh"
echo "sysroot.sh: making $S for $ARCH ($DEB_ARCH) from Debian packages"

# The runtime/dev closure for the target architecture, libraries only.
qualified=$(printf '%s:'"$DEB_ARCH"' ' $DEV_PACKAGES)
list=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
	--no-replaces --no-enhances $qualified 2>/dev/null |
	sed -n "s/^\(lib[^ <>]*\|zlib1g[^ <>]*\|uuid-dev\):$DEB_ARCH\$/\1/p" | sort -u |
	grep -Ev "$EXCLUDE")
[ -n "$list" ] || { echo "sysroot.sh: apt-cache found no packages (apt-get update?)" >&2; exit 1; }

mkdir -p "$S/debs"
(
	cd "$S/debs"
	need=""
	for p in $list; do
		ls "${p}"_*_"$DEB_ARCH".deb >/dev/null 2>&1 || need="$need $p:$DEB_ARCH"
	done
	for p in $ALL_PACKAGES; do
		ls "${p}"_*_all.deb >/dev/null 2>&1 || need="$need $p"
	done
	if [ -n "$need" ]; then
		echo "sysroot.sh: apt-get download$need"
		apt-get -o APT::Sandbox::User=root download -q $need >/dev/null
	fi
)

# Start from a clean tree so a changed package list leaves nothing stale behind.
find "$S" -mindepth 1 -maxdepth 1 ! -name debs -exec rm -rf {} +
n=0
: >"$S/.pkgfiles" # "<package> <path>" lines: which package a bundled library came from
for deb in $(for p in $list; do ls "$S/debs/${p}"_*_"$DEB_ARCH".deb | tail -n1; done) \
	$(for p in $ALL_PACKAGES; do ls "$S/debs/${p}"_*_all.deb | tail -n1; done); do
	dpkg -x "$deb" "$S"
	pkg=$(dpkg-deb -f "$deb" Package)
	dpkg-deb -c "$deb" | awk -v p="$pkg" '{ sub(/^\./, "", $6); print p, $6 }' >>"$S/.pkgfiles"
	n=$((n + 1))
done

# Only headers, libraries and .pc files matter; drop the rest (the Makefile includes every
# build/**/*.d, so no directory here may end in .d).
# Each package's copyright file stays: acap/build-eap.sh puts those of bundled libraries
# into the .eap's LICENSE.
find "$S/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete 2>/dev/null || true
rm -rf "$S/etc" "$S/usr/share/man" "$S/usr/share/lintian" "$S/usr/share/info" \
	"$S/usr/bin" "$S/usr/sbin" "$S/bin" "$S/sbin" "$S/usr/libexec"
find "$S" -depth -name '*.d' -type d -exec rm -rf {} +

# Absolute symlinks (e.g. usr/lib/<triplet>/libfoo.so -> /lib/<triplet>/libfoo.so.1) would
# point into the host: make them relative to the sysroot.
find "$S" -type l | while read -r l; do
	t=$(readlink "$l")
	case "$t" in
	/*) ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$S$t")" "$l" ;;
	esac
done
printf '%s\n' "$want" >"$S/.stamp"
echo "sysroot.sh: $n packages unpacked into $S ($(du -sh "$S" --exclude=debs | cut -f1))"
