#!/usr/bin/env bash
# make acap-check ARCH=aarch64|armv7hf: unpacks each .eap that `make acap` made and checks
# what a camera checks and needs: the name and layout, the ELF machine of the executable and
# of every bundled library, the symbol versions they need (GLIBC_2.31 at most, no versions
# from the camera's other libraries; acap/symbol-versions.py), that every NEEDED library is
# bundled or on the AXIS OS list, the manifest against every rule of its schema
# (acap/manifest.py) and against the source manifest.json, package.conf/param.conf, a
# non-empty LICENSE, the settings page, and that the executable starts (qemu-user) in a
# camera-like root (glibc 2.31 and what AXIS OS provides, tests/qemu/camera-root.sh) with no
# loader warning. Then shows that each checker rejects what it must (broken manifests, a
# Debian 12 link, versioned curl symbols, an unlisted library) and that RELEASE=1 refuses a
# placeholder vendor id. Prints PASS/FAIL lines, then "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
: "${ARCH:?}" "${BUILD:=build/$ARCH}"
. toolchain/arch.sh
arch_vars "$ARCH"
export ARCH TRIPLET
export SYSROOT=${SYSROOT:-$ROOT/build/sysroot-$ARCH}
FLOOR=2.31
MF="python3 acap/manifest.py"
SV="python3 acap/symbol-versions.py --glibc-floor $FLOOR"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
passed=0
failed=0
start=$SECONDS

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
rejects() { # NAME CMD...: CMD must fail
	local name=$1
	shift
	check "$name" bash -c '! "$@"' rejects "$@"
}
rejects_built() { # FILE NAME CMD...: FILE was built, and CMD (about it) fails
	local f=$1 name=$2
	shift 2
	check "$name" bash -c 'test -s "$1" || { echo "$1 was not built"; exit 1; }; shift; ! "$@"' rejects "$f" "$@"
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
needed_all_resolve() { # DIR ELF...: every NEEDED is in DIR/lib or provided by AXIS OS
	local d=$1
	shift
	python3 toolchain/elf-closure.py --provided acap/axis-os-libs.txt --libdir "$d/lib" "$@"
}
symbol_floor() { # DIR ELF...: no versioned need beyond the floor or from a camera library
	local d=$1
	shift
	$SV --check --bundled "$d/lib" "$@"
}
has_rpath_origin() { readelf -d "$1" | grep -q 'R.*PATH.*\$ORIGIN/lib'; }
starts_in_camera_root() { # DIR: --help in the camera root; every library from there or lib/
	local cr="$WORK/camera-root" log="$WORK/ld.log"
	bash tests/qemu/camera-root.sh "$cr" "$1/lib" || return 1
	QEMU_SET_ENV=LD_DEBUG=libs SYSROOT="$cr" bash toolchain/qemu-user.sh "$ARCH" "$1/$app" --help \
		>"$WORK/help" 2>"$log" || { tail -n 5 "$log"; return 1; }
	grep -q '^usage: camagent' "$WORK/help" || { head -n 3 "$WORK/help"; return 1; }
	grep -v '^ *[0-9]*:' "$log" | grep . && { echo "^ loader or program warnings"; return 1; }
	grep 'calling init:' "$log" | sed 's/.*calling init: //' |
		grep -v "^$cr/\|^$1/lib/\|^/lib/ld-linux" && { echo "^ loaded from outside the camera root"; return 1; }
	grep -q "calling init: $cr/lib/$TRIPLET/libc.so.6" "$log" || { echo "libc.so.6 not from the camera root"; return 1; }
	strings "$cr/lib/$TRIPLET/libc.so.6" | grep -q "release version $FLOOR" ||
		{ echo "the camera root's glibc is not $FLOOR"; return 1; }
}

for schema in 2 1; do
	range=$($MF os-range manifest.json --schema $schema)
	eap="$BUILD/axis-os-$range/$name"
	d="$WORK/s$schema"
	mkdir -p "$d"
	t="eap_${ARCH}_axis_os_${range}"
	check "${t}_exists" test -s "$eap"
	check "${t}_name_app_version_arch" test "$(basename "$eap")" = "${app}_$(echo "$version" | tr . _)_${ARCH}.eap"
	check "${t}_is_gzip_tar" tar -xzf "$eap" -C "$d"
	for f in "$app" manifest.json package.conf param.conf LICENSE; do
		check "${t}_has_$f" test -s "$d/$f"
	done
	check "${t}_executable_mode" test -x "$d/$app"
	check "${t}_elf_machine" machine_is "$d/$app"
	check "${t}_rpath_origin_lib" has_rpath_origin "$d/$app"
	check "${t}_libs_elf_machine" all_libs_right_machine "$d"
	check "${t}_needed_bundled_or_on_axis_os" needed_all_resolve "$d" "$d/$app" $(ls "$d"/lib/* 2>/dev/null)
	check "${t}_symbol_versions_glibc_${FLOOR}" symbol_floor "$d" "$d/$app" $(ls "$d"/lib/* 2>/dev/null)
	check "${t}_manifest_schema_$schema" $MF check "$d/manifest.json" --schema "$schema" --arch "$ARCH"
	check "${t}_manifest_os_range" test "$($MF os-range "$d/manifest.json" --schema $schema)" = "$range"
	for k in acapPackageConf.setup.appName acapPackageConf.setup.version acapPackageConf.setup.runMode \
		acapPackageConf.setup.vendor acapPackageConf.configuration.settingPage \
		acapPackageConf.configuration.paramConfig acapPackageConf.configuration.reverseProxy \
		resources.dbus.requiredMethods; do
		check "${t}_manifest_${k##*.}" same_field "$d/manifest.json" "$k"
	done
	check "${t}_package_conf" conf_has "$d/package.conf" "APPNAME=\"$app\""
	check "${t}_package_conf_arch" conf_has "$d/package.conf" "APPTYPE=\"$ARCH\""
	check "${t}_param_conf" conf_has "$d/param.conf" 'LongPollSeconds="60" type="int:min=5;max=300"'
	check "${t}_license_names_bundled" bash -c 'for l in $(ls "$1/lib" 2>/dev/null); do grep -q "== $l " "$1/LICENSE" || exit 1; done' _ "$d"
	page=$($MF get manifest.json acapPackageConf.configuration.settingPage)
	check "${t}_settings_page" test -s "$d/html/$page"
	check "${t}_starts_in_camera_root" starts_in_camera_root "$d"
done
check "eap_${ARCH}_default_is_schema_2" cmp "$BUILD/$name" "$BUILD/axis-os-$($MF os-range manifest.json --schema 2)/$name"
check "eap_${ARCH}_schema_1_serves_11.11" test "$($MF os-range manifest.json --schema 1)" = "11.11-$($MF os-range manifest.json --schema 2 | cut -d- -f1 | awk -F. '{ print $1 "." $2 - 1 }')"

# ---- every checker rejects what it must ----
m1="$WORK/s1/manifest.json"
m2="$WORK/s2/manifest.json"
mutate() { # IN OUT PYTHON: OUT is IN with m changed by the statement
	python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); s = m["acapPackageConf"]["setup"]
c = m["acapPackageConf"]["configuration"]
exec(sys.argv[3]); json.dump(m, open(sys.argv[2], "w"))' "$1" "$2" "$3"
}
bad=0
while IFS='|' read -r schema what stmt; do
	[ -n "$schema" ] || continue
	bad=$((bad + 1))
	in=$([ "$schema" = 1 ] && echo "$m1" || echo "$m2")
	mutate "$in" "$WORK/bad$bad.json" "$stmt"
	rejects "manifest_schema_${schema}_rejects_${what}" $MF check "$WORK/bad$bad.json" --schema "$schema" --arch "$ARCH"
done <<'EOF'
1|apitype_on_tcp_proxy|c["reverseProxy"][0]["apiType"] = "http"
1|unix_proxy_without_socket_path|c["reverseProxy"][0].update(apiType="http")
1|proxy_access_root|c["reverseProxy"][0]["access"] = "root"
1|schema_1.4.0_with_reverse_proxy|m["schemaVersion"] = "1.4.0"
1|schema_1.7.1_not_on_11.11|m["schemaVersion"] = "1.7.1"
1|schema_1.6.0_not_lowest|m["schemaVersion"] = "1.6.0"
1|undocumented_field|s["autostart"] = True
1|vendor_id|s["vendorId"] = "0a1b2c3d4e"
1|compatible_os_versions|s["compatibleOsVersions"] = [{"max": "13"}]
1|no_embedded_sdk_version|del s["embeddedSdkVersion"]
1|missing_run_mode|del s["runMode"]
1|run_mode_always|s["runMode"] = "always"
1|version_not_semver|s["version"] = "0.1"
1|param_type_integer|c["paramConfig"][2]["type"] = "integer"
1|param_without_default|del c["paramConfig"][0]["default"]
1|static_user_with_dbus|s["user"] = {"username": "sdk", "group": "sdk"}
2|vendor_id_not_10_hex|s["vendorId"] = "12345"
2|missing_vendor_id|del s["vendorId"]
2|missing_compatible_os_versions|del s["compatibleOsVersions"]
2|compatible_os_before_12.10|s["compatibleOsVersions"] = [{"min": "12.9", "max": "13"}]
2|compatible_os_min_above_max|s["compatibleOsVersions"] = [{"min": "13", "max": "12.10"}]
2|compatible_os_bad_version|s["compatibleOsVersions"] = [{"min": "12.10", "max": "thirteen"}]
2|missing_architecture|del s["architecture"]
2|architecture_all|s["architecture"] = "all"
2|embedded_sdk_version|s["embeddedSdkVersion"] = "3.0"
2|containers|c["containers"] = {"containerHost": True}
2|static_user_not_sdk|s["user"] = {"username": "camagent", "group": "addon"}
2|group_not_allowed|m["resources"]["linux"] = {"user": {"groups": ["root"]}}
2|dbus_method_not_allowed|m["resources"]["dbus"]["requiredMethods"].append("com.axis.Other1.Method")
2|schema_1_version|m["schemaVersion"] = "1.7.3"
EOF

probe="$WORK/probe.c"
printf '#include <pthread.h>\nstatic void *f(void *a) { return a; }\nint main(void) { pthread_t t; return pthread_create(&t, 0, f, 0) == 0 && pthread_join(t, 0) == 0; }\n' >"$WORK/threads.c"
"$TRIPLET-gcc" "$WORK/threads.c" -o "$WORK/probe-host-libc" -lpthread 2>"$WORK/cc.log"
rejects_built "$WORK/probe-host-libc" "symbol_versions_reject_a_debian_12_libc_link" symbol_floor "$WORK" "$WORK/probe-host-libc"
printf '#include <pthread.h>\n#include <curl/curl.h>\nstatic void *f(void *a) { return a; }\nint main(void) { pthread_t t; if (pthread_create(&t, 0, f, 0) == 0) pthread_join(t, 0); return curl_global_init(0) != 0; }\n' >"$probe"
L="$SYSROOT/usr/lib/$TRIPLET"
# the same program linked the way the build links it passes, and against the real
# (versioned) libcurl.so.4 instead of the link stub it fails
cross_flags="--sysroot=$SYSROOT -nostdinc -isystem $("$TRIPLET-gcc" -print-file-name=include) -isystem $SYSROOT/usr/include/$TRIPLET -isystem $SYSROOT/usr/include -B$L/ -L$L -L$SYSROOT/lib/$TRIPLET -Wl,-rpath-link,$L -Wl,-rpath-link,$SYSROOT/lib/$TRIPLET"
"$TRIPLET-gcc" $cross_flags "$probe" -o "$WORK/probe-floor" -lcurl -lpthread 2>"$WORK/cc.log"
check "symbol_versions_accept_the_floor_link" symbol_floor "$WORK" "$WORK/probe-floor"
"$TRIPLET-gcc" $cross_flags "$probe" -o "$WORK/probe-curl" "$L/libcurl.so.4" -lpthread 2>"$WORK/cc.log"
rejects_built "$WORK/probe-curl" "symbol_versions_reject_debian_curl_versions" symbol_floor "$WORK" "$WORK/probe-curl"
"$TRIPLET-gcc" $cross_flags "$probe" -o "$WORK/probe-sqlite" -lcurl -lpthread -Wl,--no-as-needed -lsqlite3 2>"$WORK/cc.log"
rejects_built "$WORK/probe-sqlite" "needed_rejects_an_unlisted_library" needed_all_resolve "$WORK" "$WORK/probe-sqlite"

# RELEASE=1: no package without a real vendor id; with one, the schema-2 manifest carries it
rel="$WORK/release"
rejects "release_refuses_the_placeholder_vendor_id" env EAP_OUT="$rel" RELEASE=1 VENDOR_ID= bash acap/build-eap.sh
rejects "release_refuses_a_malformed_vendor_id" env EAP_OUT="$rel" RELEASE=1 VENDOR_ID=12345 bash acap/build-eap.sh
check "release_packs_with_a_vendor_id" env EAP_OUT="$rel" RELEASE=1 VENDOR_ID=0a1b2c3d4e bash acap/build-eap.sh
check "release_manifest_carries_the_vendor_id" bash -c 'tar -xzOf "$1" manifest.json | grep -q "\"vendorId\": \"0a1b2c3d4e\""' _ "$rel/$name"

echo "acap-check: $ARCH took $((SECONDS - start)) s"
echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
