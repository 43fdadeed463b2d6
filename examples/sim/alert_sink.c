#include "sim.h"

#include <cjson/cJSON.h>

#include "util/json.h"
#include "util/log.h"

int gc_sim_alert_sink(const char *name, const char *body, size_t len,
		      int *status, gc_buf *resp)
{
	cJSON *p = cJSON_ParseWithLength(body, len);
	const cJSON *a = cJSON_GetArrayItem(gc_json_get(p, "attachments"), 0);
	const char *author = gc_json_str(a, "author_name");
	const char *text = gc_json_str(a, "text");

	if (!author || !text) {
		*status = 400;
		gc_buf_adds(resp, "invalid_payload");
	} else {
		*status = 200;
		gc_buf_adds(resp, "ok");
		gc_info("alert %s: %s [%s] %s", name, author,
			gc_json_str(a, "color") ? gc_json_str(a, "color") : "",
			text);
	}
	cJSON_Delete(p);
	return 0;
}
