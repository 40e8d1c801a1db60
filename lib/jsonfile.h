/* jsonfile: a small JSON file (state, settings), read and parsed in one bounded
 * step with errors that name the file, and written atomically. One copy for the
 * agent's state files and the platform backends' own files. */
#ifndef CAM_LIB_JSONFILE_H
#define CAM_LIB_JSONFILE_H

#include <limits.h>
#include <sys/types.h>
#include "buf.h"
#include "json.h"

struct json_file {
	char path[PATH_MAX];
	struct buf text;
	struct json_doc doc;
};

#define JSON_FILE_MISSING 1
/* Reads dir/name (at most max bytes, max_tokens tokens): 0 when loaded with an
 * object at token 0, JSON_FILE_MISSING when absent, -1 with err set when it cannot
 * be read or is not a JSON object. Always call json_file_free. */
int json_file_read(struct json_file *f, const char *dir, const char *name, size_t max,
		   int max_tokens, char *err, size_t errsz);
void json_file_free(struct json_file *f);
/* Writes what w built (jw_finish is called here) to dir/name atomically with mode;
 * 0, or -1 with errno set. */
int json_file_write(const char *dir, const char *name, struct json_writer *w, mode_t mode);

#endif
