#!/usr/bin/env bash
# make acap ARCH=aarch64|armv7hf: packs build/<arch>/camagent into two ACAP packages (.eap, a
# gzip tar) from the one source manifest (top-level manifest.json, schema 2.x form), each
# named for the AXIS OS range it serves (acap/manifest.py os-range):
#   build/<arch>/axis-os-12.10-13/camagent_<x>_<y>_<z>_<arch>.eap    schema 2.0.0, compatibleOsVersions
#   build/<arch>/axis-os-11.11-12.9/camagent_<x>_<y>_<z>_<arch>.eap  schema 1.5.0 (the lowest 1.x
#                                                                 that carries every field used)
#   build/<arch>/camagent_<x>_<y>_<z>_<arch>.eap                     the schema-2 one (the default)
# Contents: the executable, manifest.json, package.conf, param.conf, LICENSE (ours + the
# notices of every bundled or statically linked library), html/ (acap/html), lib/ (the
# NEEDED closure minus what AXIS OS provides, acap/axis-os-libs.txt). With the Axis SDK's
# acap-build on PATH it packs instead (it validates against the SDK's own schemas).
# VENDOR_ID sets the schema-2 vendorId; RELEASE=1 refuses to pack without a real one.
# EAP_OUT (default $BUILD) is where the packages go.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
: "${ARCH:?}" "${BUILD:=build/$ARCH}"
. toolchain/arch.sh
arch_vars "$ARCH"
SYSROOT=${SYSROOT:-$ROOT/build/sysroot-$ARCH}
OUT=${EAP_OUT:-$BUILD}
MF="python3 acap/manifest.py"
emit_opts="--vendor-id=${VENDOR_ID:-}"
[ "${RELEASE:-0}" = 1 ] && emit_opts="$emit_opts --release"

app=$($MF get manifest.json acapPackageConf.setup.appName)
version=$($MF get manifest.json acapPackageConf.setup.version)
exe="$BUILD/$app"
[ -x "$exe" ] || { echo "build-eap.sh: $exe is missing (make cross ARCH=$ARCH)" >&2; exit 1; }
case "$(readelf -h "$exe" | sed -n 's/^ *Machine: *//p')" in
AArch64) [ "$ARCH" = aarch64 ] ;;
ARM) [ "$ARCH" = armv7hf ] ;;
*) false ;;
esac || { echo "build-eap.sh: $exe is not an $ARCH executable" >&2; exit 1; }
name="${app}_$(echo "${version%%[-+]*}" | tr . _)_${ARCH}.eap"

libdirs="--libdir $SYSROOT/usr/lib/$TRIPLET --libdir $SYSROOT/lib/$TRIPLET"
[ -n "${SDKTARGETSYSROOT:-}" ] && libdirs="--libdir $SDKTARGETSYSROOT/usr/lib $libdirs"
closure=$(python3 toolchain/elf-closure.py --provided acap/axis-os-libs.txt $libdirs "$exe")

license() { # the package's LICENSE: ours, then each bundled or statically linked library's
	local so path pkg c
	cat acap/LICENSE
	{
		echo "$closure" | while read -r so path; do
			[ -n "$so" ] || continue
			pkg=$(grep -m1 " /\(usr/\)\?lib/$TRIPLET/$so\$" "$SYSROOT/.pkgfiles" 2>/dev/null | cut -d' ' -f1)
			echo "$so ${pkg:-unknown}"
		done
		cat "$SYSROOT/.static" 2>/dev/null | awk '{ p = $1; $1 = ""; print "linked in statically:" $0, p }'
	} | while read -r line; do
		pkg=${line##* }
		echo
		echo "======== ${line% *} (Debian package $pkg) ========"
		c="$SYSROOT/usr/share/doc/$pkg/copyright"
		if [ -f "$c" ]; then cat "$c"; else echo "See /usr/share/doc/$pkg/copyright in Debian."; fi
	done
}

schema2_out=""
report=""
for schema in 2 1; do
	range=$($MF os-range manifest.json --schema $schema)
	stage="$BUILD/eap-stage-$range"
	out="$OUT/axis-os-$range"
	rm -rf "$stage"
	mkdir -p "$stage/lib" "$out"
	$MF emit manifest.json --schema $schema --arch "$ARCH" --out "$stage" $emit_opts
	cp "$exe" "$stage/$app"
	"$TRIPLET-strip" "$stage/$app" 2>/dev/null || strip "$stage/$app" 2>/dev/null || true
	license >"$stage/LICENSE"
	echo "$closure" | while read -r so path; do
		[ -n "$so" ] && cp -L "$path" "$stage/lib/$so"
	done
	rmdir "$stage/lib" 2>/dev/null || true # nothing to bundle
	cp -R acap/html "$stage/html"
	page=$($MF get "$stage/manifest.json" acapPackageConf.configuration.settingPage 2>/dev/null || true)
	[ -z "$page" ] || [ -f "$stage/html/$page" ] ||
		{ echo "build-eap.sh: settingPage $page is not in html/" >&2; exit 1; }

	rm -f "$out/$name"
	if command -v acap-build >/dev/null 2>&1; then
		# The SDK's packer: it runs make (nothing to do: the executable is built), validates
		# the manifest against its own schema, regenerates package.conf/param.conf and packs.
		printf 'all:\n\t@true\n' >"$stage/Makefile"
		(cd "$stage" && acap-build . >acap-build.log 2>&1) ||
			{ cat "$stage/acap-build.log" >&2; exit 1; }
		mv "$stage/$name" "$out/$name"
	else
		files="$app manifest.json package.conf param.conf LICENSE html"
		[ -d "$stage/lib" ] && files="$files lib"
		tar -C "$stage" --owner=0 --group=0 --numeric-owner --sort=name \
			--mtime="@${SOURCE_DATE_EPOCH:-0}" -czf "$out/$name" $files
	fi
	libs=$(echo "$closure" | cut -d" " -f1 | xargs)
	top=$(python3 acap/symbol-versions.py --bundled "$stage/lib" "$stage/$app" "$stage"/lib/* 2>/dev/null |
		grep -o 'highest GLIBC_[0-9.]*' | cut -d' ' -f2 | sort -V | tail -n1)
	echo "acap: $out/$name (schema $($MF get "$stage/manifest.json" schemaVersion)," \
		"$(du -k "$out/$name" | cut -f1) KiB; lib/: ${libs:-none}; needs ${top:-no versioned glibc symbol})"
	report="$report
  AXIS OS ${range%-*} to ${range#*-}: $out/$name"
	[ $schema = 2 ] && schema2_out="$out/$name"
done
cp "$schema2_out" "$OUT/$name"
echo "acap: $OUT/$name is the schema-2 package (the default). Install:$report"
