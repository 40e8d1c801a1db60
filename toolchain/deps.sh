#!/usr/bin/env bash
# Installs every Debian package the host build, the tests and the demo need.
# Idempotent: packages already present are skipped, apt runs only when something is missing.
set -eu
. "$(dirname "$0")/apt.sh"

PACKAGES="build-essential pkg-config clang curl ca-certificates python3
libcurl4-openssl-dev libssl-dev libmbedtls-dev libjsmn-dev libevent-dev libsqlite3-dev libcmocka-dev
sqlite3 xxd openssl procps libclang-rt-14-dev postgresql libpq-dev
libglib2.0-dev libglib2.0-bin dbus chromium"

# Node and npm drive the settings-page browser test (tests/browser/). A node that came from
# elsewhere (e.g. with its own npm) is fine; only when none is there take Debian's.
command -v node >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs"
command -v npm >/dev/null 2>&1 || PACKAGES="$PACKAGES npm"
apt_install_missing deps.sh $PACKAGES
