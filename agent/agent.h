/* agent: the context every module shares, and the sequencer that decides what
 * to do next. One libevent loop; at most one control request (enroll, auth,
 * report, poll, status) in flight, plus at most one download. Modules start a
 * request and, when it ends, call agent_next() (success) or agent_retry() (error). */
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

#define AGENT_EXIT_OK 0
#define AGENT_EXIT_USAGE 2
#define AGENT_EXIT_CONFIG 3
#define AGENT_EXIT_STATE 4
#define AGENT_EXIT_PLATFORM 5
#define AGENT_EXIT_REBOOT 10 /* the platform reboots: whoever runs us starts us again */

#define ACCESS_TOKEN_MAX 128

struct agent {
	struct event_base *base;
	struct agent_config cfg;
	char config_path[PATH_MAX];
	const struct config_override *overrides; /* command line, re-applied on SIGHUP */
	int noverrides;
	struct agent_state st;
	struct platform plat;
	struct platform_identity ident;
	struct crypto_key *key;        /* device key, private */
	struct crypto_key *cloud_key;  /* pinned at enrollment */
	struct http_client *http;
	struct event *step_timer;
	struct event *sig_term, *sig_int, *sig_hup;
	struct evhttp *local_api;      /* settings page API, NULL when off */

	struct enroll_token enroll_token; /* of the enrollment in flight */
	struct http_request *control;  /* the one control request in flight */
	char access_token[ACCESS_TOKEN_MAX];
	int64_t access_expires;        /* unix seconds; 0: none */
	int auth_retried;              /* re-authenticated once after a 401 already */

	int64_t started_at;
	int64_t next_report;           /* 0: report now */
	int64_t next_license_check;    /* 0: check now */
	int failures;                  /* consecutive errors, for the backoff */
	int64_t last_contact;          /* last reply from the cloud */
	int64_t status_written_at;

	struct task_run task;
	struct license_set licenses;

	int exit_code;
	/* Test hook (env CAMAGENT_TEST_CRASH_AFTER=<task state>): die by SIGKILL right
	 * after that state is persisted, as a power cut would. NULL in normal runs. */
	const char *crash_after;
};

/* Sets up everything from cfg (already validated); -1 with reason logged. */
int agent_init(struct agent *a, const struct agent_config *cfg, const char *config_path,
	       const struct config_override *overrides, int noverrides);
int agent_run(struct agent *a); /* returns the process exit code */
void agent_free(struct agent *a);

/* For modules: what happens after a request ends. */
struct api_result;
void agent_next(struct agent *a);                       /* go on at once */
void agent_succeeded(struct agent *a);                  /* a request worked: reset backoff, go on */
/* Every request completion calls this first: the control lane is free again. */
void agent_request_ended(struct agent *a);
/* Handles retry, 401 and 410 alike for every module; 1 when handled. */
int agent_handle_failure(struct agent *a, const struct api_result *r, const char *what);
void agent_decommission(struct agent *a, const char *why);
void agent_retry(struct agent *a, const char *what);    /* back off, then go on */
/* Seconds to wait after that many consecutive failures (jittered). */
double agent_backoff_s(const struct agent *a, int failures);
void agent_stop(struct agent *a, int exit_code);
void agent_set_error(struct agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Full URL of an API path under the enrolled (or enrolling) cloud URL. */
int agent_url(const struct agent *a, const char *base, const char *path, char *out, size_t outsz);
int64_t agent_now(void);

/* Starts the control request (bearer added when we hold an access token). */
int agent_control_request(struct agent *a, struct http_request_spec *spec);

#endif
