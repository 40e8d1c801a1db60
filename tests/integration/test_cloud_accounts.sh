#!/usr/bin/env bash
# Accounts end to end (docs/admin-api.md): the bootstrap token makes the first owner and
# is refused from then on; e-mail spelling; Argon2id hashes; sessions (cookie flags,
# CSRF, sign-out); sign-in throttled per account and per address; TOTP MFA with
# recovery codes; an organization that requires MFA; personal API tokens (role cap,
# revoke, expiry); roles (at least one owner, changes count at once); `camcloud login`.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_accounts.sh"

CLOCK="$WORK/clock"
NOW=1700000000
echo $NOW >"$CLOCK"
export TOTP_NOW=$NOW
tick() { NOW=$((NOW + $1)); echo $NOW >"$CLOCK"; TOTP_NOW=$NOW; }
CLOUD_ARGS="--test-clock $CLOCK" cloud_start || { echo "FAIL cloud_start"; exit 1; }
PW='correct horse battery'

# --- bootstrap: the first account is an owner, made with the admin token
check first_signup_needs_bootstrap test "$(signup owner@example.com "$PW" "Org A" | cut -d' ' -f1)" = 401
OUT=$(signup Owner@Example.COM "$PW" "Org A" boot)
check first_signup_creates_owner test "$(echo "$OUT" | cut -d' ' -f1)" = 200
ORG=$(echo "$OUT" | jfield 'j["org"]["id"]')
check email_case_folded test "$(echo "$OUT" | jfield 'j["user"]["email"]')" = owner@example.com
check bootstrap_disabled_after_owner test "$(status boot GET /admin/v1/orgs)" = 401
check bootstrap_disabled_says_why grep -q "disabled now that an owner account exists" <(api boot GET /admin/v1/orgs)
check email_unique test "$(signup OWNER@example.com "$PW" | cut -d' ' -f1)" = 409
check short_password_refused test "$(signup short@example.com short | cut -d' ' -f1)" = 400
if [ -f "$CLOUD_DATA/camcloud.db" ]; then
	HASHES=$(sqlite3 "$CLOUD_DATA/camcloud.db" "SELECT password_hash FROM users")
	check password_argon2id_with_parameters grep -q '^\$argon2id\$v=19\$m=19456,t=2,p=1\$' <<<"$HASHES"
	check password_not_stored not grep -qF "$PW" "$CLOUD_DATA/camcloud.db"
fi

# --- sessions: cookie flags, CSRF on state-changing requests, /me, sign-out
check signin_wrong_password test "$(signin_as bad owner@example.com 'wrong password!' | cut -d' ' -f1)" = 401
check signin_ok test "$(signin_as own owner@example.com "$PW" | cut -d' ' -f1)" = 200
COOKIE=$(grep -i '^set-cookie:' "$WORK/own.headers")
for flag in HttpOnly Secure SameSite=Strict Path=/admin/v1; do
	check "session_cookie_$flag" grep -q "$flag" <<<"$COOKIE"
done
check me_lists_membership test "$(api ses:own GET /admin/v1/me | jfield '[(m["org_name"], m["role"]) for m in j["memberships"]]')" = "[('Org A', 'owner')]"
check me_returns_csrf test "$(api ses:own GET /admin/v1/me | jfield 'j["csrf_token"]')" = "$(cat "$WORK/own.csrf")"
NOCSRF=$(curl -s -o /dev/null -w '%{http_code}' -b "$WORK/own.cookies" -H 'Content-Type: application/json' \
	--data-binary "{\"org_id\":\"$ORG\",\"name\":\"Lobby\"}" "$CLOUD_URL/admin/v1/folders")
