/* reply: building a handler's one reply (JSON, error, empty, file) and sending it
 * on the evhttp request: headers, the X-Camcloud-Signature when asked for, files
 * through evbuffer_add_file (sendfile, constant memory), and the request log line. */
#include "reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <event2/buffer.h>

#include "../../lib/log.h"
#include "server.h"

#define REPLY_BODY_MAX (32 * 1024 * 1024)

void reply_init(struct reply *rp)
{
	memset(rp, 0, sizeof(*rp));
	buf_init(&rp->body, REPLY_BODY_MAX);
	rp->status = 500;
	rp->fd = -1;
}

static void reply_reset(struct reply *rp)
{
	buf_reset(&rp->body);
	rp->json = 0;
	rp->sign = 0;
	rp->held = 0;
	rp->content_type = NULL;
	rp->content_range[0] = '\0';
	rp->static_data = NULL;
	rp->static_len = 0;
	rp->etag = NULL;
	rp->location[0] = '\0';
	rp->headers = NULL;
	if (rp->fd >= 0)
		close(rp->fd);
	rp->fd = -1;
}

void reply_free(struct reply *rp)
{
	reply_reset(rp);
	buf_free(&rp->body);
}

struct json_writer *reply_json(struct reply *rp, int status)
{
	reply_reset(rp);
	rp->status = status;
	rp->json = 1;
	jw_init(&rp->jw, &rp->body);
	return &rp->jw;
}

struct buf *reply_text(struct reply *rp, int status, const char *content_type)
{
	reply_reset(rp);
	rp->status = status;
	rp->content_type = content_type;
	return &rp->body;
}

void reply_empty_object(struct reply *rp)
{
	struct json_writer *w = reply_json(rp, 200);
	jw_object_begin(w);
	jw_object_end(w);
}

void reply_no_content(struct reply *rp)
{
	reply_reset(rp);
	rp->status = 204;
}

/* The error body, with one more number beside "error" when key is set. */
static void error_body(struct reply *rp, int status, const char *code, const char *key,
		       int64_t value, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	struct json_writer *w = reply_json(rp, status);
	jw_object_begin(w);
	jw_key(w, "error");
	jw_object_begin(w);
	jw_kv_string(w, "code", code);
	jw_kv_string(w, "message", msg);
	jw_object_end(w);
	if (key)
		jw_kv_int(w, key, value);
	jw_object_end(w);
}

void reply_error(struct reply *rp, int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_body(rp, status, code, NULL, 0, fmt, ap);
	va_end(ap);
}

void reply_error_with(struct reply *rp, int status, const char *code, const char *key,
		      int64_t value, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_body(rp, status, code, key, value, fmt, ap);
	va_end(ap);
}

void reply_internal(struct reply *rp)
{
	reply_error(rp, 500, "internal", "internal server error");
}

void reply_bad_field(struct reply *rp, const char *field)
{
	reply_error(rp, 400, "bad_request", "missing or invalid field '%s'", field);
}

void reply_file(struct reply *rp, int status, int fd, uint64_t off, uint64_t len)
{
	reply_reset(rp);
	rp->status = status;
	rp->fd = fd;
	rp->file_off = off;
	rp->file_len = len;
}

void reply_hold(struct reply *rp)
{
	reply_reset(rp);
	rp->held = 1;
}

void reply_static(struct reply *rp, int status, const char *content_type, const char *etag,
		  const unsigned char *data, size_t len)
{
	reply_reset(rp);
	rp->status = status;
	rp->content_type = content_type;
	rp->etag = etag;
	rp->static_data = data;
	rp->static_len = status == 304 ? 0 : len;
}

void reply_redirect(struct reply *rp, int status, const char *location)
{
	if (strlen(location) >= sizeof(rp->location)) {
		reply_internal(rp);
		return;
	}
	reply_reset(rp);
	rp->status = status;
	strcpy(rp->location, location);
}

/* The headers that are not about the body: rp's extra ones, nosniff on everything. */
static void add_common_headers(struct evkeyvalq *h, const struct reply *rp)
{
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	for (const char *const *p = rp->headers; p && p[0] && p[1]; p += 2)
		evhttp_add_header(h, p[0], p[1]);
	if (rp->location[0])
		evhttp_add_header(h, "Location", rp->location);
}

