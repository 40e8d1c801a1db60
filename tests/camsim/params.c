/* params: param.cgi for the applications' own parameters [AXP-H] [RS parameter_management.rs]:
 *   action=list&group=root.<Group>[.<Name>]   "root.Group.Name=value" lines; password
 *                                             parameters are not readable [AXP-H]
 *   action=update&root.<Group>.<Name>=<value> "OK"; "# Error: ..." for an undeclared one
 * Kept in acap-build's param.conf format (Name="value" type="type"): the agent's group
 * (--param-group) in <dir>/param.conf, every other installed app's in
 * <dir>/params/<appName>.conf, written from the package's paramConfig at install. */
#include "camsim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>

#include "../../lib/eap.h"
#include "../../lib/fsutil.h"
#include "paramconf.h"

#define FORM_MAX (64 * 1024)
#define PARAM_MAX (64 * 1024)

/* The param.conf of group G; -1 when no installed app has that group. */
static int group_file(struct camsim *cs, const char *group, char *path, size_t pathsz)
{
	if (!strcmp(group, cs->param_group))
		snprintf(path, pathsz, "%s/param.conf", cs->dir);
	else if (cs_find_app(cs, group) && strcmp(group, cs->app) != 0)
		snprintf(path, pathsz, "%s/params/%s.conf", cs->dir, group);
	else
		return -1;
	return 0;
}

/* "root.G" or "root.G.N" into G and N ("" when absent). */
static int split_name(const char *full, char *group, char *name)
{
	const char *g = full + 5, *dot;

	if (strncmp(full, "root.", 5) != 0)
		return -1;
	dot = strchr(g, '.');
	if ((size_t)(dot ? dot - g : (ptrdiff_t)strlen(g)) >= CS_FIELD || (dot && strlen(dot + 1) >= CS_FIELD))
		return -1;
	snprintf(group, CS_FIELD, "%.*s", (int)(dot ? dot - g : (ptrdiff_t)strlen(g)), g);
	snprintf(name, CS_FIELD, "%s", dot ? dot + 1 : "");
	return group[0] ? 0 : -1;
}

