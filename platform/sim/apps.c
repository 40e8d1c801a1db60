/* sim apps: applications on a simulated camera, one file each: apps/<appName>.json
 * {"name","nice","vendor","version","running","app_id","params":{name: value}} (app_id,
 * the ApplicationID, optional). An install takes the
 * package's manifest (after the shared checks of platform/package.h), starts stopped and
 * keeps the running state and parameter values on upgrade, as a camera does. The agent's
 * own app (SIM_AGENT_APP) cannot be restarted by a directory: install and restart answer
 * PLATFORM_APP_AGENT_EXIT, the agent exits and whoever supervises it starts it again. */
#include "sim.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/buf.h"
#include "../../lib/fsutil.h"
#include "../../lib/json.h"
#include "../../lib/log.h"
#include "../package.h"

#define APP_JSON_MAX (32 * 1024)
#define APP_JSON_TOKENS (8 + 4 * EAP_PARAMS)

struct sim_app {
	struct platform_app a;
	int nparams;
	char pname[EAP_PARAMS][EAP_FIELD_MAX];
	char pvalue[EAP_PARAMS][EAP_TEXT_MAX];
};

static int fail(char *reason, size_t reasonsz, const char *what, const char *app)
{
	snprintf(reason, reasonsz, "%s: %s", app ? app : "apps", what);
	return -1;
}

static int app_path(const void *priv, const char *app, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "%s/apps%s%s%s", sim_dir(priv), app ? "/" : "",
			 app ? app : "", app ? ".json" : "");

	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

/* 1 when loaded, 0 when not installed, -1 on a damaged file. */
static int app_load(const void *priv, const char *app, struct sim_app *s)
{
	char path[PATH_MAX];
	struct buf text;
	struct json_doc d = { 0 };
	int params, rc = -1;

	memset(s, 0, sizeof(*s));
	if (!eap_app_name_ok(app) || app_path(priv, app, path, sizeof(path)) != 0)
		return -1;
	buf_init(&text, APP_JSON_MAX);
	if (fs_read_file(path, &text, APP_JSON_MAX) != 0) {
		rc = errno == ENOENT ? 0 : -1;
		goto out;
	}
	if (json_parse(&d, text.data, text.len, APP_JSON_TOKENS) != 0 ||
	    json_get_string(&d, 0, "name", s->a.name, sizeof(s->a.name)) != 0 ||
	    json_get_string(&d, 0, "version", s->a.version, sizeof(s->a.version)) != 0 ||
	    json_get_bool(&d, 0, "running", &s->a.running) != 0)
		goto out;
	(void)json_get_string(&d, 0, "nice", s->a.nice_name, sizeof(s->a.nice_name));
	(void)json_get_string(&d, 0, "vendor", s->a.vendor, sizeof(s->a.vendor));
	(void)json_get_string(&d, 0, "app_id", s->a.app_id, sizeof(s->a.app_id));
	snprintf(s->a.status, sizeof(s->a.status), "%s", s->a.running ? "Running" : "Stopped");
	sim_license_state(priv, s->a.name, s->a.license, s->a.license_expires);
	params = json_find(&d, 0, "params");
	/* an object's tokens alternate key, value */
	for (int t = params + 1; params >= 0 && s->nparams < EAP_PARAMS && t < d.count &&
	     json_tok_string(&d, t, s->pname[s->nparams], EAP_FIELD_MAX) == 0 &&
	     json_get_string(&d, params, s->pname[s->nparams], s->pvalue[s->nparams],
			     EAP_TEXT_MAX) == 0;
	     t += 2)
		s->nparams++;
	rc = 1;
out:
	json_free(&d);
	buf_free(&text);
	return rc;
}

