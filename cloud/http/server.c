/* server: the camcloud process lifecycle — data directory, database, signing key,
 * admin token, the listener (paused when out of descriptors), evhttp behind the
 * gate (gate.h) with its limits, signals, and a clean stop. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <event2/listener.h>

#include "../../lib/fsutil.h"
#include "../../lib/log.h"
#include "api.h"
#include "../mail/mailer.h"
#include "../store/sqlite/sqlite_store.h"
#include "../store/store.h"
#include "gate.h"
#include "../device/longpoll.h"
#include "../device/peers.h"
#include "../device/seal_pool.h"
#include "../device/signed_group.h"
#include "../device/wake.h"
#include "../admin/plan_queue.h"
#include "../admin/uploads.h"
#include "../domain/upload_rules.h"
#include "router.h"

#define ADMIN_TOKEN_BYTES 32

int64_t cloud_now(const struct cloud *c)
{
	int64_t now = (int64_t)time(NULL);
	return c->clock_file[0] ? fs_clock_file_read(c->clock_file, now) : now;
}

int64_t cloud_next_seq(struct cloud *c)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	int64_t v = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
	c->last_seq = v > c->last_seq ? v : c->last_seq + 1;
	return c->last_seq;
}

static int data_path(const struct cloud *c, const char *name, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "%s/%s", c->data_dir, name);
	if (n < 0 || (size_t)n >= outsz) {
		log_error("server: path %s/%s too long", c->data_dir, name);
		return -1;
	}
	return 0;
}

/* Reads the admin token file given (which must exist), or <data>/admin.token, creating
 * that (0600) on first start; keeps only its SHA-256. */
static int admin_token_load(struct cloud *c, const char *given)
{
	char path[PATH_MAX], tok[2 * ADMIN_TOKEN_BYTES + 2];
	struct buf b;
	int rc = -1;

	if (given && strlen(given) >= sizeof(path)) {
		log_error("server: --admin-token-file path too long");
		return -1;
	}
	if (given)
		strcpy(path, given);
	else if (data_path(c, "admin.token", path, sizeof(path)) != 0)
		return -1;
	buf_init(&b, 1024);
	if (given && !fs_exists(path)) {
		log_error("server: the admin token file %s does not exist", path);
		goto out;
	}
	if (!fs_exists(path)) {
		if (crypto_random_hex(tok, ADMIN_TOKEN_BYTES) != 0)
			goto out;
		strcat(tok, "\n");
		if (fs_write_atomic(path, tok, strlen(tok), 0600) != 0) {
			log_error("server: cannot write %s: %s", path, strerror(errno));
			goto out;
		}
		log_info("server: created the admin token in %s", path);
	}
	if (fs_read_file(path, &b, 1024) != 0) {
		log_error("server: cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	size_t n = b.len;
	while (n && (b.data[n - 1] == '\n' || b.data[n - 1] == '\r' || b.data[n - 1] == ' '))
		n--;
	if (n < 32) {
		log_error("server: %s holds no usable token (need at least 32 characters)", path);
		goto out;
	}
	crypto_sha256(b.data, n, c->admin_sha);
	rc = 0;
out:
	if (b.data)
		memset(b.data, 0, b.len);
	memset(tok, 0, sizeof(tok));
	buf_free(&b);
	return rc;
}

/* "HOST:PORT" or "[V6]:PORT" → host, port. */
static int parse_listen(const char *s, char *host, size_t hostsz, unsigned *port)
{
	const char *colon = strrchr(s, ':');
	const char *h = s, *hend = colon;
	if (!colon)
		return -1;
	if (*s == '[') {
		h = s + 1;
		hend = strchr(s, ']');
		if (!hend || hend + 1 != colon)
			return -1;
	}
	char *end;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (hend == h || (size_t)(hend - h) >= hostsz || !colon[1] || *end || p > 65535)
		return -1;
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	*port = (unsigned)p;
	return 0;
}

#define ACCEPT_PAUSE_MS 100
/* A fleet that connects at once (after an outage, or all through a balancer) brings
 * thousands of connects in a second while each request costs the loop a store lookup:
 * the queue holds them meanwhile, where a full one drops their SYNs, and a balancer's
 * health checks with them (it then marks a busy instance down). Linux caps it at
 * net.core.somaxconn, 4096 by default. */
#define LISTEN_BACKLOG 4096
/* Descriptors kept out of the connection cap: the database, files, artifacts, and
 * connections already closed whose descriptor libevent releases a moment later. */
#define FD_RESERVE_MIN 64
#define FD_RESERVE_SHARE 4 /* a quarter of the limit */

static void on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	evconnlistener_enable(arg);
}

/* Out of descriptors, accept() fails while the listener stays readable: instead of
 * spinning on it, stop accepting for a moment and keep serving what is open.
 * (The callback's argument is evhttp's, so it works from the listener alone.) */
static void on_accept_error(struct evconnlistener *lev, void *arg)
{
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv = {0, ACCEPT_PAUSE_MS * 1000};
	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM) {
		log_warn("server: accept: %s", strerror(err));
		return;
	}
	if (evconnlistener_disable(lev) != 0 ||
	    event_base_once(evconnlistener_get_base(lev), -1, EV_TIMEOUT, on_accept_resume, lev,
			    &tv) != 0) {
		evconnlistener_enable(lev);
		log_error("server: cannot pause accepting: %s", strerror(err));
		return;
	}
	log_debug("server: accept: %s; pausing %d ms", strerror(err), ACCEPT_PAUSE_MS);
}

