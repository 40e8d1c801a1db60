/* test_platform_axis_apps: applications through the axis backend against camsim's VAPIX
 * Application API: install, upgrade, start/stop/restart/remove and parameters, each
 * confirmed from list.cgi; the agent's own app replaced; the camera's refusals (unsigned
 * while AllowUnsigned is false, wrong architecture, a schema-1 package on AXIS OS 13, an
 * OS outside compatibleOsVersions, too many running) and every documented upload.cgi and
 * control.cgi error code from a fault switch reaching the reason. Packages come from
 * tests/tools/mkeap.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/fsutil.h"
#include "../../lib/log.h"
#include "../../platform/platform.h"
#include "camsim_fixture.h"
#include "test_pkg.h"

#define OS12 "12.10.1"

static struct test_pkg *make_pkg(struct fixture *f, const char *name, const char *version,
				 const char *arch, const char *opts)
{
	return test_pkg_make(f->dir, name, version, arch, opts);
}

static int install(struct fixture *f, struct test_pkg *k, struct platform_app *out)
{
	int rc = PW_CALL(f, app_install, pw_app_done, &k->p);

	if (rc >= 0 && out)
		*out = f->w.app;
	return rc;
}

static void start_on(struct fixture *f, const char *os, const char *const *more)
{
	const char *extra[12] = { "--version", os };
	int n = 2;

	for (int i = 0; more && more[i]; i++)
		extra[n++] = more[i];
	extra[n] = NULL;
	camsim_start(f, extra);
	must_open(f);
}

static const struct platform_app *listed(struct fixture *f, const char *app)
{
	static struct platform_app_list l;

	assert_int_equal(LIST_APPS(f, &l), 0);
	for (int i = 0; i < l.count; i++)
		if (!strcmp(l.apps[i].name, app))
			return &l.apps[i];
	return NULL;
}

static void test_install_start_stop_restart_remove(void **state)
{
	struct fixture *f = *state;
	struct platform_app out;
	const struct platform_app *a;

	start_on(f, OS12, NULL);
	assert_non_null(f->p.ops->app_install);
	assert_int_equal(install(f, make_pkg(f, "analytics", "1.0.0", "armv7hf",
					     "--signed --param Mode=fast"), &out), 0);
	assert_string_equal(out.version, "1.0.0");
	assert_false(out.running); /* a fresh install waits for start */
	a = listed(f, "analytics");
	assert_non_null(a);
	assert_string_equal(a->status, "Stopped");
	assert_string_equal(a->nice_name, "analytics app");
	assert_string_equal(a->license, "None");
	wait_field(f, "apps.analytics.version", "1.0.0");

	assert_int_equal(OP(f, app_start, "analytics"), 0);
	wait_field(f, "apps.analytics.status", "Running");
	assert_int_equal(OP(f, app_start, "analytics"), -1);
	expect_reason(f, "control.cgi start: Error 6 (the application is already running)");
	assert_int_equal(OP(f, app_stop, "analytics"), 0);
	wait_field(f, "apps.analytics.status", "Stopped");
	assert_int_equal(OP(f, app_stop, "analytics"), -1);
	expect_reason(f, "Error 7 (the application is not running)");
	/* restart of a stopped app starts it (camsim answers 7, the backend starts instead) */
	assert_int_equal(OP(f, app_restart, "analytics"), 0);
	wait_field(f, "apps.analytics.status", "Running");
	assert_int_equal(OP(f, app_restart, "analytics"), 0);
	assert_true(listed(f, "analytics")->running);

	assert_int_equal(OP(f, app_set_param, "analytics", "Mode", "slow & quiet"), 0);
	assert_int_equal(OP(f, app_set_param, "analytics", "Nope", "x"), -1);
	expect_reason(f, "analytics has no parameter Nope");

	assert_int_equal(OP(f, app_remove, "analytics"), 0);
	assert_null(listed(f, "analytics"));
	assert_int_equal(OP(f, app_remove, "analytics"), -1);
	expect_reason(f, "control.cgi remove: Error 4 (application not found)");
	assert_int_equal(OP(f, app_start, "../etc"), -1);
	expect_reason(f, "invalid application name");
}

