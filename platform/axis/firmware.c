/* firmware: AXIS OS upgrade over firmwaremanagement.cgi [FW]. The upgrade is a multipart
 * POST (a "json" part without filename and with Content-Type application/json, then the
 * "file" part as octet-stream) with autoCommit "never" and an autoRollback timer, so a
 * camera that cannot reach the cloud after the reboot rolls itself back. The camera
 * reboots by itself after accepting an upgrade; the agent then exits with its reboot code
 * and the camera's supervisor starts it again.
 *
 * What survives the reboot on our side is upgrade.json in the state dir: the version we
 * upgraded from and the camera's bootid (systemready.c), written before the upload; the
 * version the camera said it installs, written once it accepted the image; and whether
 * the agent has seen that version running. On the next start, `status` and the bootid
 * decide:
 *   active == target, uncommitted          -> UPGRADED (and "came up" is recorded)
 *   same bootid as at the upload           -> PENDING: the camera has not rebooted yet
 *                                             (the agent restarted in between)
 *   active != target, target seen running  -> ROLLED_BACK: it came up, but the rollback
 *                                             timer fired before the cloud was reached
 *   active != target, never seen running   -> ROLLED_BACK: the new image never came up
 * and without a pending upgrade -> NORMAL. */
#include "axis.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/fsutil.h"
#include "../../lib/json.h"
#include "../../lib/log.h"
#include "../image_reader.h"

#define PENDING_FILE "axis-upgrade.json"
#define PENDING_MAX 1024
#define FW_PATH "/axis-cgi/firmwaremanagement.cgi"

static const struct axis_code fw_codes[] = {
	{ 400, "the camera could not parse the request" },
	{ 404, "no previous firmware to roll back to" },
	{ 405, "unknown method" },
	{ 409, "downgrade refused: an upgrade to an older AXIS OS needs a hard factory default" },
	{ 410, "this AXIS OS version is revoked" },
	{ 412, "the running AXIS OS is not committed yet: commit or roll back first" },
	{ 415, "invalid image" },
	{ 417, "API version not compatible" },
	{ 421, "the image does not match this device" },
	{ 422, "the image lacks the mandatory digital signature" },
	{ 423, "the camera is busy with another firmware request" },
	{ 424, "the image references an unknown custom firmware certificate" },
	{ 500, "internal error in the camera" },
	{ 0, NULL },
};

struct pending {
	char from[PLATFORM_FIELD_MAX];
	char target[PLATFORM_FIELD_MAX]; /* "" until the camera accepted the image */
	char boot_id[AXIS_BOOT_ID_MAX];  /* the camera's boot at the upload; "" unknown */
	int came_up;                     /* the agent saw target running, uncommitted */
};

struct fw_status {
	char active[PLATFORM_FIELD_MAX];
	char inactive[PLATFORM_FIELD_MAX];
	int committed;
};

static int pending_path(const struct axis *ax, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "%s/%s", ax->state_dir, PENDING_FILE);

	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

/* 1 when a pending upgrade was read, 0 when there is none, -1 on a damaged file. */
static int pending_load(const struct axis *ax, struct pending *p, char *reason, size_t reasonsz)
{
	char path[PATH_MAX];
	struct buf text;
	struct json_doc doc = { 0 };
	int tok, rc = -1;

	memset(p, 0, sizeof(*p));
	if (pending_path(ax, path, sizeof(path)) != 0)
		return axis_fail(reason, reasonsz, "state dir path too long");
	buf_init(&text, PENDING_MAX);
	if (fs_read_file(path, &text, PENDING_MAX) != 0) {
		rc = errno == ENOENT ? 0 : axis_fail(reason, reasonsz, "%s: %s", path,
						      strerror(errno));
		goto out;
	}
	if (json_parse(&doc, buf_str(&text), text.len, 16) != 0 ||
	    json_get_string(&doc, 0, "from", p->from, sizeof(p->from)) != 0 ||
	    json_get_string(&doc, 0, "target", p->target, sizeof(p->target)) != 0) {
		axis_fail(reason, reasonsz, "%s: damaged", path);
		goto out;
	}
	/* absent in records written before they existed */
	(void)json_get_string(&doc, 0, "boot_id", p->boot_id, sizeof(p->boot_id));
	tok = json_find(&doc, 0, "came_up");
	if (tok >= 0 && json_tok_bool(&doc, tok, &p->came_up) != 0) {
		axis_fail(reason, reasonsz, "%s: damaged", path);
		goto out;
	}
	rc = 1;
out:
	json_free(&doc);
	buf_free(&text);
	return rc;
}

