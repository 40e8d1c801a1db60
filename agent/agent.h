/* agent: the context every module shares, and the sequencer that decides what
 * to do next. One libevent loop; at most one control request (enroll, auth,
 * report, poll, status) in flight, plus at most one download. Modules hand the
 * sequencer a request (agent_call) and what to do with a success; the sequencer
 * alone classifies replies, handles failures, backs off and schedules. Modules
 * say what is due (next_report, next_license_check, task.retry_at); they never
 * arm a timer. The transport and the clock are interfaces (transport.h). */
#ifndef CAM_AGENT_H
#define CAM_AGENT_H

#include <stdint.h>
#include <event2/event.h>
#include <event2/http.h>

#include "../lib/crypto.h"
#include "../platform/platform.h"
#include "config.h"
#include "enroll.h"
#include "http.h"
#include "license.h"
#include "state.h"
#include "tasks.h"
#include "transport.h"

#define AGENT_EXIT_OK 0
#define AGENT_EXIT_USAGE 2
#define AGENT_EXIT_CONFIG 3
#define AGENT_EXIT_STATE 4
#define AGENT_EXIT_PLATFORM 5
#define AGENT_EXIT_REBOOT 10 /* the platform reboots: whoever runs us starts us again */

#define ACCESS_TOKEN_MAX 128

struct api_result;

/* What a module makes of a reply. */
enum call_outcome {
	CALL_DONE,      /* it worked: backoff reset, the next step at once */
	CALL_NEXT,      /* handled (say a refusal the module settled): next step, backoff kept */
	CALL_MALFORMED, /* a 2xx whose body is unusable: a failure, backed off */
	CALL_BACKOFF,   /* the module wants a pause before anything else: backed off */
	CALL_EARLY,     /* a long poll answered before its wait with nothing to do */
	CALL_HINT,      /* a long poll answered before its wait with a hint (check licenses) */
	CALL_ENVELOPE,  /* a signed payload that does not verify: nothing of it used */
};

/* Failure classes: each logs one line per interval and backs off. */
enum agent_failure {
	FAIL_TRANSPORT,    /* network, 5xx, 429, 408 */
	FAIL_UNAUTHORIZED, /* 401 after authenticating again */
	FAIL_REFUSED,      /* other 4xx */
	FAIL_MALFORMED,    /* 2xx with a body that cannot be used */
	FAIL_LOCAL,        /* could not build or start a request */
	FAIL_EARLY,        /* polls answered at once with nothing to do */
	FAIL_ENVELOPE,     /* a signed payload that did not verify */
	FAIL_CLASSES
};

struct app_step;

struct loop_watch;

struct agent {
	struct event_base *base;
	struct agent_config cfg;
	char config_path[PATH_MAX];
	const struct config_override *overrides; /* command line, re-applied on SIGHUP */
	int noverrides;
	struct agent_state st;
	struct platform plat;
	struct platform_identity ident;
	/* the version reported: the agent's own app as the camera lists it (what the package
	 * installed says), else the version this binary was built as */
	char agent_version[PLATFORM_FIELD_MAX];
	struct crypto_key *key;        /* device key, private */
	struct crypto_key *cloud_key;  /* pinned at enrollment */
	struct http_client *http;      /* the real transport's client; NULL under a fake */
	struct platform_net plat_net;  /* the same client, lent to the platform */
	struct transport net;
	struct agent_clock clock;
	struct event *step_timer;      /* NULL until the camera answered (agent_init_core) */
	struct event *camera_timer;    /* asks a camera that is not ready again */
	int camera_failures;           /* attempts that found it not ready */
	int camera_up;                 /* the platform answered its start: tasks may run */
	/* The camera's settings being read (on the loop): what waits for them; a read asked
	 * for meanwhile comes after it, then settings_reread_then. */
	void (*settings_then)(struct agent *a);
	int settings_reread;
	void (*settings_reread_then)(struct agent *a);
	char camera_not_ready[PLATFORM_REASON_MAX]; /* why, "" once it is ready */
	int64_t step_at;               /* when the sequencer runs next (clock seconds) */
	struct event *sig_term, *sig_int, *sig_hup;
	struct evhttp *local_api;      /* settings page API, NULL when off */

	struct enroll_token enroll_token; /* of the enrollment in flight */
	struct http_request *control;  /* the one control request in flight */
	struct agent_call_state {      /* what to do when it ends */
		const char *what;
		enum call_outcome (*on_success)(struct agent *a, const struct http_response *resp);
		enum call_outcome (*on_refused)(struct agent *a, const struct api_result *r);
		unsigned flags;
		int held;
	} call;
	int in_backoff;                /* a backoff is running: wake-ups wait for its end */
	int poll_wait;                 /* the task poll in flight: its wait (s) ... */
	int64_t poll_started_at;       /* ... and when it started (agent_elapsed_s); tasks.c */
	char access_token[ACCESS_TOKEN_MAX];
	int64_t access_expires;        /* unix seconds; 0: none */
	int auth_retried;              /* re-authenticated once in this backoff step already */
	int early_polls;               /* consecutive polls answered early with nothing to do */
	int idle_hints;                /* hints in a row that led to nothing (see CALL_HINT) */
	struct agent_log_limit {       /* one line per failure class per interval */
		int64_t logged_at;
		int suppressed;
	} log_limit[FAIL_CLASSES];