static int app_store(const void *priv, const struct sim_app *s, char *reason, size_t reasonsz)
{
	char path[PATH_MAX];
	struct buf text;
	struct json_writer w;
	int rc = -1;

	buf_init(&text, APP_JSON_MAX);
	jw_init(&w, &text);
	jw_object_begin(&w);
	jw_kv_string(&w, "name", s->a.name);
	jw_kv_string(&w, "nice", s->a.nice_name);
	jw_kv_string(&w, "vendor", s->a.vendor);
	jw_kv_string(&w, "app_id", s->a.app_id);
	jw_kv_string(&w, "version", s->a.version);
	jw_kv_bool(&w, "running", s->a.running);
	jw_key(&w, "params");
	jw_object_begin(&w);
	for (int i = 0; i < s->nparams; i++)
		jw_kv_string(&w, s->pname[i], s->pvalue[i]);
	jw_object_end(&w);
	jw_object_end(&w);
	if (app_path(priv, NULL, path, sizeof(path)) != 0 || fs_mkdirs(path, 0755) != 0 ||
	    app_path(priv, s->a.name, path, sizeof(path)) != 0 || jw_finish(&w) != 0 ||
	    fs_write_atomic(path, text.data, text.len, 0644) != 0)
		fail(reason, reasonsz, "cannot write the app's file", s->a.name);
	else
		rc = 0;
	buf_free(&text);
	return rc;
}

static int cmp_apps(const void *a, const void *b)
{
	return strcmp(((const struct platform_app *)a)->name, ((const struct platform_app *)b)->name);
}

int sim_apps_list(void *priv, struct platform_app_list *out, char *reason, size_t reasonsz)
{
	char path[PATH_MAX];
	struct sim_app *s = malloc(sizeof(*s));
	struct dirent *e;
	DIR *d;

	memset(out, 0, sizeof(*out));
	if (!s)
		return fail(reason, reasonsz, "out of memory", NULL);
	if (app_path(priv, NULL, path, sizeof(path)) != 0 || !(d = opendir(path))) {
		free(s);
		return errno == ENOENT ? 0 : fail(reason, reasonsz, "cannot read apps/", NULL);
	}
	while ((e = readdir(d)) != NULL && out->count < PLATFORM_APPS_MAX) {
		char name[PLATFORM_FIELD_MAX];
		size_t n = strlen(e->d_name);

		if (n <= 5 || n - 5 >= sizeof(name) || strcmp(e->d_name + n - 5, ".json"))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(n - 5), e->d_name);
		if (app_load(priv, name, s) == 1)
			out->apps[out->count++] = s->a;
	}
	closedir(d);
	free(s);
	qsort(out->apps, (size_t)out->count, sizeof(out->apps[0]), cmp_apps);
	return 0;
}

int sim_app_install(void *priv, const struct platform_package *pkg, struct platform_app *out,
		    char *reason, size_t reasonsz)
{
	struct platform_identity id;
	struct eap_manifest *m = calloc(1, sizeof(*m));
	struct sim_app *old = calloc(1, sizeof(*old)), *s = calloc(1, sizeof(*s));
	int rc = -1, had;

	if (!m || !old || !s) {
		fail(reason, reasonsz, "out of memory", NULL);
		goto out;
	}
	if (sim_identity(priv, &id, reason, reasonsz) != 0 ||
	    platform_package_check(pkg, &id, m, reason, reasonsz) != 0)
		goto out;
	had = app_load(priv, m->app_name, old);
	if (had < 0) {
		fail(reason, reasonsz, "damaged app file", m->app_name);
		goto out;
	}
	snprintf(s->a.name, sizeof(s->a.name), "%s", m->app_name);
	snprintf(s->a.nice_name, sizeof(s->a.nice_name), "%s",
		 m->friendly_name[0] ? m->friendly_name : m->app_name);
	snprintf(s->a.vendor, sizeof(s->a.vendor), "%s", m->vendor);
	snprintf(s->a.version, sizeof(s->a.version), "%s", m->version);
	snprintf(s->a.app_id, sizeof(s->a.app_id), "%s", m->app_id);
	/* the agent's own app is running: this process is it */
	s->a.running = had == 1 ? old->a.running : strcmp(m->app_name, SIM_AGENT_APP) == 0;
	for (int i = 0; i < m->nparams; i++) {
		snprintf(s->pname[i], EAP_FIELD_MAX, "%s", m->params[i].name);
		snprintf(s->pvalue[i], EAP_TEXT_MAX, "%s", m->params[i].def);
		for (int j = 0; j < old->nparams; j++) /* values survive an upgrade */
			if (!strcmp(old->pname[j], m->params[i].name))
				snprintf(s->pvalue[i], EAP_TEXT_MAX, "%s", old->pvalue[j]);
		s->nparams++;
	}
	if (app_store(priv, s, reason, reasonsz) != 0 || app_load(priv, m->app_name, s) != 1)
		goto out;
	if (out)
		*out = s->a;
	log_info("sim: %s %s %s", had == 1 ? "upgraded" : "installed", m->app_name, m->version);
	rc = strcmp(m->app_name, SIM_AGENT_APP) == 0 ? PLATFORM_APP_AGENT_EXIT : 0;
out:
	free(m);
	free(old);
	free(s);
	return rc;
}

