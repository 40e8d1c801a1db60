/* libFuzzer target: an uploaded ACAP package as the camera simulator, the platforms and
 * (later) the cloud read it: the input as manifest.json text, and as a package file (gzip
 * or plain tar). Nothing may crash; a parsed manifest must hold what its schema requires. */
/* fuzz-links: lib */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/eap.h"

static void check(const struct eap_manifest *m)
{
	char why[256];

	if (!m->app_name[0] || !m->version[0] || (m->schema_major != 1 && m->schema_major != 2))
		abort();
	if (m->schema_major == 2 && (!m->nos || !m->architecture[0] || strlen(m->vendor_id) != 10))
		abort();
	(void)eap_compatible(m, "aarch64", "12.10.1", why, sizeof(why));
	(void)eap_user_allowed(m, "13.0", why, sizeof(why));
}

static char path[64];

static void remove_file(void)
{
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eap_manifest m;
	char why[256];
	FILE *f;

	if (eap_manifest_parse((const char *)data, size, &m, why, sizeof(why)) == 0)
		check(&m);
	if (!path[0]) {
		snprintf(path, sizeof(path), "/tmp/fuzz_eap.%d", (int)getpid());
		atexit(remove_file);
	}
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	if (eap_read_manifest(path, &m, NULL, why, sizeof(why)) == 0)
		check(&m);
	return 0;
}
