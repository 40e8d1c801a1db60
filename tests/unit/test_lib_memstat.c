/* Unit tests for lib/memstat: the peak is this program's own and follows what it touches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../lib/memstat.h"

#define TOUCH_MIB 32

static void test_peak_grows_by_what_the_process_touches(void **state)
{
	/* More than the peak so far, so the peak must move whatever ran before. */
	long before = memstat_peak_rss_kb();
	assert_true(before > 0);
	size_t len = ((size_t)before << 10) + ((size_t)TOUCH_MIB << 20);
	char *big = malloc(len);

	assert_non_null(big);
	memset(big, 1, len);
	long after = memstat_peak_rss_kb();
	assert_true(after >= before + (TOUCH_MIB - 1) * 1024);
	free(big);
	/* A peak: it stays when the memory is given back (within the kernel's counting
	 * slack of a few hundred kB), while the current size falls by TOUCH_MIB. */
	assert_true(memstat_peak_rss_kb() >= after - 1024);
}

/* The child re-executes this binary with --print-peak and prints its own peak. */
static long peak_of_a_child_started_after_touching(size_t mib)
{
	char *big = malloc(mib << 20), out[32] = "";
	int fds[2];

	assert_non_null(big);
	memset(big, 1, mib << 20);
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		execl("/proc/self/exe", "test_lib_memstat", "--print-peak", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	free(big);
	assert_true(n > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return strtol(out, NULL, 10);
}

static void test_peak_is_not_inherited_across_exec(void **state)
{
	/* getrusage() in the child would report at least the parent's 64 MiB. */
	if (getenv("CAMAGENT_QEMU_USER"))
		skip(); /* emulated: the child would be the emulator's exec, its memory qemu's */
	long child_kb = peak_of_a_child_started_after_touching(64);

	assert_true(child_kb > 0);
	assert_true(child_kb < 32 * 1024);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--print-peak")) {
		printf("%ld\n", memstat_peak_rss_kb());
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peak_is_not_inherited_across_exec),
		cmocka_unit_test(test_peak_grows_by_what_the_process_touches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
