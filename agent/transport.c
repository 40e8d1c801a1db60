/* transport: the real transport (http.c) and the real clock behind the
 * interfaces of transport.h. */
#include "transport.h"

#include <time.h>

#include "../lib/fsutil.h"
#include "../lib/monotonic.h"
#include "../platform/platform.h"
#include "window.h"

static struct http_request *http_transport_start(void *priv, const struct http_request_spec *spec)
{
	return http_start(priv, spec);
}

static void http_transport_cancel(void *priv, struct http_request *req)
{
	(void)priv;
	http_cancel(req);
}

static const struct transport_ops http_transport_ops = {
	.start = http_transport_start,
	.cancel = http_transport_cancel,
};

void transport_http(struct transport *out, struct http_client *client)
{
	out->ops = &http_transport_ops;
	out->priv = client;
}

static void *net_start(void *priv, CURL *easy, platform_transfer_done_fn done, void *arg)
{
	return http_adopt(priv, easy, done, arg);
}

static void net_cancel(void *priv, void *transfer)
{
	(void)priv;
	http_cancel(transfer);
}

void transport_platform_net(struct platform_net *out, struct http_client *client)
{
	out->start = net_start;
	out->cancel = net_cancel;
	out->priv = client;
}

static int64_t system_now(void *priv)
{
	(void)priv;
	return (int64_t)time(NULL);
}

static int system_local_minute(void *priv, int64_t t)
{
	(void)priv;
	return window_local_minute(t);
}

static int64_t monotonic_s(void *priv)
{
	(void)priv;
	return (int64_t)monotonic_now();
}

static const struct clock_ops system_clock_ops = {
	.now = system_now,
	.local_minute = system_local_minute,
	.elapsed = monotonic_s,
};

void clock_system(struct agent_clock *out)
{
	out->ops = &system_clock_ops;
	out->priv = NULL;
}

/* The test clock: the time in a file (the cloud's --test-clock file), the system's
 * time zone; durations are real ones (the file's time stands still between moves). */
static int64_t file_now(void *priv)
{
	return fs_clock_file_read(priv, (int64_t)time(NULL));
}

static const struct clock_ops file_clock_ops = {
	.now = file_now,
	.local_minute = system_local_minute,
	.elapsed = monotonic_s,
};

void clock_file(struct agent_clock *out, const char *path)
{
	out->ops = &file_clock_ops;
	out->priv = (void *)path;
}
