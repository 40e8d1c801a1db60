#!/usr/bin/env bash
# Installs the Debian packages of the groups given (default: build), each group for one job:
#   build    compile camagent, camcloud and camsim with cc (`make`)
#   clang    the clang build and the libFuzzer targets (`make CC=clang`, `make fuzz`)
#   test     the unit and integration tests (`make check`, `make demo`)
#   node     Node and npm: the web console's build-time dependency (cloud/console/, `make`)
#   browser  the settings-page and console tests in headless Chromium (tests/browser/, `make check`)
#   fresh-root  what .ci/fresh-root.sh needs to make a pristine Debian 12 root
#   bench    the peers the benchmarks compare with (toolchain/bench-deps.sh)
# Idempotent: packages already present are skipped, apt runs only when something is missing.
# Usage: toolchain/deps.sh [group...]
set -eu

group_packages() {
	case $1 in
	build) echo "build-essential pkg-config libcurl4-openssl-dev libssl-dev libmbedtls-dev
		libjsmn-dev libevent-dev libsqlite3-dev libglib2.0-dev zlib1g-dev libpq-dev
		libargon2-dev" ;;
	clang) echo "clang libclang-rt-14-dev" ;;
	test) echo "libcmocka-dev curl ca-certificates python3 sqlite3 xxd openssl procps
		libglib2.0-bin dbus valgrind postgresql python3-aiosmtpd haproxy" ;;
	node) echo "" ;;
	browser) echo "chromium" ;;
	fresh-root) echo "debootstrap git ca-certificates" ;;
	bench) echo "swupdate mender-client" ;;
	*) echo "deps.sh: unknown group '$1' (build, clang, test, node, browser, fresh-root, bench)" >&2; return 1 ;;
	esac
}

missing_packages() {
	local group p
	for group in "$@"; do
		for p in $(group_packages "$group"); do
			dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
		done
		# Node and npm drive the browser test. A node that came from elsewhere (with its own
		# npm) is fine; only when none is there take Debian's.
		if [ "$group" = node ] || [ "$group" = browser ]; then
			command -v node >/dev/null 2>&1 || echo nodejs
			command -v npm >/dev/null 2>&1 || echo npm
		fi
	done
}

[ $# -gt 0 ] || set -- build
for group in "$@"; do group_packages "$group" >/dev/null || exit 2; done
missing=$(missing_packages "$@" | tr '\n' ' ')
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing Debian packages: $missing(run toolchain/deps.sh $* as root to install them)" >&2
	exit 1
fi
# `make -j2` may start several groups at once: one apt at a time, and whatever the one
# before installed is not installed again.
exec 9>"${TMPDIR:-/tmp}/camagent-deps.lock"
flock 9
missing=$(missing_packages "$@" | tr '\n' ' ')
[ -z "$missing" ] && exit 0

echo "deps.sh: installing $missing"
export DEBIAN_FRONTEND=noninteractive
apt_install() {
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
# Fresh package lists are used as they are; stale or missing ones are fetched again.
if ! find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | grep -q . ||
	! apt_install 2>/dev/null; then
	apt-get update -qq
	apt_install || { echo "deps.sh: apt-get could not install: $missing" >&2; exit 1; }
fi
