/* Unit tests for agent/config.c: file parsing, flags over file, bad values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../agent/config.h"

static char *write_temp(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/camagent-config-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void defaults_are_sane(void **state)
{
	struct agent_config c;
	config_defaults(&c);
	assert_string_equal(c.platform, "sim");
	assert_int_equal(c.long_poll_s, 60);
	assert_int_equal(c.heartbeat_s, 300);
	assert_int_equal(c.allow_insecure_http, 0);
}

static void file_sets_values_and_ignores_comments(void **state)
{
	char err[256];
	struct agent_config c;
	const char *p = write_temp("# comment\n\nstate_dir = /var/lib/x  # trailing\n"
				   "long_poll_s=120\nallow_insecure_http = yes\nlog_level = debug\n"
				   "download_max_bytes_per_s = 100000\n");
	assert_int_equal(config_build(&c, p, NULL, 0, err, sizeof(err)), 0);
	unlink(p);
	assert_string_equal(c.state_dir, "/var/lib/x");
	assert_int_equal(c.long_poll_s, 120);
	assert_int_equal(c.allow_insecure_http, 1);
	assert_int_equal(c.log_level, LOGL_DEBUG);
	assert_int_equal(c.download_max_bytes_per_s, 100000);
}

static void flags_override_file(void **state)
{
	char err[256];
	struct agent_config c;
	const char *p = write_temp("state_dir = /a\nlong_poll_s = 10\n");
	struct config_override ov[] = { { "state_dir", "/b" } };
	assert_int_equal(config_build(&c, p, ov, 1, err, sizeof(err)), 0);
	unlink(p);
	assert_string_equal(c.state_dir, "/b");
	assert_int_equal(c.long_poll_s, 10);
}

static void bad_lines_name_file_and_line(void **state)
{
	char err[256];
	struct agent_config c;
	const char *p = write_temp("state_dir = /a\n\nlong_poll_s = 9999\n");
	assert_int_equal(config_build(&c, p, NULL, 0, err, sizeof(err)), -1);
	unlink(p);
	assert_non_null(strstr(err, ":3:"));
	assert_non_null(strstr(err, "long_poll_s"));

	p = write_temp("no equals sign here\n");
	assert_int_equal(config_build(&c, p, NULL, 0, err, sizeof(err)), -1);
	unlink(p);
	assert_non_null(strstr(err, ":1:"));

	p = write_temp("colour = blue\n");
	assert_int_equal(config_build(&c, p, NULL, 0, err, sizeof(err)), -1);
	unlink(p);
	assert_non_null(strstr(err, "unknown setting 'colour'"));
}

static void bad_values_refused(void **state)
{
	char err[256];
	struct agent_config c;
	config_defaults(&c);
	assert_int_equal(config_set(&c, "long_poll_s", "12abc", err, sizeof(err)), -1);
	assert_int_equal(config_set(&c, "long_poll_s", "0", err, sizeof(err)), -1);
	assert_int_equal(config_set(&c, "allow_insecure_http", "maybe", err, sizeof(err)), -1);
	assert_int_equal(config_set(&c, "download_max_bytes_per_s", "-5", err, sizeof(err)), -1);
	assert_int_equal(config_set(&c, "log_level", "loud", err, sizeof(err)), -1);
	char longv[CONFIG_URL_MAX + 10];
	memset(longv, 'x', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	assert_int_equal(config_set(&c, "cloud_url", longv, err, sizeof(err)), -1);
	assert_int_equal(c.long_poll_s, 60); /* untouched by failures */
}

static void missing_file_is_an_error(void **state)
{
	char err[256];
	struct agent_config c;
	assert_int_equal(config_build(&c, "/nonexistent/camagent.conf", NULL, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/camagent.conf"));
}

static void validate_requires_dirs(void **state)
{
	char err[256];
	struct agent_config c;
	config_defaults(&c);
	assert_int_equal(config_validate(&c, err, sizeof(err)), -1);
	strcpy(c.state_dir, "/s");
	assert_int_equal(config_validate(&c, err, sizeof(err)), -1);
	strcpy(c.sim_dir, "/c");
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
	strcpy(c.platform, "zx81");
	assert_int_equal(config_validate(&c, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_sane),
		cmocka_unit_test(file_sets_values_and_ignores_comments),
		cmocka_unit_test(flags_override_file),
		cmocka_unit_test(bad_lines_name_file_and_line),
		cmocka_unit_test(bad_values_refused),
		cmocka_unit_test(missing_file_is_an_error),
		cmocka_unit_test(validate_requires_dirs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
