/* url: which URLs the agent and the camera platform may talk to (see url.h). */
#include "url.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static int has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Dotted-quad with four decimal octets 0..255, no leading zeros, first octet 127. */
static int is_loopback_v4(const char *h, size_t n)
{
	int octets = 0;
	size_t i = 0;
	unsigned first = 0;

	while (i < n) {
		size_t start = i;
		unsigned v = 0;
		while (i < n && isdigit((unsigned char)h[i]) && i - start < 3)
			v = v * 10 + (unsigned)(h[i++] - '0');
		if (i == start || v > 255 || (h[start] == '0' && i - start > 1))
			return 0;
		if (octets == 0)
			first = v;
		octets++;
		if (i == n)
			break;
		if (h[i] != '.' || octets == 4)
			return 0;
		i++;
		if (i == n)
			return 0; /* trailing dot */
	}
	return octets == 4 && first == 127;
}

static int is_loopback_host(const char *h, size_t n)
{
	if (n == 9 && strncasecmp(h, "localhost", 9) == 0)
		return 1;
	if (n == 5 && memcmp(h, "[::1]", 5) == 0)
		return 1;
	return is_loopback_v4(h, n);
}

/* Splits "host[:port]" off the authority; 0 when the port (if any) is not all digits. */
static int split_host(const char *auth, size_t n, size_t *hostlen)
{
	size_t h;

	if (n > 0 && auth[0] == '[') {
		const char *close = memchr(auth, ']', n);
		if (!close)
			return 0;
		h = (size_t)(close - auth) + 1;
	} else {
		const char *colon = memchr(auth, ':', n);
		h = colon ? (size_t)(colon - auth) : n;
	}
	if (h < n) {
		if (auth[h] != ':' || h + 1 == n || n - h - 1 > 5)
			return 0;
		for (size_t i = h + 1; i < n; i++)
			if (!isdigit((unsigned char)auth[i]))
				return 0;
	}
	*hostlen = h;
	return h > 0;
}

int url_allowed(const char *url, int allow_insecure_http)
{
	const char *auth;
	size_t n, hostlen;
	int https;

	if (!url)
		return 0;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '\\' || (unsigned char)*p == 0x7f)
			return 0;
	if (has_prefix_ci(url, "https://"))
		https = 1;
	else if (has_prefix_ci(url, "http://"))
		https = 0;
	else
		return 0;
	auth = url + (https ? 8 : 7);
	n = strcspn(auth, "/?#");
	if (memchr(auth, '@', n)) /* userinfo: refuse, it only serves to confuse */
		return 0;
	if (!split_host(auth, n, &hostlen))
		return 0;
	if (https)
		return 1;
	return allow_insecure_http && is_loopback_host(auth, hostlen);
}
