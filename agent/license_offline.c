/* license_offline: see license_offline.h. */
#include "license_offline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../lib/envelope.h"
#include "../lib/fsutil.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "agent.h"
#include "enroll.h"
#include "report.h"

#define LICENSE_FILE_MAX (1024 * 1024)
#define LICENSE_FILE_TOKENS 4096
#define ENVELOPE_SKEW_S 300

int license_export_system_file(struct agent *a, const char *out_path)
{
	char fp[CRYPTO_SHA256_HEX_LEN], pem[CRYPTO_PUBKEY_PEM_MAX];
	struct buf payload, env;
	struct json_writer w;
	int64_t now = agent_now(a);
	int rc = AGENT_EXIT_STATE;

	if (crypto_key_fingerprint(a->key, fp) || crypto_key_public_pem(a->key, pem, sizeof(pem))) {
		log_error("system file: cannot read the device key");
		return rc;
	}
	buf_init(&payload, ENVELOPE_MAX_BYTES);
	buf_init(&env, ENVELOPE_MAX_BYTES * 2);
	jw_init(&w, &payload);
	jw_object_begin(&w);
	jw_kv_string(&w, "type", "system");
	jw_kv_string(&w, "device_id", fp); /* an offline system is known by its key */
	jw_kv_string(&w, "serial", a->ident.serial);
	jw_kv_int(&w, "iat", now);
	jw_kv_int(&w, "exp", now + SYSTEM_FILE_TTL_S);
	jw_kv_string(&w, "model", a->ident.model);
	jw_kv_string(&w, "os_version", a->ident.os_version);
	jw_kv_string(&w, "agent_version", CAMAGENT_VERSION);
	jw_kv_string(&w, "public_key", pem);
	agent_settle(a); /* the camera's list of applications */
	report_write_apps(&w, a);
	jw_object_end(&w);
	if (jw_finish(&w) || envelope_seal(a->key, payload.data, payload.len, &env) ||
	    buf_append_str(&env, "\n")) {
		log_error("system file: cannot build it");
	} else if (fs_write_atomic(out_path, env.data, env.len, 0644)) {
		log_error("system file: cannot write %s: %s", out_path, strerror(errno));
	} else {
		printf("system file for %s (%s), device key %s: %s\n", a->ident.serial,
		       a->ident.model, fp, out_path);
		rc = AGENT_EXIT_OK;
	}
	buf_free(&payload);
	buf_free(&env);
	return rc;
}

/* The cloud key to check the license file with: the one pinned at enrollment, else the
 * file's own, if its fingerprint is the one the configured enrollment token names. */
static struct crypto_key *trusted_cloud_key(struct agent *a, const char *file_pem)
{
	struct crypto_key *k = NULL;
	char fp[CRYPTO_SHA256_HEX_LEN], err[256];
	struct enroll_token tok;
	if (a->cloud_key)
		return a->cloud_key;
	if (!a->cfg.enrollment_token[0] ||
	    enroll_token_parse(a->cfg.enrollment_token, &tok, err, sizeof(err))) {
		log_error("license file: no cloud key to check it with (enroll once, or configure "
			  "the organization's enrollment token)");
		return NULL;
	}
	if (crypto_key_from_public_pem(&k, file_pem) || crypto_key_fingerprint(k, fp) ||
	    strcmp(fp, tok.fp) != 0) {
		log_error("license file: signed by a cloud key the enrollment token does not name");
		crypto_key_free(k);
		return NULL;
	}
	return k;
}

int license_import_file(struct agent *a, const char *path)
{
	struct buf text;
	struct json_doc d = {0};
	char type[32], serial[PLATFORM_FIELD_MAX], key_fp[CRYPTO_SHA256_HEX_LEN], fp[CRYPTO_SHA256_HEX_LEN];
	static char pem[CRYPTO_PUBKEY_PEM_MAX];
	int rc = AGENT_EXIT_STATE, arr;

	buf_init(&text, LICENSE_FILE_MAX);
	if (fs_read_file(path, &text, LICENSE_FILE_MAX) ||
	    json_parse(&d, buf_str(&text), text.len, LICENSE_FILE_TOKENS) ||
	    json_get_string(&d, 0, "type", type, sizeof(type)) || strcmp(type, "license_file") ||
	    json_get_string(&d, 0, "serial", serial, sizeof(serial)) ||
	    json_get_string(&d, 0, "key_fp", key_fp, sizeof(key_fp)) ||
	    json_get_string(&d, 0, "cloud_public_key", pem, sizeof(pem)) ||
	    (arr = json_find(&d, 0, "licenses")) < 0 || json_array_len(&d, arr) < 0) {
		log_error("license file %s: not a license file", path);
		goto out;
	}
	if (crypto_key_fingerprint(a->key, fp) || strcmp(serial, a->ident.serial) ||
	    strcmp(key_fp, fp)) {
		log_error("license file %s is for %s (device key %.12s...), this is %s (%.12s...)",
			  path, serial, key_fp, a->ident.serial, fp);
		goto out;
	}
	struct crypto_key *cloud = trusted_cloud_key(a, pem);
	if (!cloud)
		goto out;
	struct crypto_key *pinned = a->cloud_key;
	a->cloud_key = cloud; /* every envelope is checked against it */
	struct envelope_binding want = {
		.type = "license", .device_id = fp, .serial = a->ident.serial,
		.now = agent_now(a), .max_skew = ENVELOPE_SKEW_S,
	};
	int taken = 0, n = json_array_len(&d, arr);
	for (int i = 0; i < n; i++) {
		size_t len;
		const char *env = json_tok_raw(&d, json_array_at(&d, arr, i), &len);
		int rc_one = license_take_envelope(a, env, len, &want);
		if (rc_one == 1) { /* the camera was busy with the one before */
			agent_settle(a);
			rc_one = license_take_envelope(a, env, len, &want);
		}
		taken += rc_one == 0;
	}
	agent_settle(a);
	a->cloud_key = pinned;
	if (cloud != pinned)
		crypto_key_free(cloud);
	for (int i = 0; i < a->licenses.count; i++)
		printf("license %s (%s): %s%s%s\n", a->licenses.items[i].license_id,
		       a->licenses.items[i].app, a->licenses.items[i].state,
		       a->licenses.items[i].reason[0] ? " - " : "", a->licenses.items[i].reason);
	rc = taken == n ? AGENT_EXIT_OK : AGENT_EXIT_STATE;
	if (taken != n)
		log_error("license file %s: %d of %d licenses refused", path, n - taken, n);
out:
	json_free(&d);
	buf_free(&text);
	return rc;
}
