/* http: libcurl's multi interface driven by libevent (one loop, no threads).
 * A request is started with a completion callback; its body is either buffered
 * (capped) or streamed to a sink callback (downloads). Shared defaults live here:
 * timeouts, low-speed abort (except for held requests), TCP keepalive, TLS
 * verification on, plain HTTP only when allowed. */
#ifndef CAM_HTTP_H
#define CAM_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>
#include <event2/event.h>
#include "../lib/buf.h"

#define HTTP_BODY_MAX (256 * 1024)
#define HTTP_HEADER_VALUE_MAX 256

struct http_client;
struct http_request;

struct http_client_config {
	const char *ca_file;        /* NULL: system bundle */
	int allow_insecure_http;    /* permit http:// (loopback only, enforced here) */
	long connect_timeout_s;     /* default 10 */
	long low_speed_time_s;      /* abort when below 1 byte/s for this long; default 30 */
};

struct http_response {
	long status;                /* HTTP status, 0 on transport error */
	CURLcode curl_code;         /* CURLE_OK unless the transfer failed */
	char error[CURL_ERROR_SIZE];/* transport error text, "" if none */
	struct buf body;            /* buffered body (empty when a sink was used) */
	/* Value of the X-Camcloud-Signature response header, "" if absent. */
	char signature[HTTP_HEADER_VALUE_MAX];
	uint64_t content_length;    /* from headers, 0 if unknown */
	char content_range[HTTP_HEADER_VALUE_MAX];
};

/* Returns the number of bytes consumed; anything else aborts the transfer. */
typedef size_t (*http_sink_fn)(const void *data, size_t len, void *arg);
/* Called once per request, on the loop, after the transfer ended. The response
 * is valid only during the call. The request is freed after it returns. */
typedef void (*http_done_fn)(const struct http_response *resp, void *arg);

struct http_request_spec {
	const char *method;         /* "GET" (default) or "POST" */
	const char *url;
	const char *body;           /* POST body (copied), may be NULL */
	size_t body_len;
	const char *bearer;         /* Authorization: Bearer ..., may be NULL */
	const char *signature;      /* X-Camagent-Signature value, may be NULL */
	long timeout_s;             /* whole transfer; 0: none (downloads); a held request's cap */
	/* A held request (the task long poll): the server sends nothing until it answers,
	 * so no low-speed abort applies; it ends by the answer, by timeout_s, or by a
	 * transport fault (TCP keepalive finds a dead peer without waking us). */
	int held;
	uint64_t resume_from;       /* > 0: Range: bytes=<resume_from>- */
	uint64_t max_recv_speed;    /* bytes/s, 0: unlimited */
	http_sink_fn sink;          /* NULL: buffer body (up to HTTP_BODY_MAX) */
	void *sink_arg;
	http_done_fn done;
	void *done_arg;
};

int http_client_new(struct http_client **out, struct event_base *base,
		    const struct http_client_config *cfg);
/* Cancels every pending request without calling its done callback. */
void http_client_free(struct http_client *c);

/* Starts a request; NULL (and nothing called) when it could not be started. */
struct http_request *http_start(struct http_client *c, const struct http_request_spec *spec);
/* Cancels a pending request; its done callback is not called. */
void http_cancel(struct http_request *r);

/* Runs a handle its caller configured itself (a platform backend's VAPIX request) on this
 * client's multi, beside the agent's own requests: done(easy, result, arg) is called once,
 * on the loop, when it ended. The caller keeps the handle (and must not use
 * CURLOPT_PRIVATE). NULL when it could not be added. http_cancel stops it. */
typedef void (*http_easy_done_fn)(CURL *easy, CURLcode result, void *arg);
struct http_request *http_adopt(struct http_client *c, CURL *easy, http_easy_done_fn done,
				void *arg);

/* Takes one response header line of n bytes (not NUL-terminated, CRLF included) into resp:
 * the status line resets what earlier headers set. */
void http_response_header(struct http_response *resp, const char *line, size_t n);

/* Whether url may be used under cfg: https always, http only to loopback when allowed. */
int http_url_allowed(const char *url, int allow_insecure_http);

#endif
