/* fleet: a load generator for one camcloud. N simulated devices, each with its own
 * P-256 key, enroll, authenticate and hold a task long poll exactly as
 * docs/protocol.md says, spread over several loopback source addresses; then one
 * folder-wide job is created through the admin API and every device's wake-up is
 * timed. Enrollment and auth run a window of requests over that many keep-alive
 * connections (camcloud closes connections idle for 60 s, and a phase of 10,000
 * takes longer); each held poll has a connection of its own, as a device would. Prints enrollment rate, camcloud's RSS and CPU (from /proc), the trigger
 * latency p50/p99/max and how long the admin's request took. Loopback only, bounded
 * in count and time; not a test (tests/bench/fleet/run.sh sets it up). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "../../../lib/buf.h"
#include "../../../lib/crypto.h"
#include "../../../lib/json.h"
#include "../../../lib/monotonic.h"
#include "proc.h"

#define BODY_MAX 4096
#define TOKEN_MAX 256
#define FIELD_MAX 128
#define POLL_WAIT_S 300
#define ADMIN_READ_MAX (4 * 1024 * 1024)
#define SETTLE_TICK_MS 200
#define SETTLE_QUIET_TICKS 5 /* camcloud's CPU time unchanged this long: all polls held */
#define POLLS_PER_TICK 200   /* new poll connections per loop turn: a connect storm of */
#define POLL_TICK_MS 10      /* 10,000 overflows the listen backlog and costs SYN retries */
#define POLL_RETRY_MS 200    /* a poll whose connection failed is sent again, as an agent */
#define POLL_RETRIES_MAX 20  /* would (with backoff); this many times at most */
/* camcloud caps the connections of one address (--max-conns-per-source, 128 by
 * default, against hostile clients): without --sources, enough loopback addresses
 * that each carries at most this many held polls, as a fleet of real cameras would
 * come from as many addresses. */
#define DEVICES_PER_SOURCE 100
#define SOURCES_MIN 8
#define SOURCES_MAX 250
#define PIDS_MAX 16

enum phase { PHASE_ENROLL, PHASE_AUTH, PHASE_HOLD, PHASE_JOB };

struct fleet;

struct device {
	struct fleet *f;
	size_t index;
	struct crypto_key *key;
	struct buf enroll_body;
	char enroll_sig[CRYPTO_SIG_B64_MAX];
	char device_id[FIELD_MAX];
	char bearer[TOKEN_MAX];
	struct evhttp_connection *conn; /* while a request of ours is on it */
	size_t slot;                    /* of the window, in enroll and auth */
	double woke_at; /* monotonic seconds; 0 until the held poll is answered */
	int poll_status;
	int task_ok;    /* the answer carried a task envelope */
	int retries;    /* of the poll, after a failed connection */
};

struct options {
	const char *url, *token, *admin_token_file, *image, *folder;
	pid_t pid[PIDS_MAX]; /* the processes watched: camcloud, or every balancer process */
	size_t n_pid;
	size_t n, concurrency, sources;
	int deadline_s;
	/* several generator processes (one process holds at most its file limit): shard
	 * of shards, each with n devices of its own; shard 0 makes the job once every shard
	 * holds its polls, and reports the latencies of all (files in sync_dir) */
	size_t shard, shards;
	const char *sync_dir;
};

struct fleet {
	struct options o;
	struct event_base *base;
	struct event *deadline, *settle;
	char host[64];
	int port;
	char secret[FIELD_MAX];
	char admin_token[TOKEN_MAX];
	struct device *dev;
	struct evhttp_connection **slot_conn; /* the window's connections */
	size_t *free_slot, n_free;
	struct event *poll_tick;
	size_t polls_sent, poll_retries;
	enum phase phase;
	size_t next, inflight, done, failed;
	/* settle detection */
	double last_cpu;
	int quiet_ticks;
	/* the job */
	struct evhttp_connection *admin;
	double job_at, admin_done_at;
	double started_at; /* bounds the waits for other shards (the deadline) */
	int admin_status;
	size_t woken;
	int timed_out;
};

