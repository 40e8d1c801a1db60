/* http: the agent's HTTP client on libcurl's multi interface, run by the agent's libevent
 * loop through lib/curl_loop.c: requests with the URL policy, pacing, resumable sinks and
 * bounded bodies; each request's done callback when its transfer ended. */
#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../lib/curl_loop.h"
#include "../lib/log.h"
#include "../lib/url.h"

#ifndef CAMAGENT_VERSION
#define CAMAGENT_VERSION "dev"
#endif

#define DEFAULT_CONNECT_TIMEOUT_S 10L
#define DEFAULT_LOW_SPEED_TIME_S 30L
/* A silent peer is probed by the kernel after this long, then every KEEPINTVL:
 * no timer of ours runs meanwhile. */
#define TCP_KEEPIDLE_S 20L
#define TCP_KEEPINTVL_S 10L
#define URL_LOG_MAX 200

struct http_request {
	struct http_client *c;
	CURL *easy;
	struct curl_slist *headers;
	struct http_response resp;
	http_sink_fn sink;
	void *sink_arg;
	http_done_fn done;
	void *done_arg;
	http_easy_done_fn easy_done; /* an adopted handle: the caller's, not freed here */
	int too_large;   /* the buffered body went over HTTP_BODY_MAX */
	/* Pacing (max_recv_speed): curl's own limiter overshoots by a third on short
	 * transfers, so we pause the transfer whenever it runs ahead of the rate. */
	uint64_t max_speed;
	uint64_t paced_bytes;
	struct timespec paced_since;
	struct event *unpause;
	int in_done;     /* its done callback is running: the request is already detached */
	struct http_request *prev, *next;
};

struct http_client {
	struct event_base *base;
	struct curl_loop *loop;
	CURLM *multi;                  /* the loop's */
	char *ca_file;
	int allow_insecure_http;
	long connect_timeout_s;
	long low_speed_time_s;
	struct http_request *requests; /* pending (added to multi) requests */
};

/* ---- URL policy (lib/url.c) ---- */

int http_url_allowed(const char *url, int allow_insecure_http)
{
	return url_allowed(url, allow_insecure_http);
}

/* Logs a URL without its query string (pre-signed URLs carry credentials there). */
static void log_refused_url(const char *url, const char *why)
{
	size_t n = url ? strcspn(url, "?#") : 0;

	if (n > URL_LOG_MAX)
		n = URL_LOG_MAX;
	log_warn("http: refusing request to '%.*s': %s", (int)n, url ? url : "", why);
}

/* ---- request lifecycle ---- */

static void request_link(struct http_request *r)
{
	struct http_client *c = r->c;

	r->prev = NULL;
	r->next = c->requests;
	if (c->requests)
		c->requests->prev = r;
	c->requests = r;
}

static void request_unlink(struct http_request *r)
{
	struct http_client *c = r->c;

	if (r->prev)
		r->prev->next = r->next;
	else
		c->requests = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
}

static void request_free(struct http_request *r)
{
	if (r->unpause)
		event_free(r->unpause);
	if (r->easy && !r->easy_done)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	buf_free(&r->resp.body);
	free(r);
}

/* Removes a pending request from the multi handle and the client's list. */
static void request_detach(struct http_request *r)
{
	curl_multi_remove_handle(r->c->multi, r->easy);
	request_unlink(r);
}

static void fill_response(struct http_request *r, CURLcode code)
{
	struct http_response *resp = &r->resp;

	resp->curl_code = code;
	if (code == CURLE_OK) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &resp->status);
		resp->error[0] = '\0';
		return;
	}
	resp->status = 0;
	buf_reset(&resp->body); /* never hand out a partial body as if it were whole */
	if (r->too_large || (code == CURLE_FILESIZE_EXCEEDED && !r->sink))
		snprintf(resp->error, sizeof(resp->error), "response body too large");
	else if (resp->error[0] == '\0')
		snprintf(resp->error, sizeof(resp->error), "%s", curl_easy_strerror(code));
}

/* Finishes one transfer: detach first so the callback may start, cancel or free
 * other requests freely; the request itself is freed after the callback returns. */
static void request_finish(struct http_request *r, CURLcode code)
{
	request_detach(r);
	r->in_done = 1;
	if (r->easy_done) {
		r->easy_done(r->easy, code, r->done_arg);
		request_free(r);
		return;
	}
	fill_response(r, code);
	if (r->done)
		r->done(&r->resp, r->done_arg);
	request_free(r);
}

/* A transfer ended (lib/curl_loop.c). */
static void on_transfer_ended(CURL *easy, CURLcode code, void *arg)
{
	struct http_client *c = arg;
	char *priv = NULL;

	if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) != CURLE_OK || !priv) {
		log_error("http: finished transfer without a request");
		curl_multi_remove_handle(c->multi, easy);
		return;
	}
	request_finish((struct http_request *)priv, code);
}

