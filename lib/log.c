/* log: one line per event, to stderr as
 * "2026-11-25T15:04:05Z camagent[pid] INFO: msg" (UTC) or to syslog.
 * Control characters in messages are replaced so one event stays one line. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048

static char log_ident[32] = "camagent";
static enum log_level log_current = LOGL_INFO;
static int log_to_syslog;

static const char *const level_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };
static const int level_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void log_init(const char *ident, enum log_level level, int use_syslog)
{
	if (ident && *ident)
		snprintf(log_ident, sizeof(log_ident), "%s", ident);
	log_set_level(level);
	log_to_syslog = use_syslog;
	if (use_syslog)
		openlog(log_ident, LOG_PID, LOG_DAEMON);
}

void log_set_level(enum log_level level)
{
	if ((int)level >= LOGL_ERROR && (int)level <= LOGL_DEBUG)
		log_current = level;
}

int log_level_parse(const char *name, enum log_level *out)
{
	for (int i = LOGL_ERROR; name && i <= LOGL_DEBUG; i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static void write_stderr(enum log_level level, const char *msg)
{
	char ts[32] = "1970-01-01T00:00:00Z";
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm))
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* One fprintf per line: stderr is unbuffered, so lines do not interleave. */
	fprintf(stderr, "%s %s[%ld] %s: %s\n", ts, log_ident, (long)getpid(),
		level_names[level], msg);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	va_list ap;

	if ((int)level < LOGL_ERROR || (int)level > LOGL_DEBUG || level > log_current)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sanitize(msg);
	if (log_to_syslog)
		syslog(level_prio[level], "%s", msg);
	else
		write_stderr(level, msg);
}
