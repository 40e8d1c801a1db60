/* eap: an ACAP package read in one pass through zlib (gzip, or a plain tar read as is),
 * with a small ustar reader (GNU long names and pax path records included), and the
 * installation rules of AXIS OS as documented:
 *   [SCHEMA] schema 1.x: required fields; the AXIS OS each 1.x version first installs
 *   [V2]     schema 2.x: vendorId, compatibleOsVersions, architecture required; AXIS OS 13
 *            installs only 2.x; static user only "sdk", a fixed list of groups
 *   [USER]   from AXIS OS 12.0, root is not allowed as user or group
 * The AXIS OS that first installs 2.x (12.10) is the one acap/manifest.py packs for. */
#include "eap.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "buf.h"
#include "json.h"
#include "version.h"

#define BLOCK 512
#define NAME_MAX_LEN 1024
#define MANIFEST_TOKENS 1024
#define SCHEMA2_SINCE_OS "12.10"
#define SCHEMA2_ONLY_FROM_OS "13"
#define NO_ROOT_FROM_OS "12.0"

__attribute__((format(printf, 3, 4))) static int fail(char *why, size_t whysz, const char *fmt,
						      ...)
{
	va_list ap;

	if (why && whysz) {
		va_start(ap, fmt);
		vsnprintf(why, whysz, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- tar ---- */

static int read_full(gzFile gz, void *p, size_t n)
{
	int got = gzread(gz, p, (unsigned)n);

	return got == (int)n ? 0 : -1;
}

static int octal(const unsigned char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	while (i < n && p[i] == ' ')
		i++;
	if (i == n || p[i] < '0' || p[i] > '7')
		return -1;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
		if (v >> 60)
			return -1;
		v = v * 8 + (uint64_t)(p[i] - '0');
	}
	for (; i < n; i++)
		if (p[i] != ' ' && p[i] != '\0')
			return -1;
	*out = v;
	return 0;
}

static int header_ok(const unsigned char *h)
{
	uint64_t want, sum = 0;

	for (int i = 0; i < BLOCK; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return octal(h + 148, 8, &want) == 0 && want == sum;
}

static uint64_t padded(uint64_t len)
{
	return (len + BLOCK - 1) / BLOCK * BLOCK;
}

/* Reads up to n bytes of an entry (padding included) whose first done bytes were read
 * before; keeps what falls inside its len bytes of contents in into (NULL: skipped). */
static int read_data_part(gzFile gz, uint64_t len, uint64_t done, uint64_t n, struct buf *into)
{
	char chunk[16 * 1024];

	while (n > 0) {
		size_t step = n < sizeof(chunk) ? (size_t)n : sizeof(chunk);

		if (read_full(gz, chunk, step) != 0)
			return -1;
		if (into && done < len) {
			size_t take = len - done < step ? (size_t)(len - done) : step;

			if (buf_append(into, chunk, take) != 0)
				return -1;
		}
		done += step;
		n -= step;
	}
	return 0;
}

/* Reads the entry's contents (or skips them) up to the block boundary. */
static int read_data(gzFile gz, uint64_t len, struct buf *into)
{
	return read_data_part(gz, len, 0, padded(len), into);
}

/* The "path" record of pax extended header text, if any. */
static void pax_path(const char *text, size_t len, char *out, size_t outsz)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		char *sp;
		long n = strtol(p, &sp, 10);

		if (n <= 0 || sp >= end || *sp != ' ' || n > end - p)
			return;
		if ((size_t)(p + n - sp) > 6 && !strncmp(sp + 1, "path=", 5)) {
			size_t vlen = (size_t)(p + n - (sp + 6) - 1);

			if (vlen < outsz) {
				memcpy(out, sp + 6, vlen);
				out[vlen] = '\0';
			}
		}
		p += n;
	}
}

struct eap_scanner {
	gzFile gz;
	size_t max_data;
	eap_entry_fn on_entry;
	void *arg;
	struct buf data;
	char name[NAME_MAX_LEN], next_name[NAME_MAX_LEN];
	int entries;
	int skipping;                             /* a large entry being read past: */
	uint64_t skip_len, skip_done, skip_total; /* its size, bytes read, to read */
};

int eap_scanner_open(struct eap_scanner **out, const char *path, size_t max_data,
		     eap_entry_fn on_entry, void *arg, char *why, size_t whysz)
{
	struct eap_scanner *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return fail(why, whysz, "out of memory");
	s->gz = gzopen(path, "rb");
	if (!s->gz) {
		fail(why, whysz, "cannot open %s: %s", path, strerror(errno));
		free(s);
		return -1;
	}
	s->max_data = max_data;
	s->on_entry = on_entry;
	s->arg = arg;
	buf_init(&s->data, max_data + 1);
	*out = s;
	return 0;
}

void eap_scanner_close(struct eap_scanner *s)
{
	if (!s)
		return;
	buf_free(&s->data);
	gzclose(s->gz);
	free(s);
}

/* The next header and what belongs to it (a small entry's contents and on_entry):
 * EAP_SCAN_MORE, 0 at the archive's end, on_entry's non-zero, or -1 with why. A large
 * entry's contents are left to eap_scanner_step. */
static int scan_header(struct eap_scanner *s, uint64_t *used, char *why, size_t whysz)
{
	unsigned char h[BLOCK];
	uint64_t len;
	char type;
	int zero = 1;

	if (read_full(s->gz, h, BLOCK) != 0)
		return fail(why, whysz, "not a tar archive (%s)",
			    s->entries ? "truncated" : "unreadable");
	*used += BLOCK;
	for (int i = 0; i < BLOCK && zero; i++)
		zero = h[i] == 0;
	if (zero)
		return s->entries ? 0 : fail(why, whysz, "empty archive");
	if (!header_ok(h) || octal(h + 124, 12, &len) != 0)
		return fail(why, whysz, "not a tar archive (bad header after %d entries)",
			    s->entries);
	type = (char)h[156];
	if (type == 'L' || type == 'x' || type == 'g') {
		/* GNU long name / pax header: the next entry's name comes from here */
		buf_reset(&s->data);
		if (len > NAME_MAX_LEN * 4 || read_data(s->gz, len, &s->data) != 0)
			return fail(why, whysz, "bad extended header");
		*used += padded(len);
		if (type == 'L')
			snprintf(s->next_name, sizeof(s->next_name), "%s", buf_str(&s->data));
		else if (type == 'x')
			pax_path(buf_str(&s->data), s->data.len, s->next_name, sizeof(s->next_name));
		return EAP_SCAN_MORE;
	}
	if (s->next_name[0]) {
		snprintf(s->name, sizeof(s->name), "%s", s->next_name);
		s->next_name[0] = '\0';
	} else if (!memcmp(h + 257, "ustar", 5) && h[345]) {
		snprintf(s->name, sizeof(s->name), "%.155s/%.100s", (const char *)h + 345,
			 (const char *)h + 0);
	} else {
		snprintf(s->name, sizeof(s->name), "%.100s", (const char *)h);
	}
	while (!strncmp(s->name, "./", 2))
		memmove(s->name, s->name + 2, strlen(s->name + 2) + 1);
	s->entries++;
	if ((type == '0' || type == '\0') && len <= s->max_data) {
		buf_reset(&s->data);
		if (read_data(s->gz, len, &s->data) != 0 || buf_append(&s->data, "", 0) != 0)
			return fail(why, whysz, "truncated archive (in %s)", s->name);
		*used += padded(len);
		int rc = s->on_entry(s->arg, s->name, s->data.data ? s->data.data : "", len);
		return rc ? rc : EAP_SCAN_MORE;
	}
	s->skipping = 1; /* on_entry once its contents are read past */
	s->skip_len = len;
	s->skip_done = 0;
	s->skip_total = (type == '0' || type == '\0') ? padded(len) : 0;
	return EAP_SCAN_MORE;
}

int eap_scanner_step(struct eap_scanner *s, uint64_t budget, char *why, size_t whysz)
{
	uint64_t used = 0;
	int rc = EAP_SCAN_MORE;

	while (rc == EAP_SCAN_MORE && used < budget) {
		if (!s->skipping) {
			rc = scan_header(s, &used, why, whysz);
			continue;
		}
		uint64_t n = s->skip_total - s->skip_done;

		if (n > budget - used)
			n = budget - used;
		if (read_data_part(s->gz, 0, s->skip_done, n, NULL) != 0)
			return fail(why, whysz, "truncated archive (in %s)", s->name);
		s->skip_done += n;
		used += n;
		if (s->skip_done < s->skip_total)
			break;
		s->skipping = 0;
		rc = s->on_entry(s->arg, s->name, NULL, s->skip_len);
		if (rc == 0)
			rc = EAP_SCAN_MORE;
	}
	return rc;
}

int eap_scan(const char *path, size_t max_data, eap_entry_fn on_entry, void *arg, char *why,
	     size_t whysz)
{
	struct eap_scanner *s;
	int rc;

	if (eap_scanner_open(&s, path, max_data, on_entry, arg, why, whysz) != 0)
		return -1;
	do
		rc = eap_scanner_step(s, UINT64_MAX, why, whysz);
	while (rc == EAP_SCAN_MORE);
	eap_scanner_close(s);
	return rc;
}

/* ---- manifest ---- */

int eap_app_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n > 0 && n < EAP_FIELD_MAX && isalnum((unsigned char)name[0]) &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

int eap_app_id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	return n > 0 && n <= EAP_APP_ID_DIGITS && id[0] != '0' && strspn(id, "0123456789") == n;
}

