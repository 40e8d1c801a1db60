/* sim: a simulated camera kept in a directory, so several can run side by side.
 * A/B image slots with a bootloader that falls back when a new image does not come up,
 * bound licenses, identity: what the agent can observe on a real device. */
#include "sim.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/buf.h"
#include "../../lib/eap.h"
#include "../../lib/fsutil.h"
#include "../../lib/json.h"
#include "../../lib/jsonfile.h"
#include "../../lib/keyfile.h"
#include "../../lib/log.h"
#include "../image_reader.h"

/* Layout of a camera directory (every file replaced atomically):
 *   camera.json        {"serial","model","hardware_id","arch"}
 *   slots/a, slots/b   images: "CAMSIM-IMAGE 1\nmodel=M\nversion=V\nboot=ok|fail\n\n<payload>"
 *   boot.json          {"active","committed","pending","previous","reboot_requested",
 *                       "rollback_requested","last_outcome","rollback_reason"}
 *   licenses/<app>.key installed license keys
 *   apps/<app>.json    installed applications (apps.c)
 * The "bootloader" (boot_run) runs when the sim is opened after a requested reboot;
 * a plain restart of the agent process changes nothing. */

#define SIM_JSON_MAX 4096
#define SIM_JSON_TOKENS 64
#define SIM_HEADER_MAX 4096
#define SIM_KEY_MAX (16 * 1024)
#define SIM_COPY_CHUNK (64 * 1024)
#define SIM_IMAGE_MAGIC "CAMSIM-IMAGE 1\n"
#define SIM_APP_MAX 64

struct sim_camera {
	char serial[PLATFORM_FIELD_MAX];
	char model[PLATFORM_FIELD_MAX];
	char hardware_id[PLATFORM_FIELD_MAX];
	char arch[PLATFORM_FIELD_MAX];
};

/* Slots are 'a' or 'b'; 0 means none (null in boot.json). */
struct sim_boot {
	char active;
	int committed;
	char pending;
	char previous;
	int reboot_requested;
	int rollback_requested; /* the reboot was asked for by rollback(): keep its outcome */
	enum platform_boot_outcome outcome;
	char reason[PLATFORM_REASON_MAX];
};

struct sim_image {
	char model[PLATFORM_FIELD_MAX];
	char version[PLATFORM_FIELD_MAX];
	int boots; /* boot=ok */
};

struct sim {
	char dir[PATH_MAX];
	struct sim_camera cam;
	struct sim_boot boot;
	struct event_base *base;  /* the asynchronous operations answer on it */
	struct sim_later *later;  /* their results not delivered yet */
};

static const char *const outcome_names[] = { "normal", "upgraded", "rolled_back" };

/* ---- small helpers ---- */

#define fail platform_fail

