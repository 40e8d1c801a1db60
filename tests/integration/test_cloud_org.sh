#!/usr/bin/env bash
# The organization model with real processes: a camera moved between folders keeps
# its device id and its credentials (it still upgrades afterwards); a camera enrolls
# again into another folder of its org only with an --allow-move token and never into
# another org (refusals show on the agent and in the history); deleting a folder tree
# (confirmed with its preview's digest) decommissions its cameras and revokes its tokens.
set -u
. "$(dirname "$0")/../lib.sh"
MODEL=P3265-LVE

cloud_start || { echo "FAIL cloud_start"; exit 1; }
ORG=$(cc org create "Org A")
LOBBY=$(cc folder create "$ORG" "Lobby")
SITE=$(cc folder create "$ORG" "Site B")
FLOOR=$(cc folder create "$ORG" "Floor 1" --parent "$SITE")
ORG2=$(cc org create "Org B")
FOREIGN=$(cc folder create "$ORG2" "Elsewhere")

status_has() { agent_status "$1" | grep -q "$2"; }
history_has() { cc history | grep -qF "$1"; }
# reenroll NAME TOKEN: the camera forgets its enrollment (both generations of state.json;
# its key stays) and enrolls with TOKEN.
reenroll() {
	rm -f "$WORK/$1/agent/state.json" "$WORK/$1/agent/state.json.prev"
	agent_start "$1" --token "$2" --set long_poll_s=20
}
stop_pid() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

check org_list test "$(cc org list | jget '",".join(o["name"] for o in j["orgs"])')" = "Org A,Org B"
check folder_tree test "$(cc folder list "$ORG" | jget '",".join(f["path"] for f in j["folders"])')" \
	= "Default,Lobby,Site B,Site B/Floor 1"
check folder_parent test "$(cc folder list "$ORG" | jget 'j["folders"][3]["parent_id"]')" = "$SITE"

# --- a move keeps the device id and the credentials
camera_create mover ACCC8E00M001 "$MODEL" 11.11.73
agent_start mover --token "$(cc token create "$LOBBY")" --set long_poll_s=20
check mover_enrolled wait_for 20 device_has ACCC8E00M001 folder Lobby
ID=$(cc device find ACCC8E00M001)
check move_prints_folder test "$(cc device move "$ID" "$FLOOR")" = "$FLOOR"
check moved_same_id test "$(cc device find ACCC8E00M001)" = "$ID"
check moved_folder device_has ACCC8E00M001 folder "Floor 1"
check moved_folder_path device_has ACCC8E00M001 folder_path "Site B/Floor 1"
check move_in_history history_has "moved from folder $LOBBY ('Lobby') to $FLOOR ('Floor 1')"
check cross_org_move_refused not cc device move "$ID" "$FOREIGN" 2>/dev/null
check cross_org_move_says_why grep -q "another organization" <(cc device move "$ID" "$FOREIGN" 2>&1)
check still_in_floor device_has ACCC8E00M001 folder "Floor 1"
"$MKIMAGE" "$WORK/good.bin" "$MODEL" 12.0.1 $((1024 * 1024)) ok
IMAGE=$(cc image add "$MODEL" 12.0.1 "$WORK/good.bin")
TASK=$(cc task create "$ID" "$IMAGE")
check moved_camera_upgrades cc task wait "$TASK" succeeded 60
check moved_camera_reports wait_for 20 device_has ACCC8E00M001 os_version 12.0.1
check agent_learns_move wait_for 20 status_has mover "^folder: *Floor 1"
check device_show_last_report test "$(cc device show "$ID" | jget 'j["last_report"]["os_version"]')" = 12.0.1
check device_show_path test "$(cc device show "$ID" | jget 'j["folder_path"]')" = "Site B/Floor 1"
check agent_kept_its_id status_has mover "^device id: *$ID"
agent_stop

