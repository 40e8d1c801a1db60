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
#include "op.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/fsutil.h"
#include "../../lib/json.h"
#include "../../lib/jsonfile.h"
#include "../../lib/log.h"

#define PENDING_FILE "axis-upgrade.json"
#define PENDING_MAX 1024
#define FW_PATH "/axis-cgi/firmwaremanagement.cgi"
#define SYSTEMREADY_PATH "/axis-cgi/systemready.cgi"

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
	struct json_file f;
	int tok, rc;

	memset(p, 0, sizeof(*p));
	rc = json_file_read(&f, ax->state_dir, PENDING_FILE, PENDING_MAX, 16, reason, reasonsz);
	if (rc == JSON_FILE_MISSING)
		rc = 0;
	else if (rc == 0 && (json_get_string(&f.doc, 0, "from", p->from, sizeof(p->from)) != 0 ||
			     json_get_string(&f.doc, 0, "target", p->target, sizeof(p->target)) != 0))
		rc = axis_fail(reason, reasonsz, "%s: damaged", f.path);
	else if (rc == 0) {
		/* absent in records written before they existed */
		(void)json_get_string(&f.doc, 0, "boot_id", p->boot_id, sizeof(p->boot_id));
		tok = json_find(&f.doc, 0, "came_up");
		rc = tok >= 0 && json_tok_bool(&f.doc, tok, &p->came_up) != 0
			     ? axis_fail(reason, reasonsz, "%s: damaged", f.path)
			     : 1;
	}
	json_file_free(&f);
	return rc;
}

static int pending_store(const struct axis *ax, const struct pending *p, char *reason,
			 size_t reasonsz)
{
	struct buf text;
	struct json_writer w;
	int rc = 0;

	buf_init(&text, PENDING_MAX);
	jw_init(&w, &text);
	jw_object_begin(&w);
	jw_kv_string(&w, "from", p->from);
	jw_kv_string(&w, "target", p->target);
	jw_kv_string(&w, "boot_id", p->boot_id);
	jw_kv_bool(&w, "came_up", p->came_up);
	jw_object_end(&w);
	if (json_file_write(ax->state_dir, PENDING_FILE, &w, 0600) != 0)
		rc = axis_fail(reason, reasonsz, "cannot write %s/%s: %s", ax->state_dir,
			       PENDING_FILE, strerror(errno));
	buf_free(&text);
	return rc;
}

static void pending_clear(const struct axis *ax)
{
	char path[PATH_MAX];

	if (pending_path(ax, path, sizeof(path)) == 0 && unlink(path) != 0 && errno != ENOENT)
		log_warn("cannot delete %s: %s", path, strerror(errno));
}

/* The request body of a firmwaremanagement.cgi method without parameters. */
static void fw_body(char *out, size_t outsz, const char *method)
{
	snprintf(out, outsz,
		 "{\"apiVersion\":\"1.0\",\"context\":\"camagent\",\"method\":\"%s\"}", method);
}

/* status: isCommited is the documented spelling, isCommitted what some clients read:
 * accept both [FW]. Absent (no inactive firmware) means committed. */
