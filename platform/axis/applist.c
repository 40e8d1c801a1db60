/* applist: the reply formats of the VAPIX Application API [APP], shared by license.c and
 * apps.c: the text replies "OK" / "Error: <n>" of license.cgi, upload.cgi and control.cgi,
 * and the XML of list.cgi (<reply result="ok"><application Name=".." .../></reply>). */
#include "axis.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/eap.h"

int axis_app_name_ok(const char *app)
{
	return eap_app_name_ok(app) && strlen(app) < AXIS_APP_MAX;
}

int axis_text_reply(const char *what, const struct buf *reply, const struct axis_code *codes,
		    int *code_out, char *reason, size_t reasonsz)
{
	const char *s = buf_str(reply), *e = s + reply->len;
	char raw[64];
	int code = 0, used = 0;

	if (code_out)
		*code_out = 0;
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (e - s == 2 && memcmp(s, "OK", 2) == 0)
		return 0;
	if (e - s > 7 && e - s < 20 && memcmp(s, "Error: ", 7) == 0 &&
	    sscanf(s + 7, "%d%n", &code, &used) == 1 && s + 7 + used == e) {
		const char *meaning = "undocumented error code";

		for (const struct axis_code *c = codes; c && c->meaning; c++)
			if (c->code == code)
				meaning = c->meaning;
		if (code_out)
			*code_out = code;
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

/* The five XML entities back to characters, in place. */
static void unescape(char *s)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "&quot;", '"' }, { "&apos;", '\'' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&amp;", '&' },
	};
	char *o = s;

	for (const char *p = s; *p;) {
		size_t i, n = 0;

		for (i = 0; i < sizeof(ents) / sizeof(ents[0]) && *p == '&'; i++)
			if (!strncmp(p, ents[i].ent, (n = strlen(ents[i].ent))))
				break;
		if (*p == '&' && i < sizeof(ents) / sizeof(ents[0])) {
			*o++ = ents[i].c;
			p += n;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
}

static void set_field(struct platform_app *a, const char *name, const char *val)
{
	static const struct { const char *attr; size_t off, size; } fields[] = {
#define F(attr, field) { attr, offsetof(struct platform_app, field), \
			 sizeof(((struct platform_app *)0)->field) }
		F("Name", name), F("NiceName", nice_name), F("Vendor", vendor),
		F("Version", version), F("Status", status), F("License", license),
		F("LicenseExpirationDate", license_expires), F("ApplicationID", app_id),
#undef F
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcmp(name, fields[i].attr))
			snprintf((char *)a + fields[i].off, fields[i].size, "%s", val);
}

int axis_apps_parse(const char *xml, size_t len, struct platform_app_list *out, char *reason,
		    size_t reasonsz)
{
	const char *p = xml, *end = xml + len;

	memset(out, 0, sizeof(*out));
	if (!strstr(p, "<reply") || strlen(p) != len)
		return axis_fail(reason, reasonsz, "list.cgi: reply is not the expected XML");
	if (!strstr(p, "<reply result=\"ok\""))
		return axis_fail(reason, reasonsz, "list.cgi: the camera answered with an error");
	while ((p = strstr(p, "<application")) != NULL) {
		struct platform_app a;
		char name[32], val[256];
		int r;

		memset(&a, 0, sizeof(a));
		p += strlen("<application");
		while ((r = next_attr(&p, end, name, sizeof(name), val, sizeof(val))) == 0) {
			unescape(val);
			set_field(&a, name, val);
		}
		if (r < 0 || !a.name[0])
			return axis_fail(reason, reasonsz, "list.cgi: malformed <application> element");
		if (out->count == PLATFORM_APPS_MAX)
			return axis_fail(reason, reasonsz, "list.cgi: more than %d applications",
					 PLATFORM_APPS_MAX);
		a.running = !strcmp(a.status, "Running");
		out->apps[out->count++] = a;
	}
	return 0;
}

const struct platform_app *axis_apps_find(const struct platform_app_list *l, const char *app)
{
	for (int i = 0; i < l->count; i++)
		if (!strcmp(l->apps[i].name, app))
			return &l->apps[i];
	return NULL;
}
