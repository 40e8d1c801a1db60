/* start: what the axis backend learns from the camera before anything else, on the loop
 * (one axis_op): systemready.cgi (is it ready, which boot is this), the service account
 * from D-Bus (asynchronous gio through GLib's context on the loop), the firmware status when an upgrade is pending (what the last boot did with
 * it), and the identity from basicdeviceinfo.cgi. A camera not ready, an account missing
 * or a reply the camera cannot explain ends it with the reason; the agent asks again. */
#include "op.h"

#include <stdio.h>
#include <string.h>

#include "../../lib/log.h"

#define SYSTEMREADY_PATH "/axis-cgi/systemready.cgi"
#define FW_PATH "/axis-cgi/firmwaremanagement.cgi"
#define BDI_PATH "/axis-cgi/basicdeviceinfo.cgi"

static void on_identity(struct axis_op *op, int rc, const char *reason)
{
	char why[PLATFORM_REASON_MAX];

	if (rc == 0 && axis_identity_parse(op->ax, &op->reply, why, sizeof(why)) != 0) {
		rc = -1;
		reason = why;
	}
	axis_op_finish(op, rc, reason, NULL);
}

static void ask_identity(struct axis_op *op)
{
	axis_op_json(op, BDI_PATH, axis_identity_body, on_identity);
}

static void on_fw_status(struct axis_op *op, int rc, const char *reason)
{
	char why[PLATFORM_REASON_MAX];

	if (rc == 0 && axis_fw_decide(op->ax, &op->reply, op->name, why, sizeof(why)) != 0) {
		rc = -1;
		reason = why;
	}
	if (rc != 0) {
		axis_op_finish(op, -1, reason, NULL);
		return;
	}
	ask_identity(op);
}

/* With the account: a pending upgrade's outcome, then the identity. */
static void on_credentials(void *arg, int rc, const char *reason)
{
	struct axis_op *op = arg;
	char why[PLATFORM_REASON_MAX], body[160];
	int pending;

	if (rc != 0) {
		axis_op_finish(op, -1, reason, NULL);
		return;
	}
	if ((pending = axis_fw_pending(op->ax, why, sizeof(why))) < 0) {
		axis_op_finish(op, -1, why, NULL);
		return;
	}
	if (!pending) {
		ask_identity(op);
		return;
	}
	axis_fw_status_body(body, sizeof(body));
	axis_op_json(op, FW_PATH, body, on_fw_status);
}

/* Ready (or silent): the account, on the loop where GLib's context runs there. */
static void after_ready(struct axis_op *op)
{
	char why[PLATFORM_REASON_MAX];

	if (axis_fetch_credentials_start(op->ax, on_credentials, op, why, sizeof(why)) != 0)
		axis_op_finish(op, -1, why, NULL);
}

static void on_systemready(struct axis_op *op, int rc, const char *reason)
{
	char why[PLATFORM_REASON_MAX];
	int ready = 0;

	if (rc == 0)
		rc = axis_systemready_parse(&op->reply, op->name, sizeof(op->name), &ready, why,
					    sizeof(why));
	else
		snprintf(why, sizeof(why), "%s", reason);
	if (rc != 0) {
		/* an older camera without the API: the calls that follow tell */
		log_warn("axis: %s; going on without it", why);
		op->name[0] = '\0';
	} else if (!ready) {
		axis_op_finish(op, -1, why, NULL);
		return;
	}
	after_ready(op);
}

int axis_start(void *priv, platform_done_fn done, void *arg, char *reason, size_t reasonsz)
{
	struct axis_op *op = axis_op_new(priv, arg, reason, reasonsz);
	const struct vapix_request rq = { .path = SYSTEMREADY_PATH, .body = axis_systemready_body,
					  .content_type = "application/json" };

	if (!op)
		return -1;
	op->done = done;
	if (axis_op_request(op, &rq, on_systemready, reason, reasonsz) != 0) {
		axis_op_drop(op);
		return -1;
	}
	return 0;
}
