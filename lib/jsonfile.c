/* jsonfile: bounded read + parse, atomic write of small JSON files (see jsonfile.h). */
#include "jsonfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fsutil.h"

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
	return fs_write_atomic(path, w->out->data, w->out->len, mode);
}
