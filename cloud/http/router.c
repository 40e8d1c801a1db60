/* router: request parsing, routing, authentication, body field helpers; it sends
 * the handler's reply exactly once (see router.h for the handler contract). */
#include "router.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "../../lib/log.h"
#include "api.h"
#include "console.h"
#include "gate.h"
#include "session.h"
#include "../admin/plan_queue.h"
#include "../admin/uploads.h"
#include "../domain/policy.h"
#include "../domain/upload_rules.h"

#define JSON_BODY_TOKENS 1024

enum auth { AUTH_NONE, AUTH_DEVICE, AUTH_ADMIN };

struct route {
	const char *method;
	const char *pattern; /* '*' stands for one id segment */
	enum auth auth;
	handler_fn fn;
};

static const struct route routes[] = {
	{"POST", "/device/v1/enroll", AUTH_NONE, api_enroll},
	{"POST", "/device/v1/auth", AUTH_NONE, api_auth},
	{"POST", "/device/v1/report", AUTH_DEVICE, api_report},
	{"GET", "/device/v1/tasks/next", AUTH_DEVICE, api_task_next},
	{"POST", "/device/v1/tasks/*/status", AUTH_DEVICE, api_task_status},
	{"GET", "/device/v1/artifacts/*", AUTH_DEVICE, api_artifact},
	{"GET", "/device/v1/licenses", AUTH_DEVICE, api_licenses},
	{"POST", "/device/v1/licenses/*/status", AUTH_DEVICE, api_license_status},
	{"POST", "/admin/v1/orgs", AUTH_ADMIN, admin_org_create},
	{"GET", "/admin/v1/orgs", AUTH_ADMIN, admin_org_list},
	{"GET", "/admin/v1/orgs/*", AUTH_ADMIN, admin_org_show},
	{"POST", "/admin/v1/orgs/*/settings", AUTH_ADMIN, admin_org_settings},
	{"POST", "/admin/v1/orgs/*/archive", AUTH_ADMIN, admin_org_archive},
	{"POST", "/admin/v1/orgs/*/invitations", AUTH_ADMIN, admin_invitation_create},
	{"GET", "/admin/v1/orgs/*/invitations", AUTH_ADMIN, admin_invitation_list},
	{"POST", "/admin/v1/invitations/*/cancel", AUTH_ADMIN, admin_invitation_cancel},
	{"POST", "/admin/v1/invitations/signup", AUTH_NONE, invitation_signup},
	{"POST", "/admin/v1/invitations/accept", AUTH_ADMIN, invitation_accept},
	{"GET", "/invitation", AUTH_NONE, invitation_show},
	{"POST", "/admin/v1/folders", AUTH_ADMIN, admin_folder_create},
	{"GET", "/admin/v1/folders", AUTH_ADMIN, admin_folder_list},
	{"DELETE", "/admin/v1/folders/*", AUTH_ADMIN, admin_folder_delete},
	{"POST", "/admin/v1/enrollment-tokens", AUTH_ADMIN, admin_token_create},
	{"GET", "/admin/v1/enrollment-tokens", AUTH_ADMIN, admin_token_list},
	{"POST", "/admin/v1/enrollment-tokens/*/revoke", AUTH_ADMIN, admin_token_revoke},
	{"POST", "/admin/v1/enrollment-tokens/revoke", AUTH_ADMIN, admin_token_revoke_secret},
	{"GET", "/admin/v1/devices", AUTH_ADMIN, admin_device_list},
	{"GET", "/admin/v1/devices/*", AUTH_ADMIN, admin_device_show},
	{"DELETE", "/admin/v1/devices/*", AUTH_ADMIN, admin_device_remove},
	{"POST", "/admin/v1/devices/*/move", AUTH_ADMIN, admin_device_move},
	{"POST", "/admin/v1/images", AUTH_ADMIN, admin_image_add},
	{"GET", "/admin/v1/images", AUTH_ADMIN, admin_image_list},
	{"POST", "/admin/v1/images/*/recommend", AUTH_ADMIN, admin_image_recommend},
	{"POST", "/admin/v1/jobs", AUTH_ADMIN, admin_job_create},
	{"GET", "/admin/v1/jobs", AUTH_ADMIN, admin_job_list},
	{"GET", "/admin/v1/jobs/*", AUTH_ADMIN, admin_job_show},
	{"POST", "/admin/v1/jobs/*/cancel", AUTH_ADMIN, admin_job_cancel},
	{"POST", "/admin/v1/tasks", AUTH_ADMIN, admin_task_create},
	{"GET", "/admin/v1/tasks", AUTH_ADMIN, admin_task_list},
	{"GET", "/admin/v1/tasks/*", AUTH_ADMIN, admin_task_show},
	{"POST", "/admin/v1/tasks/*/cancel", AUTH_ADMIN, admin_task_cancel},
	{"POST", "/admin/v1/licenses", AUTH_ADMIN, admin_license_issue},
	{"GET", "/admin/v1/licenses", AUTH_ADMIN, admin_license_list},
	{"GET", "/admin/v1/licenses/*", AUTH_ADMIN, admin_license_show},
	{"POST", "/admin/v1/licenses/preload", AUTH_ADMIN, admin_license_preload},
	{"POST", "/admin/v1/licenses/import", AUTH_ADMIN, admin_license_import},
	{"POST", "/admin/v1/licenses/offline", AUTH_ADMIN, admin_license_offline},
	{"POST", "/admin/v1/licenses/*/revoke", AUTH_ADMIN, admin_license_revoke},
	{"GET", "/admin/v1/license-events", AUTH_ADMIN, admin_license_events},
	{"GET", "/admin/v1/devices/*/apps", AUTH_ADMIN, admin_device_apps},
	{"GET", "/admin/v1/history", AUTH_ADMIN, admin_history},
	{"POST", "/admin/v1/apps", AUTH_ADMIN, admin_app_upload},
	{"GET", "/admin/v1/apps", AUTH_ADMIN, admin_app_list},
	{"GET", "/admin/v1/apps/*", AUTH_ADMIN, admin_app_show},
	{"POST", "/admin/v1/apps/*/recommend", AUTH_ADMIN, admin_app_recommend},
	{"POST", "/admin/v1/uploads", AUTH_ADMIN, admin_upload_create},
	{"PUT", "/admin/v1/uploads/*", AUTH_ADMIN, admin_upload_chunk}, /* see raw_bodies */
	{"GET", "/admin/v1/uploads/*", AUTH_ADMIN, admin_upload_show},
	{"DELETE", "/admin/v1/uploads/*", AUTH_ADMIN, admin_upload_cancel},
	{"POST", "/admin/v1/uploads/*/finish", AUTH_ADMIN, admin_upload_finish},
	{"POST", "/admin/v1/products", AUTH_ADMIN, admin_product_register},
	{"GET", "/admin/v1/products", AUTH_ADMIN, admin_product_list},
	{"GET", "/admin/v1/products/*", AUTH_ADMIN, admin_product_show},
	{"POST", "/admin/v1/products/*/subscription", AUTH_ADMIN, admin_subscription_start},
	{"POST", "/admin/v1/products/*/allocations", AUTH_ADMIN, admin_subscription_allocate},
	{"POST", "/admin/v1/products/*/extension-allocations", AUTH_ADMIN,
	 admin_extension_allocate},
	{"POST", "/admin/v1/license-keys/redeem", AUTH_ADMIN, admin_key_redeem},
	{"POST", "/admin/v1/signup", AUTH_NONE, account_signup},
	{"POST", "/admin/v1/signin", AUTH_NONE, account_signin},
	{"POST", "/admin/v1/signout", AUTH_ADMIN, account_signout},
	{"GET", "/admin/v1/me", AUTH_ADMIN, account_me},
	{"POST", "/admin/v1/me/mfa/enroll", AUTH_ADMIN, mfa_enroll},
	{"POST", "/admin/v1/me/mfa/confirm", AUTH_ADMIN, mfa_confirm},
	{"POST", "/admin/v1/me/mfa/disable", AUTH_ADMIN, mfa_disable},
	{"POST", "/admin/v1/me/api-tokens", AUTH_ADMIN, api_token_create},
	{"GET", "/admin/v1/me/api-tokens", AUTH_ADMIN, api_token_list},
	{"POST", "/admin/v1/me/api-tokens/*/revoke", AUTH_ADMIN, api_token_revoke},
	{"GET", "/admin/v1/orgs/*/members", AUTH_ADMIN, member_list},
	{"POST", "/admin/v1/orgs/*/members", AUTH_ADMIN, member_add},
	{"POST", "/admin/v1/orgs/*/members/*/role", AUTH_ADMIN, member_set_role},
	{"DELETE", "/admin/v1/orgs/*/members/*", AUTH_ADMIN, member_remove},
	{"POST", "/admin/v1/orgs/*/members/*/grants", AUTH_ADMIN, member_grants},
};

