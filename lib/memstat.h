/* memstat: this process's own peak memory, as the kernel counts it for this program.
 * getrusage()'s ru_maxrss is not it: it survives exec, so it carries the peak of
 * whatever started us. VmHWM in /proc/self/status is reset by exec. */
#ifndef CAM_MEMSTAT_H
#define CAM_MEMSTAT_H

/* Peak resident set size (VmHWM) in kB; -1 when /proc cannot tell. */
long memstat_peak_rss_kb(void);

#endif
