/* vapix: HTTP to the camera's local VAPIX host with libcurl. Every request runs on the
 * agent's curl multi (vapix_start), so the loop goes on; each is bounded in time (connect
 * 5 s, whole call timeout_s) and reply size. Basic auth with the D-Bus service account, as the Axis example
 * does [EX-VAPIX vapix_example.c: CURLAUTH_BASIC against http://127.0.0.12]. */
#include "axis.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "../../lib/json.h"
#include "../../lib/log.h"
#include "../image_reader.h"

#define CONNECT_TIMEOUT_S 5

void axis_printable(char *out, size_t outsz, const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && s[i] && o + 1 < outsz; i++)
		out[o++] = isprint((unsigned char)s[i]) ? s[i] : '?';
	if (outsz)
		out[o] = '\0';
}


static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	return buf_append(b, p, size * n) == 0 ? size * n : 0; /* 0 aborts: reply too large */
}

static size_t on_image_read(char *buf, size_t size, size_t n, void *arg)
{
	struct image_reader *r = arg;
	ssize_t got = image_reader_read(r, buf, size * n, r->failure, sizeof(r->failure));

	return got < 0 ? CURL_READFUNC_ABORT : (size_t)got;
}

static int on_image_seek(void *arg, curl_off_t offset, int origin)
{
	/* Only a resend from the start: the hash is redone with it. */
	if (offset != 0 || origin != SEEK_SET || image_reader_rewind(arg) != 0)
		return CURL_SEEKFUNC_CANTSEEK;
	return CURL_SEEKFUNC_OK;
}

static int add_image(curl_mimepart *part, struct image_reader *r)
{
	if (image_reader_rewind(r) != 0)
		return -1;
	return curl_mime_data_cb(part, (curl_off_t)r->size, on_image_read, on_image_seek, NULL,
				 r) == CURLE_OK
		       ? 0
		       : -1;
}

static int add_parts(CURL *h, curl_mime *mime, const struct vapix_request *rq)
{
	for (int i = 0; i < rq->nparts; i++) {
		const struct axis_part *p = &rq->parts[i];
		curl_mimepart *part = curl_mime_addpart(mime);

		if (!part || curl_mime_name(part, p->name) != CURLE_OK)
			return -1;
		if (p->image ? add_image(part, p->image) != 0
			     : curl_mime_data(part, p->data, p->len) != CURLE_OK)
			return -1;
		if (curl_mime_filename(part, p->filename) != CURLE_OK ||
		    (p->type && curl_mime_type(part, p->type) != CURLE_OK))
			return -1;
	}
	(void)h;
	return 0;
}

/* One transfer's handle and what it needs while it runs. */
struct handle {
	CURL *h;
	struct curl_slist *headers;
	curl_mime *mime;
	char errbuf[CURL_ERROR_SIZE];
};

static void handle_free(struct handle *hd)
{
	curl_mime_free(hd->mime);
	curl_slist_free_all(hd->headers);
	if (hd->h)
		curl_easy_cleanup(hd->h);
	memset(hd, 0, sizeof(*hd));
}

/* Sets up one attempt of rq into hd; 0, or -1 with reason (hd freed). */
static int prepare(struct axis *ax, const struct vapix_request *rq, struct buf *reply,
		   struct handle *hd, char *reason, size_t reasonsz)
{
	char url[AXIS_URL_MAX + 512];
	CURL *h;