static int sim_path(char *out, size_t outsz, const char *dir, const char *rel)
{
	int n = snprintf(out, outsz, "%s/%s", dir, rel);

	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

static char other_slot(char slot)
{
	return slot == 'a' ? 'b' : 'a';
}

/* A printable field value: non-empty, fits a platform field, no control characters. */
static int field_ok(const char *s, size_t n)
{
	if (n == 0 || n >= PLATFORM_FIELD_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return 0;
	return 1;
}

/* An application name usable as a file name (lib/eap.h). */
static int app_name_ok(const char *app)
{
	return eap_app_name_ok(app) && strlen(app) < SIM_APP_MAX;
}

/* ---- image headers ---- */

static int image_set_field(struct sim_image *img, int *seen, const char *line, size_t n,
			   char *why, size_t whysz)
{
	const char *eq = memchr(line, '=', n);
	size_t klen, vlen;
	const char *v;

	if (!eq)
		return fail(why, whysz, "header line without '='");
	klen = (size_t)(eq - line);
	v = eq + 1;
	vlen = n - klen - 1;
	if (!field_ok(v, vlen))
		return fail(why, whysz, "bad value for header field '%.*s'", (int)klen, line);
	if (klen == 5 && memcmp(line, "model", 5) == 0 && !(*seen & 1)) {
		memcpy(img->model, v, vlen);
		img->model[vlen] = '\0';
		*seen |= 1;
	} else if (klen == 7 && memcmp(line, "version", 7) == 0 && !(*seen & 2)) {
		memcpy(img->version, v, vlen);
		img->version[vlen] = '\0';
		*seen |= 2;
	} else if (klen == 4 && memcmp(line, "boot", 4) == 0 && !(*seen & 4)) {
		if (!(vlen == 2 && memcmp(v, "ok", 2) == 0) && !(vlen == 4 && memcmp(v, "fail", 4) == 0))
			return fail(why, whysz, "boot must be ok or fail");
		img->boots = vlen == 2;
		*seen |= 4;
	} else {
		return fail(why, whysz, "unknown or repeated header field '%.*s'",
			    (int)(klen > 32 ? 32 : klen), line);
	}
	return 0;
}

/* Parses the text header in p[0..n); n is at most SIM_HEADER_MAX. */
static int image_parse(const char *p, size_t n, struct sim_image *img, char *why, size_t whysz)
{
	size_t off = strlen(SIM_IMAGE_MAGIC);
	int seen = 0;

	memset(img, 0, sizeof(*img));
	if (n < off || memcmp(p, SIM_IMAGE_MAGIC, off) != 0)
		return fail(why, whysz, "not a CAMSIM-IMAGE 1 file");
	for (;;) {
		const char *nl = memchr(p + off, '\n', n - off);
		size_t len;

		if (!nl && n >= SIM_HEADER_MAX)
			return fail(why, whysz, "header longer than %d bytes", SIM_HEADER_MAX);
		if (!nl)
			return fail(why, whysz, "truncated header");
		len = (size_t)(nl - (p + off));
		if (len == 0)
			break;
		if (image_set_field(img, &seen, p + off, len, why, whysz) != 0)
			return -1;
		off += len + 1;
	}
	if (seen != 7)
		return fail(why, whysz, "header lacks %s", !(seen & 1) ? "model"
							   : !(seen & 2) ? "version" : "boot");
	return 0;
}

static int image_read_fd(int fd, struct sim_image *img, char *why, size_t whysz)
{
	char head[SIM_HEADER_MAX];
	size_t n = 0;

	while (n < sizeof(head)) {
		ssize_t r = pread(fd, head + n, sizeof(head) - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return fail(why, whysz, "cannot read: %s", strerror(errno));
		if (r == 0)
			break;
		n += (size_t)r;
	}
	return image_parse(head, n, img, why, whysz);
}

static int image_read(const char *path, struct sim_image *img, char *why, size_t whysz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return fail(why, whysz, "cannot open: %s", strerror(errno));
	rc = image_read_fd(fd, img, why, whysz);
	close(fd);
	return rc;
}

static int slot_read(const struct sim *s, char slot, struct sim_image *img, char *why,
		     size_t whysz)
{
	char path[PATH_MAX], rel[16];

	snprintf(rel, sizeof(rel), "slots/%c", slot);
	if (sim_path(path, sizeof(path), s->dir, rel) != 0)
		return fail(why, whysz, "path too long");
	return image_read(path, img, why, whysz);
}

/* ---- JSON files ---- */

static int json_load(const char *dir, const char *name, struct json_file *f, char *reason,
		     size_t reasonsz)
{
	int rc = json_file_read(f, dir, name, SIM_JSON_MAX, SIM_JSON_TOKENS, reason, reasonsz);
	if (rc == JSON_FILE_MISSING)
		snprintf(reason, reasonsz, "%s/%s: %s", dir, name, strerror(ENOENT));
	if (rc) {
		json_file_free(f);
		return -1;
	}
	return 0;
}

/* Writes what w built; the reason names the file. */
static int json_store(const char *dir, const char *name, struct json_writer *w, char *reason,
		      size_t reasonsz)
{
	if (json_file_write(dir, name, w, 0644) != 0)
		return fail(reason, reasonsz, "cannot write %s/%s: %s", dir, name, strerror(errno));
	return 0;
}

static int camera_load(const char *dir, struct sim_camera *cam, char *reason, size_t reasonsz)
{
	struct json_file f;
	const struct json_doc *doc = &f.doc;
	const char *bad = NULL;

	if (json_load(dir, "camera.json", &f, reason, reasonsz) != 0)
		return -1;
	if (json_get_string(doc, 0, "serial", cam->serial, sizeof(cam->serial)) != 0)
		bad = "serial";
	else if (json_get_string(doc, 0, "model", cam->model, sizeof(cam->model)) != 0)
		bad = "model";
	else if (json_get_string(doc, 0, "hardware_id", cam->hardware_id,
				 sizeof(cam->hardware_id)) != 0)
		bad = "hardware_id";
	else if (json_get_string(doc, 0, "arch", cam->arch, sizeof(cam->arch)) != 0)
		bad = "arch";
	json_file_free(&f);
	if (bad)
		return fail(reason, reasonsz, "%s/camera.json: missing or invalid \"%s\"", dir, bad);
	return 0;
}

static int camera_store(const char *dir, const struct sim_camera *cam, char *reason,
			size_t reasonsz)
{
	struct buf text;
	struct json_writer w;
	int rc;

	buf_init(&text, SIM_JSON_MAX);
	jw_init(&w, &text);
	jw_object_begin(&w);
	jw_kv_string(&w, "serial", cam->serial);
	jw_kv_string(&w, "model", cam->model);
	jw_kv_string(&w, "hardware_id", cam->hardware_id);
	jw_kv_string(&w, "arch", cam->arch);
	jw_object_end(&w);
	rc = json_store(dir, "camera.json", &w, reason, reasonsz);
	buf_free(&text);
	return rc;
}

/* Reads a slot name ("a"/"b"), or null when nullable; -1 if anything else. */
static int json_slot(const struct json_doc *doc, const char *key, int nullable, char *out)
{
	int tok = json_find(doc, 0, key);
	char v[4];

	if (tok < 0)
		return -1;
	if (nullable && json_tok_is_null(doc, tok)) {
		*out = 0;
		return 0;
	}
	if (json_tok_string(doc, tok, v, sizeof(v)) != 0 || (strcmp(v, "a") && strcmp(v, "b")))
		return -1;
	*out = v[0];
	return 0;
}

static int json_outcome(const struct json_doc *doc, enum platform_boot_outcome *out)
{
	char v[16];

	if (json_get_string(doc, 0, "last_outcome", v, sizeof(v)) != 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (strcmp(v, outcome_names[i]) == 0) {
			*out = (enum platform_boot_outcome)i;
			return 0;
		}
	}
	return -1;
}

static const char *boot_parse(const struct json_doc *doc, struct sim_boot *b)
{
	int tok;

	if (json_slot(doc, "active", 0, &b->active) != 0)
		return "active";
	if (json_get_bool(doc, 0, "committed", &b->committed) != 0)
		return "committed";
	if (json_slot(doc, "pending", 1, &b->pending) != 0)
		return "pending";
	if (json_slot(doc, "previous", 1, &b->previous) != 0)
		return "previous";
	if (json_get_bool(doc, 0, "reboot_requested", &b->reboot_requested) != 0)
		return "reboot_requested";
	tok = json_find(doc, 0, "rollback_requested"); /* optional */
	if (tok >= 0 && json_tok_bool(doc, tok, &b->rollback_requested) != 0)
		return "rollback_requested";
	if (json_outcome(doc, &b->outcome) != 0)
		return "last_outcome";
	if (json_get_string(doc, 0, "rollback_reason", b->reason, sizeof(b->reason)) != 0)
		return "rollback_reason";
	return NULL;
}

static int boot_load(const char *dir, struct sim_boot *b, char *reason, size_t reasonsz)
{
	struct json_file f;
	const char *bad;

	memset(b, 0, sizeof(*b));
	if (json_load(dir, "boot.json", &f, reason, reasonsz) != 0)
		return -1;
	bad = boot_parse(&f.doc, b);
	json_file_free(&f);
	if (bad)
		return fail(reason, reasonsz, "%s/boot.json: missing or invalid \"%s\"", dir, bad);
	return 0;
}

static void jw_kv_slot(struct json_writer *w, const char *key, char slot)
{
	char v[2] = { slot, '\0' };

	jw_kv_string(w, key, slot ? v : NULL);
}

static int boot_store(const char *dir, const struct sim_boot *b, char *reason, size_t reasonsz)
{
	struct buf text;
	struct json_writer w;
	int rc;

	buf_init(&text, SIM_JSON_MAX);
	jw_init(&w, &text);
	jw_object_begin(&w);
	jw_kv_slot(&w, "active", b->active);
	jw_kv_bool(&w, "committed", b->committed);
	jw_kv_slot(&w, "pending", b->pending);
	jw_kv_slot(&w, "previous", b->previous);
	jw_kv_bool(&w, "reboot_requested", b->reboot_requested);
	jw_kv_bool(&w, "rollback_requested", b->rollback_requested);
	jw_kv_string(&w, "last_outcome", outcome_names[b->outcome]);
	jw_kv_string(&w, "rollback_reason", b->reason);
	jw_object_end(&w);
	rc = json_store(dir, "boot.json", &w, reason, reasonsz);
	buf_free(&text);
	return rc;
}

/* Changes s->boot through next, persisting it; s->boot is untouched if writing fails. */
static int boot_commit_state(struct sim *s, const struct sim_boot *next, char *reason,
			     size_t reasonsz)
{
	if (boot_store(s->dir, next, reason, reasonsz) != 0)
		return -1;
	s->boot = *next;
	return 0;
}

/* ---- the bootloader ---- */

static void boot_try_pending(const struct sim *s, struct sim_boot *b)
{
	struct sim_image img;
	char why[160];
	char slot = b->pending;

	b->pending = 0;
	b->outcome = PLATFORM_BOOT_ROLLED_BACK;
	if (slot_read(s, slot, &img, why, sizeof(why)) != 0) {
		snprintf(b->reason, sizeof(b->reason), "image in slot %c is invalid: %s", slot, why);
	} else if (strcmp(img.model, s->cam.model) != 0) {
		snprintf(b->reason, sizeof(b->reason), "image in slot %c is for model %s", slot,
			 img.model);
	} else if (!img.boots) {
		snprintf(b->reason, sizeof(b->reason), "image in slot %c did not boot", slot);
	} else {
		b->previous = b->active;
		b->active = slot;
		b->committed = 0;
		b->outcome = PLATFORM_BOOT_UPGRADED;
		b->reason[0] = '\0';
	}
}

/* What the device does on power-up after a requested reboot. */
static int boot_run(struct sim *s, char *reason, size_t reasonsz)
{
	struct sim_boot b = s->boot;

	if (b.pending) {
		boot_try_pending(s, &b);
	} else if (!b.committed && b.previous) {
		b.active = b.previous;
		b.previous = 0;
		b.committed = 1;
		b.outcome = PLATFORM_BOOT_ROLLED_BACK;
		snprintf(b.reason, sizeof(b.reason), "uncommitted image rolled back on reboot");
	} else if (!b.rollback_requested) {
		b.outcome = PLATFORM_BOOT_NORMAL;
		b.reason[0] = '\0';
	}
	b.reboot_requested = 0;
	b.rollback_requested = 0;
	if (b.outcome != PLATFORM_BOOT_NORMAL)
		log_info("sim: boot from slot %c: %s%s%s", b.active, outcome_names[b.outcome],
			 b.reason[0] ? ": " : "", b.reason);
	return boot_commit_state(s, &b, reason, reasonsz);
}

/* ---- ops: identity and images ---- */

const char *sim_dir(const void *priv)
{
	return ((const struct sim *)priv)->dir;
}

int sim_identity(void *priv, struct platform_identity *out, char *reason, size_t reasonsz)
{
	struct sim *s = priv;
	struct sim_image img;
	char why[160];

	if (slot_read(s, s->boot.active, &img, why, sizeof(why)) != 0)
		return fail(reason, reasonsz, "active slot %c: invalid image: %s", s->boot.active, why);
	memset(out, 0, sizeof(*out));
	memcpy(out->serial, s->cam.serial, sizeof(out->serial));
	memcpy(out->model, s->cam.model, sizeof(out->model));
	memcpy(out->hardware_id, s->cam.hardware_id, sizeof(out->hardware_id));
	memcpy(out->arch, s->cam.arch, sizeof(out->arch));
	memcpy(out->os_version, img.version, sizeof(out->os_version));
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copies the image into a new file at tmp, fsynced; the reader checks the bytes. */
static int copy_image_to(struct image_reader *r, const char *tmp, char *reason, size_t reasonsz)
{
	char *chunk = malloc(SIM_COPY_CHUNK);
	int dst, rc = -1;
	ssize_t n;

	if (!chunk)
		return fail(reason, reasonsz, "out of memory");
	dst = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (dst < 0) {
		free(chunk);
		return fail(reason, reasonsz, "cannot create %s: %s", tmp, strerror(errno));
	}
	while ((n = image_reader_read(r, chunk, SIM_COPY_CHUNK, reason, reasonsz)) > 0)
		if (write_all(dst, chunk, (size_t)n) != 0) {
			fail(reason, reasonsz, "cannot write %s: %s", tmp, strerror(errno));
			break;
		}
	if (n == 0 && fsync(dst) == 0)
		rc = 0;
	else if (n == 0)
		fail(reason, reasonsz, "cannot fsync %s: %s", tmp, strerror(errno));
	if (close(dst) != 0 && rc == 0)
		rc = fail(reason, reasonsz, "cannot close %s: %s", tmp, strerror(errno));
	free(chunk);
	return rc;
}

/* Checks the copy itself (the bytes that will boot), then puts it in place. */
static int slot_check_and_place(const struct sim *s, const char *tmp, const char *path,
				char *reason, size_t reasonsz)
{
	struct sim_image img;
	char why[160];

	if (image_read(tmp, &img, why, sizeof(why)) != 0)
		return fail(reason, reasonsz, "invalid image: %s", why);
	if (strcmp(img.model, s->cam.model) != 0)
		return fail(reason, reasonsz, "image is for model %s, camera is %s", img.model,
			    s->cam.model);
	if (rename(tmp, path) != 0 || fs_fsync_dir_of(path) != 0)
		return fail(reason, reasonsz, "cannot write slot: %s", strerror(errno));
	return 0;
}

/* Streams the image into slots/<slot>: temp file, fsync, check, rename, fsync the directory. */
static int slot_write(const struct sim *s, char slot, struct image_reader *r, char *reason,
		      size_t reasonsz)
{
	char path[PATH_MAX], tmp[PATH_MAX], rel[16];

	snprintf(rel, sizeof(rel), "slots/%c", slot);
	if (sim_path(path, sizeof(path), s->dir, rel) != 0 ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return fail(reason, reasonsz, "slot path too long");
	if (copy_image_to(r, tmp, reason, reasonsz) == 0 &&
	    slot_check_and_place(s, tmp, path, reason, reasonsz) == 0)
		return 0;
	unlink(tmp);
	return -1;
}

/* Finishes at once: the sim writes a local file. */
static int sim_install(void *priv, const struct platform_image *image, platform_done_fn done,
		       void *arg, char *reason, size_t reasonsz)
{
	struct sim *s = priv;
	struct sim_boot next = s->boot;
	struct image_reader r;
	int rc;

	(void)done;
	(void)arg;
	if (!s->boot.committed)
		return fail(reason, reasonsz,
			    "the running image is not committed yet: commit or roll back first");
	if (image_reader_open(&r, image, reason, reasonsz) != 0)
		return -1;
	rc = slot_write(s, other_slot(s->boot.active), &r, reason, reasonsz);
	image_reader_close(&r);
	if (rc != 0)
		return -1;
	next.pending = other_slot(s->boot.active);
	if (next.previous == next.pending)
		next.previous = 0; /* its image was just overwritten */
	return boot_commit_state(s, &next, reason, reasonsz);
}

static int sim_reboot(void *priv, char *reason, size_t reasonsz)
{
	struct sim *s = priv;
	struct sim_boot next = s->boot;

	next.reboot_requested = 1;
	return boot_commit_state(s, &next, reason, reasonsz);
}

static enum platform_boot_outcome sim_boot_outcome(void *priv, char *why, size_t whysz)
{
	const struct sim *s = priv;

	snprintf(why, whysz, "%s", s->boot.reason);
	return s->boot.outcome;
}

int sim_commit(void *priv, char *reason, size_t reasonsz)
{
	struct sim *s = priv;
	struct sim_boot next = s->boot;

	next.committed = 1;
	next.outcome = PLATFORM_BOOT_NORMAL;
	next.reason[0] = '\0';
	return boot_commit_state(s, &next, reason, reasonsz);
}

int sim_rollback(void *priv, char *reason, size_t reasonsz)
{
	struct sim *s = priv;
	struct sim_boot next = s->boot;

	if (!next.previous)
		return fail(reason, reasonsz, "no previous image to roll back to");
	next.active = next.previous;
	next.previous = 0;
	next.pending = 0;
	next.committed = 1;
	next.reboot_requested = 1;
	next.rollback_requested = 1;
	next.outcome = PLATFORM_BOOT_ROLLED_BACK;
	snprintf(next.reason, sizeof(next.reason), "rolled back on request");
	return boot_commit_state(s, &next, reason, reasonsz);
}

/* ---- ops: licenses ---- */

static int license_path(const struct sim *s, const char *app, char *out, size_t outsz)
{
	char rel[SIM_APP_MAX + 16];

	snprintf(rel, sizeof(rel), "licenses/%s.key", app);
	return sim_path(out, outsz, s->dir, rel);
}

void sim_license_state(const void *priv, const char *app, char license[16], char expires[16])
{
	char path[PATH_MAX];
	struct buf key;
	struct keyfile_ids lic;

	snprintf(license, 16, "None");
	expires[0] = '\0';
	buf_init(&key, SIM_KEY_MAX);
	if (license_path(priv, app, path, sizeof(path)) == 0 &&
	    fs_read_file(path, &key, SIM_KEY_MAX) == 0 &&
	    keyfile_read(key.data, key.len, &lic) == 0) {
		int64_t exp = keyfile_expiry(&lic);
		snprintf(license, 16, "%s", exp != 0 && exp <= (int64_t)time(NULL) ? "Invalid" : "Valid");
		snprintf(expires, 16, "%s", lic.expiration_date);
	}
	buf_free(&key);
}

int sim_license_install(void *priv, const char *app, const void *key, size_t keylen,
			       char *reason, size_t reasonsz)
{
	struct sim *s = priv;
	struct keyfile_ids lic;
	char path[PATH_MAX];

	if (!app_name_ok(app))
		return fail(reason, reasonsz, "invalid application name");
	if (!key || keylen == 0 || keylen > SIM_KEY_MAX)
		return fail(reason, reasonsz, "license key is empty or larger than %d bytes",
			    SIM_KEY_MAX);
	/* The simulated camera holds no vendor key: it checks what a camera checks first. */
	if (keyfile_read(key, keylen, &lic) != 0 || !lic.has_signature)
		return fail(reason, reasonsz, "invalid license key file");
	if (strcmp(lic.serial, s->cam.serial) != 0)
		return fail(reason, reasonsz, "license is bound to serial %s, camera is %s",
			    lic.serial, s->cam.serial);
	int64_t exp = keyfile_expiry(&lic);
	if (exp != 0 && exp <= (int64_t)time(NULL))
		return fail(reason, reasonsz, "license key has expired");
	if (license_path(s, app, path, sizeof(path)) != 0)
		return fail(reason, reasonsz, "license path too long");
	if (fs_write_atomic(path, key, keylen, 0600) != 0)
		return fail(reason, reasonsz, "cannot write license for %s: %s", app,
			    strerror(errno));
	return 0;
}

int sim_license_remove(void *priv, const char *app, char *reason, size_t reasonsz)
{
	struct sim *s = priv;
	char path[PATH_MAX];

	if (!app_name_ok(app))
		return fail(reason, reasonsz, "invalid application name");
	if (license_path(s, app, path, sizeof(path)) != 0)
		return fail(reason, reasonsz, "license path too long");
	if (unlink(path) != 0)
		return errno == ENOENT ? fail(reason, reasonsz, "no license installed for %s", app)
				       : fail(reason, reasonsz, "cannot remove license for %s: %s",
					      app, strerror(errno));
	if (fs_fsync_dir_of(path) != 0)
		return fail(reason, reasonsz, "cannot sync licenses: %s", strerror(errno));
	return 0;
}

struct event_base *sim_base(void *priv)
{
	return ((struct sim *)priv)->base;
}

struct sim_later **sim_later_head(void *priv)
{
	return &((struct sim *)priv)->later;
}

static void sim_close(void *priv)
{
	struct sim *s = priv;

	sim_later_drop_all(&s->later);
	free(s);
}

static const struct platform_ops sim_ops = {
	.name = "sim",
	.identity = sim_identity,
	.install = sim_install,
	.reboot = sim_reboot,
	.boot_outcome = sim_boot_outcome,
	.commit = sim_op_commit,
	.rollback = sim_op_rollback,
	.license_install = sim_op_license_install,
	.license_remove = sim_op_license_remove,
	.read_settings = NULL, /* the sim takes everything from the agent config */
	.close = sim_close,
	.apps_list = sim_op_apps_list,
	.app_install = sim_op_app_install,
	.app_remove = sim_op_app_remove,
	.app_start = sim_op_app_start,
	.app_stop = sim_op_app_stop,
	.app_restart = sim_op_app_restart,
	.app_set_param = sim_op_app_set_param,
};

/* ---- open and create ---- */

int platform_sim_open(struct platform *out, const char *dir, struct event_base *base,
		      char *reason, size_t reasonsz)
{
	struct sim *s;

	out->ops = NULL;
	out->priv = NULL;
	if (!dir || !*dir || strlen(dir) >= sizeof(s->dir) - 32)
		return fail(reason, reasonsz, "invalid camera directory");
	s = calloc(1, sizeof(*s));
	if (!s)
		return fail(reason, reasonsz, "out of memory");
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	s->base = base;
	if (camera_load(dir, &s->cam, reason, reasonsz) != 0 ||
	    boot_load(dir, &s->boot, reason, reasonsz) != 0 ||
	    (s->boot.reboot_requested && boot_run(s, reason, reasonsz) != 0)) {
		free(s);
		return -1;
	}
	out->ops = &sim_ops;
	out->priv = s;
	return 0;
}

static int make_dirs(const char *dir, char *reason, size_t reasonsz)
{
	static const char *const subdirs[] = { "slots", "licenses" };
	char path[PATH_MAX];

	if (fs_mkdirs(dir, 0755) != 0)
		return fail(reason, reasonsz, "cannot create %s: %s", dir, strerror(errno));
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		if (sim_path(path, sizeof(path), dir, subdirs[i]) != 0 ||
		    fs_mkdirs(path, 0755) != 0)
			return fail(reason, reasonsz, "cannot create %s/%s: %s", dir, subdirs[i],
				    strerror(errno));
	}
	return 0;
}

static int write_first_image(const char *dir, const char *model, const char *os_version,
			     char *reason, size_t reasonsz)
{
	char path[PATH_MAX], head[SIM_HEADER_MAX];
	int n = snprintf(head, sizeof(head), "%smodel=%s\nversion=%s\nboot=ok\n\n", SIM_IMAGE_MAGIC,
			 model, os_version);

	if (n < 0 || (size_t)n >= sizeof(head) || sim_path(path, sizeof(path), dir, "slots/a") != 0)
		return fail(reason, reasonsz, "image header too long");
	if (fs_write_atomic(path, head, (size_t)n, 0644) != 0)
		return fail(reason, reasonsz, "cannot write %s: %s", path, strerror(errno));
	return 0;
}

static int create_args_ok(const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!v[i] || !field_ok(v[i], strlen(v[i])))
			return 0;
	return 1;
}

int platform_sim_create(const char *dir, const char *serial, const char *model,
			const char *hardware_id, const char *arch, const char *os_version,
			char *reason, size_t reasonsz)
{
	const char *const fields[] = { serial, model, hardware_id, arch, os_version };
	struct sim_camera cam;
	struct sim_boot boot = { .active = 'a', .committed = 1 };
	char path[PATH_MAX];

	if (!dir || !*dir || strlen(dir) >= sizeof(path) - 32)
		return fail(reason, reasonsz, "invalid camera directory");
	if (!create_args_ok(fields, sizeof(fields) / sizeof(fields[0])))
		return fail(reason, reasonsz,
			    "every field must be 1..%d printable characters", PLATFORM_FIELD_MAX - 1);
	if (sim_path(path, sizeof(path), dir, "camera.json") != 0 || fs_exists(path) ||
	    (sim_path(path, sizeof(path), dir, "boot.json") == 0 && fs_exists(path)))
		return fail(reason, reasonsz, "a simulated camera already exists in %s", dir);
	snprintf(cam.serial, sizeof(cam.serial), "%s", serial);
	snprintf(cam.model, sizeof(cam.model), "%s", model);
	snprintf(cam.hardware_id, sizeof(cam.hardware_id), "%s", hardware_id);
	snprintf(cam.arch, sizeof(cam.arch), "%s", arch);
	/* camera.json last: its presence marks a complete camera */
	if (make_dirs(dir, reason, reasonsz) != 0 ||
	    write_first_image(dir, model, os_version, reason, reasonsz) != 0 ||
	    boot_store(dir, &boot, reason, reasonsz) != 0 ||
	    camera_store(dir, &cam, reason, reasonsz) != 0)
		return -1;
	return 0;
}
