#!/usr/bin/env bash
# Sibling folder names are unique in the store itself, not only by a check before the
# insert (two requests checking at once could both pass it): the store refuses a second
# live sibling of one name in any case, a deleted folder's name may be taken again, and
# camcloud answers a refused insert with the same 409 as the check. A store that already
# holds twins (from before the index) is migrated keeping the oldest twin's name and
# appending each other's id, so nothing is lost and the index can be built.
# Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL.
set -u
. "$(dirname "$0")/../lib.sh"
jget() { python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
folder_insert() { # ID NAME DELETED [PARENT]: a folder row as an older camcloud wrote it
	cloud_sql "INSERT INTO folders (id, org_id, parent_id, name, created_at, deleted) VALUES
		('$1', '$ORG', ${4:-NULL}, '$2', $(date +%s), $3)"
}
sql_value() { # SQL: the one value it selects
	if [ -n "${CLOUD_PG_CONN:-}" ]; then
		"$PG_BIN/psql" -q -X -At "$CLOUD_PG_CONN" -c "$1"
	else
		sqlite3 "$CLOUD_DATA/camcloud.db" "$1"
	fi
}
has_name() { names | grep -q "$1"; }
names() { cc folder list "$ORG" | jget 'sorted(f["name"] for f in j["folders"])'; }

cloud_start || { echo "FAIL cloud_start"; exit 1; }
ORG=$(cc org create "Names Org")
SITE=$(cc folder create "$ORG" "Site")
check store_refuses_a_live_twin not folder_insert a0000000000000000000000000000001 SITE 0 2>/dev/null
check store_takes_a_deleted_twin folder_insert a0000000000000000000000000000002 SITE 1
check store_takes_the_name_under_another_parent \
	folder_insert a0000000000000000000000000000003 Site 0 "'$SITE'"

# Requests at once: exactly one folder of the name is made, the others get the 409.
racers=()
for i in 1 2 3 4 5 6; do
	curl -s -o /dev/null -w '%{http_code}\n' -X POST -H "Authorization: Bearer $(cat "$CLOUD_DATA/admin.token")" \
		--data "{\"org_id\":\"$ORG\",\"name\":\"Race\"}" "$CLOUD_URL/admin/v1/folders" >"$WORK/race.$i" &
	racers+=($!)
done
wait "${racers[@]}"
check requests_at_once_make_one_folder [ "$(names | grep -o "'Race'" | wc -l)" = 1 ]
check requests_at_once_one_200_five_409 [ "$(sort "$WORK"/race.* | uniq -c | tr -s ' ' | tr '\n' ,)" = " 1 200, 5 409," ]

# A refused insert answers as the check does (the index is what refuses it now).
code=$(admin_http POST /admin/v1/folders "{\"org_id\":\"$ORG\",\"name\":\"site\"}")
check refused_insert_is_409 [ "$code" = 409 ]
check refused_insert_names_the_sibling grep -q "a folder named 'site' already exists at this level" "$WORK/reply.json"

# --- a store with twins from before the index: the migration keeps them all, renamed
cloud_stop
cloud_sql "DROP INDEX folders_sibling_name"
folder_insert b0000000000000000000000000000001 Twin 0
sleep 1
folder_insert b0000000000000000000000000000002 twin 0
folder_insert b0000000000000000000000000000003 TWIN 0
folder_insert b0000000000000000000000000000004 Twin 1
# back to version 11: what the versions after 12 made goes too, so that they run again
# (a new migration that makes something adds it here)
cloud_sql "DROP TABLE uploads"
cloud_sql "DROP INDEX tasks_app_rebooting"
cloud_sql "DROP TABLE name_locks"
cloud_sql "DROP TABLE job_plans"
cloud_sql "ALTER TABLE jobs DROP COLUMN app_name"
cloud_sql "ALTER TABLE jobs DROP COLUMN app_params"
if [ -n "${CLOUD_PG_CONN:-}" ]; then
	cloud_sql "DELETE FROM schema_version WHERE version >= 12"
else
	cloud_sql "PRAGMA user_version = 11"
fi
cloud_start "$(cloud_port)" || { echo "FAIL cloud_restart"; finish; }
check migration_keeps_every_twin [ "$(names | grep -io "'twin[^']*'" | wc -l)" = 3 ]
check migration_keeps_the_oldest_name has_name "'Twin'"
check migration_renames_the_others [ "$(names | grep -o "'twin (b0000000000000000000000000000002)'\|'TWIN (b0000000000000000000000000000003)'" | wc -l)" = 2 ]
check migration_leaves_deleted_alone [ "$(sql_value "SELECT name FROM folders WHERE id = 'b0000000000000000000000000000004'")" = Twin ]
check migration_builds_the_index not folder_insert b0000000000000000000000000000005 TWIN 0 2>/dev/null
finish
