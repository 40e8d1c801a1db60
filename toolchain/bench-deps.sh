#!/usr/bin/env bash
# Installs the Debian packages the benchmarks under tests/bench/ compare against:
# swupdate (suricatta, hawkBit mode) and mender-client for the idle benchmark.
# Not needed by the build or make check. Idempotent; installs only what is missing.
set -eu
. "$(dirname "$0")/apt.sh"

apt_install_missing bench-deps.sh swupdate mender-client
