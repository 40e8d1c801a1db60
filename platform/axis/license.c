/* license: tied-to-hardware license keys through the VAPIX Application API [APP]:
 * applications/license.cgi?action=uploadlicensekey&package=<app> (multipart part
 * "licenseKey", octet-stream), reply text "OK" or "Error: <n>"; then applications/list.cgi
 * must show License="Valid" for the app. removelicensekey deactivates. */
#include "axis.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/log.h"

#define LICENSE_KEY_MAX (16 * 1024)

static const struct axis_code license_codes[] = {
	{ 21, "invalid license key file" },
	{ 22, "file upload failed" },
	{ 23, "failed to remove the license key file" },
	{ 24, "application not installed" },
	{ 25, "the key's application ID does not match the installed application" },
	{ 26, "the key cannot be used with this application version" },
	{ 30, "the key is for another device (wrong serial number)" },
	{ 31, "the license key has expired" },
	{ 0, NULL },
};

/* Used in a URL query and as a file name: [A-Za-z0-9][A-Za-z0-9._-]*. */
static int app_ok(const char *app)
{
	size_t n = app ? strlen(app) : 0;

	if (n == 0 || n >= AXIS_APP_MAX || !isalnum((unsigned char)app[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)app[i]) && !strchr("._-", app[i]))
			return 0;
	return 1;
}

/* "OK" or "Error: <n>" (surrounding white space tolerated). */
static int text_reply(const char *what, const struct buf *reply, char *reason, size_t reasonsz)
{
	const char *s = buf_str(reply), *e = s + reply->len;
	char raw[64];
	int code = 0, used = 0;

	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (e - s == 2 && memcmp(s, "OK", 2) == 0)
		return 0;
	if (e - s > 7 && e - s < 20 && memcmp(s, "Error: ", 7) == 0 &&
	    sscanf(s + 7, "%d%n", &code, &used) == 1 && s + 7 + used == e) {
		const char *meaning = "undocumented error code";

		for (const struct axis_code *c = license_codes; c->meaning; c++)
			if (c->code == code)
				meaning = c->meaning;
		return axis_fail(reason, reasonsz, "%s: Error %d (%s)", what, code, meaning);
	}
	axis_printable(raw, 40, s, (size_t)(e - s));
	return axis_fail(reason, reasonsz, "%s: unexpected reply \"%s\"", what, raw);
}

/* Reads the next attribute of a tag at *p: name="value". 0 on one, 1 at the tag's end,
 * -1 on malformed XML. */
static int next_attr(const char **p, const char *end, char *name, size_t namesz, char *val,
		     size_t valsz)
{
	const char *s = *p, *v;
	size_t n;
	char q;

	while (s < end && isspace((unsigned char)*s))
		s++;
	if (s < end && (*s == '>' || (*s == '/' && s + 1 < end && s[1] == '>'))) {
		*p = s;
		return 1;
	}
	for (n = 0; s + n < end && (isalnum((unsigned char)s[n]) || s[n] == '_'); n++)
		;
	if (n == 0 || n >= namesz || s + n + 1 >= end || s[n] != '=' ||
	    (s[n + 1] != '"' && s[n + 1] != '\''))
		return -1;
	memcpy(name, s, n);
	name[n] = '\0';
	q = s[n + 1];
	v = s + n + 2;
	for (n = 0; v + n < end && v[n] != q && v[n] != '<'; n++)
		;
	if (v + n >= end || v[n] != q || n >= valsz)
		return -1;
	memcpy(val, v, n);
	val[n] = '\0';
	*p = v + n + 1;
	return 0;
}

