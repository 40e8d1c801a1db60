#!/usr/bin/env bash
# Test-only ACAP package maker: a manifest.json, a dummy executable, package.conf, param.conf
# and LICENSE, packed the way acap/build-eap.sh packs (gzip tar, root-owned, sorted).
# usage: mkeap.sh OUT.eap NAME VERSION ARCH [options]
#   --schema 1|2         manifest schema (default 2: 2.0.0; 1: 1.5.0 with embeddedSdkVersion)
#   --os MIN-MAX         schema 2 compatibleOsVersions (default 12.10-13; either side may be empty)
#   --signed             add camsim's stand-in signature (SIGNATURE.camsim: the manifest's SHA-256)
#   --bad-signature      a stand-in signature that does not match the manifest
#   --user USER:GROUP    a static setup.user
#   --license axis|custom  copyProtection.method
#   --param NAME=DEFAULT   a paramConfig entry of type string (repeatable)
#   --no-manifest        leave manifest.json out; --raw-manifest TEXT: that text instead
#   --payload-mb N       add lib/payload.bin, N MiB of random bytes (a large package)
set -eu
out=$1 name=$2 version=$3 arch=$4
shift 4
schema=2 os=12.10-13 sig="" user="" license="" params="" no_manifest=0 raw="" payload_mb=0
while [ $# -gt 0 ]; do
	case $1 in
	--schema) schema=$2; shift ;;
	--os) os=$2; shift ;;
	--signed) sig=good ;;
	--bad-signature) sig=bad ;;
	--user) user=$2; shift ;;
	--license) license=$2; shift ;;
	--param) params="$params${params:+,}{\"name\":\"${2%%=*}\",\"default\":\"${2#*=}\",\"type\":\"string\"}"; shift ;;
	--no-manifest) no_manifest=1 ;;
	--raw-manifest) raw=$2; shift ;;
	--payload-mb) payload_mb=$2; shift ;;
	*) echo "mkeap.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
setup="\"appName\":\"$name\",\"friendlyName\":\"$name app\",\"vendor\":\"camagent project\",\"runMode\":\"respawn\",\"version\":\"$version\",\"architecture\":\"$arch\""
if [ "$schema" = 2 ]; then
	min=${os%-*} max=${os#*-} range=""
	[ -n "$min" ] && range="\"min\":\"$min\""
	[ -n "$max" ] && range="$range${range:+,}\"max\":\"$max\""
	setup="$setup,\"vendorId\":\"1234567890\",\"compatibleOsVersions\":[{$range}]"
	sv=2.0.0
else
	setup="$setup,\"embeddedSdkVersion\":\"3.0\""
	sv=1.5.0
fi
[ -n "$user" ] && setup="$setup,\"user\":{\"username\":\"${user%%:*}\",\"group\":\"${user#*:}\"}"
conf="\"settingPage\":\"index.html\",\"paramConfig\":[$params]"
cp=""
[ -n "$license" ] && cp=",\"copyProtection\":{\"method\":\"$license\"}"
files="$name package.conf param.conf LICENSE"
if [ $no_manifest = 0 ]; then
	if [ -n "$raw" ]; then
		printf '%s' "$raw" >"$stage/manifest.json"
	else
		printf '{"schemaVersion":"%s","acapPackageConf":{"setup":{%s},"configuration":{%s}%s}}\n' \
			"$sv" "$setup" "$conf" "$cp" >"$stage/manifest.json"
	fi
	files="$files manifest.json"
fi
printf '#!/bin/sh\necho %s %s\n' "$name" "$version" >"$stage/$name"
chmod 755 "$stage/$name"
printf 'APPNAME="%s"\nAPPTYPE="%s"\n' "$name" "$arch" >"$stage/package.conf"
: >"$stage/param.conf"
echo "test package" >"$stage/LICENSE"
case $sig in
good) echo "sha256=$(cat "$stage/manifest.json" 2>/dev/null | sha256sum | cut -d' ' -f1)" >"$stage/SIGNATURE.camsim" ;;
bad) echo "sha256=$(printf 'other' | sha256sum | cut -d' ' -f1)" >"$stage/SIGNATURE.camsim" ;;
esac
[ -n "$sig" ] && files="$files SIGNATURE.camsim"
if [ "$payload_mb" -gt 0 ]; then
	mkdir "$stage/lib"
	head -c $((payload_mb * 1024 * 1024)) /dev/urandom >"$stage/lib/payload.bin"
	files="$files lib/payload.bin"
fi
tar -C "$stage" --owner=0 --group=0 --numeric-owner --sort=name --mtime=@0 -czf "$out" $files