/* ---- curl callbacks of a request ---- */

#define PACE_BURST (16 * 1024) /* bytes allowed ahead of the rate */

static void on_unpause(evutil_socket_t fd, short what, void *arg)
{
	struct http_request *r = arg;
	curl_easy_pause(r->easy, CURLPAUSE_CONT); /* may deliver the held data at once */
	curl_loop_kick(r->c->loop);
}

/* 0 to go on, 1 when this chunk must wait (transfer paused, timer armed). */
static int pace(struct http_request *r, size_t n)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (r->paced_bytes == 0 && r->paced_since.tv_sec == 0)
		r->paced_since = now;
	double elapsed = (double)(now.tv_sec - r->paced_since.tv_sec) +
			 (double)(now.tv_nsec - r->paced_since.tv_nsec) / 1e9;
	double allowed = (double)r->max_speed * elapsed + PACE_BURST;
	double ahead = (double)(r->paced_bytes + n) - allowed;
	if (ahead <= 0) {
		r->paced_bytes += n;
		return 0;
	}
	double wait = ahead / (double)r->max_speed;
	struct timeval tv = { (time_t)wait, (suseconds_t)((wait - (double)(time_t)wait) * 1e6) };
	if (!r->unpause)
		r->unpause = evtimer_new(r->c->base, on_unpause, r);
	if (!r->unpause || evtimer_add(r->unpause, &tv)) {
		r->paced_bytes += n; /* cannot wait: deliver rather than stall */
		return 0;
	}
	return 1;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_request *r = userp;
	size_t n = size * nmemb;

	if (r->max_speed && n && pace(r, n))
		return CURL_WRITEFUNC_PAUSE;
	if (r->sink) {
		long status = 0;
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
		/* Only a successful body goes to the sink; an error body is kept for the
		 * caller's diagnosis instead of ending up inside a downloaded file. */
		if (status >= 200 && status < 300)
			return r->sink(data, n, r->sink_arg);
		if (r->resp.body.len + n > HTTP_BODY_MAX || buf_append(&r->resp.body, data, n) != 0)
			log_debug("http: dropping the rest of an over-long error body");
		return n;
	}
	if (r->resp.body.len + n > HTTP_BODY_MAX || buf_append(&r->resp.body, data, n) != 0) {
		r->too_large = 1;
		return 0; /* aborts with CURLE_WRITE_ERROR */
	}
	return n;
}

/* Copies a header value, trimmed; an over-long value is dropped rather than cut. */
static void copy_header_value(char *out, size_t outsz, const char *v, size_t n, const char *name)
{
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' ||
			 v[n - 1] == '\n'))
		n--;
	if (n >= outsz) {
		log_warn("http: ignoring %s header of %zu bytes", name, n);
		out[0] = '\0';
		return;
	}
	memcpy(out, v, n);
	out[n] = '\0';
}

static uint64_t parse_u64(const char *s)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)s[0]))
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	return (uint64_t)v;
}

static int header_is(const char *line, size_t n, const char *name, const char **value,
		     size_t *vlen)
{
	size_t k = strlen(name);

	if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
		return 0;
	*value = line + k + 1;
	*vlen = n - k - 1;
	return 1;
}

void http_response_header(struct http_response *resp, const char *line, size_t n)
{
	const char *v;
	size_t vn;
	char tmp[32];

	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* A new response (after 100 Continue, say): forget the previous one's headers. */
		resp->signature[0] = '\0';
		resp->content_range[0] = '\0';
		resp->content_length = 0;
	} else if (header_is(line, n, "X-Camcloud-Signature", &v, &vn)) {
		copy_header_value(resp->signature, sizeof(resp->signature), v, vn,
				  "X-Camcloud-Signature");
	} else if (header_is(line, n, "Content-Range", &v, &vn)) {
		copy_header_value(resp->content_range, sizeof(resp->content_range), v, vn,
				  "Content-Range");
	} else if (header_is(line, n, "Content-Length", &v, &vn)) {
		copy_header_value(tmp, sizeof(tmp), v, vn, "Content-Length");
		resp->content_length = parse_u64(tmp);
	}
}

static size_t on_header(char *line, size_t size, size_t nitems, void *userp)
{
	struct http_request *r = userp;
	size_t n = size * nitems;

	http_response_header(&r->resp, line, n);
	return n;
}

/* ---- request setup ---- */

#define SETOPT(easy, opt, val) (curl_easy_setopt((easy), (opt), (val)) != CURLE_OK)

/* The options every request shares: timeouts, TLS, protocols, identification.
 * A held request gets no low-speed abort: curl's speed check would both cut it and
 * wake the loop every second while it waits. */
