/* Unit tests for lib/fsutil: atomic replace (content, mode, no leftovers, old
 * content kept on failure), bounded reads, mkdir -p, free space. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../lib/fsutil.h"

static char tmpdir[] = "/tmp/test_lib_fsutil.XXXXXX";

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	chmod(p, 0700);
	return remove(p);
}

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	chmod(tmpdir, 0700);
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *path_in(const char *name)
{
	static char p[4][512];
	static int next;
	char *s = p[next++ % 4];

	snprintf(s, sizeof(p[0]), "%s/%s", tmpdir, name);
	return s;
}

static void write_plain(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void assert_content(const char *path, const char *want)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	assert_int_equal(fs_read_file(path, &b, 1 << 20), 0);
	assert_int_equal(b.len, strlen(want));
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
}

/* Number of entries in dir whose name contains ".tmp.". */
static int count_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".tmp."))
			n++;
	closedir(d);
	return n;
}

static void test_write_atomic_creates_and_replaces(void **state)
{
	const char *p = path_in("a.txt");
	struct stat st;
	mode_t old = umask(022);

	assert_int_equal(fs_write_atomic(p, "first", 5, 0640), 0);
	assert_content(p, "first");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(fs_write_atomic(p, "second, longer", 14, 0666), 0);
	assert_content(p, "second, longer");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0666); /* exact, whatever the umask */
	assert_int_equal(fs_write_atomic(p, "", 0, 0600), 0);
	assert_content(p, "");
	assert_int_equal(count_temps(tmpdir), 0);
	umask(old);
}

static void test_write_atomic_temp_blocked(void **state)
{
	const char *p = path_in("blocked.txt");
	char tmp[600];

	write_plain(p, "old content");
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", p, (long)getpid());
	assert_int_equal(mkdir(tmp, 0700), 0);
	errno = 0;
	assert_int_equal(fs_write_atomic(p, "new", 3, 0600), -1);
	assert_int_equal(errno, EISDIR);
	assert_content(p, "old content");
	assert_int_equal(rmdir(tmp), 0);
}

static void test_write_atomic_rename_fails(void **state)
{
	const char *d = path_in("target_dir");

	assert_int_equal(mkdir(d, 0700), 0);
	write_plain(path_in("target_dir/inner"), "x");
	errno = 0;
	assert_int_equal(fs_write_atomic(d, "new", 3, 0600), -1);
	assert_true(errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST);
	assert_int_equal(count_temps(tmpdir), 0); /* temp removed */
	assert_content(path_in("target_dir/inner"), "x");
}

static void test_write_atomic_write_fails(void **state)
{
	const char *p = path_in("big.txt");
	static char data[65536];
	struct rlimit old, small = { 4096, 4096 };
	void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);

	write_plain(p, "old content");
	memset(data, 'z', sizeof(data));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small.rlim_max = old.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	errno = 0;
	int rc = fs_write_atomic(p, data, sizeof(data), 0600);
	int err = errno;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, prev);
	assert_int_equal(rc, -1);
	assert_int_equal(err, EFBIG); /* errno preserved through the cleanup */
	assert_content(p, "old content");
	assert_int_equal(count_temps(tmpdir), 0);
}

static void test_write_atomic_unwritable_dir(void **state)
{
	const char *d = path_in("ro");
	const char *p = path_in("ro/f");

	assert_int_equal(mkdir(d, 0700), 0);
	write_plain(p, "old");
	assert_int_equal(chmod(d, 0500), 0);
	int rc = fs_write_atomic(p, "new", 3, 0600);
	int err = errno;
	assert_int_equal(chmod(d, 0700), 0);
	if (geteuid() == 0) {
		/* root ignores directory permissions; at least the write must be whole. */
		assert_int_equal(rc, 0);
		assert_content(p, "new");
	} else {
		assert_int_equal(rc, -1);
		assert_int_equal(err, EACCES);
		assert_content(p, "old");
	}
	assert_int_equal(count_temps(d), 0);
}

static void test_write_atomic_missing_dir(void **state)
{
	errno = 0;
	assert_int_equal(fs_write_atomic(path_in("nope/f"), "x", 1, 0600), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_read_file(void **state)
{
	const char *p = path_in("r.txt");
	struct buf b;

	write_plain(p, "0123456789");
	buf_init(&b, 100);
	assert_int_equal(buf_append_str(&b, "pre:"), 0);
	assert_int_equal(fs_read_file(p, &b, 10), 0); /* exactly max is fine */
	assert_string_equal(buf_str(&b), "pre:0123456789");
	errno = 0;
	assert_int_equal(fs_read_file(p, &b, 9), -1);
	assert_int_equal(errno, EFBIG);
	assert_string_equal(buf_str(&b), "pre:0123456789"); /* unchanged on failure */
	errno = 0;
	assert_int_equal(fs_read_file(path_in("missing"), &b, 100), -1);
	assert_int_equal(errno, ENOENT);
	buf_free(&b);

	/* The buffer's own cap also applies. */
	buf_init(&b, 5);
	assert_int_equal(fs_read_file(p, &b, 100), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);

	write_plain(p, "");
	buf_init(&b, 5);
	assert_int_equal(fs_read_file(p, &b, 0), 0);
	assert_string_equal(buf_str(&b), "");
	buf_free(&b);
}

static void test_read_large_file(void **state)
{
	const char *p = path_in("large.bin");
	size_t n = 200000;
	char *data = malloc(n);
	struct buf b;

	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 31 + 7);
	assert_int_equal(fs_write_atomic(p, data, n, 0600), 0);
	buf_init(&b, n);
	assert_int_equal(fs_read_file(p, &b, n), 0);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.data, data, n);
	buf_reset(&b);
	assert_int_equal(fs_read_file(p, &b, n - 1), -1);
	buf_free(&b);
	free(data);
}

