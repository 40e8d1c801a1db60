/* jsonfile: bounded read + parse, atomic write of small JSON files (see jsonfile.h). */
#include "jsonfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"

static int join(char *out, size_t outsz, const char *dir, const char *name)
{
	int n = snprintf(out, outsz, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

int json_file_read(struct json_file *f, const char *dir, const char *name, size_t max,
		   int max_tokens, char *err, size_t errsz)
{
	memset(&f->doc, 0, sizeof(f->doc));
	buf_init(&f->text, max);
	if (join(f->path, sizeof(f->path), dir, name)) {
		snprintf(err, errsz, "%s: path too long", name);
		return -1;
	}
	if (fs_read_file(f->path, &f->text, max)) {
		if (errno == ENOENT)
			return JSON_FILE_MISSING;
		snprintf(err, errsz, "%s: %s", f->path, errno == EFBIG ? "file too large" : strerror(errno));
		return -1;
	}
	if (json_parse(&f->doc, buf_str(&f->text), f->text.len, max_tokens) ||
	    json_type_of(&f->doc, 0) != JSON_OBJECT) {
		snprintf(err, errsz, "%s: not a valid JSON object", f->path);
		return -1;
	}
	return 0;
}

void json_file_free(struct json_file *f)
{
	json_free(&f->doc);
	buf_free(&f->text);
}

int json_file_write(const char *dir, const char *name, struct json_writer *w, mode_t mode)
{
	char path[PATH_MAX];
	if (jw_finish(w) || join(path, sizeof(path), dir, name)) {
		errno = EINVAL;
		return -1;
	}
	return fs_write_atomic_keep_previous(path, w->out->data, w->out->len, mode);
}

struct shape_check {
	json_file_shape shape;
	void *out;
	int max_tokens;
	char why[256];
};

/* fs_read_generation's check: parses text and fills out through the shape. */
static int check_shape(const struct buf *text, void *arg)
{
	struct shape_check *c = arg;
	struct json_doc doc = { 0 };
	int rc = -1;

	if (json_parse(&doc, buf_str(text), text->len, c->max_tokens) ||
	    json_type_of(&doc, 0) != JSON_OBJECT)
		snprintf(c->why, sizeof(c->why), "not a valid JSON object");
	else
		rc = c->shape(&doc, c->out, c->why, sizeof(c->why));
	json_free(&doc);
	return rc;
}

/* The previous generation becomes the current one again (same bytes, same mode), so
 * the file is whole on disk and a later damage can fall back once more. */
static void restore_previous(const char *path, const struct buf *text)
{
	char prev[PATH_MAX];
	struct stat sb;
	if (fs_previous_path(path, prev, sizeof(prev)) || stat(prev, &sb) ||
	    fs_write_atomic(path, text->data, text->len, sb.st_mode & 0777))
		log_warn("%s: cannot restore it from %s.prev: %s", path, path, strerror(errno));
}

int json_file_load(const char *dir, const char *name, size_t max, int max_tokens,
		   json_file_shape shape, void *out, char *err, size_t errsz)
{
	struct shape_check c = { .shape = shape, .out = out, .max_tokens = max_tokens };
	char path[PATH_MAX];
	struct buf text;
	int current_ok, gen; /* current_ok: 1 good, 0 damaged, -1 missing */

	if (join(path, sizeof(path), dir, name)) {
		snprintf(err, errsz, "%s: path too long", name);
		return -1;
	}
	buf_init(&text, max);
	/* The current file alone first, to know why it was not used. */
	if (fs_read_file(path, &text, max) == 0) {
		current_ok = check_shape(&text, &c) == 0;
	} else {
		current_ok = errno == ENOENT ? -1 : 0;
		snprintf(c.why, sizeof(c.why), "%s", errno == EFBIG ? "file too large" : strerror(errno));
	}
	if (current_ok == 1) {
		buf_free(&text);
		return 0;
	}
	snprintf(err, errsz, "%s: %s", path, c.why);
	/* Set aside, it cannot become the previous generation at the next write; if
	 * that fails, the previous generation is still read below. */
	if (current_ok == 0 && fs_set_aside_damaged(path) == 0)
		log_warn("%s: kept as %s.damaged", path, name);
	gen = fs_read_generation(path, &text, max, check_shape, &c);
	if (gen == FS_GEN_PREVIOUS) {
		restore_previous(path, &text);
		buf_free(&text);
		return JSON_FILE_PREVIOUS;
	}
	buf_free(&text);
	if (current_ok == -1 && errno == ENOENT)
		return JSON_FILE_MISSING;
	if (current_ok == -1) /* only the previous generation was there, and it is damaged */
		snprintf(err, errsz, "%s.prev: %s", path, c.why);
	return -1;
}

int json_file_remove(const char *dir, const char *name)
{
	char path[PATH_MAX], prev[PATH_MAX];
	if (join(path, sizeof(path), dir, name) || fs_previous_path(path, prev, sizeof(prev))) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((unlink(prev) && errno != ENOENT) || (unlink(path) && errno != ENOENT))
		return -1;
	return fs_fsync_dir_of(path);
}
