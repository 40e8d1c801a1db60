/* keyfile: what a license key file names (serial, application id, date) is read
 * strictly; anything else is not a key file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/keyfile.h"

static int read_text(const char *text, struct keyfile_ids *k)
{
	return keyfile_read(text, strlen(text), k);
}

static void test_key_file_fields_are_read(void **state)
{
	struct keyfile_ids k;
	assert_int_equal(read_text("\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
				   "<LicenseKey>\n  <DeviceID>ACCC8E000001</DeviceID>\n"
				   "  <ApplicationID>4711</ApplicationID>\n"
				   "  <Vendor>ignored</Vendor>\n"
				   "  <ExpirationDate>2027-12-31</ExpirationDate>\n"
				   "  <Signature>c2ln</Signature>\n</LicenseKey>\n", &k), 0);
	assert_string_equal(k.serial, "ACCC8E000001");
	assert_string_equal(k.app_id, "4711");
	assert_int_equal(k.has_signature, 1);
	/* valid through that UTC day: it ends at 2028-01-01 00:00 */
	assert_int_equal(keyfile_expiry(&k), 1830297600);
	assert_int_equal(read_text("<LicenseKey><DeviceID>S1</DeviceID><ApplicationID>1"
				   "</ApplicationID></LicenseKey>", &k), 0);
	assert_int_equal(keyfile_expiry(&k), 0);
	assert_int_equal(k.has_signature, 0);
}

static void test_not_a_key_file_is_refused(void **state)
{
	struct keyfile_ids k;
	static const char *const bad[] = {
		"CAMSIM-LICENSE 1\napp=a\nserial=S\nexp=0\n",
		"",
		"<LicenseKey></LicenseKey>",
		"<LicenseKey><DeviceID>S1</DeviceID></LicenseKey>",
		"<LicenseKey><ApplicationID>1</ApplicationID></LicenseKey>",
		"<LicenseKey><DeviceID>s1</DeviceID><ApplicationID>1</ApplicationID></LicenseKey>",
		"<LicenseKey><DeviceID>S1</DeviceID><ApplicationID>x1</ApplicationID></LicenseKey>",
		"<LicenseKey><DeviceID>S1</DeviceID><DeviceID>S2</DeviceID>"
		"<ApplicationID>1</ApplicationID></LicenseKey>",
		"<LicenseKey><DeviceID>S1</DeviceID><ApplicationID>1</ApplicationID>"
		"<ExpirationDate>2027-02-29</ExpirationDate></LicenseKey>",
		"<LicenseKey><DeviceID>S1</DeviceID><ApplicationID>1</ApplicationID>"
		"<ExpirationDate>2027-13-01</ExpirationDate></LicenseKey>",
		"<LicenseKey><DeviceID>S1</DeviceID><ApplicationID>1</ApplicationID>"
		"<Signature></Signature></LicenseKey>",
		"<LicenseKey><DeviceID>S1</DeviceID><ApplicationID>1</ApplicationID></LicenseKey>x",
		"<LicenseKey><DeviceID>S1</Device><ApplicationID>1</ApplicationID></LicenseKey>",
		"<LicenseKey><DeviceID a=\"1\">S1</DeviceID><ApplicationID>1</ApplicationID>"
		"</LicenseKey>",
		"<?xml version=\"1.0\"<LicenseKey><DeviceID>S1</DeviceID></LicenseKey>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (read_text(bad[i], &k) != -1)
			fail_msg("accepted: %s", bad[i]);
	/* a NUL byte inside */
	assert_int_equal(keyfile_read("<LicenseKey>\0</LicenseKey>", 26, &k), -1);
}

static void test_dates_across_leap_days_and_year_ends(void **state)
{
	assert_int_equal(keyfile_date_end(""), 0);
	assert_int_equal(keyfile_date_end("1970-01-01"), 86400);
	assert_int_equal(keyfile_date_end("2028-02-29"), 1835481600); /* a leap day */
	assert_int_equal(keyfile_date_end("2100-02-29"), -1);         /* not one */
	assert_int_equal(keyfile_date_end("2000-02-29"), 951868800);  /* one */
	assert_int_equal(keyfile_date_end("2026-12-31"), 1798761600);
	assert_int_equal(keyfile_date_end("2026-1-31"), -1);
	assert_int_equal(keyfile_date_end("1969-12-31"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_file_fields_are_read),
		cmocka_unit_test(test_not_a_key_file_is_refused),
		cmocka_unit_test(test_dates_across_leap_days_and_year_ends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