static int fw_status_parse(const struct buf *reply, struct fw_status *st, char *reason,
			   size_t reasonsz)
{
	struct json_doc doc = { 0 };
	int data, tok, rc = -1;

	memset(st, 0, sizeof(*st));
	st->committed = 1;
	if (axis_json_reply("firmwaremanagement.cgi status", reply, &doc, 64, fw_codes, &data,
			    reason, reasonsz) != 0)
		return -1;
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

int axis_fw_pending(struct axis *ax, char *reason, size_t reasonsz)
{
	struct pending p;

	ax->outcome = PLATFORM_BOOT_NORMAL;
	ax->outcome_why[0] = '\0';
	return pending_load(ax, &p, reason, reasonsz);
}

void axis_fw_status_body(char *out, size_t outsz)
{
	fw_body(out, outsz, "status");
}

int axis_fw_decide(struct axis *ax, const struct buf *status_reply, const char *boot_id,
		   char *reason, size_t reasonsz)
{
	struct pending p;
	struct fw_status st;
	char why[PLATFORM_REASON_MAX];

	if (pending_load(ax, &p, reason, reasonsz) <= 0 ||
	    fw_status_parse(status_reply, &st, reason, reasonsz) != 0)
		return -1;
	if (!boot_id[0])
		log_warn("axis: no bootid from systemready.cgi; deciding from the firmware status "
			 "alone");
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

/* ---- the image upload: one axis_op, firmware status -> systemready -> upload ---- */

#define UPGRADE_WHAT "firmwaremanagement.cgi upgrade"

static int upload_in_flight(const struct axis *ax)
{
	for (const struct axis_op *op = ax->ops; op; op = op->next)
		if (!strcmp(op->what, UPGRADE_WHAT))
			return 1;
	return 0;
}

/* What the camera's answer to the upload means: 0 when it took the image. */
static int upload_result(struct axis_op *op, int rc, char *reason, size_t reasonsz)
{
	struct pending *p = op->data;
	struct json_doc doc = { 0 };
	int data;

	if (rc != 0) {
		if (op->image.failure[0]) {
			/* cut before its last byte: the camera cannot have taken it */
			snprintf(reason, reasonsz, "%s", op->image.failure);
			pending_clear(op->ax);
		}
		return -1; /* otherwise unknown whether the camera took it: keep the record */
	}
	if (axis_json_reply(UPGRADE_WHAT, &op->reply, &doc, 64, fw_codes, &data, reason,
			    reasonsz) != 0) {
		pending_clear(op->ax); /* refused: nothing is pending */
		return -1;
	}
	rc = -1;
	if (json_get_string(&doc, data, "firmwareVersion", p->target, sizeof(p->target)) != 0 ||
	    !p->target[0])
		axis_fail(reason, reasonsz, UPGRADE_WHAT ": reply has no data.firmwareVersion");
	else if (pending_store(op->ax, p, reason, reasonsz) == 0)
		rc = 0;
	json_free(&doc);
	if (rc == 0)
		log_info("axis: the camera accepted AXIS OS %s and reboots into it", p->target);
	return rc;
}

static void on_uploaded(struct axis_op *op, int rc, const char *why)
{
	char reason[PLATFORM_REASON_MAX];

	snprintf(reason, sizeof(reason), "%s", why ? why : "");
	rc = upload_result(op, rc, reason, sizeof(reason));
	axis_op_finish(op, rc, reason, NULL);
}

/* With the bootid (or without, when the camera cannot say): the record, then the upload. */
static void on_boot_id(struct axis_op *op, int rc, const char *reason)
{
	struct pending *p = op->data;
	char why[PLATFORM_REASON_MAX], rollback[16];
	int ready = 0;

	if (rc == 0)
		rc = axis_systemready_parse(&op->reply, p->boot_id, sizeof(p->boot_id), &ready, why,
					    sizeof(why));
	else
		snprintf(why, sizeof(why), "%s", reason);
	if (rc != 0 || !ready) {
		p->boot_id[0] = '\0';
		log_warn("axis: %s; a restart before the reboot will read as a rollback", why);
	}
	/* Before the upload: the camera may reboot any moment after accepting it. */
	if (pending_store(op->ax, p, why, sizeof(why)) != 0) {
		axis_op_finish(op, -1, why, NULL);
		return;
	}
	if (op->ax->auto_rollback_min > 0)
		snprintf(rollback, sizeof(rollback), "%d", op->ax->auto_rollback_min);
	else
		snprintf(rollback, sizeof(rollback), "never");
	if (asprintf(&op->value,
		     "{\"apiVersion\":\"1.0\",\"context\":\"camagent\",\"method\":\"upgrade\","
		     "\"params\":{\"autoCommit\":\"never\",\"autoRollback\":\"%s\"}}",
		     rollback) < 0) {
		op->value = NULL;
		pending_clear(op->ax);
		axis_op_finish(op, -1, "out of memory", NULL);
		return;
	}
	op->parts[0] = (struct axis_part){ .name = "json", .type = "application/json",
					   .data = op->value, .len = strlen(op->value) };
	op->parts[1] = (struct axis_part){ .name = "file", .filename = "axis-os.bin",
					   .type = "application/octet-stream", .image = &op->image };
	log_info("axis: uploading AXIS OS image to the camera (autoCommit never, autoRollback %s)",
		 rollback);
	const struct vapix_request rq = { .path = FW_PATH, .parts = op->parts, .nparts = 2,
					  .timeout_s = AXIS_UPLOAD_TIMEOUT_S };
	axis_op_next(op, &rq, on_uploaded);
}

/* The version the upgrade starts from, then the camera's boot. */
static void on_status_before_upload(struct axis_op *op, int rc, const char *reason)
{
	struct pending *p = op->data;
	struct fw_status st;
	char why[PLATFORM_REASON_MAX];

	if (rc == 0 && fw_status_parse(&op->reply, &st, why, sizeof(why)) != 0) {
		rc = -1;
		reason = why;
	}
	if (rc != 0) {
		axis_op_finish(op, -1, reason, NULL);
		return;
	}
	memcpy(p->from, st.active, sizeof(p->from));
	axis_op_json(op, SYSTEMREADY_PATH, axis_systemready_body, on_boot_id);
}

/* Every step on the agent's multi: PLATFORM_IN_PROGRESS, the op ends in on_uploaded. */
int axis_install(void *priv, const struct platform_image *img, platform_done_fn done, void *arg,
		 char *reason, size_t reasonsz)
{
	struct axis *ax = priv;
	struct axis_op *op;
	char body[160];

	if (!done)
		return axis_fail(reason, reasonsz, "an image upload needs a completion");
	if (upload_in_flight(ax))
		return axis_fail(reason, reasonsz, "an image upload is in progress already");
	op = axis_op_new(ax, arg, reason, reasonsz);
	if (!op)
		return -1;
	op->done = done;
	snprintf(op->what, sizeof(op->what), "%s", UPGRADE_WHAT);
	op->len = sizeof(struct pending);
	op->data = calloc(1, op->len);
	if (!op->data) {
		axis_op_drop(op);
		return axis_fail(reason, reasonsz, "out of memory");
	}
	if (image_reader_open(&op->image, img, reason, reasonsz) != 0) {
		axis_op_drop(op);
		return -1;
	}
	fw_body(body, sizeof(body), "status");
	const struct vapix_request rq = { .path = FW_PATH, .body = body,
					  .content_type = "application/json" };
	if (axis_op_request(op, &rq, on_status_before_upload, reason, reasonsz) != 0) {
		axis_op_drop(op);
		return -1;
	}
	return PLATFORM_IN_PROGRESS;
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
 * settles what the last boot means (op->result). */
static void on_settled(struct axis_op *op, int rc, const char *reason)
{
	struct json_doc doc = { 0 };
	char what[64], why[PLATFORM_REASON_MAX];
	int data;

	snprintf(what, sizeof(what), "firmwaremanagement.cgi %s", op->action);
	if (rc == 0 &&
	    axis_json_reply(what, &op->reply, &doc, 64, fw_codes, &data, why, sizeof(why)) != 0) {
		rc = -1;
		reason = why;
	}
	json_free(&doc);
	if (rc == 0) {
		pending_clear(op->ax);
		op->ax->outcome = (enum platform_boot_outcome)op->result;
		log_info("axis: %s", op->result == PLATFORM_BOOT_NORMAL
					     ? "AXIS OS committed"
					     : "rollback requested; the camera reboots into the "
					       "previous AXIS OS");
	}
	axis_op_finish(op, rc, reason, NULL);
}

static int fw_settle(struct axis *ax, const char *method, enum platform_boot_outcome outcome,
		     platform_done_fn done, void *arg, char *reason, size_t reasonsz)
{
	struct axis_op *op = axis_op_new(ax, arg, reason, reasonsz);
	char body[160];

	if (!op)
		return -1;
	op->done = done;
	op->result = (int)outcome;
	snprintf(op->action, sizeof(op->action), "%s", method);
	fw_body(body, sizeof(body), method);
	const struct vapix_request rq = { .path = FW_PATH, .body = body,
					  .content_type = "application/json" };
	if (axis_op_request(op, &rq, on_settled, reason, reasonsz) != 0) {
		axis_op_drop(op);
		return -1;
	}
	return 0;
}

int axis_commit(void *priv, platform_done_fn done, void *arg, char *reason, size_t reasonsz)
{
	return fw_settle(priv, "commit", PLATFORM_BOOT_NORMAL, done, arg, reason, reasonsz);
}

int axis_rollback(void *priv, platform_done_fn done, void *arg, char *reason, size_t reasonsz)
{
	return fw_settle(priv, "rollback", PLATFORM_BOOT_ROLLED_BACK, done, arg, reason,
			 reasonsz);
}
