/* gate: the byte-level checks in front of evhttp (see gate.h).
 * Per connection: HEAD (collecting a request head; nothing reaches evhttp until the
 * whole head is there and checked), BODY (passing Content-Length bytes on), REFUSED
 * (a marked request was handed to evhttp instead; everything else is dropped).
 * Lifetime: the connection state is the filter's context; libevent frees it with
 * the filter when evhttp frees the connection. Closing a connection here means
 * telling evhttp "EOF" through a deferred event, never freeing it under evhttp. */
#include "gate.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <event2/buffer.h>
#include <event2/listener.h>

#include "../../lib/log.h"

#define SOURCE_BUCKETS 256

enum gate_state { GATE_HEAD, GATE_BODY, GATE_REFUSED };
enum gate_timer { TIMER_NONE, TIMER_START, TIMER_HEAD, TIMER_BODY };

struct refusal {
	const char *marker;
	int status;
	const char *code, *message;
};

static const struct refusal refusals[] = {
	{"malformed", 400, "bad_request", "malformed request head"},
	{"ambiguous_length", 400, "bad_request",
	 "more than one Content-Length, or Content-Length with Transfer-Encoding"},
	{"transfer_encoding", 501, "not_implemented",
	 "Transfer-Encoding is not supported: send Content-Length"},
	{"method", 501, "not_implemented", "unknown method"},
	{"line_too_long", 414, "too_large", "request line over 4096 bytes"},
	{"head_too_large", 431, "too_large", "request head over 16384 bytes"},
	{"body_too_large", 413, "too_large", "body over 65536 bytes"},
	{"chunk_too_large", 413, "too_large", "upload chunk over 1048576 bytes (chunk_max)"},
	{"head_timeout", 408, "timeout", "request head not complete in time"},
	{"busy", 503, "busy", "too many connections from this address"},
};

struct source {
	struct source *next;
	unsigned char addr[16];
	int len;
	int count;
};

struct gate_conn {
	struct gate *g;
	struct gate_conn *prev, *next; /* oldest first; moved back when a request completes */
	struct bufferevent *filter;
	struct event *timer;
	struct event *flush; /* moves a late reply on (see on_output) */
	enum gate_timer timer_kind;
	enum gate_state state;
	uint64_t body_left;
	struct source *src;
	int closing;
	int close_after; /* close once the current reply is out (see on_sent) */
	int counted; /* against its source (see source_counted_over) */
};

struct gate {
	struct event_base *base;
	struct gate_limits lim;
	struct gate_conn *head, *tail;
	size_t count;
	struct evconnlistener *listener; /* paused while nothing can make room */
	int paused;
	struct source *sources[SOURCE_BUCKETS];
};

int gate_refusal(const char *marker, int *status, const char **code, const char **message)
{
	for (size_t i = 0; marker && i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		if (strcmp(refusals[i].marker, marker) == 0) {
			*status = refusals[i].status;
			*code = refusals[i].code;
			*message = refusals[i].message;
			return 0;
		}
	}
	return -1;
}

struct gate *gate_new(struct event_base *base, const struct gate_limits *lim)
{
	struct gate *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->base = base;
	g->lim = *lim;
	return g;
}

void gate_free(struct gate *g)
{
	if (!g)
		return;
	for (unsigned b = 0; b < SOURCE_BUCKETS; b++) {
		while (g->sources[b]) {
			struct source *s = g->sources[b];
			g->sources[b] = s->next;
			free(s);
		}
	}
	free(g);
}

void gate_watch_listener(struct gate *g, struct evconnlistener *lev)
{
	g->listener = lev;
}

size_t gate_count(const struct gate *g)
{
	return g ? g->count : 0;
}

/* ---- the connection list and per-source counts ---- */

static void list_unlink(struct gate_conn *c)
{
	struct gate *g = c->g;
	if (c->prev)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		g->tail = c->prev;
	c->prev = c->next = NULL;
}

static void list_append(struct gate_conn *c)
{
	struct gate *g = c->g;
	c->prev = g->tail;
	if (g->tail)
		g->tail->next = c;
	else
		g->head = c;
	g->tail = c;
}

static unsigned source_bucket(const unsigned char *a, int len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (int i = 0; i < len; i++)
		h = (h ^ a[i]) * 16777619u;
	return h % SOURCE_BUCKETS;
}