static void test_upgrade_keeps_running_and_parameters(void **state)
{
	struct fixture *f = *state;
	struct platform_app out;
	char path[300], text[512];

	start_on(f, OS12, NULL);
	assert_int_equal(install(f, make_pkg(f, "analytics", "1.0.0", "armv7hf",
					     "--signed --param Mode=fast"), NULL), 0);
	assert_int_equal(OP(f, app_start, "analytics"), 0);
	assert_int_equal(OP(f, app_set_param, "analytics", "Mode", "slow"), 0);
	assert_int_equal(install(f, make_pkg(f, "analytics", "1.1.0", "armv7hf",
					     "--signed --param Mode=fast --param Extra=1"), &out), 0);
	assert_string_equal(out.version, "1.1.0");
	assert_true(out.running);
	snprintf(path, sizeof(path), "%s/params/analytics.conf", f->dir);
	assert_int_equal(read_text(path, text, sizeof(text)), 0);
	assert_non_null(strstr(text, "Mode=\"slow\""));  /* kept across the upgrade */
	assert_non_null(strstr(text, "Extra=\"1\""));    /* the new one's default */
}

static void test_own_app_upgrade_restarts_agent(void **state)
{
	struct fixture *f = *state;
	struct platform_app out;
	const char *more[] = { "--app-version", "0.1.0", NULL };

	start_on(f, OS12, more);
	assert_int_equal(install(f, make_pkg(f, "camagent", "0.2.0", "armv7hf", "--signed"), &out),
			 PLATFORM_APP_RESTARTS_AGENT);
	assert_string_equal(out.version, "0.2.0");
	wait_field(f, "app_upgrades", "1");
	wait_field(f, "apps.camagent.version", "0.2.0");
	assert_int_equal(OP(f, app_restart, "camagent"), PLATFORM_APP_RESTARTS_AGENT);
}

static void test_unsigned_refused_when_allow_unsigned_false(void **state)
{
	struct fixture *f = *state;

	start_on(f, OS12, NULL); /* AllowUnsigned defaults to false from AXIS OS 12.0 */
	wait_field(f, "allow_unsigned", "false");
	assert_int_equal(install(f, make_pkg(f, "analytics", "1.0.0", "armv7hf", NULL), NULL), -1);
	expect_reason(f, "upload.cgi: Error 2 (verification failed");
	expect_reason(f, "AllowUnsigned is false: it installs only validly signed packages");
	assert_int_equal(install(f, make_pkg(f, "analytics", "1.0.0", "armv7hf", "--bad-signature"),
				 NULL), -1);
	expect_reason(f, "Error 2");
	assert_null(listed(f, "analytics"));
	camsim_stop(f);
	platform_close(&f->p);

	/* before AXIS OS 12.0 AllowUnsigned defaults to true: an unsigned schema-1 package */
	start_on(f, OLD_OS, NULL);
	wait_field(f, "allow_unsigned", "true");
	assert_int_equal(install(f, make_pkg(f, "analytics", "1.0.0", "armv7hf", "--schema 1"),
				 NULL), 0);
}

static void test_wrong_architecture_refused_before_upload(void **state)
{
	struct fixture *f = *state;

	start_on(f, OS12, NULL);
	assert_int_equal(install(f, make_pkg(f, "analytics", "1.0.0", "aarch64", "--signed"), NULL),
			 -1);
	expect_reason(f, "refused before upload: the package is for aarch64, the camera is armv7hf");
	assert_null(listed(f, "analytics"));
}

static void test_schema1_refused_on_axis_os_13(void **state)
{
	struct fixture *f = *state;

	start_on(f, "13.0.1", NULL);
	assert_int_equal(install(f, make_pkg(f, "camagent", "0.1.0", "armv7hf",
					     "--schema 1 --signed"), NULL), -1);
	expect_reason(f, "AXIS OS 13.0.1 installs only manifest schema 2.x");
	/* the schema-2 package of the same app installs (max "13" admits 13.0.1) */
	assert_int_equal(install(f, make_pkg(f, "camagent", "0.2.0", "armv7hf", "--signed"), NULL),
			 PLATFORM_APP_RESTARTS_AGENT);
	wait_field(f, "apps.camagent.version", "0.2.0");
}

