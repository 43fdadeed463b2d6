/*
 * MetricTemplate query templating (gc_prometheus_render, §5.4): the input
 * is the template; the model is fixed, with two template variables. The
 * result, when there is one, goes through the query URL builder too.
 */
#include <string.h>

#include "fuzz.h"
#include "reconciler/checks/prometheus.h"
#include "util/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cJSON *vars;
	gc_prom_model m = { "podinfo", "test",  "podinfo", "podinfo",
			    "ingress", "route", "1m",      NULL };
	gc_error err = GC_ERROR_INIT;
	char *tmpl = gc_xstrndup((const char *)data, size), *out = NULL;
	char *url = NULL;

	if (!vars)
		vars = cJSON_Parse("{\"host\":\"a.example\",\"path\":\"/x\"}");
	m.variables = vars;
	if (gc_prometheus_render(&out, tmpl, &m, &err) == 0) {
		gc_error_clear(&err);
		if (gc_prometheus_query_url(&url, "http://prom:9090", out,
					    &err) == 0)
			FUZZ_CHECK(!strchr(url, '\n') && !strchr(url, ' '));
	} else {
		FUZZ_CHECK(!strchr(gc_error_msg(&err), '\n'));
	}
	free(url);
	free(out);
	free(tmpl);
	gc_error_release(&err);
	return 0;
}
