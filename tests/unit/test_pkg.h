/* test_pkg: ACAP packages for the platform tests, made by tests/tools/mkeap.sh, with the
 * size and SHA-256 a task would name. Header only: included after cmocka.h. */
#ifndef TEST_PKG_H
#define TEST_PKG_H

#include <stdio.h>
#include <stdlib.h>

#include "../../lib/crypto.h"
#include "../../platform/platform.h"

struct test_pkg {
	char path[300];
	char sha[CRYPTO_SHA256_HEX_LEN];
	struct platform_package p;
};

/* mkeap.sh DIR/NAME_VERSION_ARCH.eap NAME VERSION ARCH OPTS; one of four rotating slots. */
static inline struct test_pkg *test_pkg_make(const char *dir, const char *name,
					     const char *version, const char *arch,
					     const char *opts)
{
	static struct test_pkg slots[4];
	static int next;
	struct test_pkg *k = &slots[next++ % 4];
	char cmd[1024];

	snprintf(k->path, sizeof(k->path), "%s/%s_%s_%s.eap", dir, name, version, arch);
	snprintf(cmd, sizeof(cmd), "bash tests/tools/mkeap.sh '%s' '%s' '%s' '%s' %s", k->path,
		 name, version, arch, opts ? opts : "");
	assert_int_equal(system(cmd), 0);
	k->p = (struct platform_package){ .path = k->path, .sha256_hex = k->sha };
	assert_int_equal(crypto_sha256_file(k->path, k->sha, &k->p.size), 0);
	return k;
}

#endif
