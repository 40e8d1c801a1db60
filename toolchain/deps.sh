#!/usr/bin/env bash
# Installs every Debian package the host build, the tests and the demo need.
# Idempotent: packages already present are skipped, apt runs only when something is missing.
set -eu

PACKAGES="build-essential pkg-config clang curl ca-certificates python3
libcurl4-openssl-dev libmbedtls-dev libjsmn-dev libevent-dev libsqlite3-dev libcmocka-dev zlib1g-dev
sqlite3 xxd openssl procps libclang-rt-14-dev
libglib2.0-dev libglib2.0-bin dbus chromium"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node and npm drive the settings-page browser test (tests/browser/). A node that came from
# elsewhere (e.g. with its own npm) is fine; only when none is there take Debian's.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
