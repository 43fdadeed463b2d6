/*
 * render of a Canary: the input is a YAML stream; its first Canary and
 * first Deployment (and first HorizontalPodAutoscaler) are rendered at the
 * stage the Canary's annotation "fuzz/stage" names (default
 * initialization), with no ConfigMaps or Secrets, as render_one does.
 */
#include <string.h>

#include "fuzz.h"
#include "render/render.h"
#include "repo-layout/doc.h"
#include "repo-layout/yaml.h"
#include "util/json.h"

static const cJSON *first(const gc_doclist *docs, const char *kind)
{
	for (size_t i = 0; i < docs->n; i++) {
		const char *k = gc_json_str(docs->v[i]->root, "kind");

		if (k && !strcmp(k, kind))
			return docs->v[i]->root;
	}
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;
	gc_render_input in = { 0 };
	cJSON *out = NULL;
	const char *stage;

	if (gc_yaml_parse(&docs, "in.yaml", (const char *)data, size, &err) < 0)
		goto done;
	in.canary = first(&docs, "Canary");
	in.target = first(&docs, "Deployment");
	in.hpa = first(&docs, "HorizontalPodAutoscaler");
	if (!in.canary || !in.target)
		goto done;
	in.namespace = "fuzz";
	stage = gc_json_str(in.canary, "metadata.annotations.fuzz/stage");
	if (gc_stage_parse(&in.stage, stage, in.canary, &err) < 0)
		goto done;
	if (gc_render_canary(&out, &in, &err) == 0)
		FUZZ_CHECK(cJSON_IsArray(out));
	else
		FUZZ_CHECK(!strchr(gc_error_msg(&err), '\n'));
done:
	cJSON_Delete(out);
	gc_doclist_release(&docs);
	gc_error_release(&err);
	return 0;
}
