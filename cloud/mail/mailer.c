/* mailer: SMTP through libcurl's multi interface on libevent (lib/curl_loop.c; see
 * mailer.h).
 *
 * A mail is WAITING (in the queue, or for its retry timer), then IN_FLIGHT (an easy
 * handle on the multi), then done: sent, retried (back to WAITING after the backoff)
 * or given up. At most MAILER_PARALLEL transfers run at once; the rest wait in order. */
#include "mailer.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "../../lib/buf.h"
#include "../../lib/crypto.h"
#include "../../lib/curl_loop.h"
#include "../../lib/log.h"

#define MAILER_PARALLEL 4
#define MAIL_TEXT_MAX (MAIL_BODY_MAX * 2 + 4096) /* CRLF doubles at most, plus headers */

struct mail {
	TAILQ_ENTRY(mail) link;
	struct mailer *m;
	char to[MAIL_ADDR_MAX + 1];
	char subject[MAIL_SUBJECT_MAX + 1];
	char tag[MAIL_TAG_MAX + 1];
	struct buf text; /* the whole message as sent */
	size_t off;      /* read position of the current transfer */
	int attempts;
	int retry_ms;    /* the next wait after a failure */
	CURL *easy;      /* while in flight */
	struct curl_slist *rcpt;
	struct event *retry;
	char err[CURL_ERROR_SIZE];
};
TAILQ_HEAD(mail_list, mail);

struct mailer {
	struct event_base *base;
	struct curl_loop *loop;
	CURLM *multi;            /* the loop's */
	struct mail_list ready;  /* waiting for a transfer slot, oldest first */
	struct mail_list parked; /* waiting for their retry timer */
	struct mail_list flying;
	size_t n, in_flight;
	struct mailer_config cfg;
	char url[512], from[MAIL_ADDR_MAX + 3]; /* from as "<addr>" for MAIL FROM */
	char from_addr[MAIL_ADDR_MAX + 1];
};

static int or_default(int v, int def)
{
	return v > 0 ? v : def;
}

int mail_addr_ok(const char *s)
{
	const char *at = s ? strchr(s, '@') : NULL;
	size_t n = s ? strlen(s) : 0;
	if (!at || at == s || !at[1] || strchr(at + 1, '@') || n > MAIL_ADDR_MAX)
		return 0;
	for (const char *p = s; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("<>()[]\\,;:\"", *p))
			return 0;
	return 1;
}

static void mail_free(struct mail *ml)
{
	if (!ml)
		return;
	if (ml->easy) {
		curl_multi_remove_handle(ml->m->multi, ml->easy);
		curl_easy_cleanup(ml->easy);
	}
	curl_slist_free_all(ml->rcpt);
	if (ml->retry)
		event_free(ml->retry);
	buf_free(&ml->text);
	free(ml);
}

/* ---- the message text ---- */

/* The Subject: value, as RFC 2047 base64 when it is not plain ASCII. */
static int subject_header(struct buf *b, const char *subject)
{
	int ascii = 1;
	for (const unsigned char *p = (const unsigned char *)subject; *p; p++)
		ascii &= *p < 0x80;
	if (ascii)
		return buf_printf(b, "Subject: %s\r\n", subject);
	char enc[((MAIL_SUBJECT_MAX + 2) / 3) * 4 + 1];
	if (base64_encode(subject, strlen(subject), enc, sizeof(enc)) < 0)
		return -1;
	return buf_printf(b, "Subject: =?UTF-8?B?%s?=\r\n", enc);
}

static int build_text(struct mail *ml, const char *from, const char *body)
{
	char date[64], id[33];
	struct tm tm;
	time_t now = time(NULL);
	struct buf *b = &ml->text;
	const char *domain = strchr(from, '@') + 1;
	if (!gmtime_r(&now, &tm) ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0 ||
	    crypto_random_hex(id, 16) != 0)
		return -1;
	if (buf_printf(b, "Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\n", date, from, ml->to) != 0 ||
	    subject_header(b, ml->subject) != 0 ||
	    buf_printf(b, "Message-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n"
		       "Content-Type: text/plain; charset=utf-8\r\n"
		       "Content-Transfer-Encoding: 8bit\r\n\r\n", id, domain) != 0)
		return -1;
	for (const char *p = body; *p; p++) { /* bare LF becomes CRLF; CR alone is refused */
		if (*p == '\n' && buf_append_str(b, "\r\n") != 0)
			return -1;
		if (*p != '\n' && buf_append(b, p, 1) != 0)
			return -1;
	}
	return buf_append_str(b, "\r\n");
}