static void test_os_outside_range_refused(void **state)
{
	struct fixture *f = *state;

	start_on(f, OS12, NULL);
	assert_int_equal(install(f, make_pkg(f, "analytics", "1.0.0", "armv7hf",
					     "--signed --os 13-"), NULL), -1);
	expect_reason(f, "AXIS OS 12.10.1 is outside the package's compatibleOsVersions");
	assert_int_equal(install(f, make_pkg(f, "analytics", "1.0.0", "armv7hf",
					     "--signed --os -12.9"), NULL), -1);
	expect_reason(f, "outside the package's compatibleOsVersions");
	camsim_stop(f);
	platform_close(&f->p);
	start_on(f, "12.5.2", NULL); /* schema 2 needs 12.10 */
	assert_int_equal(install(f, make_pkg(f, "analytics", "1.0.0", "armv7hf", "--signed"), NULL),
			 -1);
	expect_reason(f, "manifest schema 2.0.0 needs AXIS OS 12.10 or later");
}

static void test_package_must_match_task(void **state)
{
	struct fixture *f = *state;
	struct test_pkg *k;

	start_on(f, OS12, NULL);
	k = make_pkg(f, "analytics", "1.0.0", "armv7hf", "--signed");
	k->p.size++;
	assert_int_equal(install(f, k, NULL), -1);
	expect_reason(f, "package: image changed after verification");
	k->p.size--;
	k->sha[0] = k->sha[0] == 'a' ? 'b' : 'a';
	assert_int_equal(install(f, k, NULL), -1);
	expect_reason(f, "package: image changed after verification: SHA-256");
	k = make_pkg(f, "analytics", "1.0.0", "armv7hf", "--signed");
	k->p.version = "1.0.1";
	assert_int_equal(install(f, k, NULL), -1);
	expect_reason(f, "analytics is version 1.0.0, the task names 1.0.1");
	k->p.version = NULL;
	k->p.app_name = "camagent";
	assert_int_equal(install(f, k, NULL), -1);
	expect_reason(f, "it is analytics, the task names camagent");
	k = make_pkg(f, "analytics", "1.0.0", "armv7hf", "--signed --user root:root");
	assert_int_equal(install(f, k, NULL), -1);
	expect_reason(f, "root is not allowed");
	k = make_pkg(f, "analytics", "1.0.0", "armv7hf", "--no-manifest");
	assert_int_equal(install(f, k, NULL), -1);
	expect_reason(f, "no manifest.json");
	assert_null(listed(f, "analytics"));
}

static void test_camera_refusals(void **state)
{
	struct fixture *f = *state;
	const char *more[] = { "--max-running-apps", "1", NULL };

	start_on(f, "12.5.2", more); /* before 12.6 the running-app limit applies */
	assert_int_equal(install(f, make_pkg(f, "one", "1.0.0", "armv7hf", "--schema 1 --signed"),
				 NULL), 0);
	assert_int_equal(install(f, make_pkg(f, "two", "1.0.0", "armv7hf", "--schema 1 --signed"),
				 NULL), 0);
	assert_int_equal(OP(f, app_start, "one"), 0);
	assert_int_equal(OP(f, app_start, "two"), -1);
	expect_reason(f, "Error 9 (too many applications running)");
	/* the same name in another letter case */
	assert_int_equal(install(f, make_pkg(f, "One", "1.0.0", "armv7hf", "--schema 1 --signed"),
				 NULL), -1);
	expect_reason(f, "upload.cgi: Error 14 (a package with the same name in another letter");
}