	memset(hd, 0, sizeof(*hd));
	if (snprintf(url, sizeof(url), "%s%s", ax->base_url, rq->path) >= (int)sizeof(url))
		return axis_fail(reason, reasonsz, "VAPIX URL too long");
	h = hd->h = curl_easy_init();
	if (!h)
		return axis_fail(reason, reasonsz, "cannot create an HTTP handle");
	buf_reset(reply);
	curl_easy_setopt(h, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500 /* older libcurl: the URL is our own http://127.0.0.12 */
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROXY, "");  /* the local host never goes through a proxy */
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, rq->timeout_s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, hd->errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(h, CURLOPT_USERNAME, ax->user);
	curl_easy_setopt(h, CURLOPT_PASSWORD, ax->password);
	hd->headers = curl_slist_append(hd->headers, "Expect:"); /* no 100-continue round trip */
	if (rq->parts) {
		hd->mime = curl_mime_init(h);
		if (!hd->mime || add_parts(h, hd->mime, rq) != 0) {
			handle_free(hd);
			return axis_fail(reason, reasonsz, "cannot build the multipart request");
		}
		curl_easy_setopt(h, CURLOPT_MIMEPOST, hd->mime);
	} else {
		char ct[96];

		snprintf(ct, sizeof(ct), "Content-Type: %s", rq->content_type);
		hd->headers = curl_slist_append(hd->headers, ct);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(rq->body));
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd->headers);
	return 0;
}

