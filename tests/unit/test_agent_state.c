/* Unit tests for the agent's persisted state: state.json, task.json,
 * licenses.json round trips, corrupt files, and version ordering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../agent/license.h"
#include "../../agent/state.h"
#include "../../agent/tasks.h"
#include "../../lib/version.h"

static int make_dir(void **state)
{
	char *dir = strdup("/tmp/camagent-state-XXXXXX");
	assert_non_null(mkdtemp(dir));
	*state = dir;
	return 0;
}

static int remove_dir(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	assert_int_equal(system(cmd), 0);
	free(*state);
	return 0;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void missing_state_is_fresh(void **state)
{
	struct agent_state st;
	char err[256];
	assert_int_equal(state_load(*state, &st, err, sizeof(err)), 0);
	assert_int_equal(st.enroll, ENROLL_NONE);
	assert_string_equal(st.device_id, "");
}

static void state_round_trip_is_private(void **state)
{
	struct agent_state st = { .enroll = ENROLL_ENROLLED }, back;
	char err[256], path[256];
	struct stat sb;
	strcpy(st.device_id, "0123456789abcdef0123456789abcdef");
	strcpy(st.cloud_url, "https://cloud.example");
	struct crypto_key *cloud = NULL;
	assert_int_equal(crypto_key_generate(&cloud), 0);
	assert_int_equal(crypto_key_public_pem(cloud, st.cloud_key_pem, sizeof(st.cloud_key_pem)), 0);
	crypto_key_free(cloud);
	strcpy(st.org, "Org \"quoted\" \\ name");
	strcpy(st.folder, "Folder/ü");
	assert_int_equal(state_save(*state, &st), 0);
	assert_int_equal(state_load(*state, &back, err, sizeof(err)), 0);
	assert_memory_equal(&st, &back, sizeof(st));
	snprintf(path, sizeof(path), "%s/state.json", (char *)*state);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

static void corrupt_state_is_an_error(void **state)
{
	struct agent_state st;
	char err[256];
	write_file(*state, "state.json", "{\"enroll\":\"enrolled\",\"device_id\":");
	assert_int_equal(state_load(*state, &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "state.json"));
	/* Enrolled but missing the pinned key is refused, not half-trusted. */
	write_file(*state, "state.json", "{\"enroll\":\"enrolled\",\"device_id\":\"ab\",\"cloud_url\":\"x\"}");
	assert_int_equal(state_load(*state, &st, err, sizeof(err)), -1);
}

static void forget_keeps_spent_token(void **state)
{
	struct agent_state st = { .enroll = ENROLL_ENROLLED };
	strcpy(st.device_id, "abc");
	strcpy(st.spent_token_sha256, "ff");
	state_forget_enrollment(&st, ENROLL_REMOVED);
	assert_int_equal(st.enroll, ENROLL_REMOVED);
	assert_string_equal(st.device_id, "");
	assert_string_equal(st.spent_token_sha256, "ff");
}

/* A task file whose values could not have come from a valid task is refused. */
static void task_file_with_hostile_values_is_refused(void **state)
{
	static const char *const bad_ids[] = { "t1", "../../x", "0123456789ABCDEF0123456789ABCDEF" };
	struct task_run t = { .state = TASK_DOWNLOADING, .reported = TASK_RECEIVED }, back;
	char err[256];
	strcpy(t.model, "P3265-LVE");
	strcpy(t.target_version, "12.0.1");
	strcpy(t.artifact_url, "/device/v1/artifacts/x");
	memset(t.sha256, 'a', 64);
	t.size = 10;
	t.exp = 1900000000;
	for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		strcpy(t.task_id, bad_ids[i]);
		assert_int_equal(task_store_save(*state, &t), 0);
		assert_int_equal(task_store_load(*state, &back, err, sizeof(err)), -1);
	}
	strcpy(t.task_id, "0123456789abcdef0123456789abcdef");
	strcpy(t.artifact_url, "/admin/v1/orgs");
	assert_int_equal(task_store_save(*state, &t), 0);
	assert_int_equal(task_store_load(*state, &back, err, sizeof(err)), -1);
	strcpy(t.artifact_url, "/device/v1/artifacts/x");
	memset(t.sha256, 'g', 64);
	assert_int_equal(task_store_save(*state, &t), 0);
	assert_int_equal(task_store_load(*state, &back, err, sizeof(err)), -1);
}