static int major_of(const char *v)
{
	if (!strncmp(v, "1.", 2) && isdigit((unsigned char)v[2]))
		return 1;
	if (!strncmp(v, "2.", 2) && isdigit((unsigned char)v[2]))
		return 2;
	return 0;
}

static int is_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A string field that may be absent; -1 only when present with the wrong type or too long. */
static int opt_string(const struct json_doc *d, int obj, const char *key, char *out, size_t outsz)
{
	int tok = obj >= 0 ? json_find(d, obj, key) : -1;

	out[0] = '\0';
	return tok < 0 ? 0 : json_tok_string(d, tok, out, outsz);
}

static int read_ranges(const struct json_doc *d, int arr, struct eap_manifest *m, char *why,
		       size_t whysz)
{
	int n = json_array_len(d, arr);

	if (n <= 0 || n > EAP_OS_RANGES)
		return fail(why, whysz, "compatibleOsVersions must be 1 to %d {min, max} ranges",
			    EAP_OS_RANGES);
	for (int i = 0; i < n; i++) {
		int r = json_array_at(d, arr, i);
		struct eap_os_range *o = &m->os[m->nos];

		if (json_type_of(d, r) != JSON_OBJECT || opt_string(d, r, "min", o->min,
								     sizeof(o->min)) ||
		    opt_string(d, r, "max", o->max, sizeof(o->max)) || (!o->min[0] && !o->max[0]))
			return fail(why, whysz, "compatibleOsVersions[%d] is not {min, max}", i);
		m->nos++;
	}
	return 0;
}

