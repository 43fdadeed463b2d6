/*
 * A canary's alert destinations and alert fields, read from the source
 * index the way Flagger's controller reads them from the cluster
 * (pkg/controller/events.go: alert(), alertMetadata()).
 */
#include "reconciler/release/alerts.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"

static char *dup_or(const char *s, const char *def)
{
	return gc_xstrdup(s && *s ? s : def);
}

void gc_alert_dest_release(gc_alert_dest *d)
{
	free(d->name);
	free(d->provider);
	/* they may be a Secret's: wiped, not just freed */
	gc_free_secret(d->url);
	gc_free_secret(d->token);
	free(d->proxy);
	free(d->username);
	free(d->channel);
	free(d->problem);
	memset(d, 0, sizeof(*d));
}

/* "info", "warn", "error" or "" (GC_ALERT_NONE); GC_EINVALID else. */
static int severity_parse(gc_alert_severity *out, const char *s)
{
	if (!s || !*s)
		*out = GC_ALERT_NONE;
	else if (!strcmp(s, "info"))
		*out = GC_ALERT_INFO;
	else if (!strcmp(s, "warn"))
		*out = GC_ALERT_WARN;
	else if (!strcmp(s, "error"))
		*out = GC_ALERT_ERROR;
	else
		return GC_EINVALID;
	return 0;
}

int gc_alerts_global(gc_alert_dest *out, const char *slack_url,
		     const char *slack_channel, const char *slack_user,
		     const char *msteams_url, const char *severity,
		     gc_error *err)
{
	bool teams = msteams_url && *msteams_url;
	const char *url = teams ? msteams_url : slack_url;
	gc_alert_dest d = { 0 };
	gc_error why = GC_ERROR_INIT;
	int error;

	if (!url || !*url)
		return GC_ENOTFOUND;
	if (severity_parse(&d.severity, severity ? severity : "info") < 0 ||
	    d.severity == GC_ALERT_NONE)
		return gc_error_set(
			err, GC_EINVALID,
			"--alert-severity must be info, warn or error");
	if (!teams && (!slack_channel || !*slack_channel))
		return gc_error_set(err, GC_EINVALID,
				    "--slack-url needs --slack-channel");
	if ((error = gc_notifier_check_address(url, &why)) < 0) {
		gc_error_set(err, error, "%s: %s",
			     teams ? "--msteams-url" : "--slack-url",
			     gc_error_msg(&why));
		gc_error_release(&why);
		return error;
	}
	d.type = teams ? GC_NOTIFIER_MSTEAMS : GC_NOTIFIER_SLACK;
	d.name = gc_xstrdup(teams ? "--msteams-url" : "--slack-url");
	d.url = gc_xstrdup(url);
	d.username = dup_or(slack_user, "flagger");
	d.channel = dup_or(slack_channel, "");
	*out = d;
	return 0;
}

bool gc_alerts_wants(gc_alert_severity alert, gc_alert_severity sev)
{
	if (alert == GC_ALERT_NONE || sev == GC_ALERT_NONE)
		return false;
	return alert == GC_ALERT_INFO || alert == sev ||
	       (alert == GC_ALERT_WARN && sev == GC_ALERT_ERROR);
}

static int located(gc_error *err, gc_code code, const gc_object *o,
		   const cJSON *node, bool at_key, const char *fmt, ...)
	GC_PRINTF(6, 7);
static int located(gc_error *err, gc_code code, const gc_object *o,
		   const cJSON *node, bool at_key, const char *fmt, ...)
{
	gc_loc loc = { 0 };
	va_list ap;

	if (node)
		loc = at_key ? gc_doc_key_loc(o->doc, node)
			     : gc_doc_loc(o->doc, node);
	va_start(ap, fmt);
	gc_error_vset_at(err, code, o->doc->path, loc.line, loc.column, fmt,
			 ap);
	va_end(ap);
	return code;
}

/*
 * A Secret's value of key as the API server holds it: stringData wins
 * over base64 data. GC_ENOTFOUND when absent, GC_EINVALID when data's
 * value is not base64 (where_out: the node to blame).
 */
