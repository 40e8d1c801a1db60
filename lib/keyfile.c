/* keyfile: see keyfile.h. A small strict scanner, not an XML parser: the root element
 * holds only simple elements (<Name>text</Name>, no attributes, no nesting), which is
 * all a license key file carries; anything else is "not a key file". */
#include "keyfile.h"

#include <ctype.h>
#include <string.h>

struct scan {
	const char *p, *end;
};

static void skip_space(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
		s->p++;
}

static int take(struct scan *s, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return 0;
	s->p += n;
	return 1;
}

/* An element name: letters and digits. */
static size_t name_len(const struct scan *s)
{
	size_t n = 0;
	while (s->p + n < s->end && isalnum((unsigned char)s->p[n]))
		n++;
	return n;
}

/* The optional declaration <?xml ...?>. */
static int declaration(struct scan *s)
{
	if (!take(s, "<?xml"))
		return 0;
	const char *close = NULL;
	for (const char *q = s->p; q + 1 < s->end; q++)
		if (q[0] == '?' && q[1] == '>') {
			close = q;
			break;
		}
	if (!close)
		return -1;
	s->p = close + 2;
	return 0;
}

static int store_field(char *dst, const char *text, size_t len)
{
	if (dst[0] != '\0' || len == 0 || len >= KEYFILE_FIELD)
		return -1; /* twice, empty or too long */
	memcpy(dst, text, len);
	dst[len] = '\0';
	return 0;
}

/* One child <Name>text</Name>: the fields we read are kept, others skipped. */
static int child(struct scan *s, struct keyfile_ids *out)
{
	if (!take(s, "<"))
		return -1;
	size_t n = name_len(s);
	const char *name = s->p;
	if (n == 0 || n > 64)
		return -1;
	s->p += n;
	if (!take(s, ">"))
		return -1;
	const char *text = s->p;
	while (s->p < s->end && *s->p != '<' && *s->p != '\0')
		s->p++;
	size_t tlen = (size_t)(s->p - text);
	if (!take(s, "</") || (size_t)(s->end - s->p) < n || memcmp(s->p, name, n) != 0)
		return -1;
	s->p += n;
	if (!take(s, ">"))
		return -1;
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(name, lit, n) == 0)
	if (IS("DeviceID"))
		return store_field(out->serial, text, tlen);
	if (IS("ApplicationID"))
		return store_field(out->app_id, text, tlen);
	if (IS("ExpirationDate"))
		return store_field(out->expiration_date, text, tlen);
	if (IS("Signature")) {
		if (out->has_signature || tlen == 0)
			return -1;
		out->has_signature = 1;
	}
#undef IS
	return 0;
}

static int all(const char *s, int (*pred)(int))
{
	for (; *s; s++)
		if (!pred((unsigned char)*s))
			return 0;
	return 1;
}

static int is_serial_char(int c)
{
	return isdigit(c) || (c >= 'A' && c <= 'Z');
}

int keyfile_read(const void *data, size_t len, struct keyfile_ids *out)
{
	memset(out, 0, sizeof(*out));
	if (!data || len == 0 || len > KEYFILE_MAX_BYTES || memchr(data, '\0', len))
		return -1;
	struct scan s = {data, (const char *)data + len};
	(void)take(&s, "\xEF\xBB\xBF"); /* a UTF-8 byte order mark */
	skip_space(&s);
	if (declaration(&s) != 0)
		return -1;
	skip_space(&s);
	if (!take(&s, "<LicenseKey>"))
		return -1;
	for (;;) {
		skip_space(&s);
		if (take(&s, "</LicenseKey>"))
			break;
		if (child(&s, out) != 0)
			return -1;
	}
	skip_space(&s);
	if (s.p != s.end || !out->serial[0] || !out->app_id[0] || !all(out->serial, is_serial_char) ||
	    !all(out->app_id, isdigit) || keyfile_expiry(out) < 0)
		return -1;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t keyfile_expiry(const struct keyfile_ids *k)
{
	const char *d = k->expiration_date;
	if (d[0] == '\0')
		return 0;
	if (strlen(d) != 10 || d[4] != '-' || d[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)d[i]))
			return -1;
	int y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
	unsigned m = (unsigned)((d[5] - '0') * 10 + (d[6] - '0'));
	unsigned day = (unsigned)((d[8] - '0') * 10 + (d[9] - '0'));
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1970 || m < 1 || m > 12 || day < 1 || day > mdays[m - 1])
		return -1;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m == 2 && day == 29 && !leap)
		return -1;
	return (days_from_civil(y, m, day) + 1) * 86400;
}
