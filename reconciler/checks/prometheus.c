#include "reconciler/checks/prometheus.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <strings.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/json.h"
#include "util/log.h"
#include "util/text.h"
#include "util/url.h"

#define CRED_MAX (64u << 10)

/* Flagger's pkg/metrics/observers/istio.go templates, byte for byte. */
static const char istio_success_rate[] =
	"\n"
	"\tsum(\n"
	"\t\trate(\n"
	"\t\t\tistio_requests_total{\n"
	"\t\t\t\treporter=\"destination\",\n"
	"\t\t\t\tdestination_workload_namespace=\"{{ namespace }}\",\n"
	"\t\t\t\tdestination_workload=~\"{{ target }}\",\n"
	"\t\t\t\tresponse_code!~\"5.*\"\n"
	"\t\t\t}[{{ interval }}]\n"
	"\t\t)\n"
	"\t) \n"
	"\t/ \n"
	"\tsum(\n"
	"\t\trate(\n"
	"\t\t\tistio_requests_total{\n"
	"\t\t\t\treporter=\"destination\",\n"
	"\t\t\t\tdestination_workload_namespace=\"{{ namespace }}\",\n"
	"\t\t\t\tdestination_workload=~\"{{ target }}\"\n"
	"\t\t\t}[{{ interval }}]\n"
	"\t\t)\n"
	"\t) \n"
	"\t* 100";

static const char istio_duration[] =
	"\n"
	"\thistogram_quantile(\n"
	"\t\t0.99,\n"
	"\t\tsum(\n"
	"\t\t\trate(\n"
	"\t\t\t\tistio_request_duration_milliseconds_bucket{\n"
	"\t\t\t\t\treporter=\"destination\",\n"
	"\t\t\t\t\tdestination_workload_namespace=\"{{ namespace }}\",\n"
	"\t\t\t\t\tdestination_workload=~\"{{ target }}\"\n"
	"\t\t\t\t}[{{ interval }}]\n"
	"\t\t\t)\n"
	"\t\t) by (le)\n"
	"\t)";

/* The raw (multi-line) builtin Istio template for a metric name, or NULL. */
static const char *builtin_query(const char *metric_name)
{
	if (!metric_name)
		return NULL;
	if (!strcmp(metric_name, "request-success-rate"))
		return istio_success_rate;
	if (!strcmp(metric_name, "request-duration"))
		return istio_duration;
	return NULL;
}

/* ---- Go formatting ------------------------------------------------- */