static void test_upload_error_codes(void **state)
{
	struct fixture *f = *state;
	static const struct {
		int code;
		const char *words;
	} cases[] = {
		{ 1, "invalid package" },     { 2, "verification failed" }, { 3, "too large" },
		{ 5, "not compatible" },      { 10, "unspecified" },        { 12, "upload is ongoing" },
		{ 13, "user or group" },      { 14, "letter case" },        { 15, "timed out" },
		{ 29, "invalid manifest.json" }, { 77, "undocumented error code" },
	};
	char faults[300], rule[64], want[64];
	struct test_pkg *k;

	start_on(f, OS12, NULL);
	k = make_pkg(f, "analytics", "1.0.0", "armv7hf", "--signed");
	snprintf(faults, sizeof(faults), "%s/faults", f->dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(rule, sizeof(rule), "upload.cgi error=%d\n", cases[i].code);
		write_text(faults, rule);
		assert_int_equal(install(f, k, NULL), -1);
		snprintf(want, sizeof(want), "upload.cgi: Error %d (", cases[i].code);
		expect_reason(f, want);
		expect_reason(f, cases[i].words);
	}
	/* a camera that says OK without installing: list.cgi tells */
	write_text(faults, "upload.cgi ok\n");
	assert_int_equal(install(f, k, NULL), -1);
	expect_reason(f, "upload.cgi: the camera said OK but list.cgi has no analytics");
	write_text(faults, "upload.cgi garbage\n");
	assert_int_equal(install(f, k, NULL), -1);
	expect_reason(f, "upload.cgi: unexpected reply");
	write_text(faults, "");
	assert_int_equal(install(f, k, NULL), 0);
}

static void test_control_error_codes(void **state)
{
	struct fixture *f = *state;
	static const struct {
		int code;
		const char *words;
	} cases[] = {
		{ 1, "invalid package" }, { 4, "not found" }, { 6, "already running" },
		{ 7, "not running" },     { 9, "too many" },  { 10, "unspecified" },
		{ 15, "timed out" },
	};
	static const char *const actions[] = { "start", "stop", "remove" };
	char faults[300], rule[64], want[64];

	start_on(f, OS12, NULL);
	assert_int_equal(install(f, make_pkg(f, "analytics", "1.0.0", "armv7hf", "--signed"), NULL),
			 0);
	snprintf(faults, sizeof(faults), "%s/faults", f->dir);
	for (size_t a = 0; a < 3; a++)
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			snprintf(rule, sizeof(rule), "control.cgi:%s error=%d\n", actions[a],
				 cases[i].code);
			write_text(faults, rule);
			f->reason[0] = '\0';
			assert_int_equal(a == 0   ? OP(f, app_start, "analytics")
					 : a == 1 ? OP(f, app_stop, "analytics")
						  : OP(f, app_remove, "analytics"),
					 -1);
			snprintf(want, sizeof(want), "control.cgi %s: Error %d (", actions[a],
				 cases[i].code);
			expect_reason(f, want);
			expect_reason(f, cases[i].words);
		}
	/* OK without doing it: the state in list.cgi says otherwise */
	write_text(faults, "control.cgi:start ok\n");
	assert_int_equal(OP(f, app_start, "analytics"), -1);
	expect_reason(f, "control.cgi start: the camera said OK but list.cgi shows analytics Stopped");
	write_text(faults, "control.cgi:remove ok\n");
	assert_int_equal(OP(f, app_remove, "analytics"), -1);
	expect_reason(f, "list.cgi still shows analytics");
	write_text(faults, "list.cgi error=1 *\n");
	assert_int_equal(OP(f, app_start, "analytics"), -1); /* started, but not confirmed */
	expect_reason(f, "list.cgi: the camera answered with an error");
	write_text(faults, "");
	assert_int_equal(OP(f, app_stop, "analytics"), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_install_start_stop_restart_remove),
		T(test_upgrade_keeps_running_and_parameters),
		T(test_own_app_upgrade_restarts_agent),
		T(test_unsigned_refused_when_allow_unsigned_false),
		T(test_wrong_architecture_refused_before_upload),
		T(test_schema1_refused_on_axis_os_13),
		T(test_os_outside_range_refused),
		T(test_package_must_match_task),
		T(test_camera_refusals),
		T(test_upload_error_codes),
		T(test_control_error_codes),
	};
#undef T

	log_init("test_platform_axis_apps", LOGL_ERROR, 0);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, start_bus, stop_bus);
}
