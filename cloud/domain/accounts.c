/* accounts: pure account rules (see accounts.h). */
#include "accounts.h"

#include <string.h>

#include "totp.h"

int email_normalize(const char *in, char out[EMAIL_MAX])
{
	while (*in == ' ' || *in == '\t')
		in++;
	size_t n = strlen(in);
	while (n && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= EMAIL_MAX)
		return -1;
	int at = -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)in[i];
		if (ch <= ' ' || ch == 0x7f)
			return -1;
		if (ch == '@') {
			if (at >= 0)
				return -1;
			at = (int)i;
		}
		out[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : (char)ch;
	}
	out[n] = '\0';
	return at > 0 && (size_t)at < n - 1 ? 0 : -1;
}

int64_t throttle_delay(int64_t failures)
{
	if (failures <= THROTTLE_FREE)
		return 0;
	int64_t d = 1;
	for (int64_t i = THROTTLE_FREE + 1; i < failures && d < THROTTLE_MAX_S; i++)
		d *= 2;
	return d < THROTTLE_MAX_S ? d : THROTTLE_MAX_S;
}

int session_alive(int64_t created, int64_t last_used, int64_t now)
{
	return now < created + SESSION_TTL && now < last_used + SESSION_IDLE;
}

int recovery_code_format(const uint8_t random9[9], char out[RECOVERY_CODE_LEN])
{
	char b[BASE32_MAX];
	if (base32_encode(random9, 9, b, sizeof(b)) != 0 || strlen(b) < 12)
		return -1;
	for (int i = 0, o = 0; i < 12; i++) {
		if (i && i % 4 == 0)
			out[o++] = '-';
		out[o++] = (char)(b[i] >= 'A' && b[i] <= 'Z' ? b[i] - 'A' + 'a' : b[i]);
	}
	out[RECOVERY_CODE_LEN - 1] = '\0';
	return 0;
}

int recovery_code_normalize(const char *in, char out[RECOVERY_CODE_LEN])
{
	int o = 0, k = 0;
	for (const char *p = in; *p; p++) {
		char ch = *p;
		if (ch == '-' || ch == ' ')
			continue;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '2' && ch <= '7')) || k == 12)
			return -1;
		if (k && k % 4 == 0)
			out[o++] = '-';
		out[o++] = ch;
		k++;
	}
	out[o] = '\0';
	return k == 12 ? 0 : -1;
}
