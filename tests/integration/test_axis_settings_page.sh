#!/usr/bin/env bash
# The ACAP settings page (acap/html) in a real browser: camsim serves it at /local/camagent/
# and proxies its API to the agent's local API; headless chromium (Debian) driven by
# playwright-core (npm) sees the camera unenrolled, refuses a damaged token, takes a real
# one and shows the camera enrolled with its organization and folder. Screenshots go to
# build/<arch>/artifacts/. The token reaches the agent only through the page.
# check: alone (a browser)
set -u
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/camsim/lib.sh"

ARTIFACTS="$ROOT/$BUILD/artifacts"
NODE_DIR="$ROOT/$BUILD/browser"

# playwright-core from the npm registry, installed once per lock file into the build dir
. "$ROOT/tests/browser/npm.sh"
browser_npm_ci "$NODE_DIR" || exit 1
cp "$ROOT/tests/browser/settings_page.mjs" "$NODE_DIR/"

API_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
WEB_PASS=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

cloud_start || { echo "FAIL cloud_start"; exit 1; }
dbus_start || { echo "FAIL dbus_start"; exit 1; }
ORG="Page Org"
FOLDER_NAME="Lobby"
FOLDER=$(cc folder create "$(cc org create "$ORG")" "$FOLDER_NAME")
TOKEN=$(cc token create "$FOLDER")
camsim_start cam ACCC8E00D0D0 P3265-LVE 11.11.73 --html "$ROOT/acap/html" \
	--app-api-port "$API_PORT" --web-user "root:$WEB_PASS" \
	-- --set local_api_port="$API_PORT" --set long_poll_s=20 || { echo "FAIL camsim_start"; finish; }
wait_for 20 grep -q "local API for the settings page on 127.0.0.1:$API_PORT" "$WORK/cam.log" ||
	{ echo "FAIL local_api_listening"; finish; }

(cd "$NODE_DIR" && PAGE_URL="$VAPIX_URL/local/camagent/index.html" WEB_USER=root \
	WEB_PASS="$WEB_PASS" TOKEN="$TOKEN" ORG="$ORG" FOLDER="$FOLDER_NAME" \
	ARTIFACTS="$ARTIFACTS" timeout 120 node settings_page.mjs) >"$WORK/browser.log" 2>&1
rc=$?
cat "$WORK/browser.log"
[ $rc = 0 ] || { echo "FAIL browser_run (exit $rc)"; FAILED=1; }
grep -q '^FAIL' "$WORK/browser.log" && FAILED=1
grep -q '^PASS shows_enrolled' "$WORK/browser.log" || FAILED=1

check cloud_has_device wait_for 20 device_has ACCC8E00D0D0 os_version 11.11.73
check token_file_private test "$(stat -c %a "$WORK/cam/agent/enrollment_token")" = 600
check screenshots_saved test -s "$ARTIFACTS/settings-enrolled.png"
check api_not_public not curl -sf "$VAPIX_URL/local/camagent/api/status"
camsim_stop
cloud_stop
check token_secret_not_logged no_secret_in "$(token_secret "$TOKEN")" "$WORK/cam.log" "$WORK/cloud.log"
finish
