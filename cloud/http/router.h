/* router: turns an evhttp request into a `struct request`, checks auth, calls the
 * route's handler and sends its `struct reply` (reply.h).
 *
 * Handler contract: a handler fills the reply exactly once, with one of the
 * reply_* calls (a later call replaces an earlier one, so an error after a
 * half-written JSON body is still one clean error), or hands the request to the
 * long-poll list (reply_hold). The router then sends that one reply; a handler that
 * sets nothing answers 500. Handlers never call evhttp_send_* themselves. */
#ifndef CLOUD_ROUTER_H
#define CLOUD_ROUTER_H

#include <stdint.h>
#include <sys/time.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "../../lib/buf.h"
#include "../../lib/crypto.h"
#include "../../lib/json.h"
#include "../store/store.h"
#include "access.h"
#include "reply.h"
#include "server.h"

#define REQ_PATH_MAX 256
#define BEARER_MAX 128

struct request {
	struct cloud *c;
	struct evhttp_request *ev;
	const char *method;         /* "GET", "POST", "DELETE" */
	char path[REQ_PATH_MAX];
	char arg[DB_ID_LEN];        /* the id matched by the first '*' in the route, if any */
	char arg2[DB_ID_LEN];       /* the id matched by a second '*' */
	char peer[64];              /* the caller's address, for the throttle and history */
	struct evkeyvalq query;
	struct buf body;            /* exact body bytes, NUL-terminated */
	struct json_doc json;       /* parsed body (POST), root object at token 0 */
	int has_json;
	char device_id[DB_ID_LEN];  /* set for device-authenticated routes */
	struct principal who;       /* set for admin routes (access.h) */
	int64_t now;
	struct timeval start;
};

typedef void (*handler_fn)(struct request *rq, struct reply *rp);

/* evhttp's generic callback; arg is the struct cloud. */
void router_dispatch(struct evhttp_request *ev, void *arg);

/* The largest body a request to path (no query) with method may carry: CLOUD_BODY_MAX
 * but for the routes that read their body themselves (an upload's chunk). The gate asks. */
size_t router_body_max(const char *method, const char *path);

/* Extracts the token of "Authorization: Bearer <token>"; -1 when absent or malformed. */
int bearer_parse(const char *header, char *out, size_t outsz);

/* Body field helpers: 0 and the value, or -1 after filling rp with 400 bad_request.
 * Optional variants leave *out untouched when the field is absent. */
int req_string(struct request *rq, struct reply *rp, const char *key, char *out, size_t outsz);
int req_string_opt(struct request *rq, struct reply *rp, const char *key, char *out,
		   size_t outsz);
int req_int(struct request *rq, struct reply *rp, const char *key, int64_t *out);
int req_int_opt(struct request *rq, struct reply *rp, const char *key, int64_t *out);
int req_bool_opt(struct request *rq, struct reply *rp, const char *key, int *out);

#endif
