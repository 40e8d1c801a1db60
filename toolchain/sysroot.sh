#!/usr/bin/env bash
# Makes the target sysroot build/sysroot-<ARCH>/ from Debian 11 (bullseye) .deb files, so that
# what we build runs on the oldest camera we support: glibc 2.31 with its crt files and
# headers, the -dev packages the build links against and their runtime library closure.
# Fetched with `apt-get download <pkg>:<debarch>` through a private apt configuration
# (build/apt-bullseye/: its own sources list, lists and cache; the host's apt sources are never
# touched) and unpacked with `dpkg -x` (never installed). The compiler is Debian 12's cross gcc
# pointed at this tree (toolchain/cross.mk: --sysroot, -nostdinc, -B).
#
# Two kinds of camera libraries are linked through link-only stubs (link_stub below) instead
# of Debian's files: libcurl, whose Debian build versions every symbol (CURL_OPENSSL_4) while
# the camera's libcurl need not, and OpenSSL 3 (libcrypto.so.3, libssl.so.3), whose headers
# come from the host's own release because bullseye has only OpenSSL 1.1. A stub has the
# library's SONAME and the names of its exported functions and no symbol versions, so the
# executable records NEEDED and unversioned references that any build of that library
# satisfies. Stubs are never run or packed: under qemu the real bullseye libcurl answers.
# mbedtls also comes from the host's release (2.28: the code needs its API; bullseye has
# 2.16), as static libraries only: its shared libmbedx509 wants GLIBC_2.33, while its objects
# link against glibc 2.31 (stat and friends resolve through 2.31's libc_nonshared.a).
# Idempotent: a stamp holding the package list and this script's hash; .debs are cached.
# usage: sysroot.sh aarch64|armv7hf [OUT_DIR]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/toolchain/arch.sh"
ARCH=${1:?usage: sysroot.sh aarch64|armv7hf [OUT_DIR]}
arch_vars "$ARCH"
S=${2:-$ROOT/build/sysroot-$ARCH}
FLOOR_SUITE=bullseye # glibc 2.31: the floor the camera builds target
APT_ROOT=$ROOT/build/apt-$FLOOR_SUITE

# What the build links against (keep in step with the Makefile's LIBS and pkg-config names).
DEV_PACKAGES="libc6-dev libgcc-s1 libcurl4-openssl-dev libevent-dev libsqlite3-dev libcmocka-dev zlib1g-dev
libglib2.0-dev libargon2-dev"
ALL_PACKAGES="libjsmn-dev" # Architecture: all (header only)
# From the host's release: OpenSSL 3 headers and the library whose exports the stubs copy;
# mbedtls headers and static libraries.
HOST_PACKAGES="libssl-dev libssl3 libmbedtls-dev"
# Never taken: tools or interpreters a library package pulls in, and bullseye's OpenSSL 1.1
# headers (the OpenSSL 3 ones stand in; libssl1.1 stays, bullseye's libcurl runs on it).
EXCLUDE='^(libssl-dev|libmbed.*|libglib2.0-bin|libglib2.0-dev-bin|libpython.*|libperl.*|libreadline.*|libncurses.*|libtinfo.*|libpkgconf.*|libgdbm.*)$'

want="$(printf '%s\n' $DEV_PACKAGES $ALL_PACKAGES $HOST_PACKAGES | sort) $(sha256sum "$0" | cut -c1-16) $DEB_ARCH $FLOOR_SUITE"
if [ -f "$S/.stamp" ] && [ "$(cat "$S/.stamp")" = "$want" ]; then
	exit 0
fi

bash "$ROOT/toolchain/cross-deps.sh"
echo "sysroot.sh: making $S for $ARCH ($DEB_ARCH) from Debian $FLOOR_SUITE packages"

# The private apt configuration: the host's own Debian mirror, the floor suite's main.
mkdir -p "$APT_ROOT"/{state/lists/partial,cache/archives/partial,sources.list.d,preferences.d}
touch "$APT_ROOT/state/status"
APT_OPTS=(-o Dir::Etc::SourceList="$APT_ROOT/sources.list"
	-o Dir::Etc::SourceParts="$APT_ROOT/sources.list.d"
	-o Dir::Etc::Preferences="$APT_ROOT/preferences"
	-o Dir::Etc::PreferencesParts="$APT_ROOT/preferences.d"
	-o Dir::State="$APT_ROOT/state" -o Dir::State::status="$APT_ROOT/state/status"
	-o Dir::Cache="$APT_ROOT/cache" -o Acquire::Languages=none -o APT::Sandbox::User=root)
host_suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
	awk -v r="$host_suite" '$2 == r { print $1; exit }')