/* The counter of the peer of fd, created at 0; NULL when unknown or out of memory. */
static struct source *source_of(struct gate *g, evutil_socket_t fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	unsigned char a[16];
	int len;
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
		return NULL;
	if (ss.ss_family == AF_INET) {
		memcpy(a, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		len = 4;
	} else if (ss.ss_family == AF_INET6) {
		memcpy(a, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
		len = 16;
	} else {
		return NULL;
	}
	unsigned b = source_bucket(a, len);
	struct source *s = g->sources[b];
	for (; s && !(s->len == len && memcmp(s->addr, a, (size_t)len) == 0); s = s->next)
		;
	if (!s && (s = calloc(1, sizeof(*s))) != NULL) {
		memcpy(s->addr, a, (size_t)len);
		s->len = len;
		s->next = g->sources[b];
		g->sources[b] = s;
	}
	return s;
}

static void source_release(struct gate *g, struct source *s)
{
	if (!s || --s->count > 0)
		return;
	struct source **p = &g->sources[source_bucket(s->addr, s->len)];
	for (; *p && *p != s; p = &(*p)->next)
		;
	if (*p)
		*p = s->next;
	free(s);
}

/* ---- closing and refusing ---- */

/* Deadlines get up to a second of spread, so that connections opened together (a
 * flood) do not all time out in one loop pass while a real client waits. */
static void timer_set(struct gate_conn *c, enum gate_timer kind, int seconds)
{
	uintptr_t spread = ((uintptr_t)c >> 4) * 2654435761u;
	struct timeval tv = {.tv_sec = seconds,
			     .tv_usec = seconds ? (suseconds_t)(spread % 1000000) : 0};
	c->timer_kind = kind;
	if (kind == TIMER_NONE)
		evtimer_del(c->timer);
	else
		evtimer_add(c->timer, &tv);
}

/* Has evhttp close the connection as if the peer had gone: from the loop (inside
 * this connection's own callbacks), or at once (from outside them: c is freed). */
static void gate_close(struct gate_conn *c, int at_once)
{
	if (c->closing)
		return;
	c->closing = 1;
	timer_set(c, TIMER_NONE, 0);
	bufferevent_trigger_event(c->filter, BEV_EVENT_EOF | BEV_EVENT_READING,
				  at_once ? 0 : BEV_TRIG_DEFER_CALLBACKS);
}

/* Puts a marked request in front of evhttp instead of whatever the client sent. */
static void refuse_into(struct gate_conn *c, struct evbuffer *dst, const char *marker)
{
	c->state = GATE_REFUSED;
	c->close_after = 1;
	timer_set(c, TIMER_NONE, 0);
	evbuffer_add_printf(dst, "GET / HTTP/1.1\r\n" GATE_HEADER ": %s\r\n\r\n", marker);
	log_debug("gate: refused a request (%s)", marker);
}

/* The same from outside the filter callback: the marked request is read at once. */
static void refuse_now(struct gate_conn *c, const char *marker)
{
	refuse_into(c, bufferevent_get_input(c->filter), marker);
	bufferevent_trigger(c->filter, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

/* Makes room under max_conns, while a connection is being accepted (so that accept
 * never meets the descriptor limit): closes the oldest connection that evhttp is
 * reading from (a head or body still coming, or idle between requests). A request
 * being answered (a held long poll, a download) is never cut. */
static void make_room(struct gate *g)
{
	for (struct gate_conn *o = g->head; o; o = o->next) {
		if (o->closing || !(bufferevent_get_enabled(o->filter) & EV_READ))
			continue;
		log_debug("gate: %zu connections, closing the oldest unfinished one", g->count);
		gate_close(o, 1);
		return;
	}
	/* All busy or already closing: accept no more until one of them is gone. */
	if (g->listener && !g->paused && evconnlistener_disable(g->listener) == 0) {
		g->paused = 1; /* once an episode, and a balancer's checks fail meanwhile: say so */
		log_warn("gate: %zu connections, all busy: not accepting new ones for now",
			 g->count);
	}
}

/* ---- the request head ---- */

static int is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static int known_method(const char *m, size_t n)
{
	static const char *const methods[] = {"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS",
					      "TRACE", "CONNECT", "PATCH"};
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strlen(methods[i]) == n && memcmp(methods[i], m, n) == 0)
			return 1;
	return 0;
}

/* "METHOD /target HTTP/1.x": NULL when fine, else the refusal marker. */
static const char *check_request_line(const char *s, size_t n)
{
	const char *sp1 = memchr(s, ' ', n);
	if (!sp1 || sp1 == s)
		return "malformed";
	const char *target = sp1 + 1;
	const char *sp2 = memchr(target, ' ', n - (size_t)(target - s));
	if (!sp2 || *target != '/')
		return "malformed";
	for (const char *p = s; p < sp1; p++)
		if (!is_tchar((unsigned char)*p))
			return "malformed";
	size_t vlen = n - (size_t)(sp2 + 1 - s);
	if (vlen != 8 || (memcmp(sp2 + 1, "HTTP/1.1", 8) != 0 && memcmp(sp2 + 1, "HTTP/1.0", 8) != 0))
		return "malformed";
	for (const char *p = target; p < sp2; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return "malformed";
	return known_method(s, (size_t)(sp1 - s)) ? NULL : "method";
}

static int header_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* Offset of the first CRLF of a head that has one. */
static size_t eol_first(const char *h)
{
	return (size_t)(strstr(h, "\r\n") - h);
}

/* 1 when the comma-separated value v[0..n) holds the token want. */
static int has_token(const char *v, size_t n, const char *want)
{
	size_t w = strlen(want);
	for (size_t i = 0; i < n;) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t j = i;
		while (j < n && v[j] != ',' && v[j] != ' ' && v[j] != '\t')
			j++;
		if (j - i == w && strncasecmp(v + i, want, w) == 0)
			return 1;
		i = j;
	}
	return 0;
}

/* NULL when a body of len bytes fits the route of request line s: the limit of
 * lim->body_max_of for its method and path (the query left off), else lim->body_max. */
static const char *check_body_len(const struct gate_limits *lim, const char *s, uint64_t len)
{
	char method[16], path[GATE_PATH_MAX];
	if (len <= lim->body_max)
		return NULL;
	const char *sp1 = strchr(s, ' '), *target = sp1 + 1;
	size_t mlen = (size_t)(sp1 - s), plen = strcspn(target, " ?");
	if (!lim->body_max_of || mlen >= sizeof(method) || plen >= sizeof(path))
		return "body_too_large";
	memcpy(method, s, mlen);
	method[mlen] = '\0';
	memcpy(path, target, plen);
	path[plen] = '\0';
	size_t max = lim->body_max_of(method, path);
	if (len <= max)
		return NULL;
	return max > lim->body_max ? "chunk_too_large" : "body_too_large";
}

/* Checks a complete head (n bytes, ending in CRLF CRLF), finds its body length and
 * whether the client wants the connection closed after the reply. */
static const char *check_head(const char *h, size_t n, const struct gate_limits *lim,
			      uint64_t *body_len, int *close_after)
{
	int lengths = 0, encodings = 0, close = 0, keep_alive = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)h[i];
		if ((ch == '\r' && (i + 1 == n || h[i + 1] != '\n')) ||
		    (ch == '\n' && (i == 0 || h[i - 1] != '\r')) ||
		    (ch < 0x20 && ch != '\t' && ch != '\r' && ch != '\n') || ch == 0x7f)
			return "malformed"; /* a bare CR or LF is where two parsers disagree */
	}
	const char *eol = strstr(h, "\r\n");
	const char *why = check_request_line(h, (size_t)(eol - h));
	if (why)
		return why;
	*body_len = 0;
	for (const char *line = eol + 2; line < h + n - 2; line = eol + 2) {
		eol = strstr(line, "\r\n");
		const char *colon = memchr(line, ':', (size_t)(eol - line));
		if (!colon || colon == line)
			return "malformed";
		for (const char *p = line; p < colon; p++)
			if (!is_tchar((unsigned char)*p))
				return "malformed"; /* also obs-fold and space before the colon */
		size_t nlen = (size_t)(colon - line);
		const char *v = colon + 1, *vend = eol;
		while (v < vend && (*v == ' ' || *v == '\t'))
			v++;
		while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
			vend--;
		if (header_is(line, nlen, GATE_HEADER))
			return "malformed";
		if (header_is(line, nlen, "Transfer-Encoding"))
			encodings++;
		if (header_is(line, nlen, "Connection")) {
			close |= has_token(v, (size_t)(vend - v), "close");
			keep_alive |= has_token(v, (size_t)(vend - v), "keep-alive");
		}
		if (!header_is(line, nlen, "Content-Length"))
			continue;
		if (++lengths > 1)
			return "ambiguous_length";
		if (v == vend || vend - v > 19)
			return vend - v > 19 ? "body_too_large" : "malformed";
		uint64_t len = 0;
		for (const char *p = v; p < vend; p++) {
			if (*p < '0' || *p > '9')
				return "malformed";
			len = len * 10 + (uint64_t)(*p - '0');
		}
		*body_len = len;
	}
	if (encodings)
		return lengths ? "ambiguous_length" : "transfer_encoding";
	*close_after = close || (memcmp(h + (eol_first(h) - 8), "HTTP/1.0", 8) == 0 && !keep_alive);
	return check_body_len(lim, h, *body_len);
}

/* The head as evhttp gets it when the gate closes the connection itself: HTTP/1.1
 * and no Connection header, so that evhttp never frees the connection while the
 * reply is still on its way out (libevent's filter would drop the tail). */
static void head_kept_open(const char *h, size_t n, struct evbuffer *dst)
{
	const char *eol = strstr(h, "\r\n");
	evbuffer_add(dst, h, (size_t)(eol - h) - 8);
	evbuffer_add(dst, "HTTP/1.1\r\n", 10);
	for (const char *line = eol + 2; line < h + n; line = eol + 2) {
		eol = strstr(line, "\r\n");
		const char *colon = memchr(line, ':', (size_t)(eol - line));
		if (!colon || !header_is(line, (size_t)(colon - line), "Connection"))
			evbuffer_add(dst, line, (size_t)(eol + 2 - line));
	}
}

/* The whole request is with evhttp: the next bytes start a new head. */
static void request_passed(struct gate_conn *c)
{
	c->state = GATE_HEAD;
	timer_set(c, TIMER_NONE, 0);
	list_unlink(c); /* a finished request: not what make_room closes first */
	list_append(c);
}

/* Counts the connection against its source address, once: from the start timer or
 * from its first bytes, whichever comes first (bytes read in the accept's own turn
 * replace the start timer with the head timer). 1 when the source is over its limit. */
static int source_counted_over(struct gate_conn *c)
{
	if (c->counted)
		return 0;
	c->counted = 1;
	c->src = source_of(c->g, bufferevent_getfd(c->filter));
	return c->src && ++c->src->count > c->g->lim.per_source;
}

/* Moves what evhttp may see from src to dst. */
static enum bufferevent_filter_result gate_input(struct evbuffer *src, struct evbuffer *dst,
						 ev_ssize_t limit, enum bufferevent_flush_mode mode,
						 void *arg)
{
	struct gate_conn *c = arg;
	char head[GATE_HEAD_MAX + 1];
	if (source_counted_over(c))
		refuse_into(c, dst, "busy");
	for (;;) {
		size_t have = evbuffer_get_length(src);
		if (c->state == GATE_REFUSED || c->closing) {
			evbuffer_drain(src, have);
			return BEV_OK;
		}
		if (have == 0)
			return BEV_OK;
		if (c->state == GATE_BODY) {
			size_t n = have < c->body_left ? have : (size_t)c->body_left;
			evbuffer_remove_buffer(src, dst, n);
			c->body_left -= n;
			if (c->body_left > 0)
				return BEV_OK;
			request_passed(c);
			continue;
		}
		if (c->timer_kind != TIMER_HEAD)
			timer_set(c, TIMER_HEAD, c->g->lim.header_timeout_s);
		struct evbuffer_ptr end = evbuffer_search(src, "\r\n\r\n", 4, NULL);
		struct evbuffer_ptr eol = evbuffer_search(src, "\r\n", 2, NULL);
		struct evbuffer_ptr lf = evbuffer_search(src, "\n", 1, NULL);
		if (lf.pos >= 0 && (eol.pos < 0 || lf.pos < eol.pos + 1)) {
			refuse_into(c, dst, "malformed"); /* a bare LF ends no line here */
			continue;
		}
		size_t line = eol.pos < 0 ? have : (size_t)eol.pos + 2;
		if (line > GATE_LINE_MAX) {
			refuse_into(c, dst, "line_too_long");
			continue;
		}
		if (end.pos < 0 ? have > GATE_HEAD_MAX : (size_t)end.pos + 4 > GATE_HEAD_MAX) {
			refuse_into(c, dst, "head_too_large");
			continue;
		}
		if (end.pos < 0)
			return BEV_NEED_MORE;
		size_t n = (size_t)end.pos + 4;
		uint64_t body = 0;
		int close_after = 0;
		evbuffer_copyout(src, head, n);
		head[n] = '\0';
		const char *why = memchr(head, '\0', n) ? "malformed"
			: check_head(head, n, &c->g->lim, &body, &close_after);
		if (why) {
			refuse_into(c, dst, why);
			continue;
		}
		if (close_after) {
			c->close_after = 1;
			head_kept_open(head, n, dst);
			evbuffer_drain(src, n);
		} else {
			evbuffer_remove_buffer(src, dst, n);
		}
		c->body_left = body;
		if (body == 0) {
			request_passed(c);
			continue;
		}
		c->state = GATE_BODY;
		timer_set(c, TIMER_BODY, c->g->lim.body_timeout_s);
	}
}

/* ---- connection start and timers ---- */

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct gate_conn *c = arg;
	enum gate_timer kind = c->timer_kind;
	c->timer_kind = TIMER_NONE;
	switch (kind) {
	case TIMER_START: /* evhttp has set the socket by now */
		if (source_counted_over(c))
			refuse_now(c, "busy");
		break;
	case TIMER_HEAD:
		if (c->state == GATE_HEAD && (bufferevent_get_enabled(c->filter) & EV_READ))
			refuse_now(c, "head_timeout");
		break;
	case TIMER_BODY:
		if (c->state == GATE_BODY)
			gate_close(c, 0); /* evhttp has the head already: no reply fits any more */
		break;
	case TIMER_NONE:
		break;
	}
}

