/* libFuzzer target: what the agent reads out of a verified envelope — the binding (type,
 * device, serial, times) and the task or license fields. A signature proves only who
 * wrote it; the fields must still be checked. What a task reader accepts is usable: a
 * 64-digit hash, a size, a path-only artifact URL. */
/* fuzz-links: lib agent */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/license.h"
#include "../../agent/tasks.h"
#include "../../lib/envelope.h"

static int terminated(const char *s, size_t sz)
{
	return memchr(s, '\0', sz) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct envelope_binding task = { "task", "0123456789abcdef0123456789abcdef", "ACCC8E000001",
					 1764000000, 300 };
	struct envelope_binding license = task;
	license.type = "license";
	(void)envelope_check_binding(text, size, &task);
	(void)envelope_check_binding(text, size, &license);

	struct task_run t;
	memset(&t, 0, sizeof(t));
	if (task_payload_read(&t, text, size) == 0 &&
	    (t.size == 0 || strlen(t.sha256) != 64 || t.artifact_url[0] != '/' ||
	     !terminated(t.task_id, sizeof(t.task_id)) || !terminated(t.model, sizeof(t.model)) ||
	     !terminated(t.target_version, sizeof(t.target_version))))
		abort();

	static struct license_payload_fields lic;
	char why[LICENSE_REASON_MAX] = "";
	memset(&lic, 0, sizeof(lic));
	if (license_payload_read(text, size, &lic, why, sizeof(why)) == 0) {
		/* a cloud token carries no key file; every other kind exactly one */
		int cloud = strcmp(lic.kind, "cloud") == 0;
		if ((!cloud && lic.keylen == 0) || lic.keylen > sizeof(lic.key) ||
		    !terminated(lic.app, sizeof(lic.app)) || !terminated(lic.kind, sizeof(lic.kind)))
			abort();
	} else if (!why[0]) {
		abort(); /* a refusal says why: it is reported to the cloud */
	}
	return 0;
}