void gc_prometheus_format_float(gc_buf *out, double v)
{
	char e[48];
	int nd, exp;
	const char *ep;

	if (isnan(v)) {
		gc_buf_adds(out, "NaN");
		return;
	}
	if (isinf(v)) {
		gc_buf_adds(out, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == 0) {
		gc_buf_adds(out, signbit(v) ? "-0" : "0");
		return;
	}
	/* shortest digits that round-trip, as strconv's 'g' with -1 */
	for (nd = 1; nd < 17; nd++) {
		snprintf(e, sizeof(e), "%.*e", nd - 1, v);
		if (strtod(e, NULL) == v)
			break;
	}
	snprintf(e, sizeof(e), "%.*e", nd - 1, v);
	ep = strchr(e, 'e');
	exp = atoi(ep + 1);
	if (exp < -4 || exp >= 6) {
		gc_buf_adds(out, e);
		return;
	}
	gc_buf_addf(out, "%.*f", nd - 1 - exp > 0 ? nd - 1 - exp : 0, v);
}

void gc_prometheus_format_duration_ms(gc_buf *out, long long ms)
{
	unsigned long long u, s, frac;

	if (ms == 0) {
		gc_buf_adds(out, "0s");
		return;
	}
	if (ms < 0)
		gc_buf_addch(out, '-');
	u = ms < 0 ? (unsigned long long)-ms : (unsigned long long)ms;
	if (u < 1000) {
		gc_buf_addf(out, "%llums", u);
		return;
	}
	s = u / 1000;
	frac = u % 1000;
	if (s >= 3600)
		gc_buf_addf(out, "%lluh", s / 3600);
	if (s >= 60)
		gc_buf_addf(out, "%llum", (s / 60) % 60);
	gc_buf_addf(out, "%llu", s % 60);
	if (frac) {
		char f[8];
		size_t n;

		snprintf(f, sizeof(f), "%03llu", frac);
		n = strlen(f);
		while (n && f[n - 1] == '0')
			f[--n] = '\0';
		gc_buf_addf(out, ".%s", f);
	}
	gc_buf_addch(out, 's');
}

static bool go_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

char *gc_prometheus_collapse(const char *q)
{
	size_t n = strlen(q), o = 0;
	char *out = gc_xmalloc(n + 1);

	for (size_t i = 0; i < n;) {
		if (go_space(q[i])) {
			out[o++] = ' ';
			while (i < n && go_space(q[i]))
				i++;
			continue;
		}
		out[o++] = q[i++];
	}
	out[o] = '\0';
	return out;
}

/* ---- rendering ----------------------------------------------------- */

static const char *model_value(const gc_prom_model *m, const char *id, size_t n,
			       gc_error *err)
{
	const struct {
		const char *id;
		const char *v;
	} t[] = {
		{ "name", m->name },
		{ "namespace", m->namespace },
		{ "target", m->target },
		{ "service", m->service },
		{ "ingress", m->ingress ? m->ingress : m->target },
		{ "route", m->route ? m->route : m->target },
		{ "interval", m->interval },
	};

	if (n > 10 && !strncmp(id, "variables.", 10)) {
		const cJSON *it = NULL;
		char *key = gc_xstrndup(id + 10, n - 10);

		if (cJSON_IsObject(m->variables))
			it = cJSON_GetObjectItemCaseSensitive(m->variables,
							      key);
		if (!cJSON_IsString(it)) {
			gc_error_set(err, GC_EINVALID,
				     "map has no entry for key \"%s\"", key);
			free(key);
			return NULL;
		}
		free(key);
		return it->valuestring;
	}
	for (size_t i = 0; i < GC_ARRAY_SIZE(t); i++)
		if (strlen(t[i].id) == n && !strncmp(t[i].id, id, n))
			return t[i].v ? t[i].v : "";
	gc_error_set(err, GC_EINVALID, "function \"%.*s\" not defined", (int)n,
		     id);
	return NULL;
}

int gc_prometheus_render(char **out, const char *tmpl, const gc_prom_model *m,
			 gc_error *err)
{
	gc_buf buf = GC_BUF_INIT;
	const char *p = tmpl;

	while (*p) {
		const char *open = strstr(p, "{{");
		const char *close, *a, *b, *v;

		if (!open) {
			gc_buf_adds(&buf, p);
			break;
		}
		gc_buf_add(&buf, p, (size_t)(open - p));
		close = strstr(open + 2, "}}");
		if (!close) {
			gc_buf_release(&buf);
			return gc_error_set(err, GC_EINVALID,
					    "unclosed action");
		}
		a = open + 2;
		b = close;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (a == b) {
			gc_buf_release(&buf);
			return gc_error_set(err, GC_EINVALID,
					    "missing value for command");
		}
		if (!(v = model_value(m, a, (size_t)(b - a), err))) {
			gc_buf_release(&buf);
			return GC_EINVALID;
		}
		gc_buf_adds(&buf, v);
		p = close + 2;
	}
	*out = gc_buf_detach(&buf, NULL);
	return 0;
}

/* ---- URL ----------------------------------------------------------- */

static void query_escape(gc_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), o;
	char *p;

	gc_buf_grow(out, 3 * n);
	p = out->ptr + out->len;
	o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || c == '-' || c == '_' || c == '.' ||
		    c == '~') {
			p[o++] = (char)c;
		} else if (c == ' ') {
			p[o++] = '+';
		} else {
			p[o++] = '%';
			p[o++] = hex[c >> 4];
			p[o++] = hex[c & 15];
		}
	}
	out->len += o;
	out->ptr[out->len] = '\0';
}

