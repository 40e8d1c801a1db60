/* console: the web console's assets out of the table toolchain/embed_assets.sh generated.
 * Every answer carries a strict Content-Security-Policy (scripts, styles, images only from
 * this origin, no inline script, no framing) and no referrer; the reply adds nosniff as on
 * every answer. Assets are not content-named, so they are revalidated every time
 * (no-cache) against their ETag. */
#include "console.h"

#include <string.h>
#include <event2/http.h>

#include "../domain/policy.h"
#include "console_assets.h"
#include "router.h"

static const char *const console_headers[] = {
	"Content-Security-Policy",
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
	"X-Frame-Options", "DENY",
	"Referrer-Policy", "no-referrer",
	"Cross-Origin-Opener-Policy", "same-origin",
	"Cache-Control", "no-cache",
	NULL,
};

const struct console_asset *console_find(const char *path)
{
	if (strcmp(path, "/console/") == 0)
		path = "/console/index.html";
	for (unsigned i = 0; i < console_asset_count; i++)
		if (strcmp(console_assets[i].path, path) == 0)
			return &console_assets[i];
	return NULL;
}

static void redirect(struct reply *rp, const char *to)
{
	reply_redirect(rp, 302, to);
	rp->headers = console_headers;
}

/* The invitation mail's link (/invitation?token=) opened in a browser: the console's page
 * for it. Other clients (Accept without text/html) get the API's JSON answer. */
static int invitation_link(struct request *rq, struct reply *rp)
{
	const char *accept = evhttp_find_header(evhttp_request_get_input_headers(rq->ev), "Accept");
	const char *token = evhttp_find_header(&rq->query, "token");
	char to[REPLY_LOCATION_MAX];
	if (strcmp(rq->path, "/invitation") != 0 || strcmp(rq->method, "GET") != 0 || !accept ||
	    !strstr(accept, "text/html") || !token || !is_hex_id(token))
		return 0;
	snprintf(to, sizeof(to), "/console/#/invite/%s", token);
	redirect(rp, to);
	return 1;
}

int console_route(struct request *rq, struct reply *rp)
{
	if (invitation_link(rq, rp))
		return 1;
	if (strcmp(rq->path, "/") == 0 || strcmp(rq->path, "/console") == 0) {
		redirect(rp, "/console/");
		return 1;
	}
	if (strncmp(rq->path, "/console/", 9) != 0)
		return 0;
	if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
		reply_error(rp, 405, "method_not_allowed", "the console is read with GET");
		evhttp_add_header(evhttp_request_get_output_headers(rq->ev), "Allow", "GET, HEAD");
		return 1;
	}
	const struct console_asset *a = console_find(rq->path);
	if (!a) {
		reply_error(rp, 404, "not_found", "no such console page");
		rp->headers = console_headers;
		return 1;
	}
	const char *inm = evhttp_find_header(evhttp_request_get_input_headers(rq->ev),
					     "If-None-Match");
	reply_static(rp, inm && strcmp(inm, a->etag) == 0 ? 304 : 200, a->content_type, a->etag,
		     a->data, a->len);
	rp->headers = console_headers;
	return 1;
}
