/* test_cloud_console: the console's assets as the router serves them (cloud/http/console.c):
 * paths, Content-Types, the strict Content-Security-Policy, ETag revalidation, redirects,
 * refusals, and that no embedded page carries an inline script the policy would block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>

#include "../../cloud/http/console.h"
#include "../../cloud/http/console_assets.h"
#include "../../cloud/http/router.h"

struct served {
	struct request rq;
	struct reply rp;
	struct evhttp_request *ev;
	int handled;
};

/* path may carry a query; accept (may be NULL) is the Accept header. */
static void serve_as(struct served *s, const char *method, const char *path, const char *inm,
		     const char *accept)
{
	memset(s, 0, sizeof(*s));
	s->ev = evhttp_request_new(NULL, NULL);
	assert_non_null(s->ev);
	if (inm)
		evhttp_add_header(evhttp_request_get_input_headers(s->ev), "If-None-Match", inm);
	if (accept)
		evhttp_add_header(evhttp_request_get_input_headers(s->ev), "Accept", accept);
	s->rq.ev = s->ev;
	s->rq.method = method;
	TAILQ_INIT(&s->rq.query);
	const char *q = strchr(path, '?');
	snprintf(s->rq.path, sizeof(s->rq.path), "%.*s", (int)(q ? q - path : (long)strlen(path)), path);
	if (q)
		assert_int_equal(evhttp_parse_query_str(q + 1, &s->rq.query), 0);
	reply_init(&s->rp);
	s->handled = console_route(&s->rq, &s->rp);
}

static void serve(struct served *s, const char *method, const char *path, const char *inm)
{
	serve_as(s, method, path, inm, NULL);
}

static void served_free(struct served *s)
{
	reply_free(&s->rp);
	evhttp_clear_headers(&s->rq.query);
	evhttp_request_free(s->ev);
}

static const char *header(const struct reply *rp, const char *name)
{
	for (const char *const *p = rp->headers; p && p[0]; p += 2)
		if (strcmp(p[0], name) == 0)
			return p[1];
	return NULL;
}

static void test_index_served_with_strict_policy(void **state)
{
	struct served s;
	serve(&s, "GET", "/console/", NULL);
	assert_int_equal(s.handled, 1);
	assert_int_equal(s.rp.status, 200);
	assert_string_equal(s.rp.content_type, "text/html; charset=utf-8");
	assert_true(s.rp.static_len > 100);
	assert_non_null(strstr((const char *)s.rp.static_data, "<main"));
	const char *csp = header(&s.rp, "Content-Security-Policy");
	assert_non_null(csp);
	assert_non_null(strstr(csp, "default-src 'none'"));
	assert_non_null(strstr(csp, "script-src 'self';"));
	assert_non_null(strstr(csp, "frame-ancestors 'none'"));
	assert_null(strstr(csp, "unsafe"));
	assert_string_equal(header(&s.rp, "Cache-Control"), "no-cache");
	assert_string_equal(header(&s.rp, "X-Frame-Options"), "DENY");
	served_free(&s);
}

static void test_scripts_and_styles_have_their_types(void **state)
{
	struct served s;
	serve(&s, "GET", "/console/js/app.js", NULL);
	assert_int_equal(s.rp.status, 200);
	assert_string_equal(s.rp.content_type, "text/javascript; charset=utf-8");
	served_free(&s);
	serve(&s, "GET", "/console/vendor/qrcode.mjs", NULL);
	assert_int_equal(s.rp.status, 200);
	assert_string_equal(s.rp.content_type, "text/javascript; charset=utf-8");
	served_free(&s);
	serve(&s, "HEAD", "/console/console.css", NULL);
	assert_int_equal(s.rp.status, 200);
	assert_string_equal(s.rp.content_type, "text/css; charset=utf-8");
	served_free(&s);
}

