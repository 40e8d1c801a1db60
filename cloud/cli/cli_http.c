/* cli_http: the admin command line's HTTP side — one libcurl easy request per call
 * with the admin bearer token, the error format of protocol §1 turned into a
 * message on stderr — and the helpers that build request bodies with jw_*. */
#include "cli_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../domain/payload.h"
#include "../domain/policy.h"
#include "../http/session.h"

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
	return buf_append(arg, p, sz * n) == 0 ? sz * n : 0;
}

/* Keeps the session cookie of a sign-in reply (camcloud login). */
static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct cli *c = arg;
	const char *name = "set-cookie: " SESSION_COOKIE "=";
	size_t len = sz * n, nl = strlen(name);
	if (len > nl && strncasecmp(p, name, nl) == 0) {
		size_t v = strcspn(p + nl, ";\r\n");
		if (v > 0 && v < sizeof(c->cookie)) {
			memcpy(c->cookie, p + nl, v);
			c->cookie[v] = '\0';
		}
	}
	return len;
}

static void print_error(const struct buf *body, long status)
{
	struct json_doc d;
	char msg[1024];
	if (body->len && json_parse(&d, buf_str(body), body->len, 64) == 0) {
		int ok = json_get_string(&d, 0, "error.message", msg, sizeof(msg)) >= 0;
		json_free(&d);
		if (ok) {
			fprintf(stderr, "camcloud: %s\n", msg);
			return;
		}
	}
	fprintf(stderr, "camcloud: server answered HTTP %ld\n", status);
}

static int header_add(struct curl_slist **h, const char *line)
{
	struct curl_slist *n = curl_slist_append(*h, line);
	if (!n)
		return -1;
	*h = n;
	return 0;
}

