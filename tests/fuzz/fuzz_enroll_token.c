/* libFuzzer target: the enrollment token decoder ("cam1." + base64url JSON), which reads
 * what an installer pasted or the camera's parameters hold. A token it accepts has
 * non-empty fields and a fingerprint of 64 lowercase hex digits. */
/* fuzz-links: lib agent */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/enroll.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[CONFIG_TOKEN_MAX + 64];
	char err[256];
	struct enroll_token tok;
	size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, n);
	text[n] = '\0';
	if (enroll_token_parse(text, &tok, err, sizeof(err))) {
		if (!err[0])
			abort(); /* a refusal always says why */
		return 0;
	}
	if (!tok.url[0] || !tok.secret[0] || strlen(tok.fp) != 64)
		abort();
	for (int i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)tok.fp[i]) || isupper((unsigned char)tok.fp[i]))
			abort();
	return 0;
}