static int secret_value(char **out, const cJSON *secret, const char *key,
			const cJSON **where_out)
{
	const cJSON *sd = gc_json_get(secret, "stringData");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(sd, key);
	unsigned char *dec;
	size_t len, pad = 0;
	int n;

	*where_out = v;
	if (cJSON_IsString(v)) {
		*out = gc_xstrdup(v->valuestring);
		return 0;
	}
	v = cJSON_GetObjectItemCaseSensitive(gc_json_get(secret, "data"), key);
	*where_out = v;
	if (!cJSON_IsString(v))
		return v ? GC_EINVALID : GC_ENOTFOUND;
	len = strlen(v->valuestring);
	if (len % 4)
		return GC_EINVALID;
	while (pad < 2 && pad < len && v->valuestring[len - 1 - pad] == '=')
		pad++;
	dec = gc_xmalloc(len / 4 * 3 + 1);
	n = EVP_DecodeBlock(dec, (const unsigned char *)v->valuestring,
			    (int)len);
	if (n < 0 || (size_t)n < pad) {
		gc_wipe(dec, len / 4 * 3 + 1);
		free(dec);
		return GC_EINVALID;
	}
	n -= (int)pad;
	dec[n] = '\0';
	if (strlen((char *)dec) != (size_t)n) { /* a NUL inside */
		gc_wipe(dec, (size_t)n);
		free(dec);
		return GC_EINVALID;
	}
	*out = (char *)dec;
	return 0;
}

/* The Secret of spec.secretRef: address (required) and token. */
static int from_secret(gc_alert_dest *d, const gc_index *idx,
		       const gc_object *p, const cJSON *ref, gc_error *err)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(ref, "name");
	const gc_object *s;
	const cJSON *where;
	char *token = NULL;
	int error;

	if (!cJSON_IsString(name))
		return located(err, GC_EINVALID, p, ref, true, "%s",
			       "spec.secretRef.name: Required value");
	s = gc_index_find_tree(idx, "Secret", p->namespace, name->valuestring);
	if (!s || !s->doc->root)
		return located(
			err, GC_ENOTFOUND, p, name, false,
			"spec.secretRef: Secret %s/%s not found in the repository",
			p->namespace, name->valuestring);
	if (gc_json_get(s->doc->root, "sops"))
		return located(
			err, GC_EINVALID, s, gc_json_get(s->doc->root, "sops"),
			true,
			"Secret %s/%s is SOPS-encrypted: gitcanary cannot read its address (AlertProvider %s/%s)",
			s->namespace, s->name, p->namespace, p->name);
	error = secret_value(&d->url, s->doc->root, "address", &where);
	if (error == GC_ENOTFOUND)
		return located(
			err, GC_EINVALID, s, s->doc->root, false,
			"Secret %s/%s has no 'address' in data or stringData (AlertProvider %s/%s)",
			s->namespace, s->name, p->namespace, p->name);
	if (error < 0)
		return located(
			err, GC_EINVALID, s, where, false,
			"data.address: not a base64-encoded string (Secret %s/%s)",
			s->namespace, s->name);
	error = secret_value(&token, s->doc->root, "token", &where);
	if (error == GC_EINVALID) {
		gc_free_secret(d->url);
		d->url = NULL;
		return located(
			err, GC_EINVALID, s, where, false,
			"data.token: not a base64-encoded string (Secret %s/%s)",
			s->namespace, s->name);
	}
	d->token = token;
	d->secret = true;
	return 0;
}

int gc_alerts_resolve_provider(gc_alert_dest *out, const gc_index *idx,
			       const gc_object *provider, gc_error *err)
{
	const cJSON *spec = gc_json_get(provider->doc->root, "spec");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(spec, "type");
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(spec, "secretRef");
	const char *address = gc_json_str(spec, "address");
	const char *proxy = gc_json_str(spec, "proxy");
	gc_alert_dest d = { 0 };
	gc_buf url = GC_BUF_INIT;
	gc_error why = GC_ERROR_INIT;
	int error = 0;

	if (!cJSON_IsString(type) ||
	    gc_notifier_type_parse(&d.type, type->valuestring) < 0) {
		error = located(
			err, GC_EINVALID, provider, type ? type : spec, !type,
			"spec.type: provider %s not supported (slack, msteams, discord, rocket, gchat)",
			cJSON_IsString(type) ? type->valuestring : "(none)");
		goto cleanup;
	}
	if (cJSON_IsObject(ref)) {
		if ((error = from_secret(&d, idx, provider, ref, err)) < 0)
			goto cleanup;
		/* the factory hands the token to NewSlack only */
		if (d.type != GC_NOTIFIER_SLACK)
			GC_FREE_AND_NULL(d.token);
	} else {
		d.url = gc_xstrdup(address ? address : "");
	}
	if (gc_notifier_check_address(d.url, &why) < 0) {
		error = located(err, GC_EINVALID, provider,
				d.secret ? ref : gc_json_get(spec, "address"),
				d.secret, "%s: %s",
				d.secret ? "spec.secretRef" : "spec.address",
				gc_error_msg(&why));
		goto cleanup;
	}
	gc_notifier_url(&url, d.type, d.url);
	gc_free_secret(d.url);
	d.url = gc_buf_detach(&url, NULL);
	d.provider = gc_xasprintf("%s/%s", provider->namespace, provider->name);
	d.proxy = proxy && *proxy ? gc_xstrdup(proxy) : NULL;
	d.username = dup_or(gc_json_str(spec, "username"), "flagger");
	d.channel = dup_or(gc_json_str(spec, "channel"), "general");
	*out = d;
	memset(&d, 0, sizeof(d));
cleanup:
	gc_alert_dest_release(&d);
	gc_error_release(&why);
	return error;
}

