/* devinfo: identity and the running AXIS OS version from basicdeviceinfo.cgi
 * getAllProperties [BDI]; apiVersion "1.3" as the Axis on-camera example sends
 * [EX-VAPIX vapix_example.c]. Errors come as HTTP 200 with an error object. */
#include "axis.h"

#include <string.h>

#include "../../lib/json.h"

static const struct axis_code bdi_codes[] = {
	{ 1000, "invalid parameter" },
	{ 2001, "access forbidden" },
	{ 2002, "only POST supported" },
	{ 2003, "API version not supported" },
	{ 2004, "method not supported" },
	{ 4000, "invalid JSON" },
	{ 4002, "required parameter missing or invalid" },
	{ 8000, "internal error" },
	{ 0, NULL },
};

int axis_json_field(const struct json_doc *doc, int obj, const char *key, char *out,
		    size_t outsz)
{
	if (json_get_string(doc, obj, key, out, outsz) != 0 || !out[0])
		return -1;
	for (const char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			out[0] = '\0';
			return -1;
		}
	return 0;
}

const char axis_identity_body[] =
	"{\"apiVersion\":\"1.3\",\"context\":\"camagent\",\"method\":\"getAllProperties\"}";

int axis_identity(void *priv, struct platform_identity *out, char *reason, size_t reasonsz)
{
	const struct axis *ax = priv;

	if (!ax->have_ident)
		return axis_fail(reason, reasonsz, "the camera has not told its identity yet");
	*out = ax->ident;
	return 0;
}

int axis_identity_parse(struct axis *ax, const struct buf *reply, char *reason,
			size_t reasonsz)
{
	static const struct {
		const char *key;
		size_t off;
	} props[] = {
		{ "SerialNumber", offsetof(struct platform_identity, serial) },
		{ "ProdNbr", offsetof(struct platform_identity, model) },
		{ "HardwareID", offsetof(struct platform_identity, hardware_id) },
		{ "Architecture", offsetof(struct platform_identity, arch) },
		{ "Version", offsetof(struct platform_identity, os_version) },
	};
	struct platform_identity id;
	struct json_doc doc = { 0 };
	int data, list, rc = -1;

	memset(&id, 0, sizeof(id));
	if (axis_json_reply("basicdeviceinfo.cgi getAllProperties", reply, &doc, 256, bdi_codes,
			    &data, reason, reasonsz) != 0)
		return -1;
	list = json_find(&doc, data, "propertyList");
	if (list < 0 || json_type_of(&doc, list) != JSON_OBJECT) {
		axis_fail(reason, reasonsz, "basicdeviceinfo.cgi: reply has no data.propertyList");
		goto done;
	}
	for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
		if (axis_json_field(&doc, list, props[i].key, (char *)&id + props[i].off,
			     PLATFORM_FIELD_MAX) != 0) {
			axis_fail(reason, reasonsz,
				  "basicdeviceinfo.cgi: property %s missing, empty or not printable "
				  "(at most %d characters)",
				  props[i].key, PLATFORM_FIELD_MAX - 1);
			goto done;
		}
	}
	ax->ident = id;
	ax->have_ident = 1;
	rc = 0;
done:
	json_free(&doc);
	return rc;
}