	int64_t started_at;
	int64_t next_report;           /* 0: report now; set by report.c */
	int report_asked;              /* agent_report_soon since the last report began */
	int64_t next_license_check;    /* 0: check now; set by license.c and the poll's hints */
	int failures;                  /* consecutive errors, for the backoff */
	int64_t last_contact;          /* last reply from the cloud */
	int64_t status_written_at;

	struct task_run task;
	struct license_set licenses;
	void (*app_acted)(struct agent *a, const struct app_step *step); /* app_task.c */
	int app_param;                 /* set_params: the next parameter to set */
	int license_busy;              /* a license install or removal goes on on the camera */
	/* The camera's applications as last listed (for the report); refreshed on the loop. */
	struct platform_app_list *apps;
	int apps_known;                /* apps holds a list */
	int apps_listing;              /* a refresh is in flight */
	int apps_relist;               /* asked for while one was: it may be from before */

	int exit_code;
	/* Test hook (env CAMAGENT_TEST_CRASH_AFTER=<task state>): die by SIGKILL right
	 * after that state is persisted, as a power cut would. NULL in normal runs. */
	const char *crash_after;
	struct loop_watch *loop_watch; /* test hook (env CAMAGENT_TEST_LOOP_WATCH), else NULL */
};


/* Asks the camera for its applications again (the last list stays in a->apps until the
 * answer); a changed list makes the report due. Nothing when one is in flight already. */
void agent_list_apps(struct agent *a);
/* For one-shot commands without the sequencer: runs the loop until the camera answered
 * every call the agent made (applications listed, license calls done). */
void agent_settle(struct agent *a);

/* A control request as a module hands it to the sequencer. */
struct agent_call {
	const char *what;              /* names it in the log: "task poll" */
	struct http_request_spec spec; /* done/done_arg are the sequencer's; bearer added */
	/* A 2xx reply. Required. */
	enum call_outcome (*on_success)(struct agent *a, const struct http_response *resp);
	/* A final refusal (4xx but 401 and 410 device_removed); NULL: back off. */
	enum call_outcome (*on_refused)(struct agent *a, const struct api_result *r);
	unsigned flags;
};
/* Enroll and auth: a 401 refuses the signed request, not an access token, so it
 * goes to on_refused like any refusal. */
#define CALL_SIGNED 1u
/* Auth: its success proves nothing about the request that needed it; keep the backoff. */
#define CALL_KEEPS_BACKOFF 2u


/* Sets up everything from cfg (already validated); -1 with reason logged. */
int agent_init(struct agent *a, const struct agent_config *cfg, const char *config_path,
	       const struct config_override *overrides, int noverrides);
/* What agent_init does after opening the outside world: load state, settle what a
 * restart left (resume) and arm the sequencer. Tests call it with fakes in a->net,
 * a->clock and a->plat (and a->base, a->key set). AGENT_EXIT_OK or an exit code. */
int agent_init_core(struct agent *a);
int agent_run(struct agent *a); /* returns the process exit code */
void agent_free(struct agent *a);

/* Starts a control request; its end comes back through the sequencer. */
void agent_call(struct agent *a, const struct agent_call *call);
/* For a failure found without a request (cannot build one, a download's end). */
void agent_fail(struct agent *a, enum agent_failure cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The sequencer's own step; tests call it when the fake clock reaches step_at. */
void agent_step(struct agent *a);
/* Something changed outside a request (signal, settings page, download progress):
 * run the sequencer soon. */
void agent_wake(struct agent *a);
/* As agent_wake, and ends a held task poll first, so the sequencer acts at once on what
 * finished outside a request (a camera's upload) instead of at the poll's end. */
void agent_wake_now(struct agent *a);
/* A 401 or 410 device_removed seen outside a control request (a download): handled
 * as for control requests; 1 when handled. */
int agent_handle_access(struct agent *a, const struct api_result *r, const char *what);
void agent_decommission(struct agent *a, const char *why);
/* Seconds to wait after that many consecutive failures (jittered). */
double agent_backoff_s(const struct agent *a, int failures);
void agent_stop(struct agent *a, int exit_code);
void agent_set_error(struct agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Full URL of an API path under the enrolled (or enrolling) cloud URL. */
int agent_url(const struct agent *a, const char *base, const char *path, char *out, size_t outsz);
int64_t agent_now(const struct agent *a);
/* Something the report carries changed: report now, and again after a report in flight
 * (which may have been written before the change). */
void agent_report_soon(struct agent *a);
/* A reading of the clock for durations (see clock_ops.elapsed): differences only. */
int64_t agent_elapsed_s(const struct agent *a);

#endif