static int pending_store(const struct axis *ax, const struct pending *p, char *reason,
			 size_t reasonsz)
{
	char path[PATH_MAX];
	struct buf text;
	struct json_writer w;
	int rc = -1;

	buf_init(&text, PENDING_MAX);
	jw_init(&w, &text);
	jw_object_begin(&w);
	jw_kv_string(&w, "from", p->from);
	jw_kv_string(&w, "target", p->target);
	jw_kv_string(&w, "boot_id", p->boot_id);
	jw_kv_bool(&w, "came_up", p->came_up);
	jw_object_end(&w);
	if (jw_finish(&w) != 0 || pending_path(ax, path, sizeof(path)) != 0)
		axis_fail(reason, reasonsz, "cannot encode %s", PENDING_FILE);
	else if (fs_write_atomic(path, text.data, text.len, 0600) != 0)
		axis_fail(reason, reasonsz, "cannot write %s: %s", path, strerror(errno));
	else
		rc = 0;
	buf_free(&text);
	return rc;
}

static void pending_clear(const struct axis *ax)
{
	char path[PATH_MAX];

	if (pending_path(ax, path, sizeof(path)) == 0 && unlink(path) != 0 && errno != ENOENT)
		log_warn("cannot delete %s: %s", path, strerror(errno));
}

/* Calls a JSON method of firmwaremanagement.cgi; *data_tok is "data" in doc on success. */
static int fw_call(struct axis *ax, const char *method, struct buf *reply, struct json_doc *doc,
		   int *data_tok, char *reason, size_t reasonsz)
{
	char body[160], what[64];

	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"1.0\",\"context\":\"camagent\",\"method\":\"%s\"}", method);
	snprintf(what, sizeof(what), "firmwaremanagement.cgi %s", method);
	if (axis_post_json(ax, FW_PATH, body, reply, reason, reasonsz) != 0)
		return -1;
	return axis_json_reply(what, reply, doc, 64, fw_codes, data_tok, reason, reasonsz);
}

/* status: isCommited is the documented spelling, isCommitted what some clients read:
 * accept both [FW]. Absent (no inactive firmware) means committed. */
static int fw_status(struct axis *ax, struct fw_status *st, char *reason, size_t reasonsz)
{
	struct buf reply;
	struct json_doc doc = { 0 };
	int data, tok, rc = -1;

	memset(st, 0, sizeof(*st));
	st->committed = 1;
	buf_init(&reply, AXIS_REPLY_MAX);
	if (fw_call(ax, "status", &reply, &doc, &data, reason, reasonsz) != 0)
		goto out;
	if (json_get_string(&doc, data, "activeFirmwareVersion", st->active,
			    sizeof(st->active)) != 0 || !st->active[0]) {
		axis_fail(reason, reasonsz,
			  "firmwaremanagement.cgi status: no usable activeFirmwareVersion");
		goto done;
	}
	(void)json_get_string(&doc, data, "inactiveFirmwareVersion", st->inactive,
			      sizeof(st->inactive));
	tok = json_find(&doc, data, "isCommited");
	if (tok < 0)
		tok = json_find(&doc, data, "isCommitted");
	if (tok >= 0 && json_tok_bool(&doc, tok, &st->committed) != 0) {
		axis_fail(reason, reasonsz, "firmwaremanagement.cgi status: isCommited is not a boolean");
		goto done;
	}
	rc = 0;
done:
	json_free(&doc);
out:
	buf_free(&reply);
	return rc;
}

