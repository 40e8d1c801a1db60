/* vapix: camsim's HTTP front: routing, basic auth, reply sending and the fault switches.
 *
 * Faults: the file <dir>/faults, re-read on every request (rewrite it to change faults;
 * a changed file starts counting afresh). One rule a line, '#' comments:
 *     <cgi>[:<method or action>]  <fault>  [count|*]
 * cgi: basicdeviceinfo.cgi firmwaremanagement.cgi license.cgi list.cgi upload.cgi
 *      control.cgi config.cgi param.cgi or *. The method is the action (control.cgi:start,
 *      config.cgi:set, license.cgi:uploadlicensekey, ...); upload.cgi has none.
 * fault: error=N (the CGI's own error reply with code N, nothing else happens),
 *        http=N (plain HTTP status N), truncate (reply cut in half), garbage (not the
 *        CGI's format), empty (empty 200 body), delay=S (reply after S seconds),
 *        ok (upload.cgi, control.cgi: "OK" and nothing done: a camera that says it did).
 * count: how many matching requests it hits (default 1; * = all). */
#include "camsim.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "../../lib/crypto.h"
#include "../../lib/fsutil.h"

#define MAX_BODY (512 * 1024 * 1024)
#define FAULTS_MAX 8192

struct cs_rule {
	char cgi[48];
	char method[48];   /* "" = any */
	struct cs_fault fault;
	int count;         /* -1: every time */
	int used;
};

/* ---- faults ---- */

static int parse_rule(const char *line, struct cs_rule *r)
{
	char target[96], fault[48], count[16] = "1";
	char *colon;
	int n = sscanf(line, "%95s %47s %15s", target, fault, count);

	memset(r, 0, sizeof(*r));
	if (n < 2)
		return -1;
	colon = strchr(target, ':');
	if (colon) {
		*colon = '\0';
		snprintf(r->method, sizeof(r->method), "%s", colon + 1);
	}
	snprintf(r->cgi, sizeof(r->cgi), "%s", target);
	r->count = strcmp(count, "*") == 0 ? -1 : atoi(count);
	if (!strncmp(fault, "error=", 6)) {
		r->fault.kind = FAULT_ERROR;
		r->fault.value = atoi(fault + 6);
	} else if (!strncmp(fault, "http=", 5)) {
		r->fault.kind = FAULT_HTTP;
		r->fault.value = atoi(fault + 5);
	} else if (!strncmp(fault, "delay=", 6)) {
		r->fault.kind = FAULT_DELAY;
		r->fault.value = atoi(fault + 6);
	} else if (!strcmp(fault, "truncate")) {
		r->fault.kind = FAULT_TRUNCATE;
	} else if (!strcmp(fault, "garbage")) {
		r->fault.kind = FAULT_GARBAGE;
	} else if (!strcmp(fault, "empty")) {
		r->fault.kind = FAULT_EMPTY;
	} else if (!strcmp(fault, "ok")) {
		r->fault.kind = FAULT_OK;
	} else if (!strcmp(fault, "invalid")) {
		r->fault.kind = FAULT_INVALID;
	} else {
		return -1;
	}
	return 0;
}

static void load_faults(struct camsim *cs)
{
	char path[PATH_MAX + 16];
	struct buf text;
	char *line, *save = NULL;

	snprintf(path, sizeof(path), "%s/faults", cs->dir);
	buf_init(&text, FAULTS_MAX);
	if (fs_read_file(path, &text, FAULTS_MAX) != 0 || text.len == 0) {
		buf_free(&text);
		if (cs->rules_text) {
			free(cs->rules_text);
			cs->rules_text = NULL;
			free(cs->rules);
			cs->rules = NULL;
			cs->nrules = 0;
		}
		return;
	}
	if (cs->rules_text && strcmp(cs->rules_text, text.data) == 0) {
		buf_free(&text);
		return;
	}
	free(cs->rules_text);
	free(cs->rules);
	cs->rules_text = strdup(text.data);
	cs->rules = calloc(64, sizeof(*cs->rules));
	cs->nrules = 0;
	for (line = strtok_r(text.data, "\n", &save); line && cs->rules && cs->nrules < 64;
	     line = strtok_r(NULL, "\n", &save)) {
		while (isspace((unsigned char)*line))
			line++;
		if (!*line || *line == '#')
			continue;
		if (parse_rule(line, &cs->rules[cs->nrules]) == 0)
			cs->nrules++;
		else
			cs_log("faults: ignoring bad rule '%s'", line);
	}
	buf_free(&text);
}

