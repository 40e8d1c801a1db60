/* Unit tests for cloud/domain/apps: what the catalog keeps of a manifest gives the same
 * installation verdicts as the manifest itself (ranges and schema survive the round trip
 * through the stored text), and stored text that is not the catalog's is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../cloud/domain/apps.h"

static void manifest(struct eap_manifest *m, const char *schema, const char *arch)
{
	memset(m, 0, sizeof(*m));
	strcpy(m->schema_version, schema);
	m->schema_major = schema[0] - '0';
	strcpy(m->architecture, arch);
}

static void test_ranges_round_trip(void **state)
{
	(void)state;
	struct eap_manifest m, back;
	char text[APP_RANGES_MAX];
	manifest(&m, "2.0.0", "aarch64");
	strcpy(m.os[0].min, "12.10");
	strcpy(m.os[0].max, "13");
	strcpy(m.os[1].min, "14.2");
	m.nos = 2;
	assert_int_equal(app_ranges_text(&m, text, sizeof(text)), 0);
	assert_string_equal(text, "12.10-13,14.2-");
	assert_int_equal(app_manifest_of_row("2.0.0", "aarch64", text, &back), 0);
	assert_int_equal(back.nos, 2);
	assert_string_equal(back.os[0].min, "12.10");
	assert_string_equal(back.os[0].max, "13");
	assert_string_equal(back.os[1].min, "14.2");
	assert_string_equal(back.os[1].max, "");
	assert_int_equal(back.schema_major, 2);
}

static void test_verdicts_survive_storage(void **state)
{
	(void)state;
	struct eap_manifest m;
	char why[EAP_TEXT_MAX];
	assert_int_equal(app_manifest_of_row("2.0.0", "aarch64", "12.10-13", &m), 0);
	assert_int_equal(eap_compatible(&m, "aarch64", "13.0.1", why, sizeof(why)), 0);
	assert_int_equal(eap_compatible(&m, "aarch64", "14.1", why, sizeof(why)), -1);
	assert_int_equal(eap_compatible(&m, "armv7hf", "12.10.1", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "the package is for aarch64, the camera is armv7hf"));
	/* the key case: a schema-1 agent package does not run on AXIS OS 13 */
	assert_int_equal(app_manifest_of_row("1.5.0", "aarch64", "", &m), 0);
	assert_int_equal(eap_compatible(&m, "aarch64", "12.10.1", why, sizeof(why)), 0);
	assert_int_equal(eap_compatible(&m, "aarch64", "13.0.1", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "schema 2"));
}

static void test_foreign_text_refused(void **state)
{
	(void)state;
	struct eap_manifest m;
	assert_int_equal(app_manifest_of_row("x", "aarch64", "", &m), -1);
	assert_int_equal(app_manifest_of_row("2.0.0", "aarch64", "12.10", &m), -1);
	assert_int_equal(app_manifest_of_row("2.0.0", "aarch64", "1-2,3-4,5-6,7-8,9-10,11-12,"
					     "13-14,15-16,17-18", &m), -1);
}

static void test_params_text(void **state)
{
	(void)state;
	struct eap_manifest m;
	char text[16];
	manifest(&m, "2.0.0", "aarch64");
	assert_int_equal(app_params_text(&m, text, sizeof(text)), 0);
	assert_string_equal(text, "");
	strcpy(m.params[0].name, "Sensitivity");
	strcpy(m.params[1].name, "Zone");
	m.nparams = 2;
	assert_int_equal(app_params_text(&m, text, sizeof(text)), -1); /* does not fit */
	char big[64];
	assert_int_equal(app_params_text(&m, big, sizeof(big)), 0);
	assert_string_equal(big, "Sensitivity,Zone");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges_round_trip),
		cmocka_unit_test(test_verdicts_survive_storage),
		cmocka_unit_test(test_foreign_text_refused),
		cmocka_unit_test(test_params_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