/* The routes whose handler reads the body itself, and how large it may be (the gate
 * enforces it); every other route's body is JSON of at most CLOUD_BODY_MAX. */
static const struct {
	const char *method, *pattern;
	size_t max;
} raw_bodies[] = {
	{"PUT", "/admin/v1/uploads/*", UPLOAD_CHUNK_MAX},
};

/* ---- request parsing ---- */

int bearer_parse(const char *header, char *out, size_t outsz)
{
	if (!header || strncasecmp(header, "Bearer ", 7) != 0)
		return -1;
	const char *p = header + 7;
	while (*p == ' ')
		p++;
	size_t n = 0;
	for (; p[n]; n++) {
		char ch = p[n];
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			 (ch >= '0' && ch <= '9') || strchr("-._~+/=", ch) != NULL;
		if (!ok || n + 1 >= outsz)
			return -1;
	}
	if (n == 0)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* Matches path against pattern; copies the '*' segments (each must be an id) to arg and
 * arg2. */
static int route_match(const char *pattern, const char *path, char arg[DB_ID_LEN],
		       char arg2[DB_ID_LEN])
{
	int stars = 0;
	while (*pattern && *path) {
		if (*pattern == '*') {
			size_t n = strcspn(path, "/");
			char *to = stars++ == 0 ? arg : arg2;
			if (n != DB_ID_LEN - 1 || stars > 2)
				return 0;
			memcpy(to, path, n);
			to[n] = '\0';
			if (!is_hex_id(to))
				return 0;
			pattern++;
			path += n;
			continue;
		}
		if (*pattern++ != *path++)
			return 0;
	}
	return *pattern == '\0' && *path == '\0';
}

/* The limit of a route in raw_bodies, or 0. */
static size_t raw_body_max(const char *method, const char *path)
{
	char arg[DB_ID_LEN], arg2[DB_ID_LEN];
	for (size_t i = 0; i < sizeof(raw_bodies) / sizeof(raw_bodies[0]); i++)
		if (strcmp(raw_bodies[i].method, method) == 0 &&
		    route_match(raw_bodies[i].pattern, path, arg, arg2))
			return raw_bodies[i].max;
	return 0;
}

size_t router_body_max(const char *method, const char *path)
{
	size_t max = raw_body_max(method, path);
	return max ? max : CLOUD_BODY_MAX;
}

static const char *method_name(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_OPTIONS:
		return "OPTIONS";
	case EVHTTP_REQ_TRACE:
		return "TRACE";
	case EVHTTP_REQ_CONNECT:
		return "CONNECT";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	default:
		return "OTHER";
	}
}

