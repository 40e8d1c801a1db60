/* enroll: builds and signs the enrollment and auth requests and checks the
 * replies. The enrollment reply is trusted only when its signature verifies with
 * a cloud key whose fingerprint the token named. */
#include "enroll.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/protocol.h"
#include "agent.h"
#include "api.h"
#include "status.h"

#define TOKEN_PREFIX "cam1."
#define REQUEST_MAX (8 * 1024)

static int is_hex(const char *s, size_t len)
{
	if (strlen(s) != len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

int enroll_token_parse(const char *text, struct enroll_token *out, char *err, size_t errsz)
{
	uint8_t raw[2048];
	struct json_doc doc = { 0 };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (strncmp(text, TOKEN_PREFIX, strlen(TOKEN_PREFIX))) {
		snprintf(err, errsz, "enrollment token must start with '%s'", TOKEN_PREFIX);
		return -1;
	}
	const char *b64 = text + strlen(TOKEN_PREFIX);
	int n = base64url_decode(b64, strlen(b64), raw, sizeof(raw));
	if (n <= 0) {
		snprintf(err, errsz, "enrollment token is damaged (not base64url)");
		return -1;
	}
	if (json_parse(&doc, (const char *)raw, (size_t)n, 16) ||
	    json_get_string(&doc, 0, "url", out->url, sizeof(out->url)) ||
	    json_get_string(&doc, 0, "secret", out->secret, sizeof(out->secret)) ||
	    json_get_string(&doc, 0, "fp", out->fp, sizeof(out->fp))) {
		snprintf(err, errsz, "enrollment token is damaged (url, secret or fp missing)");
		goto out;
	}
	if (!is_hex(out->fp, 64) || !out->secret[0] || !out->url[0]) {
		snprintf(err, errsz, "enrollment token is damaged (bad fingerprint or empty field)");
		goto out;
	}
	rc = 0;
out:
	json_free(&doc);
	return rc;
}

/* Signs body with the device key into sig (base64 DER). */
static int sign_request(struct agent *a, const struct buf *body, char *sig, size_t sigsz)
{
	return crypto_sign(a->key, body->data, body->len, sig, sigsz);
}

static void write_nonce_ts(struct json_writer *w, int64_t now)
{
	char nonce[33];
	if (crypto_random_hex(nonce, 16))
		nonce[0] = '\0'; /* jw still writes valid JSON; the server will refuse it */
	jw_kv_int(w, "ts", now);
	jw_kv_string(w, "nonce", nonce);
}

/* --- enrollment --- */

int enroll_set_state(struct agent *a, const struct agent_state *next)
{
	if (state_save(a->cfg.state_dir, next)) {
		log_error("enrollment %s -> %s not made: cannot save state in %s: %s",
			  enroll_state_name(a->st.enroll), enroll_state_name(next->enroll),
			  a->cfg.state_dir, strerror(errno));
		return -1;
	}
	if (next->enroll != a->st.enroll)
		log_info("enrollment: %s -> %s", enroll_state_name(a->st.enroll),
			 enroll_state_name(next->enroll));
	if (next != &a->st)
		a->st = *next;
	status_write(a);
	return 0;
}

static int enroll_refused(struct agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Never retries this token by itself: a person must give another one. -1 when
 * that could not be saved (the token is then tried again after a backoff). */
static int enroll_refused(struct agent *a, const char *fmt, ...)
{
	struct agent_state next = a->st;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(next.last_error, sizeof(next.last_error), fmt, ap);
	va_end(ap);
	log_error("enrollment refused: %s", next.last_error);
	crypto_sha256_hex(a->cfg.enrollment_token, strlen(a->cfg.enrollment_token),
			  next.spent_token_sha256);
	next.enroll = a->st.enroll == ENROLL_REMOVED ? ENROLL_REMOVED : ENROLL_REFUSED;
	return enroll_set_state(a, &next);
}

/* Checks the signed reply and pins the cloud key. 0 when enrolled. */
static int accept_enrollment(struct agent *a, const struct http_response *resp, char *why,
			     size_t whysz)
{
	struct json_doc doc = { 0 };
	struct crypto_key *cloud = NULL;
	char fp[CRYPTO_SHA256_HEX_LEN], serial[PLATFORM_FIELD_MAX] = "";
	struct agent_state next = a->st;
	int rc = -1;

	if (json_parse(&doc, buf_str(&resp->body), resp->body.len, 64) ||
	    json_get_string(&doc, 0, "device_id", next.device_id, sizeof(next.device_id)) ||
	    json_get_string(&doc, 0, "serial", serial, sizeof(serial)) ||
	    json_get_string(&doc, 0, "cloud_public_key", next.cloud_key_pem,
			    sizeof(next.cloud_key_pem))) {
		snprintf(why, whysz, "malformed enrollment reply");
		goto out;
	}
	(void)json_get_string(&doc, 0, "org", next.org, sizeof(next.org));
	(void)json_get_string(&doc, 0, "folder", next.folder, sizeof(next.folder));
	if (crypto_key_from_public_pem(&cloud, next.cloud_key_pem) ||
	    crypto_key_fingerprint(cloud, fp)) {
		snprintf(why, whysz, "the cloud's public key in the reply is not a P-256 key");
		goto out;
	}
	if (strcmp(fp, a->enroll_token.fp)) {
		snprintf(why, whysz, "the cloud's key %.16s... is not the key %.16s... the token names",
			 fp, a->enroll_token.fp);
		goto out;
	}
	if (!resp->signature[0] || crypto_verify(cloud, resp->body.data, resp->body.len, resp->signature)) {
		snprintf(why, whysz, "the enrollment reply is not signed by the cloud's key");
		goto out;
	}
	if (strcmp(serial, a->ident.serial) || !proto_is_id(next.device_id)) {
		snprintf(why, whysz, "the enrollment reply is for serial '%s', not ours", serial);
		goto out;
	}
	next.enroll = ENROLL_ENROLLED;
	snprintf(next.cloud_url, sizeof(next.cloud_url), "%s",
		 a->cfg.cloud_url[0] ? a->cfg.cloud_url : a->enroll_token.url);
	crypto_sha256_hex(a->cfg.enrollment_token, strlen(a->cfg.enrollment_token),
			  next.spent_token_sha256);
	next.last_error[0] = '\0';
	if (enroll_set_state(a, &next)) {
		snprintf(why, whysz, "cannot save state in %s: %s", a->cfg.state_dir, strerror(errno));
		goto out;
	}
	crypto_key_free(a->cloud_key);
	a->cloud_key = cloud;
	cloud = NULL;
	rc = 0;
out:
	crypto_key_free(cloud);
	json_free(&doc);
	return rc;
}

static enum call_outcome on_enroll_refused(struct agent *a, const struct api_result *r)
{
	return enroll_refused(a, "%s (%s)", r->message, r->code) ? CALL_BACKOFF : CALL_NEXT;
}

static enum call_outcome on_enrolled(struct agent *a, const struct http_response *resp)
{
	char why[256];
	if (accept_enrollment(a, resp, why, sizeof(why))) {
		/* A reply we cannot trust: do not pin anything, do not spend the token. */
		log_error("enrollment: %s", why);
		snprintf(a->st.last_error, sizeof(a->st.last_error), "enrollment: %s", why);
		return CALL_MALFORMED;
	}
	log_info("enrolled as device %s in organization '%s', folder '%s'", a->st.device_id,
		 a->st.org, a->st.folder);
	agent_report_soon(a);
	a->next_license_check = 0;
	return CALL_DONE;
}

void enroll_start(struct agent *a)
{
	char err[256], url[CONFIG_URL_MAX + 64], pem[CRYPTO_PUBKEY_PEM_MAX], sig[CRYPTO_SIG_B64_MAX];
	struct buf body;
	struct json_writer w;

	if (enroll_token_parse(a->cfg.enrollment_token, &a->enroll_token, err, sizeof(err))) {
		if (enroll_refused(a, "%s", err))
			agent_fail(a, FAIL_LOCAL, "enrollment: cannot save state");
		else
			agent_wake(a);
		return;
	}
	const char *base = a->cfg.cloud_url[0] ? a->cfg.cloud_url : a->enroll_token.url;
	if (agent_url(a, base, "/device/v1/enroll", url, sizeof(url)) ||
	    !http_url_allowed(url, a->cfg.allow_insecure_http)) {
		if (enroll_refused(a, "cloud URL '%s' is not allowed (https, or http to loopback when "
				      "allow_insecure_http is set)", base))
			agent_fail(a, FAIL_LOCAL, "enrollment: cannot save state");
		else
			agent_wake(a);
		return;
	}
	buf_init(&body, REQUEST_MAX);
	jw_init(&w, &body);
	if (crypto_key_public_pem(a->key, pem, sizeof(pem))) {
		agent_fail(a, FAIL_LOCAL, "cannot export the device public key");
		buf_free(&body);
		return;
	}
	jw_object_begin(&w);
	jw_kv_string(&w, "token_secret", a->enroll_token.secret);
	jw_kv_string(&w, "serial", a->ident.serial);
	jw_kv_string(&w, "model", a->ident.model);
	jw_kv_string(&w, "hardware_id", a->ident.hardware_id);
	jw_kv_string(&w, "arch", a->ident.arch);
	jw_kv_string(&w, "os_version", a->ident.os_version);
	jw_kv_string(&w, "agent_version", a->agent_version);
	jw_kv_string(&w, "public_key", pem);
	write_nonce_ts(&w, agent_now(a));
	jw_object_end(&w);
	if (jw_finish(&w) || sign_request(a, &body, sig, sizeof(sig))) {
		agent_fail(a, FAIL_LOCAL, "cannot build the enrollment request");
		buf_free(&body);
		return;
	}
	log_info("enrolling at %s", base);
	struct agent_call call = {
		.what = "enrollment",
		.spec = { .method = "POST", .url = url, .body = body.data, .body_len = body.len,
			  .signature = sig },
		.on_success = on_enrolled, .on_refused = on_enroll_refused, .flags = CALL_SIGNED,
	};
	agent_call(a, &call);
	buf_free(&body);
}

/* --- authentication --- */

static enum call_outcome on_auth_refused(struct agent *a, const struct api_result *r)
{
	/* The cloud does not accept our signature: a clock or key problem, not a token one. */
	snprintf(a->st.last_error, sizeof(a->st.last_error), "authentication refused: %s (%s)",
		 r->message, r->code);
	return CALL_BACKOFF;
}

/* Bounds on what the cloud may hand us: a token we can send back as a header, a
 * lifetime that cannot overflow anything. */
#define TOKEN_LIFETIME_MIN_S 10
#define TOKEN_LIFETIME_MAX_S (7 * 86400)

static enum call_outcome on_authenticated(struct agent *a, const struct http_response *resp)
{
	struct json_doc doc = { 0 };
	char token[ACCESS_TOKEN_MAX] = "";
	int64_t expires_in = 0;
	int ok = !json_parse(&doc, buf_str(&resp->body), resp->body.len, 16) &&
		 !json_get_string(&doc, 0, "access_token", token, sizeof(token)) &&
		 proto_is_token(token) && !json_get_int64(&doc, 0, "expires_in", &expires_in) &&
		 expires_in >= TOKEN_LIFETIME_MIN_S && expires_in <= TOKEN_LIFETIME_MAX_S;
	json_free(&doc);
	if (!ok) {
		explicit_bzero(token, sizeof(token));
		return CALL_MALFORMED;
	}
	memcpy(a->access_token, token, sizeof(a->access_token));
	explicit_bzero(token, sizeof(token));
	/* Renew when a fifth of the lifetime is left. */
	a->access_expires = agent_now(a) + expires_in - expires_in / 5;
	log_debug("authenticated; access token valid for %lld s", (long long)expires_in);
	return CALL_DONE;
}

void auth_start(struct agent *a)
{
	char url[CONFIG_URL_MAX + 64], sig[CRYPTO_SIG_B64_MAX];
	struct buf body;
	struct json_writer w;

	buf_init(&body, REQUEST_MAX);
	jw_init(&w, &body);
	jw_object_begin(&w);
	jw_kv_string(&w, "device_id", a->st.device_id);
	write_nonce_ts(&w, agent_now(a));
	jw_object_end(&w);
	if (jw_finish(&w) || sign_request(a, &body, sig, sizeof(sig)) ||
	    agent_url(a, NULL, "/device/v1/auth", url, sizeof(url))) {
		agent_fail(a, FAIL_LOCAL, "cannot build the auth request");
		buf_free(&body);
		return;
	}
	explicit_bzero(a->access_token, sizeof(a->access_token));
	struct agent_call call = {
		.what = "authentication",
		.spec = { .method = "POST", .url = url, .body = body.data, .body_len = body.len,
			  .signature = sig },
		.on_success = on_authenticated, .on_refused = on_auth_refused,
		.flags = CALL_SIGNED | CALL_KEEPS_BACKOFF,
	};
	agent_call(a, &call);
	buf_free(&body);
}
