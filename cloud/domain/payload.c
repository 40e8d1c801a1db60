/* payload: JSON builders for what the cloud signs or prints (see payload.h). */
#include "payload.h"

#include <inttypes.h>
#include <string.h>

#include "../../lib/crypto.h"

static void common(struct json_writer *w, const char *type, const char *device_id,
		   const char *serial, int64_t iat, int64_t exp)
{
	jw_kv_string(w, "type", type);
	jw_kv_string(w, "device_id", device_id);
	jw_kv_string(w, "serial", serial);
	jw_kv_int(w, "iat", iat);
	jw_kv_int(w, "exp", exp);
}

void payload_window(struct json_writer *w, const struct task_window *win)
{
	if (!win || win->kind == WINDOW_NONE) {
		jw_null(w);
		return;
	}
	jw_object_begin(w);
	jw_kv_string(w, "kind", window_kind_name(win->kind));
	if (win->kind == WINDOW_UTC) {
		jw_kv_int(w, "start", win->start);
		jw_kv_int(w, "end", win->end);
	} else {
		jw_kv_string(w, "from", win->from);
		jw_kv_string(w, "to", win->to);
	}
	jw_object_end(w);
}

int payload_task(const struct task_payload *t, struct buf *out)
{
	struct json_writer w;
	struct buf url;
	buf_init(&url, 128);
	int rc = buf_append_str(&url, "/device/v1/artifacts/") | buf_append_str(&url, t->artifact_id);

	jw_init(&w, out);
	jw_object_begin(&w);
	common(&w, "task", t->device_id, t->serial, t->iat, t->exp);
	jw_kv_string(&w, "task_id", t->task_id);
	int app = t->app_action && t->app_action[0];
	if (app) {
		jw_kv_string(&w, "kind", "app");
		jw_kv_string(&w, "action", t->app_action);
		jw_kv_string(&w, "app", t->app_name);
		jw_kv_string(&w, "version", t->target_version);
		jw_key(&w, "params");
		if (t->app_params && t->app_params[0])
			jw_raw(&w, t->app_params, strlen(t->app_params));
		else
			jw_raw(&w, "[]", 2);
	} else {
		jw_kv_string(&w, "kind", "os_upgrade");
		jw_kv_string(&w, "model", t->model);
		jw_kv_string(&w, "target_version", t->target_version);
		jw_kv_bool(&w, "allow_downgrade", t->allow_downgrade);
	}
	jw_key(&w, "artifact");
	if (app && strcmp(t->app_action, "install") != 0)
		jw_null(&w);
	else
		jw_object_begin(&w);
	if (!app || strcmp(t->app_action, "install") == 0) {
		jw_kv_string(&w, "url", buf_str(&url));
		jw_kv_int(&w, "size", t->size);
		jw_kv_string(&w, "sha256", t->sha256);
		jw_object_end(&w);
	}
	jw_key(&w, "window");
	payload_window(&w, t->window);
	jw_object_end(&w);
	buf_free(&url);
	return rc == 0 && jw_finish(&w) == 0 ? 0 : -1;
}

int payload_license(const struct license_payload *l, struct buf *out)
{
	struct json_writer w;
	jw_init(&w, out);
	jw_object_begin(&w);
	common(&w, "license", l->device_id, l->serial, l->iat, l->exp);
	jw_kv_string(&w, "license_id", l->license_id);
	jw_kv_string(&w, "app", l->app);
	jw_kv_string(&w, "kind", l->kind);
	if (l->key_b64)
		jw_kv_string(&w, "key", l->key_b64); /* exactly the file the vendor issued */
	jw_kv_int(&w, "license_exp", l->license_exp);
	jw_object_end(&w);
	return jw_finish(&w);
}

int token_string(const char *url, const char *secret, const char *fp, char *out, size_t outsz)
{
	struct buf js;
	struct json_writer w;
	buf_init(&js, 1024);
	jw_init(&w, &js);
	jw_object_begin(&w);
	jw_kv_string(&w, "url", url);
	jw_kv_string(&w, "secret", secret);
	jw_kv_string(&w, "fp", fp);
	jw_object_end(&w);
	int rc = -1;
	if (jw_finish(&w) == 0 && outsz > 5) {
		memcpy(out, "cam1.", 5);
		rc = base64url_encode(js.data, js.len, out + 5, outsz - 5) < 0 ? -1 : 0;
	}
	if (js.data)
		memset(js.data, 0, js.len); /* it held the secret */
	buf_free(&js);
	return rc;
}