/* The peer's address as text ("" when unknown). */
static void request_peer(struct evhttp_request *ev, char *out, size_t outsz)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(ev);
	char *addr = NULL;
	ev_uint16_t port = 0;
	out[0] = '\0';
	if (conn)
		evhttp_connection_get_peer(conn, &addr, &port);
	if (addr)
		snprintf(out, outsz, "%s", addr);
}

/* A request the gate refused (gate.h): its JSON error, and the connection closes. */
static int gate_refused(struct evhttp_request *ev, struct reply *rp)
{
	const char *marker = evhttp_find_header(evhttp_request_get_input_headers(ev), GATE_HEADER);
	const char *code, *message;
	int status;
	if (!marker)
		return 0;
	if (gate_refusal(marker, &status, &code, &message) != 0) {
		status = 400;
		code = "bad_request";
		message = "malformed request";
	}
	reply_error(rp, status, code, "%s", message); /* the gate closes the connection after it */
	return 1;
}

static void auth_device(struct request *rq, struct reply *rp)
{
	char tok[BEARER_MAX], sha[CRYPTO_SHA256_HEX_LEN];
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(rq->ev),
					   "Authorization");
	if (bearer_parse(h, tok, sizeof(tok)) != 0) {
		reply_error(rp, 401, "unauthorized", "missing bearer token");
		return;
	}
	crypto_sha256_hex(tok, strlen(tok), sha);
	memset(tok, 0, sizeof(tok));
	struct store_rows *st =
		store_query(rq->c->store, ST_ACCESS_TOKENS_BY_TOKEN_SHA256, "s", sha);
	int r = st ? store_next(st) : DB_ERROR;
	if (r == 1) {
		store_str(st, 0, rq->device_id, sizeof(rq->device_id));
		if (store_int(st, 1) <= rq->now)
			reply_error(rp, 401, "unauthorized", "access token expired");
		else if (store_int(st, 2))
			reply_error(rp, 410, "device_removed", "device was removed by an admin");
	} else if (r == 0) {
		reply_error(rp, 401, "unauthorized", "unknown access token");
	} else {
		reply_internal(rp);
	}
	store_done(st);
	if (rp->status == 0 &&
	    store_run(rq->c->store, ST_DEVICES_SET_LAST_SEEN, "is", rq->now, rq->device_id) < 0)
		reply_internal(rp);
}