int gc_prometheus_query_url(char **out, const char *address, const char *query,
			    gc_error *err)
{
	const char *sep = address ? strstr(address, "://") : NULL;
	const char *host, *path, *end;
	size_t plen;
	gc_buf url = GC_BUF_INIT;

	if (!sep ||
	    !((sep - address == 4 && !strncasecmp(address, "http", 4)) ||
	      (sep - address == 5 && !strncasecmp(address, "https", 5))))
		goto invalid;
	host = sep + 3;
	path = host + strcspn(host, "/?#");
	if (path == host)
		goto invalid;
	end = path + strcspn(path, "?#");
	plen = (size_t)(end - path);
	while (plen && path[plen - 1] == '/')
		plen--;
	gc_buf_add(&url, address, (size_t)(path - address));
	gc_buf_add(&url, path, plen);
	gc_buf_adds(&url, "/api/v1/query?query=");
	query_escape(&url, query);
	*out = gc_buf_detach(&url, NULL);
	return 0;
invalid:
	gc_buf_adds(&url, "prometheus address ");
	if (address)
		gc_url_redact(&url, address);
	gc_buf_adds(&url, " is not a valid URL");
	gc_error_set(err, GC_EINVALID, "%s", url.ptr);
	gc_buf_release(&url);
	return GC_EINVALID;
}

/* ---- response ------------------------------------------------------ */

/* The server's words as data (util/text.h); the evidence has them all. */
static void excerpt(gc_buf *out, const char *body, size_t len)
{
	while (len && isspace((unsigned char)body[len - 1]))
		len--;
	gc_text_escape(out, body, len, GC_TEXT_SNIPPET, GC_TEXT_QUOTE);
}

static int parse_sample(double *v, const char *s, gc_error *err)
{
	char *end;

	if (!*s || isspace((unsigned char)*s))
		goto bad;
	*v = strtod(s, &end);
	if (*end)
		goto bad;
	return 0;
bad:
	return gc_error_set(
		err, GC_ERROR,
		"strconv.ParseFloat: parsing \"%s\": invalid syntax", s);
}

int gc_prometheus_parse(double *value, long status, const char *body,
			size_t len, gc_error *err)
{
	cJSON *root = NULL;
	const cJSON *result, *el;
	const char *type;
	gc_buf ex = GC_BUF_INIT;
	double v = (double)NAN;
	bool any = false;
	int error = 0;

	if (status >= 400) {
		excerpt(&ex, body, len);
		error = gc_error_set(err, GC_ERROR,
				     "error response: Status %ld %s: %s",
				     status, gc_http_reason(status), ex.ptr);
		goto cleanup;
	}
	root = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(root)) {
		excerpt(&ex, body, len);
		error = gc_error_set(
			err, GC_ERROR,
			"error unmarshaling result: malformed JSON, %s",
			ex.ptr);
		goto cleanup;
	}
	type = gc_json_str(root, "data.resultType");
	result = gc_json_get(root, "data.result");
	if (type && !strcmp(type, "matrix")) {
		error = gc_error_set(err, GC_ERROR,
				     "query returned multiple values");
		goto cleanup;
	}
	if (!cJSON_IsArray(result) || (type && strcmp(type, "vector"))) {
		error = gc_error_set(
			err, GC_ERROR,
			"error unmarshaling result: unsupported result type %s (wrap scalars with vector())",
			type ? type : "(none)");
		goto cleanup;
	}
	cJSON_ArrayForEach (el, result) {
		const cJSON *pair =
			cJSON_GetObjectItemCaseSensitive(el, "value");
		const cJSON *s = cJSON_GetArrayItem(pair, 1);

		if (cJSON_GetObjectItemCaseSensitive(el, "values")) {
			error = gc_error_set(err, GC_ERROR,
					     "query returned multiple values");
			goto cleanup;
		}
		if (!cJSON_IsArray(pair) || !cJSON_IsString(s)) {
			error = gc_error_set(
				err, GC_ERROR,
				"error unmarshaling result: malformed sample");
			goto cleanup;
		}
		if ((error = parse_sample(&v, s->valuestring, err)) < 0)
			goto cleanup;
		any = true;
	}
	if (!any || isnan(v)) {
		error = gc_error_set(err, GC_ENOTFOUND, "no values found");
		goto cleanup;
	}
	if (isinf(v)) {
		error = gc_error_set(err, GC_ERROR, "query returned %s",
				     v > 0 ? "+Inf" : "-Inf");
		goto cleanup;
	}
	*value = v;
