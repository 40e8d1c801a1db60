/* libFuzzer target, stateful: an enrolled agent driven through its whole completion path
 * by a cloud whose every reply the fuzzer chooses. The agent runs on the fakes of the unit
 * tests (fake transport, clock and camera); each request it makes is answered from the
 * input: a transport error, a status and a body, a body sealed with the cloud's key (a
 * signed task or license the agent must still check), an access token, and how long the
 * cloud held the request. Whatever the replies, the agent never crashes, never has more
 * requests in flight than the fakes hold, and never spins: it makes at most SPIN_MAX
 * requests without the clock moving (every failure ends in a scheduled step or a backoff).
 * Input, per request: op byte, hold byte (seconds), length byte, that many body bytes. */
/* fuzz-links: lib agent tests/fuzz/tmpfiles.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/agent_fakes.h"
#include "tmpfiles.h"

#define STEPS_MAX 48
#define SPIN_MAX 16

static struct crypto_key *cloud_key; /* one per process: key generation is slow */
static char device_key[PATH_MAX];     /* the device's, copied into each fresh state dir */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setenv("CMOCKA_TEST_ABORT", "1", 1); /* a failed fake's assertion aborts: a finding */
	log_set_level(LOGL_ERROR);
	log_init("fuzz", LOGL_ERROR, 0);
	struct crypto_key *dev = NULL;
	snprintf(device_key, sizeof(device_key), "%s/device.key", fuzz_tmpdir());
	if (crypto_key_generate(&cloud_key) != 0 || crypto_key_generate(&dev) != 0 ||
	    crypto_key_save_private(dev, device_key) != 0)
		abort();
	crypto_key_free(dev);
	return 0;
}

/* b sealed with the cloud's key; b itself when it cannot be sealed (not JSON). */
static const char *sealed(const char *b)
{
	static char out[ENVELOPE_MAX_BYTES];
	struct buf e;
	buf_init(&e, ENVELOPE_MAX_BYTES);
	snprintf(out, sizeof(out), "%s",
		 envelope_seal(cloud_key, b, strlen(b), &e) == 0 ? buf_str(&e) : b);
	buf_free(&e);
	return out;
}

/* The reply op asks for, to request r, with body b of n bytes. */
static void answer(struct fx *f, struct fx_req *r, uint8_t op, const char *b)
{
	static char reply[ENVELOPE_MAX_BYTES + 64];
	switch (op % 8) {
	case 0:
		fx_answer(r, 0, NULL);
		break;
	case 1:
		fx_answer(r, 200, b);
		break;
	case 2:
		fx_answer(r, 204, NULL);
		break;
	case 3:
		fx_answer(r, 400 + op % 120, b);
		break;
	case 4:
		snprintf(reply, sizeof(reply), "{\"task\":%s}", sealed(b));
		fx_answer(r, 200, reply);
		break;
	case 5:
		snprintf(reply, sizeof(reply), "{\"licenses\":[%s]}", sealed(b));
		fx_answer(r, 200, reply);
		break;
	case 6:
		fx_answer(r, 200, "{\"access_token\":\"tok-1\",\"expires_in\":3600}");
		break;
	default:
		fx_answer(r, op & 0x80 ? 401 : 503, b);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fx *f = calloc(1, sizeof(*f));
	char body[256];
	size_t at = 0;
	int still = 0;
	if (!f)
		abort();
	fx_cur = f;
	f->now = 1800000000;
	f->cloud = cloud_key;
	if (!(f->answers = event_base_new())) /* the fake camera answers on it */
		abort();
	snprintf(f->os_version, sizeof(f->os_version), "11.11.73");
	snprintf(f->dir, sizeof(f->dir), "%s", fuzz_fresh_dir("agent"));
	char key[PATH_MAX + 16];
	snprintf(key, sizeof(key), "%s/device.key", f->dir);
	if (link(device_key, key) != 0)
		abort();
	fx_boot(f, 1);
	fx_enroll(f);
	for (int step = 0; step < STEPS_MAX && at + 3 <= size; step++) {
		int64_t before = f->now;
		struct fx_req *r = fx_run_until(f, f->now + 86400);
		if (!r)
			break;
		uint8_t op = data[at], hold = data[at + 1];
		size_t n = data[at + 2];
		at += 3;
		if (n > size - at)
			n = size - at;
		memcpy(body, data + at, n);
		body[n] = '\0';
		at += n;
		f->now += hold % 64;
		answer(f, r, op, body);
		still = f->now == before ? still + 1 : 0;
		if (still > SPIN_MAX)
			abort(); /* requests without time passing: a busy loop */
	}
	fx_stop(f);
	event_base_free(f->answers);
	free(f);
	fx_cur = NULL;
	return 0;
}
