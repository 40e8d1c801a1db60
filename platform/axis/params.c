/* params: the ACAP's own parameters (manifest paramConfig: CloudUrl, EnrollmentToken,
 * LongPollSeconds) through param.cgi: action=list&group=root.<appName>, plain-text
 * "root.Group.Param=value" lines, errors starting "# Error" [RS parameter_management.rs].
 * The group's case is UNCONFIRMED (root.<appName> or with a capital first letter): ask for
 * the exact appName first, then the capitalized form, and read either. A parameter of type
 * password is not readable through param.cgi [AXP-H]: it is simply absent then. Where the
 * camera has the axparameter library (axparameter.c), the settings come from it instead,
 * password included, and changes are told through its callbacks. */
#include "op.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../lib/log.h"
#include "axparameter.h"

/* One "root.<group>.<name>=<value>" line of our group; 0 when it matched. */
static int split_line(const char *line, size_t len, const char *app, const char **name,
		      size_t *namelen, const char **value, size_t *valuelen)
{
	size_t applen = strlen(app);
	const char *eq = memchr(line, '=', len);

	if (!eq || len < 5 + applen + 2 || strncmp(line, "root.", 5) != 0 ||
	    strncasecmp(line + 5, app, applen) != 0 || line[5 + applen] != '.')
		return -1;
	*name = line + 5 + applen + 1;
	*namelen = (size_t)(eq - *name);
	*value = eq + 1;
	*valuelen = len - (size_t)(*value - line);
	return eq > *name ? 0 : -1;
}

