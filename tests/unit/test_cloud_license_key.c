/* License keys (cloud/domain/license_key.c): keys minted by the vendor tool
 * (tools/camvendor, run as a process) verify with the vendor's public key and with no
 * other; a changed payload, a foreign signature and malformed keys are refused. */
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../cloud/domain/license_key.h"
#include "../../lib/buf.h"
#include "../../lib/crypto.h"
#include "../../lib/fsutil.h"

static char camvendor[PATH_MAX];

struct fixture {
	char dir[64];
	char pub[CRYPTO_PUBKEY_PEM_MAX], other_pub[CRYPTO_PUBKEY_PEM_MAX];
};

/* Runs camvendor with args (in dir f->dir); its first output line into out. */
static int vendor(struct fixture *f, const char *args, char *out, size_t outsz)
{
	char cmd[PATH_MAX + 512];
	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' %s", f->dir, camvendor, args);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	size_t n = fread(out, 1, outsz - 1, p);
	out[n] = '\0';
	if (out[0] && strstr(out, "BEGIN") == NULL)
		out[strcspn(out, "\n")] = '\0';
	return pclose(p) == 0 ? 0 : -1;
}

static int setup(void **state)
{
	/* Emulated, the test cannot exec the vendor tool (a program of the target): the key
	 * checks run natively; the cases without the tool still run here. */
	if (getenv("CAMAGENT_QEMU_USER"))
		skip();
	struct fixture *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/test_cloud_license_key.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(vendor(f, "keygen --key v.key", f->pub, sizeof(f->pub)), 0);
	assert_int_equal(vendor(f, "keygen --key o.key", f->other_pub, sizeof(f->other_pub)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void test_vendor_private_key_stays_in_a_0600_file(void **state)
{
	struct fixture *f = *state;
	char path[96], pub[CRYPTO_PUBKEY_PEM_MAX];
	struct stat st;
	snprintf(path, sizeof(path), "%s/v.key", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_non_null(strstr(f->pub, "BEGIN PUBLIC KEY"));
	assert_null(strstr(f->pub, "PRIVATE"));
	assert_int_equal(license_key_public_ok(f->pub), 0);
	assert_int_equal(vendor(f, "pubkey --key v.key", pub, sizeof(pub)), 0);
	assert_string_equal(pub, f->pub);
	/* keygen never replaces a key */
	assert_int_equal(vendor(f, "keygen --key v.key 2>/dev/null", pub, sizeof(pub)), -1);
	assert_int_equal(vendor(f, "pubkey --key v.key", pub, sizeof(pub)), 0);
	assert_string_equal(pub, f->pub);
}

static void test_key_names_one_product_and_licenses_by_type(void **state)
{
	struct fixture *f = *state;
	char key[LICENSE_KEY_MAX];
	struct license_key k;
	const char *why = NULL;
	assert_int_equal(vendor(f, "mint --key v.key --app com.example.plates --type subscription"
				   " --count 10 --type extension --count 2"
				   " --key-id 00112233445566778899aabbccddeeff", key, sizeof(key)), 0);
	assert_int_equal(license_key_parse(key, &k, &why), 0);
	assert_string_equal(k.key_id, "00112233445566778899aabbccddeeff");
	assert_string_equal(k.app_id, "com.example.plates");
	assert_int_equal(k.ntypes, 2);
	assert_string_equal(k.lic[0].type, "subscription");
	assert_int_equal(k.lic[0].count, 10);
	assert_string_equal(k.lic[1].type, "extension");
	assert_int_equal(k.lic[1].count, 2);
	assert_int_equal(license_key_verify(key, f->pub), 0);
	/* every minted key has its own id */
	char again[LICENSE_KEY_MAX];
	struct license_key k2;
	assert_int_equal(vendor(f, "mint --key v.key --app com.example.plates --type subscription"
				   " --count 10", again, sizeof(again)), 0);
	assert_int_equal(license_key_parse(again, &k2, &why), 0);
	assert_string_not_equal(k2.key_id, k.key_id);
}

static void test_key_signed_by_another_vendor_refused(void **state)
{
	struct fixture *f = *state;
	char key[LICENSE_KEY_MAX];
	assert_int_equal(vendor(f, "mint --key o.key --app com.example.plates --type subscription"
				   " --count 10", key, sizeof(key)), 0);
	assert_int_equal(license_key_verify(key, f->other_pub), 0);
	assert_int_equal(license_key_verify(key, f->pub), -1);
}

static void test_tampered_key_refused(void **state)
{
	struct fixture *f = *state;
	char key[LICENSE_KEY_MAX], forged[LICENSE_KEY_MAX], payload[512];
	const char *why;
	struct license_key k;
	assert_int_equal(vendor(f, "mint --key v.key --app com.example.plates --type subscription"
				   " --count 10", key, sizeof(key)), 0);
	/* the same signature on a payload that asks for more */
	const char *text = "{\"v\":1,\"key_id\":\"00000000000000000000000000000001\","
			   "\"app\":\"com.example.plates\","
			   "\"licenses\":[{\"type\":\"subscription\",\"count\":1000}]}";
	assert_true(base64url_encode(text, strlen(text), payload, sizeof(payload)) > 0);
	snprintf(forged, sizeof(forged), "%s%s", payload, strchr(key, '.'));
	assert_int_equal(license_key_parse(forged, &k, &why), 0);
	assert_int_equal(license_key_verify(forged, f->pub), -1);
	/* a flipped signature byte */
	strcpy(forged, key);
	char *last = forged + strlen(forged) - 2;
	*last = *last == 'A' ? 'B' : 'A';
	assert_int_equal(license_key_verify(forged, f->pub), -1);
}

static void test_malformed_keys_refused(void **state)
{
	(void)state;
	static const char *const payloads[] = {
		"{\"v\":2,\"key_id\":\"00000000000000000000000000000001\",\"app\":\"a\","
		"\"licenses\":[{\"type\":\"subscription\",\"count\":1}]}",
		"{\"v\":1,\"key_id\":\"short\",\"app\":\"a\","
		"\"licenses\":[{\"type\":\"subscription\",\"count\":1}]}",
		"{\"v\":1,\"key_id\":\"00000000000000000000000000000001\",\"app\":\"\","
		"\"licenses\":[{\"type\":\"subscription\",\"count\":1}]}",
		"{\"v\":1,\"key_id\":\"00000000000000000000000000000001\",\"app\":\"a\","
		"\"licenses\":[]}",
		"{\"v\":1,\"key_id\":\"00000000000000000000000000000001\",\"app\":\"a\","
		"\"licenses\":[{\"type\":\"subscription\",\"count\":0}]}",
		"{\"v\":1,\"key_id\":\"00000000000000000000000000000001\",\"app\":\"a\","
		"\"licenses\":[{\"type\":\"Sub scription\",\"count\":1}]}",
		"{\"v\":1,\"key_id\":\"00000000000000000000000000000001\",\"app\":\"a\","
		"\"licenses\":[{\"type\":\"x\",\"count\":1},{\"type\":\"x\",\"count\":1}]}",
		"not json",
	};
	char key[1024];
	struct license_key k;
	const char *why = NULL;
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		assert_true(base64url_encode(payloads[i], strlen(payloads[i]), key, sizeof(key)) > 0);
		strcat(key, ".AAAA");
		assert_int_equal(license_key_parse(key, &k, &why), -1);
		assert_non_null(why);
	}
	assert_int_equal(license_key_parse("nodot", &k, &why), -1);
	assert_int_equal(license_key_parse("a.b.c", &k, &why), -1);
	assert_int_equal(license_key_parse("!!!.AAAA", &k, &why), -1);
	assert_int_equal(license_key_public_ok("-----BEGIN PUBLIC KEY-----\nxx\n"), -1);
}

int main(int argc, char **argv)
{
	(void)argc;
	char self[PATH_MAX];
	if (!realpath(argv[0], self))
		return 1;
	snprintf(camvendor, sizeof(camvendor), "%s/../camvendor", dirname(self));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vendor_private_key_stays_in_a_0600_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_key_names_one_product_and_licenses_by_type,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_signed_by_another_vendor_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tampered_key_refused, setup, teardown),
		cmocka_unit_test(test_malformed_keys_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
