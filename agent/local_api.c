/* local_api: see local_api.h. One instance per process (the agent is one per process). */
#include "local_api.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/http.h>

#include "../lib/buf.h"
#include "../lib/crypto.h"
#include "../lib/fsutil.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "agent.h"
#include "enroll.h"
#include "status.h"

#define TOKEN_FILE "enrollment_token"
#define BODY_MAX 4096
#define STATUS_MAX (32 * 1024)


int local_api_saved_token(const char *state_dir, char *out, size_t outsz)
{
	char path[PATH_MAX];
	struct buf text;
	int rc = -1;

	buf_init(&text, CONFIG_TOKEN_MAX);
	if (state_path(path, sizeof(path), state_dir, TOKEN_FILE) == 0 &&
	    fs_read_file(path, &text, CONFIG_TOKEN_MAX) == 0 && text.len > 0 && text.len < outsz &&
	    strlen(text.data) == text.len) {
		memcpy(out, text.data, text.len + 1);
		rc = 0;
	}
	if (text.data)
		explicit_bzero(text.data, text.alloc);
	buf_free(&text);
	return rc;
}

static void reply(struct evhttp_request *req, int status, const char *json, size_t len)
{
	struct evbuffer *out = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (out)
		evbuffer_add(out, json, len);
	evhttp_send_reply(req, status, status < 300 ? "OK" : "Error", out);
	if (out)
		evbuffer_free(out);
}

static void reply_error(struct evhttp_request *req, int status, const char *code,
			const char *message)
{
	struct buf out;
	struct json_writer w;

	buf_init(&out, 2048);
	jw_init(&w, &out);
	jw_object_begin(&w);
	jw_key(&w, "error");
	jw_object_begin(&w);
	jw_kv_string(&w, "code", code);
	jw_kv_string(&w, "message", message);
	jw_object_end(&w);
	jw_object_end(&w);
	if (jw_finish(&w) == 0)
		reply(req, status, out.data, out.len);
	else
		reply(req, 500, "{}", 2);
	buf_free(&out);
}

static void get_status(struct agent *a, struct evhttp_request *req)
{
	struct buf out;

	buf_init(&out, STATUS_MAX);
	if (status_json(a, &out) == 0)
		reply(req, 200, out.data, out.len);
	else
		reply_error(req, 500, "internal", "cannot build the status");
	buf_free(&out);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void post_token(struct agent *a, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *ctype = evhttp_find_header(evhttp_request_get_input_headers(req),
					       "Content-Type");
	size_t len = evbuffer_get_length(in);
	char body[BODY_MAX + 1], raw[CONFIG_TOKEN_MAX], err[256], path[PATH_MAX];
	char digest[CRYPTO_SHA256_HEX_LEN];
	struct enroll_token tok;
	struct json_doc doc = { 0 };
	char *token;

	/* JSON only: a cross-site form cannot send it without the browser asking first. */
	if (!ctype || strncmp(ctype, "application/json", 16) != 0) {
		reply_error(req, 415, "bad_request", "send {\"token\": \"cam1...\"} as application/json");
		return;
	}
	if (len == 0 || len > BODY_MAX) {
		reply_error(req, 400, "bad_request", "the body must be a small JSON object");
		return;
	}
	evbuffer_remove(in, body, len);
	body[len] = '\0';
	if (json_parse(&doc, body, len, 16) != 0 ||
	    json_get_string(&doc, 0, "token", raw, sizeof(raw)) != 0) {
		json_free(&doc);
		explicit_bzero(body, sizeof(body));
		reply_error(req, 400, "bad_request", "expected {\"token\": \"cam1...\"}");
		return;
	}
	json_free(&doc);
	explicit_bzero(body, sizeof(body));
	token = trim(raw);
	if (enroll_token_parse(token, &tok, err, sizeof(err)) != 0) {
		reply_error(req, 400, "bad_token", err);
		goto out;
	}
	if (a->st.enroll == ENROLL_ENROLLED) {
		snprintf(err, sizeof(err),
			 "this camera is already enrolled (organization '%s', folder '%s'); remove it "
			 "in the cloud before enrolling it again",
			 a->st.org, a->st.folder);
		reply_error(req, 409, "already_enrolled", err);
		goto out;
	}
	crypto_sha256_hex(token, strlen(token), digest);
	if (!strcmp(digest, a->st.spent_token_sha256)) {
		reply_error(req, 409, "token_spent",
			    "this token was already used or refused here; create a new one");
		goto out;
	}
	if (state_path(path, sizeof(path), a->cfg.state_dir, TOKEN_FILE) != 0 ||
	    fs_write_atomic(path, token, strlen(token), 0600) != 0) {
		log_error("local API: cannot keep the enrollment token in %s: %s", a->cfg.state_dir,
			  strerror(errno));
		reply_error(req, 500, "internal", "cannot store the token on the camera");
		goto out;
	}
	snprintf(a->cfg.enrollment_token, sizeof(a->cfg.enrollment_token), "%s", token);
	a->st.last_error[0] = '\0';
	log_info("local API: enrollment token received from the settings page (cloud %s)", tok.url);
	status_write(a);
	agent_wake(a);
	reply(req, 202, "{\"accepted\":true}", 17);
out:
	explicit_bzero(&tok, sizeof(tok));
	explicit_bzero(raw, sizeof(raw));
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct agent *a = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (!path) {
		reply_error(req, 400, "bad_request", "bad request line");
		return;
	}
	if (!strncmp(path, "/api/", 5))
		path += 4;
	if (!strcmp(path, "/status")) {
		if (cmd == EVHTTP_REQ_GET)
			get_status(a, req);
		else
			reply_error(req, 405, "bad_request", "use GET");
	} else if (!strcmp(path, "/enrollment-token")) {
		if (cmd == EVHTTP_REQ_POST)
			post_token(a, req);
		else
			reply_error(req, 405, "bad_request", "use POST");
	} else {
		reply_error(req, 404, "not_found", "no such API path");
	}
}

void local_api_start(struct agent *a)
{
	if (!a->cfg.local_api_port || a->local_api)
		return;
	struct evhttp *server = evhttp_new(a->base);
	if (!server) {
		log_error("local API: cannot create the HTTP server");
		return;
	}
	evhttp_set_max_body_size(server, BODY_MAX);
	evhttp_set_allowed_methods(server, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_timeout(server, 30);
	evhttp_set_gencb(server, on_request, a);
	if (evhttp_bind_socket(server, "127.0.0.1", (ev_uint16_t)a->cfg.local_api_port) != 0) {
		log_warn("local API: cannot listen on 127.0.0.1:%d (%s); the settings page will not "
			 "reach the agent",
			 a->cfg.local_api_port, strerror(errno));
		evhttp_free(server);
		return;
	}
	a->local_api = server;
	log_info("local API for the settings page on 127.0.0.1:%d", a->cfg.local_api_port);
}

void local_api_stop(struct agent *a)
{
	if (a->local_api) {
		evhttp_free(a->local_api);
		a->local_api = NULL;
	}
}