void cs_fault_take(struct camsim *cs, const char *cgi, const char *method, struct cs_fault *f)
{
	memset(f, 0, sizeof(*f));
	load_faults(cs);
	for (int i = 0; i < cs->nrules; i++) {
		struct cs_rule *r = &cs->rules[i];

		if (strcmp(r->cgi, "*") && strcmp(r->cgi, cgi))
			continue;
		if (r->method[0] && (!method || strcmp(r->method, method)))
			continue;
		if (r->count >= 0 && r->used >= r->count)
			continue;
		r->used++;
		*f = r->fault;
		cs_log("fault: %s%s%s -> kind %d value %d", cgi, method ? ":" : "", method ? method : "",
		       f->kind, f->value);
		return;
	}
}

/* ---- replies ---- */

struct delayed {
	struct evhttp_request *req;
	int status;
	char ctype[64];
	char *body;
	size_t len;
};

static void send_now(struct evhttp_request *req, int status, const char *ctype, const char *body,
		     size_t len)
{
	struct evbuffer *out = evbuffer_new();

	if (ctype)
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
	if (out && len)
		evbuffer_add(out, body, len);
	evhttp_send_reply(req, status, status == 200 ? "OK" : "Error", out);
	if (out)
		evbuffer_free(out);
}

static void on_delayed(evutil_socket_t fd, short what, void *arg)
{
	struct delayed *d = arg;

	send_now(d->req, d->status, d->ctype, d->body, d->len);
	free(d->body);
	free(d);
}

void cs_send(struct camsim *cs, struct evhttp_request *req, const struct cs_fault *f, int status,
	     const char *ctype, const char *body, size_t len)
{
	static const char garbage[] = "<html><body>Internal proxy page</body></html>\n";
	int kind = f ? f->kind : FAULT_NONE;

	cs_log("%s %s -> %d%s", evhttp_request_get_command(req) == EVHTTP_REQ_GET ? "GET" : "POST",
	       evhttp_request_get_uri(req), kind == FAULT_HTTP ? f->value : status,
	       kind != FAULT_NONE && kind != FAULT_ERROR ? " (fault)" : "");
	switch (kind) {
	case FAULT_HTTP:
		send_now(req, f->value, "text/plain", "fault\n", 6);
		return;
	case FAULT_TRUNCATE:
		send_now(req, status, ctype, body, len / 2);
		return;
	case FAULT_GARBAGE:
		send_now(req, status, "text/html", garbage, sizeof(garbage) - 1);
		return;
	case FAULT_EMPTY:
		send_now(req, status, ctype, "", 0);
		return;
	case FAULT_DELAY: {
		struct delayed *d = calloc(1, sizeof(*d));
		struct timeval tv = { f->value, 0 };

		if (d && (d->body = malloc(len + 1)) != NULL) {
			d->req = req;
			d->status = status;
			snprintf(d->ctype, sizeof(d->ctype), "%s", ctype ? ctype : "text/plain");
			memcpy(d->body, body, len);
			d->len = len;
			event_base_once(cs->base, -1, EV_TIMEOUT, on_delayed, d, &tv);
			return;
		}
		free(d);
		break;
	}
	default:
		break;
	}
	send_now(req, status, ctype, body, len);
}

int cs_body(struct evhttp_request *req, struct buf *out, size_t max)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);

	buf_init(out, max);
	if (buf_append(out, evbuffer_pullup(in, -1), len) != 0 || buf_append(out, "", 0) != 0) {
		buf_free(out);
		return -1;
	}
	return 0;
}

/* ---- auth ---- */

static int basic_matches(const char *header, const char *userpass)
{
	uint8_t dec[512];
	size_t n = strlen(userpass);
	int len;

	if (!header || strncmp(header, "Basic ", 6) != 0)
		return 0;
	len = base64_decode(header + 6, strlen(header + 6), dec, sizeof(dec) - 1);
	return len > 0 && (size_t)len == n && memcmp(dec, userpass, n) == 0;
}