static void task_round_trip_and_clear(void **state)
{
	struct task_run t = { .state = TASK_DOWNLOADING, .reported = TASK_RECEIVED }, back;
	char err[256];
	strcpy(t.task_id, "0123456789abcdef0123456789abcdef");
	strcpy(t.model, "P3265-LVE");
	strcpy(t.target_version, "12.0.1");
	strcpy(t.from_version, "11.11.73");
	strcpy(t.artifact_url, "/device/v1/artifacts/x");
	memset(t.sha256, 'a', 64);
	t.size = 5ull << 32; /* beyond 32 bits */
	t.exp = 1900000000;
	t.progress = 42;
	assert_int_equal(task_store_save(*state, &t), 0);
	assert_int_equal(task_store_load(*state, &back, err, sizeof(err)), 0);
	assert_int_equal(back.state, TASK_DOWNLOADING);
	assert_int_equal(back.reported, TASK_RECEIVED);
	assert_int_equal(back.size, 5ull << 32);
	assert_int_equal(back.progress, 42);
	assert_string_equal(back.sha256, t.sha256);
	assert_int_equal(task_store_clear(*state), 0);
	assert_int_equal(task_store_load(*state, &back, err, sizeof(err)), 0);
	assert_int_equal(back.state, TASK_NONE);
}

static void corrupt_task_is_an_error(void **state)
{
	struct task_run t;
	char err[256];
	write_file(*state, "task.json", "{\"state\":\"flying\"}");
	assert_int_equal(task_store_load(*state, &t, err, sizeof(err)), -1);
	assert_int_equal(t.state, TASK_NONE);
}

static void licenses_round_trip(void **state)
{
	struct license_set set = { .count = 2 }, back;
	char err[256];
	strcpy(set.items[0].license_id, "11111111111111111111111111111111");
	strcpy(set.items[0].app, "app-a");
	strcpy(set.items[0].package, "app-a");
	strcpy(set.items[0].kind, "tied");
	strcpy(set.items[0].state, "active");
	set.items[0].license_exp = 1900000000;
	set.items[0].reported = 1;
	strcpy(set.items[1].license_id, "22222222222222222222222222222222");
	strcpy(set.items[1].app, "4711");
	strcpy(set.items[1].kind, "extension");
	strcpy(set.items[1].state, "expired");
	strcpy(set.items[1].reason, "license expired");
	assert_int_equal(license_store_save(*state, &set), 0);
	assert_int_equal(license_store_load(*state, &back, err, sizeof(err)), 0);
	assert_int_equal(back.count, 2);
	assert_memory_equal(&set.items[0], &back.items[0], sizeof(set.items[0]));
	assert_memory_equal(&set.items[1], &back.items[1], sizeof(set.items[1]));
	write_file(*state, "licenses.json", "{\"licenses\":[{\"license_id\":1}]}");
	assert_int_equal(license_store_load(*state, &back, err, sizeof(err)), -1);
	/* a file from before states were kept: "active" says active or failed */
	write_file(*state, "licenses.json",
		   "{\"licenses\":[{\"license_id\":\"33333333333333333333333333333333\","
		   "\"app\":\"a\",\"active\":true,\"reason\":\"\",\"reported\":true}]}");
	assert_int_equal(license_store_load(*state, &back, err, sizeof(err)), 0);
	assert_string_equal(back.items[0].state, "active");
	write_file(*state, "licenses.json",
		   "{\"licenses\":[{\"license_id\":\"33333333333333333333333333333333\","
		   "\"app\":\"a\",\"state\":\"dancing\",\"reason\":\"\",\"reported\":true}]}");
	assert_int_equal(license_store_load(*state, &back, err, sizeof(err)), -1);
	/* An id that could not have come from the cloud (it builds a request path). */
	strcpy(set.items[1].license_id, "../../admin");
	assert_int_equal(license_store_save(*state, &set), 0);
	assert_int_equal(license_store_load(*state, &back, err, sizeof(err)), -1);
}

