/* proc: what /proc says about the process under test (RSS, CPU time, open files).
 * Read between phases of the fleet benchmark; Linux only, as the benchmark is. */
#ifndef FLEET_PROC_H
#define FLEET_PROC_H

#include <stddef.h>
#include <sys/types.h>

struct proc_sample {
	long rss_kb;    /* VmRSS */
	long hwm_kb;    /* VmHWM: peak RSS */
	double cpu_s;   /* user + system time */
	long open_fds;
};

/* 0, or -1 when the process is gone or /proc cannot be read. */
int proc_read(pid_t pid, struct proc_sample *out);
/* The same summed over n processes (several balancer processes, say). */
int proc_read_all(const pid_t *pids, size_t n, struct proc_sample *out);

#endif
