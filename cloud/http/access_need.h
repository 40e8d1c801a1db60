/* access_need: what an action needs, lowest first (see access.h). Its own header so
 * the pure role rules (domain/roles.h) name it without the HTTP layer. */
#ifndef CLOUD_ACCESS_NEED_H
#define CLOUD_ACCESS_NEED_H

/* read (viewer), operate devices: upgrades, application control (operator), manage
 * the organization's devices, folders, tokens, users below owner, licenses (admin),
 * own it: roles of owners, archive (owner). */
enum access_need { NEED_READ, NEED_OPERATE, NEED_MANAGE, NEED_OWN };

#endif
