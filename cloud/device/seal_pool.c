/* seal_pool: worker threads that seal task envelopes (see seal_pool.h). One mutex
 * guards both queues; a worker that puts a job on an empty "done" queue writes a byte
 * to the pipe, and the loop's read callback takes the whole queue at once. */
#include "seal_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>

#include "../../lib/envelope.h"
#include "../../lib/log.h"
#include "../domain/signing.h"
#include "../http/server.h"

struct seal_job {
	struct seal_job *next;
	uint64_t ticket;
	int ok;
	struct buf payload, env;
	char device_id[DB_ID_LEN];
};

struct job_queue {
	struct seal_job *head, *tail;
};

struct worker {
	struct seal_pool *pool;
	pthread_t thread;
	struct signer signer; /* its own signing context */
};

struct seal_pool {
	struct cloud *c;
	seal_done_fn done;
	pthread_mutex_t mu;
	pthread_cond_t work; /* todo has a job, or stopping */
	struct job_queue todo, finished;
	int stopping;
	int pipe_fd[2]; /* workers write [1] when finished was empty; the loop reads [0] */
	struct event *wakeup;
	uint64_t last_ticket;
	size_t workers;
	struct worker worker[SEAL_THREADS_MAX];
};

static void queue_push(struct job_queue *q, struct seal_job *j)
{
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
}

static struct seal_job *queue_pop(struct job_queue *q)
{
	struct seal_job *j = q->head;
	if (j && !(q->head = j->next))
		q->tail = NULL;
	return j;
}

static void job_free(struct seal_job *j)
{
	buf_free(&j->payload);
	buf_free(&j->env);
	free(j);
}

static void queue_free(struct job_queue *q)
{
	struct seal_job *j;
	while ((j = queue_pop(q)))
		job_free(j);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct seal_pool *p = w->pool;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->todo.head && !p->stopping)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stopping)
			break;
		struct seal_job *j = queue_pop(&p->todo);
		pthread_mutex_unlock(&p->mu);
		j->ok = signer_seal(&w->signer, j->payload.data, j->payload.len, &j->env) == 0;
		pthread_mutex_lock(&p->mu);
		int was_empty = !p->finished.head;
		queue_push(&p->finished, j);
		/* a full pipe already holds a byte the loop has yet to read */
		if (was_empty && write(p->pipe_fd[1], "", 1) < 0 && errno != EAGAIN)
			log_error("seal: cannot wake the loop: %s", strerror(errno));
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* On the loop: hands every finished job back, oldest first. */
static void on_wakeup(evutil_socket_t fd, short what, void *arg)
{
	struct seal_pool *p = arg;
	char drain[64];
	while (read(fd, drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&p->mu);
	struct job_queue ready = p->finished;
	p->finished.head = p->finished.tail = NULL;
	pthread_mutex_unlock(&p->mu);
	struct seal_job *j;
	while ((j = queue_pop(&ready))) {
		p->done(p->c, j->device_id, j->ticket, j->ok ? &j->env : NULL);
		job_free(j);
	}
}

static int open_pipe(struct seal_pool *p)
{
	if (pipe(p->pipe_fd) != 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (fcntl(p->pipe_fd[i], F_SETFL, O_NONBLOCK) != 0 ||
		    fcntl(p->pipe_fd[i], F_SETFD, FD_CLOEXEC) != 0)
			return -1;
	p->wakeup = event_new(p->c->base, p->pipe_fd[0], EV_READ | EV_PERSIST, on_wakeup, p);
	return p->wakeup && event_add(p->wakeup, NULL) == 0 ? 0 : -1;
}

/* Starts up to threads workers; stops at the first that cannot have a signer or a
 * thread (the pool then has the ones started). The workers start with every signal
 * blocked: SIGTERM and the rest are the loop's. */
static void start_workers(struct seal_pool *p, int threads)
{
	sigset_t all, old;
	sigfillset(&all);
	if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0)
		return;
	for (int i = 0; i < threads && i < SEAL_THREADS_MAX; i++) {
		struct worker *w = &p->worker[p->workers];
		w->pool = p;
		if (signer_for_thread(&p->c->signer, &w->signer) != 0)
			break;
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			signer_free(&w->signer);
			break;
		}
		p->workers++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

struct seal_pool *seal_pool_new(struct cloud *c, int threads, seal_done_fn done)
{
	struct seal_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->c = c;
	p->done = done;
	p->pipe_fd[0] = p->pipe_fd[1] = -1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	if (threads > 0 && open_pipe(p) == 0)
		start_workers(p, threads);
	if (threads > 0 && p->workers == 0)
		log_info("seal: task envelopes are signed on the event loop");
	return p;
}

void seal_pool_free(struct seal_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; i < p->workers; i++) {
		pthread_join(p->worker[i].thread, NULL);
		signer_free(&p->worker[i].signer);
	}
	queue_free(&p->todo);
	queue_free(&p->finished);
	if (p->wakeup)
		event_free(p->wakeup);
	for (int i = 0; i < 2; i++)
		if (p->pipe_fd[i] >= 0)
			close(p->pipe_fd[i]);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

size_t seal_pool_workers(const struct seal_pool *p)
{
	return p ? p->workers : 0;
}

uint64_t seal_pool_submit(struct seal_pool *p, const char *device_id, struct buf *payload)
{
	struct seal_job *j = p && p->workers && strlen(device_id) < DB_ID_LEN
				     ? calloc(1, sizeof(*j))
				     : NULL;
	if (!j)
		return 0;
	strcpy(j->device_id, device_id);
	j->payload = *payload;
	buf_init(payload, payload->max);
	buf_init(&j->env, ENVELOPE_MAX_BYTES * 2);
	j->ticket = ++p->last_ticket;
	pthread_mutex_lock(&p->mu);
	queue_push(&p->todo, j);
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	return j->ticket;
}