check csrf_required_on_post test "$NOCSRF" = 403
LOBBY=$(api ses:own POST /admin/v1/folders "{\"org_id\":\"$ORG\",\"name\":\"Lobby\"}" | jfield 'j["id"]')
check csrf_header_accepted test -n "$LOBBY"
SITE=$(api ses:own POST /admin/v1/folders "{\"org_id\":\"$ORG\",\"name\":\"Site\"}" | jfield 'j["id"]')
signin_as gone owner@example.com "$PW" >/dev/null
check signout_ok test "$(status ses:gone POST /admin/v1/signout)" = 200
check signed_out_session_refused test "$(status ses:gone GET /admin/v1/me)" = 401
tick $((31 * 60))
check session_idle_timeout test "$(status ses:own GET /admin/v1/me)" = 401
signin_as own owner@example.com "$PW" >/dev/null

# --- throttling: per account, then per source address; exponential and bounded
for i in 1 2 3 4; do signin_as t target@example.com 'wrong password!' >/dev/null; done
signup target@example.com "$PW" >/dev/null
check throttle_per_account test "$(signin_as t target@example.com "$PW" | cut -d' ' -f1)" = 429
check throttle_retry_after grep -qi '^retry-after: 1' "$WORK/t.headers"
tick 1
check throttle_lifts_after_wait test "$(signin_as t target@example.com 'wrong password!' | cut -d' ' -f1)" = 401
check throttle_doubles test "$(signin_as t target@example.com "$PW" | cut -d' ' -f1)" = 429
check throttle_doubles_retry_after grep -qi '^retry-after: 2' "$WORK/t.headers"
tick 2
check throttle_success_after_wait test "$(signin_as t target@example.com "$PW" | cut -d' ' -f1)" = 200
# the address (all of these come from 127.0.0.1) counted every failure too: other
# accounts from it wait as well, until a success cleared it above
for i in 1 2 3 4; do signin_as t "nobody$i@example.com" 'wrong password!' >/dev/null; done
check throttle_per_address test "$(signin_as t fresh@example.com 'wrong password!' | cut -d' ' -f1)" = 429
tick 2
check signin_failure_in_members_org_history grep -q "sign-in of owner@example.com from 127.0.0.1 refused" \
	<(api ses:own GET "/admin/v1/history?org_id=$ORG&kind=user.signin_failed")

# --- MFA: enrol (secret, otpauth URI), confirm, required at sign-in, recovery codes
ENROLL=$(api ses:own POST /admin/v1/me/mfa/enroll "{\"password\":\"$PW\"}")
SECRET=$(echo "$ENROLL" | jfield 'j["secret"]')
check mfa_enroll_uri grep -q "otpauth://totp/camcloud%3Aowner%40example.com?secret=$SECRET&issuer=camcloud" <<<"$ENROLL"
check mfa_confirm_wrong_code test "$(status ses:own POST /admin/v1/me/mfa/confirm '{"code":"000000"}')" = 400
CONF=$(api ses:own POST /admin/v1/me/mfa/confirm "{\"code\":\"$(totp "$SECRET")\"}")
check mfa_confirm_ten_recovery_codes test "$(echo "$CONF" | jfield 'len(set(j["recovery_codes"]))')" = 10
RECOVERY=$(echo "$CONF" | jfield 'j["recovery_codes"][0]')
tick 30
check mfa_required_at_signin grep -q '"mfa_required"' <(signin_as m owner@example.com "$PW")
check mfa_wrong_code_refused test "$(signin_as m owner@example.com "$PW" 123456 | cut -d' ' -f1)" = 401
tick 30 # the wrong code counted against the account and the address
CODE=$(totp "$SECRET")
check mfa_signin_with_totp test "$(signin_as m owner@example.com "$PW" "$CODE" | cut -d' ' -f1)" = 200
check mfa_code_not_replayed test "$(signin_as m2 owner@example.com "$PW" "$CODE" | cut -d' ' -f1)" = 401
check mfa_previous_step_window test "$(signin_as m3 owner@example.com "$PW" "$(totp "$SECRET" 1)" | cut -d' ' -f1)" = 200
rbody() { echo "{\"email\":\"owner@example.com\",\"password\":\"$PW\",\"recovery_code\":\"$1\"}"; }
check mfa_recovery_code_works test "$(status none POST /admin/v1/signin "$(rbody "$RECOVERY")")" = 200
check mfa_recovery_code_once test "$(status none POST /admin/v1/signin "$(rbody "$RECOVERY")")" = 401
tick 60 # past the step the last code took
check mfa_session_again test "$(signin_as own owner@example.com "$PW" "$(totp "$SECRET")" | cut -d' ' -f1)" = 200

