/* camsim_fixture: the axis backend's tests run it against camsim processes on a private
 * D-Bus daemon (started once per run): starting and stopping camsim, reading its
 * state.json, opening the platform on it. camsim: $CAMSIM, else $BUILD/camsim. */
#ifndef CAMSIM_FIXTURE_H
#define CAMSIM_FIXTURE_H

#include <stddef.h>
#include <sys/types.h>

#include "../../platform/platform.h"
#include "platform_wait.h"

struct curl_loop;

#define SERIAL "ACCC8E0A0001"
#define MODEL "P3265-LVE"
#define OLD_OS "11.11.73"

struct fixture {
	char dir[256];       /* camsim's camera dir */
	char state[256];     /* the agent's state dir */
	char url[128];
	pid_t camsim;
	struct platform p;
	char reason[PLATFORM_REASON_MAX];
	int timeout_s;
	/* the agent's loop and curl multi, as the platform borrows them */
	struct platform_wait w;    /* w.base: the loop */
	struct curl_loop *loop;
	struct platform_net net;
};

extern char bus_address[512];
extern char tmproot[64];

void sleep_ms(int ms);
int read_text(const char *path, char *out, size_t outsz);
void write_text(const char *path, const char *text);
/* cmocka group setup/teardown: the private bus and the temporary root */
int start_bus(void **state);
int stop_bus(void **state);
/* camsim with the test identity (armv7hf, OLD_OS unless extra says --version) and extra
 * options (NULL-terminated, may be NULL) */
void camsim_start(struct fixture *f, const char *const *extra);
void camsim_stop(struct fixture *f);
/* A field of camsim's state.json as text ("true"/"false" for booleans; objects raw);
 * key may be a dotted path. */
void camsim_field(struct fixture *f, const char *key, char *out, size_t outsz);
void wait_field(struct fixture *f, const char *key, const char *want);
int axis_open(struct fixture *f);
void must_open(struct fixture *f);
void expect_reason(struct fixture *f, const char *needle);
/* per-test setup/teardown: a zeroed fixture with its loop and curl multi; closes the
 * platform and stops camsim */
int setup(void **state);
int teardown(void **state);

#endif