/* What the last boot did with the pending upgrade p (see the top of this file). */
static enum platform_boot_outcome decide(struct axis *ax, struct pending *p,
					 const struct fw_status *st, const char *boot_id)
{
	const char *target = p->target[0] ? p->target : "?";

	if (p->target[0] ? strcmp(st->active, p->target) == 0 && !st->committed
			 : strcmp(st->active, p->from) != 0 && !st->committed)
		return PLATFORM_BOOT_UPGRADED;
	if (p->boot_id[0] && boot_id[0] && strcmp(p->boot_id, boot_id) == 0) {
		snprintf(ax->outcome_why, sizeof(ax->outcome_why),
			 "the camera accepted AXIS OS %s and has not rebooted into it yet", target);
		return PLATFORM_BOOT_PENDING;
	}
	if (p->target[0] ? strcmp(st->active, p->target) == 0 : strcmp(st->active, p->from) != 0)
		return PLATFORM_BOOT_NORMAL; /* committed already */
	if (p->came_up)
		snprintf(ax->outcome_why, sizeof(ax->outcome_why),
			 "AXIS OS %s came up, but the cloud was not reached before the camera's "
			 "rollback timer fired",
			 target);
	else
		snprintf(ax->outcome_why, sizeof(ax->outcome_why),
			 "AXIS OS %s did not come up (the agent never ran on it)", target);
	return PLATFORM_BOOT_ROLLED_BACK;
}

static const char *outcome_name(enum platform_boot_outcome o)
{
	return o == PLATFORM_BOOT_UPGRADED	  ? "upgraded"
	       : o == PLATFORM_BOOT_ROLLED_BACK ? "rolled back"
	       : o == PLATFORM_BOOT_PENDING	  ? "not rebooted yet"
						  : "already committed";
}

int axis_fw_open(struct axis *ax, char *reason, size_t reasonsz)
{
	struct pending p;
	struct fw_status st;
	char boot_id[AXIS_BOOT_ID_MAX], why[PLATFORM_REASON_MAX];
	int have = pending_load(ax, &p, reason, reasonsz);

	ax->outcome = PLATFORM_BOOT_NORMAL;
	ax->outcome_why[0] = '\0';
	if (have <= 0)
		return have;
	if (fw_status(ax, &st, reason, reasonsz) != 0)
		return -1;
	if (axis_boot_id(ax, boot_id, sizeof(boot_id), why, sizeof(why)) != 0)
		log_warn("axis: %s; deciding from the firmware status alone", why);
	ax->outcome = decide(ax, &p, &st, boot_id);
	if (ax->outcome == PLATFORM_BOOT_UPGRADED && !p.came_up) {
		p.came_up = 1; /* so a later rollback reads as "came up, cloud not reached" */
		if (pending_store(ax, &p, why, sizeof(why)) != 0)
			log_warn("axis: %s", why);
	}
	log_info("axis: pending upgrade %s -> %s; the camera runs %s (%s): %s", p.from,
		 p.target[0] ? p.target : "?", st.active, st.committed ? "committed" : "uncommitted",
		 outcome_name(ax->outcome));
	return 0;
}

