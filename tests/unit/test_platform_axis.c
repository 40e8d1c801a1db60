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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/buf.h"
#include "../../lib/crypto.h"
#include "../../lib/fsutil.h"
#include "../../lib/json.h"
#include "../../lib/log.h"
#include "../../platform/platform.h"

#define SERIAL "ACCC8E0A0001"
#define MODEL "P3265-LVE"
#define OLD_OS "11.11.73"

static char bus_address[512];
static pid_t bus_pid;
static char tmproot[64];

struct fixture {
	char dir[256];       /* camsim's camera dir */
	char state[256];     /* the agent's state dir */
	char url[128];
	pid_t camsim;
	struct platform p;
	char reason[PLATFORM_REASON_MAX];
	int timeout_s;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int read_text(const char *path, char *out, size_t outsz)
{
	struct buf b;
	int rc;

	buf_init(&b, outsz);
	rc = fs_read_file(path, &b, outsz - 1);
	if (rc == 0)
		snprintf(out, outsz, "%s", buf_str(&b));
	buf_free(&b);
	return rc;
}

static void write_text(const char *path, const char *text)
{
	assert_int_equal(fs_write_atomic(path, text, strlen(text), 0644), 0);
}

/* ---- the private bus (once per run) ---- */

static int start_bus(void **state)
{
	char addr_file[128];
	int fd;

	snprintf(tmproot, sizeof(tmproot), "/tmp/test_platform_axis.XXXXXX");
	if (!mkdtemp(tmproot))
		return -1;
	snprintf(addr_file, sizeof(addr_file), "%s/bus.addr", tmproot);
	bus_pid = fork();
	if (bus_pid == 0) {
		fd = open(addr_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 3) < 0)
			_exit(127);
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 2);
		execlp("dbus-daemon", "dbus-daemon", "--session", "--nofork", "--print-address=3",
		       (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		if (read_text(addr_file, bus_address, sizeof(bus_address)) == 0 && strchr(bus_address, '\n')) {
			*strchr(bus_address, '\n') = '\0';
			return 0;
		}
		sleep_ms(50);
	}
	fprintf(stderr, "dbus-daemon did not start\n");
	return -1;
}

static int stop_bus(void **state)
{
	if (bus_pid > 0) {
		kill(bus_pid, SIGTERM);
		waitpid(bus_pid, NULL, 0);
	}
	nftw(tmproot, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- camsim ---- */

static void camsim_start(struct fixture *f, const char *const *extra)
{
	static int seq;
	char url_file[300], bin[256];
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build/host";
	const char *argv[40];
	int n = 0;

	snprintf(f->dir, sizeof(f->dir), "%s/cam%d", tmproot, ++seq);
	snprintf(f->state, sizeof(f->state), "%s/agent", f->dir);
	assert_int_equal(fs_mkdirs(f->state, 0700), 0);
	snprintf(url_file, sizeof(url_file), "%s/url", f->dir);
	snprintf(bin, sizeof(bin), "%s/camsim", build);
	argv[n++] = getenv("CAMSIM") ? getenv("CAMSIM") : bin;
	const char *base[] = { "--dir", f->dir, "--listen", "127.0.0.12:0", "--url-file", url_file,
			       "--dbus-address", bus_address, "--serial", SERIAL, "--model", MODEL,
			       "--version", OLD_OS, "--arch", "armv7hf", "--hwid", "92F",
			       "--reboot-delay", "0.1", "--down-seconds", "0.1",
			       "--app", "camagent-analytics", NULL };
	for (int i = 0; base[i]; i++)
		argv[n++] = base[i];
	for (int i = 0; extra && extra[i]; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	f->camsim = fork();
	if (f->camsim == 0) {
		int devnull = open(getenv("CAMSIM_LOG") ? getenv("CAMSIM_LOG") : "/dev/null",
				   O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(devnull, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		if (read_text(url_file, f->url, sizeof(f->url)) == 0 && strchr(f->url, '\n')) {
			*strchr(f->url, '\n') = '\0';
			return;
		}
		sleep_ms(25);
	}
	fail_msg("camsim (%s) did not start", argv[0]);
}

static void camsim_stop(struct fixture *f)
{
	if (f->camsim > 0) {
		kill(f->camsim, SIGTERM);
		waitpid(f->camsim, NULL, 0);
		f->camsim = 0;
	}
}

/* A field of camsim's state.json as text ("true"/"false" for booleans). */
static void camsim_field(struct fixture *f, const char *key, char *out, size_t outsz)
{
	char path[300], text[4096];
	struct json_doc doc = { 0 };
	int tok, b;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/state.json", f->dir);
	if (read_text(path, text, sizeof(text)) != 0 ||
	    json_parse(&doc, text, strlen(text), 128) != 0)
		return;
	tok = json_find(&doc, 0, key);
	if (tok >= 0 && json_tok_string(&doc, tok, out, outsz) != 0) {
		if (json_tok_bool(&doc, tok, &b) == 0) {
			snprintf(out, outsz, "%s", b ? "true" : "false");
		} else {
			size_t len;
			const char *raw = json_tok_raw(&doc, tok, &len);
			snprintf(out, outsz, "%.*s", (int)len, raw);
		}
	}
	json_free(&doc);
}

static void wait_field(struct fixture *f, const char *key, const char *want)
{
	char v[128];

	for (int i = 0; i < 200; i++) {
		camsim_field(f, key, v, sizeof(v));
		if (!strcmp(v, want))
			return;
		sleep_ms(25);
	}
	fail_msg("camsim %s is '%s', expected '%s'", key, v, want);
}

/* ---- the platform ---- */

static int axis_open(struct fixture *f)
{
	struct platform_axis_config cfg = {
		.vapix_url = f->url, .app_name = "camagent", .state_dir = f->state,
		.dbus_address = bus_address, .auto_rollback_min = 1, .timeout_s = f->timeout_s,
	};

	platform_close(&f->p);
	f->reason[0] = '\0';
	return platform_axis_open(&f->p, &cfg, f->reason, sizeof(f->reason));
}

static void must_open(struct fixture *f)
{
	if (axis_open(f) != 0)
		fail_msg("platform_axis_open: %s", f->reason);
}

static void expect_reason(struct fixture *f, const char *needle)
{
	if (!strstr(f->reason, needle))
		fail_msg("reason '%s' lacks '%s'", f->reason, needle);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	*state = f;
	return f ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	platform_close(&f->p);
	camsim_stop(f);
	free(f);
	return 0;
}

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

	f->reason[0] = '\0';
	return f->p.ops->install(f->p.priv, &img, f->reason, sizeof(f->reason));
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
	/* no D-Bus service: a precise reason, nothing opened */
	camsim_start(f, NULL);
	cfg.vapix_url = f->url;
	cfg.dbus_address = "unix:path=/nonexistent/bus";
	assert_int_equal(platform_axis_open(&p, &cfg, reason, sizeof(reason)), -1);
	assert_non_null(strstr(reason, "D-Bus: cannot connect"));
}

static void test_no_camera(void **state)
{
	struct fixture *f = *state;
	struct platform_identity id;

	camsim_start(f, NULL);
	must_open(f);
	camsim_stop(f);
	assert_int_equal(f->p.ops->identity(f->p.priv, &id, f->reason, sizeof(f->reason)), -1);
	expect_reason(f, "cannot reach the camera");
}

static void test_upgrade_commit(void **state)
{
	struct fixture *f = *state;
	struct platform_identity id;
	char path[300];

	camsim_start(f, NULL);
	must_open(f);
	assert_int_equal(install(f, image(f, "12.0.1", "ok")), 0);
	wait_field(f, "active", "12.0.1");
	wait_field(f, "rebooting", "false");
	/* the service account changed with the reboot: the open platform fetches it again */
	assert_int_equal(f->p.ops->identity(f->p.priv, &id, f->reason, sizeof(f->reason)), 0);
	assert_string_equal(id.os_version, "12.0.1");
	must_open(f); /* the agent's restart */
	assert_int_equal(outcome(f), PLATFORM_BOOT_UPGRADED);
	wait_field(f, "committed", "false");
	wait_field(f, "rollback_armed", "true");
	assert_int_equal(f->p.ops->commit(f->p.priv, f->reason, sizeof(f->reason)), 0);
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
	assert_int_equal(f->p.ops->rollback(f->p.priv, f->reason, sizeof(f->reason)), -1);
	expect_reason(f, "error 404 (no previous firmware");
	assert_int_equal(install(f, image(f, "12.0.1", "ok")), 0);
	wait_field(f, "active", "12.0.1");
	wait_field(f, "rebooting", "false");
	must_open(f);
	assert_int_equal(f->p.ops->rollback(f->p.priv, f->reason, sizeof(f->reason)), 0);
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
	must_open(f);
	snprintf(faults, sizeof(faults), "%s/faults", f->dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_text(faults, cases[i].rule);
		f->reason[0] = '\0';
		assert_int_equal(f->p.ops->identity(f->p.priv, &id, f->reason, sizeof(f->reason)), -1);
		expect_reason(f, cases[i].words);
	}
	write_text(faults, "");
	assert_int_equal(f->p.ops->identity(f->p.priv, &id, f->reason, sizeof(f->reason)), 0);
}

static void license_key(char *out, size_t outsz, const char *app, const char *serial, long exp)
{
	snprintf(out, outsz, "CAMSIM-LICENSE 1\napp=%s\nserial=%s\nexp=%ld\n", app, serial, exp);
}

static int lic_install(struct fixture *f, const char *app, const char *key)
{
	f->reason[0] = '\0';
	return f->p.ops->license_install(f->p.priv, app, key, strlen(key), f->reason,
					 sizeof(f->reason));
}

static void test_licenses(void **state)
{
	struct fixture *f = *state;
	char key[256];
	long later = (long)time(NULL) + 86400;

	camsim_start(f, NULL);
	must_open(f);
	license_key(key, sizeof(key), "camagent-analytics", SERIAL, later);
	assert_int_equal(lic_install(f, "camagent-analytics", key), 0);
	wait_field(f, "licenses", "{\"camagent-analytics\":\"installed\"}");
	assert_int_equal(f->p.ops->license_remove(f->p.priv, "camagent-analytics", f->reason,
						  sizeof(f->reason)), 0);
	wait_field(f, "licenses", "{\"camagent-analytics\":\"missing\"}");
	assert_int_equal(f->p.ops->license_remove(f->p.priv, "camagent-analytics", f->reason,
						  sizeof(f->reason)), -1);
	expect_reason(f, "Error 23");

	license_key(key, sizeof(key), "camagent-analytics", "ACCC8EFFFFFF", later);
	assert_int_equal(lic_install(f, "camagent-analytics", key), -1);
	expect_reason(f, "Error 30 (the key is for another device");
	license_key(key, sizeof(key), "camagent-analytics", SERIAL, (long)time(NULL) - 10);
	assert_int_equal(lic_install(f, "camagent-analytics", key), -1);
	expect_reason(f, "Error 31 (the license key has expired)");
	license_key(key, sizeof(key), "camagent-other", SERIAL, later);
	assert_int_equal(lic_install(f, "camagent-analytics", key), -1);
	expect_reason(f, "Error 25");
	assert_int_equal(lic_install(f, "camagent-analytics", "not a key"), -1);
	expect_reason(f, "Error 21 (invalid license key file)");
	license_key(key, sizeof(key), "camagent-nothere", SERIAL, later);
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
	assert_int_equal(f->p.ops->read_settings(f->p.priv, &s, f->reason, sizeof(f->reason)), 0);
	assert_string_equal(s.cloud_url, "https://cloud.example.com");
	assert_string_equal(s.enrollment_token, "cam1.secret-token");
	assert_int_equal(s.long_poll_s, 45);
	/* a password parameter is not readable through param.cgi */
	write_params(f, "password:maxlen=1024");
	assert_int_equal(f->p.ops->read_settings(f->p.priv, &s, f->reason, sizeof(f->reason)), 0);
	assert_string_equal(s.enrollment_token, "");
	assert_string_equal(s.cloud_url, "https://cloud.example.com");
	camsim_stop(f);
	platform_close(&f->p);

	/* the group with a capital first letter (UNCONFIRMED which one devices use) */
	camsim_start(f, capital);
	write_params(f, "string");
	must_open(f);
	assert_int_equal(f->p.ops->read_settings(f->p.priv, &s, f->reason, sizeof(f->reason)), 0);
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
	assert_int_equal(f->p.ops->read_settings(f->p.priv, &s, f->reason, sizeof(f->reason)), -1);
	expect_reason(f, "no parameter group root.camagent");
	camsim_stop(f);
	camsim_start(f, NULL);
	must_open(f);
	snprintf(path, sizeof(path), "%s/param.conf", f->dir);
	write_text(path, "LongPollSeconds=\"9999\" type=\"int\"\n");
	assert_int_equal(f->p.ops->read_settings(f->p.priv, &s, f->reason, sizeof(f->reason)), -1);
	expect_reason(f, "LongPollSeconds must be 1..300");
	write_text(path, "");
	snprintf(path, sizeof(path), "%s/faults", f->dir);
	write_text(path, "param.cgi garbage");
	assert_int_equal(f->p.ops->read_settings(f->p.priv, &s, f->reason, sizeof(f->reason)), -1);
	expect_reason(f, "not \"root.Group.Param=value\" lines");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_identity),
		T(test_refused_configs),
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