/* No control characters but newline (body) and tab. */
static int text_ok(const char *s, int newlines)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < ' ' && *p != '\t' && !(newlines && *p == '\n')) || *p == 0x7f)
			return 0;
	return 1;
}

/* ---- transfers ---- */

static size_t read_text(char *out, size_t size, size_t nmemb, void *arg)
{
	struct mail *ml = arg;
	size_t left = ml->text.len - ml->off, n = size * nmemb;
	if (n > left)
		n = left;
	memcpy(out, ml->text.data + ml->off, n);
	ml->off += n;
	return n;
}

static int start_transfer(struct mail *ml)
{
	struct mailer *m = ml->m;
	CURL *e = curl_easy_init();
	ml->off = 0;
	ml->err[0] = '\0';
	if (!e)
		return -1;
	ml->easy = e;
	if (curl_easy_setopt(e, CURLOPT_URL, m->url) != CURLE_OK ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps") != CURLE_OK ||
#endif
	    curl_easy_setopt(e, CURLOPT_MAIL_FROM, m->from) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_MAIL_RCPT, ml->rcpt) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)ml->text.len) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_READFUNCTION, read_text) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_READDATA, ml) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, ml) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, ml->err) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)m->cfg.timeout_s) != CURLE_OK ||
	    curl_multi_add_handle(m->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		ml->easy = NULL;
		return -1;
	}
	ml->attempts++;
	m->in_flight++;
	TAILQ_INSERT_TAIL(&m->flying, ml, link);
	return 0;
}

static void report(struct mail *ml, int sent, const char *why)
{
	struct mailer *m = ml->m;
	struct mail_result r = {ml->to, ml->subject, sent, ml->attempts, why, ml->tag};
	if (sent)
		log_info("mail: '%s' to %s sent (attempt %d)", ml->subject, ml->to, ml->attempts);
	else
		log_warn("mail: '%s' to %s given up after %d attempts: %s", ml->subject, ml->to,
			 ml->attempts, why);
	m->n--;
	if (m->cfg.done)
		m->cfg.done(m->cfg.done_arg, &r);
	mail_free(ml);
}

/* Starts waiting mails while there are free slots. */
static void pump(struct mailer *m)
{
	struct mail *ml;
	while (m->in_flight < MAILER_PARALLEL && (ml = TAILQ_FIRST(&m->ready))) {
		TAILQ_REMOVE(&m->ready, ml, link);
		if (start_transfer(ml) != 0)
			report(ml, 0, "cannot start a transfer (out of memory)");
	}
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct mail *ml = arg;
	(void)fd;
	(void)what;
	TAILQ_REMOVE(&ml->m->parked, ml, link);
	TAILQ_INSERT_TAIL(&ml->m->ready, ml, link);
	pump(ml->m);
}

static void transfer_failed(struct mail *ml, const char *why)
{
	struct mailer *m = ml->m;
	if (ml->attempts >= m->cfg.max_attempts) {
		report(ml, 0, why);
		return;
	}
	struct timeval tv = {ml->retry_ms / 1000, (ml->retry_ms % 1000) * 1000};
	log_warn("mail: '%s' to %s: attempt %d failed (%s); again in %d ms", ml->subject, ml->to,
		 ml->attempts, why, ml->retry_ms);
	ml->retry_ms = ml->retry_ms > m->cfg.max_retry_ms / 2 ? m->cfg.max_retry_ms
							       : ml->retry_ms * 2;
	if (!ml->retry)
		ml->retry = evtimer_new(m->base, on_retry, ml);
	if (!ml->retry || evtimer_add(ml->retry, &tv) != 0) {
		report(ml, 0, "cannot schedule a retry (out of memory)");
		return;
	}
	TAILQ_INSERT_TAIL(&m->parked, ml, link);
}

/* A transfer ended (lib/curl_loop.c): sent, or retried later, or given up. */
static void on_transfer_ended(CURL *easy, CURLcode rc, void *arg)
{
	struct mailer *m = arg;
	struct mail *ml = NULL;
	char why[CURL_ERROR_SIZE + 64];
	long smtp = 0; /* the relay's last reply code says more than curl's text */
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&ml);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &smtp);
	snprintf(why, sizeof(why), smtp >= 400 ? "%s (SMTP %ld)" : "%s",
		 ml->err[0] ? ml->err : curl_easy_strerror(rc), smtp);
	curl_multi_remove_handle(m->multi, ml->easy);
	curl_easy_cleanup(ml->easy);
	ml->easy = NULL;
	m->in_flight--;
	TAILQ_REMOVE(&m->flying, ml, link);
	if (rc == CURLE_OK)
		report(ml, 1, "");
	else
		transfer_failed(ml, why);
	pump(m);
}

