/* test_lib_eap: ACAP packages read (gzip and plain tar, GNU long names and pax paths,
 * garbage and truncated files refused), manifests parsed against their schema's required
 * fields, and the installation rules: architecture, the AXIS OS each manifest schema
 * needs (AXIS OS 13 only 2.x), compatibleOsVersions bounds, static users and groups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/eap.h"

static char dir[64];
static char why[256];

static const char *V2 = "{\"schemaVersion\":\"2.0.0\",\"acapPackageConf\":{\"setup\":{"
			"\"appName\":\"app\",\"vendor\":\"v\",\"runMode\":\"respawn\",\"version\":"
			"\"1.2.3\",\"architecture\":\"aarch64\",\"vendorId\":\"1234567890\","
			"\"compatibleOsVersions\":[{\"min\":\"12.10\",\"max\":\"13\"}]},"
			"\"configuration\":{\"paramConfig\":[{\"name\":\"Mode\",\"default\":\"fast\","
			"\"type\":\"string\"}]}}}";

static void parse_ok(const char *json, struct eap_manifest *m)
{
	if (eap_manifest_parse(json, strlen(json), m, why, sizeof(why)) != 0)
		fail_msg("parse: %s", why);
}

static void parse_fails(const char *json, const char *words)
{
	struct eap_manifest m;

	assert_int_equal(eap_manifest_parse(json, strlen(json), &m, why, sizeof(why)), -1);
	if (!strstr(why, words))
		fail_msg("'%s' lacks '%s'", why, words);
}

static void manifests_parse_by_schema(void **state)
{
	struct eap_manifest m;

	parse_ok(V2, &m);
	assert_int_equal(m.schema_major, 2);
	assert_string_equal(m.app_name, "app");
	assert_string_equal(m.version, "1.2.3");
	assert_int_equal(m.nos, 1);
	assert_string_equal(m.os[0].max, "13");
	assert_int_equal(m.nparams, 1);
	assert_string_equal(m.params[0].def, "fast");
	parse_ok("{\"schemaVersion\":\"1.5.0\",\"acapPackageConf\":{\"setup\":{\"appName\":\"a\","
		 "\"vendor\":\"v\",\"runMode\":\"never\",\"version\":\"1.0.0\"}}}", &m);
	assert_int_equal(m.schema_major, 1);
	parse_fails("{\"schemaVersion\":\"2.0.0\",\"acapPackageConf\":{\"setup\":{\"appName\":\"a\","
		    "\"vendor\":\"v\",\"runMode\":\"never\",\"version\":\"1.0.0\"}}}", "vendorId");
	parse_fails("{\"schemaVersion\":\"3.0\"}", "schemaVersion");
	parse_fails("{\"schemaVersion\":\"1.5.0\",\"acapPackageConf\":{\"setup\":{\"appName\":"
		    "\"a\",\"vendor\":\"v\",\"version\":\"1.0.0\"}}}", "setup.runMode is required");
	parse_fails("{\"schemaVersion\":\"1.5.0\",\"acapPackageConf\":{\"setup\":{\"appName\":"
		    "\"../x\",\"vendor\":\"v\",\"runMode\":\"never\",\"version\":\"1\"}}}", "file name");
	parse_fails("not json", "not a JSON object");
	/* a bare JSON value parses but is no manifest (it leaked once: found by fuzz_eap;
	 * the ASan build of this test catches a leak) */
	parse_fails("4", "not a JSON object");
	parse_fails("[1,2]", "not a JSON object");
}

static void os_ranges_cover_what_they_prefix(void **state)
{
	struct eap_manifest m;

	parse_ok(V2, &m);
	assert_int_equal(eap_os_in_range(&m, "12.10"), 0);
	assert_int_equal(eap_os_in_range(&m, "12.10.1"), 0);
	assert_int_equal(eap_os_in_range(&m, "13"), 0);
	assert_int_equal(eap_os_in_range(&m, "13.4.2"), 0);
	assert_int_equal(eap_os_in_range(&m, "12.9.9"), -1);
	assert_int_equal(eap_os_in_range(&m, "14.0.0"), -1);
	snprintf(m.os[0].min, sizeof(m.os[0].min), "%s", "");
	snprintf(m.os[0].max, sizeof(m.os[0].max), "%s", "12.9");
	assert_int_equal(eap_os_in_range(&m, "12.9.5"), 0);
	assert_int_equal(eap_os_in_range(&m, "12.10.0"), -1);
}

