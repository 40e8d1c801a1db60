/* report: builds the report body from the platform identity and local state. */
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/fsutil.h"
#include "../lib/eap.h"
#include "../lib/json.h"
#include "../lib/keyfile.h"
#include "../lib/log.h"
#include "agent.h"
#include "api.h"
#include "status.h"

#define REPORT_MAX (16 * 1024)

/* An admin may have moved the device: keep the names we show in step with the cloud. */
static void update_place(struct agent *a, const struct json_doc *doc)
{
	char org[STATE_NAME_MAX], folder[STATE_NAME_MAX];
	if (json_get_string(doc, 0, "org", org, sizeof(org)) ||
	    json_get_string(doc, 0, "folder", folder, sizeof(folder)) ||
	    (!strcmp(org, a->st.org) && !strcmp(folder, a->st.folder)))
		return;
	log_info("the cloud now lists this device in organization '%s', folder '%s'", org, folder);
	snprintf(a->st.org, sizeof(a->st.org), "%s", org);
	snprintf(a->st.folder, sizeof(a->st.folder), "%s", folder);
	if (state_save(a->cfg.state_dir, &a->st))
		log_error("cannot save state in %s: %s", a->cfg.state_dir, strerror(errno));
	status_write(a);
}

/* The cloud will not take the report: do not hammer it with the same body. */
static enum call_outcome on_report_refused(struct agent *a, const struct api_result *r)
{
	log_error("report refused: %s (%s)", r->message, r->code);
	a->next_report = a->report_asked ? 0 : agent_now(a) + a->cfg.heartbeat_s;
	return CALL_NEXT;
}

static enum call_outcome on_reported(struct agent *a, const struct http_response *resp)
{
	struct json_doc doc = { 0 };
	int64_t heartbeat = a->cfg.heartbeat_s;

	if (!json_parse(&doc, buf_str(&resp->body), resp->body.len, 16)) {
		(void)json_get_int64(&doc, 0, "heartbeat", &heartbeat);
		update_place(a, &doc);
	}
	json_free(&doc);
	/* The cloud sets the pace; a local setting may only ask for more. */
	if (heartbeat < 5 || heartbeat > 86400 || heartbeat > a->cfg.heartbeat_s)
		heartbeat = a->cfg.heartbeat_s;
	/* A change while the report was on its way (a list of the apps that came back
	 * first) is not in it: the next one goes at once. */
	a->next_report = a->report_asked ? 0 : agent_now(a) + heartbeat;
	log_info("reported AXIS OS %s to the cloud", a->ident.os_version);
	return CALL_DONE;
}

static void write_licenses(struct json_writer *w, const struct license_set *set)
{
	jw_key(w, "licenses");
	jw_array_begin(w);
	for (int i = 0; i < set->count; i++) {
		const struct license_entry *e = &set->items[i];
		if (!strcmp(e->state, "installing"))
			continue; /* the camera has not answered yet */
		jw_object_begin(w);
		jw_kv_string(w, "app", e->app);
		jw_kv_string(w, "state", e->state);
		jw_kv_string(w, "license_id", e->license_id);
		jw_object_end(w);
	}
	jw_array_end(w);
}

void report_write_apps(struct json_writer *w, struct agent *a)
{
	const struct platform_app_list *list = a->apps;
	if (!a->apps_known)
		return;
	jw_key(w, "apps");
	jw_array_begin(w);
	for (int i = 0; i < list->count; i++) {
		const struct platform_app *p = &list->apps[i];
		int64_t exp = keyfile_date_end(p->license_expires);
		jw_object_begin(w);
		jw_kv_string(w, "name", p->name);
		jw_kv_string(w, "version", p->version);
		jw_kv_string(w, "vendor", p->vendor);
		if (eap_app_id_ok(p->app_id))
			jw_kv_string(w, "app_id", p->app_id);
		jw_kv_bool(w, "running", p->running);
		jw_kv_string(w, "license_state", p->license[0] ? p->license : "None");
		jw_kv_int(w, "license_exp", exp > 0 ? exp : 0);
		jw_object_end(w);
	}
	jw_array_end(w);
}

void report_start(struct agent *a)
{
	char url[CONFIG_URL_MAX + 64];
	struct buf body;
	struct json_writer w;
	uint64_t free_bytes = 0;

	if (a->apps_listing && !a->apps_known)
		return; /* the first list of the camera's apps is on its way: it wakes us */
	a->report_asked = 0; /* this report carries what was asked for until now */
	agent_list_apps(a); /* for the next report; a change makes that one due at once */
	if (fs_free_bytes(a->cfg.state_dir, &free_bytes))
		free_bytes = 0;
	buf_init(&body, REPORT_MAX);
	jw_init(&w, &body);
	jw_object_begin(&w);
	jw_kv_string(&w, "os_version", a->ident.os_version);
	jw_kv_string(&w, "model", a->ident.model);
	jw_kv_string(&w, "serial", a->ident.serial);
	jw_kv_string(&w, "arch", a->ident.arch);
	jw_kv_string(&w, "agent_version", a->agent_version);
	jw_kv_int(&w, "uptime", agent_now(a) - a->started_at);
	jw_kv_int(&w, "free_bytes", (int64_t)free_bytes);
	if (a->camera_not_ready[0]) /* the fields above are what the camera said last time */
		jw_kv_string(&w, "camera_not_ready", a->camera_not_ready);
	write_licenses(&w, &a->licenses);
	report_write_apps(&w, a);
	jw_object_end(&w);
	if (jw_finish(&w) || agent_url(a, NULL, "/device/v1/report", url, sizeof(url))) {
		agent_fail(a, FAIL_LOCAL, "cannot build the report");
		buf_free(&body);
		return;
	}
	struct agent_call call = {
		.what = "report",
		.spec = { .method = "POST", .url = url, .body = body.data, .body_len = body.len },
		.on_success = on_reported, .on_refused = on_report_refused,
	};
	agent_call(a, &call);
	buf_free(&body);
}