# --- enrolling again: never into another org; another folder of the org only with --allow-move
reenroll mover "$(cc token create "$FOREIGN" --allow-move)"
check other_org_refused wait_for 15 status_has mover "device_conflict"
check other_org_says_why status_has mover "is enrolled in another organization"
check other_org_in_history history_has "ACCC8E00M001 is enrolled in another organization"
check other_org_no_device test "$(cc device list | jget 'len(j["devices"])')" = 1
agent_stop
reenroll mover "$(cc token create "$LOBBY")"
check no_move_refused wait_for 15 status_has mover "already enrolled in folder 'Floor 1'; this token does not allow moving it"
check no_move_in_history history_has "this token does not allow moving it"
check no_move_stays device_has ACCC8E00M001 folder "Floor 1"
agent_stop
reenroll mover "$(cc token create "$LOBBY" --allow-move --max-uses 1)"
check allow_move_enrolls wait_for 15 status_has mover "^enrollment: *enrolled"
check allow_move_same_id test "$(cc device find ACCC8E00M001)" = "$ID"
check allow_move_moved device_has ACCC8E00M001 folder Lobby
check agent_knows_new_folder status_has mover "^folder: *Lobby"
check allow_move_token_used test "$(cc token list --folder "$LOBBY" | jget 'j["tokens"][-1]["state"]')" = used_up
check token_list_no_secret not grep -q secret <(cc token list)
check agent_works_after_move wait_for 20 device_has ACCC8E00M001 online True
agent_stop

# --- deleting a folder tree decommissions its cameras and revokes its tokens
camera_create del1 ACCC8E00D001 "$MODEL" 11.11.73
agent_start del1 --token "$(cc token create "$SITE")" --set long_poll_s=20
P1=$AGENT_PID
camera_create del2 ACCC8E00D002 "$MODEL" 11.11.73
agent_start del2 --token "$(cc token create "$FLOOR")" --set long_poll_s=20
P2=$AGENT_PID
check site_camera_enrolled wait_for 20 device_has ACCC8E00D001 folder "Site B"
check floor_camera_enrolled wait_for 20 device_has ACCC8E00D002 folder "Floor 1"
UNUSED=$(cc token create "$FLOOR")
OUT=$(cc folder delete "$SITE" --confirm "$(cc folder delete "$SITE" | jget 'j["confirm"]')")
check delete_counts test "$(echo "$OUT" | jget '(j["folders"], j["devices_removed"], j["tokens_revoked"])')" = "(2, 2, 3)"
check site_camera_removed wait_for 30 status_has del1 "^enrollment: *removed"
check floor_camera_removed wait_for 30 status_has del2 "^enrollment: *removed"
check removed_not_listed test "$(cc device list | jget '[d["serial"] for d in j["devices"]]')" = "['ACCC8E00M001']"
check tree_after_delete test "$(cc folder list "$ORG" | jget '",".join(f["path"] for f in j["folders"])')" = Default,Lobby
check tokens_revoked test "$(cc token list --folder "$FLOOR" | jget '{t["state"] for t in j["tokens"]}')" = "{'revoked'}"
check delete_in_history history_has "folder $SITE ('Site B') deleted with 1 subfolder: 2 devices removed"
stop_pid "$P1"
stop_pid "$P2"
camera_create late ACCC8E00D003 "$MODEL" 11.11.73
agent_start late --token "$UNUSED"
check revoked_token_refused wait_for 15 status_has late "token_revoked"
agent_stop
check no_new_tokens_there not cc token create "$SITE" 2>/dev/null

# --- and a decommissioned camera comes back with a token of another folder
agent_start del1 --token "$(cc token create "$LOBBY")"
check removed_camera_reenrolls wait_for 15 status_has del1 "^enrollment: *enrolled"
check reenrolled_in_lobby device_has ACCC8E00D001 folder Lobby
agent_stop

cloud_stop
check no_token_secret_in_logs not grep -qF "$(token_secret "$UNUSED")" "$WORK/cloud.log" "$WORK"/*.log
finish
