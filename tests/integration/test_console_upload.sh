#!/usr/bin/env bash
# The console's upload form in a real browser (tests/browser/console_upload.mjs): an owner
# streams a package and a multi-chunk image into the catalog through the upload API with a
# progress bar; a viewer is refused. The catalog is then checked from the CLI: the bytes
# it keeps are the files'.
# check: alone (a browser)
set -u
. "$(dirname "$0")/../lib.sh"

ARTIFACTS="$ROOT/$BUILD/artifacts/console-upload"
NODE_DIR="$ROOT/$BUILD/browser"
. "$ROOT/tests/browser/npm.sh"
browser_npm_ci "$NODE_DIR" || exit 1
cp "$ROOT"/tests/browser/console*.mjs "$NODE_DIR/"
rm -rf "$ARTIFACTS"
MODEL=P3265-LVE

cloud_start || { echo "FAIL cloud_start"; exit 1; }
echo "upload password 1" >"$WORK/pw"
ORG=$(cc user create-owner --email owner@upload.example --org-name "Upload Org" --password-file "$WORK/pw")
check owner_created test -n "$ORG"
python3 - "$CLOUD_URL" "$ORG" <<'PY' || echo "FAIL viewer_setup"
import json, sys, urllib.request
url, org = sys.argv[1], sys.argv[2]
def post(path, body, cookie=None, csrf=None):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    if cookie:
        req.add_header("Cookie", cookie)
        req.add_header("X-CSRF-Token", csrf)
    with urllib.request.urlopen(req) as r:
        return r, json.loads(r.read())
pw = "upload password 1"
post("/admin/v1/signup", {"email": "viewer@upload.example", "password": pw})
r, j = post("/admin/v1/signin", {"email": "owner@upload.example", "password": pw})
cookie = r.headers["Set-Cookie"].split(";")[0]
post("/admin/v1/orgs/%s/members" % org, {"email": "viewer@upload.example"}, cookie, j["csrf_token"])
PY
bash "$ROOT/tests/tools/mkeap.sh" "$WORK/analytics.eap" analytics 1.0.0 aarch64 --signed
"$MKIMAGE" "$WORK/os.bin" "$MODEL" 13.1.0 $((5 * 1024 * 1024 + 3)) ok

(cd "$NODE_DIR" && CONSOLE_URL="$CLOUD_URL" OWNER_EMAIL=owner@upload.example \
	VIEWER_EMAIL=viewer@upload.example PASSWORD="upload password 1" EAP="$WORK/analytics.eap" \
	IMAGE="$WORK/os.bin" MODEL="$MODEL" ARTIFACTS="$ARTIFACTS" \
	timeout 240 node console_upload.mjs) >"$WORK/browser.log" 2>&1
rc=$?
cat "$WORK/browser.log"
[ $rc = 0 ] || { echo "FAIL browser_run (exit $rc)"; FAILED=1; }
export CAMCLOUD_TOKEN_FILE="$WORK/api.token"
cc login --email owner@upload.example --password-file "$WORK/pw" >/dev/null
check package_in_catalog [ "$(cc app list | jget '[p["sha256"] for p in j["packages"]]')" = "['$(sha256sum "$WORK/analytics.eap" | cut -d' ' -f1)']" ]
check image_in_catalog [ "$(cc image list | jget '[i["sha256"] for i in j["images"] if i["version"] == "13.1.0"]')" = "['$(sha256sum "$WORK/os.bin" | cut -d' ' -f1)']" ]
check both_through_uploads [ "$(cloud_sql "SELECT COUNT(*) FROM uploads WHERE state = 'finished'")" = 2 ]
check screenshots_saved test -s "$ARTIFACTS/upload-image.png"
finish