static void test_matching_etag_answers_304_without_body(void **state)
{
	const struct console_asset *a = console_find("/console/console.css");
	assert_non_null(a);
	assert_int_equal(a->etag[0], '"');
	struct served s;
	serve(&s, "GET", a->path, a->etag);
	assert_int_equal(s.rp.status, 304);
	assert_int_equal(s.rp.static_len, 0);
	assert_string_equal(s.rp.etag, a->etag);
	served_free(&s);
	serve(&s, "GET", a->path, "\"someother\"");
	assert_int_equal(s.rp.status, 200);
	assert_int_equal(s.rp.static_len, a->len);
	served_free(&s);
}

static void test_root_redirects_to_console(void **state)
{
	const char *paths[] = {"/", "/console"};
	for (size_t i = 0; i < 2; i++) {
		struct served s;
		serve(&s, "GET", paths[i], NULL);
		assert_int_equal(s.handled, 1);
		assert_int_equal(s.rp.status, 302);
		assert_string_equal(s.rp.location, "/console/");
		served_free(&s);
	}
}

static void test_unknown_and_wrong_method_refused(void **state)
{
	struct served s;
	serve(&s, "GET", "/console/../admin.token", NULL);
	assert_int_equal(s.rp.status, 404);
	assert_non_null(header(&s.rp, "Content-Security-Policy"));
	served_free(&s);
	serve(&s, "POST", "/console/index.html", NULL);
	assert_int_equal(s.rp.status, 405);
	served_free(&s);
	serve(&s, "GET", "/admin/v1/orgs", NULL);
	assert_int_equal(s.handled, 0);
	served_free(&s);
	serve(&s, "GET", "/consoleX", NULL);
	assert_int_equal(s.handled, 0);
	served_free(&s);
}

static void test_invitation_link_opens_the_console_page(void **state)
{
	const char *token = "0123456789abcdef0123456789abcdef";
	char path[96];
	snprintf(path, sizeof(path), "/invitation?token=%s", token);
	struct served s;
	serve_as(&s, "GET", path, NULL, "text/html,application/xhtml+xml,*/*;q=0.8");
	assert_int_equal(s.handled, 1);
	assert_int_equal(s.rp.status, 302);
	assert_string_equal(s.rp.location, "/console/#/invite/0123456789abcdef0123456789abcdef");
	served_free(&s);
	/* an API client gets the invitation's JSON from its own route */
	serve_as(&s, "GET", path, NULL, "application/json");
	assert_int_equal(s.handled, 0);
	served_free(&s);
	serve_as(&s, "GET", "/invitation?token=not-hex%2Fjs", NULL, "text/html");
	assert_int_equal(s.handled, 0);
	served_free(&s);
}

/* What the policy would block: an inline <script> (one without src) or an inline handler. */
static void test_no_embedded_page_has_inline_script(void **state)
{
	unsigned html = 0;
	for (unsigned i = 0; i < console_asset_count; i++) {
		const struct console_asset *a = &console_assets[i];
		assert_non_null(strstr(a->content_type, "/"));
		assert_true(a->len > 0);
		if (strncmp(a->content_type, "text/html", 9) != 0)
			continue;
		html++;
		char *text = strndup((const char *)a->data, a->len);
		for (char *p = strstr(text, "<script"); p; p = strstr(p + 1, "<script")) {
			char *end = strchr(p, '>');
			assert_non_null(end);
			*end = '\0';
			assert_non_null(strstr(p, " src="));
			*end = '>';
		}
		assert_null(strstr(text, " onclick="));
		assert_null(strstr(text, " onload="));
		free(text);
	}
	assert_true(html >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_served_with_strict_policy),
		cmocka_unit_test(test_scripts_and_styles_have_their_types),
		cmocka_unit_test(test_matching_etag_answers_304_without_body),
		cmocka_unit_test(test_root_redirects_to_console),
		cmocka_unit_test(test_unknown_and_wrong_method_refused),
		cmocka_unit_test(test_invitation_link_opens_the_console_page),
		cmocka_unit_test(test_no_embedded_page_has_inline_script),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
