/* jsonfile: a small JSON file (state, settings), read and parsed in one bounded
 * step with errors that name the file, and written atomically keeping the previous
 * generation as <name>.prev. One copy for the agent's state files and the platform
 * backends' own files. */
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

/* A file's shape: fills out from doc (an object at token 0); 0 when doc is a good
 * file, else -1 with err set (out may then hold anything; the loader clears it). */
typedef int (*json_file_shape)(const struct json_doc *doc, void *out, char *err, size_t errsz);
#define JSON_FILE_PREVIOUS 2
/* Loads dir/name through shape, falling back to its previous generation when the
 * current one is missing, unreadable, not JSON or of the wrong shape: 0 (current),
 * JSON_FILE_PREVIOUS (err says why the current one was not used), JSON_FILE_MISSING
 * (neither exists; out untouched), or -1 when nothing good is left (err says why).
 * A damaged current file is renamed to <name>.damaged, so the next write cannot
 * turn it into the previous generation; a previous generation used is written back
 * as the current one. */
int json_file_load(const char *dir, const char *name, size_t max, int max_tokens,
		   json_file_shape shape, void *out, char *err, size_t errsz);
/* Writes what w built (jw_finish is called here) to dir/name atomically with mode,
 * keeping what was there as <name>.prev; 0, or -1 with errno set. */
int json_file_write(const char *dir, const char *name, struct json_writer *w, mode_t mode);
/* Removes dir/name and its previous generation (the previous first, so no crash in
 * between can bring an older generation back); 0, or -1 with errno set. */
int json_file_remove(const char *dir, const char *name);

#endif