/* This generator's own CPU time (user + system), so a run shows whether it, rather
 * than camcloud, bounds a phase. */
static double self_cpu_s(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "fleet: %s\n", what);
	exit(1);
}

/* ---- requests ---- */

static struct evhttp_connection *connection(struct fleet *f, size_t index)
{
	struct evhttp_connection *c = evhttp_connection_base_new(f->base, NULL, f->host,
								 (ev_uint16_t)f->port);
	if (!c)
		die("cannot create a connection");
	if (index != (size_t)-1) {
		char src[32];
		snprintf(src, sizeof(src), "127.0.0.%zu",
			 2 + (f->o.shard * f->o.n + index) % f->o.sources);
		evhttp_connection_set_local_address(c, src);
	}
	evhttp_connection_set_timeout(c, POLL_WAIT_S + 30);
	evhttp_connection_set_retries(c, 0);
	return c;
}

/* Sends one request on conn; cb gets arg. body may be NULL. */
static void send_request(struct fleet *f, struct evhttp_connection *conn, enum evhttp_cmd_type cmd,
			 const char *path, const struct buf *body, const char *sig,
			 const char *bearer, void (*cb)(struct evhttp_request *, void *), void *arg)
{
	struct evhttp_request *rq = evhttp_request_new(cb, arg);
	if (!rq)
		die("cannot create a request");
	struct evkeyvalq *h = evhttp_request_get_output_headers(rq);
	evhttp_add_header(h, "Host", f->host);
	if (body) {
		evhttp_add_header(h, "Content-Type", "application/json");
		evbuffer_add(evhttp_request_get_output_buffer(rq), body->data, body->len);
	}
	if (sig)
		evhttp_add_header(h, "X-Camagent-Signature", sig);
	if (bearer) {
		char auth[TOKEN_MAX + 16];
		snprintf(auth, sizeof(auth), "Bearer %s", bearer);
		evhttp_add_header(h, "Authorization", auth);
	}
	if (evhttp_make_request(conn, rq, cmd, path) != 0)
		die("cannot send a request");
}

/* The reply body as JSON, and one string field of it; -1 when absent. */
static int reply_string(struct evhttp_request *rq, const char *key, char *out, size_t outsz)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(rq);
	size_t len = evbuffer_get_length(in);
	const char *text = (const char *)evbuffer_pullup(in, -1);
	struct json_doc doc;
	if (!text || json_parse(&doc, text, len, JSON_MAX_TOKENS_DEFAULT) != 0)
		return -1;
	int r = json_get_string(&doc, 0, key, out, outsz);
	json_free(&doc);
	return r;
}

static int reply_has_task(struct evhttp_request *rq)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(rq);
	size_t len = evbuffer_get_length(in);
	const char *text = (const char *)evbuffer_pullup(in, -1);
	struct json_doc doc;
	if (!text || json_parse(&doc, text, len, JSON_MAX_TOKENS_DEFAULT) != 0)
		return 0;
	int tok = json_find(&doc, 0, "task");
	int ok = tok >= 0 && json_type_of(&doc, tok) == JSON_OBJECT &&
		 json_find(&doc, tok, "signature") >= 0;
	json_free(&doc);
	return ok;
}

/* ---- phases: enroll and auth run a window of requests, hold sends all ---- */

static void start_device(struct device *d);

static void pump(struct fleet *f)
{
	while (f->inflight < f->o.concurrency && f->next < f->o.n) {
		struct device *d = &f->dev[f->next++];
		f->inflight++;
		d->slot = f->free_slot[--f->n_free];
		d->conn = f->slot_conn[d->slot];
		start_device(d);
	}
	if (f->done == f->o.n)
		event_base_loopbreak(f->base);
}

static void finished(struct device *d, int ok, int status, const char *what)
{
	struct fleet *f = d->f;
	if (!ok) {
		if (f->failed++ < 5)
			fprintf(stderr, "fleet: device %zu: %s failed (HTTP %d)\n", d->index, what,
				status);
	}
	f->free_slot[f->n_free++] = d->slot;
	d->conn = NULL;
	f->inflight--;
	f->done++;
	pump(f);
}

