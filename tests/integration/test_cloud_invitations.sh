#!/usr/bin/env bash
# Invitations by e-mail with real processes and a local SMTP sink, one check per rule:
# only the viewer role may be invited (others refused with the reason), with the folders
# chosen at invitation; the mail arrives through the configured relay and its link
# opens the invitation; the token is single use and kept only hashed; pending
# invitations are listed and can be cancelled; they expire after 7 days (the test
# clock moves); an invitee without an account signs up with the invited address through
# the link, one with an account accepts while signed in.
set -u
. "$(dirname "$0")/../lib.sh"

echo $(( $(date +%s) )) >"$WORK/clock"
smtp_sink_start || { echo "FAIL smtp_sink_start"; exit 1; }
cloud_start 0 --smtp-url "$SMTP_URL" --mail-from "camcloud@example.test" \
	--test-clock "$WORK/clock" || { echo "FAIL cloud_start"; exit 1; }
jget() { python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
http() { admin_http "$@"; }
mails() { ls "$WORK/mails" 2>/dev/null | grep -c '\.eml$'; }
mails_are() { [ "$(mails)" = "$1" ]; }
# link N: the invitation link of mail N (1-based)
link() { grep -o 'http://[^ ]*/invitation?token=[0-9a-f]*' "$WORK/mails/$(printf %04d "$1").eml" | head -n 1; }
token_of() { echo "${1##*token=}"; }
public() { curl -s -o "$WORK/reply.json" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
	${3:+--data "$3"} "$2"; }
history_has() { cc history | grep -qF "$1"; }
quiet() { "$@" >/dev/null; }

ORG=$(cc org create "Acme Invites")
SITE=$(cc folder create "$ORG" "Site A")
HALL=$(cc folder create "$ORG" "Hall" --parent "$SITE")
OTHER_ORG=$(cc org create "Elsewhere")
FOREIGN=$(cc folder list "$OTHER_ORG" | jget 'j["folders"][0]["id"]')
INV="/admin/v1/orgs/$ORG/invitations"

# --- only viewers, with chosen folders
check invite_admin_role_refused test "$(http POST "$INV" \
	"{\"email\":\"a@example.test\",\"role\":\"admin\",\"folder_ids\":[\"$SITE\"]}")" = 400
check invite_refusal_says_why grep -q "limited to the viewer role, for security" "$WORK/reply.json"
check invite_operator_role_refused test "$(http POST "$INV" \
	"{\"email\":\"a@example.test\",\"role\":\"operator\",\"folder_ids\":[\"$SITE\"]}")" = 400
check invite_owner_role_refused test "$(http POST "$INV" \
	"{\"email\":\"a@example.test\",\"role\":\"owner\",\"folder_ids\":[\"$SITE\"]}")" = 400
check invite_needs_folders test "$(http POST "$INV" '{"email":"a@example.test"}')" = 400
check invite_foreign_folder_refused test "$(http POST "$INV" \
	"{\"email\":\"a@example.test\",\"folder_ids\":[\"$FOREIGN\"]}")" = 400
check invite_bad_email_refused test "$(http POST "$INV" \
	"{\"email\":\"not an address\",\"folder_ids\":[\"$SITE\"]}")" = 400
check invite_unknown_org test "$(http POST "/admin/v1/orgs/0123456789abcdef0123456789abcdef/invitations" \
	"{\"email\":\"a@example.test\",\"folder_ids\":[\"$SITE\"]}")" = 404
check invite_refusals_send_no_mail test "$(mails)" = 0

# --- the mail and its link
check invite_viewer test "$(http POST "$INV" \
	"{\"email\":\" New.Viewer@Example.TEST \",\"folder_ids\":[\"$SITE\",\"$HALL\"]}")" = 200
INVITE1=$(reply 'j["id"]')
check invite_address_spelled_once test "$(reply 'j["email"]')" = new.viewer@example.test
check invite_role_viewer test "$(reply 'j["role"]')" = viewer
check invite_folders_chosen test "$(reply 'sorted(j["folder_ids"])')" = "$(python3 -c "print(sorted(['$SITE','$HALL']))")"
check invite_expires_in_7_days test "$(reply 'j["expires_at"]')" = $(( $(cat "$WORK/clock") + 7 * 86400 ))
check invite_reply_has_no_token not grep -q token "$WORK/reply.json"
check invite_mail_arrives wait_for 20 mails_are 1
check invite_mail_to grep -q "^X-Sink-To: new.viewer@example.test" "$WORK/mails/0001.eml"
check invite_mail_from grep -q "^From: <camcloud@example.test>" "$WORK/mails/0001.eml"
check invite_mail_subject grep -q "^Subject: You are invited to Acme Invites" "$WORK/mails/0001.eml"
LINK1=$(link 1)
check invite_mail_has_link test -n "$LINK1"
check invite_link_opens test "$(public GET "$LINK1")" = 200
check invite_link_names_org test "$(reply 'j["org"]')" = "Acme Invites"
check invite_link_names_address test "$(reply 'j["email"]')" = new.viewer@example.test
check invite_mail_sent_in_history wait_for 10 history_has "to new.viewer@example.test sent after 1 attempt"
check invite_in_history history_has "new.viewer@example.test invited as viewer to 2 folders"
check invite_token_not_in_history not grep -q "$(token_of "$LINK1")" <(cc history)
check invite_token_not_logged not grep -q "$(token_of "$LINK1")" "$WORK/cloud.log"
if [ -z "${CAMCLOUD_STORE_BASE:-}" ]; then
	SHA=$(printf %s "$(token_of "$LINK1")" | sha256sum | cut -d' ' -f1)
	check invite_token_stored_hashed test "$(sqlite3 "$CLOUD_DATA/camcloud.db" \
		"SELECT COUNT(*) FROM invitations WHERE token_sha256 = '$SHA'")" = 1
	check invite_token_not_stored test "$(sqlite3 "$CLOUD_DATA/camcloud.db" \
		"SELECT COUNT(*) FROM invitations WHERE token_sha256 LIKE '%$(token_of "$LINK1")%'")" = 0
fi
check invite_wrong_token_unknown test "$(public GET "$CLOUD_URL/invitation?token=0123456789abcdef0123456789abcdef")" = 404
check invite_malformed_token_refused test "$(public GET "$CLOUD_URL/invitation?token=nope")" = 400
check invite_duplicate_pending_refused test "$(http POST "$INV" \
	"{\"email\":\"new.viewer@example.test\",\"folder_ids\":[\"$SITE\"]}")" = 409

# --- listed and cancellable
check invite_second test "$(http POST "$INV" "{\"email\":\"second@example.test\",\"folder_ids\":[\"$HALL\"]}")" = 200
INVITE2=$(reply 'j["id"]')
check invite_list_pending test "$(http GET "$INV")" = 200
check invite_list_both test "$(reply 'sorted((i["email"], i["state"]) for i in j["invitations"])')" \
	= "[('new.viewer@example.test', 'pending'), ('second@example.test', 'pending')]"
check invite_list_folders test "$(reply '[i["folder_ids"] for i in j["invitations"] if i["id"] == "'$INVITE2'"]')" = "[['$HALL']]"
check invite_list_no_token not grep -q token "$WORK/reply.json"
check invite_second_mail wait_for 20 mails_are 2
LINK2=$(link 2)
check invite_cancel test "$(http POST "/admin/v1/invitations/$INVITE2/cancel")" = 200
check invite_cancelled_link_refused test "$(public GET "$LINK2")" = 410
check invite_cancelled_not_listed test "$(http GET "$INV" >/dev/null; reply '[i["email"] for i in j["invitations"]]')" \
	= "['new.viewer@example.test']"
check invite_cancel_twice_refused test "$(http POST "/admin/v1/invitations/$INVITE2/cancel")" = 409
check invite_cancel_in_history history_has "invitation $INVITE2 of second@example.test cancelled"
CLI_INV=$(cc invitation create "$ORG" cli@example.test --folders "$SITE,$HALL")
check invite_cli_create test ${#CLI_INV} = 32
check invite_cli_listed test "$(cc invitation list "$ORG" | jget '[i["folder_ids"] for i in j["invitations"] if i["id"] == "'$CLI_INV'"]')" \
	= "$(python3 -c "print([sorted(['$SITE','$HALL'])])")"
check invite_cli_cancel test "$(cc invitation cancel "$CLI_INV")" = cancelled
check invite_cli_needs_folders not cc invitation create "$ORG" cli@example.test 2>/dev/null
check invite_cli_mail wait_for 20 mails_are 3
check invite_cancel_unknown test "$(http POST "/admin/v1/invitations/0123456789abcdef0123456789abcdef/cancel")" = 404

# --- they expire after 7 days
check invite_third test "$(http POST "$INV" "{\"email\":\"late@example.test\",\"folder_ids\":[\"$SITE\"]}")" = 200
check invite_third_mail wait_for 20 mails_are 4
LINK3=$(link 4)
echo $(( $(cat "$WORK/clock") + 7 * 86400 - 1 )) >"$WORK/clock"
check invite_valid_until_expiry test "$(public GET "$LINK3")" = 200
echo $(( $(cat "$WORK/clock") + 1 )) >"$WORK/clock"
check invite_expired_link_refused test "$(public GET "$LINK3")" = 410
check invite_expired_says_so test "$(reply 'j["error"]["code"]')" = invitation_expired
check invite_expired_listed_as_such test "$(http GET "$INV" >/dev/null; reply '[i["state"] for i in j["invitations"]][-1]')" = expired
check invite_expired_signup_refused test "$(public POST "$CLOUD_URL/admin/v1/invitations/signup" \
	"{\"token\":\"$(token_of "$LINK3")\",\"password\":\"a long password\"}")" = 410
check invite_again_after_expiry test "$(http POST "$INV" "{\"email\":\"late@example.test\",\"folder_ids\":[\"$SITE\"]}")" = 200
check invite_fourth_mail wait_for 20 mails_are 5
LINK4=$(link 5)
echo $(( $(cat "$WORK/clock") - 7 * 86400 )) >"$WORK/clock" # back to the first invitations' week


# signin EMAIL PASSWORD: a console session (SESSION: its cookie, CSRF: its token).
signin() {
	curl -s -D "$WORK/headers" -o "$WORK/reply.json" -H 'Content-Type: application/json' \
		--data "{\"email\":\"$1\",\"password\":\"$2\"}" "$CLOUD_URL/admin/v1/signin" >/dev/null
	SESSION=$(grep -io 'camcloud_session=[^;]*' "$WORK/headers" | head -n 1)
	CSRF=$(reply 'j["csrf_token"]')
}
# as_user METHOD PATH [BODY]: a request in that session; the status on stdout.
as_user() {
	curl -s -o "$WORK/reply.json" -w '%{http_code}' -X "$1" -H "Cookie: $SESSION" \
		-H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' ${3:+--data "$3"} "$CLOUD_URL$2"
}
me_in_org() { # the role and granted folder ids of the signed-in user in $ORG
	as_user GET /admin/v1/me >/dev/null
	reply '[(m["role"], sorted(g["folder_id"] for g in m["grants"])) for m in j["memberships"] if m["org_id"] == "'$ORG'"]'
}

# --- no account yet: sign up with the invited address through the link
TOKEN1=$(token_of "$LINK1")
check invite_link_still_open test "$(public GET "$LINK1")" = 200
check invite_signup_short_password_refused test "$(public POST "$CLOUD_URL/admin/v1/invitations/signup" \
	"{\"token\":\"$TOKEN1\",\"password\":\"short\"}")" = 400
check invite_signup test "$(public POST "$CLOUD_URL/admin/v1/invitations/signup" \
	"{\"token\":\"$TOKEN1\",\"password\":\"viewer password 1\"}")" = 200
check invite_signup_with_invited_address test "$(reply '(j["email"], j["role"], j["org_id"])')" \
	= "('new.viewer@example.test', 'viewer', '$ORG')"
check invite_token_single_use test "$(public POST "$CLOUD_URL/admin/v1/invitations/signup" \
	"{\"token\":\"$TOKEN1\",\"password\":\"viewer password 1\"}")" = 410
check invite_used_link_refused test "$(public GET "$LINK1")" = 410
signin new.viewer@example.test "viewer password 1"
check invite_signed_up_signs_in test -n "$SESSION"
check invite_joined_as_viewer_with_folders test "$(me_in_org)" = "$(python3 -c "print([('viewer', sorted(['$SITE','$HALL']))])")"
check invite_accepted_not_listed test "$(http GET "$INV" >/dev/null; reply '[i["email"] for i in j["invitations"]]')" \
	= "['late@example.test', 'late@example.test']"
check invite_accept_in_history history_has "accepted by new.viewer@example.test"
check invite_member_again_refused test "$(http POST "$INV" \
	"{\"email\":\"new.viewer@example.test\",\"folder_ids\":[\"$SITE\"]}")" = 409

# --- grants on a deleted folder are revoked
PREVIEW=$(cc folder delete "$HALL")
check folder_delete_preview_grants test "$(echo "$PREVIEW" | jget '[g["folder_id"] for g in j["grants"]["items"]]')" = "['$HALL']"
check folder_delete_revokes_grants quiet cc folder delete "$HALL" --confirm "$(echo "$PREVIEW" | jget 'j["confirm"]')"
check folder_delete_grant_gone test "$(me_in_org)" = "[('viewer', ['$SITE'])]"

# --- with an account: accept while signed in as the invited address
check invite_member test "$(http POST "$INV" "{\"email\":\"member@example.test\",\"folder_ids\":[\"$SITE\"]}")" = 200
check invite_member_mail wait_for 20 mails_are 6
TOKEN5=$(token_of "$(link 6)")
# the account is made outside the invitation (it becomes the owner of its own org)
check account_signup test "$(http POST /admin/v1/signup \
	'{"email":"member@example.test","password":"member password 1","org_name":"Member Org"}')" = 200
check invite_signup_existing_account_refused test "$(public POST "$CLOUD_URL/admin/v1/invitations/signup" \
	"{\"token\":\"$TOKEN5\",\"password\":\"member password 1\"}")" = 409
check invite_signup_says_sign_in grep -q "sign in and accept" "$WORK/reply.json"
check invite_accept_needs_sign_in test "$(public POST "$CLOUD_URL/admin/v1/invitations/accept" \
	"{\"token\":\"$TOKEN5\"}")" = 401
signin new.viewer@example.test "viewer password 1"
check invite_accept_other_account_refused test "$(as_user POST /admin/v1/invitations/accept \
	"{\"token\":\"$TOKEN5\"}")" = 403
signin member@example.test "member password 1"
check invite_accept_signed_in test "$(as_user POST /admin/v1/invitations/accept "{\"token\":\"$TOKEN5\"}")" = 200
check invite_accepted_as_viewer test "$(me_in_org)" = "[('viewer', ['$SITE'])]"
check invite_accept_single_use test "$(as_user POST /admin/v1/invitations/accept "{\"token\":\"$TOKEN5\"}")" = 410
check invite_viewer_cannot_invite test "$(signin new.viewer@example.test "viewer password 1"; \
	as_user POST "$INV" "{\"email\":\"x@example.test\",\"folder_ids\":[\"$SITE\"]}")" = 403

cloud_stop
finish