/* libevent's filter passes output on only when it is added while writing is
 * enabled; evhttp adds a reply first and enables writing after, which for a reply
 * sent later (a held long poll) would leave it in the filter. So pass it on from
 * the loop, once evhttp has enabled writing. */
static void on_output(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct gate_conn *c = arg;
	if (info->n_added > 0)
		event_active(c->flush, EV_TIMEOUT, 0);
}

/* The socket has taken everything: when evhttp is done with the reply (it reads
 * again) and the connection is to close after it, close it now. */
static void on_sent(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct gate_conn *c = arg;
	if (c->close_after && info->n_deleted > 0 && evbuffer_get_length(buf) == 0 &&
	    evbuffer_get_length(bufferevent_get_output(c->filter)) == 0 &&
	    (bufferevent_get_enabled(c->filter) & EV_READ))
		gate_close(c, 0);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct gate_conn *c = arg;
	bufferevent_flush(c->filter, EV_WRITE, BEV_NORMAL); /* may free c: nothing after it */
}

static void conn_free(void *arg)
{
	struct gate_conn *c = arg;
	struct gate *g = c->g;
	list_unlink(c);
	if (--g->count < (size_t)g->lim.max_conns && g->paused && g->listener &&
	    evconnlistener_enable(g->listener) == 0) {
		g->paused = 0;
		log_info("gate: %zu connections: accepting again", g->count);
	}
	source_release(c->g, c->src);
	event_free(c->timer);
	event_free(c->flush);
	free(c);
}

