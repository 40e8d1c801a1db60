/* protocol: the shared words of the wire contract (see protocol.h). */
#include "protocol.h"

#include <string.h>

static int is_lower_hex(const char *s, size_t len)
{
	if (!s)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[len] == '\0';
}

int proto_is_id(const char *s)
{
	return is_lower_hex(s, PROTO_ID_LEN);
}

int proto_is_sha256(const char *s)
{
	return is_lower_hex(s, PROTO_SHA256_HEX_LEN);
}

int proto_is_token(const char *s)
{
	size_t n = 0;
	if (!s || !*s)
		return 0;
	for (; s[n]; n++)
		if (n >= PROTO_TOKEN_MAX || (unsigned char)s[n] <= ' ' || (unsigned char)s[n] >= 0x7f)
			return 0;
	return 1;
}

int proto_time_ok(int64_t t)
{
	return t >= 0 && t <= PROTO_TIME_MAX;
}

int proto_is_artifact_path(const char *path)
{
	size_t prefix = strlen(PROTO_ARTIFACT_PATH);
	if (!path || strncmp(path, PROTO_ARTIFACT_PATH, prefix))
		return 0;
	const char *seg = path + prefix;
	if (!*seg || strlen(seg) > 64)
		return 0;
	for (; *seg; seg++)
		if (!((*seg >= '0' && *seg <= '9') || (*seg >= 'a' && *seg <= 'z') ||
		      (*seg >= 'A' && *seg <= 'Z') || *seg == '-' || *seg == '_'))
			return 0;
	return 1;
}

static const char *const window_kinds[] = { "none", "utc", "daily" };

const char *window_kind_name(enum window_kind k)
{
	return (unsigned)k < sizeof(window_kinds) / sizeof(window_kinds[0]) ? window_kinds[k] : "none";
}

int window_kind_parse(const char *s, enum window_kind *out)
{
	if (!s)
		return -1;
	if (!*s) {
		*out = WINDOW_NONE;
		return 0;
	}
	for (unsigned i = 0; i < sizeof(window_kinds) / sizeof(window_kinds[0]); i++) {
		if (strcmp(s, window_kinds[i]) == 0) {
			*out = (enum window_kind)i;
			return 0;
		}
	}
	return -1;
}

int proto_hhmm_parse(const char *s, int *minutes)
{
	if (!s || strlen(s) != 5 || s[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0');
	int m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 23 || m > 59)
		return -1;
	*minutes = h * 60 + m;
	return 0;
}

int window_hhmm_valid(const char *s)
{
	int m;
	return proto_hhmm_parse(s, &m) == 0;
}
