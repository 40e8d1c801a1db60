/* policy: pure decision functions of the cloud (see policy.h). No I/O here:
 * every input, the clock included, comes in as an argument. */
#include "policy.h"

#include "../../lib/version.h"

#include <string.h>

enum token_verdict token_check(const struct token_facts *t, int64_t now)
{
	if (!t || !t->found)
		return TOKEN_INVALID;
	if (t->revoked)
		return TOKEN_REVOKED;
	if (now >= t->expires_at)
		return TOKEN_EXPIRED;
	if (t->uses >= t->max_uses)
		return TOKEN_USED_UP;
	return TOKEN_OK;
}

const char *token_verdict_code(enum token_verdict v)
{
	switch (v) {
	case TOKEN_OK:
		return NULL;
	case TOKEN_INVALID:
		return "token_invalid";
	case TOKEN_REVOKED:
		return "token_revoked";
	case TOKEN_EXPIRED:
		return "token_expired";
	case TOKEN_USED_UP:
		return "token_used_up";
	}
	return "token_invalid";
}

const char *token_state_name(enum token_verdict v)
{
	switch (v) {
	case TOKEN_OK:
		return "active";
	case TOKEN_REVOKED:
		return "revoked";
	case TOKEN_EXPIRED:
		return "expired";
	case TOKEN_USED_UP:
		return "used_up";
	case TOKEN_INVALID:
		break;
	}
	return "invalid";
}

enum enroll_action enroll_decide(const struct enroll_facts *f)
{
	/* An unknown or revoked token never enrolls anything, not even a retry. */
	if (f->verdict == TOKEN_INVALID || f->verdict == TOKEN_REVOKED)
		return ENROLL_REFUSE;
	if (!f->device_exists)
		return f->verdict == TOKEN_OK ? ENROLL_NEW : ENROLL_REFUSE;
	if (!f->same_key)
		return ENROLL_CONFLICT;
	/* A retry after a lost reply, even once the token is used up or expired. */
	if (f->same_enrollment || f->same_folder)
		return ENROLL_RETRY;
	if (!f->same_org)
		return ENROLL_CONFLICT_ORG;
	if (!f->allow_move)
		return ENROLL_CONFLICT_FOLDER;
	/* A move is a new use of the token: it must still be good. */
	return f->verdict == TOKEN_OK ? ENROLL_MOVE : ENROLL_REFUSE;
}

int ts_within(int64_t ts, int64_t now, int64_t window)
{
	/* Unsigned differences: no overflow whatever ts a client sends. */
	uint64_t d = ts >= now ? (uint64_t)ts - (uint64_t)now : (uint64_t)now - (uint64_t)ts;
	return window >= 0 && d <= (uint64_t)window;
}

static const char *const task_states[] = {
	"pending", "received", "downloading", "verifying", "waiting_window", "installing",
	"rebooting", "verifying_version",
};
#define FINAL_RANK 8

int task_state_rank(const char *state)
{
	if (!state)
		return -1;
	for (int i = 0; i < (int)(sizeof(task_states) / sizeof(task_states[0])); i++)
		if (strcmp(state, task_states[i]) == 0)
			return i;
	if (task_state_is_final(state))
		return FINAL_RANK;
	return -1;
}

int task_state_is_final(const char *state)
{
	return state && (strcmp(state, "succeeded") == 0 || strcmp(state, "failed") == 0 ||
			 strcmp(state, "cancelled") == 0);
}

int task_state_reportable(const char *state)
{
	int r = task_state_rank(state);
	return r > 0 && strcmp(state, "cancelled") != 0;
}

int task_state_cancellable(const char *state)
{
	int r = task_state_rank(state);
	return r >= 0 && r < task_state_rank("installing");
}

enum task_transition task_state_transition(const char *cur, const char *next)
{
	int rc = task_state_rank(cur), rn = task_state_rank(next);
	if (rc < 0 || rn < 0 || task_state_is_final(cur))
		return TASK_IGNORE;
	if (rn > rc)
		return TASK_ADVANCE;
	if (rn == rc)
		return TASK_SAME;
	return TASK_IGNORE;
}

