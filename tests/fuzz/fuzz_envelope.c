/* libFuzzer target: opening a signed envelope and checking its binding, as the agent
 * does with every task and license. No input may crash it or verify without the key. */
/* fuzz-links: lib */
#include <stdint.h>
#include <stdlib.h>

#include "../../lib/envelope.h"

static struct crypto_key *key;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!key && crypto_key_generate(&key))
		abort();
	struct buf payload;
	buf_init(&payload, ENVELOPE_MAX_BYTES);
	enum envelope_err e = envelope_open(key, (const char *)data, size, &payload);
	if (e == ENVELOPE_OK)
		abort(); /* nobody but us holds this fresh key: nothing may verify */
	struct envelope_binding want = { "task", "d", "s", 1000, 300 };
	(void)envelope_check_binding((const char *)data, size, &want);
	buf_free(&payload);
	return 0;
}
