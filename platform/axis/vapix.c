/* vapix: blocking HTTP to the camera's local VAPIX host with libcurl easy. Blocking is
 * acceptable here: these are short loopback calls on the camera itself, each bounded in
 * time and reply size. Basic auth with the D-Bus service account, as the Axis example
 * does [EX-VAPIX vapix_example.c: CURLAUTH_BASIC against http://127.0.0.12]. */
#include "axis.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <curl/curl.h>

#include "../../lib/json.h"
#include "../../lib/log.h"
#include "../image_reader.h"

#define CONNECT_TIMEOUT_S 5

int axis_fail(char *reason, size_t reasonsz, const char *fmt, ...)
{
	va_list ap;

	if (reason && reasonsz) {
		va_start(ap, fmt);
		vsnprintf(reason, reasonsz, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void axis_printable(char *out, size_t outsz, const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && s[i] && o + 1 < outsz; i++)
		out[o++] = isprint((unsigned char)s[i]) ? s[i] : '?';
	if (outsz)
		out[o] = '\0';
}

struct request {
	const char *path;
	const char *body;            /* JSON or form body, or NULL with parts */
	const char *content_type;
	const struct axis_part *parts;
	int nparts;
	long timeout_s;
};

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

static int add_parts(CURL *h, curl_mime *mime, const struct request *rq)
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

/* One attempt. Returns the HTTP status (>0), or -1 with reason for a transport error. */
static long attempt(struct axis *ax, const struct request *rq, struct buf *reply, char *reason,
		    size_t reasonsz)
{
	char url[AXIS_URL_MAX + 512];
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	curl_mime *mime = NULL;
	CURL *h;
	CURLcode rc;
	long status = -1;

	if (snprintf(url, sizeof(url), "%s%s", ax->base_url, rq->path) >= (int)sizeof(url))
		return axis_fail(reason, reasonsz, "VAPIX URL too long");
	h = curl_easy_init();
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
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(h, CURLOPT_USERNAME, ax->user);
	curl_easy_setopt(h, CURLOPT_PASSWORD, ax->password);
	headers = curl_slist_append(headers, "Expect:"); /* no 100-continue round trip */
	if (rq->parts) {
		mime = curl_mime_init(h);
		if (!mime || add_parts(h, mime, rq) != 0) {
			axis_fail(reason, reasonsz, "cannot build the multipart request");
			goto out;
		}
		curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
	} else {
		char ct[96];

		snprintf(ct, sizeof(ct), "Content-Type: %s", rq->content_type);
		headers = curl_slist_append(headers, ct);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(rq->body));
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	rc = curl_easy_perform(h);
	if (rc == CURLE_WRITE_ERROR)
		axis_fail(reason, reasonsz, "VAPIX %s: reply larger than %d bytes", rq->path,
			  AXIS_REPLY_MAX);
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		axis_fail(reason, reasonsz, "VAPIX %s: no complete reply within %ld s", rq->path,
			  rq->timeout_s);
	else if (rc != CURLE_OK)
		axis_fail(reason, reasonsz, "VAPIX %s: cannot reach the camera at %s: %s", rq->path,
			  ax->base_url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	else
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
out:
	curl_mime_free(mime);
	curl_slist_free_all(headers);
	curl_easy_cleanup(h);
	return status;
}

static int request(struct axis *ax, const struct request *rq, struct buf *reply, char *reason,
		   size_t reasonsz)
{
	long status = attempt(ax, rq, reply, reason, reasonsz);

	if (status == 401) {
		/* Service accounts vanish on a camera reboot [VAPIXACC]: fetch again, once. */
		log_info("VAPIX %s: 401; fetching the service account again", rq->path);
		if (axis_fetch_credentials(ax, reason, reasonsz) != 0)
			return -1;
		status = attempt(ax, rq, reply, reason, reasonsz);
	}
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

int axis_post_json(struct axis *ax, const char *path, const char *json, struct buf *reply,
		   char *reason, size_t reasonsz)
{
	struct request rq = { .path = path, .body = json, .content_type = "application/json",
			      .timeout_s = ax->timeout_s };

	return request(ax, &rq, reply, reason, reasonsz);
}

int axis_post_form(struct axis *ax, const char *path, const char *form, struct buf *reply,
		   char *reason, size_t reasonsz)
{
	struct request rq = { .path = path, .body = form,
			      .content_type = "application/x-www-form-urlencoded",
			      .timeout_s = ax->timeout_s };

	return request(ax, &rq, reply, reason, reasonsz);
}

int axis_post_multipart(struct axis *ax, const char *path, const struct axis_part *parts,
			int nparts, long timeout_s, struct buf *reply, char *reason,
			size_t reasonsz)
{
	struct request rq = { .path = path, .parts = parts, .nparts = nparts,
			      .timeout_s = timeout_s > 0 ? timeout_s : ax->timeout_s };

	return request(ax, &rq, reply, reason, reasonsz);
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