static int read_body(struct request *rq, struct reply *rp)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(rq->ev);
	size_t n = evbuffer_get_length(in);
	if (n > CLOUD_BODY_MAX) {
		reply_error(rp, 413, "too_large", "body over %d bytes", CLOUD_BODY_MAX);
		return -1;
	}
	unsigned char *p = n ? evbuffer_pullup(in, (ev_ssize_t)n) : NULL;
	if ((n && !p) || (n && buf_append(&rq->body, p, n) != 0)) {
		reply_internal(rp);
		return -1;
	}
	if (strcmp(rq->method, "POST") != 0 || n == 0)
		return 0; /* an empty POST body reads as an object without fields */
	if (json_parse(&rq->json, buf_str(&rq->body), rq->body.len, JSON_BODY_TOKENS) != 0) {
		reply_error(rp, 400, "bad_request", "body is not valid JSON");
		return -1;
	}
	rq->has_json = 1;
	if (json_type_of(&rq->json, 0) != JSON_OBJECT) {
		reply_error(rp, 400, "bad_request", "body is not a JSON object");
		return -1;
	}
	return 0;
}

static void route(struct request *rq, struct reply *rp)
{
	const struct route *hit = NULL;
	char allow[32] = "";
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]) && !hit; i++) {
		if (!route_match(routes[i].pattern, rq->path, rq->arg, rq->arg2))
			continue;
		if (strcmp(routes[i].method, rq->method) == 0)
			hit = &routes[i];
		else if (strlen(allow) + strlen(routes[i].method) + 3 < sizeof(allow))
			snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
				 allow[0] ? ", " : "", routes[i].method);
	}
	if (!hit) {
		if (allow[0]) {
			reply_error(rp, 405, "method_not_allowed", "method %s not allowed here",
				    rq->method);
			evhttp_add_header(evhttp_request_get_output_headers(rq->ev), "Allow", allow);
		} else {
			reply_error(rp, 404, "not_found", "no such resource");
		}
		return;
	}
	rp->status = 0; /* "not decided yet" while authenticating */
	if (hit->auth == AUTH_ADMIN)
		(void)session_authenticate(rq, rp);
	else if (hit->auth == AUTH_DEVICE)
		auth_device(rq, rp);
	if (rp->status != 0 || (!raw_body_max(rq->method, rq->path) && read_body(rq, rp) != 0))
		return;
	if (hit->auth == AUTH_ADMIN)
		plan_queue_finish(rq->c); /* an admin sees and changes whole jobs only */
	reply_internal(rp); /* what a handler that forgot to reply answers */
	hit->fn(rq, rp);
	if (!!store_in_transaction(rq->c->store)) { /* a bug, but not one that wedges the DB */
		log_error("http: %s %s left a transaction open; rolled back", rq->method, rq->path);
		store_rollback(rq->c->store);
		reply_internal(rp);
	}
}

