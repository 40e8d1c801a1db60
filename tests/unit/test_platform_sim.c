/* test_platform_sim: the simulated camera in a temp directory: creation, identity,
 * A/B install across reboots (upgrade, commit, rollback, images that do not boot),
 * refused images, licenses, corrupt state files, and applications (install, upgrade,
 * start/stop/restart, parameters, remove, the agent's own app, refused packages). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/buf.h"
#include "../../lib/crypto.h"
#include "../../lib/fsutil.h"
#include "../../lib/log.h"
#include "../../platform/platform.h"
#include "platform_wait.h"
#include "test_pkg.h"

#define MODEL "P3265-LVE"
#define SERIAL "ACCC8E000001"
#define OLD_OS "11.8.64"
#define NEW_OS "11.9.60"

struct fixture {
	char tmp[64];
	char cam[128];
	char path[256]; /* scratch for file paths */
	struct platform p;
	char reason[PLATFORM_REASON_MAX];
	struct platform_wait w; /* its loop: the simulated camera answers there */
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->w.base = event_base_new();
	assert_non_null(f->w.base);
	snprintf(f->tmp, sizeof(f->tmp), "/tmp/test_platform_sim.XXXXXX");
	assert_non_null(mkdtemp(f->tmp));
	snprintf(f->cam, sizeof(f->cam), "%s/cam", f->tmp);
	assert_int_equal(platform_sim_create(f->cam, SERIAL, MODEL, "1A2B", "aarch64", OLD_OS,
					     f->reason, sizeof(f->reason)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	platform_close(&f->p);
	event_base_free(f->w.base);
	nftw(f->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static const char *fpath(struct fixture *f, const char *rel)
{
	snprintf(f->path, sizeof(f->path), "%s/%s", f->cam, rel);
	return f->path;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* Writes an image with a payload of payload_len bytes to tmp/<name>; returns its path. */
static const char *make_image(struct fixture *f, const char *name, const char *model,
			      const char *version, const char *boot, size_t payload_len)
{
	static char path[256];
	struct buf b;

	buf_init(&b, 1 << 20);
	assert_int_equal(buf_printf(&b, "CAMSIM-IMAGE 1\nmodel=%s\nversion=%s\nboot=%s\n\n", model,
				    version, boot), 0);
	for (size_t i = 0; i < payload_len; i++) {
		char c = (char)(i * 31 + 7);
		assert_int_equal(buf_append(&b, &c, 1), 0);
	}
	snprintf(path, sizeof(path), "%s/%s", f->tmp, name);
	write_file(path, b.data, b.len);
	buf_free(&b);
	return path;
}

static void sim_open(struct fixture *f)
{
	platform_close(&f->p);
	f->reason[0] = '\0';
	if (platform_sim_open(&f->p, f->cam, f->w.base, f->reason, sizeof(f->reason)) != 0)
		fail_msg("platform_sim_open: %s", f->reason);
}

static void check_version(struct fixture *f, const char *want)
{
	struct platform_identity id;

	assert_int_equal(f->p.ops->identity(f->p.priv, &id, f->reason, sizeof(f->reason)), 0);
	assert_string_equal(id.os_version, want);
}

/* The next open after a requested reboot is the boot. */
static void reboot(struct fixture *f)
{
	assert_int_equal(f->p.ops->reboot(f->p.priv, f->reason, sizeof(f->reason)), 0);
	sim_open(f);
}

/* Installs path as an image the agent verified to have this hash and size. */
static int install_verified_as(struct fixture *f, const char *image, const char *sha256,
			       uint64_t size)
{
	struct platform_image img = { .path = image, .size = size, .sha256 = sha256 };

	f->reason[0] = '\0';
	return f->p.ops->install(f->p.priv, &img, NULL, NULL, f->reason, sizeof(f->reason));
}

/* Installs the file as it is now: what the agent verified is what it should find. */
static int install(struct fixture *f, const char *image)
{
	char sha[CRYPTO_SHA256_HEX_LEN] = "";
	uint64_t size = 0;

	if (crypto_sha256_file(image, sha, &size) != 0)
		memset(sha, '0', sizeof(sha) - 1); /* missing file: the install must say so */
	return install_verified_as(f, image, sha, size);
}

static enum platform_boot_outcome outcome(struct fixture *f)
{
	char why[PLATFORM_REASON_MAX];

	return f->p.ops->boot_outcome(f->p.priv, why, sizeof(why));
}

static void check_boot_json_has(struct fixture *f, const char *needle)
{
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(fs_read_file(fpath(f, "boot.json"), &b, 4096), 0);
	if (!strstr(buf_str(&b), needle))
		fail_msg("boot.json lacks '%s': %s", needle, buf_str(&b));
	buf_free(&b);
}

static void upgrade(struct fixture *f)
{
	assert_int_equal(install(f, make_image(f, "new.img", MODEL, NEW_OS, "ok", 5000)), 0);
	reboot(f);
	assert_int_equal(outcome(f), PLATFORM_BOOT_UPGRADED);
	check_version(f, NEW_OS);
}

/* ---- tests ---- */

static void test_create_and_identity(void **state)
{
	struct fixture *f = *state;
	struct platform_identity id;

	sim_open(f);
	assert_string_equal(f->p.ops->name, "sim");
	assert_int_equal(f->p.ops->identity(f->p.priv, &id, f->reason, sizeof(f->reason)), 0);
	assert_string_equal(id.serial, SERIAL);
	assert_string_equal(id.model, MODEL);
	assert_string_equal(id.hardware_id, "1A2B");
	assert_string_equal(id.arch, "aarch64");
	assert_string_equal(id.os_version, OLD_OS);
	assert_int_equal(outcome(f), PLATFORM_BOOT_NORMAL);

	assert_int_equal(platform_sim_create(f->cam, "X", MODEL, "1", "aarch64", OLD_OS, f->reason,
					     sizeof(f->reason)), -1);
	assert_non_null(strstr(f->reason, "already exists"));
	assert_int_equal(platform_sim_create(fpath(f, "other"), "", MODEL, "1", "aarch64", OLD_OS,
					     f->reason, sizeof(f->reason)), -1);
	assert_int_equal(platform_sim_create(fpath(f, "other"), "S\nX", MODEL, "1", "aarch64",
					     OLD_OS, f->reason, sizeof(f->reason)), -1);
}

static void test_install_reboot_upgrades(void **state)
{
	struct fixture *f = *state;
	struct buf src, dst;
	const char *img;

	sim_open(f);
	img = make_image(f, "new.img", MODEL, NEW_OS, "ok", 100000);
	assert_int_equal(install(f, img), 0);
	assert_int_equal(outcome(f), PLATFORM_BOOT_NORMAL);
	check_version(f, OLD_OS); /* not before the reboot */
	check_boot_json_has(f, "\"pending\":\"b\"");

	buf_init(&src, 1 << 20);
	buf_init(&dst, 1 << 20);
	assert_int_equal(fs_read_file(img, &src, 1 << 20), 0);
	assert_int_equal(fs_read_file(fpath(f, "slots/b"), &dst, 1 << 20), 0);
	assert_int_equal(src.len, dst.len);
	assert_memory_equal(src.data, dst.data, src.len);
	buf_free(&src);
	buf_free(&dst);

	reboot(f);
	assert_int_equal(outcome(f), PLATFORM_BOOT_UPGRADED);
	check_version(f, NEW_OS);
	check_boot_json_has(f, "\"active\":\"b\"");
	check_boot_json_has(f, "\"pending\":null");
	check_boot_json_has(f, "\"committed\":false");
}

static void test_commit(void **state)
{
	struct fixture *f = *state;

	sim_open(f);
	upgrade(f);
	assert_int_equal(OP0(f, commit), 0);
	assert_int_equal(outcome(f), PLATFORM_BOOT_NORMAL);
	check_boot_json_has(f, "\"committed\":true");
	reboot(f);
	assert_int_equal(outcome(f), PLATFORM_BOOT_NORMAL);
	check_version(f, NEW_OS);
}

static void test_reboot_without_commit_rolls_back(void **state)
{
	struct fixture *f = *state;

	sim_open(f);
	upgrade(f);
	reboot(f);
	assert_int_equal(outcome(f), PLATFORM_BOOT_ROLLED_BACK);
	check_version(f, OLD_OS);
	check_boot_json_has(f, "uncommitted image rolled back on reboot");
	assert_int_equal(OP0(f, commit), 0);
	assert_int_equal(outcome(f), PLATFORM_BOOT_NORMAL);
}

static void test_boot_fail_image_rolls_back(void **state)
{
	struct fixture *f = *state;

	sim_open(f);
	assert_int_equal(install(f, make_image(f, "bad.img", MODEL, NEW_OS, "fail", 10)), 0);
	reboot(f);
	assert_int_equal(outcome(f), PLATFORM_BOOT_ROLLED_BACK);
	check_version(f, OLD_OS);
	check_boot_json_has(f, "image in slot b did not boot");
	check_boot_json_has(f, "\"active\":\"a\"");
	/* outcome persists across a plain restart until commit */
	sim_open(f);
	assert_int_equal(outcome(f), PLATFORM_BOOT_ROLLED_BACK);
}

static void test_wrong_model_refused(void **state)
{
	struct fixture *f = *state;

	sim_open(f);
	assert_int_equal(install(f, make_image(f, "m.img", "M1065-L", NEW_OS, "ok", 10)), -1);
	assert_string_equal(f->reason, "image is for model M1065-L, camera is " MODEL);
	check_boot_json_has(f, "\"pending\":null");
	reboot(f);
	assert_int_equal(outcome(f), PLATFORM_BOOT_NORMAL);
	check_version(f, OLD_OS);
}

static void check_garbage(struct fixture *f, const char *content, size_t len, const char *why)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/garbage.img", f->tmp);
	write_file(path, content, len);
	assert_int_equal(install(f, path), -1);
	if (strncmp(f->reason, "invalid image: ", 15) != 0 || !strstr(f->reason, why))
		fail_msg("unexpected reason '%s' (wanted '%s')", f->reason, why);
}

static void test_garbage_image_refused(void **state)
{
	struct fixture *f = *state;
	char big[5000];

	sim_open(f);
#define GARBAGE(text, why) check_garbage(f, text, sizeof(text) - 1, why)
	GARBAGE("\x7f" "ELF\x02\x01", "not a CAMSIM");
	GARBAGE("", "not a CAMSIM");
	GARBAGE("CAMSIM-IMAGE 2\nmodel=" MODEL "\n\n", "not a CAMSIM");
	GARBAGE("CAMSIM-IMAGE 1\nmodel=" MODEL "\n", "truncated");
	GARBAGE("CAMSIM-IMAGE 1\nmodel=" MODEL "\nboot=ok\n\nxx", "lacks version");
	GARBAGE("CAMSIM-IMAGE 1\nmodel=" MODEL "\nversion=1\nboot=maybe\n\n", "boot");
	GARBAGE("CAMSIM-IMAGE 1\nmodel=" MODEL "\nmodel=" MODEL "\n\n", "repeated");
	GARBAGE("CAMSIM-IMAGE 1\nmodel=\nversion=1\nboot=ok\n\n", "bad value");
	GARBAGE("CAMSIM-IMAGE 1\nmodel\n\n", "without '='");
#undef GARBAGE
	memcpy(big, "CAMSIM-IMAGE 1\n", 15);
	memset(big + 15, 'x', sizeof(big) - 15);
	check_garbage(f, big, sizeof(big), "longer than");

	assert_int_equal(install(f, "/nonexistent/image"), -1);
	assert_non_null(strstr(f->reason, "cannot open image"));
	check_boot_json_has(f, "\"pending\":null");
}

/* Bytes changed after the agent verified them never reach a slot: the install hashes
 * what it writes and arms nothing when it differs. */
static void test_image_changed_after_verification_not_installed(void **state)
{
	struct fixture *f = *state;
	const char *img = make_image(f, "new.img", MODEL, NEW_OS, "ok", 5000);
	char sha[CRYPTO_SHA256_HEX_LEN], path[256];
	uint64_t size;
	FILE *fp;

	sim_open(f);
	assert_int_equal(crypto_sha256_file(img, sha, &size), 0);
	snprintf(path, sizeof(path), "%s", img);
	fp = fopen(path, "r+b"); /* one payload byte flipped, same size */
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 100, SEEK_SET), 0);
	assert_int_equal(fputc('!', fp), '!');
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(install_verified_as(f, path, sha, size), -1);
	assert_non_null(strstr(f->reason, "image changed after verification: SHA-256"));
	/* grown or shrunk: refused too */
	assert_int_equal(install_verified_as(f, path, sha, size - 1), -1);
	assert_non_null(strstr(f->reason, "image changed after verification"));
	assert_int_equal(install_verified_as(f, path, sha, size + 1), -1);
	assert_non_null(strstr(f->reason, "image changed after verification"));
	check_boot_json_has(f, "\"pending\":null");
	assert_false(fs_exists(fpath(f, "slots/b.tmp")));
	reboot(f);
	assert_int_equal(outcome(f), PLATFORM_BOOT_NORMAL);
	check_version(f, OLD_OS);
}

static void test_restart_without_reboot(void **state)
{
	struct fixture *f = *state;

	sim_open(f);
	assert_int_equal(install(f, make_image(f, "new.img", MODEL, NEW_OS, "ok", 10)), 0);
	sim_open(f); /* process restart, no reboot */
	assert_int_equal(outcome(f), PLATFORM_BOOT_NORMAL);
	check_version(f, OLD_OS);
	check_boot_json_has(f, "\"pending\":\"b\"");
	reboot(f);
	assert_int_equal(outcome(f), PLATFORM_BOOT_UPGRADED);
	sim_open(f); /* restart after the boot: still upgraded and uncommitted */
	assert_int_equal(outcome(f), PLATFORM_BOOT_UPGRADED);
	check_version(f, NEW_OS);
}

static void test_install_while_uncommitted_refused(void **state)
{
	struct fixture *f = *state;

	sim_open(f);
	upgrade(f);
	assert_int_equal(install(f, make_image(f, "n2.img", MODEL, "12.0", "ok", 10)), -1);
	assert_non_null(strstr(f->reason, "not committed"));
	assert_int_equal(OP0(f, commit), 0);
	assert_int_equal(install(f, make_image(f, "n2.img", MODEL, "12.0", "ok", 10)), 0);
	reboot(f);
	assert_int_equal(outcome(f), PLATFORM_BOOT_UPGRADED);
	check_version(f, "12.0");
}

static void test_explicit_rollback(void **state)
{
	struct fixture *f = *state;

	sim_open(f);
	assert_int_equal(OP0(f, rollback), -1);
	assert_non_null(strstr(f->reason, "no previous image"));
	upgrade(f);
	assert_int_equal(OP0(f, rollback), 0);
	sim_open(f); /* the reboot rollback asked for */
	assert_int_equal(outcome(f), PLATFORM_BOOT_ROLLED_BACK);
	check_version(f, OLD_OS);
	assert_int_equal(OP0(f, commit), 0);
	assert_int_equal(outcome(f), PLATFORM_BOOT_NORMAL);
}

static int lic_install(struct fixture *f, const char *app, const char *key)
{
	f->reason[0] = '\0';
	return OP(f, license_install, app, key, strlen(key));
}

/* A key file in the shape lib/keyfile.h reads; date "" for none. */
static const char *license_text(const char *serial, const char *date)
{
	static char text[512];

	snprintf(text, sizeof(text),
		 "<?xml version=\"1.0\"?>\n<LicenseKey>\n <DeviceID>%s</DeviceID>\n"
		 " <ApplicationID>4711</ApplicationID>\n%s%s%s <Signature>c2lnbmVk</Signature>\n"
		 "</LicenseKey>\n",
		 serial, date[0] ? " <ExpirationDate>" : "", date, date[0] ? "</ExpirationDate>\n" : "");
	return text;
}

static void test_license_install_and_remove(void **state)
{
	struct fixture *f = *state;
	const char *key = license_text(SERIAL, "2099-12-31");
	struct buf b;

	sim_open(f);
	assert_int_equal(lic_install(f, "vmd", key), 0);
	buf_init(&b, 16384);
	assert_int_equal(fs_read_file(fpath(f, "licenses/vmd.key"), &b, 16384), 0);
	assert_string_equal(buf_str(&b), key);
	buf_free(&b);
	assert_int_equal(lic_install(f, "perm", license_text(SERIAL, "")), 0);

	assert_int_equal(OP(f, license_remove, "vmd"), 0);
	assert_false(fs_exists(fpath(f, "licenses/vmd.key")));
	assert_int_equal(OP(f, license_remove, "vmd"), -1);
	assert_string_equal(f->reason, "no license installed for vmd");
}

/* An answer still due when the platform closes never comes (the caller may be gone). */
static void test_close_drops_answers_due(void **state)
{
	struct fixture *f = *state;

	sim_open(f);
	assert_int_equal(f->p.ops->license_remove(f->p.priv, "vmd", pw_done, pw_start(&f->w),
						  f->reason, sizeof(f->reason)), 0);
	f->w.returned = 1;
	assert_false(f->w.done); /* answered on the loop, never inside the call */
	platform_close(&f->p);
	assert_int_equal(event_base_loop(f->w.base, EVLOOP_NONBLOCK), 1); /* nothing left */
	assert_false(f->w.done);
}

static void test_license_refused(void **state)
{
	struct fixture *f = *state;

	sim_open(f);
	assert_int_equal(lic_install(f, "vmd", license_text("OTHER1", "2099-12-31")), -1);
	assert_string_equal(f->reason, "license is bound to serial OTHER1, camera is " SERIAL);
	assert_int_equal(lic_install(f, "vmd", license_text(SERIAL, "2001-02-03")), -1);
	assert_string_equal(f->reason, "license key has expired");

	/* not key files: the made-up text format, no signature, a bad date, trailing data */
	assert_int_equal(lic_install(f, "vmd", "CAMSIM-LICENSE 1\napp=vmd\nserial=" SERIAL
						"\nexp=0\n"), -1);
	assert_string_equal(f->reason, "invalid license key file");
	assert_int_equal(lic_install(f, "vmd", "<LicenseKey><DeviceID>" SERIAL "</DeviceID>"
						"<ApplicationID>1</ApplicationID></LicenseKey>"), -1);
	assert_int_equal(lic_install(f, "vmd", license_text(SERIAL, "2023-02-29")), -1);
	char trailing[600];
	snprintf(trailing, sizeof(trailing), "%sx", license_text(SERIAL, ""));
	assert_int_equal(lic_install(f, "vmd", trailing), -1);
	assert_int_equal(lic_install(f, "vmd", "garbage"), -1);
	assert_int_equal(lic_install(f, "../evil", license_text(SERIAL, "")), -1);
	assert_string_equal(f->reason, "invalid application name");
	assert_false(fs_exists(fpath(f, "licenses/vmd.key")));
}

static void test_corrupt_files(void **state)
{
	struct fixture *f = *state;

	write_file(fpath(f, "boot.json"), "{\"active\":", 10);
	assert_int_equal(platform_sim_open(&f->p, f->cam, f->w.base, f->reason, sizeof(f->reason)), -1);
	assert_non_null(strstr(f->reason, "boot.json"));
	assert_null(f->p.ops);

	write_file(fpath(f, "boot.json"), "{\"active\":\"c\"}", 14);
	assert_int_equal(platform_sim_open(&f->p, f->cam, f->w.base, f->reason, sizeof(f->reason)), -1);
	assert_non_null(strstr(f->reason, "\"active\""));

	unlink(fpath(f, "boot.json"));
	assert_int_equal(platform_sim_open(&f->p, f->cam, f->w.base, f->reason, sizeof(f->reason)), -1);
	assert_non_null(strstr(f->reason, "boot.json"));

	write_file(fpath(f, "camera.json"), "[1,2]", 5);
	assert_int_equal(platform_sim_open(&f->p, f->cam, f->w.base, f->reason, sizeof(f->reason)), -1);
	assert_non_null(strstr(f->reason, "camera.json"));
}

static void test_corrupt_active_slot(void **state)
{
	struct fixture *f = *state;
	struct platform_identity id;

	sim_open(f);
	write_file(fpath(f, "slots/a"), "junk", 4);
	assert_int_equal(f->p.ops->identity(f->p.priv, &id, f->reason, sizeof(f->reason)), -1);
	assert_non_null(strstr(f->reason, "invalid image"));
}

static int app_install(struct fixture *f, struct test_pkg *k, struct platform_app *out)
{
	int rc = PW_CALL(f, app_install, pw_app_done, &k->p);
	if (rc >= 0 && out)
		*out = f->w.app;
	return rc;
}

static void test_apps_install_control_remove(void **state)
{
	struct fixture *f = *state;
	struct platform_app_list l;
	struct platform_app out;
	struct buf b;

	sim_open(f);
	assert_int_equal(LIST_APPS(f, &l), 0);
	assert_int_equal(l.count, 0);
	assert_int_equal(app_install(f, test_pkg_make(f->tmp, "analytics", "1.0.0", "aarch64",
						      "--schema 1 --param Mode=fast"), &out), 0);
	assert_string_equal(out.version, "1.0.0");
	assert_false(out.running);
	assert_int_equal(OP(f, app_start, "analytics"), 0);
	assert_int_equal(OP(f, app_start, "analytics"), -1);
	assert_non_null(strstr(f->reason, "already running"));
	assert_int_equal(OP(f, app_set_param, "analytics", "Mode", "slow"), 0);
	assert_int_equal(OP(f, app_set_param, "analytics", "Other", "x"), -1);
	assert_non_null(strstr(f->reason, "no parameter Other"));
	/* an upgrade keeps the running state and the parameter's value */
	assert_int_equal(app_install(f, test_pkg_make(f->tmp, "analytics", "1.1.0", "aarch64",
						      "--schema 1 --param Mode=fast"), &out), 0);
	assert_string_equal(out.version, "1.1.0");
	assert_true(out.running);
	buf_init(&b, 4096);
	assert_int_equal(fs_read_file(fpath(f, "apps/analytics.json"), &b, 4096), 0);
	assert_non_null(strstr(buf_str(&b), "\"Mode\":\"slow\""));
	buf_free(&b);
	assert_int_equal(OP(f, app_stop, "analytics"), 0);
	assert_int_equal(OP(f, app_stop, "analytics"), -1);
	assert_non_null(strstr(f->reason, "not running"));
	assert_int_equal(OP(f, app_restart, "analytics"), 0);
	/* the state is in the directory: a reopened sim lists the same */
	sim_open(f);
	assert_int_equal(LIST_APPS(f, &l), 0);
	assert_int_equal(l.count, 1);
	assert_string_equal(l.apps[0].status, "Running");
	assert_int_equal(OP(f, app_remove, "analytics"), 0);
	assert_int_equal(LIST_APPS(f, &l), 0);
	assert_int_equal(l.count, 0);
	assert_int_equal(OP(f, app_remove, "analytics"), -1);
	assert_non_null(strstr(f->reason, "application not found"));
}

/* The application list shows the license state of the key installed for each app, as
 * list.cgi does: None without one, Valid with its date, Invalid once it has expired. */
static void test_apps_list_shows_license_state(void **state)
{
	struct fixture *f = *state;
	struct platform_app_list l;

	sim_open(f);
	assert_int_equal(app_install(f, test_pkg_make(f->tmp, "vmd", "1.0.0", "aarch64", "--schema 1"),
				     NULL), 0);
	assert_int_equal(LIST_APPS(f, &l), 0);
	assert_string_equal(l.apps[0].license, "None");
	assert_string_equal(l.apps[0].license_expires, "");
	assert_int_equal(lic_install(f, "vmd", license_text(SERIAL, "2099-12-31")), 0);
	assert_int_equal(LIST_APPS(f, &l), 0);
	assert_string_equal(l.apps[0].license, "Valid");
	assert_string_equal(l.apps[0].license_expires, "2099-12-31");
	/* a key past its date (written as the camera holds it: install refuses such a key) */
	write_file(fpath(f, "licenses/vmd.key"), license_text(SERIAL, "2001-01-01"),
		   strlen(license_text(SERIAL, "2001-01-01")));
	assert_int_equal(LIST_APPS(f, &l), 0);
	assert_string_equal(l.apps[0].license, "Invalid");
	assert_int_equal(OP(f, license_remove, "vmd"), 0);
	assert_int_equal(LIST_APPS(f, &l), 0);
	assert_string_equal(l.apps[0].license, "None");
}

static void test_apps_own_app_and_refusals(void **state)
{
	struct fixture *f = *state;
	struct platform_app out;
	struct test_pkg *k;

	sim_open(f);
	/* the agent's own app: the sim cannot restart a process, the agent must exit */
	assert_int_equal(app_install(f, test_pkg_make(f->tmp, "camagent", "0.2.0", "aarch64",
						      "--schema 1"), &out), PLATFORM_APP_AGENT_EXIT);
	assert_int_equal(OP(f, app_restart, "camagent"), PLATFORM_APP_AGENT_EXIT);
	/* refused before anything is recorded */
	assert_int_equal(app_install(f, test_pkg_make(f->tmp, "analytics", "1.0.0", "armv7hf",
						      "--schema 1"), &out), -1);
	assert_non_null(strstr(f->reason, "the package is for armv7hf, the camera is aarch64"));
	assert_int_equal(app_install(f, test_pkg_make(f->tmp, "analytics", "1.0.0", "aarch64", NULL),
				     &out), -1);
	assert_non_null(strstr(f->reason, "schema 2.0.0 needs AXIS OS 12.10"));
	k = test_pkg_make(f->tmp, "analytics", "1.0.0", "aarch64", "--schema 1");
	k->p.size = 1;
	assert_int_equal(app_install(f, k, &out), -1);
	assert_non_null(strstr(f->reason, "not the one the task names"));
	assert_int_equal(OP(f, app_start, "analytics"), -1);
	assert_non_null(strstr(f->reason, "application not found"));
}

static void test_close_is_null_safe(void **state)
{
	struct platform p = { 0 };

	platform_close(NULL);
	platform_close(&p);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_create_and_identity),
		T(test_install_reboot_upgrades),
		T(test_commit),
		T(test_reboot_without_commit_rolls_back),
		T(test_boot_fail_image_rolls_back),
		T(test_wrong_model_refused),
		T(test_garbage_image_refused),
		T(test_image_changed_after_verification_not_installed),
		T(test_restart_without_reboot),
		T(test_install_while_uncommitted_refused),
		T(test_explicit_rollback),
		T(test_license_install_and_remove),
		T(test_close_drops_answers_due),
		T(test_license_refused),
		T(test_corrupt_files),
		T(test_corrupt_active_slot),
		T(test_apps_install_control_remove),
		T(test_apps_list_shows_license_state),
		T(test_apps_own_app_and_refusals),
		cmocka_unit_test(test_close_is_null_safe),
	};
#undef T

	log_init("test_platform_sim", LOGL_ERROR, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