/* The four ways a state file is found damaged: empty, cut in half, garbage, and
 * valid JSON of the wrong shape (given per file). */
static void damage(const char *dir, const char *name, int how, const char *wrong_shape)
{
	char path[256], text[4096] = "";
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	if (f)
		fclose(f);
	text[n / 2] = '\0';
	const char *ways[] = { "", text, "\x89\x01garbage\xff{", wrong_shape };
	write_file(dir, name, ways[how]);
}

static int exists_in(const char *dir, const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void damaged_state_falls_back_to_previous_generation(void **state)
{
	struct agent_state one = { .enroll = ENROLL_REFUSED }, two = one, back;
	char err[256];
	strcpy(one.org, "first");
	strcpy(two.org, "second");
	for (int how = 0; how < 4; how++) {
		assert_int_equal(state_save(*state, &one), 0);
		assert_int_equal(state_save(*state, &two), 0);
		damage(*state, "state.json", how, "{\"enroll\":[\"enrolled\"]}");
		assert_int_equal(state_load(*state, &back, err, sizeof(err)), JSON_FILE_PREVIOUS);
		assert_non_null(strstr(err, "state.json"));
		assert_string_equal(back.org, "first");
		assert_true(exists_in(*state, "state.json.damaged"));
		/* Written back as the current generation: the next load needs no fallback. */
		assert_int_equal(state_load(*state, &back, err, sizeof(err)), 0);
		assert_string_equal(back.org, "first");
	}
}

static void damaged_state_without_previous_is_fresh(void **state)
{
	struct agent_state one = { .enroll = ENROLL_REFUSED }, back;
	char err[256];
	strcpy(one.org, "first");
	for (int how = 0; how < 4; how++) {
		assert_int_equal(state_save(*state, &one), 0);
		damage(*state, "state.json", how, "{\"enroll\":\"enrolled\",\"device_id\":\"x\"}");
		assert_int_equal(state_load(*state, &back, err, sizeof(err)), -1);
		assert_int_equal(back.enroll, ENROLL_NONE);
		assert_string_equal(back.org, "");
		assert_false(exists_in(*state, "state.json"));
		assert_true(exists_in(*state, "state.json.damaged"));
	}
}

static void fill_task(struct task_run *t)
{
	memset(t, 0, sizeof(*t));
	t->state = TASK_WAITING_WINDOW;
	t->reported = TASK_WAITING_WINDOW;
	strcpy(t->task_id, "0123456789abcdef0123456789abcdef");
	strcpy(t->model, "P3265-LVE");
	strcpy(t->target_version, "12.0.1");
	strcpy(t->artifact_url, "/device/v1/artifacts/x");
	memset(t->sha256, 'a', 64);
	t->size = 10;
	t->exp = 1900000000;
}

static void damaged_task_falls_back_to_previous_generation(void **state)
{
	struct task_run t, back;
	char err[256];
	fill_task(&t);
	for (int how = 0; how < 4; how++) {
		t.progress = 10;
		assert_int_equal(task_store_save(*state, &t), 0);
		t.progress = 20;
		assert_int_equal(task_store_save(*state, &t), 0);
		damage(*state, "task.json", how, "{\"task_id\":\"0123456789abcdef0123456789abcdef\"}");
		assert_int_equal(task_store_load(*state, &back, err, sizeof(err)), JSON_FILE_PREVIOUS);
		assert_int_equal(back.state, TASK_WAITING_WINDOW);
		assert_int_equal(back.progress, 10);
	}
}

/* With nothing good left, a task id that is still readable and valid becomes that
 * task failed, to be reported; anything less is no task at all. */
static void lost_task_is_failed_only_when_its_id_survives(void **state)
{
	struct task_run t, back;
	char err[256];
	fill_task(&t);
	for (int how = 0; how < 4; how++) {
		assert_int_equal(task_store_clear(*state), 0);
		assert_int_equal(task_store_save(*state, &t), 0);
		damage(*state, "task.json", how,
		       "{\"task_id\":\"0123456789abcdef0123456789abcdef\",\"state\":\"nowhere\"}");
		assert_int_equal(task_store_load(*state, &back, err, sizeof(err)), -1);
		if (how == 3) {
			assert_int_equal(back.state, TASK_FAILED);
			assert_int_equal(back.reported, TASK_NONE);
			assert_string_equal(back.task_id, t.task_id);
			assert_string_equal(back.reason, "the agent's task record was damaged");
		} else {
			assert_int_equal(back.state, TASK_NONE);
			assert_string_equal(back.task_id, "");
		}
	}
	write_file(*state, "task.json", "{\"task_id\":\"../../x\",\"state\":\"nowhere\"}");
	assert_int_equal(task_store_load(*state, &back, err, sizeof(err)), -1);
	assert_int_equal(back.state, TASK_NONE);
}

/* A finished task never comes back from its previous generation. */
static void cleared_task_leaves_no_generation(void **state)
{
	struct task_run t, back;
	char err[256];
	fill_task(&t);
	assert_int_equal(task_store_save(*state, &t), 0);
	assert_int_equal(task_store_save(*state, &t), 0);
	assert_true(exists_in(*state, "task.json.prev"));
	assert_int_equal(task_store_clear(*state), 0);
	assert_false(exists_in(*state, "task.json.prev"));
	assert_int_equal(task_store_load(*state, &back, err, sizeof(err)), 0);
	assert_int_equal(back.state, TASK_NONE);
}

static void damaged_licenses_fall_back_or_are_empty(void **state)
{
	struct license_set set = { .count = 1 }, back;
	char err[256];
	strcpy(set.items[0].license_id, "11111111111111111111111111111111");
	strcpy(set.items[0].app, "app-a");
	strcpy(set.items[0].state, "active");
	for (int how = 0; how < 4; how++) {
		assert_int_equal(license_store_save(*state, &set), 0);
		assert_int_equal(license_store_save(*state, &set), 0);
		damage(*state, "licenses.json", how, "{\"licenses\":{\"license_id\":1}}");
		assert_int_equal(license_store_load(*state, &back, err, sizeof(err)), JSON_FILE_PREVIOUS);
		assert_int_equal(back.count, 1);
		damage(*state, "licenses.json", how, "{\"licenses\":{\"license_id\":1}}");
		{
			char prev[256];
			snprintf(prev, sizeof(prev), "%s/licenses.json.prev", (char *)*state);
			assert_int_equal(unlink(prev), 0);
		}
		assert_int_equal(license_store_load(*state, &back, err, sizeof(err)), -1);
		assert_int_equal(back.count, 0);
	}
}

static void versions_order_numerically(void **state)
{
	assert_true(version_compare("11.11.73", "12.0.1") < 0);
	assert_true(version_compare("12.0.10", "12.0.9") > 0);
	assert_true(version_compare("12.0", "12.0.1") < 0);
	assert_int_equal(version_compare("12.0.1", "12.0.1"), 0);
	assert_true(version_compare("12.0.1-beta", "12.0.1") < 0);
	assert_true(version_compare("9.80.3", "10.12.0") < 0);
}

static void state_names_round_trip(void **state)
{
	for (int s = TASK_NONE; s <= TASK_FAILED; s++) {
		enum task_state back;
		assert_int_equal(task_state_parse(task_state_name((enum task_state)s), &back), 0);
		assert_int_equal(back, s);
	}
	enum task_state x;
	assert_int_equal(task_state_parse("exploding", &x), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(missing_state_is_fresh, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(state_round_trip_is_private, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(corrupt_state_is_an_error, make_dir, remove_dir),
		cmocka_unit_test(forget_keeps_spent_token),
		cmocka_unit_test_setup_teardown(task_file_with_hostile_values_is_refused, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(task_round_trip_and_clear, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(corrupt_task_is_an_error, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(licenses_round_trip, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(damaged_state_falls_back_to_previous_generation, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(damaged_state_without_previous_is_fresh, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(damaged_task_falls_back_to_previous_generation, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(lost_task_is_failed_only_when_its_id_survives, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(cleared_task_leaves_no_generation, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(damaged_licenses_fall_back_or_are_empty, make_dir, remove_dir),
		cmocka_unit_test(versions_order_numerically),
		cmocka_unit_test(state_names_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
