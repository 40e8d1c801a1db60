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

/* Asks systemready.cgi; fills out (bootid) and *ready ("systemready" is "yes"). */
static int systemready(struct axis *ax, char *out, size_t outsz, int *ready, char *reason,
		       size_t reasonsz)
{
	struct buf reply;
	struct json_doc doc = { 0 };
	char state[16] = "";
	int data, rc = -1;

	out[0] = '\0';
	*ready = 0;
	buf_init(&reply, AXIS_REPLY_MAX);
	if (axis_post_json(ax, "/axis-cgi/systemready.cgi",
			   "{\"apiVersion\":\"1.1\",\"context\":\"camagent\",\"method\":\"systemready\","
			   "\"params\":{\"timeout\":10}}",
			   &reply, reason, reasonsz) != 0 ||
	    axis_json_reply("systemready.cgi", &reply, &doc, 32, sr_codes, &data, reason,
			    reasonsz) != 0)
		goto out;
	(void)axis_json_field(&doc, data, "systemready", state, sizeof(state));
	*ready = strcmp(state, "yes") == 0;
	if (!*ready)
		axis_fail(reason, reasonsz, "systemready.cgi: the camera is not ready yet "
			  "(systemready \"%s\")", state[0] ? state : "?");
	if (axis_json_field(&doc, data, "bootid", out, outsz) != 0 && *ready) {
		axis_fail(reason, reasonsz, "systemready.cgi: no usable bootid");
		goto done;
	}
	rc = 0;
done:
	json_free(&doc);
out:
	buf_free(&reply);
	return rc;
}

int axis_boot_id(struct axis *ax, char *out, size_t outsz, char *reason, size_t reasonsz)
{
	int ready;

	return systemready(ax, out, outsz, &ready, reason, reasonsz) != 0 || !ready ? -1 : 0;
}

int axis_wait_ready(struct axis *ax, char *reason, size_t reasonsz)
{
	char boot_id[AXIS_BOOT_ID_MAX], why[PLATFORM_REASON_MAX];
	int ready;

	if (systemready(ax, boot_id, sizeof(boot_id), &ready, why, sizeof(why)) != 0) {
		log_warn("axis: %s; going on without it", why);
		return 0; /* the calls that follow tell whether the camera answers */
	}
	if (!ready)
		return axis_fail(reason, reasonsz, "%s", why);
	return 0;
}
