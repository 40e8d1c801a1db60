/* sha256_speed: how fast lib/sha256's stream hashes in this build (its HASH backend),
 * 512 MiB from memory in 256 KiB updates, the size of the agent's downloads' writes.
 * Build and run: make bench-sha256 [HASH=mbedtls]. Prints MB/s and CPU s/GiB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/crypto.h"

#define CHUNK (256u << 10)
#define TOTAL (512ull << 20)

static double now(clockid_t clock)
{
	struct timespec t;
	clock_gettime(clock, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void)
{
	unsigned char *chunk = malloc(CHUNK);
	struct sha256_stream s = { 0 };
	char hex[CRYPTO_SHA256_HEX_LEN];

	if (!chunk || sha256_stream_init(&s)) {
		fprintf(stderr, "sha256_speed: out of memory\n");
		return 1;
	}
	memset(chunk, 'a', CHUNK);
	double wall = now(CLOCK_MONOTONIC), cpu = now(CLOCK_PROCESS_CPUTIME_ID);
	for (unsigned long long done = 0; done < TOTAL; done += CHUNK)
		sha256_stream_update(&s, chunk, CHUNK);
	int rc = sha256_stream_finish_hex(&s, hex);
	wall = now(CLOCK_MONOTONIC) - wall;
	cpu = now(CLOCK_PROCESS_CPUTIME_ID) - cpu;
	sha256_stream_free(&s);
	free(chunk);
	if (rc) {
		fprintf(stderr, "sha256_speed: the hash failed\n");
		return 1;
	}
	printf("%.0f MB/s, %.2f CPU s/GiB (%llu MiB in %.2f s)\n", (double)TOTAL / wall / 1e6,
	       cpu * 1024 / (double)(TOTAL >> 20), TOTAL >> 20, wall);
	return 0;
}