/* Listens on our own evconnlistener (for its error callback) and serves it with evhttp. */
static int listen_http(struct cloud *c, const char *listen)
{
	char host[128], port_s[8];
	unsigned port;
	struct evutil_addrinfo hints, *ai = NULL;
	if (parse_listen(listen, host, sizeof(host), &port) != 0) {
		log_error("server: --listen wants HOST:PORT, got '%s'", listen);
		return -1;
	}
	snprintf(port_s, sizeof(port_s), "%u", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_ADDRCONFIG;
	if (evutil_getaddrinfo(host, port_s, &hints, &ai) != 0 || !ai) {
		log_error("server: cannot resolve %s", listen);
		return -1;
	}
	c->listener = evconnlistener_new_bind(c->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE |
					      LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
					      LISTEN_BACKLOG, ai->ai_addr, (int)ai->ai_addrlen);
	evutil_freeaddrinfo(ai);
	if (!c->listener) {
		log_error("server: cannot listen on %s: %s", listen, strerror(errno));
		return -1;
	}
	struct evhttp_bound_socket *bs = evhttp_bind_listener(c->http, c->listener);
	if (!bs) {
		log_error("server: cannot serve HTTP on %s", listen);
		evconnlistener_free(c->listener);
		c->listener = NULL;
		return -1;
	}
	evconnlistener_set_error_cb(c->listener, on_accept_error);
	gate_watch_listener(c->gate, c->listener);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &len) != 0) {
		log_error("server: getsockname: %s", strerror(errno));
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	snprintf(c->base_url, sizeof(c->base_url), ss.ss_family == AF_INET6 ? "http://[%s]:%u"
		 : "http://%s:%u", host, port);
	return 0;
}

static int or_default(int v, int def)
{
	return v > 0 ? v : def;
}

/* The seal pool's workers: one per CPU unless told (SIGN_THREADS_NONE: none). */
static int sign_threads(int asked)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (asked == SIGN_THREADS_NONE)
		return 0;
	if (asked > 0)
		return asked;
	return cpus < 1 ? 1 : cpus > SEAL_THREADS_MAX ? SEAL_THREADS_MAX : (int)cpus;
}

/* Connections in all: what the descriptor limit leaves after the reserve. */
static int conns_max(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 65536;
	rlim_t reserve = rl.rlim_cur / FD_RESERVE_SHARE;
	if (reserve < FD_RESERVE_MIN)
		reserve = FD_RESERVE_MIN;
	return rl.rlim_cur > 2 * reserve ? (int)(rl.rlim_cur - reserve) : FD_RESERVE_MIN;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct cloud *c = arg;
	log_info("server: signal %d, stopping", (int)sig);
	event_base_loopexit(c->base, NULL);
}