static void on_enrolled(struct evhttp_request *rq, void *arg)
{
	struct device *d = arg;
	int status = rq ? evhttp_request_get_response_code(rq) : 0;
	int ok = status == 200 &&
		 reply_string(rq, "device_id", d->device_id, sizeof(d->device_id)) == 0;
	finished(d, ok, status, "enroll");
}

static void on_authed(struct evhttp_request *rq, void *arg)
{
	struct device *d = arg;
	int status = rq ? evhttp_request_get_response_code(rq) : 0;
	int ok = status == 200 &&
		 reply_string(rq, "access_token", d->bearer, sizeof(d->bearer)) == 0;
	finished(d, ok, status, "auth");
}

static void send_poll(struct device *d);

static void on_poll_retry(evutil_socket_t fd, short what, void *arg)
{
	struct device *d = arg;
	evhttp_connection_free(d->conn);
	send_poll(d);
}

static void on_poll(struct evhttp_request *rq, void *arg)
{
	struct device *d = arg;
	struct fleet *f = d->f;
	int status = rq ? evhttp_request_get_response_code(rq) : 0;
	struct timeval later = {0, POLL_RETRY_MS * 1000};
	if (status == 0 && f->phase == PHASE_HOLD && d->retries < POLL_RETRIES_MAX) {
		/* not from the callback: libevent still uses the connection here */
		d->retries++;
		f->poll_retries++;
		if (event_base_once(f->base, -1, EV_TIMEOUT, on_poll_retry, d, &later) != 0)
			die("cannot arm a timer");
		return;
	}
	d->woke_at = monotonic_now();
	d->poll_status = status;
	d->task_ok = d->poll_status == 200 && reply_has_task(rq);
	if (f->phase != PHASE_JOB) {
		/* It will not be held again: say so and stop, rather than wait for the deadline
		 * (a 503 here is camcloud's per-source cap: more --sources). */
		if (f->failed++ < 5) {
			struct evbuffer *in = rq ? evhttp_request_get_input_buffer(rq) : NULL;
			size_t len = in ? evbuffer_get_length(in) : 0;
			const char *body = len ? (const char *)evbuffer_pullup(in, -1) : "";
			fprintf(stderr, "fleet: device %zu: poll answered before the job (HTTP %d):"
				" %.*s\n", d->index, d->poll_status, (int)(len < 160 ? len : 160),
				body);
		}
		event_base_loopbreak(f->base);
	}
	f->woken++;
	if (f->phase == PHASE_JOB && f->woken == f->o.n && f->admin_done_at != 0)
		event_base_loopbreak(f->base);
}

static void sign_or_die(struct device *d, const struct buf *body, char *sig, size_t sigsz)
{
	if (crypto_sign(d->key, body->data, body->len, sig, sigsz) != 0)
		die("cannot sign a request");
}

static void start_device(struct device *d)
{
	struct fleet *f = d->f;
	if (f->phase == PHASE_ENROLL) {
		send_request(f, d->conn, EVHTTP_REQ_POST, "/device/v1/enroll", &d->enroll_body,
			     d->enroll_sig, NULL, on_enrolled, d);
		return;
	}
	/* auth is signed now: it names the device id enrollment gave */
	char nonce[33], sig[CRYPTO_SIG_B64_MAX];
	struct buf body;
	struct json_writer w;
	buf_init(&body, BODY_MAX);
	jw_init(&w, &body);
	if (crypto_random_hex(nonce, 16) != 0)
		die("no randomness");
	jw_object_begin(&w);
	jw_kv_string(&w, "device_id", d->device_id);
	jw_kv_int(&w, "ts", (int64_t)time(NULL));
	jw_kv_string(&w, "nonce", nonce);
	jw_object_end(&w);
	if (jw_finish(&w) != 0)
		die("auth body too large");
	sign_or_die(d, &body, sig, sizeof(sig));
	send_request(f, d->conn, EVHTTP_REQ_POST, "/device/v1/auth", &body, sig, NULL, on_authed, d);
	buf_free(&body);
}