int cli_call_raw(struct cli *c, const struct cli_raw *rq, struct buf *out, long *status)
{
	char url[CLOUD_URL_MAX + REQ_PATH_MAX], auth[BEARER_MAX + 32], err[CURL_ERROR_SIZE] = "";
	char type[96];
	struct curl_slist *h = NULL;
	int ok;

	*status = 0;
	snprintf(url, sizeof(url), "%s%s", c->url, rq->path);
	if (c->cookie[0]) /* a session: the cookie and the CSRF token it needs */
		snprintf(auth, sizeof(auth), "Cookie: " SESSION_COOKIE "=%s", c->cookie);
	else
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
	ok = header_add(&h, auth) == 0;
	memset(auth, 0, sizeof(auth));
	if (ok && c->cookie[0]) {
		snprintf(auth, sizeof(auth), "X-CSRF-Token: %s", c->csrf);
		ok = header_add(&h, auth) == 0;
		memset(auth, 0, sizeof(auth));
	}
	snprintf(type, sizeof(type), "Content-Type: %s",
		 rq->content_type ? rq->content_type : "application/json");
	ok = ok && header_add(&h, type) == 0 && (!rq->header || header_add(&h, rq->header) == 0) &&
	     header_add(&h, "Expect:") == 0; /* no 100-continue round trip */
	if (!ok) {
		curl_slist_free_all(h);
		fprintf(stderr, "camcloud: out of memory\n");
		return -1;
	}
	buf_reset(out);
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, rq->method);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, err);
	if (c->want_cookie) {
		curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, c);
	}
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 120L);
#if LIBCURL_VERSION_NUM >= 0x075500 /* older libcurl (a floor sysroot): any scheme it has */
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	if (rq->data) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, rq->data);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->len);
	}
	CURLcode rc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	if (rc != CURLE_OK) {
		*status = 0;
		fprintf(stderr, "camcloud: %s %s: %s\n", rq->method, url,
			err[0] ? err : curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

void cli_print_error(const struct buf *body, long status)
{
	print_error(body, status);
}

/* One admin request. 0 on 2xx (reply body in out), else prints why and returns -1. */
int cli_call(struct cli *c, const char *method, const char *path, const struct buf *body,
	     struct buf *out)
{
	struct cli_raw rq = {method, path, body ? buf_str(body) : NULL, body ? body->len : 0,
			     NULL, NULL};
	long status = 0;
	if (cli_call_raw(c, &rq, out, &status) != 0)
		return -1;
	if (status < 200 || status > 299) {
		print_error(out, status);
		return -1;
	}
	return 0;
}

/* Reads key (a string) of the JSON object in body into out. */
int cli_reply_get(const struct buf *body, const char *key, char *out, size_t outsz)
{
	struct json_doc d;
	if (json_parse(&d, buf_str(body), body->len, CLI_JSON_TOKENS) != 0) {
		fprintf(stderr, "camcloud: the server's reply is not JSON\n");
		return -1;
	}
	int rc = json_get_string(&d, 0, key, out, outsz) >= 0 ? 0 : -1;
	json_free(&d);
	if (rc != 0)
		fprintf(stderr, "camcloud: the server's reply has no '%s'\n", key);
	return rc;
}

/* POSTs/GETs and prints one string field of the reply (an id, a token). */
int cli_call_print(struct cli *c, const char *method, const char *path, struct buf *body,
		      const char *key)
{
	char val[TOKEN_STRING_MAX];
	struct buf out;
	buf_init(&out, CLI_REPLY_MAX);
	int rc = cli_call(c, method, path, body, &out) == 0 && (!key || cli_reply_get(&out, key, val,
									      sizeof(val)) == 0) ? 0 : 1;
	if (rc == 0)
		printf("%s\n", key ? val : buf_str(&out));
	buf_free(&out);
	return rc;
}

struct json_writer *cli_body_begin(struct cli_body *bd)
{
	buf_init(&bd->b, 64 * 1024);
	jw_init(&bd->w, &bd->b);
	jw_object_begin(&bd->w);
	return &bd->w;
}

/* Closes the object and sends it; prints key of the reply (or all of it if NULL). */
int cli_body_send(struct cli *c, struct cli_body *bd, const char *path, const char *key)
{
	jw_object_end(&bd->w);
	int rc = jw_finish(&bd->w) == 0 ? cli_call_print(c, "POST", path, &bd->b, key) : 1;
	if (rc && bd->w.failed)
		fprintf(stderr, "camcloud: request body too large\n");
	if (bd->b.data)
		memset(bd->b.data, 0, bd->b.len); /* it may hold a token secret */
	buf_free(&bd->b);
	return rc;
}

int cli_opt_int(const char *s, int64_t *out)
{
	char *end;
	if (!s || !*s)
		return -1;
	long long v = strtoll(s, &end, 10);
	if (*end || v < 0)
		return -1;
	*out = v;
	return 0;
}

/* Builds "/admin/v1/<what>/<id><tail>" with id checked to be an id. */
int cli_id_path(char *out, size_t outsz, const char *what, const char *id, const char *tail)
{
	if (!is_hex_id(id)) {
		fprintf(stderr, "camcloud: '%s' is not an id (32 hex digits)\n", id);
		return -1;
	}
	snprintf(out, outsz, "/admin/v1/%s/%s%s", what, id, tail);
	return 0;
}


int cli_query_path(struct cli *c, char *out, size_t outsz, const char *base, const char *key,
		   const char *value)
{
	if (!value) {
		snprintf(out, outsz, "%s", base);
		return 0;
	}
	char *esc = curl_easy_escape(c->curl, value, 0);
	int n = esc ? snprintf(out, outsz, "%s%c%s=%s", base, strchr(base, '?') ? '&' : '?', key,
			       esc)
		    : -1;
	curl_free(esc);
	if (n < 0 || (size_t)n >= outsz) {
		fprintf(stderr, "camcloud: %s value too long\n", key);
		return -1;
	}
	return 0;
}

void cli_kv_file(struct json_writer *w, const char *key, const char *path)
{
	char real[PATH_MAX];
	jw_kv_string(w, key, realpath(path, real) ? real : path);
}

int cli_id_array(struct json_writer *w, const char *key, const char *list)
{
	char id[DB_ID_LEN];
	jw_key(w, key);
	jw_array_begin(w);
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n == 0 || n >= sizeof(id))
			return -1;
		memcpy(id, p, n);
		id[n] = '\0';
		jw_string(w, id);
		p += n + (p[n] == ',');
	}
	jw_array_end(w);
	return 0;
}