static int write_url(const char *path, const char *url)
{
	char line[CLOUD_URL_MAX + 2];
	snprintf(line, sizeof(line), "%s\n", url);
	if (fs_write_atomic(path, line, strlen(line), 0644) != 0) {
		log_error("server: cannot write the URL to %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Every mail's outcome goes into the history of the organization it was for (its tag):
 * an invitation that never arrived is seen by the admins who sent it. */
static void mail_recorded(void *arg, const struct mail_result *r)
{
	struct cloud *c = arg;
	char detail[MAIL_SUBJECT_MAX + MAIL_ADDR_MAX + 512];
	snprintf(detail, sizeof(detail), "mail '%s' to %s %s after %d attempt%s%s%s", r->subject,
		 r->to, r->sent ? "sent" : "given up", r->attempts, r->attempts == 1 ? "" : "s",
		 r->sent ? "" : ": ", r->why);
	if (store_run(c->store, ST_HISTORY_APPEND_SCOPED, "isssssssss", cloud_now(c),
		      r->sent ? "mail.sent" : "mail.failed", detail, r->tag[0] ? r->tag : NULL,
		      NULL, NULL, NULL, NULL, NULL, NULL) != 1)
		log_warn("mail: cannot record the outcome of the mail to %s", r->to);
}

static int mail_open(struct cloud *c, const struct serve_options *opt)
{
	if (!opt->smtp_url && !opt->mail_from)
		return 0;
	if (!opt->smtp_url || !opt->mail_from) {
		log_error("server: --smtp-url and --mail-from go together");
		return -1;
	}
	struct mailer_config cfg = {
		.smtp_url = opt->smtp_url, .from = opt->mail_from,
		.done = mail_recorded, .done_arg = c,
	};
	return mailer_new(c->base, &cfg, &c->mailer);
}

int cloud_open(struct cloud *c, const struct serve_options *opt)
{
	memset(c, 0, sizeof(*c));
	char path[PATH_MAX];
	if (strlen(opt->data_dir) >= sizeof(c->data_dir) - 32) {
		log_error("server: --data path too long");
		return -1;
	}
	strcpy(c->data_dir, opt->data_dir);
	if (opt->clock_file && strlen(opt->clock_file) >= sizeof(c->clock_file)) {
		log_error("server: --test-clock path too long");
		return -1;
	}
	if (opt->clock_file)
		strcpy(c->clock_file, opt->clock_file);
	if (fs_mkdirs(c->data_dir, 0700) != 0) {
		log_error("server: cannot create %s: %s", c->data_dir, strerror(errno));
		return -1;
	}
	if (data_path(c, "camcloud.db", path, sizeof(path)) != 0 ||
	    store_open(opt->store ? opt->store : path, &c->store) != 0 ||
	    data_path(c, "signing.key", path, sizeof(path)) != 0 ||
	    (opt->signing_key ? signer_load_shared(&c->signer, opt->signing_key)
			      : signer_load(&c->signer, path)) != 0 ||
	    admin_token_load(c, opt->admin_token_file) != 0)
		return -1;
	c->db = sqlite_store_handle(c->store);

	struct gate_limits lim = {
		.header_timeout_s = or_default(opt->header_timeout_s, 10),
		.body_timeout_s = or_default(opt->body_timeout_s, 30),
		.per_source = or_default(opt->per_source, 128),
		.max_conns = conns_max(),
		.body_max = CLOUD_BODY_MAX,
		.body_max_of = router_body_max, /* an upload's chunks: UPLOAD_CHUNK_MAX */
	};
	c->base = event_base_new();
	c->http = c->base ? evhttp_new(c->base) : NULL;
	c->lp = longpoll_new(c, api_task_wake_answer);
	c->gate = c->base ? gate_new(c->base, &lim) : NULL;
	if (!c->http || !c->lp || !c->gate) {
		log_error("server: out of memory");
		return -1;
	}
	if (peers_open(c) != 0)
		return -1;
	if (!(c->uploads = uploads_new(c)) || !(c->plans = plan_queue_new(c)) ||
	    !(c->seal = seal_pool_new(c, sign_threads(opt->sign_threads), api_task_sealed))) {
		log_error("server: out of memory");
		return -1;
	}
	/* The gate enforces the limits first and answers in JSON; evhttp's own limits
	 * (HTML answers) sit at or above them and so never trigger. */
	evhttp_set_max_body_size(c->http, UPLOAD_CHUNK_MAX);
	evhttp_set_max_headers_size(c->http, 2 * GATE_HEAD_MAX);
	evhttp_set_allowed_methods(c->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
				   EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
				   EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	c->idle_timeout_s = or_default(opt->idle_timeout_s, 60);
	evhttp_set_timeout(c->http, c->idle_timeout_s);
	evhttp_set_bevcb(c->http, gate_bevcb, c->gate);
	evhttp_set_gencb(c->http, router_dispatch, c);
	if (listen_http(c, opt->listen ? opt->listen : "127.0.0.1:8080") != 0)
		return -1;
	if (opt->public_url && strlen(opt->public_url) >= sizeof(c->public_url)) {
		log_error("server: --public-url too long");
		return -1;
	}
	strcpy(c->public_url, opt->public_url ? opt->public_url : c->base_url);
	size_t n = strlen(c->public_url);
	while (n > 0 && c->public_url[n - 1] == '/')
		c->public_url[--n] = '\0';

	if (mail_open(c, opt) != 0)
		return -1;
	c->sig_term = evsignal_new(c->base, SIGTERM, on_signal, c);
	c->sig_int = evsignal_new(c->base, SIGINT, on_signal, c);
	if (!c->sig_term || !c->sig_int || event_add(c->sig_term, NULL) != 0 ||
	    event_add(c->sig_int, NULL) != 0) {
		log_error("server: cannot install signal handlers");
		return -1;
	}
	if (data_path(c, "server.url", path, sizeof(path)) != 0 || write_url(path, c->base_url) != 0 ||
	    (opt->url_file && write_url(opt->url_file, c->base_url) != 0))
		return -1;
	plan_queue_resume(c); /* the jobs an instance left half written */
	return 0;
}

void cloud_close(struct cloud *c)
{
	mailer_free(c->mailer); /* before the event base its transfers are on */
	c->mailer = NULL;
	peers_free(c->peers);
	plan_queue_free(c->plans);
	wake_free(c->wake);
	uploads_free(c->uploads);
	c->uploads = NULL;
	seal_pool_free(c->seal); /* joins its threads; before the long polls it answers */
	c->seal = NULL;
	signed_group_free(c->signed_group); /* before evhttp_free, like the long polls */
	c->signed_group = NULL;
	longpoll_free(c->lp); /* before evhttp_free, see longpoll.h */
	if (c->gate)
		gate_watch_listener(c->gate, NULL); /* evhttp_free frees it before the connections */
	if (c->http)
		evhttp_free(c->http); /* frees the listener and the connections */
	if (c->sig_term)
		event_free(c->sig_term);
	if (c->sig_int)
		event_free(c->sig_int);
	if (c->base)
		event_base_free(c->base); /* runs the last deferred connection frees */
	gate_free(c->gate);
	store_close(c->store);
	c->store = NULL;
	c->db = NULL;
	signer_free(&c->signer);
	memset(c->admin_sha, 0, sizeof(c->admin_sha));
}

int server_run(const struct serve_options *opt)
{
	struct cloud c;
	enum log_level lvl = LOGL_INFO;

	if (opt->log_level && log_level_parse(opt->log_level, &lvl) != 0) {
		log_error("server: unknown log level '%s'", opt->log_level);
		return 2;
	}
	log_set_level(lvl);
	signal(SIGPIPE, SIG_IGN); /* a peer gone mid-reply is an error return, not a death */
	umask(077); /* database, key and token files are for this user only */
	int rc = 1;
	if (cloud_open(&c, opt) == 0) {
		log_info("camcloud %s listening on %s (public URL %s), data %s, signing key %s",
			 CAMAGENT_VERSION, c.base_url, c.public_url, c.data_dir, c.signer.fp);
		if (event_base_dispatch(c.base) == 0 || event_base_got_exit(c.base))
			rc = 0;
		else
			log_error("server: event loop failed");
	}
	cloud_close(&c);
	log_info("server: stopped");
	return rc;
}