cleanup:
	cJSON_Delete(root);
	gc_buf_release(&ex);
	return error;
}

/* ---- queries ------------------------------------------------------- */

void gc_prom_query_release(gc_prom_query *q)
{
	if (!q)
		return;
	free(q->metric);
	free(q->query);
	free(q->server);
	free(q->url);
	for (size_t i = 0; q->headers && q->headers[i]; i++)
		free(q->headers[i]);
	free(q->headers);
	free(q->username);
	free(q->password);
	free(q->fail_message);
	memset(q, 0, sizeof(*q));
}

static bool safe_name(const char *s)
{
	if (!s || !*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) ||
		      isdigit((unsigned char)*s) || *s == '-' || *s == '.'))
			return false;
	return true;
}

static int read_cred(char **out, const char *dir, const char *file,
		     gc_error *err)
{
	gc_buf path = GC_BUF_INIT, data = GC_BUF_INIT;
	int error;

	*out = NULL;
	gc_buf_addf(&path, "%s/%s", dir, file);
	if (access(path.ptr, F_OK) < 0) {
		gc_buf_release(&path);
		return 0;
	}
	if ((error = gc_buf_read_file(&data, path.ptr, CRED_MAX, err)) == 0) {
		while (data.len && (data.ptr[data.len - 1] == '\n' ||
				    data.ptr[data.len - 1] == '\r'))
			data.len--;
		data.ptr[data.len] = '\0';
		*out = gc_buf_detach(&data, NULL);
	}
	gc_buf_release(&path);
	gc_buf_release(&data);
	return error;
}

/*
 * Reads credentials for a MetricTemplate secretRef from
 * DIR/<namespace>/<name>/{token | username,password}. A trailing newline in
 * each file is dropped. GC_ENOTFOUND when the directory does not exist.
 */
static int read_credentials(char **token, char **username, char **password,
			    const char *dir, const char *ns, const char *name,
			    gc_error *err)
{
	gc_buf base = GC_BUF_INIT;
	int error = 0;

	*token = *username = *password = NULL;
	if (!dir || !safe_name(ns) || !safe_name(name) ||
	    (gc_buf_addf(&base, "%s/%s/%s", dir, ns, name),
	     access(base.ptr, F_OK) < 0)) {
		error = gc_error_set(err, GC_ENOTFOUND,
				     "secrets \"%s\" not found",
				     name ? name : "");
		goto cleanup;
	}
	if ((error = read_cred(token, base.ptr, "token", err)) < 0 ||
	    (error = read_cred(username, base.ptr, "username", err)) < 0 ||
	    (error = read_cred(password, base.ptr, "password", err)) < 0) {
		GC_FREE_AND_NULL(*token);
		GC_FREE_AND_NULL(*username);
		GC_FREE_AND_NULL(*password);
		gc_error_clear(err);
		error = gc_error_set(err, GC_ERROR,
				     "secrets \"%s\" cannot be read", name);
	}
cleanup:
	gc_buf_release(&base);
	return error;
}