/* Loads app for a change; -1 with the reason when it is not installed. */
static struct sim_app *load_for(void *priv, const char *app, char *reason, size_t reasonsz)
{
	struct sim_app *s = malloc(sizeof(*s));
	int r = s ? app_load(priv, app, s) : -1;

	if (r != 1) {
		fail(reason, reasonsz, r == 0 ? "application not found" : "invalid application", app);
		free(s);
		return NULL;
	}
	return s;
}

static int set_running(void *priv, const char *app, int want, const char *refusal, char *reason,
		       size_t reasonsz)
{
	struct sim_app *s = load_for(priv, app, reason, reasonsz);
	int rc = -1;

	if (!s)
		return -1;
	if (refusal && s->a.running == want)
		fail(reason, reasonsz, refusal, app);
	else {
		s->a.running = want;
		rc = app_store(priv, s, reason, reasonsz);
	}
	free(s);
	return rc;
}

int sim_app_start(void *priv, const char *app, char *reason, size_t reasonsz)
{
	return set_running(priv, app, 1, "the application is already running", reason, reasonsz);
}

int sim_app_stop(void *priv, const char *app, char *reason, size_t reasonsz)
{
	return set_running(priv, app, 0, "the application is not running", reason, reasonsz);
}

int sim_app_restart(void *priv, const char *app, char *reason, size_t reasonsz)
{
	if (set_running(priv, app, 1, NULL, reason, reasonsz) != 0)
		return -1;
	return strcmp(app, SIM_AGENT_APP) == 0 ? PLATFORM_APP_AGENT_EXIT : 0;
}

int sim_app_remove(void *priv, const char *app, char *reason, size_t reasonsz)
{
	char path[PATH_MAX];
	struct sim_app *s = load_for(priv, app, reason, reasonsz);

	if (!s)
		return -1;
	free(s);
	if (app_path(priv, app, path, sizeof(path)) != 0 || unlink(path) != 0 ||
	    fs_fsync_dir_of(path) != 0)
		return fail(reason, reasonsz, "cannot remove the app's file", app);
	log_info("sim: %s removed", app);
	return 0;
}

int sim_app_set_param(void *priv, const char *app, const char *name, const char *value,
		      char *reason, size_t reasonsz)
{
	struct sim_app *s = load_for(priv, app, reason, reasonsz);
	int i, rc = -1;

	if (!s)
		return -1;
	for (i = 0; i < s->nparams && strcmp(s->pname[i], name); i++)
		;
	if (i == s->nparams)
		snprintf(reason, reasonsz, "%s: no parameter %s in its manifest", app, name);
	else if (strlen(value) >= EAP_TEXT_MAX)
		fail(reason, reasonsz, "parameter value too long", app);
	else {
		snprintf(s->pvalue[i], EAP_TEXT_MAX, "%s", value);
		rc = app_store(priv, s, reason, reasonsz);
	}
	free(s);
	return rc;
}
