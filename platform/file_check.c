/* file_check: see file_check.h. */
#include "file_check.h"

#include <stdio.h>
#include <stdlib.h>

struct file_check {
	struct image_reader *r;
	struct event *turn;
	unsigned char *chunk;
	file_check_done_fn done;
	void *arg;
};

/* One chunk; the next on the next loop turn, or the end. */
static void on_turn(evutil_socket_t fd, short what, void *arg)
{
	struct file_check *c = arg;
	char reason[PLATFORM_REASON_MAX] = "";
	const struct timeval now = { 0, 0 };
	ssize_t got = image_reader_read(c->r, c->chunk, FILE_CHECK_CHUNK, reason, sizeof(reason));
	int rc;

	(void)fd;
	(void)what;
	if (got > 0) {
		if (evtimer_add(c->turn, &now) == 0)
			return;
		snprintf(reason, sizeof(reason), "cannot arm a timer");
		got = -1;
	}
	rc = got == 0 && image_reader_rewind(c->r) != 0 ? -1 : (int)got;
	if (rc != 0 && !reason[0])
		snprintf(reason, sizeof(reason), "cannot read the file again from its start");
	c->done(c->arg, rc, rc ? reason : NULL); /* may free c: nothing after */
}

int file_check_start(struct event_base *base, struct image_reader *r, file_check_done_fn done,
		     void *arg, struct file_check **out, char *reason, size_t reasonsz)
{
	struct file_check *c = calloc(1, sizeof(*c));
	const struct timeval now = { 0, 0 };

	*out = NULL;
	if (!c || !(c->chunk = malloc(FILE_CHECK_CHUNK)) ||
	    !(c->turn = evtimer_new(base, on_turn, c)) || evtimer_add(c->turn, &now) != 0) {
		file_check_free(c);
		snprintf(reason, reasonsz, "out of memory to check a file");
		return -1;
	}
	c->r = r;
	c->done = done;
	c->arg = arg;
	*out = c;
	return 0;
}

void file_check_free(struct file_check *c)
{
	if (!c)
		return;
	if (c->turn)
		event_free(c->turn);
	free(c->chunk);
	free(c);
}