struct bufferevent *gate_bevcb(struct event_base *base, void *arg)
{
	struct gate *g = arg;
	if (g->count >= (size_t)g->lim.max_conns)
		make_room(g);
	struct gate_conn *c = calloc(1, sizeof(*c));
	struct bufferevent *sock = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!c || !sock || !(c->timer = evtimer_new(base, on_timer, c)) ||
	    !(c->flush = event_new(base, -1, 0, on_flush, c)))
		goto fail;
	c->g = g;
	c->state = GATE_HEAD;
	c->filter = bufferevent_filter_new(sock, gate_input, NULL, BEV_OPT_CLOSE_ON_FREE, conn_free, c);
	if (!c->filter)
		goto fail;
	g->count++; /* from here on conn_free undoes it all */
	list_append(c);
	if (!evbuffer_add_cb(bufferevent_get_output(c->filter), on_output, c) ||
	    !evbuffer_add_cb(bufferevent_get_output(sock), on_sent, c)) {
		bufferevent_free(c->filter); /* frees sock and, through conn_free, c */
		log_error("gate: out of memory for a connection");
		return NULL;
	}
	timer_set(c, TIMER_START, 0);
	return c->filter;
fail:
	log_error("gate: out of memory for a connection");
	if (c && c->timer)
		event_free(c->timer);
	if (c && c->flush)
		event_free(c->flush);
	free(c);
	if (sock)
		bufferevent_free(sock);
	return NULL; /* evhttp then makes a plain socket bufferevent: served, just unguarded */
}
