/* tmpfiles: a private scratch directory for targets whose parser reads a file. */
#ifndef FUZZ_TMPFILES_H
#define FUZZ_TMPFILES_H

#include <stddef.h>
#include <stdint.h>

/* The directory, made once per process (aborts when it cannot be made). */
const char *fuzz_tmpdir(void);
/* Writes data to <fuzz_tmpdir()>/name, replacing it; returns the path (aborts on failure). */
const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size);

/* An empty directory <fuzz_tmpdir()>/name, emptied again at each call (aborts on failure). */
const char *fuzz_fresh_dir(const char *name);

#endif