/* The AlertProvider of alert for a canary of namespace ns (Flagger:
 * providerRef.namespace or the canary's); *ns_out: where it looked. */
static const gc_object *find_provider(const gc_index *idx, const char *ns,
				      const cJSON *alert, const char **ns_out)
{
	const char *name = gc_json_str(alert, "providerRef.name");
	const char *pns = gc_json_str(alert, "providerRef.namespace");

	if (pns && *pns)
		ns = pns;
	if (ns_out)
		*ns_out = ns;
	return name ? gc_index_find_tree(idx, "AlertProvider", ns, name) : NULL;
}

void gc_alerts_resolve(gc_alert_dest **out, size_t *n, const gc_index *idx,
		       const gc_canary_spec *spec)
{
	const cJSON *alerts = gc_json_get(spec->root, "spec.analysis.alerts");
	const cJSON *a;
	gc_alert_dest *v;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (!cJSON_IsArray(alerts) || !cJSON_GetArraySize(alerts))
		return;
	v = gc_xcalloc((size_t)cJSON_GetArraySize(alerts), sizeof(*v));
	cJSON_ArrayForEach (a, alerts) {
		gc_alert_dest *d = &v[k++];
		gc_error err = GC_ERROR_INIT;
		const gc_object *p;
		const char *pns, *name = gc_json_str(a, "name");
		gc_alert_severity sev = GC_ALERT_NONE;

		p = find_provider(idx, spec->namespace, a, &pns);
		if (!p)
			d->problem = gc_xasprintf(
				"alert provider %s/%s not found", pns,
				gc_json_str(a, "providerRef.name")
					? gc_json_str(a, "providerRef.name")
					: "");
		else if (gc_alerts_resolve_provider(d, idx, p, &err) < 0)
			d->problem = gc_error_format(&err);
		gc_error_release(&err);
		d->name = gc_xstrdup(name ? name : "");
		if (!d->provider && p)
			d->provider =
				gc_xasprintf("%s/%s", p->namespace, p->name);
		(void)severity_parse(&sev, gc_json_str(a, "severity"));
		d->severity = sev;
	}
	*out = v;
	*n = k;
}

static void add_field(gc_alert_fields *f, const char *name, char *value)
{
	f->v[f->n].name = name;
	f->v[f->n].value = value;
	f->owned[f->n++] = value;
}

/* Go's fmt.Sprint of []int joined by commas: "1,2,10,80". */
static char *join_ints(const cJSON *arr)
{
	gc_buf b = GC_BUF_INIT;
	const cJSON *e;

	cJSON_ArrayForEach (e, arr)
		gc_buf_addf(&b, "%s%d", b.len ? "," : "",
			    (int)cJSON_GetNumberValue(e));
	return gc_buf_detach(&b, NULL);
}

void gc_alerts_metadata(gc_alert_fields *out, const gc_canary_spec *spec)
{
	const cJSON *an = gc_json_get(spec->root, "spec.analysis");
	const cJSON *pds =
		gc_json_get(spec->root, "spec.progressDeadlineSeconds");
	const cJSON *steps = gc_json_get(an, "stepWeights");
	int step = (int)gc_json_num(an, "stepWeight", 0);
	int max = (int)gc_json_num(an, "maxWeight", 0);
	char *joined;

	memset(out, 0, sizeof(*out));
	add_field(out, "Target",
		  gc_xasprintf("%s/%s.%s", spec->target_kind, spec->target,
			       spec->namespace));
	add_field(out, "Failed checks threshold",
		  gc_xasprintf("%d", spec->threshold));
	add_field(out, "Progress deadline",
		  gc_xasprintf("%llds", cJSON_IsNumber(pds)
						? (long long)pds->valuedouble
						: 600LL));
	if (spec->strategy == GC_STRATEGY_AB) {
		add_field(out, "Traffic routing", gc_xstrdup("A/B Testing"));
	} else if (spec->strategy == GC_STRATEGY_BLUE_GREEN) {
		add_field(out, "Traffic routing", gc_xstrdup("Blue/Green"));
	} else if (step > 0) {
		add_field(out, "Traffic routing",
			  gc_xasprintf("Weight step: %d max: %d", step, max));
	} else if (cJSON_IsArray(steps) && cJSON_GetArraySize(steps) > 0) {
		joined = join_ints(steps);
		add_field(out, "Traffic routing",
			  gc_xasprintf("Weight steps: %s max: %d", joined,
				       max));
		free(joined);
	}
}

void gc_alert_fields_release(gc_alert_fields *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->owned[i]);
	memset(f, 0, sizeof(*f));
}
