#!/usr/bin/env bash
# Products, the wallet, license keys and subscriptions through the real server, with
# the clock moved by `camcloud serve --test-clock FILE` (docs/licenses.md names the
# rules each case checks). Keys are minted by the vendor tool, tools/camvendor; the
# cloud only ever sees the vendor's public key.
set -u
. "$(dirname "$0")/../lib.sh"
CAMVENDOR="$ROOT/$BUILD/camvendor"
APP=com.example.plates
CLOCK="$WORK/clock"
SERIAL=ACCC8E00W001

at() { date -u -d "$1" +%s >"$CLOCK.tmp" && mv "$CLOCK.tmp" "$CLOCK"; }
vendor_key() { "$CAMVENDOR" keygen --key "$WORK/$1.key" --pub "$WORK/$1.pub"; }
mint() { "$CAMVENDOR" mint --key "$WORK/$1.key" --app "$2" "${@:3}"; }
prod() { cc product show "$PRODUCT" | jget "$1"; }
counts() { prod '"%d/%d" % (j["wallet"]["counts"]["subscription"], j["wallet"]["counts"]["extension"])'; }
refused() { # refused WHY CMD...: the command fails and says WHY
	local out
	out=$("${@:2}" 2>&1) && return 1
	grep -qF "$1" <<<"$out" || { echo "said: $out"; return 1; }
}
history_has() { cc history | grep -qF "$1"; }

# The clock file is absent at first: the cloud runs on real time while the camera enrolls.
cloud_start 0 --test-clock "$CLOCK" || { echo "FAIL cloud_start"; exit 1; }
ORG=$(cc org create "Org A")
ORG2=$(cc org create "Org B")
FOLDER=$(cc folder create "$ORG" "Lobby")
camera_create cam "$SERIAL" P3265-LVE 11.11.73
agent_start cam --token "$(cc token create "$FOLDER")" --set long_poll_s=20
check camera_enrolled wait_for 30 device_has "$SERIAL" folder Lobby
agent_stop
# From here on the cloud's clock is the file's: keys are redeemed on a leap day.
at 2028-02-29T12:00:00Z

# --- the vendor side: a key pair whose private half stays with the vendor
vendor_key vendor >"$WORK/keygen.out"
check vendor_private_key_0600 test "$(stat -c %a "$WORK/vendor.key")" = 600
check vendor_public_key_pem grep -q "BEGIN PUBLIC KEY" "$WORK/vendor.pub"
vendor_key other >/dev/null

# --- rule: a product must be registered in the organization before it is licensed
check register_refuses_private_key refused "public_key" \
	cc product register "$ORG" "Plates" "$APP" --types subscription,extension --public-key "$WORK/vendor.key"
echo "not a key" >"$WORK/bad.pub"
check register_refuses_non_pem refused "public_key" \
	cc product register "$ORG" "Plates" "$APP" --types subscription,extension --public-key "$WORK/bad.pub"
PRODUCT=$(cc product register "$ORG" "Plates" "$APP" --types subscription,extension --public-key "$WORK/vendor.pub")
check product_registered test "$(prod 'j["app_id"]')" = "$APP"
check product_registered_once refused "already registered" \
	cc product register "$ORG" "Plates again" "$APP" --types subscription --public-key "$WORK/vendor.pub"
PRODUCT2=$(cc product register "$ORG2" "Plates" "$APP" --types subscription --public-key "$WORK/vendor.pub")
check product_in_history history_has "product $PRODUCT: Plates ($APP), sells subscription,extension"
check wallet_empty test "$(counts)" = 0/0

