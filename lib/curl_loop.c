/* curl_loop: see curl_loop.h. */
#include "curl_loop.h"

#include <stdlib.h>
#include <event2/event.h>

#include "log.h"

/* One socket curl asked us to watch; attached to curl's socket with curl_multi_assign. */
struct loop_sock {
	struct curl_loop *l;
	curl_socket_t fd;
	struct event *ev;
	struct loop_sock *prev, *next;
};

struct curl_loop {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	struct loop_sock *socks; /* every socket we watch */
	curl_loop_ended_fn ended;
	void *arg;
};

static void hand_over_ended(struct curl_loop *l)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(l->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		/* msg is invalid once ended ran: it may change the queue. */
		l->ended(msg->easy_handle, msg->data.result, l->arg);
	}
}

/* Lets curl act on fd (or on its timeout), then hands over whatever ended.
 * No "nothing running: delete the timer" afterwards as in multi-event.c: an ended
 * callback may just have added a transfer that needs that timer. */
static void socket_action(struct curl_loop *l, curl_socket_t fd, int flags)
{
	int running = 0;
	CURLMcode rc = curl_multi_socket_action(l->multi, fd, flags, &running);

	if (rc != CURLM_OK)
		log_error("curl loop: curl_multi_socket_action: %s", curl_multi_strerror(rc));
	hand_over_ended(l);
}

void curl_loop_kick(struct curl_loop *l)
{
	socket_action(l, CURL_SOCKET_TIMEOUT, 0);
}

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
	struct loop_sock *s = arg;
	int flags = 0;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	socket_action(s->l, fd, flags); /* s may be freed in there */
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	curl_loop_kick(arg);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct curl_loop *l = userp;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0)
		return evtimer_del(l->timer) == 0 ? 0 : -1;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(l->timer, &tv) == 0 ? 0 : -1;
}

static struct loop_sock *sock_new(struct curl_loop *l, curl_socket_t fd)
{
	struct loop_sock *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->l = l;
	s->fd = fd;
	s->ev = event_new(l->base, fd, EV_READ, on_socket_event, s);
	if (!s->ev) {
		free(s);
		return NULL;
	}
	s->next = l->socks;
	if (l->socks)
		l->socks->prev = s;
	l->socks = s;
	return s;
}

static void sock_free(struct loop_sock *s)
{
	struct curl_loop *l = s->l;

	if (s->prev)
		s->prev->next = s->next;
	else
		l->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	event_free(s->ev);
	free(s);
}

static int sock_watch(struct loop_sock *s, int action)
{
	short events = EV_PERSIST;

	if (action != CURL_POLL_IN)
		events |= EV_WRITE;
	if (action != CURL_POLL_OUT)
		events |= EV_READ;
	event_del(s->ev);
	if (event_assign(s->ev, s->l->base, s->fd, events, on_socket_event, s) != 0)
		return -1;
	return event_add(s->ev, NULL) == 0 ? 0 : -1;
}

static int socket_cb(CURL *easy, curl_socket_t fd, int action, void *userp, void *socketp)
{
	struct curl_loop *l = userp;
	struct loop_sock *s = socketp;

	(void)easy;
	switch (action) {
	case CURL_POLL_IN:
	case CURL_POLL_OUT:
	case CURL_POLL_INOUT:
		if (!s) {
			s = sock_new(l, fd);
			if (!s) {
				log_error("curl loop: out of memory watching a socket");
				return -1;
			}
			curl_multi_assign(l->multi, fd, s);
		}
		if (sock_watch(s, action) != 0) {
			log_error("curl loop: cannot watch socket %d", (int)fd);
			return -1;
		}
		break;
	case CURL_POLL_REMOVE:
		if (s) {
			curl_multi_assign(l->multi, fd, NULL);
			sock_free(s);
		}
		break;
	default:
		break;
	}
	return 0;
}

int curl_loop_new(struct curl_loop **out, struct event_base *base, curl_loop_ended_fn ended,
		  void *arg)
{
	struct curl_loop *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (!l)
		return -1;
	l->base = base;
	l->ended = ended;
	l->arg = arg;
	l->timer = evtimer_new(base, on_timer, l);
	l->multi = curl_multi_init();
	if (!l->timer || !l->multi ||
	    curl_multi_setopt(l->multi, CURLMOPT_SOCKETFUNCTION, socket_cb) != CURLM_OK ||
	    curl_multi_setopt(l->multi, CURLMOPT_SOCKETDATA, l) != CURLM_OK ||
	    curl_multi_setopt(l->multi, CURLMOPT_TIMERFUNCTION, timer_cb) != CURLM_OK ||
	    curl_multi_setopt(l->multi, CURLMOPT_TIMERDATA, l) != CURLM_OK) {
		curl_loop_free(l);
		return -1;
	}
	*out = l;
	return 0;
}

void curl_loop_free(struct curl_loop *l)
{
	if (!l)
		return;
	if (l->multi)
		curl_multi_cleanup(l->multi); /* may still report sockets removed */
	while (l->socks)
		sock_free(l->socks);
	if (l->timer)
		event_free(l->timer);
	free(l);
}

CURLM *curl_loop_multi(struct curl_loop *l)
{
	return l->multi;
}
