/* multipart: a strict multipart/form-data parser (RFC 7578). Anything off - no boundary,
 * a missing CRLF, a part without Content-Disposition form-data or without a name, no
 * closing delimiter - is refused, the way a camera refuses a broken upload. */
#include "camsim.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int fail(char *why, size_t whysz, const char *msg)
{
	snprintf(why, whysz, "%s", msg);
	return -1;
}

static int boundary_of(const char *ctype, char *out, size_t outsz)
{
	const char *b = strcasestr(ctype, "boundary=");
	size_t n;

	if (strncasecmp(ctype, "multipart/form-data", 19) != 0 || !b)
		return -1;
	b += 9;
	if (*b == '"') {
		const char *e = strchr(++b, '"');
		if (!e)
			return -1;
		n = (size_t)(e - b);
	} else {
		n = strcspn(b, "; \t");
	}
	if (n == 0 || n > 70 || n + 1 > outsz)
		return -1;
	memcpy(out, b, n);
	out[n] = '\0';
	return 0;
}

/* A quoted parameter of a Content-Disposition value ("name", "filename"). */
static int disp_param(const char *v, size_t vlen, const char *key, char *out, size_t outsz,
		      int *found)
{
	size_t klen = strlen(key);

	*found = 0;
	for (size_t i = 0; i + klen + 2 < vlen; i++) {
		if ((i == 0 || v[i - 1] == ' ' || v[i - 1] == ';') && !memcmp(v + i, key, klen) &&
		    v[i + klen] == '=' && v[i + klen + 1] == '"') {
			const char *s = v + i + klen + 2, *e = memchr(s, '"', vlen - (size_t)(s - v));
			if (!e || (size_t)(e - s) >= outsz)
				return -1;
			for (const char *c = s; c < e; c++)
				if ((unsigned char)*c < 0x20) /* a NUL would cut the value short */
					return -1;
			memcpy(out, s, (size_t)(e - s));
			out[e - s] = '\0';
			*found = 1;
			return 0;
		}
	}
	return 0;
}

static int part_headers(const char *h, size_t n, struct cs_part *p, char *why, size_t whysz)
{
	int have_disp = 0, found;

	while (n > 0) {
		const char *eol = memmem(h, n, "\r\n", 2);
		size_t len = eol ? (size_t)(eol - h) : n;
		const char *colon = memchr(h, ':', len);

		if (!colon)
			return fail(why, whysz, "part header without ':'");
		const char *v = colon + 1;
		while (v < h + len && *v == ' ')
			v++;
		size_t vlen = (size_t)(h + len - v);
		if ((size_t)(colon - h) == 19 && !strncasecmp(h, "Content-Disposition", 19)) {
			if (vlen < 9 || strncmp(v, "form-data", 9) != 0)
				return fail(why, whysz, "Content-Disposition is not form-data");
			if (disp_param(v, vlen, "name", p->name, sizeof(p->name), &found) || !found ||
			    !p->name[0])
				return fail(why, whysz, "part without a name");
			if (disp_param(v, vlen, "filename", p->filename, sizeof(p->filename),
				       &p->has_filename))
				return fail(why, whysz, "bad filename");
			have_disp = 1;
		} else if ((size_t)(colon - h) == 12 && !strncasecmp(h, "Content-Type", 12)) {
			if (vlen >= sizeof(p->type))
				return fail(why, whysz, "Content-Type too long");
			memcpy(p->type, v, vlen);
			p->type[vlen] = '\0';
		}
		if (!eol)
			break;
		n -= len + 2;
		h = eol + 2;
	}
	return have_disp ? 0 : fail(why, whysz, "part without Content-Disposition");
}

int cs_multipart(const char *content_type, const char *body, size_t len, struct cs_part *parts,
		 int maxparts, int *nparts, char *why, size_t whysz)
{
	char b[80], delim[84];
	const char *p = body, *end = body + len;
	size_t dlen;

	*nparts = 0;
	if (boundary_of(content_type, b, sizeof(b)) != 0)
		return fail(why, whysz, "no multipart/form-data boundary");
	dlen = (size_t)snprintf(delim, sizeof(delim), "\r\n--%s", b);
	/* the body starts with the first delimiter (without the leading CRLF) */
	if (len < dlen - 2 || memcmp(p, delim + 2, dlen - 2) != 0)
		return fail(why, whysz, "body does not start with the boundary");
	p += dlen - 2;
	for (;;) {
		if (end - p >= 2 && !memcmp(p, "--", 2))
			return *nparts > 0 ? 0 : fail(why, whysz, "no parts");
		if (end - p < 2 || memcmp(p, "\r\n", 2) != 0)
			return fail(why, whysz, "no CRLF after the boundary");
		p += 2;
		if (*nparts == maxparts)
			return fail(why, whysz, "too many parts");
		struct cs_part *part = &parts[(*nparts)++];
		memset(part, 0, sizeof(*part));
		const char *hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (!hend)
			return fail(why, whysz, "part headers not terminated");
		if (part_headers(p, (size_t)(hend - p), part, why, whysz) != 0)
			return -1;
		p = hend + 4;
		const char *next = memmem(p, (size_t)(end - p), delim, dlen);
		if (!next)
			return fail(why, whysz, "no closing boundary (truncated body?)");
		part->data = p;
		part->len = (size_t)(next - p);
		p = next + dlen;
	}
}