static void set_fail(gc_prom_query *q, bool error_event, const char *fmt, ...)
	GC_PRINTF(3, 4);

static void set_fail(gc_prom_query *q, bool error_event, const char *fmt, ...)
{
	gc_buf b = GC_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	gc_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	free(q->fail_message);
	q->fail_message = gc_buf_detach(&b, NULL);
	q->fail_error = error_event;
}

static void thresholds(gc_prom_query *q, const cJSON *metric)
{
	const cJSON *tr = gc_json_get(metric, "thresholdRange");
	const cJSON *min = gc_json_get(tr, "min");
	const cJSON *max = gc_json_get(tr, "max");
	const cJSON *thr = gc_json_get(metric, "threshold");

	if (cJSON_IsObject(tr)) {
		q->has_min = cJSON_IsNumber(min);
		q->has_max = cJSON_IsNumber(max);
		q->min = q->has_min ? min->valuedouble : 0;
		q->max = q->has_max ? max->valuedouble : 0;
		return;
	}
	q->has_threshold = true;
	q->threshold = cJSON_IsNumber(thr) ? thr->valuedouble : 0;
}

static void set_server(gc_prom_query *q, const char *server)
{
	gc_buf b = GC_BUF_INIT;

	gc_url_redact(&b, server ? server : "");
	q->server = gc_buf_detach(&b, NULL);
}

/* The §5.4 model of a canary's metric, with the interval to use. */
static gc_prom_model metric_model(const gc_check_ctx *ctx, const cJSON *metric,
				  const char *interval)
{
	gc_prom_model m = {
		ctx->name,   ctx->namespace,
		ctx->target, ctx->service,
		NULL,        NULL,
		interval,    gc_json_get(metric, "templateVariables")
	};

	return m;
}

static void prepare_plain(gc_prom_query *q, gc_prom_kind kind, const char *tmpl,
			  const cJSON *metric, const gc_check_ctx *ctx,
			  const char *server)
{
	const char *name = gc_json_str(metric, "name");
	const char *interval = gc_json_str(metric, "interval");
	gc_prom_model m = metric_model(ctx, metric,
				       interval && *interval ? interval : "1m");
	gc_error err = GC_ERROR_INIT;
	char *rendered = NULL;

	q->kind = kind;
	q->metric = gc_xstrdup(name ? name : "");
	set_server(q, server);
	thresholds(q, metric);
	if (gc_prometheus_render(&rendered, tmpl, &m, &err) < 0 ||
	    (q->query = gc_prometheus_collapse(rendered),
	     gc_prometheus_query_url(&q->url, server, q->query, &err) < 0)) {
		if (kind == GC_PROM_INLINE)
			set_fail(q, true, "Prometheus query failed for %s: %s",
				 q->metric, gc_error_msg(&err));
		else
			set_fail(
				q, true,
				"Prometheus query failed: running query failed: %s",
				gc_error_msg(&err));
	}
	free(rendered);
	gc_error_release(&err);
}

static char **template_headers(const cJSON *provider)
{
	const cJSON *h = gc_json_get(provider, "headers"), *it, *v;
	size_t n = 0, i = 0;
	char **out;

	cJSON_ArrayForEach (it, h) {
		if (cJSON_IsArray(it))
			n += (size_t)cJSON_GetArraySize(it);
		else if (cJSON_IsString(it))
			n++;
	}
	out = gc_xcalloc(n + 1, sizeof(*out));
	cJSON_ArrayForEach (it, h) {
		if (cJSON_IsString(it)) {
			out[i++] = gc_xasprintf("%s: %s", it->string,
						it->valuestring);
			continue;
		}
		cJSON_ArrayForEach (v, it) {
			if (cJSON_IsString(v) && i < n)
				out[i++] = gc_xasprintf("%s: %s", it->string,
							v->valuestring);
		}
	}
	return out;
}