static int set_defaults(struct http_client *c, struct http_request *r, int held)
{
	CURL *e = r->easy;
	int bad = 0;

	bad |= SETOPT(e, CURLOPT_NOSIGNAL, 1L);
	bad |= SETOPT(e, CURLOPT_CONNECTTIMEOUT, c->connect_timeout_s);
	bad |= SETOPT(e, CURLOPT_LOW_SPEED_LIMIT, held ? 0L : 1L);
	bad |= SETOPT(e, CURLOPT_LOW_SPEED_TIME, held ? 0L : c->low_speed_time_s);
	bad |= SETOPT(e, CURLOPT_TCP_KEEPALIVE, 1L);
	bad |= SETOPT(e, CURLOPT_TCP_KEEPIDLE, TCP_KEEPIDLE_S);
	bad |= SETOPT(e, CURLOPT_TCP_KEEPINTVL, TCP_KEEPINTVL_S);
	bad |= SETOPT(e, CURLOPT_SSL_VERIFYPEER, 1L);
	bad |= SETOPT(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file)
		bad |= SETOPT(e, CURLOPT_CAINFO, c->ca_file);
#if LIBCURL_VERSION_NUM >= 0x075500
	bad |= SETOPT(e, CURLOPT_PROTOCOLS_STR, c->allow_insecure_http ? "http,https" : "https");
#else
	bad |= SETOPT(e, CURLOPT_PROTOCOLS,
		      c->allow_insecure_http ? (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)
					     : (long)CURLPROTO_HTTPS);
#endif
	bad |= SETOPT(e, CURLOPT_FOLLOWLOCATION, 0L);
	bad |= SETOPT(e, CURLOPT_ERRORBUFFER, r->resp.error);
	bad |= SETOPT(e, CURLOPT_USERAGENT, "camagent/" CAMAGENT_VERSION);
	bad |= SETOPT(e, CURLOPT_PRIVATE, (void *)r);
	bad |= SETOPT(e, CURLOPT_WRITEFUNCTION, on_body);
	bad |= SETOPT(e, CURLOPT_WRITEDATA, (void *)r);
	bad |= SETOPT(e, CURLOPT_HEADERFUNCTION, on_header);
	bad |= SETOPT(e, CURLOPT_HEADERDATA, (void *)r);
	return bad ? -1 : 0;
}

static int header_value_ok(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < ' ' || (unsigned char)*v == 0x7f)
			return 0;
	return 1;
}

/* Appends "name: value" ("name:" alone removes a header curl would add itself). */
static int add_header(struct http_request *r, const char *name, const char *prefix,
		      const char *value)
{
	struct buf line;
	struct curl_slist *l = NULL;

	buf_init(&line, 16384);
	if (buf_printf(&line, "%s:%s%s%s", name, *prefix || *value ? " " : "", prefix, value) == 0)
		l = curl_slist_append(r->headers, buf_str(&line));
	buf_free(&line);
	if (!l)
		return -1;
	r->headers = l;
	return 0;
}

/* Authorization, X-Camagent-Signature, Content-Type; no Expect: 100-continue. */
static int set_headers(struct http_request *r, const struct http_request_spec *spec, int post)
{
	if (spec->bearer && add_header(r, "Authorization", "Bearer ", spec->bearer) != 0)
		return -1;
	if (spec->signature && add_header(r, "X-Camagent-Signature", "", spec->signature) != 0)
		return -1;
	if (post) {
		if (add_header(r, "Content-Type", "", spec->body ? "application/json" : "") != 0)
			return -1;
		if (add_header(r, "Expect", "", "") != 0)
			return -1;
	}
	if (r->headers && SETOPT(r->easy, CURLOPT_HTTPHEADER, r->headers))
		return -1;
	return 0;
}

static int set_method(struct http_request *r, const struct http_request_spec *spec, int post)
{
	CURL *e = r->easy;
	int bad = 0;

	if (!post)
		return SETOPT(e, CURLOPT_HTTPGET, 1L) ? -1 : 0;
	bad |= SETOPT(e, CURLOPT_POST, 1L);
	bad |= SETOPT(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(spec->body ? spec->body_len : 0));
	bad |= SETOPT(e, CURLOPT_COPYPOSTFIELDS, spec->body ? spec->body : "");
	return bad ? -1 : 0;
}

static int set_transfer(struct http_request *r, const struct http_request_spec *spec)
{
	CURL *e = r->easy;
	int bad = 0;

	bad |= SETOPT(e, CURLOPT_URL, spec->url);
	bad |= SETOPT(e, CURLOPT_TIMEOUT, spec->timeout_s > 0 ? spec->timeout_s : 0L);
	if (spec->resume_from > 0)
		bad |= SETOPT(e, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)spec->resume_from);
	r->max_speed = spec->max_recv_speed;
	if (spec->sink) /* downloads: fewer, larger writes and hash updates */
		bad |= SETOPT(e, CURLOPT_BUFFERSIZE, 256L * 1024);
	if (!spec->sink)
		bad |= SETOPT(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_BODY_MAX);
	return bad ? -1 : 0;
}

