/* migrations: the schema as versioned steps, one description for every backend.
 * A step is SQL both dialects accept, or a pair spelled for each where they differ
 * (an auto-numbered key, say). All steps of one version run in one transaction
 * together with the backend's version bump. */
#include "migrations.h"

#include <stddef.h>

static const struct migration_step steps[] = {
	/* 1: initial schema */
	{1,
	"CREATE TABLE orgs ("
	" id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at BIGINT NOT NULL);"
	"CREATE TABLE folders ("
	" id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id),"
	" parent_id TEXT REFERENCES folders(id), name TEXT NOT NULL, created_at BIGINT NOT NULL);"
	"CREATE TABLE enrollment_tokens ("
	" id TEXT PRIMARY KEY, folder_id TEXT NOT NULL REFERENCES folders(id),"
	" secret_sha256 TEXT NOT NULL UNIQUE, expires_at BIGINT NOT NULL,"
	" max_uses BIGINT NOT NULL, uses BIGINT NOT NULL DEFAULT 0,"
	" revoked INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL);"
	"CREATE TABLE devices ("
	" id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id),"
	" folder_id TEXT NOT NULL REFERENCES folders(id), serial TEXT NOT NULL,"
	" model TEXT NOT NULL, hardware_id TEXT NOT NULL, arch TEXT NOT NULL,"
	" public_key TEXT NOT NULL, key_fp TEXT NOT NULL, os_version TEXT NOT NULL,"
	" agent_version TEXT NOT NULL, last_seen BIGINT NOT NULL DEFAULT 0, last_report TEXT,"
	" removed INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL);"
	/* A serial is unique among live devices; a removed one may enroll again. */
	"CREATE UNIQUE INDEX devices_serial_live ON devices(serial) WHERE removed = 0;"
	"CREATE TABLE access_tokens ("
	" token_sha256 TEXT PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id),"
	" expires_at BIGINT NOT NULL);"
	"CREATE INDEX access_tokens_expiry ON access_tokens(expires_at);"
	"CREATE TABLE auth_nonces (nonce TEXT PRIMARY KEY, seen_at BIGINT NOT NULL);"
	"CREATE INDEX auth_nonces_seen ON auth_nonces(seen_at);"
	"CREATE TABLE images ("
	" id TEXT PRIMARY KEY, model TEXT NOT NULL, version TEXT NOT NULL,"
	" size BIGINT NOT NULL, sha256 TEXT NOT NULL, path TEXT NOT NULL,"
	" created_at BIGINT NOT NULL, UNIQUE (model, version));"
	"CREATE TABLE tasks ("
	" id TEXT PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id),"
	" image_id TEXT NOT NULL REFERENCES images(id), state TEXT NOT NULL,"
	" progress INTEGER NOT NULL DEFAULT 0, reason TEXT NOT NULL DEFAULT '',"
	" allow_downgrade INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, seq BIGINT NOT NULL);"
	"CREATE INDEX tasks_device ON tasks(device_id, state);"
	"CREATE TABLE licenses ("
	" id TEXT PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id),"
	" app TEXT NOT NULL, license_exp BIGINT NOT NULL DEFAULT 0, state TEXT NOT NULL,"
	" reason TEXT NOT NULL DEFAULT '', created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL);"
	"CREATE INDEX licenses_device ON licenses(device_id);",
	 NULL, NULL},
	/* SQLite numbers every row (rowid), and listings keep insertion order with it;
	 * PostgreSQL is given the same column where a statement orders by it. */
	{1, NULL, "", "ALTER TABLE enrollment_tokens ADD COLUMN rowid BIGSERIAL;"},
	/* history numbers its rows itself */
	{1, NULL,
	 "CREATE TABLE history ("
	 " seq INTEGER PRIMARY KEY, at BIGINT NOT NULL, action TEXT NOT NULL,"
	 " detail TEXT NOT NULL);",
	 "CREATE TABLE history ("
	 " seq BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, action TEXT NOT NULL,"
	 " detail TEXT NOT NULL);"},
	/* 2: one "check licenses" hint per issued license on the task long poll */
	{2,
	"ALTER TABLE licenses ADD COLUMN check_sent INTEGER NOT NULL DEFAULT 0;",
	 NULL, NULL},
	/* 3: organization model (moves, folder deletion) and upgrade jobs with windows */
	{3,
	"ALTER TABLE enrollment_tokens ADD COLUMN allow_move INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE folders ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX folders_parent ON folders(parent_id);"
	/* the token that enrolled (or last moved) the device: a retry with it is idempotent */
	"ALTER TABLE devices ADD COLUMN enroll_token_id TEXT;"
	"CREATE INDEX devices_folder ON devices(folder_id) WHERE removed = 0;"
	"ALTER TABLE images ADD COLUMN recommended INTEGER NOT NULL DEFAULT 0;"
	"CREATE UNIQUE INDEX images_recommended ON images(model) WHERE recommended = 1;"
	"CREATE TABLE jobs ("
	" id TEXT PRIMARY KEY, image_id TEXT NOT NULL REFERENCES images(id),"
	" kind TEXT NOT NULL, target TEXT NOT NULL DEFAULT '',"
	" allow_downgrade INTEGER NOT NULL DEFAULT 0,"
	" window_kind TEXT NOT NULL DEFAULT '', window_start BIGINT NOT NULL DEFAULT 0,"
	" window_end BIGINT NOT NULL DEFAULT 0, window_from TEXT NOT NULL DEFAULT '',"
	" window_to TEXT NOT NULL DEFAULT '', created_at BIGINT NOT NULL,"
	" expires_at BIGINT NOT NULL, seq BIGINT NOT NULL);"
	"CREATE TABLE job_skips ("
	" job_id TEXT NOT NULL REFERENCES jobs(id), device_id TEXT NOT NULL,"
	" serial TEXT NOT NULL, reason TEXT NOT NULL);"
	"CREATE INDEX job_skips_job ON job_skips(job_id);"
	"ALTER TABLE tasks ADD COLUMN job_id TEXT REFERENCES jobs(id);"
	"ALTER TABLE tasks ADD COLUMN window_kind TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tasks ADD COLUMN window_start BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE tasks ADD COLUMN window_end BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE tasks ADD COLUMN window_from TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tasks ADD COLUMN window_to TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX tasks_job ON tasks(job_id);"
	"CREATE INDEX tasks_open_expiry ON tasks(expires_at)"
	" WHERE state NOT IN ('succeeded', 'failed', 'cancelled');"
	/* every task belongs to a job: the earlier ones become one-device jobs */
	"INSERT INTO jobs (id, image_id, kind, target, allow_downgrade, created_at, expires_at, seq)"
	" SELECT id, image_id, 'device', device_id, allow_downgrade, created_at, expires_at, seq"
	" FROM tasks;"
	"UPDATE tasks SET job_id = id;",
	 NULL, NULL},
	{3, NULL, "", "ALTER TABLE job_skips ADD COLUMN rowid BIGSERIAL;"},
	/* 4: a device that had started a task the admin cancelled is still to be told */
	{4,
	"ALTER TABLE tasks ADD COLUMN cancel_notice INTEGER NOT NULL DEFAULT 0;",
	 NULL, NULL},
	/* 5: accounts: users, memberships with a role, folder grants, sessions, personal
	 * API tokens, MFA and recovery codes, the sign-in throttle; history says who, from
	 * where, in which organization, folder and device; jobs belong to an organization */
	{5,
	"CREATE TABLE users ("
	" id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,"
	" mfa_enabled INTEGER NOT NULL DEFAULT 0, mfa_secret TEXT NOT NULL DEFAULT '',"
	" mfa_pending TEXT NOT NULL DEFAULT '', mfa_last_step BIGINT NOT NULL DEFAULT -1,"
	" created_at BIGINT NOT NULL);"
	"CREATE TABLE memberships ("
	" org_id TEXT NOT NULL REFERENCES orgs(id), user_id TEXT NOT NULL REFERENCES users(id),"
	" role TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (org_id, user_id));"
	"CREATE INDEX memberships_user ON memberships(user_id);"
	"CREATE TABLE folder_grants ("
	" org_id TEXT NOT NULL REFERENCES orgs(id), user_id TEXT NOT NULL REFERENCES users(id),"
	" folder_id TEXT NOT NULL REFERENCES folders(id), created_at BIGINT NOT NULL,"
	" PRIMARY KEY (user_id, folder_id));"
	"CREATE INDEX folder_grants_org ON folder_grants(org_id, user_id);"
	"CREATE TABLE sessions ("
	" token_sha256 TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),"
	" csrf TEXT NOT NULL, created_at BIGINT NOT NULL, last_used BIGINT NOT NULL);"
	"CREATE INDEX sessions_user ON sessions(user_id);"
	"CREATE TABLE api_tokens ("
	" id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),"
	" org_id TEXT NOT NULL REFERENCES orgs(id), role TEXT NOT NULL,"
	" name TEXT NOT NULL DEFAULT '', secret_sha256 TEXT NOT NULL UNIQUE,"
	" created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,"
	" last_used_at BIGINT NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX api_tokens_user ON api_tokens(user_id);"
	"CREATE TABLE recovery_codes ("
	" user_id TEXT NOT NULL REFERENCES users(id), code_sha256 TEXT NOT NULL,"
	" used INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (user_id, code_sha256));"
	"CREATE TABLE signin_throttle ("
	" key TEXT PRIMARY KEY, failures BIGINT NOT NULL, last_at BIGINT NOT NULL);"
	"ALTER TABLE orgs ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE jobs ADD COLUMN org_id TEXT;"
	"ALTER TABLE jobs ADD COLUMN folder_id TEXT;"
	"UPDATE jobs SET org_id = (SELECT d.org_id FROM tasks t JOIN devices d"
	" ON d.id = t.device_id WHERE t.job_id = jobs.id LIMIT 1);"
	"UPDATE jobs SET folder_id = target WHERE kind = 'folder';"
	"UPDATE jobs SET folder_id = (SELECT d.folder_id FROM devices d WHERE d.id = jobs.target)"
	" WHERE kind = 'device';"
	"CREATE INDEX jobs_org ON jobs(org_id);"
	"ALTER TABLE history ADD COLUMN org_id TEXT;"
	"ALTER TABLE history ADD COLUMN folder_id TEXT;"
	"ALTER TABLE history ADD COLUMN device_id TEXT;"
	"ALTER TABLE history ADD COLUMN user_id TEXT;"
	"ALTER TABLE history ADD COLUMN email TEXT;"
	"ALTER TABLE history ADD COLUMN token_id TEXT;"
	"ALTER TABLE history ADD COLUMN peer TEXT;"
	"CREATE INDEX history_org ON history(org_id, seq);",
	 NULL, NULL},
	/* 6: organization lifecycle: notes, and archive (kept for the record, never found) */
	{6,
	"ALTER TABLE orgs ADD COLUMN notes TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE orgs ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE orgs ADD COLUMN archived_at BIGINT NOT NULL DEFAULT 0;"
	/* invitations by e-mail: the link's token kept only as its SHA-256 */
	"CREATE TABLE invitations ("
	" id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id), email TEXT NOT NULL,"
	" role TEXT NOT NULL, token_sha256 TEXT NOT NULL UNIQUE,"
	" invited_by TEXT NOT NULL DEFAULT '', state TEXT NOT NULL DEFAULT 'pending',"
	" created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,"
	" closed_by TEXT NOT NULL DEFAULT '', closed_at BIGINT NOT NULL DEFAULT 0);"
	"CREATE INDEX invitations_org ON invitations(org_id, state);"
	"CREATE TABLE invitation_folders ("
	" invitation_id TEXT NOT NULL REFERENCES invitations(id),"
	" folder_id TEXT NOT NULL REFERENCES folders(id), PRIMARY KEY (invitation_id, folder_id));",
	 NULL, NULL},
	/* 7: products, their wallets and license keys, subscriptions (docs/licenses.md) */
	{7,
	/* an archived organization's subscriptions are unusable: orgs.archived is version 6's */
	"CREATE TABLE products ("
	" id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id), name TEXT NOT NULL,"
	" app_id TEXT NOT NULL, types TEXT NOT NULL, public_key TEXT NOT NULL,"
	" created_at BIGINT NOT NULL, UNIQUE (org_id, app_id));"
	/* one row per redeemed key, across all organizations: a key redeems once */
	"CREATE TABLE redeemed_keys ("
	" key_id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id),"
	" product_id TEXT NOT NULL REFERENCES products(id), redeemed_at BIGINT NOT NULL);"
	/* the licenses of one type a key (or a credit) put in a product's wallet */
	"CREATE TABLE wallet_lots ("
	" id TEXT PRIMARY KEY, product_id TEXT NOT NULL REFERENCES products(id),"
	" type TEXT NOT NULL, total BIGINT NOT NULL, left_count BIGINT NOT NULL,"
	" redeemed_at BIGINT NOT NULL, lapses_at BIGINT NOT NULL, source TEXT NOT NULL);"
	"CREATE INDEX wallet_lots_product ON wallet_lots(product_id, type, lapses_at);"
	"CREATE TABLE subscriptions ("
	" product_id TEXT PRIMARY KEY REFERENCES products(id), anchor BIGINT NOT NULL,"
	" started_at BIGINT NOT NULL);"
	"CREATE TABLE subscription_allocations ("
	" id TEXT PRIMARY KEY, product_id TEXT NOT NULL REFERENCES products(id),"
	" year BIGINT NOT NULL, amount BIGINT NOT NULL, credited BIGINT NOT NULL,"
	" at BIGINT NOT NULL);"
	"CREATE INDEX subscription_allocations_year ON subscription_allocations(product_id, year);"
	"CREATE TABLE extension_allocations ("
	" id TEXT PRIMARY KEY, product_id TEXT NOT NULL REFERENCES products(id),"
	" serial TEXT NOT NULL, device_id TEXT NOT NULL, allocated_at BIGINT NOT NULL,"
	" license_id TEXT NOT NULL);"
	/* the applications each device reports (the current need of a product) */
	"CREATE TABLE device_applications ("
	" device_id TEXT NOT NULL REFERENCES devices(id), app_id TEXT NOT NULL,"
	" running INTEGER NOT NULL DEFAULT 0, since BIGINT NOT NULL, updated_at BIGINT NOT NULL,"
	" PRIMARY KEY (device_id, app_id));"
	"CREATE INDEX device_applications_app ON device_applications(app_id, running);",
	 NULL, NULL},
	/* 8: licenses follow the hardware: recorded against an organization and a serial
	 * (preloaded ones before the hardware enrolls), of a kind, with the vendor's key
	 * file; every activation, failure and removal as an event; the applications each
	 * device reports. The old table is keyed by device id, so it is rebuilt. */
	{8,
	"CREATE TABLE license_grants ("
	" id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id), serial TEXT NOT NULL,"
	" app TEXT NOT NULL, kind TEXT NOT NULL, license_exp BIGINT NOT NULL DEFAULT 0,"
	" key_file TEXT, state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',"
	" check_sent INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL);"
	"INSERT INTO license_grants (id, org_id, serial, app, kind, license_exp, key_file, state,"
	" reason, check_sent, created_at, updated_at) SELECT l.id, d.org_id, d.serial, l.app,"
	" 'cloud', l.license_exp, NULL, l.state, l.reason, l.check_sent, l.created_at,"
	" l.updated_at FROM licenses l JOIN devices d ON d.id = l.device_id;"
	"DROP TABLE licenses;"
	"ALTER TABLE license_grants RENAME TO licenses;"
	"CREATE INDEX licenses_org_serial ON licenses(org_id, serial);"
	"CREATE TABLE device_apps ("
	" device_id TEXT NOT NULL REFERENCES devices(id), name TEXT NOT NULL,"
	" version TEXT NOT NULL, vendor TEXT NOT NULL, running INTEGER NOT NULL,"
	" license_state TEXT NOT NULL, license_exp BIGINT NOT NULL DEFAULT 0,"
	" PRIMARY KEY (device_id, name));",
	 NULL, NULL},
	{8, NULL,
	 "CREATE TABLE license_events ("
	 " seq INTEGER PRIMARY KEY, license_id TEXT NOT NULL, device_id TEXT NOT NULL,"
	 " at BIGINT NOT NULL, event TEXT NOT NULL, reason TEXT NOT NULL);"
	 "CREATE INDEX license_events_license ON license_events(license_id);",
	 "CREATE TABLE license_events ("
	 " seq BIGSERIAL PRIMARY KEY, license_id TEXT NOT NULL, device_id TEXT NOT NULL,"
	 " at BIGINT NOT NULL, event TEXT NOT NULL, reason TEXT NOT NULL);"
	 "CREATE INDEX license_events_license ON license_events(license_id);"},
	/* 9: the application catalog: one row per package (app, version, architecture),
	 * the manifest fields installation depends on, one recommended per app and
	 * architecture */
	{9,
	"CREATE TABLE app_packages ("
	" id TEXT PRIMARY KEY, app_name TEXT NOT NULL, version TEXT NOT NULL,"
	" architecture TEXT NOT NULL, schema_version TEXT NOT NULL,"
	" vendor_id TEXT NOT NULL DEFAULT '', os_ranges TEXT NOT NULL DEFAULT '',"
	" friendly_name TEXT NOT NULL DEFAULT '', params TEXT NOT NULL DEFAULT '',"
	" size BIGINT NOT NULL, sha256 TEXT NOT NULL, path TEXT NOT NULL,"
	" recommended INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL,"
	" UNIQUE (app_name, version, architecture));"
	"CREATE UNIQUE INDEX app_packages_recommended ON app_packages(app_name, architecture)"
	" WHERE recommended = 1;"
	/* an app package's file is served to devices as an artifact, as an OS image is:
	 * images.kind tells them apart (an app artifact's model is "<appName>/<arch>") */
	"ALTER TABLE images ADD COLUMN kind TEXT NOT NULL DEFAULT 'os';"
	"ALTER TABLE app_packages ADD COLUMN artifact_id TEXT REFERENCES images(id);"
	/* application tasks are tasks of kind 'app' with an action on an app */
	"ALTER TABLE jobs ADD COLUMN task_kind TEXT NOT NULL DEFAULT 'os_upgrade';"
	"ALTER TABLE jobs ADD COLUMN app_action TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tasks ADD COLUMN task_kind TEXT NOT NULL DEFAULT 'os_upgrade';"
	"ALTER TABLE tasks ADD COLUMN app_action TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tasks ADD COLUMN app_name TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE tasks ADD COLUMN app_params TEXT NOT NULL DEFAULT '';",
	 NULL, NULL},
	/* 11: one inventory of what a camera runs: device_apps (the report's list) gains
	 * the application id vendor key files name and since when each app has been
	 * running; the wallet's separate device_applications table goes (only tests ever
	 * filled it) */
	{11,
	"ALTER TABLE device_apps ADD COLUMN app_id TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE device_apps ADD COLUMN since BIGINT NOT NULL DEFAULT 0;"
	"CREATE INDEX device_apps_app_id ON device_apps(app_id, running);"
	"CREATE INDEX device_apps_name ON device_apps(name, running);"
	"DROP TABLE device_applications;",
	 NULL, NULL},
	/* 12: no two live sibling folders of one name (any case), held by the store itself
	 * so two requests checking at once cannot both insert. Siblings that already share
	 * a name keep the oldest as it is; each other one gets its id appended ("Site
	 * (<id>)": unique, where a prefix of it might not be), so nothing is lost and each
	 * can still be told apart. */
	{12,
	"UPDATE folders SET name = substr(name, 1, 90) || ' (' || id || ')'"
	" WHERE deleted = 0 AND EXISTS (SELECT 1 FROM folders o WHERE o.deleted = 0"
	" AND o.org_id = folders.org_id AND COALESCE(o.parent_id, '') = COALESCE(folders.parent_id, '')"
	" AND lower(o.name) = lower(folders.name) AND (o.created_at < folders.created_at"
	" OR (o.created_at = folders.created_at AND o.id < folders.id)));"
	"CREATE UNIQUE INDEX folders_sibling_name ON folders(org_id, COALESCE(parent_id, ''),"
	" lower(name)) WHERE deleted = 0;",
	 NULL, NULL},
	/* 13: streamed uploads of packages and images (admin API, uploads): the upload's
	 * state lives here so that any instance sharing the data directory takes its next
	 * chunk */
	{13,
	"CREATE TABLE uploads ("
	" id TEXT PRIMARY KEY, owner TEXT NOT NULL, kind TEXT NOT NULL,"
	" name TEXT NOT NULL DEFAULT '', size BIGINT NOT NULL, sha256 TEXT NOT NULL,"
	" received BIGINT NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'open',"
	" result_id TEXT NOT NULL DEFAULT '', created_at BIGINT NOT NULL,"
	" expires_at BIGINT NOT NULL);"
	"CREATE INDEX uploads_owner ON uploads(owner, state);"
	"CREATE INDEX uploads_expiry ON uploads(expires_at);",
	 NULL, NULL},
	/* 14: fleet speed. Every task poll fails the overdue app tasks of its device
	 * (app_tasks_overdue); that query names the device through "? IS NULL OR", which no
	 * index on device_id serves, so it read every task: with this index it reads only
	 * the app tasks that are rebooting, which are few. */
	{14,
	"CREATE INDEX tasks_app_rebooting ON tasks(updated_at)"
	" WHERE task_kind = 'app' AND state = 'rebooting';",
	 NULL, NULL},
	/* 18: organization names are unique per caller, which no index can say (the caller's
	 * organizations are those they are a member of). Creations and renames take this one
	 * row's lock before they look, so two instances cannot both find a name free. */
	{18,
	"CREATE TABLE name_locks (scope TEXT PRIMARY KEY);"
	"INSERT INTO name_locks (scope) VALUES ('orgs');",
	 NULL, NULL},
	/* 19: a big job answers its admin before all its tasks are written. What is left
	 * waits here, a slice a row (the JSON object its insert reads, a key a task), and
	 * any instance writes it; the job row now carries all that its tasks copy. */
	{19,
	"ALTER TABLE jobs ADD COLUMN app_name TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE jobs ADD COLUMN app_params TEXT NOT NULL DEFAULT '';",
	 NULL, NULL},
	{19, NULL,
	"CREATE TABLE job_plans (job_id TEXT NOT NULL REFERENCES jobs(id),"
	" slice INTEGER NOT NULL, tasks TEXT NOT NULL, PRIMARY KEY (job_id, slice));",
	"CREATE TABLE job_plans (job_id TEXT NOT NULL REFERENCES jobs(id),"
	" slice INTEGER NOT NULL, tasks JSON NOT NULL, PRIMARY KEY (job_id, slice));"},
};

#define N_STEPS (sizeof(steps) / sizeof(steps[0]))

int migrations_latest(void)
{
	return steps[N_STEPS - 1].version;
}

const char *migration_sql(int version, enum store_dialect dialect, size_t *i)
{
	for (; *i < N_STEPS; (*i)++) {
		const struct migration_step *s = &steps[*i];
		if (s->version != version)
			continue;
		(*i)++;
		if (s->any)
			return s->any;
		return dialect == DIALECT_POSTGRES ? s->postgres : s->sqlite;
	}
	return NULL;
}
