/* Unit tests for cloud/domain/orglife: the archive confirmation (the id typed back and
 * the risk confirmed, each refusal with its reason) and the folder deletion preview
 * digest (the same preview gives the same digest; any added, removed or re-kinded id,
 * or another folder, gives another). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../cloud/domain/orglife.h"

#define ORG "0123456789abcdef0123456789abcdef"
#define OTHER "fedcba9876543210fedcba9876543210"

static void test_archive_needs_id_typed_back_and_risk(void **state)
{
	(void)state;
	assert_int_equal(archive_check(ORG, ORG, 1), ARCHIVE_OK);
	assert_int_equal(archive_check(ORG, "", 1), ARCHIVE_ID_NOT_TYPED);
	assert_int_equal(archive_check(ORG, NULL, 1), ARCHIVE_ID_NOT_TYPED);
	assert_int_equal(archive_check(ORG, OTHER, 1), ARCHIVE_ID_MISMATCH);
	assert_int_equal(archive_check(ORG, ORG "x", 1), ARCHIVE_ID_MISMATCH);
	assert_int_equal(archive_check(ORG, ORG, 0), ARCHIVE_RISK_UNCONFIRMED);
	assert_int_equal(archive_check(ORG, OTHER, 0), ARCHIVE_ID_MISMATCH); /* the id first */
	assert_non_null(strstr(archive_refusal(ARCHIVE_ID_NOT_TYPED), "confirm_id"));
	assert_non_null(strstr(archive_refusal(ARCHIVE_ID_MISMATCH), "not this organization"));
	assert_non_null(strstr(archive_refusal(ARCHIVE_RISK_UNCONFIRMED), "risk_understood"));
	assert_string_equal(archive_refusal(ARCHIVE_OK), "");
}

static void digest_of(const char *folder, struct db_ids *a, struct db_ids *b,
		      char out[CRYPTO_SHA256_HEX_LEN])
{
	struct preview_part parts[] = {{"device", a}, {"token", b}};
	assert_int_equal(delete_preview_digest(folder, parts, 2, out), 0);
	assert_int_equal(strlen(out), 64);
}

static void test_folder_delete_digest_names_what_was_previewed(void **state)
{
	(void)state;
	struct db_ids devs = {0}, toks = {0};
	char base[CRYPTO_SHA256_HEX_LEN], again[CRYPTO_SHA256_HEX_LEN], other[CRYPTO_SHA256_HEX_LEN];
	assert_int_equal(db_ids_add(&devs, ORG), 0);
	digest_of(ORG, &devs, &toks, base);
	digest_of(ORG, &devs, &toks, again);
	assert_string_equal(base, again); /* stable */
	digest_of(OTHER, &devs, &toks, other);
	assert_string_not_equal(base, other); /* another folder */
	digest_of(ORG, &toks, &devs, other);
	assert_string_not_equal(base, other); /* the same id as another kind */
	assert_int_equal(db_ids_add(&toks, OTHER), 0);
	digest_of(ORG, &devs, &toks, other);
	assert_string_not_equal(base, other); /* one more token */
	db_ids_free(&devs);
	digest_of(ORG, &devs, &toks, again);
	assert_string_not_equal(other, again); /* one device less */
	db_ids_free(&toks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_archive_needs_id_typed_back_and_risk),
		cmocka_unit_test(test_folder_delete_digest_names_what_was_previewed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