int axis_install(void *priv, const struct platform_image *img, char *reason, size_t reasonsz)
{
	struct axis *ax = priv;
	struct fw_status st;
	struct pending p;
	struct image_reader image;
	struct buf reply;
	struct json_doc doc = { 0 };
	char json[256], rollback[16], why[PLATFORM_REASON_MAX];
	int data, rc = -1;

	if (image_reader_open(&image, img, reason, reasonsz) != 0)
		return -1;
	buf_init(&reply, AXIS_REPLY_MAX);
	if (fw_status(ax, &st, reason, reasonsz) != 0)
		goto out;
	memset(&p, 0, sizeof(p));
	memcpy(p.from, st.active, sizeof(p.from));
	if (axis_boot_id(ax, p.boot_id, sizeof(p.boot_id), why, sizeof(why)) != 0)
		log_warn("axis: %s; a restart before the reboot will read as a rollback", why);
	/* Before the upload: the camera may reboot any moment after accepting it. */
	if (pending_store(ax, &p, reason, reasonsz) != 0)
		goto out;
	if (ax->auto_rollback_min > 0)
		snprintf(rollback, sizeof(rollback), "%d", ax->auto_rollback_min);
	else
		snprintf(rollback, sizeof(rollback), "never");
	snprintf(json, sizeof(json),
		 "{\"apiVersion\":\"1.0\",\"context\":\"camagent\",\"method\":\"upgrade\","
		 "\"params\":{\"autoCommit\":\"never\",\"autoRollback\":\"%s\"}}",
		 rollback);
	const struct axis_part parts[] = {
		{ .name = "json", .type = "application/json", .data = json, .len = strlen(json) },
		{ .name = "file", .filename = "axis-os.bin", .type = "application/octet-stream",
		  .image = &image },
	};
	log_info("axis: uploading AXIS OS image to the camera (autoCommit never, autoRollback %s)",
		 rollback);
	if (axis_post_multipart(ax, FW_PATH, parts, 2, AXIS_UPLOAD_TIMEOUT_S, &reply, reason,
				reasonsz) != 0) {
		if (image.failure[0]) {
			/* cut before its last byte: the camera cannot have taken it */
			snprintf(reason, reasonsz, "%s", image.failure);
			pending_clear(ax);
		}
		goto out; /* otherwise unknown whether the camera took it: keep the record */
	}
	if (axis_json_reply("firmwaremanagement.cgi upgrade", &reply, &doc, 64, fw_codes, &data,
			    reason, reasonsz) != 0) {
		pending_clear(ax); /* refused: nothing is pending */
		goto out;
	}
	if (json_get_string(&doc, data, "firmwareVersion", p.target, sizeof(p.target)) != 0 ||
	    !p.target[0]) {
		axis_fail(reason, reasonsz,
			  "firmwaremanagement.cgi upgrade: reply has no data.firmwareVersion");
		goto done;
	}
	if (pending_store(ax, &p, reason, reasonsz) != 0)
		goto done;
	log_info("axis: the camera accepted AXIS OS %s and reboots into it", p.target);
	rc = 0;
done:
	json_free(&doc);
out:
	buf_free(&reply);
	image_reader_close(&image);
	return rc;
}

int axis_reboot(void *priv, char *reason, size_t reasonsz)
{
	/* The camera reboots by itself after an accepted upgrade. Exiting now would have
	 * the supervisor start us again before that reboot, and we would take the old
	 * version for a rollback: so the agent keeps running until the camera goes down. */
	log_info("axis: waiting for the camera to reboot into the new AXIS OS");
	return PLATFORM_REBOOTS_BY_ITSELF;
}

enum platform_boot_outcome axis_boot_outcome(void *priv, char *why, size_t whysz)
{
	const struct axis *ax = priv;

	snprintf(why, whysz, "%s", ax->outcome_why);
	return ax->outcome;
}

/* commit and rollback: one method call whose success ends the pending upgrade and
 * settles what the last boot means. */
static int fw_settle(struct axis *ax, const char *method, enum platform_boot_outcome outcome,
		     const char *done, char *reason, size_t reasonsz)
{
	struct buf reply;
	struct json_doc doc = { 0 };
	int data, rc;

	buf_init(&reply, AXIS_REPLY_MAX);
	rc = fw_call(ax, method, &reply, &doc, &data, reason, reasonsz);
	if (rc == 0) {
		json_free(&doc);
		pending_clear(ax);
		ax->outcome = outcome;
		log_info("axis: %s", done);
	}
	buf_free(&reply);
	return rc;
}

int axis_commit(void *priv, char *reason, size_t reasonsz)
{
	return fw_settle(priv, "commit", PLATFORM_BOOT_NORMAL, "AXIS OS committed", reason,
			 reasonsz);
}

int axis_rollback(void *priv, char *reason, size_t reasonsz)
{
	return fw_settle(priv, "rollback", PLATFORM_BOOT_ROLLED_BACK,
			 "rollback requested; the camera reboots into the previous AXIS OS", reason,
			 reasonsz);
}