static long elapsed_ms(const struct timeval *start)
{
	struct timeval now;
	gettimeofday(&now, NULL);
	return (long)((now.tv_sec - start->tv_sec) * 1000 + (now.tv_usec - start->tv_usec) / 1000);
}

/* Prepares the output buffer for rp; on failure rp becomes a 500 and it is retried. */
static int reply_fill(struct cloud *c, struct evhttp_request *ev, struct reply *rp,
		      struct evbuffer *eb)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(ev);
	/* JSON bodies end with a newline (nicer in a terminal; signed like the rest). */
	if (rp->json && (jw_finish(&rp->jw) != 0 || buf_append(&rp->body, "\n", 1) != 0)) {
		log_error("http: reply body could not be written (%zu bytes so far)", rp->body.len);
		return -1;
	}
	rp->json = 0; /* finished: a retry of reply_fill must not finish it again */
	add_common_headers(h, rp);
	if (rp->static_data) { /* reply_static */
		evhttp_add_header(h, "Content-Type", rp->content_type);
		if (rp->etag)
			evhttp_add_header(h, "ETag", rp->etag);
		if (rp->static_len &&
		    evbuffer_add_reference(eb, rp->static_data, rp->static_len, NULL, NULL) != 0)
			return -1;
		return 0;
	}
	if (rp->location[0])
		return 0;
	if (rp->fd >= 0) {
		char len[32];
		snprintf(len, sizeof(len), "%llu", (unsigned long long)rp->file_len);
		int fd = rp->fd;
		rp->fd = -1; /* evbuffer_add_file owns it from here */
		if (evbuffer_add_file(eb, fd, (ev_off_t)rp->file_off, (ev_off_t)rp->file_len) != 0) {
			log_error("http: cannot queue %llu file bytes",
				  (unsigned long long)rp->file_len);
			return -1;
		}
		evhttp_add_header(h, "Content-Type", "application/octet-stream");
		evhttp_add_header(h, "Content-Length", len);
		evhttp_add_header(h, "Accept-Ranges", "bytes");
		if (rp->content_range[0])
			evhttp_add_header(h, "Content-Range", rp->content_range);
		return 0;
	}
	if (rp->status == 204)
		return 0;
	if (rp->sign) {
		char sig[CRYPTO_SIG_B64_MAX];
		if (signer_sign(&c->signer, buf_str(&rp->body), rp->body.len, sig, sizeof(sig)) != 0)
			return -1;
		evhttp_add_header(h, "X-Camcloud-Signature", sig);
	}
	if (rp->content_range[0])
		evhttp_add_header(h, "Content-Range", rp->content_range);
	evhttp_add_header(h, "Content-Type", rp->content_type ? rp->content_type : "application/json");
	if (!rp->headers) /* the console's own carry their Cache-Control */
		evhttp_add_header(h, "Cache-Control", "no-store");
	if (evbuffer_add(eb, buf_str(&rp->body), rp->body.len) != 0)
		return -1;
	return 0;
}

void reply_send(struct cloud *c, struct evhttp_request *ev, struct reply *rp, const char *what,
		const struct timeval *start)
{
	struct evbuffer *eb = evbuffer_new();
	if (!eb || reply_fill(c, ev, rp, eb) != 0) {
		if (eb)
			evbuffer_drain(eb, evbuffer_get_length(eb));
		evhttp_clear_headers(evhttp_request_get_output_headers(ev));
		reply_internal(rp);
		if (!eb || reply_fill(c, ev, rp, eb) != 0) {
			/* Out of memory: libevent's own minimal 500. */
			evhttp_send_error(ev, 500, NULL);
			evbuffer_free(eb);
			log_error("http: %s -> 500 (no memory for the reply)", what);
			return;
		}
	}
	evhttp_send_reply(ev, rp->status, NULL, eb);
	evbuffer_free(eb);
	if (rp->status == 500) /* 501 and 503 are what clients earn: no warning flood */
		log_warn("http: %s -> %d (%ld ms)", what, rp->status, elapsed_ms(start));
	else
		log_debug("http: %s -> %d (%ld ms)", what, rp->status, elapsed_ms(start));
}