static const char *const known_providers[] = {
	"influxdb", "datadog",  "externalmetrics", "stackdriver", "cloudwatch",
	"newrelic", "graphite", "dynatrace",       "keptn",       "splunk",
};

static void add_header(gc_prom_query *q, char *h)
{
	size_t n = 0;

	while (q->headers && q->headers[n])
		n++;
	q->headers = gc_xrealloc(q->headers, (n + 2) * sizeof(*q->headers));
	q->headers[n] = h;
	q->headers[n + 1] = NULL;
}

static void template_auth(gc_prom_query *q, const cJSON *provider,
			  const char *tpl, const char *tns,
			  const gc_prom_opts *opts)
{
	const char *secret = gc_json_str(provider, "secretRef.name");
	char *token = NULL, *user = NULL, *pass = NULL;
	gc_error err = GC_ERROR_INIT;

	if (!secret || !*secret)
		return;
	if (read_credentials(&token, &user, &pass,
			     opts ? opts->credentials_dir : NULL, tns, secret,
			     &err) < 0) {
		set_fail(q, true, "Metric template %s.%s secret %s error: %s",
			 tpl, tns, secret, gc_error_msg(&err));
		goto cleanup;
	}
	if (token) {
		add_header(q, gc_xasprintf("Authorization: Bearer %s", token));
	} else if (!user) {
		set_fail(
			q, true,
			"Metric template %s.%s provider prometheus error: prometheus credentials does not contain a username",
			tpl, tns);
	} else if (!pass) {
		set_fail(
			q, true,
			"Metric template %s.%s provider prometheus error: prometheus credentials does not contain a password",
			tpl, tns);
	} else {
		q->username = user;
		q->password = pass;
		user = pass = NULL;
	}
cleanup:
	free(token);
	free(user);
	free(pass);
	gc_error_release(&err);
}

static void prepare_template(gc_prom_query *q, const cJSON *metric,
			     const gc_check_ctx *ctx, const gc_prom_opts *opts)
{
	const char *name = gc_json_str(metric, "name");
	const char *tpl = gc_json_str(metric, "templateRef.name");
	const char *tns = gc_json_str(metric, "templateRef.namespace");
	const cJSON *t = NULL, *provider;
	const char *type, *address, *qt;
	gc_prom_model m =
		metric_model(ctx, metric, gc_json_str(metric, "interval"));
	gc_error err = GC_ERROR_INIT;
	char *rendered = NULL;

	tpl = tpl ? tpl : "";
	tns = tns && *tns ? tns : ctx->namespace;
	q->kind = GC_PROM_TEMPLATE;
	q->metric = gc_xstrdup(name ? name : "");
	thresholds(q, metric);
	if (ctx->template_lookup)
		t = ctx->template_lookup(tns, tpl, ctx->template_payload);
	if (!t) {
		set_fail(
			q, true,
			"Metric template %s.%s error: metrictemplates.flagger.app \"%s\" not found",
			tpl, tns, tpl);
		goto cleanup;
	}
	provider = gc_json_get(t, "spec.provider");
	type = gc_json_str(provider, "type");
	address = gc_json_str(provider, "address");
	q->insecure = gc_json_bool(provider, "insecureSkipVerify", false);
	for (size_t i = 0; type && i < GC_ARRAY_SIZE(known_providers); i++)
		if (!strcmp(type, known_providers[i])) {
			set_fail(
				q, true,
				"Metric template %s.%s provider %s error: provider %s is not supported by gitcanary",
				tpl, tns, type, type);
			goto cleanup;
		}
	if (type && *type && strcmp(type, "prometheus"))
		gc_warn("metric template %s.%s: unknown provider type '%s', using prometheus",
			tpl, tns, type);
	set_server(q, address);
	q->headers = template_headers(provider);
	template_auth(q, provider, tpl, tns, opts);
	if (q->fail_message)
		goto cleanup;
	qt = gc_json_str(t, "spec.query");
	if (gc_prometheus_render(&rendered, qt ? qt : "", &m, &err) < 0) {
		set_fail(q, true,
			 "Metric template %s.%s query render error: %s", tpl,
			 tns, gc_error_msg(&err));
		goto cleanup;
	}
	q->query = gc_prometheus_collapse(rendered);
	if (gc_prometheus_query_url(&q->url, address, q->query, &err) < 0)
		set_fail(q, true,
			 "Metric template %s.%s provider prometheus error: %s",
			 tpl, tns, gc_error_msg(&err));
cleanup:
	free(rendered);
	gc_error_release(&err);
}