void router_dispatch(struct evhttp_request *ev, void *arg)
{
	struct request rq;
	struct reply rp;
	char what[REQ_PATH_MAX + 16];

	memset(&rq, 0, sizeof(rq));
	TAILQ_INIT(&rq.query);
	rq.c = arg;
	rq.ev = ev;
	rq.now = cloud_now(rq.c);
	gettimeofday(&rq.start, NULL);
	rq.method = method_name(evhttp_request_get_command(ev));
	request_peer(ev, rq.peer, sizeof(rq.peer));
	buf_init(&rq.body, CLOUD_BODY_MAX);
	reply_init(&rp);

	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
	if (gate_refused(ev, &rp)) {
		path = NULL;
	} else if (!path || strlen(path) >= sizeof(rq.path)) {
		reply_error(&rp, 404, "not_found", "no such resource");
	} else {
		strcpy(rq.path, path);
		if (query && evhttp_parse_query_str(query, &rq.query) != 0)
			reply_error(&rp, 400, "bad_request", "malformed query string");
		else if (!console_route(&rq, &rp))
			route(&rq, &rp);
	}
	snprintf(what, sizeof(what), "%s %s", rq.method, path && rq.path[0] ? rq.path : "?");
	if (!rp.held)
		reply_send(rq.c, ev, &rp, what, &rq.start);
	reply_free(&rp);
	if (rq.has_json)
		json_free(&rq.json);
	buf_free(&rq.body);
	evhttp_clear_headers(&rq.query);
}

/* ---- body fields ---- */

static int field_tok(struct request *rq, const char *key)
{
	return rq->has_json ? json_find(&rq->json, 0, key) : -1;
}

int req_string_opt(struct request *rq, struct reply *rp, const char *key, char *out,
		   size_t outsz)
{
	int t = field_tok(rq, key);
	if (t < 0 || json_tok_is_null(&rq->json, t))
		return 0;
	if (json_type_of(&rq->json, t) != JSON_STRING ||
	    json_tok_string(&rq->json, t, out, outsz) < 0 ||
	    (out[0] && !is_printable(out, (unsigned)outsz))) {
		reply_bad_field(rp, key);
		return -1;
	}
	return 0;
}

int req_string(struct request *rq, struct reply *rp, const char *key, char *out, size_t outsz)
{
	out[0] = '\0';
	if (req_string_opt(rq, rp, key, out, outsz) != 0)
		return -1;
	if (!out[0]) {
		reply_bad_field(rp, key);
		return -1;
	}
	return 0;
}

int req_int_opt(struct request *rq, struct reply *rp, const char *key, int64_t *out)
{
	int t = field_tok(rq, key);
	if (t < 0 || json_tok_is_null(&rq->json, t))
		return 0;
	if (json_tok_int64(&rq->json, t, out) < 0) {
		reply_bad_field(rp, key);
		return -1;
	}
	return 0;
}

int req_int(struct request *rq, struct reply *rp, const char *key, int64_t *out)
{
	int t = field_tok(rq, key);
	if (t < 0 || json_tok_is_null(&rq->json, t)) {
		reply_bad_field(rp, key);
		return -1;
	}
	return req_int_opt(rq, rp, key, out);
}

int req_bool_opt(struct request *rq, struct reply *rp, const char *key, int *out)
{
	int t = field_tok(rq, key);
	if (t < 0 || json_tok_is_null(&rq->json, t))
		return 0;
	if (json_tok_bool(&rq->json, t, out) < 0) {
		reply_bad_field(rp, key);
		return -1;
	}
	return 0;
}