int eap_manifest_parse(const char *json, size_t len, struct eap_manifest *m, char *why,
		       size_t whysz)
{
	static const char *const required1[] = { "appName", "vendor", "runMode", "version", NULL };
	struct json_doc d = { 0 };
	int setup, tok, rc = -1;

	memset(m, 0, sizeof(*m));
	if (json_parse(&d, json, len, MANIFEST_TOKENS) != 0)
		return fail(why, whysz, "manifest.json is not a JSON object");
	if (json_type_of(&d, 0) != JSON_OBJECT) {
		fail(why, whysz, "manifest.json is not a JSON object");
		goto out; /* parsed (a bare value): its tokens are freed there */
	}
	if (json_get_string(&d, 0, "schemaVersion", m->schema_version,
			    sizeof(m->schema_version)) != 0 ||
	    !(m->schema_major = major_of(m->schema_version))) {
		fail(why, whysz, "manifest.json: schemaVersion missing or not 1.x / 2.x");
		goto out;
	}
	setup = json_find(&d, 0, "acapPackageConf.setup");
	if (setup < 0 || json_type_of(&d, setup) != JSON_OBJECT) {
		fail(why, whysz, "manifest.json: acapPackageConf.setup is missing");
		goto out;
	}
	for (int i = 0; required1[i]; i++) {
		char v[EAP_TEXT_MAX];

		if (json_get_string(&d, setup, required1[i], v, sizeof(v)) != 0 || !v[0]) {
			fail(why, whysz, "manifest.json: setup.%s is required", required1[i]);
			goto out;
		}
	}
	if (opt_string(&d, setup, "appName", m->app_name, sizeof(m->app_name)) ||
	    opt_string(&d, setup, "friendlyName", m->friendly_name, sizeof(m->friendly_name)) ||
	    opt_string(&d, setup, "vendor", m->vendor, sizeof(m->vendor)) ||
	    opt_string(&d, setup, "vendorId", m->vendor_id, sizeof(m->vendor_id)) ||
	    opt_string(&d, setup, "version", m->version, sizeof(m->version)) ||
	    opt_string(&d, setup, "architecture", m->architecture, sizeof(m->architecture)) ||
	    opt_string(&d, setup, "runMode", m->run_mode, sizeof(m->run_mode)) ||
	    opt_string(&d, setup, "appId", m->app_id, sizeof(m->app_id)) ||
	    opt_string(&d, setup, "vendorUrl", m->vendor_url, sizeof(m->vendor_url)) ||
	    opt_string(&d, setup, "user.username", m->user_name, sizeof(m->user_name)) ||
	    opt_string(&d, setup, "user.group", m->user_group, sizeof(m->user_group)) ||
	    opt_string(&d, 0, "acapPackageConf.copyProtection.method", m->copy_protection,
		       sizeof(m->copy_protection)) ||
	    opt_string(&d, 0, "acapPackageConf.configuration.settingPage", m->setting_page,
		       sizeof(m->setting_page))) {
		fail(why, whysz, "manifest.json: a setup field has the wrong type or is too long");
		goto out;
	}
	if (!eap_app_name_ok(m->app_name)) {
		fail(why, whysz, "manifest.json: appName must be a file name");
		goto out;
	}
	tok = json_find(&d, 0, "resources.linux.user.groups");
	for (int i = 0; tok >= 0 && i < json_array_len(&d, tok); i++) {
		if (m->ngroups == EAP_GROUPS ||
		    json_tok_string(&d, json_array_at(&d, tok, i), m->groups[m->ngroups],
				    EAP_FIELD_MAX) != 0) {
			fail(why, whysz, "manifest.json: resources.linux.user.groups is malformed");
			goto out;
		}
		m->ngroups++;
	}
	tok = json_find(&d, 0, "acapPackageConf.configuration.paramConfig");
	for (int i = 0; tok >= 0 && i < json_array_len(&d, tok); i++) {
		int pc = json_array_at(&d, tok, i);
		struct eap_param *p = &m->params[m->nparams];

		if (m->nparams == EAP_PARAMS ||
		    json_get_string(&d, pc, "name", p->name, sizeof(p->name)) != 0 || !p->name[0] ||
		    json_get_string(&d, pc, "default", p->def, sizeof(p->def)) != 0 ||
		    json_get_string(&d, pc, "type", p->type, sizeof(p->type)) != 0) {
			fail(why, whysz, "manifest.json: paramConfig[%d] needs name, default, type", i);
			goto out;
		}
		m->nparams++;
	}
	tok = json_find(&d, setup, "compatibleOsVersions");
	if (m->schema_major == 2) {
		if (!is_hex(m->vendor_id, 10)) {
			fail(why, whysz, "manifest.json: schema 2.x needs vendorId, 10 hex digits");
			goto out;
		}
		if (!m->architecture[0]) {
			fail(why, whysz, "manifest.json: schema 2.x needs setup.architecture");
			goto out;
		}
		if (tok < 0) {
			fail(why, whysz, "manifest.json: schema 2.x needs compatibleOsVersions");
			goto out;
		}
	}
	if (tok >= 0 && read_ranges(&d, tok, m, why, whysz) != 0)
		goto out;
	rc = 0;
out:
	json_free(&d);
	return rc;
}