[ -n "$mirror" ] || { echo "sysroot.sh: no Debian mirror for '$host_suite' in the host's apt sources" >&2; exit 1; }
source_line="deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $FLOOR_SUITE main"
(
	flock 9
	if [ "$(cat "$APT_ROOT/sources.list" 2>/dev/null)" != "$source_line" ] ||
		! ls "$APT_ROOT"/state/lists/*"_${FLOOR_SUITE}_main_binary-${DEB_ARCH}_Packages"* >/dev/null 2>&1; then
		printf '%s\n' "$source_line" >"$APT_ROOT/sources.list"
		echo "sysroot.sh: apt-get update ($FLOOR_SUITE, private configuration)"
		apt-get "${APT_OPTS[@]}" update -qq
	fi
) 9>"$APT_ROOT/lock"

# The runtime/dev closure for the target architecture, libraries only.
qualified=$(printf '%s:'"$DEB_ARCH"' ' $DEV_PACKAGES)
list=$(apt-cache "${APT_OPTS[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts \
	--no-breaks --no-replaces --no-enhances $qualified 2>/dev/null |
	sed -n "s/^\(lib[^ <>]*\|zlib1g[^ <>]*\|uuid-dev\|linux-libc-dev\):$DEB_ARCH\$/\1/p" | sort -u |
	grep -Ev "$EXCLUDE")
[ -n "$list" ] || { echo "sysroot.sh: apt-cache found no $FLOOR_SUITE packages" >&2; exit 1; }

mkdir -p "$S/debs/$FLOOR_SUITE" "$S/debs/$host_suite"
fetch() { # DIR APT_ARGS...: apt-get download, in DIR, of the packages named by $need
	local dir=$1
	shift
	[ -n "$need" ] || return 0
	echo "sysroot.sh: apt-get download$need"
	(cd "$dir" && apt-get "$@" -o APT::Sandbox::User=root download -q $need >/dev/null)
}
need=""
for p in $list; do
	ls "$S/debs/$FLOOR_SUITE/${p}"_*_"$DEB_ARCH".deb >/dev/null 2>&1 || need="$need $p:$DEB_ARCH"
done
for p in $ALL_PACKAGES; do
	ls "$S/debs/$FLOOR_SUITE/${p}"_*_all.deb >/dev/null 2>&1 || need="$need $p"
done
fetch "$S/debs/$FLOOR_SUITE" "${APT_OPTS[@]}"
need=""
for p in $HOST_PACKAGES; do
	ls "$S/debs/$host_suite/${p}"_*_"$DEB_ARCH".deb >/dev/null 2>&1 || need="$need $p:$DEB_ARCH"
done
fetch "$S/debs/$host_suite"

# Start from a clean tree so a changed package list leaves nothing stale behind.
find "$S" -mindepth 1 -maxdepth 1 ! -name debs -exec rm -rf {} +
n=0
: >"$S/.pkgfiles" # "<package> <path>" lines: which package a bundled library came from
for deb in $(for p in $list; do ls "$S/debs/$FLOOR_SUITE/${p}"_*_"$DEB_ARCH".deb | tail -n1; done) \
	$(for p in $ALL_PACKAGES; do ls "$S/debs/$FLOOR_SUITE/${p}"_*_all.deb | tail -n1; done); do
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

# link_stub REAL SONAME OUT: a shared object for linking only, named SONAME, defining every
# function REAL exports and no symbol version. Data symbols are left out on purpose: a
# reference to one fails the link instead of binding to something that does not exist.
link_stub() {
	local c
	c=$(mktemp --suffix=.c)
	"$TRIPLET-nm" -D --defined-only "$1" | awk '$2 ~ /^[TWi]$/ { sub(/@.*/, "", $3); print $3 }' |
		sort -u | sed 's/.*/void &(void) {}/' >"$c"
	"$TRIPLET-gcc" -shared -nostdlib -fno-builtin -w -Wl,-soname,"$2" -o "$3" "$c"
	rm -f "$c"
}
L=$S/usr/lib/$TRIPLET
link_stub "$(readlink -f "$L/libcurl.so")" libcurl.so.4 "$L/libcurl.so.stub"
mv -f "$L/libcurl.so.stub" "$L/libcurl.so"

# The host's release: headers; OpenSSL 3 as stubs (its libraries need a newer glibc than the
# floor, so none of them stays in the tree), mbedtls as static libraries. .static lists the
# packages linked in statically: acap/build-eap.sh puts their copyright into the LICENSE.
H=$(mktemp -d)
: >"$S/.static"
for deb in $(for p in $HOST_PACKAGES; do ls "$S/debs/$host_suite/${p}"_*_"$DEB_ARCH".deb | tail -n1; done); do
	dpkg -x "$deb" "$H"
	n=$((n + 1))
done
cp -R "$H/usr/include/." "$S/usr/include/"
for so in libcrypto libssl; do
	link_stub "$H/usr/lib/$TRIPLET/$so.so.3" "$so.so.3" "$L/$so.so"
done
cp "$H/usr/lib/$TRIPLET/pkgconfig/"{libcrypto,libssl,openssl}.pc "$L/pkgconfig/"
cp "$H/usr/lib/$TRIPLET/"libmbed*.a "$L/"
mkdir -p "$S/usr/share/doc/libmbedtls-dev"
cp "$H/usr/share/doc/libmbedtls-dev/copyright" "$S/usr/share/doc/libmbedtls-dev/"
echo "libmbedtls-dev $(ls "$H/usr/lib/$TRIPLET/"libmbed*.a | xargs -n1 basename | xargs)" >>"$S/.static"
echo "zlib1g-dev libz.a" >>"$S/.static" # the camera builds link it statically (Makefile)
rm -rf "$H"

printf '%s\n' "$want" >"$S/.stamp"
echo "sysroot.sh: $n packages unpacked into $S ($(du -sh "$S" --exclude=debs | cut -f1))," \
	"glibc $(ls "$S/lib/$TRIPLET"/libc-*.so 2>/dev/null | sed 's/.*libc-\(.*\)\.so/\1/'), link stubs for libcurl, libcrypto, libssl, static mbedtls"
