/* test_platform_axis: the axis backend (platform/axis) against camsim processes on a
 * private D-Bus daemon: credentials over D-Bus, identity, the upgrade across the camera's
 * reboot with commit / rollback / an image that does not come up, both spellings of the
 * committed flag, documented error codes as reasons, licenses, param.cgi settings (both
 * group-name cases, password parameters unreadable), timeouts and refused configurations.
 * camsim: $CAMSIM, else $BUILD/camsim (BUILD defaults to build/host). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "../../lib/buf.h"
#include "../../lib/crypto.h"
#include "../../lib/fsutil.h"
#include "../../lib/json.h"
#include "../../lib/log.h"
#include "../../platform/platform.h"
#include "camsim_fixture.h"

static const char *image(struct fixture *f, const char *version, const char *boot)
{
	static char path[300];
	char head[256];

	snprintf(path, sizeof(path), "%s/img-%s.bin", f->dir, version);
	snprintf(head, sizeof(head), "CAMSIM-IMAGE 1\nmodel=%s\nversion=%s\nboot=%s\n\npayload",
		 MODEL, version, boot);
	write_text(path, head);
	return path;
}

/* Installs path as an image the agent verified to have this hash and size. */
static int install_verified_as(struct fixture *f, const char *path, const char *sha256,
			       uint64_t size)
{
	struct platform_image img = { .path = path, .size = size, .sha256 = sha256 };

	int rc;

	f->reason[0] = '\0';
	rc = f->p.ops->install(f->p.priv, &img, pw_done, pw_start(&f->w), f->reason,
			       sizeof(f->reason));
	assert_true(rc == PLATFORM_IN_PROGRESS || rc == -1); /* every step on the loop */
	return pw_wait(&f->w, rc == PLATFORM_IN_PROGRESS ? 0 : rc, f->reason, sizeof(f->reason));
}

/* Installs the file as it is now: what the agent verified is what it should find. */
static int install(struct fixture *f, const char *path)
{
	char sha[CRYPTO_SHA256_HEX_LEN] = "";
	uint64_t size = 0;

	if (crypto_sha256_file(path, sha, &size) != 0)
		memset(sha, '0', sizeof(sha) - 1); /* missing file: the install must say so */
	return install_verified_as(f, path, sha, size);
}

/* What the last boot did; its reason in f->reason. */
static enum platform_boot_outcome outcome(struct fixture *f)
{
	f->reason[0] = '\0';
	return f->p.ops->boot_outcome(f->p.priv, f->reason, sizeof(f->reason));
}

/* ---- tests ---- */

static void test_identity(void **state)
{
	struct fixture *f = *state;
	struct platform_identity id;

	camsim_start(f, NULL);
	must_open(f);
	assert_string_equal(f->p.ops->name, "axis");
	assert_int_equal(f->p.ops->identity(f->p.priv, &id, f->reason, sizeof(f->reason)), 0);
	assert_string_equal(id.serial, SERIAL);
	assert_string_equal(id.model, MODEL);
	assert_string_equal(id.hardware_id, "92F");
	assert_string_equal(id.arch, "armv7hf");
	assert_string_equal(id.os_version, OLD_OS);
	assert_int_equal(outcome(f), PLATFORM_BOOT_NORMAL);
}

static void test_refused_configs(void **state)
{
	struct fixture *f = *state;
	struct platform p;
	char reason[PLATFORM_REASON_MAX];
	struct platform_axis_config cfg = { .state_dir = "/tmp", .dbus_address = bus_address };
	const char *bad[] = { "http://192.0.2.1", "http://127.evil.example", "ftp://127.0.0.1",
			      "http://localhost.example.com" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.vapix_url = bad[i];
		assert_int_equal(platform_axis_open(&p, &cfg, reason, sizeof(reason)), -1);
		assert_non_null(strstr(reason, "vapix_url"));
		assert_null(p.ops);
	}
	/* no D-Bus service: open asks nothing of the camera; its start fails precisely */
	camsim_start(f, NULL);
	cfg.vapix_url = f->url;
	cfg.dbus_address = "unix:path=/nonexistent/bus";
	cfg.net = &f->net;
	cfg.base = f->w.base;
	assert_int_equal(platform_axis_open(&p, &cfg, reason, sizeof(reason)), 0);
	assert_int_equal(pw_wait(&f->w, p.ops->start(p.priv, pw_done, pw_start(&f->w), reason,
						     sizeof(reason)),
				 reason, sizeof(reason)),
			 -1);
	assert_non_null(strstr(reason, "D-Bus: cannot connect"));
	platform_close(&p);
}