/* Key and signed enrollment request of every device, before anything is timed:
 * the figures are camcloud's, not this program's signing. */
static void prepare(struct fleet *f)
{
	char pem[CRYPTO_PUBKEY_PEM_MAX], serial[32], nonce[33];
	for (size_t i = 0; i < f->o.n; i++) {
		struct device *d = &f->dev[i];
		d->f = f;
		d->index = i;
		buf_init(&d->enroll_body, BODY_MAX);
		if (crypto_key_generate(&d->key) != 0 ||
		    crypto_key_public_pem(d->key, pem, sizeof(pem)) != 0 ||
		    crypto_random_hex(nonce, 16) != 0)
			die("cannot make a device key");
		snprintf(serial, sizeof(serial), "FLEET%07zu", f->o.shard * f->o.n + i);
		struct json_writer w;
		jw_init(&w, &d->enroll_body);
		jw_object_begin(&w);
		jw_kv_string(&w, "token_secret", f->secret);
		jw_kv_string(&w, "serial", serial);
		jw_kv_string(&w, "model", "FLEET-1");
		jw_kv_string(&w, "hardware_id", "0");
		jw_kv_string(&w, "arch", "aarch64");
		jw_kv_string(&w, "os_version", "1.0.0");
		jw_kv_string(&w, "agent_version", "fleet");
		jw_kv_string(&w, "public_key", pem);
		jw_kv_int(&w, "ts", (int64_t)time(NULL));
		jw_kv_string(&w, "nonce", nonce);
		jw_object_end(&w);
		if (jw_finish(&w) != 0)
			die("enroll body too large");
		sign_or_die(d, &d->enroll_body, d->enroll_sig, sizeof(d->enroll_sig));
	}
}

/* Runs one windowed phase; returns its wall time. */
static double run_phase(struct fleet *f, enum phase p)
{
	f->phase = p;
	f->next = f->inflight = f->done = 0;
	double t0 = monotonic_now();
	pump(f);
	event_base_dispatch(f->base);
	if (f->timed_out)
		die("deadline passed");
	if (f->failed)
		die("requests failed (see above)");
	return monotonic_now() - t0;
}

static void on_settle_tick(evutil_socket_t fd, short what, void *arg)
{
	struct fleet *f = arg;
	struct proc_sample s;
	if (proc_read_all(f->o.pid, f->o.n_pid, &s) != 0)
		die("camcloud is gone");
	/* every shard's polls: the watched processes hold them all */
	if (s.cpu_s == f->last_cpu && f->polls_sent == f->o.n &&
	    s.open_fds >= (long)(f->o.n * f->o.shards))
		f->quiet_ticks++;
	else
		f->quiet_ticks = 0;
	f->last_cpu = s.cpu_s;
	if (f->quiet_ticks >= SETTLE_QUIET_TICKS)
		event_base_loopbreak(f->base);
}

static void send_poll(struct device *d)
{
	char path[64];
	snprintf(path, sizeof(path), "/device/v1/tasks/next?wait=%d", POLL_WAIT_S);
	d->conn = connection(d->f, d->index);
	send_request(d->f, d->conn, EVHTTP_REQ_GET, path, NULL, NULL, d->bearer, on_poll, d);
}

static void on_poll_tick(evutil_socket_t fd, short what, void *arg)
{
	struct fleet *f = arg;
	for (size_t k = 0; k < POLLS_PER_TICK && f->polls_sent < f->o.n; k++)
		send_poll(&f->dev[f->polls_sent++]);
	if (f->polls_sent == f->o.n)
		event_del(f->poll_tick);
}

/* Every device sends its long poll on a connection of its own; returns when camcloud
 * has gone quiet holding them. */