static int set_string(char *out, size_t outsz, const char *v, size_t n, const char *source,
		      const char *name, char *reason, size_t reasonsz)
{
	if (n >= outsz)
		return axis_fail(reason, reasonsz, "%s: %s is longer than %zu characters", source,
				 name, outsz - 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return axis_fail(reason, reasonsz, "%s: %s has control characters", source,
					 name);
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

static int is_name(const char *name, size_t nlen, const char *want)
{
	return nlen == strlen(want) && memcmp(name, want, nlen) == 0;
}

/* One of the app's parameters into out, whoever read it; other names are ignored. */
static int take_setting(struct platform_settings *out, const char *name, size_t nlen,
			const char *value, size_t vlen, const char *source, char *reason,
			size_t reasonsz)
{
	if (is_name(name, nlen, "CloudUrl"))
		return set_string(out->cloud_url, sizeof(out->cloud_url), value, vlen, source,
				  "CloudUrl", reason, reasonsz);
	if (is_name(name, nlen, "EnrollmentToken"))
		return set_string(out->enrollment_token, sizeof(out->enrollment_token), value, vlen,
				  source, "EnrollmentToken", reason, reasonsz);
	if (is_name(name, nlen, "LongPollSeconds") && vlen) {
		char num[16];
		char *e;
		long v;

		if (vlen >= sizeof(num))
			return axis_fail(reason, reasonsz, "%s: LongPollSeconds is not a number",
					 source);
		memcpy(num, value, vlen);
		num[vlen] = '\0';
		v = strtol(num, &e, 10);
		if (*e || v < 1 || v > 300)
			return axis_fail(reason, reasonsz, "%s: LongPollSeconds must be 1..300",
					 source);
		out->long_poll_s = (int)v;
	}
	return 0;
}

int axis_params_parse(const char *app, const struct buf *reply, struct platform_settings *out,
		      char *reason, size_t reasonsz)
{
	const char *p = buf_str(reply), *end = p + reply->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *name, *value;
		size_t nlen, vlen;

		if (len && p[len - 1] == '\r')
			len--;
		if (len && (len < 6 || strncmp(p, "root.", 5) != 0 || !memchr(p, '=', len)))
			return axis_fail(reason, reasonsz,
					 "param.cgi: reply is not \"root.Group.Param=value\" lines");
		if (split_line(p, len, app, &name, &nlen, &value, &vlen) == 0 &&
		    take_setting(out, name, nlen, value, vlen, "param.cgi", reason, reasonsz) != 0)
			return -1;
		p += (nl ? (size_t)(nl - p) + 1 : (size_t)(end - p));
	}
	return 0;
}

const char *const axis_setting_names[] = { "CloudUrl", "EnrollmentToken", "LongPollSeconds",
					   NULL };

/* The same settings through axparameter, which reads password parameters too. */
static int read_through_axparameter(struct axis *ax, struct platform_settings *out,
				    char *reason, size_t reasonsz)
{
	char value[PLATFORM_SETTING_TOKEN_MAX];
	int rc = 0;

	for (int i = 0; axis_setting_names[i] && rc == 0; i++) {
		const char *name = axis_setting_names[i];

		rc = axparameter_get(ax->params, name, value, sizeof(value), reason, reasonsz);
		if (rc == 0)
			rc = take_setting(out, name, strlen(name), value, strlen(value),
					  "axparameter", reason, reasonsz);
	}
	explicit_bzero(value, sizeof(value));
	if (rc != 0)
		explicit_bzero(out, sizeof(*out));
	return rc;
}

int axis_watch_settings(void *priv, void (*changed)(void *arg), void *arg, char *reason,
			size_t reasonsz)
{
	struct axis *ax = priv;

	if (!ax->params)
		return 1; /* param.cgi has no change notification: read at start and on SIGHUP */
	return axparameter_watch(ax->params, axis_setting_names, changed, arg, reason, reasonsz);
}

/* ---- reading the settings (asynchronous, op.h; the settings in op->data) ---- */

#define PARAM_PATH "/axis-cgi/param.cgi"

static void settings_finish(struct axis_op *op, int rc, const char *reason)
{
	if (rc != 0)
		explicit_bzero(op->data, op->len);
	axis_op_finish(op, rc, reason, NULL);
}

static void on_axparameter_turn(struct axis_op *op, int rc, const char *reason)
{
	char why[PLATFORM_REASON_MAX];

	(void)rc;
	(void)reason;
	rc = read_through_axparameter(op->ax, op->data, why, sizeof(why));
	settings_finish(op, rc, why);
}

static void on_group_listed(struct axis_op *op, int rc, const char *reason);

/* action=list of root.<op->group>. */
static int list_request(struct axis_op *op, char *reason, size_t reasonsz)
{
	char form[AXIS_APP_MAX + 32];
	const struct vapix_request rq = { .path = PARAM_PATH, .body = form,
					  .content_type = "application/x-www-form-urlencoded" };

	snprintf(form, sizeof(form), "action=list&group=root.%s", op->group);
	return axis_op_request(op, &rq, on_group_listed, reason, reasonsz);
}

static void on_group_listed(struct axis_op *op, int rc, const char *reason)
{
	char why[PLATFORM_REASON_MAX];
	char cap = (char)toupper((unsigned char)op->group[0]);

	if (rc != 0) {
		settings_finish(op, -1, reason);
		return;
	}
	if (strlen(buf_str(&op->reply)) != op->reply.len) {
		settings_finish(op, -1, "param.cgi: reply contains NUL bytes");
		return;
	}
	if (strncmp(buf_str(&op->reply), "# Error", 7) == 0) {
		/* no such group: the group's case is UNCONFIRMED, try the capitalized form */
		if (cap == op->group[0]) {
			snprintf(why, sizeof(why), "param.cgi: no parameter group root.%s", op->app);
			settings_finish(op, -1, why);
			return;
		}
		op->group[0] = cap;
		if (list_request(op, why, sizeof(why)) != 0)
			settings_finish(op, -1, why);
		return;
	}
	rc = axis_params_parse(op->ax->app, &op->reply, op->data, why, sizeof(why));
	settings_finish(op, rc, why);
}

/* Through axparameter (read on the next loop turn, so done never comes inside the call),
 * else param.cgi (the exact appName, then the capitalized form). */
int axis_read_settings(void *priv, platform_settings_done_fn done, void *arg, char *reason,
		       size_t reasonsz)
{
	struct axis *ax = priv;
	struct axis_op *op = axis_op_new(ax, arg, reason, reasonsz);

	if (!op)
		return -1;
	op->settings_done = done;
	op->len = sizeof(struct platform_settings);
	op->data = calloc(1, op->len);
	if (!op->data) {
		axis_op_drop(op);
		return axis_fail(reason, reasonsz, "out of memory");
	}
	snprintf(op->app, sizeof(op->app), "%s", ax->app);
	snprintf(op->group, sizeof(op->group), "%s", ax->app);
	if (ax->params ? axis_op_pause_request(op, 0, on_axparameter_turn, reason, reasonsz) != 0
		       : list_request(op, reason, reasonsz) != 0) {
		axis_op_drop(op);
		return -1;
	}
	return 0;
}

/* application/x-www-form-urlencoded: unreserved characters kept, the rest %XX. */
static int form_encode(char *out, size_t outsz, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (o + 4 > outsz)
			return -1;
		if (isalnum(c) || strchr("-._~", c)) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

/* ---- setting an app's parameter (asynchronous, op.h) ---- */
#define PARAM_FORM_MAX (3 * 1024 + 2 * AXIS_APP_MAX + 32)

static void on_updated(struct axis_op *op, int rc, const char *reason);

/* action=update of root.<op->group>.<op->name>. */
static int update_request(struct axis_op *op, char *reason, size_t reasonsz)
{
	char enc[3 * 1024 + 1], form[PARAM_FORM_MAX];
	const struct vapix_request rq = { .path = PARAM_PATH, .body = form,
					  .content_type = "application/x-www-form-urlencoded" };
	int rc;

	if (form_encode(enc, sizeof(enc), op->value) != 0)
		return axis_fail(reason, reasonsz, "param.cgi: the value of %s is too long",
				 op->name);
	snprintf(form, sizeof(form), "action=update&root.%s.%s=%s", op->group, op->name, enc);
	rc = axis_op_request(op, &rq, on_updated, reason, reasonsz);
	explicit_bzero(enc, sizeof(enc));
	explicit_bzero(form, sizeof(form));
	return rc;
}

/* Read back where readable (a password parameter is absent from lists). */
static void on_read_back(struct axis_op *op, int rc, const char *reason)
{
	const char *text = buf_str(&op->reply);
	const char *eq = strchr(text, '=');
	size_t n = eq ? strcspn(eq + 1, "\r\n") : 0;
	char why[PLATFORM_REASON_MAX];

	if (rc != 0) {
		axis_op_finish(op, -1, reason, NULL);
		return;
	}
	if (strlen(text) != op->reply.len) {
		axis_op_finish(op, -1, "param.cgi: reply contains NUL bytes", NULL);
		return;
	}
	if (op->reply.len && strncmp(text, "# Error", 7) &&
	    (!eq || n != strlen(op->value) || memcmp(eq + 1, op->value, n) != 0)) {
		snprintf(why, sizeof(why),
			 "param.cgi: %s.%s reads back differently after the update", op->app,
			 op->name);
		axis_op_finish(op, -1, why, NULL);
		return;
	}
	log_info("axis: parameter %s of %s set", op->name, op->app);
	axis_op_finish(op, 0, NULL, NULL);
}

static void on_updated(struct axis_op *op, int rc, const char *reason)
{
	char why[PLATFORM_REASON_MAX], form[AXIS_APP_MAX * 2 + 40];
	const char *text = buf_str(&op->reply);

	if (rc != 0) {
		axis_op_finish(op, -1, reason, NULL);
		return;
	}
	if (!strncmp(text, "# Error", 7)) {
		/* the group's case is UNCONFIRMED: try the capitalized form */
		char cap = (char)toupper((unsigned char)op->group[0]);

		if (cap != op->group[0]) {
			op->group[0] = cap;
			if (update_request(op, why, sizeof(why)) != 0)
				axis_op_finish(op, -1, why, NULL);
			return;
		}
		snprintf(why, sizeof(why), "param.cgi: %s has no parameter %s", op->app, op->name);
		axis_op_finish(op, -1, why, NULL);
		return;
	}
	if (strncmp(text, "OK", 2) != 0) {
		axis_op_finish(op, -1, "param.cgi update: unexpected reply", NULL);
		return;
	}
	snprintf(form, sizeof(form), "action=list&group=root.%s.%s", op->group, op->name);
	const struct vapix_request rq = { .path = PARAM_PATH, .body = form,
					  .content_type = "application/x-www-form-urlencoded" };
	axis_op_next(op, &rq, on_read_back);
}

int axis_app_set_param(void *priv, const char *app, const char *name, const char *value,
		       platform_done_fn done, void *arg, char *reason, size_t reasonsz)
{
	struct axis_op *op;

	if (!axis_app_name_ok(name))
		return axis_fail(reason, reasonsz, "invalid parameter name");
	op = axis_op_for_app(priv, app, done, arg, reason, reasonsz);
	if (!op)
		return -1;
	snprintf(op->group, sizeof(op->group), "%s", app);
	snprintf(op->name, sizeof(op->name), "%s", name);
	op->value = strdup(value);
	if (!op->value) {
		axis_op_drop(op);
		return axis_fail(reason, reasonsz, "out of memory");
	}
	if (update_request(op, reason, reasonsz) != 0) {
		axis_op_drop(op);
		return -1;
	}
	return 0;
}
