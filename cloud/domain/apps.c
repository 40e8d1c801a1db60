/* apps: catalog rows from manifests, and the OS-upgrade strand check (see apps.h). */
#include "apps.h"
#include "jobs.h"

#include <stdio.h>
#include <string.h>

static int append(char *out, size_t outsz, size_t *len, const char *fmt, const char *a,
		  const char *b)
{
	int n = snprintf(out + *len, outsz - *len, fmt, a, b);
	if (n < 0 || (size_t)n >= outsz - *len)
		return -1;
	*len += (size_t)n;
	return 0;
}

int app_ranges_text(const struct eap_manifest *m, char *out, size_t outsz)
{
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < m->nos; i++)
		if (append(out, outsz, &len, i ? ",%s-%s" : "%s-%s", m->os[i].min, m->os[i].max))
			return -1;
	return 0;
}

int app_params_text(const struct eap_manifest *m, char *out, size_t outsz)
{
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < m->nparams; i++)
		if (append(out, outsz, &len, i ? ",%s%s" : "%s%s", m->params[i].name, ""))
			return -1;
	return 0;
}

/* Copies the n bytes at s into a field of EAP_FIELD_MAX; -1 when they do not fit. */
static int field(char out[EAP_FIELD_MAX], const char *s, size_t n)
{
	if (n >= EAP_FIELD_MAX)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int app_manifest_of_row(const char *schema_version, const char *arch, const char *ranges,
			struct eap_manifest *m)
{
	memset(m, 0, sizeof(*m));
	if (field(m->schema_version, schema_version, strlen(schema_version)) != 0 ||
	    field(m->architecture, arch, strlen(arch)) != 0)
		return -1;
	m->schema_major = schema_version[0] == '1' ? 1 : schema_version[0] == '2' ? 2 : 0;
	for (const char *p = ranges; *p;) {
		size_t n = strcspn(p, ","), dash = strcspn(p, "-");
		if (m->nos == EAP_OS_RANGES || dash >= n ||
		    field(m->os[m->nos].min, p, dash) != 0 ||
		    field(m->os[m->nos].max, p + dash + 1, n - dash - 1) != 0)
			return -1;
		m->nos++;
		p += n + (p[n] == ',');
	}
	return m->schema_major ? 0 : -1;
}

int app_installed_read(struct store_rows *st, int col, const char *device_arch,
		       struct app_installed *app)
{
	*app = (struct app_installed){
		.name = store_text(st, col),
		.version = store_text(st, col + 1),
		.device_arch = device_arch,
		.in_catalog = !store_is_null(st, col + 2),
	};
	if (!app->name || !app->version) /* no such app, or a device that never said its
					   * agent's version */
		return 0;
	if (app->in_catalog && app_manifest_of_row(store_text(st, col + 3), store_text(st, col + 4),
						   store_text(st, col + 5), &app->m) != 0)
		app->in_catalog = 0; /* a row not ours: as good as unknown */
	return 1;
}

/* Each row of st (name, version, then INSTALLED_PACKAGE_COLUMNS) to fn. */
static int installed_rows(struct store_rows *st, int (*fn)(void *, const struct app_installed *),
			  void *arg)
{
	int r, rc = 0;
	while (rc == 0 && st && (r = store_next(st)) == 1) {
		struct app_installed app;
		if (app_installed_read(st, 0, store_text(st, 6), &app))
			rc = fn(arg, &app);
	}
	return !st || (rc == 0 && r < 0) ? -1 : rc;
}

int apps_installed_on(struct store *db, const char *device_id,
		      int (*fn)(void *arg, const struct app_installed *app), void *arg)
{
	static const enum store_stmt parts[] = {ST_APP_AGENT_PACKAGE_OF_DEVICE,
						ST_APP_OTHER_PACKAGES_OF_DEVICE};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof(parts) / sizeof(parts[0]); i++) {
		struct store_rows *st = store_query(db, parts[i], "ss", APP_AGENT_NAME, device_id);
		rc = installed_rows(st, fn, arg);
		store_done(st);
	}
	return rc;
}

/* The first catalog package of app for arch that runs on os (recommended first). */
static int app_fix_for(struct store *db, const char *app, const char *arch, const char *os,
		       char fix_id[DB_ID_LEN], char *version, size_t versionsz)
{
	struct store_rows *st = store_query(db, ST_APP_PACKAGES_OF_APP_ARCH, "ss", app, arch);
	struct eap_manifest m;
	char why[EAP_TEXT_MAX];
	int r;
	fix_id[0] = '\0';
	while (st && (r = store_next(st)) == 1) {
		if (app_manifest_of_row(store_text(st, 4), store_text(st, 3), store_text(st, 5),
					&m) != 0 ||
		    eap_compatible(&m, arch, os, why, sizeof(why)) != 0)
			continue;
		if (store_str(st, 0, fix_id, DB_ID_LEN) != 0 ||
		    store_str(st, 2, version, versionsz) != 0)
			fix_id[0] = '\0';
		break;
	}
	r = st ? 0 : -1;
	store_done(st);
	return r;
}