static double hold_all(struct fleet *f)
{
	double t0 = monotonic_now();
	f->phase = PHASE_HOLD;
	struct timeval pace = {0, POLL_TICK_MS * 1000};
	f->poll_tick = event_new(f->base, -1, EV_PERSIST, on_poll_tick, f);
	if (!f->poll_tick || event_add(f->poll_tick, &pace) != 0)
		die("cannot arm a timer");
	struct timeval tick = {0, SETTLE_TICK_MS * 1000};
	f->settle = event_new(f->base, -1, EV_PERSIST, on_settle_tick, f);
	if (!f->settle || event_add(f->settle, &tick) != 0)
		die("cannot arm a timer");
	event_base_dispatch(f->base);
	event_free(f->settle);
	event_free(f->poll_tick);
	f->settle = f->poll_tick = NULL;
	if (f->timed_out || f->failed)
		die("devices could not hold their polls");
	return monotonic_now() - t0 - SETTLE_QUIET_TICKS * SETTLE_TICK_MS / 1000.0;
}

static void on_job_created(struct evhttp_request *rq, void *arg)
{
	struct fleet *f = arg;
	f->admin_done_at = monotonic_now();
	f->admin_status = rq ? evhttp_request_get_response_code(rq) : 0;
	if (f->woken == f->o.n)
		event_base_loopbreak(f->base);
}

static void create_job(struct fleet *f)
{
	struct buf body;
	struct json_writer w;
	buf_init(&body, BODY_MAX);
	jw_init(&w, &body);
	jw_object_begin(&w);
	jw_kv_string(&w, "image_id", f->o.image);
	jw_kv_string(&w, "folder_id", f->o.folder);
	jw_object_end(&w);
	if (jw_finish(&w) != 0)
		die("job body too large");
	f->phase = PHASE_JOB;
	f->admin = connection(f, (size_t)-1);
	/* the reply lists every task: read it in large pieces, not 16 KiB per turn */
	struct bufferevent *bev = evhttp_connection_get_bufferevent(f->admin);
	if (!bev || bufferevent_set_max_single_read(bev, ADMIN_READ_MAX) != 0)
		die("cannot size the admin connection's reads");
	f->job_at = monotonic_now();
	send_request(f, f->admin, EVHTTP_REQ_POST, "/admin/v1/jobs", &body, NULL, f->admin_token,
		     on_job_created, f);
	buf_free(&body);
	event_base_dispatch(f->base);
}

/* ---- figures ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double percentile(const double *sorted, size_t n, double p)
{
	size_t k = (size_t)ceil(p * (double)n);
	return sorted[k ? k - 1 : 0];
}

static void print_proc(struct fleet *f, const char *when, const struct proc_sample *s)
{
	printf("camcloud %-22s RSS %7ld kB (peak %7ld kB), %6ld open files, CPU %.2f s\n", when,
	       s->rss_kb, s->hwm_kb, s->open_fds, s->cpu_s);
}

static void sample(struct fleet *f, struct proc_sample *s)
{
	if (proc_read_all(f->o.pid, f->o.n_pid, s) != 0)
		die("cannot read camcloud's /proc entry");
}

/* ---- shards: files in sync_dir, each written whole and then renamed ---- */

static void sync_path(const struct fleet *f, const char *what, size_t k, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s/%s.%zu", f->o.sync_dir, what, k);
}

static void sync_write(const struct fleet *f, const char *what, const double *v, size_t n,
		       size_t tasks)
{
	char path[512], tmp[520];
	sync_path(f, what, f->o.shard, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *fp = fopen(tmp, "w");
	if (!fp)
		die("cannot write in the sync directory");
	fprintf(fp, "%zu %zu\n", n, tasks);
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "%.9f\n", v[i]);
	if (fclose(fp) != 0 || rename(tmp, path) != 0)
		die("cannot write in the sync directory");
}

/* Waits for shard k's file and reads it: its count, task count and values (appended
 * to v at *n, which has room for o.n more). */
static void sync_read(struct fleet *f, const char *what, size_t k, double *v, size_t *n,
		      size_t *tasks)
{
	char path[512];
	sync_path(f, what, k, path, sizeof(path));
	FILE *fp;
	while (!(fp = fopen(path, "r"))) {
		if (monotonic_now() > f->started_at + f->o.deadline_s)
			die("another shard did not report in time");
		usleep(50 * 1000);
	}
	size_t cnt = 0, t = 0;
	if (fscanf(fp, "%zu %zu", &cnt, &t) != 2 || cnt > f->o.n)
		die("a shard's file is malformed");
	for (size_t i = 0; i < cnt; i++)
		if (fscanf(fp, "%lf", &v[(*n)++]) != 1)
			die("a shard's file is malformed");
	*tasks += t;
	fclose(fp);
}

