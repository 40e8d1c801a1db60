#!/usr/bin/env bash
# make acap ARCH=aarch64|armv7hf: packs build/<arch>/camagent into ACAP packages (.eap, a gzip
# tar) from the one source manifest (top-level manifest.json, schema 2.x form):
#   build/<arch>/axis-os12/camagent_<x>_<y>_<z>_<arch>.eap   manifest schema 1.7.3 (AXIS OS 12)
#   build/<arch>/axis-os13/camagent_<x>_<y>_<z>_<arch>.eap   manifest schema 2.2.0 (AXIS OS 13)
#   build/<arch>/camagent_<x>_<y>_<z>_<arch>.eap             a copy of the MANIFEST_SCHEMA one
#                                                          (1 by default, 2 for AXIS OS 13)
# Contents: the executable, manifest.json, package.conf, param.conf, LICENSE (ours + the
# notices of every bundled library), html/ (acap/html), lib/ (the NEEDED closure minus what
# AXIS OS provides, acap/axis-os-libs.txt). With the Axis SDK's acap-build on PATH it packs
# instead (it validates against the SDK's own schemas); otherwise this script does.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
: "${ARCH:?}" "${BUILD:=build/$ARCH}"
. toolchain/arch.sh
arch_vars "$ARCH"
SYSROOT=${SYSROOT:-$ROOT/build/sysroot-$ARCH}
MANIFEST_SCHEMA=${MANIFEST_SCHEMA:-1}
MF="python3 acap/manifest.py"

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

libdirs="--libdir $SYSROOT/usr/lib/$TRIPLET --libdir $SYSROOT/lib/$TRIPLET --libdir /usr/$TRIPLET/lib"
[ -n "${SDKTARGETSYSROOT:-}" ] && libdirs="--libdir $SDKTARGETSYSROOT/usr/lib $libdirs"
closure=$(python3 toolchain/elf-closure.py --provided acap/axis-os-libs.txt $libdirs "$exe")

# The highest glibc symbol version the executable and its bundled libraries ask for: the
# camera's glibc must be at least that (a Debian 12 build wants glibc 2.34+; the SDK's less).
glibc=$( { objdump -T "$exe"; for l in $(echo "$closure" | cut -d' ' -f2); do objdump -T "$l"; done; } 2>/dev/null |
	grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n1)

for schema in 1 2; do
	os=$([ $schema = 1 ] && echo 12 || echo 13)
	stage="$BUILD/eap-stage-os$os"
	out="$BUILD/axis-os$os"
	rm -rf "$stage"
	mkdir -p "$stage/lib" "$out"
	$MF emit manifest.json --schema $schema --arch "$ARCH" --out "$stage"
	cp "$exe" "$stage/$app"
	"$TRIPLET-strip" "$stage/$app" 2>/dev/null || strip "$stage/$app" 2>/dev/null || true
	{
		cat acap/LICENSE
		echo "$closure" | while read -r so path; do
			[ -n "$so" ] || continue
			pkg=$(grep -m1 " /\(usr/\)\?lib/$TRIPLET/$so\$" "$SYSROOT/.pkgfiles" 2>/dev/null | cut -d' ' -f1)
			echo
			echo "======== $so (Debian package ${pkg:-unknown}) ========"
			c="$SYSROOT/usr/share/doc/$pkg/copyright"
			if [ -n "$pkg" ] && [ -f "$c" ]; then cat "$c"; else
				echo "See /usr/share/doc/${pkg:-<package>}/copyright in Debian 12 (bookworm)."
			fi
		done
	} >"$stage/LICENSE"
	echo "$closure" | while read -r so path; do
		[ -n "$so" ] && cp -L "$path" "$stage/lib/$so"
	done
	rmdir "$stage/lib" 2>/dev/null || true # nothing to bundle
	if [ -d acap/html ]; then
		cp -R acap/html "$stage/html"
	else
		echo "build-eap.sh: warning: acap/html/ does not exist yet; packing a placeholder settings page" >&2
		mkdir -p "$stage/html"
		printf '<!doctype html>\n<title>%s</title>\n<p>%s %s</p>\n' "$app" "$app" "$version" >"$stage/html/index.html"
	fi
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
	echo "acap: $out/$name (schema $($MF get "$stage/manifest.json" schemaVersion), AXIS OS $os," \
		"$(du -k "$out/$name" | cut -f1) KiB; lib/: ${libs:-none}; needs ${glibc:-any glibc})"
done
cp "$BUILD/axis-os$([ "$MANIFEST_SCHEMA" = 2 ] && echo 13 || echo 12)/$name" "$BUILD/$name"
echo "acap: $BUILD/$name (MANIFEST_SCHEMA=$MANIFEST_SCHEMA)"