/* app_fix_for, or the memo's answer when it was the last one looked up. */
static int app_fix_memoized(struct app_strand_run *s, const struct app_installed *app,
			    char fix_id[DB_ID_LEN], char *version, size_t versionsz)
{
	struct app_fix_memo *mo = s->memo;
	if (mo && mo->valid && strcmp(mo->app, app->name) == 0 &&
	    strcmp(mo->arch, app->device_arch) == 0) {
		memcpy(fix_id, mo->fix_id, DB_ID_LEN);
		snprintf(version, versionsz, "%s", mo->version);
		return 0;
	}
	if (app_fix_for(s->db, app->name, app->device_arch, s->target_os, fix_id, version,
			versionsz) != 0)
		return -1;
	if (mo) {
		mo->valid = store_copy_text(app->name, mo->app, sizeof(mo->app)) == 0 &&
			    store_copy_text(app->device_arch, mo->arch, sizeof(mo->arch)) == 0 &&
			    store_copy_text(version, mo->version, sizeof(mo->version)) == 0;
		memcpy(mo->fix_id, fix_id, DB_ID_LEN);
	}
	return 0;
}

/* "; AXIS OS range unknown (not in the catalog): a 1.0, b 2.0" after the reason. */
static void note_unknown(struct app_strand_run *s)
{
	struct app_strand *o = s->out;
	char note[sizeof(o->reason)]; /* apart from o: the names come from o too */
	if (o->nunknown == 0)
		return;
	int n = snprintf(note, sizeof(note), "; %s:", APP_RANGE_UNKNOWN);
	for (int i = 0; n > 0 && (size_t)n < sizeof(note) && i < o->nunknown; i++) {
		int m = snprintf(note + n, sizeof(note) - (size_t)n, "%s %s %s", i ? "," : "",
				 o->unknown[i].name, o->unknown[i].version);
		n = m < 0 ? -1 : n + m;
	}
	size_t len = strlen(o->reason);
	if (len < sizeof(o->reason))
		snprintf(o->reason + len, sizeof(o->reason) - len, "%s", note);
}

void app_strand_begin(struct app_strand_run *s, struct store *db, const char *target_os,
		      struct app_strand *out, struct app_fix_memo *memo)
{
	*s = (struct app_strand_run){.db = db, .target_os = target_os, .out = out, .memo = memo};
	/* what a reader of out looks at, not its 17 kB: a job begins once a device */
	out->reason[0] = out->fix_id[0] = '\0';
	out->nunknown = 0;
}

int app_strand_add(struct app_strand_run *s, const struct app_installed *app)
{
	struct app_strand *o = s->out;
	char why[EAP_TEXT_MAX], fix_version[EAP_FIELD_MAX] = "";
	if (!app->in_catalog) {
		if (o->nunknown < APP_STRAND_UNKNOWN_MAX) {
			struct app_unknown *u = &o->unknown[o->nunknown++];
			snprintf(u->name, sizeof(u->name), "%s", app->name);
			snprintf(u->version, sizeof(u->version), "%s", app->version);
		}
		return 0;
	}
	if (s->error || s->stranded ||
	    eap_compatible(&app->m, app->device_arch, s->target_os, why, sizeof(why)) == 0)
		return s->error; /* the first app that would not run is the reason */
	s->stranded = 1;
	if (app_fix_memoized(s, app, o->fix_id, fix_version, sizeof(fix_version)) != 0) {
		s->error = 1;
		return 1;
	}
	if (o->fix_id[0])
		snprintf(o->reason, sizeof(o->reason),
			 "%s %s would not run on AXIS OS %s (%s); install %s %s first (package %s)",
			 app->name, app->version, s->target_os, why, app->name, fix_version,
			 o->fix_id);
	else
		snprintf(o->reason, sizeof(o->reason),
			 "%s %s would not run on AXIS OS %s (%s); the catalog has no %s package"
			 " that does",
			 app->name, app->version, s->target_os, why, app->name);
	return 0;
}

int app_strand_end(struct app_strand_run *s)
{
	if (s->error)
		return -1;
	if (s->stranded)
		note_unknown(s);
	return s->stranded;
}

static int strand_one(void *arg, const struct app_installed *app)
{
	return app_strand_add(arg, app);
}

int app_strand_check(struct store *db, const char *device_id, const char *target_os,
		     struct app_strand *out)
{
	struct app_strand_run s;
	app_strand_begin(&s, db, target_os, out, NULL);
	if (apps_installed_on(db, device_id, strand_one, &s) < 0)
		return -1;
	return app_strand_end(&s);
}

int app_tasks_overdue(struct store *db, const char *device_id, int64_t now)
{
	static const struct lazy_fail overdue = {ST_APP_TASKS_OVERDUE_COUNT,
						 ST_APP_TASKS_OVERDUE_HISTORY,
						 ST_APP_TASKS_OVERDUE_FAIL, APP_OVERDUE_REASON};
	return tasks_fail_lazily(db, &overdue, device_id, now - APP_CHECKIN_DEADLINE_S, now);
}