/* Every shard holds its polls: shard 0 makes the job when all do; the others wait
 * for their polls to be answered. The job's time goes to the others in a file (the
 * monotonic clock is the machine's, so their latencies are against the same time). */
static void shards_hold_then_job(struct fleet *f)
{
	double none = 0;
	size_t n = 0, t = 0;
	sync_write(f, "held", &none, 0, 0);
	if (f->o.shard == 0) {
		for (size_t k = 1; k < f->o.shards; k++)
			sync_read(f, "held", k, &none, &n, &t);
		create_job(f);
		sync_write(f, "job", &f->job_at, 1, 0);
		return;
	}
	f->phase = PHASE_JOB;
	f->admin_done_at = -1; /* no admin request here */
	f->admin_status = 200;
	if (f->woken < f->o.n)
		event_base_dispatch(f->base);
	sync_read(f, "job", 0, &f->job_at, &n, &t);
}

static void report_wake(struct fleet *f, const struct proc_sample *before,
			const struct proc_sample *after, double generator_cpu_s)
{
	size_t n = f->o.n, tasks = 0, answered = 0, total = n * f->o.shards;
	double *lat = calloc(total, sizeof(*lat));
	if (!lat)
		die("no memory");
	for (size_t i = 0; i < n; i++) {
		const struct device *d = &f->dev[i];
		if (d->woke_at <= 0)
			continue;
		lat[answered++] = d->woke_at - f->job_at;
		tasks += (size_t)d->task_ok;
	}
	if (f->o.shards > 1 && f->o.shard != 0) {
		sync_write(f, "latency", lat, answered, tasks);
		printf("shard %zu of %zu: %zu held polls answered, shard 0 reports them\n",
		       f->o.shard, f->o.shards, answered);
		free(lat);
		return;
	}
	for (size_t k = 1; k < f->o.shards; k++)
		sync_read(f, "latency", k, lat, &answered, &tasks);
	f->woken = answered;
	qsort(lat, answered, sizeof(*lat), cmp_double);
	printf("job create: HTTP %d, admin request %.1f ms\n", f->admin_status,
	       (f->admin_done_at - f->job_at) * 1e3);
	printf("held polls answered: %zu of %zu (%zu generator processes), %zu with a signed task\n",
	       answered, total, f->o.shards, tasks);
	if (answered)
		printf("trigger latency (job create -> held poll answered): p50 %.3f s, p99 %.3f s,"
		       " max %.3f s\n", percentile(lat, answered, 0.50),
		       percentile(lat, answered, 0.99), lat[answered - 1]);
	double wall = answered ? lat[answered - 1] : 0;
	printf("camcloud CPU during the wake-up: %.2f s over %.2f s, generator CPU %.2f s\n",
	       after->cpu_s - before->cpu_s, wall, generator_cpu_s);
	free(lat);
}

/* ---- setup ---- */

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct fleet *f = arg;
	f->timed_out = 1;
	fprintf(stderr, "fleet: deadline of %d s passed\n", f->o.deadline_s);
	event_base_loopbreak(f->base);
}

/* The enrollment token is cam1.<base64url(JSON)>; we need its secret. */
static void token_secret(struct fleet *f)
{
	const char *dot = strchr(f->o.token, '.');
	uint8_t json[1024];
	int len = dot ? base64url_decode(dot + 1, strlen(dot + 1), json, sizeof(json) - 1) : -1;
	struct json_doc doc;
	if (len <= 0 || json_parse(&doc, (const char *)json, (size_t)len, 64) != 0)
		die("the enrollment token is not cam1.<base64url JSON>");
	if (json_get_string(&doc, 0, "secret", f->secret, sizeof(f->secret)) != 0)
		die("the enrollment token has no secret");
	json_free(&doc);
}

