#!/usr/bin/env bash
# make demo: one simulated camera enrolls into a local camcloud, reports its AXIS OS
# version, activates the tied-to-hardware license preloaded for its serial the moment it
# enrolls and an extension license redeemed and allocated to it, and takes a remotely triggered upgrade across a reboot. Every step says what
# happens; nothing is left running.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/demo_lib.sh"

SERIAL=ACCC8EF0A1B2
MODEL=P3265-LVE
FROM=11.11.73
TO=12.0.1


say "Starting camcloud (HTTP + SQLite) on loopback"
cloud_start || fail "camcloud did not start"
echo "camcloud listening at $CLOUD_URL"

say "The first owner signs up (with the bootstrap admin token, refused from then on) and signs in"
sign_in_owner "Acme Security" admin@acme.example || fail "the owner could not sign in"
echo "owner admin@acme.example signed in; camcloud login keeps an API token (mode $(stat -c %a "$CAMCLOUD_TOKEN_FILE"))"
echo "the admin token now: $(cc --admin-token-file "$CLOUD_DATA/admin.token" org list 2>&1 || true)"

say "The owner creates a folder and an enrollment token"
FOLDER=$(cc folder create "$ORG" "Stockholm HQ")
TOKEN=$(cc token create "$FOLDER" --expires-in 3600 --max-uses 1)
echo "organization Acme Security: $ORG"
echo "folder Stockholm HQ:        $FOLDER"
echo "enrollment token:           ${TOKEN:0:24}... (one use, expires in 1 h)"

say "The camera was bought with a preloaded license: its vendor key file is imported for serial $SERIAL"
key_file "$WORK/analytics.xml" "$SERIAL" 4711
PRELOADED=$(cc license preload --org "$ORG" --serial "$SERIAL" --app 4711 --key-file "$WORK/analytics.xml")
echo "license $PRELOADED (application id 4711): $(license_field "$PRELOADED" state), waiting for its hardware"

say "A simulated $MODEL camera (serial $SERIAL) running AXIS OS $FROM gets the token"
camera_create cam "$SERIAL" "$MODEL" "$FROM"
agent_start cam --token "$TOKEN" --set long_poll_s=30 --set download_max_bytes_per_s=3000000
wait_for 20 device_has "$SERIAL" os_version "$FROM" || fail "the camera did not enroll and report"
DEVICE=$(cc device find "$SERIAL")
grep -E "generated a new device key|enrolled as|reported AXIS OS" "$WORK/cam.log" | sed 's/^.*INFO: /  agent: /'
echo "cloud sees device $DEVICE: serial $SERIAL, AXIS OS $(device_field "$SERIAL" os_version), online=$(device_field "$SERIAL" online)"

say "Enrolled: the preloaded license activates by itself"
cc license wait "$PRELOADED" active 60 | sed 's/^/  cloud: /' || fail "the preloaded license was not activated"
grep -E "license .* -> active" "$WORK/cam.log" | sed 's/^.*INFO: /  agent: /'
cmp -s "$WORK/analytics.xml" "$WORK/cam/licenses/4711.key" &&
	echo "the camera holds exactly the vendor's key file"

say "An extension license: the vendor's key is redeemed into the wallet and allocated to this camera"
CAMVENDOR="$ROOT/$BUILD/camvendor"
"$CAMVENDOR" keygen --key "$WORK/vendor.key" --pub "$WORK/vendor.pub" >/dev/null
PRODUCT=$(cc product register "$ORG" "Acme Plate Reader" 4712 --types extension \
	--public-key "$WORK/vendor.pub")
LICENSE_KEY=$("$CAMVENDOR" mint --key "$WORK/vendor.key" --app 4712 --type extension --count 5)
echo "product $PRODUCT (application id 4712); the vendor signs a key for 5 extension licenses"
echo "redeemed: $(cc key redeem "$ORG" "$LICENSE_KEY" | jget 'j["added"]["extension"]') extension licenses into the wallet"
key_file "$WORK/plates.xml" "$SERIAL" 4712
EXTENSION=$(cc extension allocate "$PRODUCT" "$SERIAL" --key-file "$WORK/plates.xml" | jget 'j["license_id"]')
cc license wait "$EXTENSION" active 60 | sed 's/^/  cloud: /' || fail "the extension license was not activated"
echo "left in the wallet: $(cc product show "$PRODUCT" | jget 'j["wallet"]["counts"]["extension"]') extension licenses"
cmp -s "$WORK/plates.xml" "$WORK/cam/licenses/4712.key" &&
	echo "the camera holds the vendor's key file for application 4712 too"

say "Admin registers AXIS OS $TO for $MODEL and triggers an upgrade of this camera"
"$MKIMAGE" "$WORK/AXIS_OS_$TO.bin" "$MODEL" "$TO" $((8 * 1024 * 1024)) ok
IMAGE=$(cc image add "$MODEL" "$TO" "$WORK/AXIS_OS_$TO.bin")
TASK=$(cc task create "$DEVICE" "$IMAGE")
KEPT=$(cc image list --model "$MODEL" | jget "[i['sha256'] for i in j['images'] if i['id'] == '$IMAGE'][0]")
[ "$KEPT" = "$(sha256sum "$WORK/AXIS_OS_$TO.bin" | cut -d' ' -f1)" ] || fail "the cloud keeps other bytes"
echo "image $IMAGE (8 MiB) streamed to the cloud in 1 MiB chunks (POST /admin/v1/uploads," \
	"PUT each, finish): its SHA-256 ${KEPT:0:16}... is the file's"
echo "task $TASK (the camera downloads at up to 3 MB/s: a metered link)"
cc task wait "$TASK" succeeded 90 | sed 's/^/  cloud: /' || fail "the upgrade did not succeed"
grep -E "task .*->|rebooting|rebooting into|outcome" "$WORK/cam.log" | sed 's/^.*INFO: /  agent: /'
wait_for 20 device_has "$SERIAL" os_version "$TO" || fail "the cloud did not see AXIS OS $TO"
echo "cloud sees device $DEVICE now running AXIS OS $(device_field "$SERIAL" os_version)"

say "What the camera itself says (camagent status)"
"$CAMAGENT" status --state-dir "$WORK/cam/agent" | sed 's/^/  /'

say "History: who did what, from where"
cc history --csv | awk -F, 'NR > 1 && NR < 10 { printf "  %-18s %-20s from %s\n", $3, ($5 == "" ? "(the camera)" : $5), $7 }'

say "Stopping"
agent_stop
cloud_stop
echo "demo complete: enrolled, preloaded license active at enrollment, extension license redeemed, allocated and active, reported $FROM, upgraded to $TO across a reboot"