struct manifest_scan {
	struct buf json;
	int found;
	char names[64][EAP_FIELD_MAX]; /* regular file names at the top, to find the executable */
	int nnames;
};

static int on_manifest_entry(void *arg, const char *name, const char *data, uint64_t len)
{
	struct manifest_scan *s = arg;

	if (!strcmp(name, "manifest.json") && data) {
		buf_reset(&s->json);
		if (buf_append(&s->json, data, (size_t)len) != 0)
			return -1;
		s->found = 1;
	} else if (!strcmp(name, "manifest.json")) {
		return 2; /* too large */
	}
	if (!strchr(name, '/') && s->nnames < 64 && strlen(name) < EAP_FIELD_MAX)
		snprintf(s->names[s->nnames++], EAP_FIELD_MAX, "%s", name);
	return 0;
}

struct eap_manifest_read {
	struct manifest_scan scan;
	struct eap_scanner *scanner;
};

int eap_manifest_read_start(struct eap_manifest_read **out, const char *path, char *why,
			    size_t whysz)
{
	struct eap_manifest_read *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return fail(why, whysz, "out of memory");
	buf_init(&r->scan.json, EAP_MANIFEST_MAX);
	/* Entries of more than the manifest's cap are skipped unread: executables, libraries. */
	if (eap_scanner_open(&r->scanner, path, EAP_MANIFEST_MAX, on_manifest_entry, &r->scan,
			     why, whysz) != 0) {
		eap_manifest_read_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

int eap_manifest_read_step(struct eap_manifest_read *r, uint64_t budget, char *why,
			   size_t whysz)
{
	int rc = eap_scanner_step(r->scanner, budget, why, whysz);

	if (rc == EAP_SCAN_MORE)
		return 1;
	if (rc == 2)
		return fail(why, whysz, "manifest.json is larger than %d bytes", EAP_MANIFEST_MAX);
	return rc == 0 ? 0 : -1;
}

int eap_manifest_read_end(struct eap_manifest_read *r, struct eap_manifest *m, int *has_exe,
			  char *why, size_t whysz)
{
	const struct manifest_scan *s = &r->scan;

	if (!s->found)
		return fail(why, whysz, "the package has no manifest.json");
	if (eap_manifest_parse(s->json.data, s->json.len, m, why, whysz) != 0)
		return -1;
	if (has_exe) {
		*has_exe = 0;
		for (int i = 0; i < s->nnames; i++)
			*has_exe |= !strcmp(s->names[i], m->app_name);
	}
	return 0;
}

void eap_manifest_read_free(struct eap_manifest_read *r)
{
	if (!r)
		return;
	eap_scanner_close(r->scanner);
	buf_free(&r->scan.json);
	free(r);
}

int eap_read_manifest(const char *path, struct eap_manifest *m, int *has_exe, char *why,
		      size_t whysz)
{
	struct eap_manifest_read *r;
	int rc;

	if (eap_manifest_read_start(&r, path, why, whysz) != 0)
		return -1;
	do
		rc = eap_manifest_read_step(r, UINT64_MAX, why, whysz);
	while (rc == 1);
	if (rc == 0)
		rc = eap_manifest_read_end(r, m, has_exe, why, whysz);
	eap_manifest_read_free(r);
	return rc;
}

/* ---- installation rules ---- */

/* The AXIS OS that first installs each schema 1.x version [SCHEMA index]; 1.8.0 and 1.9.0
 * from the SDK releases they came with (12.6, 12.8). */
static const struct {
	const char *schema, *os;
} schema1_os[] = {
	{ "1.3", "10.9" },    { "1.3.1", "11.0" },  { "1.4.0", "11.7" }, { "1.5.0", "11.8" },
	{ "1.6.0", "11.9" },  { "1.7.0", "11.10" }, { "1.7.1", "12.0" }, { "1.7.2", "12.1" },
	{ "1.7.3", "12.2" },  { "1.8.0", "12.6" },  { "1.9.0", "12.8" }, { NULL, NULL },
};

/* os cut to as many dot-separated fields as bound has: "13.1.2" for "13" is "13". */
static int cmp_prefix(const char *os, const char *bound)
{
	char cut[EAP_FIELD_MAX];
	int fields = 1;
	size_t i;

	for (const char *p = bound; *p; p++)
		fields += *p == '.';
	for (i = 0; os[i] && i + 1 < sizeof(cut); i++) {
		if (os[i] == '.' && --fields == 0)
			break;
		cut[i] = os[i];
	}
	cut[i] = '\0';
	return version_compare(cut, bound);
}

int eap_os_in_range(const struct eap_manifest *m, const char *os)
{
	if (m->nos == 0)
		return 0;
	for (int i = 0; i < m->nos; i++)
		if ((!m->os[i].min[0] || version_compare(os, m->os[i].min) >= 0) &&
		    (!m->os[i].max[0] || cmp_prefix(os, m->os[i].max) <= 0))
			return 0;
	return -1;
}

static int schema_accepted(const struct eap_manifest *m, const char *os, char *why, size_t whysz)
{
	const char *first = NULL;

	if (m->schema_major == 2) {
		if (version_compare(os, SCHEMA2_SINCE_OS) < 0)
			return fail(why, whysz, "manifest schema %s needs AXIS OS %s or later, the "
					       "camera runs %s", m->schema_version, SCHEMA2_SINCE_OS, os);
		return 0;
	}
	if (cmp_prefix(os, SCHEMA2_ONLY_FROM_OS) >= 0)
		return fail(why, whysz, "AXIS OS %s installs only manifest schema 2.x, the package "
				       "has %s", os, m->schema_version);
	for (int i = 0; schema1_os[i].schema; i++)
		if (version_compare(m->schema_version, schema1_os[i].schema) >= 0)
			first = schema1_os[i].os;
	if (!first || version_compare(os, first) < 0)
		return fail(why, whysz, "manifest schema %s needs AXIS OS %s or later, the camera "
				       "runs %s", m->schema_version, first ? first : "?", os);
	return 0;
}

int eap_compatible(const struct eap_manifest *m, const char *arch, const char *os, char *why,
		   size_t whysz)
{
	/* "all" exists in schema 1.x only; a 1.x package without one was built for any [SCHEMA] */
	int any = m->schema_major == 1 && (!m->architecture[0] || !strcmp(m->architecture, "all"));

	if (!any && strcmp(m->architecture, arch) != 0)
		return fail(why, whysz, "the package is for %s, the camera is %s",
			    m->architecture[0] ? m->architecture : "(none)", arch);
	if (schema_accepted(m, os, why, whysz) != 0)
		return -1;
	if (m->schema_major == 2 && eap_os_in_range(m, os) != 0)
		return fail(why, whysz, "AXIS OS %s is outside the package's compatibleOsVersions",
			    os);
	return 0;
}

int eap_user_allowed(const struct eap_manifest *m, const char *os, char *why, size_t whysz)
{
	static const char *const v2_groups[] = { "admin", "audiod", "gpu", "hidraw", "operator",
						 "pipewire", "ptzadm", "sdk", "storage", "video",
						 "viewer", NULL };

	if (version_compare(os, NO_ROOT_FROM_OS) >= 0 &&
	    (!strcmp(m->user_name, "root") || !strcmp(m->user_group, "root")))
		return fail(why, whysz, "root is not allowed as user or group from AXIS OS %s",
			    NO_ROOT_FROM_OS);
	if (m->schema_major == 2 && m->user_name[0] && strcmp(m->user_name, "sdk") != 0)
		return fail(why, whysz, "schema 2.x allows only the static user sdk, not %s",
			    m->user_name);
	for (int i = 0; m->schema_major == 2 && i < m->ngroups; i++) {
		int ok = 0;

		for (int j = 0; v2_groups[j] && !ok; j++)
			ok = !strcmp(m->groups[i], v2_groups[j]);
		if (!ok)
			return fail(why, whysz, "group %s is not allowed in schema 2.x", m->groups[i]);
	}
	return 0;
}
