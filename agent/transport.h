/* transport and clock: what the agent needs from the outside world, behind
 * function pointers like the platform, so the sequencer and every state machine
 * run in unit tests against fakes. The real transport is http.c's curl multi;
 * the real clock is time() and localtime_r(). */
#ifndef CAM_AGENT_TRANSPORT_H
#define CAM_AGENT_TRANSPORT_H

#include <stdint.h>
#include "http.h"

struct transport_ops {
	/* Starts a request; NULL (and spec->done never called) when it cannot start.
	 * Otherwise spec->done is called exactly once, later, on the loop. */
	struct http_request *(*start)(void *priv, const struct http_request_spec *spec);
	/* Cancels a started request; its done callback is not called. */
	void (*cancel)(void *priv, struct http_request *req);
};

struct transport {
	const struct transport_ops *ops;
	void *priv;
};

/* The real transport over an http client (not owned). */
void transport_http(struct transport *out, struct http_client *client);
/* The same client lent to the platform (platform.h), for the backend's own requests. */
struct platform_net;
void transport_platform_net(struct platform_net *out, struct http_client *client);

static inline struct http_request *transport_start(const struct transport *t,
						   const struct http_request_spec *spec)
{
	return t->ops->start(t->priv, spec);
}

static inline void transport_cancel(const struct transport *t, struct http_request *req)
{
	if (req)
		t->ops->cancel(t->priv, req);
}

struct clock_ops {
	int64_t (*now)(void *priv);                  /* unix seconds */
	int (*local_minute)(void *priv, int64_t t);  /* device-local minute of the day, 0..1439 */
	/* Seconds of a clock that only moves forward, for how long something took (a held
	 * poll), whatever the time of day does; NULL: now's. */
	int64_t (*elapsed)(void *priv);
};

struct agent_clock {
	const struct clock_ops *ops;
	void *priv;
};

/* The system clock and time zone. */
void clock_system(struct agent_clock *out);
/* Tests only: the Unix time written in path (read on every call; the system clock when
 * the file holds none). path must outlive the clock. */
void clock_file(struct agent_clock *out, const char *path);

#endif