static void admin_token(struct fleet *f)
{
	FILE *fp = fopen(f->o.admin_token_file, "r");
	if (!fp || !fgets(f->admin_token, sizeof(f->admin_token), fp))
		die("cannot read the admin token file");
	fclose(fp);
	f->admin_token[strcspn(f->admin_token, "\r\n")] = '\0';
}

static void parse_url(struct fleet *f)
{
	struct evhttp_uri *u = evhttp_uri_parse(f->o.url);
	const char *host = u ? evhttp_uri_get_host(u) : NULL;
	if (!host || evhttp_uri_get_port(u) <= 0 || strncmp(host, "127.", 4) != 0)
		die("--url must be http://127.x.x.x:PORT (loopback only)");
	snprintf(f->host, sizeof(f->host), "%s", host);
	f->port = evhttp_uri_get_port(u);
	evhttp_uri_free(u);
}

/* As many open files as the hard limit allows: one per device connection. */
static void raise_file_limit(size_t n)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit");
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("setrlimit");
	if (rl.rlim_cur != RLIM_INFINITY && n + 128 > rl.rlim_cur) {
		fprintf(stderr, "fleet: %zu devices need more than the file limit %ju\n", n,
			(uintmax_t)rl.rlim_cur);
		exit(1);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: fleet --url http://127.0.0.1:PORT --pid PID[,PID...] --token cam1.."
		" --admin-token-file F --image ID --folder ID [-n N] [--concurrency C]"
		" [--sources S] [--deadline SECONDS] [--shard K/S --sync DIR]\n");
	exit(2);
}

/* --pid P[,P...]: the figures are summed over them. */
static void parse_pids(struct options *o, const char *v)
{
	char *end;
	for (o->n_pid = 0; *v && o->n_pid < PIDS_MAX; v = *end ? end + 1 : end) {
		long p = strtol(v, &end, 10);
		if (p <= 0 || (*end && *end != ','))
			usage();
		o->pid[o->n_pid++] = (pid_t)p;
	}
}

static void parse_args(struct options *o, int argc, char **argv)
{
	*o = (struct options){.n = 1000, .concurrency = 64, .deadline_s = 600, .shards = 1};
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (strcmp(k, "--url") == 0)
			o->url = v;
		else if (strcmp(k, "--pid") == 0)
			parse_pids(o, v);
		else if (strcmp(k, "--token") == 0)
			o->token = v;
		else if (strcmp(k, "--admin-token-file") == 0)
			o->admin_token_file = v;
		else if (strcmp(k, "--image") == 0)
			o->image = v;
		else if (strcmp(k, "--folder") == 0)
			o->folder = v;
		else if (strcmp(k, "-n") == 0)
			o->n = strtoul(v, NULL, 10);
		else if (strcmp(k, "--concurrency") == 0)
			o->concurrency = strtoul(v, NULL, 10);
		else if (strcmp(k, "--sources") == 0)
			o->sources = strtoul(v, NULL, 10);
		else if (strcmp(k, "--deadline") == 0)
			o->deadline_s = atoi(v);
		else if (strcmp(k, "--shard") == 0 && sscanf(v, "%zu/%zu", &o->shard, &o->shards) == 2)
			;
		else if (strcmp(k, "--sync") == 0)
			o->sync_dir = v;
		else
			usage();
	}
	if (o->sources == 0) {
		o->sources = (o->n + DEVICES_PER_SOURCE - 1) / DEVICES_PER_SOURCE;
		o->sources = o->sources < SOURCES_MIN ? SOURCES_MIN
			     : o->sources > SOURCES_MAX ? SOURCES_MAX : o->sources;
	}
	if (argc % 2 == 0 || !o->url || o->n_pid == 0 || !o->token || !o->admin_token_file ||
	    !o->image || !o->folder || o->n < 1 || o->n > 100000 || o->concurrency < 1 ||
	    o->concurrency > 4096 || o->sources > SOURCES_MAX || o->deadline_s < 1 ||
	    o->shards < 1 || o->shard >= o->shards || (o->shards > 1 && !o->sync_dir))
		usage();
}

