/* last_camera: see last_camera.h. */
#include "last_camera.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "../lib/jsonfile.h"
#include "../lib/log.h"
#include "agent.h"

#define LAST_CAMERA_FILE "last_camera.json"
#define LAST_CAMERA_MAX 2048

static const struct {
	const char *key;
	size_t off;
} fields[] = {
	{ "serial", offsetof(struct platform_identity, serial) },
	{ "model", offsetof(struct platform_identity, model) },
	{ "hardware_id", offsetof(struct platform_identity, hardware_id) },
	{ "arch", offsetof(struct platform_identity, arch) },
	{ "os_version", offsetof(struct platform_identity, os_version) },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

void last_camera_save(struct agent *a)
{
	struct buf text;
	struct json_writer w;

	buf_init(&text, LAST_CAMERA_MAX);
	jw_init(&w, &text);
	jw_object_begin(&w);
	for (size_t i = 0; i < NFIELDS; i++)
		jw_kv_string(&w, fields[i].key, (const char *)&a->ident + fields[i].off);
	jw_kv_string(&w, "agent_version", a->agent_version);
	jw_object_end(&w);
	if (json_file_write(a->cfg.state_dir, LAST_CAMERA_FILE, &w, 0600) != 0)
		log_warn("cannot keep %s/%s: %s", a->cfg.state_dir, LAST_CAMERA_FILE,
			 strerror(errno));
	buf_free(&text);
}

static int shape(const struct json_doc *doc, void *out, char *err, size_t errsz)
{
	struct agent *a = out;
	struct platform_identity id;

	memset(&id, 0, sizeof(id));
	for (size_t i = 0; i < NFIELDS; i++)
		if (json_get_string(doc, 0, fields[i].key, (char *)&id + fields[i].off,
				    PLATFORM_FIELD_MAX) != 0) {
			snprintf(err, errsz, "no usable %s", fields[i].key);
			return -1;
		}
	if (json_get_string(doc, 0, "agent_version", a->agent_version,
			    sizeof(a->agent_version)) != 0) {
		snprintf(err, errsz, "no usable agent_version");
		return -1;
	}
	a->ident = id;
	return 0;
}

int last_camera_load(struct agent *a)
{
	char err[256];
	int rc = json_file_load(a->cfg.state_dir, LAST_CAMERA_FILE, LAST_CAMERA_MAX, 32, shape, a,
				err, sizeof(err));

	if (rc == JSON_FILE_PREVIOUS)
		log_warn("%s: %s; using the previous generation", LAST_CAMERA_FILE, err);
	if (rc == -1)
		log_warn("%s: %s", LAST_CAMERA_FILE, err);
	if (rc == 0 || rc == JSON_FILE_PREVIOUS)
		return 0;
	memset(&a->ident, 0, sizeof(a->ident));
	return -1;
}
