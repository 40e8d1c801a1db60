/* systemready: the camera's boot identity from systemready.cgi [SR] (the VAPIX
 * Systemready API, AXIS OS 9.50 and later, no authentication needed): "bootid" is a
 * string for the current boot, so a changed bootid means the camera rebooted. The
 * firmware code uses it to tell "the camera has not rebooted into the accepted image
 * yet" from "it rebooted and came back on the old one"; the agent waits at start while
 * "systemready" is not "yes". */
#include "axis.h"

#include <string.h>

#include "../../lib/json.h"
#include "../../lib/log.h"

static const struct axis_code sr_codes[] = {
	{ 1100, "internal error" },
	{ 2002, "only POST supported" },
	{ 2003, "API version not supported" },
	{ 2004, "method not supported" },
	{ 4000, "invalid JSON" },
	{ 0, NULL },
};

const char axis_systemready_body[] =
	"{\"apiVersion\":\"1.1\",\"context\":\"camagent\",\"method\":\"systemready\","
	"\"params\":{\"timeout\":10}}";

int axis_systemready_parse(const struct buf *reply, char *out, size_t outsz, int *ready,
			   char *reason, size_t reasonsz)
{
	struct json_doc doc = { 0 };
	char state[16] = "";
	int data, rc = -1;

	out[0] = '\0';
	*ready = 0;
	if (axis_json_reply("systemready.cgi", reply, &doc, 32, sr_codes, &data, reason,
			    reasonsz) != 0)
		return -1;
	(void)axis_json_field(&doc, data, "systemready", state, sizeof(state));
	*ready = strcmp(state, "yes") == 0;
	if (!*ready)
		axis_fail(reason, reasonsz, "systemready.cgi: the camera is not ready yet "
			  "(systemready \"%s\")", state[0] ? state : "?");
	if (axis_json_field(&doc, data, "bootid", out, outsz) != 0 && *ready)
		axis_fail(reason, reasonsz, "systemready.cgi: no usable bootid");
	else
		rc = 0;
	json_free(&doc);
	return rc;
}