/* Checks what can be checked before any allocation; NULL when fine, else why not. */
static const char *spec_problem(const struct http_client *c, const struct http_request_spec *spec,
				int *post)
{
	if (!spec->url)
		return "no URL";
	if (!http_url_allowed(spec->url, c->allow_insecure_http))
		return c->allow_insecure_http ? "not https, nor http to a loopback address"
					      : "not https (plain http is not allowed)";
	if (!spec->method || strcmp(spec->method, "GET") == 0)
		*post = 0;
	else if (strcmp(spec->method, "POST") == 0)
		*post = 1;
	else
		return "unsupported method";
	if (!*post && spec->body)
		return "a GET request cannot carry a body";
	if (spec->held && spec->timeout_s <= 0)
		return "a held request needs a cap (timeout_s)";
	if ((spec->bearer && !header_value_ok(spec->bearer)) ||
	    (spec->signature && !header_value_ok(spec->signature)))
		return "control characters in a header value";
	return NULL;
}

struct http_request *http_start(struct http_client *c, const struct http_request_spec *spec)
{
	struct http_request *r;
	const char *why;
	int post = 0;

	if (!c || !spec)
		return NULL;
	why = spec_problem(c, spec, &post);
	if (why) {
		log_refused_url(spec->url, why);
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		log_error("http: out of memory starting a request");
		return NULL;
	}
	r->c = c;
	r->sink = spec->sink;
	r->sink_arg = spec->sink_arg;
	r->done = spec->done;
	r->done_arg = spec->done_arg;
	buf_init(&r->resp.body, HTTP_BODY_MAX);
	r->easy = curl_easy_init();
	if (!r->easy || set_defaults(c, r, spec->held) != 0 || set_transfer(r, spec) != 0 ||
	    set_method(r, spec, post) != 0 || set_headers(r, spec, post) != 0) {
		log_error("http: cannot set up a request (out of memory?)");
		request_free(r);
		return NULL;
	}
	if (curl_multi_add_handle(c->multi, r->easy) != CURLM_OK) {
		log_error("http: cannot add a request to the multi handle");
		request_free(r);
		return NULL;
	}
	request_link(r);
	return r;
}

struct http_request *http_adopt(struct http_client *c, CURL *easy, http_easy_done_fn done,
				void *arg)
{
	struct http_request *r;

	if (!c || !easy || !done)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r) {
		log_error("http: out of memory adopting a request");
		return NULL;
	}
	r->c = c;
	r->easy = easy;
	r->easy_done = done;
	r->done_arg = arg;
	if (curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)r) != CURLE_OK ||
	    curl_multi_add_handle(c->multi, easy) != CURLM_OK) {
		log_error("http: cannot add a request to the multi handle");
		free(r);
		return NULL;
	}
	request_link(r);
	return r;
}

void http_cancel(struct http_request *r)
{
	if (!r || r->in_done) /* in its own done callback: freed when that returns */
		return;
	request_detach(r);
	request_free(r);
}

/* ---- client ---- */

int http_client_new(struct http_client **out, struct event_base *base,
		    const struct http_client_config *cfg)
{
	struct http_client *c;

	*out = NULL;
	if (!base)
		return -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("http: curl_global_init failed");
		return -1;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		log_error("http: out of memory creating the client");
		curl_global_cleanup();
		return -1;
	}
	c->base = base;
	c->allow_insecure_http = cfg && cfg->allow_insecure_http;
	c->connect_timeout_s = cfg && cfg->connect_timeout_s > 0 ? cfg->connect_timeout_s
								 : DEFAULT_CONNECT_TIMEOUT_S;
	c->low_speed_time_s = cfg && cfg->low_speed_time_s > 0 ? cfg->low_speed_time_s
							       : DEFAULT_LOW_SPEED_TIME_S;
	if (cfg && cfg->ca_file && !(c->ca_file = strdup(cfg->ca_file)))
		goto fail;
	if (curl_loop_new(&c->loop, base, on_transfer_ended, c) != 0)
		goto fail;
	c->multi = curl_loop_multi(c->loop);
	*out = c;
	return 0;
fail:
	log_error("http: cannot create the client (out of memory?)");
	http_client_free(c);
	return -1;
}

/* Must not be called from a done callback: the finishing request and the loop's
 * callback still use the client after the callback returns. Starting and cancelling
 * requests from a done callback is fine (cancelling the finishing one is a no-op). */
void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	while (c->requests)
		http_cancel(c->requests);
	curl_loop_free(c->loop);
	free(c->ca_file);
	free(c);
	curl_global_cleanup();
}
