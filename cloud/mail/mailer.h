/* mailer: plain-text mail to one recipient at a time through a configured SMTP relay
 * (libcurl's SMTP, smtp:// or smtps://), on the server's event loop: a bounded queue,
 * a few transfers at once on one curl multi driven by libevent, retries with
 * exponential backoff, and every final outcome (sent, or failed with the reason)
 * reported to a callback the server records. It never blocks the loop and never
 * logs a message body (it may carry a sign-up link). Not a general mail library:
 * no attachments, no HTML, one recipient per mail. */
#ifndef CLOUD_MAILER_H
#define CLOUD_MAILER_H

#include <stddef.h>

struct event_base;
struct mailer;

#define MAIL_ADDR_MAX 255    /* an address, without the NUL */
#define MAIL_SUBJECT_MAX 200 /* a subject line, without the NUL */
#define MAIL_BODY_MAX (64 * 1024)

/* The final outcome of one mail. */
struct mail_result {
	const char *to;
	const char *subject;
	int sent;       /* 1 sent (accepted by the relay), 0 given up */
	int attempts;   /* transfers tried */
	const char *why; /* "" when sent, else the last transfer's error */
	const char *tag; /* what the sender gave with the mail ("" for nothing) */
};
typedef void (*mail_done_fn)(void *arg, const struct mail_result *r);

struct mailer_config {
	const char *smtp_url; /* required: smtp://HOST[:PORT] or smtps://... */
	const char *from;     /* required: the envelope and From: address */
	int max_attempts;     /* [5] transfers per mail before it is given up */
	int first_retry_ms;   /* [1000] wait after the first failure; doubles after each */
	int max_retry_ms;     /* [300000] cap of that wait */
	int timeout_s;        /* [60] one transfer, connection included */
	size_t queue_max;     /* [256] mails waiting or in flight; more are refused */
	mail_done_fn done;    /* may be NULL */
	void *done_arg;
};

/* 0 and *out, or -1 (logged) for a bad configuration or no memory. */
__attribute__((warn_unused_result)) int mailer_new(struct event_base *base,
						   const struct mailer_config *cfg,
						   struct mailer **out);
/* Drops what is still queued or in flight (without calling done). NULL is fine. */
void mailer_free(struct mailer *m);

#define MAIL_TAG_MAX 64 /* a tag, without the NUL */

/* Queues one mail; tag (NULL or up to MAIL_TAG_MAX bytes: say, the organization it is
 * for) comes back in its result. 0, or -1 (logged) when the queue is full, an address
 * is not a plain addr-spec, or the subject or body holds what a mail must not (control
 * characters; a body over MAIL_BODY_MAX). */
__attribute__((warn_unused_result)) int mailer_send(struct mailer *m, const char *to,
						    const char *subject, const char *body,
						    const char *tag);

/* Mails queued or in flight. */
size_t mailer_pending(const struct mailer *m);

/* 1 when s is an address the mailer accepts (local@domain, printable ASCII, no
 * spaces, quotes or angle brackets), else 0. */
int mail_addr_ok(const char *s);

#endif
