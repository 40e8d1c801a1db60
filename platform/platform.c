/* platform: what all backends share. Each backend (sim/, axis/) provides its own
 * constructor and ops table; closing goes through the table; failures are told
 * the same way. */
#include "platform.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

void platform_close(struct platform *p)
{
	if (!p || !p->ops)
		return;
	if (p->ops->close)
		p->ops->close(p->priv);
	p->ops = NULL;
	p->priv = NULL;
}

int platform_fail(char *reason, size_t reasonsz, const char *fmt, ...)
{
	va_list ap;

	if (reason && reasonsz > 0) {
		va_start(ap, fmt);
		vsnprintf(reason, reasonsz, fmt, ap);
		va_end(ap);
	}
	return -1;
}
