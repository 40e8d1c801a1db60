/* config: parses "key = value" lines (# comments) into struct agent_config.
 * One table maps keys to fields, so the file, the flags and the docs agree. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/app_name.h"
#include "../lib/buf.h"
#include "../lib/fsutil.h"

enum field_kind { F_STRING, F_INT, F_BOOL, F_U64, F_LOGLEVEL };

struct field {
	const char *key;
	enum field_kind kind;
	size_t offset;
	size_t size;   /* strings: buffer size */
	long min, max; /* ints */
};

#define STR(k, m) { k, F_STRING, offsetof(struct agent_config, m), sizeof(((struct agent_config *)0)->m), 0, 0 }
#define INT(k, m, lo, hi) { k, F_INT, offsetof(struct agent_config, m), 0, lo, hi }

static const struct field fields[] = {
	STR("cloud_url", cloud_url),
	STR("enrollment_token", enrollment_token),
	STR("state_dir", state_dir),
	STR("platform", platform),
	STR("sim_dir", sim_dir),
	STR("vapix_url", vapix_url),
	STR("axis_app_name", axis_app_name),
	STR("axis_dbus_address", axis_dbus_address),
	INT("axis_auto_rollback_min", axis_auto_rollback_min, 0, 1440),
	INT("local_api_port", local_api_port, 0, 65535),
	STR("ca_file", ca_file),
	{ "allow_insecure_http", F_BOOL, offsetof(struct agent_config, allow_insecure_http), 0, 0, 0 },
	INT("long_poll_s", long_poll_s, 1, 300),
	INT("heartbeat_s", heartbeat_s, 1, 86400),
	INT("license_check_s", license_check_s, 1, 7 * 86400),
	INT("retry_max_s", retry_max_s, 1, 86400),
	INT("request_timeout_s", request_timeout_s, 1, 600),
	{ "download_max_bytes_per_s", F_U64, offsetof(struct agent_config, download_max_bytes_per_s), 0, 0, 0 },
	{ "log_level", F_LOGLEVEL, offsetof(struct agent_config, log_level), 0, 0, 0 },
	{ "syslog", F_BOOL, offsetof(struct agent_config, use_syslog), 0, 0, 0 },
};

void config_defaults(struct agent_config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->platform, "sim");
	strcpy(c->vapix_url, "http://127.0.0.12");
	strcpy(c->axis_app_name, CAMAGENT_APP_NAME);
	c->axis_auto_rollback_min = 10;
	c->local_api_port = 2001;
	c->long_poll_s = 60;
	c->heartbeat_s = 300;
	c->license_check_s = 3600;
	c->retry_max_s = 300;
	c->request_timeout_s = 30;
	c->log_level = LOGL_INFO;
}

static int parse_long(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "1"))
		*out = 1;
	else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

int config_set(struct agent_config *c, const char *key, const char *value, char *err, size_t errsz)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct field *f = &fields[i];
		char *p = (char *)c + f->offset;
		if (strcmp(f->key, key))
			continue;
		switch (f->kind) {
		case F_STRING:
			if (strlen(value) >= f->size) {
				snprintf(err, errsz, "%s: value too long (max %zu)", key, f->size - 1);
				return -1;
			}
			strcpy(p, value);
			return 0;
		case F_INT: {
			long v;
			if (parse_long(value, &v) || v < f->min || v > f->max) {
				snprintf(err, errsz, "%s: expected an integer in %ld..%ld", key, f->min, f->max);
				return -1;
			}
			*(int *)p = (int)v;
			return 0;
		}
		case F_U64: {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(value, &end, 10);
			if (errno || end == value || *end || value[0] == '-') {
				snprintf(err, errsz, "%s: expected a non-negative integer", key);
				return -1;
			}
			*(uint64_t *)p = v;
			return 0;
		}
		case F_BOOL:
			if (parse_bool(value, (int *)p)) {
				snprintf(err, errsz, "%s: expected true or false", key);
				return -1;
			}
			return 0;
		case F_LOGLEVEL:
			if (log_level_parse(value, (enum log_level *)p)) {
				snprintf(err, errsz, "%s: expected error, warn, info or debug", key);
				return -1;
			}
			return 0;
		}
	}
	snprintf(err, errsz, "unknown setting '%s'", key);
	return -1;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int config_load_file(struct agent_config *c, const char *path, char *err, size_t errsz)
{
	struct buf text;
	buf_init(&text, CONFIG_FILE_MAX);
	if (fs_read_file(path, &text, CONFIG_FILE_MAX)) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		buf_free(&text);
		return -1;
	}
	int rc = 0, lineno = 0;
	char *next = text.data;
	while (next) {
		char *line = next;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *l = trim(line);
		if (!*l)
			continue;
		char *eq = strchr(l, '=');
		if (!eq) {
			snprintf(err, errsz, "%s:%d: expected key = value", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		char why[256];
		if (config_set(c, trim(l), trim(eq + 1), why, sizeof(why))) {
			snprintf(err, errsz, "%s:%d: %s", path, lineno, why);
			rc = -1;
			break;
		}
	}
	buf_free(&text);
	return rc;
}

int config_validate(const struct agent_config *c, char *err, size_t errsz)
{
	if (!c->state_dir[0]) {
		snprintf(err, errsz, "state_dir is not set");
		return -1;
	}
	if (!strcmp(c->platform, "axis")) {
		if (!c->vapix_url[0] || !c->axis_app_name[0]) {
			snprintf(err, errsz, "platform axis needs vapix_url and axis_app_name");
			return -1;
		}
		return 0;
	}
	if (strcmp(c->platform, "sim")) {
		snprintf(err, errsz, "platform '%s' is not supported (supported: sim, axis)",
			 c->platform);
		return -1;
	}
	if (!c->sim_dir[0]) {
		snprintf(err, errsz, "platform sim needs sim_dir");
		return -1;
	}
	return 0;
}

int config_build(struct agent_config *c, const char *path, const struct config_override *ov,
		 int nov, char *err, size_t errsz)
{
	config_defaults(c);
	if (path && config_load_file(c, path, err, errsz))
		return -1;
	for (int i = 0; i < nov; i++) {
		char why[256];
		if (config_set(c, ov[i].key, ov[i].value, why, sizeof(why))) {
			snprintf(err, errsz, "command line: %s", why);
			return -1;
		}
	}
	return 0;
}