static void schema_and_architecture_rules(void **state)
{
	struct eap_manifest m;

	parse_ok(V2, &m);
	assert_int_equal(eap_compatible(&m, "aarch64", "12.10.1", why, sizeof(why)), 0);
	assert_int_equal(eap_compatible(&m, "armv7hf", "12.10.1", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "for aarch64, the camera is armv7hf"));
	assert_int_equal(eap_compatible(&m, "aarch64", "12.9.1", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "needs AXIS OS 12.10"));
	assert_int_equal(eap_compatible(&m, "aarch64", "14.1", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "outside the package's compatibleOsVersions"));
	m.schema_major = 1;
	snprintf(m.schema_version, sizeof(m.schema_version), "1.7.3");
	assert_int_equal(eap_compatible(&m, "aarch64", "13.0.1", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "installs only manifest schema 2.x"));
	assert_int_equal(eap_compatible(&m, "aarch64", "12.1.5", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "1.7.3 needs AXIS OS 12.2"));
	assert_int_equal(eap_compatible(&m, "aarch64", "12.2.0", why, sizeof(why)), 0);
	snprintf(m.architecture, sizeof(m.architecture), "all"); /* schema 1 only */
	assert_int_equal(eap_compatible(&m, "armv7hf", "12.2.0", why, sizeof(why)), 0);
}

static void users_and_groups(void **state)
{
	struct eap_manifest m;

	parse_ok(V2, &m);
	assert_int_equal(eap_user_allowed(&m, "12.10", why, sizeof(why)), 0);
	snprintf(m.user_name, sizeof(m.user_name), "root");
	assert_int_equal(eap_user_allowed(&m, "12.0.0", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "root is not allowed"));
	snprintf(m.user_name, sizeof(m.user_name), "other");
	assert_int_equal(eap_user_allowed(&m, "12.10", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "only the static user sdk"));
	m.schema_major = 1;
	snprintf(m.user_name, sizeof(m.user_name), "root");
	assert_int_equal(eap_user_allowed(&m, "11.11.73", why, sizeof(why)), 0);
	m.schema_major = 2;
	m.user_name[0] = '\0';
	snprintf(m.groups[m.ngroups++], EAP_FIELD_MAX, "wheel");
	assert_int_equal(eap_user_allowed(&m, "12.10", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "group wheel"));
}

static void run(const char *cmd)
{
	assert_int_equal(system(cmd), 0);
}

