#!/usr/bin/env bash
# The web console (cloud/console/) in a real browser: headless chromium (Debian) driven by
# playwright-core (npm) against camcloud serving the console (its mail to a local SMTP
# sink), with a simulated camera that enrolls with the token made in the console and is
# upgraded from it; the licenses and applications views with a product whose vendor keys
# tools/camvendor mints, a vendor key file for the camera, and .eap packages in the catalog.
# tests/browser/console.mjs has the steps; screenshots go to build/<arch>/artifacts/console/.
# check: alone (a browser, and its steps wait with timeouts)
set -u
. "$(dirname "$0")/../lib.sh"

ARTIFACTS="$ROOT/$BUILD/artifacts/console"
NODE_DIR="$ROOT/$BUILD/browser"
. "$ROOT/tests/browser/npm.sh"
browser_npm_ci "$NODE_DIR" || exit 1
cp "$ROOT"/tests/browser/console*.mjs "$NODE_DIR/"
rm -rf "$ARTIFACTS"

SERIAL=ACCC8E00C0C0
MODEL=P3265-LVE
TARGET=12.10.1
NEXT=12.11.0
LICENSED_APP_ID=4714
CAMVENDOR="$ROOT/$BUILD/camvendor"
MKEAP="bash $ROOT/tests/tools/mkeap.sh"
# Invitation mails go to a local SMTP sink (Debian python3-aiosmtpd), one file per mail.
/usr/bin/python3 "$ROOT/tests/tools/smtp_sink.py" --dir "$WORK/mail" --port-file "$WORK/smtp.port" \
	>"$WORK/smtp.log" 2>&1 &
PIDS+=($!)
wait_for 10 test -s "$WORK/smtp.port" || { echo "FAIL smtp_sink_start"; cat "$WORK/smtp.log"; exit 1; }
cloud_start 0 --smtp-url "smtp://127.0.0.1:$(cat "$WORK/smtp.port")" --mail-from console@example.com ||
	{ echo "FAIL cloud_start"; exit 1; }
"$MKIMAGE" "$WORK/good.bin" "$MODEL" "$TARGET" $((1024 * 1024)) ok
"$MKIMAGE" "$WORK/next.bin" "$MODEL" "$NEXT" $((1024 * 1024)) ok
cc image add "$MODEL" "$TARGET" "$WORK/good.bin" >/dev/null &&
	cc image add "$MODEL" "$NEXT" "$WORK/next.bin" >/dev/null || { echo "FAIL image_add"; finish; }
camera_create cam "$SERIAL" "$MODEL" 11.11.73
mkdir -p "$WORK/handoff" "$WORK/cam/apps"
# The camera runs the licensed app (its ApplicationID is the product's).
echo "{\"name\":\"plates\",\"vendor\":\"V\",\"version\":\"1.0.0\",\"running\":true,\"app_id\":\"$LICENSED_APP_ID\"}" \
	>"$WORK/cam/apps/plates.json"
# The vendor's side: a key pair (the console is given the public half), two license keys,
# and a key file for the camera's serial in the documented shape.
"$CAMVENDOR" keygen --key "$WORK/vendor.key" --pub "$WORK/handoff/vendor.pub" >/dev/null &&
	"$CAMVENDOR" mint --key "$WORK/vendor.key" --app "$LICENSED_APP_ID" --type extension --count 1 \
		>"$WORK/handoff/key-extension.txt" &&
	"$CAMVENDOR" mint --key "$WORK/vendor.key" --app "$LICENSED_APP_ID" --type subscription --count 3 \
		>"$WORK/handoff/key-subscription.txt" || { echo "FAIL vendor_keys"; finish; }
printf '<?xml version="1.0"?>\n<LicenseKey>\n <DeviceID>%s</DeviceID>\n <ApplicationID>%s</ApplicationID>\n <Signature>c2lnbmVk</Signature>\n</LicenseKey>\n' \
	"$SERIAL" "$LICENSED_APP_ID" >"$WORK/handoff/camera-key.xml"
# The catalog: two versions of an app for the camera's architecture, one for another.
$MKEAP "$WORK/a1.eap" analytics 1.0.0 aarch64 --signed --param Sensitivity=5 &&
	$MKEAP "$WORK/a2.eap" analytics 1.1.0 aarch64 --signed --param Sensitivity=5 &&
	$MKEAP "$WORK/a2arm.eap" analytics 1.1.0 armv7hf --signed &&
	cc app upload "$WORK/a1.eap" >/dev/null && cc app upload "$WORK/a2.eap" >/dev/null &&
	cc app upload "$WORK/a2arm.eap" >/dev/null || { echo "FAIL app_upload"; finish; }

(cd "$NODE_DIR" && CONSOLE_URL="$CLOUD_URL" ADMIN_TOKEN="$(cat "$CLOUD_DATA/admin.token")" \
	HANDOFF="$WORK/handoff" MAIL_DIR="$WORK/mail" MODEL="$MODEL" SERIAL="$SERIAL" \
	LICENSED_APP_ID="$LICENSED_APP_ID" \
	TARGET_VERSION="$TARGET" NEXT_VERSION="$NEXT" ARTIFACTS="$ARTIFACTS" \
	timeout 600 node console.mjs) >"$WORK/browser.log" 2>&1 &
BROWSER_PID=$!
PIDS+=("$BROWSER_PID")
# The camera enrolls with the token the console showed (the browser hands it over).
if wait_for 120 test -s "$WORK/handoff/token"; then
	agent_start cam --token "$(cat "$WORK/handoff/token")" --set long_poll_s=20 --set heartbeat_s=3
fi
wait "$BROWSER_PID"
rc=$?
cat "$WORK/browser.log"
[ $rc = 0 ] || { echo "FAIL browser_run (exit $rc)"; FAILED=1; }
grep -q '^PASS tasks_view_reaches_succeeded' "$WORK/browser.log" || FAILED=1

check screenshots_saved test -s "$ARTIFACTS/tasks.png"
check license_screenshots_saved test -s "$ARTIFACTS/allocation-refused.png"
check app_screenshots_saved test -s "$ARTIFACTS/apps-catalog.png"
curl -sI "$CLOUD_URL/console/" >"$WORK/headers"
check console_has_strict_csp grep -qi "^content-security-policy: default-src 'none'; script-src 'self';" "$WORK/headers"
agent_stop 2>/dev/null
cloud_stop
finish
