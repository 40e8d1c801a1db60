/* op: one asynchronous operation of the axis backend (an image upload, an application,
 * license or parameter call): a chain of VAPIX requests on the agent's multi, each reply
 * handled by the step that asked for it, ending in exactly one completion for the caller. The
 * platform keeps the operations in flight and drops them on close (their completion then
 * never comes). */
#ifndef CAM_PLATFORM_AXIS_OP_H
#define CAM_PLATFORM_AXIS_OP_H

#include "axis.h"
#include "../image_reader.h"

struct event;
struct file_check;
struct eap_manifest_read;
struct axis_op;
/* A step: rc 0 when the request it waited for got HTTP 200 (body in op->reply), else -1
 * with reason. */
typedef void (*axis_op_step_fn)(struct axis_op *op, int rc, const char *reason);

enum axis_want { WANT_STOPPED, WANT_RUNNING, WANT_ANY, WANT_ABSENT };

struct axis_op {
	struct axis *ax;
	struct axis_op *next;          /* in ax->ops */
	struct axis_call *call;        /* the request in flight */
	struct event *pause;           /* between polls of list.cgi */
	axis_op_step_fn step;          /* what the request in flight (or the pause) leads to */
	axis_op_step_fn after_list;    /* axis_op_list's continuation */
	struct buf reply;
	/* the caller's completion: exactly one is set */
	platform_done_fn done;
	platform_app_done_fn app_done;
	platform_list_done_fn list_done;
	platform_settings_done_fn settings_done; /* with the settings in data */
	void *arg;
	/* what the kinds of operation keep between steps */
	char what[64];                 /* the call, for reasons: "control.cgi start" */
	char app[AXIS_APP_MAX];
	char version[PLATFORM_FIELD_MAX]; /* the version to confirm, "" any */
	char action[24];               /* the CGI action: "uploadlicensekey" */
	char name[AXIS_APP_MAX], group[AXIS_APP_MAX]; /* name: the bootid too, at start */
	char *value;                   /* a parameter's value (zeroed and freed with the op) */
	enum axis_want want;
	int tries;                     /* list.cgi polls left */
	int result;                    /* rc once confirmed (0 or PLATFORM_APP_*) */
	int code;                      /* "Error: n" of the last text reply, 0 none */
	struct platform_app_list list; /* the last list.cgi */
	struct image_reader image;     /* an uploaded file, checked on the way */
	struct file_check *check;      /* the file hashed before its upload, in flight */
	struct eap_manifest_read *manifest; /* a package's manifest being read */
	struct axis_part parts[2];     /* an upload's parts (the image's: json, file) */
	void *data;                    /* the op's own data: an uploaded key, an upgrade's
					* record (zeroed and freed with the op) */
	size_t len;
};

/* A new operation for the caller's done/app_done/list_done/settings_done (set one after
 * this) and arg; NULL with reason. */
struct axis_op *axis_op_new(struct axis *ax, void *arg, char *reason, size_t reasonsz);
/* The same for an operation on application app (a valid name, or NULL with reason) that
 * answers with done. */
struct axis_op *axis_op_for_app(struct axis *ax, const char *app, platform_done_fn done,
				void *arg, char *reason, size_t reasonsz);
/* Starts rq; its reply goes to step. 0, or -1 with reason (nothing started). */
int axis_op_request(struct axis_op *op, const struct vapix_request *rq, axis_op_step_fn step,
		    char *reason, size_t reasonsz);
/* The same from inside a step: a request that cannot start ends the operation. */
void axis_op_next(struct axis_op *op, const struct vapix_request *rq, axis_op_step_fn step);
/* axis_op_next of a JSON API call (body: application/json). */
void axis_op_json(struct axis_op *op, const char *path, const char *body, axis_op_step_fn step);
/* list.cgi into op->list, then then(op, rc, reason); parse errors come as -1. _request:
 * 0, or -1 with reason (nothing started); axis_op_list from inside a step. */
int axis_op_list_request(struct axis_op *op, axis_op_step_fn then, char *reason,
			 size_t reasonsz);
void axis_op_list(struct axis_op *op, axis_op_step_fn then);
/* step(op, 0, NULL) after ms on the loop (0: on the next loop turn). _request: 0, or -1
 * with reason (nothing armed); axis_op_pause from inside a step. */
int axis_op_pause_request(struct axis_op *op, int ms, axis_op_step_fn step, char *reason,
			  size_t reasonsz);
void axis_op_pause(struct axis_op *op, int ms, axis_op_step_fn step);
/* Ends the operation: the caller's completion, then the op is freed. */
void axis_op_finish(struct axis_op *op, int rc, const char *reason, const struct platform_app *app);
/* Frees an operation that never started, without a completion. */
void axis_op_drop(struct axis_op *op);
/* On close: every operation in flight, dropped. */
void axis_ops_drop_all(struct axis *ax);

#endif