static void packages_read_in_every_tar_form(void **state)
{
	static const char *const tars[] = {
		"tar -C %s/stage --format=gnu -czf %s/p.eap .",        /* ./ names, gzip */
		"tar -C %s/stage --format=gnu -cf %s/p.eap .",         /* plain tar */
		"tar -C %s/stage --format=pax -czf %s/p.eap .",        /* pax headers */
	};
	char cmd[512], path[128], longname[160];
	struct eap_manifest m;
	int has_exe;

	snprintf(cmd, sizeof(cmd), "mkdir -p %s/stage && printf '%%s' '%s' >%s/stage/manifest.json"
		 " && echo x >%s/stage/app", dir, V2, dir, dir);
	run(cmd);
	memset(longname, 'n', 150);
	longname[150] = '\0';
	snprintf(cmd, sizeof(cmd), "echo long >%s/stage/%s", dir, longname);
	run(cmd);
	snprintf(path, sizeof(path), "%s/p.eap", dir);
	for (size_t i = 0; i < sizeof(tars) / sizeof(tars[0]); i++) {
		snprintf(cmd, sizeof(cmd), tars[i], dir, dir);
		run(cmd);
		if (eap_read_manifest(path, &m, &has_exe, why, sizeof(why)) != 0)
			fail_msg("%s: %s", tars[i], why);
		assert_string_equal(m.app_name, "app");
		assert_true(has_exe);
	}
	snprintf(cmd, sizeof(cmd), "rm %s/stage/app && tar -C %s/stage -czf %s/p.eap .", dir, dir,
		 dir);
	run(cmd);
	assert_int_equal(eap_read_manifest(path, &m, &has_exe, why, sizeof(why)), 0);
	assert_false(has_exe);
	/* truncated, garbage, no manifest */
	snprintf(cmd, sizeof(cmd), "tar -C %s/stage -cf %s/p.tar . && head -c 700 %s/p.tar >%s/p.eap",
		 dir, dir, dir, dir);
	run(cmd);
	assert_int_equal(eap_read_manifest(path, &m, &has_exe, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "truncated"));
	snprintf(cmd, sizeof(cmd), "echo 'not a package at all' >%s/p.eap", dir);
	run(cmd);
	assert_int_equal(eap_read_manifest(path, &m, &has_exe, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not a tar archive"));
	snprintf(cmd, sizeof(cmd), "rm %s/stage/manifest.json && tar -C %s/stage -czf %s/p.eap .",
		 dir, dir, dir);
	run(cmd);
	assert_int_equal(eap_read_manifest(path, &m, &has_exe, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "no manifest.json"));
	assert_int_equal(eap_read_manifest("/nonexistent.eap", &m, NULL, why, sizeof(why)), -1);
}

/* Read a piece at a time: the same manifest, in as many steps as the budget asks, every
 * step bounded; a package cut inside its large entry fails on the step that reaches it. */
static void packages_read_a_piece_at_a_time(void **state)
{
	char cmd[2048], path[128];
	struct eap_manifest_read *r;
	struct eap_manifest m;
	int has_exe, rc, steps = 0;

	snprintf(cmd, sizeof(cmd), "mkdir -p %s/big && printf '%%s' '%s' >%s/big/manifest.json"
		 " && head -c 3000000 /dev/urandom >%s/big/app && tar -C %s/big -czf %s/b.eap"
		 " manifest.json app", dir, V2, dir, dir, dir, dir);
	run(cmd);
	snprintf(path, sizeof(path), "%s/b.eap", dir);
	assert_int_equal(eap_manifest_read_start(&r, path, why, sizeof(why)), 0);
	while ((rc = eap_manifest_read_step(r, 64 * 1024, why, sizeof(why))) == 1)
		steps++;
	assert_int_equal(rc, 0);
	assert_true(steps >= 3000000 / (64 * 1024)); /* the large entry in pieces */
	assert_int_equal(eap_manifest_read_end(r, &m, &has_exe, why, sizeof(why)), 0);
	assert_string_equal(m.app_name, "app");
	assert_true(has_exe);
	eap_manifest_read_free(r);
	/* cut in the middle of the executable */
	snprintf(cmd, sizeof(cmd), "tar -C %s/big -cf %s/b.tar manifest.json app && head -c "
		 "1500000 %s/b.tar >%s/b.eap", dir, dir, dir, dir);
	run(cmd);
	assert_int_equal(eap_manifest_read_start(&r, path, why, sizeof(why)), 0);
	while ((rc = eap_manifest_read_step(r, 64 * 1024, why, sizeof(why))) == 1)
		;
	assert_int_equal(rc, -1);
	assert_non_null(strstr(why, "truncated archive (in app)"));
	eap_manifest_read_free(r);
}

static int make_dir(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_lib_eap.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(manifests_parse_by_schema),
		cmocka_unit_test(os_ranges_cover_what_they_prefix),
		cmocka_unit_test(schema_and_architecture_rules),
		cmocka_unit_test(users_and_groups),
		cmocka_unit_test(packages_read_in_every_tar_form),
		cmocka_unit_test(packages_read_a_piece_at_a_time),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