void gc_prometheus_prepare(gc_prom_query **out, size_t *n_out,
			   const cJSON *metric, const gc_check_ctx *ctx,
			   const gc_prom_opts *opts)
{
	const char *name = gc_json_str(metric, "name");
	const char *query = gc_json_str(metric, "query");
	const char *builtin = builtin_query(name);
	const cJSON *tref = gc_json_get(metric, "templateRef");
	const char *server = ctx->metrics_server;
	gc_prom_query *v = gc_xcalloc(3, sizeof(*v));
	size_t n = 0;

	if (!server || !*server)
		server = opts && opts->metrics_server
				 ? opts->metrics_server
				 : GC_PROMETHEUS_DEFAULT_SERVER;
	if (builtin)
		prepare_plain(&v[n++],
			      !strcmp(name, "request-duration")
				      ? GC_PROM_DURATION
				      : GC_PROM_SUCCESS_RATE,
			      builtin, metric, ctx, server);
	if (query && *query)
		prepare_plain(&v[n++], GC_PROM_INLINE, query, metric, ctx,
			      server);
	if (cJSON_IsObject(tref))
		prepare_template(&v[n++], metric, ctx, opts);
	if (!n) {
		v[n].kind = GC_PROM_INLINE;
		v[n].metric = gc_xstrdup(name ? name : "");
		set_fail(
			&v[n++], true,
			"Metric query failed for no usable metrics template and query were configured");
	}
	*out = v;
	*n_out = n;
}

/* ---- judging ------------------------------------------------------- */

static char *fmt_float(double v)
{
	gc_buf b = GC_BUF_INIT;

	gc_prometheus_format_float(&b, v);
	return gc_buf_detach(&b, NULL);
}

static char *fmt_dur(long long ms)
{
	gc_buf b = GC_BUF_INIT;

	gc_prometheus_format_duration_ms(&b, ms);
	return gc_buf_detach(&b, NULL);
}

static char *judge_duration(const gc_prom_query *q, double value,
			    const gc_check_ctx *ctx)
{
	long long v = (long long)value, bound;
	const char *op;
	char *a, *b, *msg;

	if (q->has_min && v < (long long)q->min) {
		bound = (long long)q->min;
		op = "<";
	} else if (q->has_max && v > (long long)q->max) {
		bound = (long long)q->max;
		op = ">";
	} else if (q->has_threshold && v > (long long)q->threshold) {
		bound = (long long)q->threshold;
		op = ">";
	} else {
		return NULL;
	}
	a = fmt_dur(v);
	b = fmt_dur(bound);
	msg = gc_xasprintf("Halt %s.%s advancement request duration %s %s %s",
			   ctx->name, ctx->namespace, a, op, b);
	free(a);
	free(b);
	return msg;
}