/* Parses decimal digits into *out; -1 on no digits or overflow. Sets *end. */
static int parse_u64(const char *s, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (p == s)
		return -1;
	*out = v;
	*end = p;
	return 0;
}

enum range_result range_parse(const char *header, uint64_t size, uint64_t *from)
{
	const char *end;
	uint64_t v;
	if (!header)
		return RANGE_NONE;
	if (strncmp(header, "bytes=", 6) != 0 || parse_u64(header + 6, &v, &end) != 0 ||
	    strcmp(end, "-") != 0)
		return RANGE_MALFORMED;
	if (v >= size)
		return RANGE_UNSATISFIABLE;
	*from = v;
	return RANGE_OK;
}

const char *window_check(const struct task_window *w, int64_t now)
{
	switch (w->kind) {
	case WINDOW_NONE:
		return NULL;
	case WINDOW_UTC:
		if (w->start < 0)
			return "window.start";
		/* An empty interval, or one already over, could never install anything. */
		return w->end <= w->start || w->end <= now ? "window.end" : NULL;
	case WINDOW_DAILY:
		if (!window_hhmm_valid(w->from))
			return "window.from";
		/* from == to would be an empty (or a whole) day: say what is meant instead. */
		return !window_hhmm_valid(w->to) || strcmp(w->from, w->to) == 0 ? "window.to" : NULL;
	}
	return "window.kind";
}

int task_expiry(int64_t now, int64_t ttl, int64_t default_ttl, const struct task_window *w,
		int64_t *expires_at)
{
	int utc = w && w->kind == WINDOW_UTC;
	if (ttl < 0) {
		*expires_at = now + default_ttl;
		if (utc && w->end > *expires_at)
			*expires_at = w->end;
		return 0;
	}
	*expires_at = now + ttl;
	return utc && *expires_at <= w->start ? -1 : 0;
}

enum job_skip job_skip_decide(const struct job_candidate *d, const char *image_model,
			      const char *image_version, int allow_downgrade)
{
	if (!d->found)
		return JOB_SKIP_UNKNOWN;
	if (d->removed)
		return JOB_SKIP_REMOVED;
	if (strcmp(d->model, image_model) != 0)
		return JOB_SKIP_MODEL;
	int cmp = version_compare(d->os_version, image_version);
	if (cmp == 0)
		return JOB_SKIP_SAME_VERSION;
	if (cmp > 0 && !allow_downgrade)
		return JOB_SKIP_NEWER;
	if (d->open_task_same_image)
		return JOB_SKIP_OPEN_TASK;
	return JOB_ELIGIBLE;
}

int wait_parse(const char *arg, int *out)
{
	const char *end;
	uint64_t v;
	if (!arg) {
		*out = POLICY_WAIT_DEFAULT;
		return 0;
	}
	if (parse_u64(arg, &v, &end) != 0 || *end)
		return -1;
	*out = v > POLICY_WAIT_MAX ? POLICY_WAIT_MAX : (int)v;
	return 0;
}

int is_printable(const char *s, unsigned max)
{
	if (!s || !*s)
		return 0;
	unsigned n = 0;
	for (; *s; s++, n++)
		if (n >= max || (unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int license_state_reportable(const char *state)
{
	return state && (strcmp(state, "active") == 0 || strcmp(state, "failed") == 0 ||
			 strcmp(state, "removed") == 0 || strcmp(state, "expired") == 0);
}

int license_state_follows(const char *cur, const char *reported)
{
	if (!strcmp(cur, reported) || !strcmp(cur, "removed") || !strcmp(cur, "expired"))
		return 0; /* no change, or already final */
	if (!strcmp(cur, "revoked")) /* only the removal moves it on */
		return !strcmp(reported, "removed");
	return 1;
}