# --- rule: redeeming a key adds all its licenses to the product's wallet, once
KEY=$(mint vendor "$APP" --type subscription --count 10 --type extension --count 2)
check redeem_adds_all test "$(cc key redeem "$ORG" "$KEY" | jget '"%d/%d" % (j["added"]["subscription"], j["added"]["extension"])')" = 10/2
check wallet_counts_by_type test "$(counts)" = 10/2
check redeem_in_history history_has "redeemed for Plates ($APP): 10 subscription, 2 extension"
check redeem_twice_refused refused "was already redeemed on" cc key redeem "$ORG" "$KEY"
check redeem_twice_says_this_org refused "in this organization" cc key redeem "$ORG" "$KEY"
check redeem_elsewhere_refused refused "in another organization" cc key redeem "$ORG2" "$KEY"
check redeem_twice_adds_nothing test "$(counts)" = 10/2
check redeem_bad_signature_refused refused "not signed by the vendor key" \
	cc key redeem "$ORG" "$(mint other "$APP" --type subscription --count 5)"
check redeem_unregistered_product_refused refused "not registered in this organization" \
	cc key redeem "$ORG" "$(mint vendor com.example.other --type subscription --count 5)"
TAMPERED=$(python3 -c '
import base64, json, sys
p, s = sys.argv[1].split(".")
d = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
d["licenses"][0]["count"] = 1000
d["key_id"] = "0" * 32
print(base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=") + "." + s)' "$KEY")
check redeem_tampered_refused refused "not signed by the vendor key" cc key redeem "$ORG" "$TAMPERED"
check redeem_garbage_refused refused "not a license key" cc key redeem "$ORG" "garbage"
check redeem_type_not_sold_refused refused "sells no extension licenses" \
	cc key redeem "$ORG2" "$(mint vendor "$APP" --type extension --count 1)"
echo "$(mint vendor "$APP" --type subscription --count 1)" >"$WORK/key.txt"
check redeem_from_file test "$(cc key redeem "$ORG2" "@$WORK/key.txt" | jget 'j["added"]["subscription"]')" = 1

# --- rule: an extension license is allocated to one specific device (by serial)
check extension_unknown_serial_refused refused "no enrolled device" cc extension allocate "$PRODUCT" NOSUCHSERIAL
EXT=$(cc extension allocate "$PRODUCT" "$SERIAL")
check extension_allocated test "$(jget 'j["serial"]' <<<"$EXT")" = "$SERIAL"
LIC=$(jget 'j["license_id"]' <<<"$EXT")
check extension_granted_to_serial test "$(cc license list | jget '[(l["serial"], l["app"], l["kind"]) for l in j["licenses"] if l["id"] == "'"$LIC"'"]')" \
	= "[('$SERIAL', '$APP', 'extension')]"
check extension_taken_from_wallet test "$(counts)" = 10/1
check extension_listed test "$(prod '[a["serial"] for a in j["extension_allocations"]]')" = "['$SERIAL']"
check extension_in_history history_has "an extension license of Plates ($APP) allocated to $SERIAL"
# the vendor's key file goes with the allocation; one for other hardware takes nothing
key_file "$WORK/other.xml" ACCC8E000001 4712
check extension_key_file_of_other_hardware_refused refused "for another serial or application" \
	cc extension allocate "$PRODUCT" "$SERIAL" --key-file "$WORK/other.xml"
check extension_refused_takes_nothing test "$(counts)" = 10/1
cc extension allocate "$PRODUCT" "$SERIAL" >/dev/null
check extension_wallet_short refused "holds no extension licenses" cc extension allocate "$PRODUCT" "$SERIAL"

# --- rule: starting a subscription opens a 30-day grace period (from a leap day)
check start_says_started test "$(cc subscription start "$PRODUCT" | jget 'j["status"] + " " + j["grace_end_date"]')" \
	= "subscription started 2028-03-30"
check status_started test "$(prod 'j["subscription"]["status"]')" = "subscription started"
check status_grace_end test "$(prod 'j["subscription"]["grace_end_date"]')" = 2028-03-30
check renewal_leap_day test "$(prod 'j["subscription"]["renewal_date"]')" = 2029-02-28
check start_once refused "started on 2028-02-29" cc subscription start "$PRODUCT"
check start_in_history history_has "subscription of Plates ($APP) started; grace period ends 2028-03-30"

# --- rule: allocation from the wallet; confirmation impossible when the wallet is short
check allocate_short_refused refused "10 short" cc subscription allocate "$PRODUCT" 20
check allocate_short_dry_run test "$(cc subscription allocate "$PRODUCT" 20 --dry-run | jget '(j["allowed"], j["shortfall"])')" \
	= "(False, 10)"
check allocate_in_grace test "$(cc subscription allocate "$PRODUCT" 4 | jget '(j["licenses"], j["credited"], j["status"])')" \
	= "(4, 0, 'fully licensed')"
check allocate_takes_from_wallet test "$(counts)" = 6/0
check allocate_in_history history_has "4 subscription licenses of Plates allocated to the year 2028-02-29 to 2029-02-28; 0 credited back"

# --- rule: allocating after the grace period keeps the dates and credits the time gone
at 2028-08-30T12:00:00Z
check late_allocation_credits test "$(cc subscription allocate "$PRODUCT" 4 | jget '(j["licenses"], j["credited"], j["year_start"])')" \
	= "(4, 2, $(date -u -d 2028-02-29T12:00:00Z +%s))"
check late_allocation_keeps_dates test "$(prod 'j["subscription"]["renewal_date"]')" = 2029-02-28
check credit_back_in_wallet test "$(counts)" = 4/0
check allocated_this_year test "$(prod 'j["subscription"]["allocated"]')" = 8

# --- rule: renewal opens a new grace period; allocate within 30 days; up to 5 years ahead
at 2029-03-01T00:00:00Z
check renewal_due test "$(prod '(j["subscription"]["status"], j["subscription"]["year"], j["subscription"]["grace_end_date"])')" \
	= "('renewal due', 1, '2029-03-30')"
check ahead_six_years_refused refused "up to 5 years ahead" cc subscription allocate "$PRODUCT" 1 --ahead 6
check ahead_five_years test "$(cc subscription allocate "$PRODUCT" 1 --ahead 5 | jget 'j["year"]')" = 6
check ahead_listed test "$(prod '[(a["year"], a["licenses"]) for a in j["subscription"]["allocations"]]')" = "[(6, 1)]"
check renewal_allocated test "$(cc subscription allocate "$PRODUCT" 2 | jget 'j["status"]')" = "fully licensed"

# --- rule: licenses are stored up to 5 years from redemption, then lapse
check lapse_date_five_years test "$(prod '[l["state"] for l in j["wallet"]["lots"]][0]')" = "held until 2033-02-28"
at 2033-02-01T00:00:00Z
check lapsing_listed grep -qF "subscription: lapsing on 2033-02-28" <(cc wallet show "$ORG")
at 2034-01-01T00:00:00Z
check lapsed_not_counted test "$(counts)" = 0/0
check lapsed_listed grep -qF "lapsed on" <(cc wallet show "$ORG")
check lapsed_allocation_refused refused "fewer licenses" cc subscription allocate "$PRODUCT" 1 --ahead 1

# --- the current need: enrolled devices of the organization running the product (the
# device report fills the application inventory, device_apps, as test_cloud_apps.sh
# shows through a simulated camera; here, to set `since` across years without a camera
# per device, the test writes the inventory rows a report would)
ORG3=$(cc org create "Org C")
FOLDER3=$(cc folder create "$ORG3" "Yard")
COUNTER=4713
# running N SINCE: N more devices of Org C report the counter running since SINCE
NDEV=0
running() {
	local i id since
	since=$(date -u -d "$2" +%s)
	for ((i = 0; i < $1; i++)); do
		NDEV=$((NDEV + 1))
		id=$(printf 'c0ffee%026x' "$NDEV")
		cloud_sql "INSERT INTO devices (id, org_id, folder_id, serial, model, hardware_id, arch,
			public_key, key_fp, os_version, agent_version, created_at) VALUES ('$id', '$ORG3',
			'$FOLDER3', 'SER$NDEV', 'P3265-LVE', 'hw', 'aarch64', 'pk', 'fp', '11.11.73', '0.1.0', $since);
			INSERT INTO device_apps (device_id, name, version, vendor, running, license_state,
			license_exp, app_id, since) VALUES ('$id', 'counter', '1.0', 'V', 1, 'None', 0,
			'$COUNTER', $since)"
	done
}
cnt() { cc product show "$CP" | jget "$1"; }
at 2030-12-20T08:00:00Z
CP=$(cc product register "$ORG3" "Counter" "$COUNTER" --types subscription --public-key "$WORK/vendor.pub")
cc key redeem "$ORG3" "$(mint vendor "$COUNTER" --type subscription --count 5)" >/dev/null
running 6 2030-12-01
check need_grace_across_year_end test "$(cc subscription start "$CP" | jget 'j["grace_end_date"]')" = 2031-01-19
check need_reported test "$(cnt '(j["subscription"]["need"], j["subscription"]["usage"], j["subscription"]["status"])')" \
	= "(6, 6, 'subscription started')"
check need_wallet_short_refused refused "fewer licenses than the current need: 1 short (wallet 5, current need 6)" \
	cc subscription allocate "$CP" 6
check need_dry_run_says_why test "$(cc subscription allocate "$CP" 6 --dry-run | jget '(j["allowed"], j["why"], j["shortfall"])')" \
	= "(False, 'the wallet holds fewer licenses than the current need', 1)"
cc key redeem "$ORG3" "$(mint vendor "$COUNTER" --type subscription --count 3)" >/dev/null
check need_below_refused refused "fewer licenses than the current need" cc subscription allocate "$CP" 5
check need_matched_fully_licensed test "$(cc subscription allocate "$CP" 6 | jget 'j["status"]')" = "fully licensed"
at 2031-03-01T08:00:00Z
running 4 2031-03-01
check added_devices_not_in_this_year_need test "$(cnt '(j["subscription"]["need"], j["subscription"]["usage"], j["subscription"]["status"])')" \
	= "(6, 10, 'fully licensed')"
running 3 2031-03-01
check growth_allowance_exceeded test "$(cnt 'j["subscription"]["status"]')" = "growth allowance exceeded"
check growth_flags_organization test "$(cc product list "$ORG3" | jget 'j["organization_flagged"]')" = True
check growth_other_org_not_flagged test "$(cc product list "$ORG" | jget 'j["organization_flagged"]')" = False
check growth_allocation_clears test "$(cc subscription allocate "$CP" 1 | jget 'j["status"]')" = "fully licensed"
check growth_unflagged test "$(cc product list "$ORG3" | jget 'j["organization_flagged"]')" = False
at 2031-12-21T08:00:00Z
check added_devices_join_renewal_need test "$(cnt '(j["subscription"]["year"], j["subscription"]["need"], j["subscription"]["status"])')" \
	= "(1, 13, 'renewal due')"
check renewal_wallet_short refused "current need: 12 short (wallet 1, current need 13)" cc subscription allocate "$CP" 13

# --- another organization's product of the same application keeps its own wallet
check other_org_wallet test "$(cc product show "$PRODUCT2" | jget 'j["wallet"]["counts"]["subscription"]')" = 1

# --- archiving (orgs.archived, the organization lifecycle's) makes its subscriptions
# unusable: an archived organization is never found again, nor are its products
check archived_before_usable test "$(cc product show "$CP" | jget 'j["archived"]')" = False
cc org archive "$ORG3" --confirm-id "$ORG3" --risk-understood >/dev/null
check archived_subscription_unusable refused "no such resource" cc subscription allocate "$CP" 1
check archived_product_not_found refused "no such resource" cc product show "$CP"
check archived_key_not_redeemable refused "no such resource" \
	cc key redeem "$ORG3" "$(mint vendor "$COUNTER" --type subscription --count 1)"
finish