static char *judge_value(const gc_prom_query *q, double v,
			 const gc_check_ctx *ctx)
{
	double bound;
	const char *op;
	char *b, *msg;

	if (q->has_min && v < q->min) {
		bound = q->min;
		op = "<";
	} else if (q->has_max && v > q->max) {
		bound = q->max;
		op = ">";
	} else if (q->has_threshold && q->kind == GC_PROM_SUCCESS_RATE &&
		   q->threshold > v) {
		bound = q->threshold;
		op = "<";
	} else if (q->has_threshold && q->kind != GC_PROM_SUCCESS_RATE &&
		   v > q->threshold) {
		bound = q->threshold;
		op = ">";
	} else {
		return NULL;
	}
	b = fmt_float(bound);
	if (q->kind == GC_PROM_SUCCESS_RATE)
		msg = gc_xasprintf(
			"Halt %s.%s advancement success rate %.2f%% %s %s%%",
			ctx->name, ctx->namespace, v, op, b);
	else
		msg = gc_xasprintf("Halt %s.%s advancement %s %.2f %s %s",
				   ctx->name, ctx->namespace, q->metric, v, op,
				   b);
	free(b);
	return msg;
}

static char *judge_error(bool *error_event, const gc_prom_query *q,
			 bool no_values, const char *e, const gc_check_ctx *ctx)
{
	*error_event = !no_values;
	switch (q->kind) {
	case GC_PROM_SUCCESS_RATE:
		if (no_values)
			return gc_xasprintf(
				"Halt advancement no values found for istio metric request-success-rate probably %s.%s is not receiving traffic: running query failed: %s",
				ctx->target, ctx->namespace, e);
		return gc_xasprintf(
			"Prometheus query failed: running query failed: %s", e);
	case GC_PROM_DURATION:
		if (no_values)
			return gc_xasprintf(
				"Halt advancement no values found for istio metric request-duration probably %s.%s is not receiving traffic",
				ctx->target, ctx->namespace);
		return gc_xasprintf(
			"Prometheus query failed: running query failed: %s", e);
	case GC_PROM_INLINE:
		if (no_values)
			return gc_xasprintf(
				"Halt advancement no values found for metric: %s",
				q->metric);
		return gc_xasprintf("Prometheus query failed for %s: %s",
				    q->metric, e);
	case GC_PROM_TEMPLATE:
		if (no_values)
			return gc_xasprintf(
				"Halt advancement no values found for custom metric: %s: %s",
				q->metric, e);
		return gc_xasprintf("Metric query failed for %s: %s", q->metric,
				    e);
	}
	GC_BUG("unknown metric kind");
}

bool gc_prometheus_judge(char **message, bool *error_event,
			 const gc_prom_query *q, int rc, double value,
			 const char *errmsg, const gc_check_ctx *ctx)
{
	*message = NULL;
	*error_event = false;
	if (q->fail_message) {
		*message = gc_xstrdup(q->fail_message);
		*error_event = q->fail_error;
		return false;
	}
	if (rc < 0) {
		*message = judge_error(error_event, q, rc == GC_ENOTFOUND,
				       errmsg ? errmsg : "", ctx);
		return false;
	}
	if (q->kind == GC_PROM_DURATION)
		*message = judge_duration(q, value, ctx);
	else
		*message = judge_value(q, value, ctx);
	return *message == NULL;
}

bool gc_prometheus_evaluate(char **message, bool *error_event, double *value,
			    bool *have_value, const gc_prom_query *q,
			    const gc_http_request *req, const gc_check_ctx *ctx)
{
	gc_error err = GC_ERROR_INIT;
	gc_buf b = GC_BUF_INIT;
	int rc = 0;
	bool ok;

	*have_value = false;
	if (q->fail_message) {
		rc = GC_ERROR;
	} else if (req->result != GC_HTTP_OK) {
		gc_buf_adds(&b, "Get \"");
		gc_url_redact(&b, q->url);
		gc_buf_addf(&b, "\": %s", req->error);
		rc = gc_error_set(&err, GC_ERROR, "%s", b.ptr);
	} else {
		rc = gc_prometheus_parse(value, req->status, req->response.ptr,
					 req->response.len, &err);
		*have_value = rc == 0;
	}
	ok = gc_prometheus_judge(message, error_event, q, rc,
				 *have_value ? *value : 0, gc_error_msg(&err),
				 ctx);
	gc_error_release(&err);
	gc_buf_release(&b);
	return ok;
}