static int list(struct camsim *cs, const char *full, struct buf *out)
{
	char group[CS_FIELD], want[CS_FIELD], path[PATH_MAX + CS_FIELD + 16];
	struct buf conf;
	char *line, *save = NULL;
	int rc = 0;

	if (split_name(full, group, want) != 0 || group_file(cs, group, path, sizeof(path)) != 0)
		return buf_printf(out, "# Error: Error -1 getting param in group '%s'\n", full);
	buf_init(&conf, PARAM_MAX);
	if (fs_read_file(path, &conf, PARAM_MAX) != 0)
		buf_reset(&conf);
	for (line = strtok_r(conf.data ? conf.data : (char[]){ 0 }, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[CS_FIELD], value[2048], type[96];

		if (paramconf_line(line, name, sizeof(name), value, sizeof(value), type,
			       sizeof(type)) != 0)
			continue;
		if (paramconf_is_password(type))
			continue; /* not readable through param.cgi */
		if (want[0] && strcmp(want, name))
			continue;
		rc |= buf_printf(out, "root.%s.%s=%s\n", group, name, value);
	}
	buf_free(&conf);
	return rc;
}

/* Sets name in the param.conf text of path to value (or, with declare, adds it with type
 * when absent). 0, or -1 with why. */
static int set_param(const char *path, const char *name, const char *value, const char *declare,
		     char *why, size_t whysz)
{
	struct buf conf, out;
	char *line, *save = NULL;
	int found = 0, rc = 0;

	if (strchr(value, '"') || strchr(value, '\n')) {
		snprintf(why, whysz, "value of %s has a quote or a newline", name);
		return -1;
	}
	buf_init(&conf, PARAM_MAX);
	buf_init(&out, PARAM_MAX);
	if (fs_read_file(path, &conf, PARAM_MAX) != 0)
		buf_reset(&conf);
	for (line = strtok_r(conf.data ? conf.data : (char[]){ 0 }, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char n[CS_FIELD], v[2048], type[96];

		if (paramconf_line(line, n, sizeof(n), v, sizeof(v), type, sizeof(type)) == 0 &&
		    !strcmp(n, name)) {
			found = 1;
			if (!declare)
				snprintf(v, sizeof(v), "%s", value);
			rc |= buf_printf(&out, "%s=\"%s\" type=\"%s\"\n", n, v, type);
		} else {
			rc |= buf_printf(&out, "%s\n", line);
		}
	}
	if (!found && declare)
		rc |= buf_printf(&out, "%s=\"%s\" type=\"%s\"\n", name, value, declare);
	if (!found && !declare) {
		snprintf(why, whysz, "no parameter %s", name);
		rc = -1;
	} else if (rc != 0 || fs_write_atomic(path, out.data ? out.data : "", out.len, 0644) != 0) {
		snprintf(why, whysz, "cannot write %s", path);
		rc = -1;
	}
	buf_free(&conf);
	buf_free(&out);
	return rc;
}

static int update(struct camsim *cs, struct evhttp_request *req, const struct buf *body,
		  struct buf *out)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *sources[2] = { uri ? evhttp_uri_get_query(uri) : NULL, buf_str(body) };
	char why[160] = "nothing to update";
	int done = 0, rc = 0;

	for (int i = 0; i < 2 && rc == 0; i++) {
		struct evkeyvalq q;
		struct evkeyval *kv;

		if (!sources[i] || evhttp_parse_query_str(sources[i], &q) != 0)
			continue;
		TAILQ_FOREACH(kv, &q, next) {
			char group[CS_FIELD], name[CS_FIELD], path[PATH_MAX + CS_FIELD + 16];

			if (!strcmp(kv->key, "action"))
				continue;
			if (split_name(kv->key, group, name) != 0 || !name[0] ||
			    group_file(cs, group, path, sizeof(path)) != 0) {
				snprintf(why, sizeof(why), "no parameter %s", kv->key);
				rc = -1;
				break;
			}
			if (set_param(path, name, kv->value, NULL, why, sizeof(why)) != 0) {
				rc = -1;
				break;
			}
			cs_log("param.cgi: %s updated", kv->key);
			done++;
		}
		evhttp_clear_headers(&q);
	}
	if (rc == 0 && done)
		return buf_append_str(out, "OK\n");
	return buf_printf(out, "# Error: %s\n", why);
}

int cs_params_install(struct camsim *cs, const char *group, const struct eap_manifest *m)
{
	char path[PATH_MAX + CS_FIELD + 16], why[160];

	snprintf(path, sizeof(path), "%s/params", cs->dir);
	if (fs_mkdirs(path, 0755) != 0 || group_file(cs, group, path, sizeof(path)) != 0)
		return -1;
	/* parameters survive an upgrade [NSAPI]: only new ones get their default */
	for (int i = 0; i < m->nparams; i++)
		if (set_param(path, m->params[i].name, m->params[i].def, m->params[i].type, why,
			      sizeof(why)) != 0) {
			cs_log("param.cgi: %s", why);
			return -1;
		}
	return 0;
}

void cs_param(struct camsim *cs, struct evhttp_request *req)
{
	char action[32] = "", group[160] = "";
	struct cs_fault f;
	struct buf body, out;
	int rc = 0;

	if (cs_body(req, &body, FORM_MAX) != 0) {
		cs_send(cs, req, NULL, 413, "text/plain", "too large\n", 10);
		return;
	}
	cs_arg(req, &body, "action", action, sizeof(action));
	cs_arg(req, &body, "group", group, sizeof(group));
	cs_fault_take(cs, "param.cgi", action, &f);
	buf_init(&out, PARAM_MAX);
	if (f.kind == FAULT_ERROR)
		rc |= buf_printf(&out, "# Error: Simulated error %d\n", f.value);
	else if (!strcmp(action, "list"))
		rc |= list(cs, group, &out);
	else if (!strcmp(action, "update"))
		rc |= update(cs, req, &body, &out);
	else
		rc |= buf_printf(&out, "# Error: action %s is not simulated\n", action);
	if (rc == 0)
		cs_send(cs, req, &f, 200, "text/plain", out.data ? out.data : "", out.len);
	else
		cs_send(cs, req, NULL, 500, "text/plain", "too large\n", 10);
	buf_free(&out);
	buf_free(&body);
}
