/* reply: what a handler answers — status, JSON body (written through jw), an
 * optional cloud signature, or a file range — and the one function that sends it.
 * The reply_* setters replace whatever was set before, so an error after a
 * half-written body still goes out as one clean error. */
#ifndef CLOUD_REPLY_H
#define CLOUD_REPLY_H

#include <stdint.h>
#include <sys/time.h>
#include <event2/http.h>

#include "../../lib/buf.h"
#include "../../lib/json.h"

struct cloud;

#define REPLY_LOCATION_MAX 160

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
	const char *content_type;     /* a text body's type (reply_text), or reply_static's; NULL: JSON */
	const unsigned char *static_data; /* reply_static: bytes that outlive the reply */
	size_t static_len;
	const char *etag;
	char location[REPLY_LOCATION_MAX]; /* reply_redirect; "" for none */
	const char *const *headers;   /* extra name, value pairs, NULL-terminated (static) */
};

void reply_init(struct reply *rp);
void reply_free(struct reply *rp);
/* Starts a JSON body; the router checks jw_finish before sending. */
struct json_writer *reply_json(struct reply *rp, int status);
/* Starts a text body of content_type (a string constant) to append to. */
struct buf *reply_text(struct reply *rp, int status, const char *content_type);
/* {} */
void reply_empty_object(struct reply *rp);
/* No body (204). */
void reply_no_content(struct reply *rp);
void reply_error(struct reply *rp, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same with one number beside "error" that a client acts on ({"error":..,"offset":N}). */
void reply_error_with(struct reply *rp, int status, const char *code, const char *key,
		      int64_t value, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* 500 internal; the cause has been logged where it happened. */
void reply_internal(struct reply *rp);
/* 400 bad_request naming the field. */
void reply_bad_field(struct reply *rp, const char *field);
/* Takes ownership of fd. */
void reply_file(struct reply *rp, int status, int fd, uint64_t off, uint64_t len);
void reply_hold(struct reply *rp);
/* Static bytes (an embedded asset) with their Content-Type and ETag; a 304 sends none. */
void reply_static(struct reply *rp, int status, const char *content_type, const char *etag,
		  const unsigned char *data, size_t len);
/* A redirect (3xx) to location (a path of this server, copied; one too long is a 500). */
void reply_redirect(struct reply *rp, int status, const char *location);

/* Sends rp on ev (exactly once) and logs the request line; what names it in the log. */
void reply_send(struct cloud *c, struct evhttp_request *ev, struct reply *rp, const char *what,
		const struct timeval *start);

#endif
