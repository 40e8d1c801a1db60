/* web: /local/<app>/ as the camera's Apache serves it: the app's html/ directory (the
 * settings page) and the manifest's reverseProxy, here /local/<app>/api/... forwarded to
 * http://127.0.0.1:<app-api-port>/api/... (the agent's local API). Admin access: the
 * service account or --web-user. */
#include "camsim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#define PAGE_MAX (4 * 1024 * 1024)
#define PROXY_TIMEOUT_S 30

static const char *mime(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (!dot)
		return "application/octet-stream";
	if (!strcmp(dot, ".html"))
		return "text/html; charset=utf-8";
	if (!strcmp(dot, ".js"))
		return "text/javascript; charset=utf-8";
	if (!strcmp(dot, ".css"))
		return "text/css; charset=utf-8";
	if (!strcmp(dot, ".svg"))
		return "image/svg+xml";
	if (!strcmp(dot, ".png"))
		return "image/png";
	if (!strcmp(dot, ".json"))
		return "application/json";
	return "application/octet-stream";
}

static void serve_file(struct camsim *cs, struct evhttp_request *req, const char *rel)
{
	char path[PATH_MAX * 2];
	struct buf data;
	struct stat st;
	int fd;

	/* plain names only: no "..", no hidden files */
	if (strstr(rel, "..") || strstr(rel, "/.") || rel[0] == '.' || !cs->html_dir[0]) {
		cs_send(cs, req, NULL, 404, "text/plain", "not found\n", 10);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", cs->html_dir, rel[0] ? rel : "index.html");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > PAGE_MAX) {
		if (fd >= 0)
			close(fd);
		cs_send(cs, req, NULL, 404, "text/plain", "not found\n", 10);
		return;
	}
	buf_init(&data, PAGE_MAX + 1);
	for (;;) {
		char chunk[16384];
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n <= 0 || buf_append(&data, chunk, (size_t)n) != 0)
			break;
	}
	close(fd);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
	cs_send(cs, req, NULL, 200, mime(path), data.data ? data.data : "", data.len);
	buf_free(&data);
}

struct proxied {
	struct camsim *cs;
	struct evhttp_request *client;
	struct evhttp_connection *conn;
};

static void free_conn(evutil_socket_t fd, short what, void *arg)
{
	evhttp_connection_free(arg);
}

static void on_upstream(struct evhttp_request *up, void *arg)
{
	struct proxied *p = arg;
	struct timeval now = { 0, 0 };

	if (!up || evhttp_request_get_response_code(up) == 0) {
		cs_send(p->cs, p->client, NULL, 502, "application/json",
			"{\"error\":{\"code\":\"unavailable\",\"message\":\"the agent is not running\"}}",
			70);
	} else {
		struct evbuffer *in = evhttp_request_get_input_buffer(up);
		const char *ct = evhttp_find_header(evhttp_request_get_input_headers(up),
						    "Content-Type");
		size_t len = evbuffer_get_length(in);

		evhttp_add_header(evhttp_request_get_output_headers(p->client), "Cache-Control",
				  "no-store");
		cs_send(p->cs, p->client, NULL, evhttp_request_get_response_code(up),
			ct ? ct : "application/octet-stream", (const char *)evbuffer_pullup(in, -1),
			len);
	}
	/* the connection cannot be freed from inside its own callback */
	event_base_once(p->cs->base, -1, EV_TIMEOUT, free_conn, p->conn, &now);
	free(p);
}

static void proxy(struct camsim *cs, struct evhttp_request *req, const char *api_path)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
	struct proxied *p;
	struct evhttp_request *up;
	char target[1024];

	if (!cs->app_api_port) {
		cs_send(cs, req, NULL, 404, "text/plain", "no reverse proxy configured\n", 28);
		return;
	}
	snprintf(target, sizeof(target), "/api/%s%s%s", api_path, query ? "?" : "",
		 query ? query : "");
	p = calloc(1, sizeof(*p));
	if (!p)
		return;
	p->cs = cs;
	p->client = req;
	p->conn = evhttp_connection_base_new(cs->base, NULL, "127.0.0.1",
					     (ev_uint16_t)cs->app_api_port);
	up = p->conn ? evhttp_request_new(on_upstream, p) : NULL;
	if (!up) {
		if (p->conn)
			evhttp_connection_free(p->conn);
		free(p);
		cs_send(cs, req, NULL, 500, "text/plain", "proxy\n", 6);
		return;
	}
	evhttp_connection_set_timeout(p->conn, PROXY_TIMEOUT_S);
	evhttp_add_header(evhttp_request_get_output_headers(up), "Host", "127.0.0.1");
	if (ct)
		evhttp_add_header(evhttp_request_get_output_headers(up), "Content-Type", ct);
	evbuffer_add_buffer(evhttp_request_get_output_buffer(up), in);
	if (evhttp_make_request(p->conn, up, evhttp_request_get_command(req), target) != 0) {
		/* evhttp_make_request freed up on failure */
		evhttp_connection_free(p->conn);
		free(p);
		cs_send(cs, req, NULL, 502, "text/plain", "proxy\n", 6);
	}
}

void cs_web(struct camsim *cs, struct evhttp_request *req, const char *path)
{
	char prefix[CS_FIELD + 16], *decoded;
	size_t plen;

	snprintf(prefix, sizeof(prefix), "/local/%s/", cs->app);
	plen = strlen(prefix);
	if (strncmp(path, prefix, plen) != 0) {
		cs_send(cs, req, NULL, 404, "text/plain", "not found\n", 10);
		return;
	}
	if (!cs_authorized(cs, req, 1)) {
		cs_reply_401(req, cs);
		return;
	}
	decoded = evhttp_uridecode(path + plen, 0, NULL);
	if (!decoded) {
		cs_send(cs, req, NULL, 400, "text/plain", "bad path\n", 9);
		return;
	}
	if (!strncmp(decoded, "api/", 4))
		proxy(cs, req, decoded + 4);
	else
		serve_file(cs, req, decoded);
	free(decoded);
}
