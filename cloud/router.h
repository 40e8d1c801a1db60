/* router: turns an evhttp request into a `struct request`, checks auth, calls the
 * route's handler and sends its `struct reply`.
 *
 * Handler contract: a handler fills the reply exactly once, with one of the
 * reply_* calls below (a later call replaces an earlier one, so an error after a
 * half-written JSON body is still one clean error), or hands the request to the
 * long-poll list (reply_hold). The router then sends that one reply. Handlers never
 * call evhttp_send_* themselves. */
#ifndef CLOUD_ROUTER_H
#define CLOUD_ROUTER_H

#include <stdint.h>
#include <sys/time.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "../lib/buf.h"
#include "../lib/crypto.h"
#include "../lib/json.h"
#include "db.h"
#include "server.h"

#define REQ_PATH_MAX 256
#define BEARER_MAX 128

struct request {
	struct cloud *c;
	struct evhttp_request *ev;
	const char *method;         /* "GET", "POST", "DELETE" */
	char path[REQ_PATH_MAX];
	char arg[DB_ID_LEN];        /* the id matched by '*' in the route, if any */
	struct evkeyvalq query;
	struct buf body;            /* exact body bytes, NUL-terminated */
	struct json_doc json;       /* parsed body (POST), root object at token 0 */
	int has_json;
	char device_id[DB_ID_LEN];  /* set for device-authenticated routes */
	int64_t now;
	struct timeval start;
};

struct reply {
	int status;
	struct buf body;
	int json;                     /* body is being written through jw */
	struct json_writer jw;
	int sign;                     /* add X-Camcloud-Signature over the body */
	int fd;                       /* >= 0: send file bytes [file_off, file_off+file_len) */
	uint64_t file_off, file_len;
	char content_range[96];
	int held;                     /* the long-poll list owns the request now */
};

typedef void (*handler_fn)(struct request *rq, struct reply *rp);

void reply_init(struct reply *rp);
void reply_free(struct reply *rp);
/* Starts a JSON body; the router checks jw_finish before sending. */
struct json_writer *reply_json(struct reply *rp, int status);
/* {} */
void reply_empty_object(struct reply *rp);
/* No body (204). */
void reply_no_content(struct reply *rp);
void reply_error(struct reply *rp, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* 500 internal; the cause has been logged where it happened. */
void reply_internal(struct reply *rp);
/* 400 bad_request naming the field. */
void reply_bad_field(struct reply *rp, const char *field);
/* Takes ownership of fd. */
void reply_file(struct reply *rp, int status, int fd, uint64_t off, uint64_t len);
void reply_hold(struct reply *rp);

/* Sends rp on ev (exactly once) and logs the request line; what names it in the log. */
void reply_send(struct cloud *c, struct evhttp_request *ev, struct reply *rp, const char *what,
		const struct timeval *start);

/* evhttp's generic callback; arg is the struct cloud. */
void router_dispatch(struct evhttp_request *ev, void *arg);

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