/* ---- the interface ---- */

int mailer_new(struct event_base *base, const struct mailer_config *cfg, struct mailer **out)
{
	*out = NULL;
	if (!cfg->smtp_url || (strncmp(cfg->smtp_url, "smtp://", 7) != 0 &&
			       strncmp(cfg->smtp_url, "smtps://", 8) != 0) ||
	    strlen(cfg->smtp_url) >= sizeof(((struct mailer *)0)->url)) {
		log_error("mail: the relay must be an smtp:// or smtps:// URL");
		return -1;
	}
	if (!mail_addr_ok(cfg->from)) {
		log_error("mail: '%s' is not a plain sender address", cfg->from ? cfg->from : "");
		return -1;
	}
	struct mailer *m = calloc(1, sizeof(*m));
	if (!m)
		return -1;
	m->base = base;
	m->cfg = *cfg;
	m->cfg.max_attempts = or_default(cfg->max_attempts, 5);
	m->cfg.first_retry_ms = or_default(cfg->first_retry_ms, 1000);
	m->cfg.max_retry_ms = or_default(cfg->max_retry_ms, 300000);
	m->cfg.timeout_s = or_default(cfg->timeout_s, 60);
	m->cfg.queue_max = cfg->queue_max ? cfg->queue_max : 256;
	TAILQ_INIT(&m->ready);
	TAILQ_INIT(&m->parked);
	TAILQ_INIT(&m->flying);
	strcpy(m->url, cfg->smtp_url);
	strcpy(m->from_addr, cfg->from);
	snprintf(m->from, sizeof(m->from), "<%s>", cfg->from);
	if (curl_loop_new(&m->loop, base, on_transfer_ended, m) != 0) {
		log_error("mail: cannot set up libcurl");
		mailer_free(m);
		return -1;
	}
	m->multi = curl_loop_multi(m->loop);
	*out = m;
	return 0;
}

void mailer_free(struct mailer *m)
{
	struct mail *ml;
	if (!m)
		return;
	struct mail_list *lists[] = {&m->ready, &m->parked, &m->flying};
	for (size_t i = 0; i < 3; i++)
		while ((ml = TAILQ_FIRST(lists[i]))) {
			TAILQ_REMOVE(lists[i], ml, link);
			mail_free(ml); /* removes its handle: curl closes the socket events */
		}
	curl_loop_free(m->loop);
	free(m);
}

int mailer_send(struct mailer *m, const char *to, const char *subject, const char *body,
		const char *tag)
{
	if (m->n >= m->cfg.queue_max) {
		log_warn("mail: queue full (%zu); '%s' to %s refused", m->n, subject, to);
		return -1;
	}
	if (!mail_addr_ok(to) || strlen(subject) > MAIL_SUBJECT_MAX || !text_ok(subject, 0) ||
	    strlen(body) > MAIL_BODY_MAX || !text_ok(body, 1) ||
	    (tag && strlen(tag) > MAIL_TAG_MAX)) {
		log_warn("mail: refused a malformed mail to '%s'", to);
		return -1;
	}
	struct mail *ml = calloc(1, sizeof(*ml));
	if (!ml)
		return -1;
	ml->m = m;
	strcpy(ml->to, to);
	strcpy(ml->subject, subject);
	strcpy(ml->tag, tag ? tag : "");
	ml->retry_ms = m->cfg.first_retry_ms;
	buf_init(&ml->text, MAIL_TEXT_MAX);
	char rcpt[MAIL_ADDR_MAX + 3];
	snprintf(rcpt, sizeof(rcpt), "<%s>", to);
	if (build_text(ml, m->from_addr, body) != 0 || !(ml->rcpt = curl_slist_append(NULL, rcpt))) {
		log_error("mail: cannot build the mail to %s", to);
		mail_free(ml);
		return -1;
	}
	m->n++;
	TAILQ_INSERT_TAIL(&m->ready, ml, link);
	pump(m);
	return 0;
}

size_t mailer_pending(const struct mailer *m)
{
	return m->n;
}