int cs_authorized(struct camsim *cs, struct evhttp_request *req, int web)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	char account[2 * CS_FIELD + 2];
	int ok;

	cs_credentials_lock();
	snprintf(account, sizeof(account), "%s:%s", cs->user, cs->password);
	cs_credentials_unlock();
	ok = basic_matches(h, account) || (web && cs->web_user[0] && basic_matches(h, cs->web_user));
	explicit_bzero(account, sizeof(account));
	return ok;
}

void cs_reply_401(struct evhttp_request *req, const struct camsim *cs)
{
	char realm[96];

	snprintf(realm, sizeof(realm), "Basic realm=\"AXIS_%s\"", cs->serial);
	evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", realm);
	cs_log("%s -> 401 (no or wrong credentials)", evhttp_request_get_uri(req));
	send_now(req, 401, "text/plain", "401 Unauthorized\n", 17);
}

/* ---- routing ---- */

static void on_request(struct evhttp_request *req, void *arg)
{
	struct camsim *cs = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;

	if (!path) {
		send_now(req, 400, "text/plain", "bad request\n", 12);
		return;
	}
	if (cs->rebooting) {
		send_now(req, 503, "text/plain", "the camera is rebooting\n", 24);
		return;
	}
	if (!cs_ready(cs) && strcmp(path, "/axis-cgi/systemready.cgi") != 0) {
		send_now(req, 503, "text/plain", "the camera is starting\n", 23);
		return;
	}
	if (!strncmp(path, "/local/", 7)) {
		cs_web(cs, req, path);
		return;
	}
	if (!strcmp(path, "/axis-cgi/systemready.cgi")) {
		cs_systemready(cs, req); /* anonymous by design */
		return;
	}
	if (!strcmp(path, "/axis-cgi/basicdeviceinfo.cgi")) {
		cs_basicdeviceinfo(cs, req); /* some methods are anonymous: it checks auth itself */
		return;
	}
	void (*handler)(struct camsim *, struct evhttp_request *) = NULL;
	if (!strcmp(path, "/axis-cgi/firmwaremanagement.cgi"))
		handler = cs_firmware;
	else if (!strcmp(path, "/axis-cgi/applications/license.cgi"))
		handler = cs_license;
	else if (!strcmp(path, "/axis-cgi/applications/list.cgi"))
		handler = cs_list;
	else if (!strcmp(path, "/axis-cgi/applications/upload.cgi"))
		handler = cs_upload;
	else if (!strcmp(path, "/axis-cgi/applications/control.cgi"))
		handler = cs_control;
	else if (!strcmp(path, "/axis-cgi/applications/config.cgi"))
		handler = cs_config;
	else if (!strcmp(path, "/axis-cgi/param.cgi"))
		handler = cs_param;
	if (!handler) {
		cs_log("%s -> 404", path);
		send_now(req, 404, "text/plain", "404 Not Found\n", 14);
		return;
	}
	if (!cs_authorized(cs, req, 0)) {
		cs_reply_401(req, cs);
		return;
	}
	handler(cs, req);
}

int cs_http_start(struct camsim *cs, const char *listen, char *err, size_t errsz)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	struct evhttp_bound_socket *sock;
	struct sockaddr_storage ss;
	ev_socklen_t sl = sizeof(ss);
	int port;

	if (!colon || (size_t)(colon - listen) >= sizeof(host)) {
		snprintf(err, errsz, "--listen wants ADDR:PORT");
		return -1;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	cs->http = evhttp_new(cs->base);
	if (!cs->http) {
		snprintf(err, errsz, "cannot create the HTTP server");
		return -1;
	}
	evhttp_set_max_body_size(cs->http, MAX_BODY);
	evhttp_set_allowed_methods(cs->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(cs->http, on_request, cs);
	sock = evhttp_bind_socket_with_handle(cs->http, host, (ev_uint16_t)atoi(colon + 1));
	if (!sock) {
		snprintf(err, errsz, "cannot listen on %s: %s", listen, strerror(errno));
		return -1;
	}
	if (getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&ss, &sl) != 0) {
		snprintf(err, errsz, "getsockname: %s", strerror(errno));
		return -1;
	}
	port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	snprintf(cs->url, sizeof(cs->url), "http://%s:%d", host, port);
	return 0;
}
