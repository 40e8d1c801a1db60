/* server: the camcloud process. One context struct (struct cloud) holds everything
 * the handlers need; it is created by server_run and passed around explicitly.
 * There are no mutable globals. */
#ifndef CLOUD_SERVER_H
#define CLOUD_SERVER_H

#include <limits.h>
#include <stdint.h>
#include <event2/event.h>
#include <event2/http.h>

#include "../domain/signing.h"
#include "../store/store.h"

#define CLOUD_URL_MAX 256
#define CLOUD_BODY_MAX (64 * 1024)
#define CLOUD_HEADERS_MAX (16 * 1024)

struct longpoll;
struct gate;
struct evconnlistener;
struct wake;
struct plan_queue;
struct mailer;
struct peers;

struct serve_options {
	const char *data_dir;   /* required */
	const char *store;      /* "postgres:CONNINFO"; default: SQLite in DIR/camcloud.db */
	const char *listen;     /* "HOST:PORT", default 127.0.0.1:8080; PORT 0 picks one */
	const char *public_url; /* URL put in enrollment tokens; default: the bound URL */
	const char *url_file;   /* if set, the bound URL is written there once listening */
	const char *log_level;  /* "info" by default */
	/* Hostile-client limits; 0 takes the default in brackets. */
	int header_timeout_s;   /* [10] a request head must arrive within this */
	int body_timeout_s;     /* [30] its body within this after the head */
	int idle_timeout_s;     /* [60] an idle connection, and a stalled write, closes */
	int per_source;         /* [128] open connections from one address */
	const char *clock_file; /* tests only: the clock reads this file's epoch seconds */
	const char *smtp_url;   /* the mail relay, smtp://HOST[:PORT]; NULL: no mail */
	const char *mail_from;  /* the sender address of its mail (required with smtp_url) */
	/* Several instances share these (docs/operations.md): files that must exist and
	 * are never created. Default: DIR/signing.key and DIR/admin.token, made on first
	 * start. */
	const char *signing_key;
	const char *admin_token_file;
	/* [CPUs, at most SEAL_THREADS_MAX] threads signing woken polls' task envelopes
	 * (seal_pool.h); SIGN_THREADS_NONE signs them on the event loop */
	int sign_threads;
};
#define SIGN_THREADS_NONE (-1)

struct cloud {
	struct event_base *base;
	struct evhttp *http;
	struct event *sig_term;
	struct event *sig_int;
	struct store *store;
	struct sqlite3 *db;     /* the SQLite file under store, for tests that look inside; else NULL */
	struct signer signer;
	struct longpoll *lp;
	struct gate *gate;
	struct evconnlistener *listener; /* owned by evhttp once bound */
	struct wake *wake;      /* sliced wake-ups of whole jobs (wake.h), made on first use */
	struct plan_queue *plans; /* big jobs' tasks still to write (plan_queue.h) */
	struct mailer *mailer;  /* outgoing mail (mail/mailer.h); NULL without --smtp-url */
	struct peers *peers;    /* wake-ups from other instances (peers.h) */
	struct uploads *uploads; /* this instance's side of streamed uploads (uploads.h) */
	struct signed_group *signed_group; /* enroll and auth commits (signed_group.h) */
	struct seal_pool *seal; /* signs woken polls' task envelopes (seal_pool.h) */
	uint8_t admin_sha[32];  /* SHA-256 of the admin token; the token itself is not kept */
	char data_dir[PATH_MAX];
	char base_url[CLOUD_URL_MAX];
	char public_url[CLOUD_URL_MAX];
	int64_t last_seq;       /* last task ordering stamp handed out */
	int idle_timeout_s;     /* a connection's idle timeout outside a held long poll */
	char clock_file[PATH_MAX]; /* "" outside tests (see cloud_now) */
};

/* Runs the server until SIGTERM/SIGINT. Returns the process exit code. */
int server_run(const struct serve_options *opt);

/* The two halves of server_run, for tests that drive the loop themselves:
 * cloud_open sets everything up and listens (c->base_url is then known);
 * cloud_close frees whatever cloud_open got to, even after a failure. */
int cloud_open(struct cloud *c, const struct serve_options *opt);
void cloud_close(struct cloud *c);

/* The cloud's one clock, in epoch seconds: time(NULL), or, when the server was started
 * with --test-clock FILE, the whole number in FILE (while it holds one), so tests move
 * time across grace periods, year ends and leap days without waiting. */
int64_t cloud_now(const struct cloud *c);

/* Strictly increasing ordering stamp (microseconds) for new rows. */
int64_t cloud_next_seq(struct cloud *c);

#endif