/* The HTTP status (>0) of an ended attempt, or -1 with reason for a transport error. */
static long attempt_status(struct axis *ax, const struct vapix_request *rq, struct handle *hd,
			   CURLcode rc, char *reason, size_t reasonsz)
{
	long status = -1;

	if (rc == CURLE_WRITE_ERROR)
		axis_fail(reason, reasonsz, "VAPIX %s: reply larger than %d bytes", rq->path,
			  AXIS_REPLY_MAX);
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		axis_fail(reason, reasonsz, "VAPIX %s: no complete reply within %ld s", rq->path,
			  rq->timeout_s);
	else if (rc != CURLE_OK)
		axis_fail(reason, reasonsz, "VAPIX %s: cannot reach the camera at %s: %s", rq->path,
			  ax->base_url, hd->errbuf[0] ? hd->errbuf : curl_easy_strerror(rc));
	else
		curl_easy_getinfo(hd->h, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

/* 0 for HTTP 200, else -1 with reason. */
static int final_status(const struct vapix_request *rq, long status, char *reason, size_t reasonsz)
{
	if (status < 0)
		return -1;
	if (status == 401)
		return axis_fail(reason, reasonsz,
				 "VAPIX %s: the camera refused the service account (HTTP 401)",
				 rq->path);
	if (status != 200)
		return axis_fail(reason, reasonsz, "VAPIX %s: HTTP %ld", rq->path, status);
	return 0;
}

/* ---- a request on the agent's multi ---- */

struct axis_call {
	struct axis *ax;
	struct vapix_request rq;
	char *path, *body;           /* the call's own copies of rq's strings */
	struct buf *reply;
	struct handle hd;
	void *transfer;
	int retried;
	int refetching;              /* waiting for the account after a 401 */
	axis_call_done_fn done;
	void *arg;
};

static void on_call_transfer_done(CURL *easy, CURLcode result, void *arg);

static int call_run(struct axis_call *c, char *reason, size_t reasonsz)
{
	if (prepare(c->ax, &c->rq, c->reply, &c->hd, reason, reasonsz) != 0)
		return -1;
	c->transfer = c->ax->net->start(c->ax->net->priv, c->hd.h, on_call_transfer_done, c);
	if (!c->transfer) {
		handle_free(&c->hd);
		return axis_fail(reason, reasonsz, "VAPIX %s: cannot start the request", c->rq.path);
	}
	return 0;
}

/* The account fetched again after a 401 (on the loop): the one retry. */
static void on_refetched(void *arg, int rc, const char *reason)
{
	struct axis_call *c = arg;
	char why[PLATFORM_REASON_MAX];

	c->refetching = 0;
	if (rc == 0 && call_run(c, why, sizeof(why)) == 0)
		return;
	c->done(c->arg, -1, rc == 0 ? why : reason); /* may free c: no use after */
}

static void on_call_transfer_done(CURL *easy, CURLcode result, void *arg)
{
	struct axis_call *c = arg;
	char reason[PLATFORM_REASON_MAX] = "";
	long status = attempt_status(c->ax, &c->rq, &c->hd, result, reason, sizeof(reason));
	int rc;

	(void)easy;
	handle_free(&c->hd);
	c->transfer = NULL;
	if (status == 401 && !c->retried) {
		/* Service accounts vanish on a camera reboot [VAPIXACC]: fetch it again, once */
		log_info("VAPIX %s: 401; fetching the service account again", c->rq.path);
		c->retried = 1;
		if (axis_fetch_credentials_start(c->ax, on_refetched, c, reason, sizeof(reason)) == 0) {
			c->refetching = 1;
			return;
		}
		/* a fetch under way for another request: this one ends with the 401 */
		log_warn("VAPIX %s: %s", c->rq.path, reason);
	}
	rc = final_status(&c->rq, status, reason, sizeof(reason));
	c->done(c->arg, rc, reason); /* may free c through axis_call_free: no use after */
}

int vapix_start(struct axis *ax, const struct vapix_request *rq, struct buf *reply,
		axis_call_done_fn done, void *arg, struct axis_call **out, char *reason,
		size_t reasonsz)
{
	struct axis_call *c;

	*out = NULL;
	if (!ax->net)
		return axis_fail(reason, reasonsz, "VAPIX %s: no loop to run the request on",
				 rq->path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return axis_fail(reason, reasonsz, "out of memory");
	c->ax = ax;
	c->rq = *rq;
	c->path = strdup(rq->path);
	c->body = rq->body ? strdup(rq->body) : NULL;
	if (!c->path || (rq->body && !c->body)) {
		axis_call_free(c);
		return axis_fail(reason, reasonsz, "out of memory");
	}
	c->rq.path = c->path;
	c->rq.body = c->body;
	if (c->rq.timeout_s <= 0)
		c->rq.timeout_s = ax->timeout_s;
	c->reply = reply;
	c->done = done;
	c->arg = arg;
	if (call_run(c, reason, reasonsz) != 0) {
		axis_call_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

void axis_call_free(struct axis_call *c)
{
	if (!c)
		return;
	if (c->transfer)
		c->ax->net->cancel(c->ax->net->priv, c->transfer);
	if (c->refetching)
		axis_fetch_credentials_drop(c->ax);
	handle_free(&c->hd);
	free(c->path);
	free(c->body);
	free(c);
}

static const char *code_meaning(const struct axis_code *codes, int64_t code)
{
	for (; codes && codes->meaning; codes++)
		if (codes->code == code)
			return codes->meaning;
	return "undocumented error code";
}

int axis_json_reply(const char *what, const struct buf *reply, struct json_doc *doc,
		    int max_tokens, const struct axis_code *codes, int *data_tok, char *reason,
		    size_t reasonsz)
{
	char msg[160] = "", raw[160];
	int64_t code = 0;
	int err;

	if (reply->len == 0)
		return axis_fail(reason, reasonsz, "%s: empty reply", what);
	if (json_parse(doc, buf_str(reply), reply->len, max_tokens) != 0 ||
	    json_type_of(doc, 0) != JSON_OBJECT) {
		json_free(doc);
		axis_printable(raw, 48, buf_str(reply), reply->len);
		return axis_fail(reason, reasonsz, "%s: reply is not a JSON object (starts \"%s\")",
				 what, raw);
	}
	err = json_find(doc, 0, "error");
	if (err >= 0) {
		if (json_get_int64(doc, err, "code", &code) != 0) {
			json_free(doc);
			return axis_fail(reason, reasonsz, "%s: error reply without a numeric code",
					 what);
		}
		if (json_get_string(doc, err, "message", raw, sizeof(raw)) == 0)
			axis_printable(msg, sizeof(msg), raw, strlen(raw));
		json_free(doc);
		return axis_fail(reason, reasonsz, "%s: error %lld (%s)%s%s", what, (long long)code,
				 code_meaning(codes, code), msg[0] ? ": " : "", msg);
	}
	*data_tok = json_find(doc, 0, "data");
	if (*data_tok < 0 || json_type_of(doc, *data_tok) != JSON_OBJECT) {
		json_free(doc);
		return axis_fail(reason, reasonsz, "%s: reply has neither \"data\" nor \"error\"",
				 what);
	}
	return 0;
}