int main(int argc, char **argv)
{
	struct fleet f;
	memset(&f, 0, sizeof(f));
	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_args(&f.o, argc, argv);
	parse_url(&f);
	token_secret(&f);
	admin_token(&f);
	raise_file_limit(f.o.n);
	f.base = event_base_new();
	f.dev = calloc(f.o.n, sizeof(*f.dev));
	f.slot_conn = calloc(f.o.concurrency, sizeof(*f.slot_conn));
	f.free_slot = calloc(f.o.concurrency, sizeof(*f.free_slot));
	if (!f.base || !f.dev || !f.slot_conn || !f.free_slot)
		die("no memory");
	for (size_t i = 0; i < f.o.concurrency; i++) {
		f.slot_conn[i] = connection(&f, i);
		f.free_slot[f.n_free++] = i;
	}
	f.deadline = evtimer_new(f.base, on_deadline, &f);
	struct timeval dl = {f.o.deadline_s, 0};
	if (!f.deadline || evtimer_add(f.deadline, &dl) != 0)
		die("cannot arm the deadline");

	double t = f.started_at = monotonic_now();
	prepare(&f);
	printf("devices: %zu over %zu loopback source addresses; keys and enrollment requests"
	       " prepared in %.1f s\n", f.o.n, f.o.sources, monotonic_now() - t);

	struct proc_sample s0, s1, s2, s3, s4;
	sample(&f, &s0);
	print_proc(&f, "idle", &s0);
	double g0 = self_cpu_s();
	double te = run_phase(&f, PHASE_ENROLL);
	double g1 = self_cpu_s();
	sample(&f, &s1);
	printf("enrollment: %zu devices in %.2f s = %.0f devices/s (%zu in flight),"
	       " camcloud CPU %.2f s (%.3f ms each), generator CPU %.2f s\n", f.o.n, te,
	       (double)f.o.n / te, f.o.concurrency, s1.cpu_s - s0.cpu_s,
	       (s1.cpu_s - s0.cpu_s) * 1e3 / (double)f.o.n, g1 - g0);
	double ta = run_phase(&f, PHASE_AUTH);
	sample(&f, &s2);
	printf("auth: %zu devices in %.2f s = %.0f devices/s (signed here as they go),"
	       " camcloud CPU %.2f s (%.3f ms each), generator CPU %.2f s\n", f.o.n, ta,
	       (double)f.o.n / ta, s2.cpu_s - s1.cpu_s, (s2.cpu_s - s1.cpu_s) * 1e3 / (double)f.o.n,
	       self_cpu_s() - g1);
	double th = hold_all(&f);
	sample(&f, &s3);
	printf("held polls: %zu sent and held in %.2f s (%zu sent again after a failed connection)\n",
	       f.o.n, th, f.poll_retries);
	print_proc(&f, "holding", &s3);
	printf("camcloud RSS per held poll: %.1f kB\n",
	       (double)(s3.rss_kb - s0.rss_kb) / (double)f.o.n);

	double gen_cpu = self_cpu_s();
	if (f.o.shards > 1)
		shards_hold_then_job(&f);
	else
		create_job(&f);
	sample(&f, &s4);
	report_wake(&f, &s3, &s4, self_cpu_s() - gen_cpu);
	print_proc(&f, "after the wake-up", &s4);
	int rc = !f.timed_out && f.admin_status == 200 &&
			 f.woken == f.o.n * (f.o.shard == 0 ? f.o.shards : 1) ? 0 : 1;

	for (size_t i = 0; i < f.o.n; i++) {
		if (f.dev[i].conn)
			evhttp_connection_free(f.dev[i].conn);
		crypto_key_free(f.dev[i].key);
		buf_free(&f.dev[i].enroll_body);
	}
	for (size_t i = 0; i < f.o.concurrency; i++)
		evhttp_connection_free(f.slot_conn[i]);
	if (f.admin)
		evhttp_connection_free(f.admin);
	event_free(f.deadline);
	event_base_free(f.base);
	free(f.dev);
	free(f.slot_conn);
	free(f.free_slot);
	return rc;
}
