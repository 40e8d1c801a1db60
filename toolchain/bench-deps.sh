#!/usr/bin/env bash
# Installs the Debian packages the benchmarks under tests/bench/ compare against:
# swupdate (suricatta, hawkBit mode) and mender-client for the idle benchmark.
# Not needed by the build or make check. Idempotent; installs only what is missing.
set -eu
bash "$(dirname "$0")/deps.sh" bench
# Debian's mender-client ships no device identity script (only an example) and the client
# makes no request without an artifact name: give it both, as a device image would.
IDENTITY=/usr/share/mender/identity/mender-device-identity
if [ ! -x "$IDENTITY" ] && [ "$(id -u)" = 0 ]; then
	install -m 0755 /usr/share/doc/mender-client/examples/mender-device-identity "$IDENTITY"
fi
if [ ! -e /etc/mender/artifact_info ] && [ "$(id -u)" = 0 ]; then
	echo "artifact_name=bench" >/etc/mender/artifact_info
fi