/* Closed while the D-Bus account fetch waits for a bus that never answers (a socket that
 * takes the connection and says nothing): the close cancels the fetch and sees it handed
 * back at once, so nothing of it is left (LeakSanitizer and valgrind check at exit). */
static void test_close_during_account_fetch(void **state)
{
	struct fixture *f = *state;
	struct platform p;
	char reason[PLATFORM_REASON_MAX], address[160];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct platform_axis_config cfg = { .state_dir = f->state, .dbus_address = address };
	struct timespec t0, t1;
	int mute = socket(AF_UNIX, SOCK_STREAM, 0);

	camsim_start(f, NULL);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/mute.bus", f->dir);
	assert_true(mute >= 0);
	unlink(sa.sun_path);
	assert_int_equal(bind(mute, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(mute, 4), 0);
	snprintf(address, sizeof(address), "unix:path=%s", sa.sun_path);
	cfg.vapix_url = f->url;
	cfg.net = &f->net;
	cfg.base = f->w.base;
	assert_int_equal(platform_axis_open(&p, &cfg, reason, sizeof(reason)), 0);
	assert_int_equal(p.ops->start(p.priv, pw_done, pw_start(&f->w), reason, sizeof(reason)),
			 0);
	f->w.returned = 1;
	/* systemready answered, the account asked for: the bus takes it and stays silent */
	for (int i = 0; i < 50; i++) {
		struct timeval tick = { 0, 20 * 1000 };

		event_base_loopexit(f->w.base, &tick);
		event_base_dispatch(f->w.base);
	}
	assert_int_equal(f->w.done, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	platform_close(&p);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(f->w.done, 0); /* closing drops the completion */
	/* nothing of the fetch is left for GLib to hand back later, to a context that no
	 * longer runs (its worker would have posted it by now) */
	usleep(200 * 1000);
	assert_false(g_main_context_pending(NULL));
	/* handed back at once, not left until the D-Bus timeout */
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 2000);
	close(mute);
}

static void test_no_camera(void **state)
{
	struct fixture *f = *state;
	struct platform_app_list l;

	camsim_start(f, NULL);
	must_open(f);
	camsim_stop(f);
	assert_int_equal(LIST_APPS(f, &l), -1);
	expect_reason(f, "cannot reach the camera");
}

static void test_upgrade_commit(void **state)
{
	struct fixture *f = *state;
	struct platform_identity id;
	struct platform_app_list l;
	char path[300];

	camsim_start(f, NULL);
	must_open(f);
	assert_int_equal(install(f, image(f, "12.0.1", "ok")), 0);
	wait_field(f, "active", "12.0.1");
	wait_field(f, "rebooting", "false");
	/* the service account changed with the reboot: the open platform fetches it again */
	assert_int_equal(LIST_APPS(f, &l), 0);
	must_open(f); /* the agent's restart */
	assert_int_equal(f->p.ops->identity(f->p.priv, &id, f->reason, sizeof(f->reason)), 0);
	assert_string_equal(id.os_version, "12.0.1");
	assert_int_equal(outcome(f), PLATFORM_BOOT_UPGRADED);
	wait_field(f, "committed", "false");
	wait_field(f, "rollback_armed", "true");
	assert_int_equal(OP0(f, commit), 0);
	wait_field(f, "committed", "true");
	wait_field(f, "rollback_armed", "false");
	snprintf(path, sizeof(path), "%s/axis-upgrade.json", f->state);
	assert_false(fs_exists(path));
	must_open(f);
	assert_int_equal(outcome(f), PLATFORM_BOOT_NORMAL);
}

static void test_upgrade_other_spelling(void **state)
{
	struct fixture *f = *state;
	const char *extra[] = { "--is-committed", NULL };

	camsim_start(f, extra);
	must_open(f);
	assert_int_equal(install(f, image(f, "12.0.1", "ok")), 0);
	wait_field(f, "active", "12.0.1");
	wait_field(f, "rebooting", "false");
	must_open(f);
	/* isCommitted:false must be read, else this would look committed (NORMAL) */
	assert_int_equal(outcome(f), PLATFORM_BOOT_UPGRADED);
}

static void test_image_does_not_boot(void **state)
{
	struct fixture *f = *state;

	camsim_start(f, NULL);
	must_open(f);
	assert_int_equal(install(f, image(f, "12.0.1", "fail")), 0);
	wait_field(f, "boots", "2");
	wait_field(f, "rebooting", "false");
	must_open(f);
	assert_int_equal(outcome(f), PLATFORM_BOOT_ROLLED_BACK);
	expect_reason(f, "AXIS OS 12.0.1 did not come up (the agent never ran on it)");
}

/* The agent restarted after the camera took the image and before its reboot: that is
 * no rollback; the reboot is still to come (the camera's bootid has not changed). */
static void test_restart_before_reboot_is_pending(void **state)
{
	struct fixture *f = *state;
	const char *extra[] = { "--reboot-delay", "1.5", NULL };

	camsim_start(f, extra);
	must_open(f);
	assert_int_equal(install(f, image(f, "12.0.1", "ok")), 0);
	must_open(f); /* at once: the camera has not rebooted yet */
	assert_int_equal(outcome(f), PLATFORM_BOOT_PENDING);
	expect_reason(f, "accepted AXIS OS 12.0.1 and has not rebooted into it yet");
	wait_field(f, "boots", "2");
	wait_field(f, "rebooting", "false");
	must_open(f);
	assert_int_equal(outcome(f), PLATFORM_BOOT_UPGRADED);
}

static void test_rollback(void **state)
{
	struct fixture *f = *state;

	camsim_start(f, NULL);
	must_open(f);
	assert_int_equal(OP0(f, rollback), -1);
	expect_reason(f, "error 404 (no previous firmware");
	assert_int_equal(install(f, image(f, "12.0.1", "ok")), 0);
	wait_field(f, "active", "12.0.1");
	wait_field(f, "rebooting", "false");
	must_open(f);
	assert_int_equal(OP0(f, rollback), 0);
	wait_field(f, "active", OLD_OS);
	wait_field(f, "rollbacks", "1");
}

static void test_auto_rollback_timer(void **state)
{
	struct fixture *f = *state;
	const char *extra[] = { "--minute-seconds", "0.5", NULL };

	camsim_start(f, extra);
	must_open(f);
	assert_int_equal(install(f, image(f, "12.0.1", "ok")), 0);
	wait_field(f, "active", "12.0.1");
	wait_field(f, "rebooting", "false");
	must_open(f); /* the agent ran on the new image, but never reached the cloud */
	assert_int_equal(outcome(f), PLATFORM_BOOT_UPGRADED);
	wait_field(f, "active", OLD_OS); /* nobody committed within the "minute" */
	wait_field(f, "rebooting", "false");
	must_open(f);
	assert_int_equal(outcome(f), PLATFORM_BOOT_ROLLED_BACK);
	expect_reason(f, "AXIS OS 12.0.1 came up, but the cloud was not reached before the "
			 "camera's rollback timer fired");
}

static void test_upgrade_errors(void **state)
{
	struct fixture *f = *state;
	static const struct {
		int code;
		const char *words;
	} cases[] = {
		{ 409, "downgrade refused" }, { 410, "revoked" },       { 412, "not committed" },
		{ 415, "invalid image" },     { 421, "does not match" }, { 422, "signature" },
		{ 423, "busy" },              { 424, "certificate" },    { 400, "could not parse" },
		{ 405, "unknown method" },    { 417, "API version" },    { 500, "internal error" },
		{ 999, "undocumented error code" },
	};
	char faults[300], rule[128], want[128];

	camsim_start(f, NULL);
	must_open(f);
	snprintf(faults, sizeof(faults), "%s/faults", f->dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(rule, sizeof(rule), "firmwaremanagement.cgi:upgrade error=%d\n", cases[i].code);
		write_text(faults, rule);
		assert_int_equal(install(f, image(f, "12.0.1", "ok")), -1);
		snprintf(want, sizeof(want), "upgrade: error %d (", cases[i].code);
		expect_reason(f, want);
		expect_reason(f, cases[i].words);
	}
	write_text(faults, "");
	/* the camera's own refusals: wrong model, downgrade, garbage */
	char path[300];
	snprintf(path, sizeof(path), "%s/other.bin", f->dir);
	write_text(path, "CAMSIM-IMAGE 1\nmodel=Q6135\nversion=12.0.1\nboot=ok\n\nx");
	assert_int_equal(install(f, path), -1);
	expect_reason(f, "error 421");
	assert_int_equal(install(f, image(f, "10.0.0", "ok")), -1);
	expect_reason(f, "error 409");
	write_text(path, "garbage");
	assert_int_equal(install(f, path), -1);
	expect_reason(f, "error 415");
	assert_int_equal(install(f, "/nonexistent/image.bin"), -1);
	expect_reason(f, "cannot open image");
	/* a refused upgrade leaves nothing pending */
	snprintf(path, sizeof(path), "%s/axis-upgrade.json", f->state);
	assert_false(fs_exists(path));
	wait_field(f, "upgrades", "0");
}

/* The bytes uploaded to the camera are the bytes hashed: an image changed after the
 * agent verified it is cut off before its last byte, and nothing is pending. */
static void test_image_changed_after_verification_not_uploaded(void **state)
{
	struct fixture *f = *state;
	const char *img;
	char sha[CRYPTO_SHA256_HEX_LEN], path[300];
	uint64_t size;

	camsim_start(f, NULL);
	must_open(f);
	img = image(f, "12.0.1", "ok");
	assert_int_equal(crypto_sha256_file(img, sha, &size), 0);
	snprintf(path, sizeof(path), "%s", img);
	write_text(path, "CAMSIM-IMAGE 1\nmodel=" MODEL "\nversion=12.0.1\nboot=ok\n\nPAYLOAD");
	assert_int_equal(install_verified_as(f, path, sha, size), -1);
	expect_reason(f, "image changed after verification: SHA-256");
	snprintf(path, sizeof(path), "%s/axis-upgrade.json", f->state);
	assert_false(fs_exists(path));
	wait_field(f, "upgrades", "0");
	wait_field(f, "active", OLD_OS);
}

static void test_malformed_replies(void **state)
{
	struct fixture *f = *state;
	struct platform_identity id;
	char faults[300];
	static const struct {
		const char *rule;
		const char *words;
	} cases[] = {
		{ "basicdeviceinfo.cgi truncate", "reply is not a JSON object" },
		{ "basicdeviceinfo.cgi garbage", "reply is not a JSON object (starts \"<html>" },
		{ "basicdeviceinfo.cgi empty", "empty reply" },
		{ "basicdeviceinfo.cgi http=503", "HTTP 503" },
		{ "basicdeviceinfo.cgi error=2001", "error 2001 (access forbidden)" },
		{ "basicdeviceinfo.cgi delay=3", "no complete reply within 1 s" },
	};

	camsim_start(f, NULL);
	f->timeout_s = 1;
	snprintf(faults, sizeof(faults), "%s/faults", f->dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_text(faults, cases[i].rule);
		assert_int_equal(axis_open(f), -1); /* the start reads the identity */
		expect_reason(f, cases[i].words);
	}
	write_text(faults, "");
	must_open(f);
	assert_int_equal(f->p.ops->identity(f->p.priv, &id, f->reason, sizeof(f->reason)), 0);
}

/* A key file in the documented shape (lib/keyfile.h) for application id app_id, valid
 * through the UTC day of exp. */
static void license_key(char *out, size_t outsz, const char *app_id, const char *serial, long exp)
{
	char date[16];
	time_t t = (time_t)exp;
	struct tm tm;
	strftime(date, sizeof(date), "%Y-%m-%d", gmtime_r(&t, &tm));
	snprintf(out, outsz,
		 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LicenseKey>\n"
		 "  <DeviceID>%s</DeviceID>\n  <ApplicationID>%s</ApplicationID>\n"
		 "  <ExpirationDate>%s</ExpirationDate>\n  <Signature>c2lnbmVk</Signature>\n"
		 "</LicenseKey>\n",
		 serial, app_id, date);
}

static int lic_install(struct fixture *f, const char *app, const char *key)
{
	return OP(f, license_install, app, key, strlen(key));
}

static void test_licenses(void **state)
{
	struct fixture *f = *state;
	char key[512];
	long later = (long)time(NULL) + 2 * 86400;

	camsim_start(f, NULL);
	must_open(f);
	license_key(key, sizeof(key), "4711", SERIAL, later);
	assert_int_equal(lic_install(f, "camagent-analytics", key), 0);
	wait_field(f, "licenses", "{\"camagent-analytics\":\"installed\"}");
	assert_int_equal(OP(f, license_remove, "camagent-analytics"), 0);
	wait_field(f, "licenses", "{\"camagent-analytics\":\"missing\"}");
	assert_int_equal(OP(f, license_remove, "camagent-analytics"), -1);
	expect_reason(f, "Error 23");

	license_key(key, sizeof(key), "4711", "ACCC8EFFFFFF", later);
	assert_int_equal(lic_install(f, "camagent-analytics", key), -1);
	expect_reason(f, "Error 30 (the key is for another device");
	license_key(key, sizeof(key), "4711", SERIAL, (long)time(NULL) - 2 * 86400);
	assert_int_equal(lic_install(f, "camagent-analytics", key), -1);
	expect_reason(f, "Error 31 (the license key has expired)");
	license_key(key, sizeof(key), "4712", SERIAL, later);
	assert_int_equal(lic_install(f, "camagent-analytics", key), -1);
	expect_reason(f, "Error 25");
	assert_int_equal(lic_install(f, "camagent-analytics", "not a key"), -1);
	expect_reason(f, "Error 21 (invalid license key file)");
	/* the made-up format of earlier versions is no key file to a camera */
	assert_int_equal(lic_install(f, "camagent-analytics",
				     "CAMSIM-LICENSE 1\napp=camagent-analytics\nserial=" SERIAL
				     "\nexp=0\n"), -1);
	expect_reason(f, "Error 21 (invalid license key file)");
	license_key(key, sizeof(key), "4711", SERIAL, later);
	assert_int_equal(lic_install(f, "camagent-nothere", key), -1);
	expect_reason(f, "Error 24 (application not installed)");
	assert_int_equal(lic_install(f, "../etc", key), -1);
	expect_reason(f, "invalid application name");
	wait_field(f, "licenses", "{\"camagent-analytics\":\"missing\"}");
}

static void write_params(struct fixture *f, const char *token_type)
{
	char path[300], text[512];

	snprintf(path, sizeof(path), "%s/param.conf", f->dir);
	snprintf(text, sizeof(text),
		 "CloudUrl=\"https://cloud.example.com\" type=\"string\"\n"
		 "EnrollmentToken=\"cam1.secret-token\" type=\"%s\"\n"
		 "LongPollSeconds=\"45\" type=\"int:min=5;max=300\"\n",
		 token_type);
	write_text(path, text);
}

static void test_settings(void **state)
{
	struct fixture *f = *state;
	struct platform_settings s;
	const char *capital[] = { "--param-group", "Camagent", NULL };

	camsim_start(f, NULL);
	write_params(f, "string");
	must_open(f);
	assert_non_null(f->p.ops->read_settings);
	assert_int_equal(READ_SETTINGS(f, &s), 0);
	assert_string_equal(s.cloud_url, "https://cloud.example.com");
	assert_string_equal(s.enrollment_token, "cam1.secret-token");
	assert_int_equal(s.long_poll_s, 45);
	/* a password parameter is not readable through param.cgi */
	write_params(f, "password:maxlen=1024");
	assert_int_equal(READ_SETTINGS(f, &s), 0);
	assert_string_equal(s.enrollment_token, "");
	assert_string_equal(s.cloud_url, "https://cloud.example.com");
	camsim_stop(f);
	platform_close(&f->p);

	/* the group with a capital first letter (UNCONFIRMED which one devices use) */
	camsim_start(f, capital);
	write_params(f, "string");
	must_open(f);
	assert_int_equal(READ_SETTINGS(f, &s), 0);
	assert_string_equal(s.enrollment_token, "cam1.secret-token");
	assert_int_equal(s.long_poll_s, 45);
}

static void test_settings_refused(void **state)
{
	struct fixture *f = *state;
	struct platform_settings s;
	const char *other[] = { "--param-group", "somethingelse", NULL };
	char path[300];

	camsim_start(f, other);
	must_open(f);
	assert_int_equal(READ_SETTINGS(f, &s), -1);
	expect_reason(f, "no parameter group root.camagent");
	camsim_stop(f);
	camsim_start(f, NULL);
	must_open(f);
	snprintf(path, sizeof(path), "%s/param.conf", f->dir);
	write_text(path, "LongPollSeconds=\"9999\" type=\"int\"\n");
	assert_int_equal(READ_SETTINGS(f, &s), -1);
	expect_reason(f, "LongPollSeconds must be 1..300");
	write_text(path, "");
	snprintf(path, sizeof(path), "%s/faults", f->dir);
	write_text(path, "param.cgi garbage");
	assert_int_equal(READ_SETTINGS(f, &s), -1);
	expect_reason(f, "not \"root.Group.Param=value\" lines");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_identity),
		T(test_refused_configs),
		T(test_close_during_account_fetch),
		T(test_no_camera),
		T(test_upgrade_commit),
		T(test_upgrade_other_spelling),
		T(test_image_does_not_boot),
		T(test_restart_before_reboot_is_pending),
		T(test_rollback),
		T(test_auto_rollback_timer),
		T(test_upgrade_errors),
		T(test_image_changed_after_verification_not_uploaded),
		T(test_malformed_replies),
		T(test_licenses),
		T(test_settings),
		T(test_settings_refused),
	};
#undef T

	log_init("test_platform_axis", LOGL_ERROR, 0);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, start_bus, stop_bus);
}