# --- members and roles; changes take effect at once, also for open sessions
signup bob@example.com "$PW" >/dev/null
BOB=$(api ses:own POST "/admin/v1/orgs/$ORG/members" '{"email":"Bob@example.com"}' | jfield 'j["user_id"]')
check member_added_as_viewer test "$(api ses:own GET "/admin/v1/orgs/$ORG/members" | jfield "[m['role'] for m in j['members'] if m['user_id'] == '$BOB']")" = "['viewer']"
signin_as bob bob@example.com "$PW" >/dev/null
check viewer_cannot_make_folders test "$(status ses:bob POST /admin/v1/folders "{\"org_id\":\"$ORG\",\"name\":\"X\"}")" = 403
check viewer_reads_members test "$(status ses:bob GET "/admin/v1/orgs/$ORG/members")" = 200
check viewer_cannot_change_roles test "$(status ses:bob POST "/admin/v1/orgs/$ORG/members/$BOB/role" '{"role":"admin"}')" = 403
check role_change_ok test "$(status ses:own POST "/admin/v1/orgs/$ORG/members/$BOB/role" '{"role":"admin"}')" = 200
check role_change_effective_at_once test "$(status ses:bob POST /admin/v1/folders "{\"org_id\":\"$ORG\",\"name\":\"Y\"}")" = 200
OWNER_ID=$(api ses:own GET /admin/v1/me | jfield 'j["user"]["id"]')
check admin_cannot_touch_owner test "$(status ses:bob POST "/admin/v1/orgs/$ORG/members/$OWNER_ID/role" '{"role":"viewer"}')" = 403
check admin_cannot_make_owner test "$(status ses:bob POST "/admin/v1/orgs/$ORG/members/$BOB/role" '{"role":"owner"}')" = 403
check last_owner_stays test "$(status ses:own POST "/admin/v1/orgs/$ORG/members/$OWNER_ID/role" '{"role":"admin"}')" = 409
check last_owner_not_removed test "$(status ses:own DELETE "/admin/v1/orgs/$ORG/members/$OWNER_ID")" = 409
check ownership_by_promotion test "$(status ses:own POST "/admin/v1/orgs/$ORG/members/$BOB/role" '{"role":"owner"}')" = 200
check former_owner_steps_down test "$(status ses:own POST "/admin/v1/orgs/$ORG/members/$OWNER_ID/role" '{"role":"admin"}')" = 200
check new_owner_restores test "$(status ses:bob POST "/admin/v1/orgs/$ORG/members/$OWNER_ID/role" '{"role":"owner"}')" = 200
check operator_grants_set test "$(api ses:own POST "/admin/v1/orgs/$ORG/members/$BOB/role" '{"role":"operator"}' >/dev/null;
	api ses:own POST "/admin/v1/orgs/$ORG/members/$BOB/grants" "{\"folder_ids\":[\"$LOBBY\"]}" | jfield '[g["folder_id"] for g in j["grants"]]')" = "['$LOBBY']"
check operator_sees_granted_folders test "$(api ses:bob GET "/admin/v1/folders?org_id=$ORG" | jfield '[f["name"] for f in j["folders"]]')" = "['Lobby']"
check operator_folder_out_of_grant test "$(status ses:bob GET "/admin/v1/enrollment-tokens?folder_id=$SITE")" = 404

