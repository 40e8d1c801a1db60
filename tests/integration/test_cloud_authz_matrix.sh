#!/usr/bin/env bash
# The authorization matrix (tests/integration/authz_matrix.txt): every admin endpoint ×
# every role (owner, admin, operator, viewer, an API token capped to viewer, no
# credentials) × an object in a granted folder, in a folder outside the grants and in
# another organization, each cell with its exact status; and what each list (and a job
# for a model's recommended image) takes in for whom. The three cameras are real agents
# enrolled into the three folders.
set -u
. "$(dirname "$0")/../lib.sh"
MATRIX="$ROOT/tests/integration/authz_matrix.py"
MODEL=P3265-LVE

cloud_start || { echo "FAIL cloud_start"; exit 1; }
"$MKIMAGE" "$WORK/good.bin" "$MODEL" 12.0.1 $((256 * 1024)) ok
# the licensing and catalog rows: a vendor key pair and an application package
export MATRIX_CAMVENDOR="$ROOT/$BUILD/camvendor" MATRIX_VENDOR_KEY="$WORK/vendor.key"
export MATRIX_VENDOR_PUB="$WORK/vendor.pub" MATRIX_EAP="$WORK/matrix.eap"
"$MATRIX_CAMVENDOR" keygen --key "$MATRIX_VENDOR_KEY" --pub "$MATRIX_VENDOR_PUB" >/dev/null
bash "$ROOT/tests/tools/mkeap.sh" "$MATRIX_EAP" analytics 1.0.0 aarch64 --signed
STATE="$WORK/matrix.json"
python3 "$MATRIX" setup "$CLOUD_URL" "$(cat "$CLOUD_DATA/admin.token")" "$STATE" "$WORK/good.bin" \
	>"$WORK/enroll.txt" || { echo "FAIL matrix_setup"; exit 1; }
n=0
while read -r target token; do
	n=$((n + 1))
	camera_create "cam_$target" "ACCC8E00A00$n" "$MODEL" 11.11.73
	agent_start "cam_$target" --token "$token" --set long_poll_s=20
done <"$WORK/enroll.txt"
enrolled() { [ "$(grep -c '^enrollment: *enrolled' <(for t in in out other; do agent_status "cam_$t"; done))" = 3 ]; }
check matrix_cameras_enrolled wait_for 30 enrolled
python3 "$MATRIX" objects "$STATE" || { echo "FAIL matrix_objects"; exit 1; }
# every list by organization and by grant, and the recommended-image job's selection
python3 "$MATRIX" lists "$STATE"
python3 "$MATRIX" run "$STATE" "$ROOT/tests/integration/authz_matrix.txt" | tee "$WORK/matrix.out" | grep -v '^PASS'
check matrix_every_cell_passes not grep -q '^FAIL' "$WORK/matrix.out"
ROWS=$(grep -cv '^#\|^$' "$ROOT/tests/integration/authz_matrix.txt")
echo "matrix: $(grep -c '^PASS' "$WORK/matrix.out") of $((ROWS * 18)) cells pass ($ROWS endpoints)"
check matrix_has_every_cell test "$(grep -c '^PASS' "$WORK/matrix.out")" = $((ROWS * 18))
finish