int axis_license_list_parse(const char *xml, size_t len, const char *app, char *state,
			    size_t statesz, char *reason, size_t reasonsz)
{
	const char *p = xml, *end = xml + len;
	int found = 0;

	if (strlen(xml) != len || !strstr(p, "<reply"))
		return axis_fail(reason, reasonsz, "list.cgi: reply is not the expected XML");
	if (!strstr(p, "<reply result=\"ok\""))
		return axis_fail(reason, reasonsz, "list.cgi: the camera answered with an error");
	while ((p = strstr(p, "<application")) != NULL && !found) {
		char name[32], val[128], app_name[AXIS_APP_MAX] = "", lic[32] = "";
		int r;

		p += strlen("<application");
		while ((r = next_attr(&p, end, name, sizeof(name), val, sizeof(val))) == 0) {
			if (strcmp(name, "Name") == 0)
				snprintf(app_name, sizeof(app_name), "%s", val);
			else if (strcmp(name, "License") == 0)
				snprintf(lic, sizeof(lic), "%s", val);
		}
		if (r < 0)
			return axis_fail(reason, reasonsz, "list.cgi: malformed <application> element");
		if (strcmp(app_name, app) == 0) {
			found = 1;
			snprintf(state, statesz, "%s", lic[0] ? lic : "(none)");
		}
	}
	if (!found)
		return axis_fail(reason, reasonsz, "list.cgi: application %s is not installed", app);
	return 0;
}

int axis_license_state(struct axis *ax, const char *app, char *state, size_t statesz,
		       char *reason, size_t reasonsz)
{
	struct buf reply;
	int rc = -1;

	buf_init(&reply, AXIS_REPLY_MAX);
	if (axis_post_form(ax, "/axis-cgi/applications/list.cgi", "", &reply, reason,
			   reasonsz) == 0)
		rc = axis_license_list_parse(buf_str(&reply), reply.len, app, state, statesz,
					     reason, reasonsz);
	buf_free(&reply);
	return rc;
}

int axis_license_install(void *priv, const char *app, const void *key, size_t keylen,
			 char *reason, size_t reasonsz)
{
	struct axis *ax = priv;
	struct buf reply;
	char path[160], filename[AXIS_APP_MAX + 8], state[32];
	int rc = -1;

	if (!app_ok(app))
		return axis_fail(reason, reasonsz, "invalid application name");
	if (!key || keylen == 0 || keylen > LICENSE_KEY_MAX)
		return axis_fail(reason, reasonsz, "license key is empty or larger than %d bytes",
				 LICENSE_KEY_MAX);
	snprintf(path, sizeof(path),
		 "/axis-cgi/applications/license.cgi?action=uploadlicensekey&package=%s", app);
	snprintf(filename, sizeof(filename), "%s.xml", app);
	const struct axis_part part = { .name = "licenseKey", .filename = filename,
					.type = "application/octet-stream", .data = key,
					.len = keylen };
	buf_init(&reply, AXIS_REPLY_MAX);
	if (axis_post_multipart(ax, path, &part, 1, 0, &reply, reason, reasonsz) != 0 ||
	    text_reply("license.cgi uploadlicensekey", &reply, reason, reasonsz) != 0)
		goto out;
	if (axis_license_state(ax, app, state, sizeof(state), reason, reasonsz) != 0)
		goto out;
	if (strcmp(state, "Valid") != 0) {
		axis_fail(reason, reasonsz,
			  "license.cgi accepted the key but list.cgi reports License=\"%s\" for %s",
			  state, app);
		goto out;
	}
	rc = 0;
out:
	buf_free(&reply);
	return rc;
}

int axis_license_remove(void *priv, const char *app, char *reason, size_t reasonsz)
{
	struct axis *ax = priv;
	struct buf reply;
	char path[160];
	int rc;

	if (!app_ok(app))
		return axis_fail(reason, reasonsz, "invalid application name");
	snprintf(path, sizeof(path),
		 "/axis-cgi/applications/license.cgi?action=removelicensekey&package=%s", app);
	buf_init(&reply, AXIS_REPLY_MAX);
	rc = axis_post_form(ax, path, "", &reply, reason, reasonsz) != 0 ||
			     text_reply("license.cgi removelicensekey", &reply, reason, reasonsz) != 0
		     ? -1
		     : 0;
	buf_free(&reply);
	if (rc == 0)
		log_info("axis: license key of %s removed", app);
	return rc;
}
