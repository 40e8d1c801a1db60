/* upload_rules: see upload_rules.h. */
#include "upload_rules.h"

#include <stddef.h>
#include <string.h>

enum upload_kind upload_kind_parse(const char *s)
{
	if (s && strcmp(s, "app") == 0)
		return UPLOAD_KIND_APP;
	if (s && strcmp(s, "image") == 0)
		return UPLOAD_KIND_IMAGE;
	return UPLOAD_KIND_NONE;
}

const char *upload_kind_name(enum upload_kind k)
{
	return k == UPLOAD_KIND_APP ? "app" : k == UPLOAD_KIND_IMAGE ? "image" : "none";
}

uint64_t upload_size_max(enum upload_kind k)
{
	return k == UPLOAD_KIND_APP ? UPLOAD_APP_MAX : k == UPLOAD_KIND_IMAGE ? UPLOAD_IMAGE_MAX : 0;
}

/* Reads a decimal number of 1..19 digits at *p, moving *p past it. */
static int number(const char **p, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0;
	for (; **p >= '0' && **p <= '9'; (*p)++) {
		if (++digits > 19)
			return -1; /* 19 digits always fit in 64 bits */
		v = v * 10 + (uint64_t)(**p - '0');
	}
	*out = v;
	return digits ? 0 : -1;
}

int content_range_parse(const char *header, struct content_range *out)
{
	const char *p = header;
	struct content_range r;
	if (!p || strncmp(p, "bytes ", 6) != 0)
		return -1;
	p += 6;
	if (number(&p, &r.first) != 0 || *p++ != '-' || number(&p, &r.last) != 0 ||
	    *p++ != '/' || number(&p, &r.total) != 0 || *p != '\0')
		return -1;
	if (r.first > r.last || r.last >= r.total)
		return -1;
	*out = r;
	return 0;
}

int64_t upload_expires_at(int64_t at)
{
	return at + UPLOAD_TTL_S;
}
