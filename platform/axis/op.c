/* op: see op.h. */
#include "op.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "../../lib/eap.h"
#include "../file_check.h"

#define LIST_PATH "/axis-cgi/applications/list.cgi"

struct axis_op *axis_op_new(struct axis *ax, void *arg, char *reason, size_t reasonsz)
{
	struct axis_op *op;

	if (!ax->net || !ax->base) {
		axis_fail(reason, reasonsz, "VAPIX: no loop to run the request on");
		return NULL;
	}
	op = calloc(1, sizeof(*op));
	if (!op) {
		axis_fail(reason, reasonsz, "out of memory");
		return NULL;
	}
	op->ax = ax;
	op->arg = arg;
	op->image.fd = -1;
	buf_init(&op->reply, AXIS_REPLY_MAX);
	op->next = ax->ops;
	ax->ops = op;
	return op;
}

struct axis_op *axis_op_for_app(struct axis *ax, const char *app, platform_done_fn done,
			       void *arg, char *reason, size_t reasonsz)
{
	struct axis_op *op;

	if (!axis_app_name_ok(app)) {
		axis_fail(reason, reasonsz, "invalid application name");
		return NULL;
	}
	op = axis_op_new(ax, arg, reason, reasonsz);
	if (op) {
		op->done = done;
		snprintf(op->app, sizeof(op->app), "%s", app);
	}
	return op;
}

static void op_unlink(struct axis_op *op)
{
	for (struct axis_op **p = &op->ax->ops; *p; p = &(*p)->next)
		if (*p == op) {
			*p = op->next;
			break;
		}
}

/* Frees op, already unlinked; touches the platform only for a request in flight. */
static void op_free(struct axis_op *op)
{
	axis_call_free(op->call);
	if (op->pause)
		event_free(op->pause);
	file_check_free(op->check);
	eap_manifest_read_free(op->manifest);
	image_reader_close(&op->image);
	if (op->value) {
		explicit_bzero(op->value, strlen(op->value));
		free(op->value);
	}
	if (op->data) {
		explicit_bzero(op->data, op->len);
		free(op->data);
	}
	if (op->reply.data)
		explicit_bzero(op->reply.data, op->reply.alloc);
	buf_free(&op->reply);
	free(op);
}

void axis_op_drop(struct axis_op *op)
{
	if (!op)
		return;
	op_unlink(op);
	op_free(op);
}

void axis_ops_drop_all(struct axis *ax)
{
	while (ax->ops)
		axis_op_drop(ax->ops);
}

void axis_op_finish(struct axis_op *op, int rc, const char *reason, const struct platform_app *app)
{
	const char *why = rc < 0 ? (reason ? reason : "failed") : NULL;

	/* out of the platform's list first: the caller may close the platform in its
	 * completion (a camera not ready), which must not free op under us */
	op_unlink(op);
	if (op->done)
		op->done(op->arg, rc, why);
	else if (op->app_done)
		op->app_done(op->arg, rc, why, rc < 0 ? NULL : app);
	else if (op->settings_done)
		op->settings_done(op->arg, rc, why, rc < 0 ? NULL : op->data);
	else
		op->list_done(op->arg, rc, why, rc < 0 ? NULL : &op->list);
	op_free(op);
}

static void on_reply(void *arg, int rc, const char *reason)
{
	struct axis_op *op = arg;

	axis_call_free(op->call);
	op->call = NULL;
	op->step(op, rc, reason);
}

int axis_op_request(struct axis_op *op, const struct vapix_request *rq, axis_op_step_fn step,
		    char *reason, size_t reasonsz)
{
	op->step = step;
	return vapix_start(op->ax, rq, &op->reply, on_reply, op, &op->call, reason, reasonsz);
}

void axis_op_next(struct axis_op *op, const struct vapix_request *rq, axis_op_step_fn step)
{
	char reason[PLATFORM_REASON_MAX];

	if (axis_op_request(op, rq, step, reason, sizeof(reason)) != 0)
		axis_op_finish(op, -1, reason, NULL);
}

void axis_op_json(struct axis_op *op, const char *path, const char *body, axis_op_step_fn step)
{
	const struct vapix_request rq = { .path = path, .body = body,
					  .content_type = "application/json" };

	axis_op_next(op, &rq, step);
}

static void on_list(struct axis_op *op, int rc, const char *reason)
{
	char why[PLATFORM_REASON_MAX];

	if (rc == 0 && axis_apps_parse(buf_str(&op->reply), op->reply.len, &op->list, why,
				       sizeof(why)) != 0) {
		rc = -1;
		reason = why;
	}
	op->after_list(op, rc, reason);
}

int axis_op_list_request(struct axis_op *op, axis_op_step_fn then, char *reason,
			 size_t reasonsz)
{
	const struct vapix_request rq = { .path = LIST_PATH, .body = "",
					  .content_type = "application/x-www-form-urlencoded" };

	op->after_list = then;
	return axis_op_request(op, &rq, on_list, reason, reasonsz);
}

void axis_op_list(struct axis_op *op, axis_op_step_fn then)
{
	char reason[PLATFORM_REASON_MAX];

	if (axis_op_list_request(op, then, reason, sizeof(reason)) != 0)
		axis_op_finish(op, -1, reason, NULL);
}

static void on_pause(evutil_socket_t fd, short what, void *arg)
{
	struct axis_op *op = arg;

	(void)fd;
	(void)what;
	op->step(op, 0, NULL);
}

int axis_op_pause_request(struct axis_op *op, int ms, axis_op_step_fn step, char *reason,
			  size_t reasonsz)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	op->step = step;
	if (!op->pause)
		op->pause = evtimer_new(op->ax->base, on_pause, op);
	if (!op->pause || evtimer_add(op->pause, &tv) != 0)
		return axis_fail(reason, reasonsz, "cannot arm a timer");
	return 0;
}

void axis_op_pause(struct axis_op *op, int ms, axis_op_step_fn step)
{
	char reason[PLATFORM_REASON_MAX];

	if (axis_op_pause_request(op, ms, step, reason, sizeof(reason)) != 0)
		axis_op_finish(op, -1, reason, NULL);
}
