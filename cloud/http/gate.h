/* gate: every connection's bytes pass here before evhttp parses them. It lets
 * through only unambiguous HTTP/1.x requests: one request line and header block of
 * bounded size, CRLF line ends only, at most one Content-Length, no
 * Transfer-Encoding, a body within the limit. It times out slow request heads and
 * bodies, caps connections per source address and in all, and turns each refusal
 * into a marked request that the router answers with the JSON error of
 * docs/protocol.md §1 on a connection that then closes.
 * It is a filter bufferevent under the connection evhttp owns, not a proxy: evhttp
 * still frees the connection, and the idle timeout is evhttp's own. */
#ifndef CLOUD_GATE_H
#define CLOUD_GATE_H

#include <stddef.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#define GATE_LINE_MAX 4096            /* request line, CRLF included */
#define GATE_HEAD_MAX (16 * 1024)     /* request line and headers */
#define GATE_HEADER "X-Camcloud-Gate" /* the marker; refused when a client sends it */
#define GATE_PATH_MAX 256             /* a longer path gets body_max, whatever its route */

struct gate_limits {
	int header_timeout_s; /* request line and headers must arrive within this */
	int body_timeout_s;   /* the body within this after its headers */
	int per_source;       /* open connections from one address */
	int max_conns;        /* open connections in all; beyond it the oldest that has
			       * not finished a request makes room */
	size_t body_max;      /* largest Content-Length */
	/* The routes allowed more (an upload's chunks): the largest Content-Length for a
	 * method and path, asked only of a request over body_max; NULL: none is. */
	size_t (*body_max_of)(const char *method, const char *path);
};

struct gate;

struct gate *gate_new(struct event_base *base, const struct gate_limits *lim);
/* Call after event_base_free: evhttp_free frees the connections, some of them only
 * in deferred callbacks that the base runs when it is freed. */
void gate_free(struct gate *g);
/* The evhttp_set_bevcb callback; arg is the gate. */
struct bufferevent *gate_bevcb(struct event_base *base, void *arg);
struct evconnlistener;
/* Lets the gate pause lev while every connection is busy at max_conns (NULL: stop). */
void gate_watch_listener(struct gate *g, struct evconnlistener *lev);
/* Connections open now. */
size_t gate_count(const struct gate *g);

/* What the router answers for a marked request: 0 and the HTTP status, error code
 * and message for the marker's value, -1 for a value the gate never writes. */
int gate_refusal(const char *marker, int *status, const char **code, const char **message);

#endif
