#!/usr/bin/env bash
# An organization's life with real processes, one check per rule: a new organization
# has a default top folder a camera enrolls into; rename and notes; duplicate names
# (organizations of one user, sibling folders) refused with 409; archive only with the
# id typed back and the risk confirmed, after which the organization cannot be found,
# its camera is decommissioned and its tokens refused; folder deletion answers a
# preview first and deletes only with the preview's digest, refusing a stale one.
set -u
. "$(dirname "$0")/../lib.sh"
MODEL=P3265-LVE

cloud_start || { echo "FAIL cloud_start"; exit 1; }
# jget EXPR: a Python expression over the JSON on stdin (j).
jget() { python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
http() { admin_http "$@"; }
quiet() { "$@" >/dev/null; }
status_has() { agent_status "$1" | grep -q "$2"; }
history_has() { cc history | grep -qF "$1"; }

# --- a default top folder on creation, and a camera enrolls into it at once
ORG=$(cc org create "Org Life")
DEFAULT=$(cc folder list "$ORG" | jget 'j["folders"][0]["id"]')
check org_create_default_folder test "$(cc folder list "$ORG" | jget '[f["path"] for f in j["folders"]]')" \
	= "['Default']"
check org_create_names_default_folder test "$(http POST /admin/v1/orgs '{"name":"Org Two"}')" = 200
check org_create_reply_has_default_folder test "$(reply 'len(j["default_folder_id"])')" = 32
ORG2=$(reply 'j["id"]')
camera_create cam1 ACCC8E00L001 "$MODEL" 11.11.73
agent_start cam1 --token "$(cc token create "$DEFAULT")" --set long_poll_s=20
check default_folder_enrolls wait_for 20 device_has ACCC8E00L001 folder Default
DEV1=$(cc device find ACCC8E00L001)

# --- duplicate names
check org_duplicate_name_refused test "$(http POST /admin/v1/orgs '{"name":"org life"}')" = 409
check org_duplicate_name_says_why grep -q "an organization named 'org life' already exists" "$WORK/reply.json"
check org_list_no_twin test "$(cc org list | jget '[o["name"] for o in j["orgs"]]')" = "['Org Life', 'Org Two']"
SITE=$(cc folder create "$ORG" "Site")
check folder_duplicate_sibling_refused test \
	"$(http POST /admin/v1/folders "{\"org_id\":\"$ORG\",\"name\":\"SITE\"}")" = 409
check folder_duplicate_sibling_says_why grep -q "a folder named 'SITE' already exists at this level" \
	"$WORK/reply.json"
check folder_same_name_other_parent quiet cc folder create "$ORG" "Site" --parent "$DEFAULT"
check folder_same_name_other_org quiet cc folder create "$ORG2" "Site"
FLOOR=$(cc folder create "$ORG" "Floor" --parent "$SITE")
check folder_duplicate_child_refused not cc folder create "$ORG" "Floor" --parent "$SITE" 2>/dev/null

# --- rename and notes
check org_rename test "$(cc org rename "$ORG2" "Org Second")" = "Org Second"
check org_rename_listed test "$(cc org list | jget '[o["name"] for o in j["orgs"]][1]')" = "Org Second"
check org_rename_to_taken_refused test "$(http POST "/admin/v1/orgs/$ORG2/settings" '{"name":"ORG LIFE"}')" = 409
check org_rename_empty_refused test "$(http POST "/admin/v1/orgs/$ORG2/settings" '{"name":""}')" = 400
check org_notes quiet cc org notes "$ORG2" "Client B: two sites, contact the front desk"
check org_notes_shown test "$(cc org show "$ORG2" | jget 'j["notes"]')" = "Client B: two sites, contact the front desk"
check org_notes_keep_name test "$(cc org show "$ORG2" | jget 'j["name"]')" = "Org Second"
check org_settings_require_mfa test "$(http POST "/admin/v1/orgs/$ORG2/settings" '{"require_mfa":true}')" = 200
check org_settings_keep_others test "$(reply '(j["name"], j["require_mfa"])')" = "('Org Second', True)"
check org_rename_keeps_require_mfa test "$(quiet http POST "/admin/v1/orgs/$ORG2/settings" '{"notes":"n"}'; \
	reply '(j["notes"], j["require_mfa"])')" = "('n', True)"
quiet http POST "/admin/v1/orgs/$ORG2/settings" '{"require_mfa":false}'
check org_rename_in_history history_has "org $ORG2 settings: name 'Org Second', was Org Two"

# --- folder delete: a preview first, then only the confirmed deletion
camera_create cam2 ACCC8E00L002 "$MODEL" 11.11.73
agent_start cam2 --token "$(cc token create "$FLOOR")" --set long_poll_s=20
P2=$AGENT_PID
check floor_camera_enrolled wait_for 20 device_has ACCC8E00L002 folder Floor
DEV2=$(cc device find ACCC8E00L002)
SPARE=$(cc token create "$SITE")
PREVIEW=$(cc folder delete "$SITE")
check folder_delete_preview_deletes_nothing test "$(echo "$PREVIEW" | jget 'j["deleted"]')" = False
check folder_delete_preview_counts test "$(echo "$PREVIEW" | \
	jget '(j["subfolders"]["count"], j["devices"]["count"], j["tokens"]["count"], j["grants"]["count"])')" \
	= "(1, 1, 2, 0)"
check folder_delete_preview_ids test "$(echo "$PREVIEW" | jget '(j["subfolders"]["ids"], j["devices"]["ids"])')" \
	= "(['$FLOOR'], ['$DEV2'])"
check folder_delete_preview_keeps_tree test "$(cc folder list "$ORG" | jget 'len(j["folders"])')" = 4
check folder_delete_preview_keeps_device device_has ACCC8E00L002 folder Floor
DIGEST=$(echo "$PREVIEW" | jget 'j["confirm"]')
check folder_delete_preview_is_stable test "$(cc folder delete "$SITE" | jget 'j["confirm"]')" = "$DIGEST"
cc token create "$FLOOR" >/dev/null # a change after the preview
check folder_delete_stale_preview_refused test "$(http DELETE "/admin/v1/folders/$SITE?confirm=$DIGEST")" = 409
check folder_delete_stale_says_why grep -q "preview again" "$WORK/reply.json"
check folder_delete_wrong_digest_refused not cc folder delete "$SITE" --confirm nonsense 2>/dev/null
check folder_delete_refusal_deletes_nothing test "$(cc folder list "$ORG" | jget 'len(j["folders"])')" = 4
DIGEST=$(cc folder delete "$SITE" | jget 'j["confirm"]')
OUT=$(cc folder delete "$SITE" --confirm "$DIGEST")
check folder_delete_confirmed test "$(echo "$OUT" | jget '(j["deleted"], j["folders"], j["devices_removed"], j["tokens_revoked"])')" \
	= "(True, 2, 1, 3)"
check folder_delete_tree_gone test "$(cc folder list "$ORG" | jget '[f["path"] for f in j["folders"]]')" \
	= "['Default', 'Default/Site']"
check folder_delete_camera_removed wait_for 30 status_has cam2 "^enrollment: *removed"
check folder_delete_in_history history_has "folder $SITE ('Site') deleted with 1 subfolder: 1 devices removed, 3 tokens revoked"
check folder_delete_name_free_again quiet cc folder create "$ORG" "Site"
stop_pid() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
stop_pid "$P2"

# --- archive: the id typed back and the risk confirmed, then it cannot be found
UNUSED=$(cc token create "$DEFAULT")
check archive_needs_id_typed_back test "$(http POST "/admin/v1/orgs/$ORG/archive" '{"risk_understood":true}')" = 400
check archive_says_type_the_id grep -q "type the organization id back" "$WORK/reply.json"
check archive_wrong_id_refused test \
	"$(http POST "/admin/v1/orgs/$ORG/archive" "{\"confirm_id\":\"$ORG2\",\"risk_understood\":true}")" = 400
check archive_needs_risk_confirmed test \
	"$(http POST "/admin/v1/orgs/$ORG/archive" "{\"confirm_id\":\"$ORG\"}")" = 400
check archive_says_the_risk grep -q "subscriptions become unusable" "$WORK/reply.json"
check archive_refusal_changes_nothing test "$(cc org show "$ORG" | jget 'j["devices"]')" = 1
check archive_cli_needs_flag not cc org archive "$ORG" --confirm-id "$ORG" 2>/dev/null
OUT=$(cc org archive "$ORG" --confirm-id "$ORG" --risk-understood)
check archive_confirmed test "$(echo "$OUT" | jget '(j["archived"], j["devices_removed"])')" = "(True, 1)"
check archived_not_listed test "$(cc org list | jget '[o["name"] for o in j["orgs"]]')" = "['Org Second']"
check archived_not_found test "$(http GET "/admin/v1/orgs/$ORG")" = 404
check archived_tree_not_found test "$(http GET "/admin/v1/folders?org_id=$ORG")" = 404
check archived_no_new_folder test "$(http POST /admin/v1/folders "{\"org_id\":\"$ORG\",\"name\":\"X\"}")" = 404
check archived_no_new_token not cc token create "$DEFAULT" 2>/dev/null
check archived_device_not_found test "$(http GET "/admin/v1/devices/$DEV1")" = 404
check archived_device_decommissioned wait_for 30 status_has cam1 "^enrollment: *removed"
check archived_not_archived_twice test \
	"$(http POST "/admin/v1/orgs/$ORG/archive" "{\"confirm_id\":\"$ORG\",\"risk_understood\":true}")" = 404
check archived_in_history history_has "org $ORG ('Org Life') archived: 1 devices decommissioned"
check archived_name_free_again quiet cc org create "Org Life"
agent_stop
camera_create late ACCC8E00L003 "$MODEL" 11.11.73
agent_start late --token "$UNUSED"
check archived_token_refused wait_for 15 status_has late "org_archived"
agent_stop

cloud_stop
finish
