#!/usr/bin/env bash
# make acap-check ARCH=aarch64|armv7hf: unpacks each .eap that `make acap` made and checks
# what a camera checks and needs: the layout, the ELF machine of the executable and of every
# bundled library, the manifest against its schema's required fields (1.7.x for AXIS OS 12,
# 2.x for AXIS OS 13) and against the source manifest.json, package.conf/param.conf, a
# non-empty LICENSE, the settings page, and that the executable starts (qemu-user) with only
# its own lib/ plus the libraries AXIS OS provides. Prints PASS/FAIL lines, then
# "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
: "${ARCH:?}" "${BUILD:=build/$ARCH}"
. toolchain/arch.sh
arch_vars "$ARCH"
SYSROOT=${SYSROOT:-$ROOT/build/sysroot-$ARCH}
MF="python3 acap/manifest.py"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
passed=0
failed=0

check() { # NAME CMD...
	local name=$1
	shift
	if "$@" >"$WORK/out" 2>&1; then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		sed 's/^/    /' "$WORK/out" | head -n 20
		failed=$((failed + 1))
	fi
}

app=$($MF get manifest.json acapPackageConf.setup.appName)
version=$($MF get manifest.json acapPackageConf.setup.version)
name="${app}_$(echo "${version%%[-+]*}" | tr . _)_${ARCH}.eap"
file_pattern=$([ "$ARCH" = aarch64 ] && echo 'ELF 64-bit LSB .*ARM aarch64' || echo 'ELF 32-bit LSB .*ARM, EABI5')

machine_is() { # FILE: readelf and file(1) both say $ARCH
	[ "$(readelf -h "$1" | sed -n 's/^ *Machine: *//p')" = "$ELF_MACHINE" ] || return 1
	file -L "$1" | grep -q "$file_pattern" || { file -L "$1"; return 1; }
	if [ "$ARCH" = armv7hf ]; then # hard-float ABI
		readelf -h "$1" | grep -q 'hard-float ABI' || { echo "$1: not hard-float"; return 1; }
	fi
}
same_field() { # MANIFEST KEY: the packed manifest keeps the source's value
	[ "$($MF get "$1" "$2")" = "$($MF get manifest.json "$2")" ] || {
		echo "$2: $($MF get "$1" "$2") != $($MF get manifest.json "$2")"; return 1; }
}
conf_has() { grep -qxF "$2" "$1" || { echo "$1 lacks: $2"; return 1; }; }
all_libs_right_machine() {
	local l
	for l in "$1"/lib/*; do
		[ -e "$l" ] || continue
		machine_is "$l" || { echo "$l"; return 1; }
	done
}
needed_all_resolve() { # DIR: every NEEDED is in lib/ or provided by AXIS OS
	python3 toolchain/elf-closure.py --provided acap/axis-os-libs.txt --libdir "$1/lib" "$1/$app" >/dev/null
}
has_rpath_origin() { readelf -d "$1" | grep -q 'R.*PATH.*\$ORIGIN/lib'; }
starts_with_own_libs() { # DIR: runs with lib/ + only the camera's libraries (from the sysroot)
	local cam="$WORK/camera-libs" so d
	rm -rf "$cam"
	mkdir -p "$cam"
	for so in $(sed 's/#.*//' acap/axis-os-libs.txt); do
		for d in "$SYSROOT/usr/lib/$TRIPLET" "$SYSROOT/lib/$TRIPLET"; do
			[ -e "$d/$so" ] && ln -sf "$(readlink -f "$d/$so")" "$cam/$so" && break
		done
	done
	# what those libraries (libcurl, glib) need is the camera's too
	python3 toolchain/elf-closure.py --libdir "$SYSROOT/usr/lib/$TRIPLET" --libdir "$SYSROOT/lib/$TRIPLET" \
		--libdir "/usr/$TRIPLET/lib" "$cam"/* 2>/dev/null | while read -r so p; do
		case "$so" in lib[a-z]*) [ -e "$cam/$so" ] || ln -s "$(readlink -f "$p")" "$cam/$so" ;; esac
	done
	# the packed agent's own libraries must not come from the sysroot
	for so in $(ls "$1/lib" 2>/dev/null); do rm -f "$cam/$so"; done
	"$QEMU_USER" -L "/usr/$TRIPLET" -E "LD_LIBRARY_PATH=$cam" "$1/$app" --help 2>&1 | grep -q '^usage: camagent'
}

for os in 12 13; do
	schema=$([ $os = 12 ] && echo 1 || echo 2)
	eap="$BUILD/axis-os$os/$name"
	d="$WORK/os$os"
	mkdir -p "$d"
	t="eap_os${os}_${ARCH}"
	check "${t}_exists" test -s "$eap"
	check "${t}_is_gzip_tar" tar -xzf "$eap" -C "$d"
	for f in "$app" manifest.json package.conf param.conf LICENSE; do
		check "${t}_has_$f" test -s "$d/$f"
	done
	check "${t}_executable_mode" test -x "$d/$app"
	check "${t}_elf_machine" machine_is "$d/$app"
	check "${t}_rpath_origin_lib" has_rpath_origin "$d/$app"
	check "${t}_libs_elf_machine" all_libs_right_machine "$d"
	check "${t}_needed_resolve" needed_all_resolve "$d"
	check "${t}_manifest_schema_$schema" $MF check "$d/manifest.json" --schema "$schema" --arch "$ARCH"
	for k in acapPackageConf.setup.appName acapPackageConf.setup.version acapPackageConf.setup.runMode \
		acapPackageConf.setup.vendor acapPackageConf.configuration.settingPage \
		acapPackageConf.configuration.paramConfig resources.dbus.requiredMethods; do
		check "${t}_manifest_${k##*.}" same_field "$d/manifest.json" "$k"
	done
	check "${t}_package_conf" conf_has "$d/package.conf" "APPNAME=\"$app\""
	check "${t}_package_conf_arch" conf_has "$d/package.conf" "APPTYPE=\"$ARCH\""
	check "${t}_param_conf" conf_has "$d/param.conf" 'LongPollSeconds="60" type="int:min=5;max=300"'
	page=$($MF get manifest.json acapPackageConf.configuration.settingPage)
	check "${t}_settings_page" test -s "$d/html/$page"
	check "${t}_starts_with_own_libs" starts_with_own_libs "$d"
done
check "eap_${ARCH}_default_is_schema_${MANIFEST_SCHEMA:-1}" \
	cmp "$BUILD/$name" "$BUILD/axis-os$([ "${MANIFEST_SCHEMA:-1}" = 2 ] && echo 13 || echo 12)/$name"

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
