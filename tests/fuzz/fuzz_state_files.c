/* libFuzzer target: the agent's state files as a disk or a person may have left them.
 * The first byte picks the file (state.json, task.json, licenses.json), the rest is its
 * content. What loads must save and load again to the same thing. */
/* fuzz-links: lib agent tests/fuzz/tmpfiles.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/license.h"
#include "../../agent/state.h"
#include "../../agent/tasks.h"
#include "tmpfiles.h"

static void state(void)
{
	struct agent_state a, b;
	char err[512];
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (state_load(fuzz_tmpdir(), &a, err, sizeof(err)))
		return;
	if (state_save(fuzz_tmpdir(), &a) || state_load(fuzz_tmpdir(), &b, err, sizeof(err)) ||
	    memcmp(&a, &b, sizeof(a)))
		abort();
}

static void task(void)
{
	struct task_run a, b;
	char err[512];
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (task_store_load(fuzz_tmpdir(), &a, err, sizeof(err)))
		return;
	if (a.state == TASK_NONE)
		return;
	if (task_store_save(fuzz_tmpdir(), &a) || task_store_load(fuzz_tmpdir(), &b, err, sizeof(err)) ||
	    a.state != b.state || a.size != b.size || strcmp(a.task_id, b.task_id) ||
	    strcmp(a.sha256, b.sha256) || strcmp(a.artifact_url, b.artifact_url))
		abort();
}

static void licenses(void)
{
	struct license_set a, b;
	char err[512];
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (license_store_load(fuzz_tmpdir(), &a, err, sizeof(err)))
		return;
	if (a.count < 0 || a.count > LICENSE_MAX)
		abort();
	if (license_store_save(fuzz_tmpdir(), &a) ||
	    license_store_load(fuzz_tmpdir(), &b, err, sizeof(err)) || memcmp(&a, &b, sizeof(a)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = { "state.json", "task.json", "licenses.json" };
	if (size < 1)
		return 0;
	int which = data[0] % 3;
	fuzz_write_file(names[which], data + 1, size - 1);
	if (which == 0)
		state();
	else if (which == 1)
		task();
	else
		licenses();
	return 0;
}