# --- personal API tokens: capped role, revocable, expiring
TOK=$(api_token ses:bob "$ORG" viewer)
check api_token_prefix grep -q '^cct_' <<<"$TOK"
check api_token_reads test "$(status "tok:$TOK" GET "/admin/v1/folders?org_id=$ORG")" = 200
check api_token_role_capped test "$(status "tok:$TOK" POST "/admin/v1/tokens" '{}')" = 404
check api_token_viewer_cannot_operate test "$(status "tok:$TOK" POST /admin/v1/jobs '{"recommended_model":"M"}')" = 403
check api_token_not_above_user test "$(status ses:bob POST /admin/v1/me/api-tokens "{\"org_id\":\"$ORG\",\"role\":\"admin\"}")" = 403
check api_token_no_csrf_needed test "$(status "tok:$TOK" GET /admin/v1/me)" = 200
TID=$(api "tok:$TOK" GET /admin/v1/me | jfield 'j["token_id"]')
check api_token_me_says_capped_role test "$(api "tok:$TOK" GET /admin/v1/me | jfield '[m["role"] for m in j["memberships"]]')" = "['viewer']"
check api_token_listed test "$(api ses:bob GET /admin/v1/me/api-tokens | jfield '[t["role"] for t in j["tokens"]]')" = "['viewer']"
check api_token_secret_not_listed not grep -qF "${TOK#cct_}" <(api ses:bob GET /admin/v1/me/api-tokens)
check api_token_revoke test "$(status ses:bob POST "/admin/v1/me/api-tokens/$TID/revoke")" = 200
check api_token_revoked_refused test "$(status "tok:$TOK" GET /admin/v1/me)" = 401
SHORT=$(api ses:bob POST /admin/v1/me/api-tokens "{\"org_id\":\"$ORG\",\"expires_in\":60}" | jfield 'j["token"]')
check api_token_works_before_expiry test "$(status "tok:$SHORT" GET /admin/v1/me)" = 200
tick 61
check api_token_expired_refused test "$(status "tok:$SHORT" GET /admin/v1/me)" = 401
signin_as bob bob@example.com "$PW" >/dev/null
signin_as own owner@example.com "$PW" "$(totp "$SECRET")" >/dev/null

# --- an organization that requires MFA refuses members without it
check require_mfa_set test "$(status ses:own POST "/admin/v1/orgs/$ORG/settings" '{"require_mfa":true}')" = 200
OUT=$(api ses:bob GET "/admin/v1/folders?org_id=$ORG")
check require_mfa_refuses_member grep -q '"mfa_enrollment_required"' <<<"$OUT"
grep -q '"mfa_enrollment_required"' <<<"$OUT" || echo "got: $OUT"
check require_mfa_says_enrol grep -q 'enrol at' <<<"$OUT"
check require_mfa_me_open test "$(status ses:bob GET /admin/v1/me)" = 200
check require_mfa_member_with_mfa_ok test "$(status ses:own GET "/admin/v1/folders?org_id=$ORG")" = 200
api ses:own POST "/admin/v1/orgs/$ORG/settings" '{"require_mfa":false}' >/dev/null

# --- camcloud login: an API token in a 0600 file that later commands use
echo "$PW" >"$WORK/bob.pw"
export CAMCLOUD_TOKEN_FILE="$WORK/cfg/token"
check cli_login "$CAMCLOUD" --url-file "$WORK/cloud.url" login --email bob@example.com --password-file "$WORK/bob.pw"
check cli_token_file_0600 test "$(stat -c %a "$CAMCLOUD_TOKEN_FILE")" = 600
check cli_uses_token test "$("$CAMCLOUD" --url-file "$WORK/cloud.url" org list | python3 -c 'import json,sys; print([o["name"] for o in json.load(sys.stdin)["orgs"]])')" = "['Org A']"
check cli_history_csv grep -q '^seq,at,action,user_id,email,token_id,peer,org_id,folder_id,device_id,detail' \
	<("$CAMCLOUD" --url-file "$WORK/cloud.url" history --csv)
check history_records_who grep -q ",member.role,$OWNER_ID,owner@example.com,,127.0.0.1,$ORG,,," \
	<(api ses:own GET "/admin/v1/history?org_id=$ORG&kind=member&format=csv")
check history_operator_sees_own_folders_only not grep -q "member.role" \
	<("$CAMCLOUD" --url-file "$WORK/cloud.url" history --csv)
unset CAMCLOUD_TOKEN_FILE
finish
