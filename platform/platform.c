/* platform: what all backends share. Each backend (sim/, axis/) provides its own
 * constructor and ops table; closing goes through the table. */
#include "platform.h"

#include <stddef.h>

void platform_close(struct platform *p)
{
	if (!p || !p->ops)
		return;
	if (p->ops->close)
		p->ops->close(p->priv);
	p->ops = NULL;
	p->priv = NULL;
}