static void test_mkdirs(void **state)
{
	struct stat st;

	assert_int_equal(fs_mkdirs(path_in("m/a/b/c"), 0755), 0);
	assert_int_equal(stat(path_in("m/a/b/c"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(fs_mkdirs(path_in("m/a/b/c"), 0755), 0);  /* exists: fine */
	assert_int_equal(fs_mkdirs(path_in("m//x/y/"), 0755), 0);  /* slashes */
	assert_int_equal(stat(path_in("m/x/y"), &st), 0);
	write_plain(path_in("m/file"), "x");
	errno = 0;
	assert_int_equal(fs_mkdirs(path_in("m/file/sub"), 0755), -1);
	assert_int_equal(errno, ENOTDIR);
	errno = 0;
	assert_int_equal(fs_mkdirs(path_in("m/file"), 0755), -1);
	assert_int_equal(errno, ENOTDIR);
	errno = 0;
	assert_int_equal(fs_mkdirs("", 0755), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(fs_mkdirs("/", 0755), 0);
}

static void test_free_bytes_and_exists(void **state)
{
	uint64_t n = 0;

	assert_int_equal(fs_free_bytes(tmpdir, &n), 0);
	assert_true(n > 0);
	assert_int_equal(fs_free_bytes(path_in("missing"), &n), -1);
	assert_true(fs_exists(tmpdir));
	write_plain(path_in("e"), "");
	assert_true(fs_exists(path_in("e")));
	assert_false(fs_exists(path_in("missing")));
}

static void test_fsync_dir_of(void **state)
{
	assert_int_equal(fs_fsync_dir_of(path_in("whatever")), 0);
	assert_int_equal(fs_fsync_dir_of("relative-name"), 0);
	assert_int_equal(fs_fsync_dir_of("/etc"), 0);
	assert_int_equal(fs_fsync_dir_of(path_in("missing/x")), -1);
}

static int starts_with_brace(const struct buf *text, void *arg)
{
	(void)arg;
	return text->len > 0 && text->data[0] == '{' ? 0 : -1;
}

static void test_keep_previous_generation(void **state)
{
	const char *p = path_in("gen.json"), *prev = path_in("gen.json.prev");
	struct stat st;

	assert_int_equal(fs_write_atomic_keep_previous(p, "{1}", 3, 0600), 0);
	assert_content(p, "{1}");
	assert_int_equal(fs_exists(prev), 0); /* the first write has no previous generation */
	assert_int_equal(fs_write_atomic_keep_previous(p, "{2}", 3, 0600), 0);
	assert_int_equal(fs_write_atomic_keep_previous(p, "{3}", 3, 0600), 0);
	assert_content(p, "{3}");
	assert_content(prev, "{2}");
	assert_int_equal(stat(prev, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600); /* a secret's old copy stays private */
	assert_int_equal(fs_exists(path_in("gen.json.prev.prev")), 0);
}

static void test_read_generation_falls_back(void **state)
{
	const char *p = path_in("fall.json"), *prev = path_in("fall.json.prev");
	struct buf b;

	buf_init(&b, 1024);
	assert_int_equal(fs_write_atomic_keep_previous(p, "{old}", 5, 0600), 0);
	assert_int_equal(fs_write_atomic_keep_previous(p, "{new}", 5, 0600), 0);
	assert_int_equal(fs_read_generation(p, &b, 1024, starts_with_brace, NULL), FS_GEN_CURRENT);
	assert_string_equal(b.data, "{new}");
	/* damaged (truncated to nothing, or garbage): the previous generation */
	assert_int_equal(truncate(p, 0), 0);
	assert_int_equal(fs_read_generation(p, &b, 1024, starts_with_brace, NULL), FS_GEN_PREVIOUS);
	assert_string_equal(b.data, "{old}");
	write_plain(p, "garbage");
	assert_int_equal(fs_read_generation(p, &b, 1024, starts_with_brace, NULL), FS_GEN_PREVIOUS);
	assert_string_equal(b.data, "{old}");
	/* missing: the previous generation too */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(fs_read_generation(p, &b, 1024, starts_with_brace, NULL), FS_GEN_PREVIOUS);
	/* both damaged: EBADMSG and nothing in the buffer */
	write_plain(p, "x");
	write_plain(prev, "y");
	assert_int_equal(fs_read_generation(p, &b, 1024, starts_with_brace, NULL), -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(b.len, 0);
	/* neither there: ENOENT */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(unlink(prev), 0);
	assert_int_equal(fs_read_generation(p, &b, 1024, starts_with_brace, NULL), -1);
	assert_int_equal(errno, ENOENT);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_atomic_creates_and_replaces),
		cmocka_unit_test(test_write_atomic_temp_blocked),
		cmocka_unit_test(test_write_atomic_rename_fails),
		cmocka_unit_test(test_write_atomic_write_fails),
		cmocka_unit_test(test_write_atomic_unwritable_dir),
		cmocka_unit_test(test_write_atomic_missing_dir),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_read_large_file),
		cmocka_unit_test(test_mkdirs),
		cmocka_unit_test(test_free_bytes_and_exists),
		cmocka_unit_test(test_fsync_dir_of),
		cmocka_unit_test(test_keep_previous_generation),
		cmocka_unit_test(test_read_generation_falls_back),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
