#include "reconciler/release/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/json.h"

static const char *const phase_names[] = {
	"",          "Initializing", "Initialized",
	"Waiting",   "Progressing",  "WaitingPromotion",
	"Promoting", "Finalising",   "Succeeded",
	"Failed",    "Terminating",  "Terminated",
};

const char *gc_phase_name(gc_phase p)
{
	GC_ASSERT((size_t)p < GC_ARRAY_SIZE(phase_names));
	return phase_names[p];
}

/* GC_EINVALID for an unknown name. */
static int phase_parse(gc_phase *out, const char *name)
{
	for (size_t i = 0; i < GC_ARRAY_SIZE(phase_names); i++) {
		if (!strcmp(name, phase_names[i])) {
			*out = (gc_phase)i;
			return 0;
		}
	}
	return GC_EINVALID;
}

const char *gc_cond_status_name(gc_cond_status s)
{
	return s == GC_COND_TRUE    ? "True"
	       : s == GC_COND_FALSE ? "False"
				    : "Unknown";
}

void gc_status_init(gc_status *s)
{
	memset(s, 0, sizeof(*s));
}

void gc_status_release(gc_status *s)
{
	if (!s)
		return;
	cJSON_Delete(s->tracked_configs);
	free(s->session_affinity_cookie);
	free(s->primary_session_affinity_cookie);
	free(s->previous_session_affinity_cookie);
	gc_status_init(s);
}

static char *dup_or_null(const char *s)
{
	return s ? gc_xstrdup(s) : NULL;
}

void gc_status_copy(gc_status *dst, const gc_status *src)
{
	*dst = *src;
	dst->tracked_configs = gc_json_dup(src->tracked_configs);
	dst->session_affinity_cookie =
		dup_or_null(src->session_affinity_cookie);
	dst->primary_session_affinity_cookie =
		dup_or_null(src->primary_session_affinity_cookie);
	dst->previous_session_affinity_cookie =
		dup_or_null(src->previous_session_affinity_cookie);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void gc_time_format(char out[GC_TIME_MAX], int64_t t)
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t secs = t - days * 86400;
	int64_t z = days + 719468, era, doe, yoe, y, doy, mp;
	int d, m;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (int)(doy - (153 * mp + 2) / 5 + 1);
	m = (int)(mp < 10 ? mp + 3 : mp - 9);
	y += m <= 2;
	snprintf(out, GC_TIME_MAX, "%04lld-%02d-%02dT%02d:%02d:%02dZ",
		 (long long)y, m, d, (int)(secs / 3600), (int)(secs / 60 % 60),
		 (int)(secs % 60));
}

static bool digits(const char *s, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*out = *out * 10 + (s[i] - '0');
	}
	return true;
}

int gc_time_parse(int64_t *out, const char *s)
{
	int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
	const char *p;

	if (!s || strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' ||
	    !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &se))
		return GC_EINVALID;
	p = s + 19;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if ((*p == 'Z' || *p == 'z') && !p[1]) {
		sign = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 &&
		   digits(p + 1, 2, &oh) && p[3] == ':' &&
		   digits(p + 4, 2, &om)) {
		sign = *p == '+' ? 1 : -1;
	} else {
		return GC_EINVALID;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return GC_EINVALID;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
	       sign * (oh * 3600 + om * 60);
	return 0;
}

/* §2.4, "Deployment" being targetRef.kind. */
static void condition_for(gc_cond_status *st, char *msg, size_t len,
			  gc_phase phase, const char *kind)
{
	*st = GC_COND_UNKNOWN;
	switch (phase) {
	case GC_PHASE_INITIALIZED:
		*st = GC_COND_TRUE;
		snprintf(msg, len, "%s initialization completed.", kind);
		return;
	case GC_PHASE_WAITING:
	case GC_PHASE_WAITING_PROMOTION:
		snprintf(msg, len, "Waiting for approval.");
		return;
	case GC_PHASE_PROGRESSING:
		snprintf(msg, len,
			 "New revision detected, progressing canary analysis.");
		return;
	case GC_PHASE_PROMOTING:
		snprintf(
			msg, len,
			"Canary analysis completed, starting primary rolling update.");
		return;
	case GC_PHASE_FINALISING:
		snprintf(
			msg, len,
			"Canary analysis completed, routing all traffic to primary.");
		return;
	case GC_PHASE_SUCCEEDED:
		*st = GC_COND_TRUE;
		snprintf(
			msg, len,
			"Canary analysis completed successfully, promotion finished.");
		return;
	case GC_PHASE_FAILED:
		*st = GC_COND_FALSE;
		snprintf(msg, len, "Canary analysis failed, %s scaled to zero.",
			 kind);
		return;
	default:
		snprintf(msg, len, "New %s detected, starting initialization.",
			 kind);
		return;
	}
}

void gc_status_update_condition(gc_status *s, const char *kind, int64_t now)
{
	gc_condition *c = &s->condition;
	const char *reason = gc_phase_name(s->phase);
	gc_cond_status st;
	char msg[sizeof(c->message)];

	condition_for(&st, msg, sizeof(msg), s->phase,
		      kind ? kind : "Deployment");
	if (c->present && c->status == st && !strcmp(c->reason, reason))
		return;
	if (c->present && c->status == st) {
		c->last_update_time = now;
	} else {
		c->last_update_time = now;
		c->last_transition_time = now;
	}
	c->present = true;
	c->status = st;
	snprintf(c->reason, sizeof(c->reason), "%s", reason);
	snprintf(c->message, sizeof(c->message), "%s", msg);
}

static void add_time(cJSON *obj, const char *key, int64_t t)
{
	char buf[GC_TIME_MAX];

	if (!t)
		return;
	gc_time_format(buf, t);
	gc_json_add_str(obj, key, buf);
}

cJSON *gc_status_to_json(const gc_status *s)
{
	cJSON *o = cJSON_CreateObject(), *conds, *c, *gc;

	GC_ASSERT(o);
	gc_json_add_str(o, "phase", gc_phase_name(s->phase));
	gc_json_add_num(o, "canaryWeight", s->canary_weight);
	gc_json_add_num(o, "failedChecks", s->failed_checks);
	gc_json_add_num(o, "iterations", s->iterations);
	if (s->tracked_configs)
		cJSON_AddItemToObject(o, "trackedConfigs",
				      gc_json_dup(s->tracked_configs));
	if (*s->last_applied_spec)
		gc_json_add_str(o, "lastAppliedSpec", s->last_applied_spec);
	if (*s->last_promoted_spec)
		gc_json_add_str(o, "lastPromotedSpec", s->last_promoted_spec);
	add_time(o, "lastTransitionTime", s->last_transition_time);
	if (s->condition.present) {
		conds = cJSON_AddArrayToObject(o, "conditions");
		c = cJSON_CreateObject();
		GC_ASSERT(conds && c);
		cJSON_AddItemToArray(conds, c);
		gc_json_add_str(c, "type", "Promoted");
		gc_json_add_str(c, "status",
				gc_cond_status_name(s->condition.status));
		add_time(c, "lastUpdateTime", s->condition.last_update_time);
		add_time(c, "lastTransitionTime",
			 s->condition.last_transition_time);
		gc_json_add_str(c, "reason", s->condition.reason);
		gc_json_add_str(c, "message", s->condition.message);
	}
	if (s->session_affinity_cookie)
		gc_json_add_str(o, "sessionAffinityCookie",
				s->session_affinity_cookie);
	if (s->primary_session_affinity_cookie)
		gc_json_add_str(o, "primarySessionAffinityCookie",
				s->primary_session_affinity_cookie);
	if (s->previous_session_affinity_cookie)
		gc_json_add_str(o, "previousSessionAffinityCookie",
				s->previous_session_affinity_cookie);
	if (s->last_tick || s->waiting_since) {
		gc = gc_json_obj(o, "gitcanary");
		add_time(gc, "lastTickTime", s->last_tick);
		add_time(gc, "waitingSince", s->waiting_since);
	}
	return o;
}

static int read_int(int *out, const cJSON *o, const char *key, gc_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = 0;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsNumber(v))
		return gc_error_set(err, GC_EINVALID,
				    "status.%s: must be a number", key);
	*out = (int)v->valuedouble;
	return 0;
}

static int read_str(const char **out, const cJSON *o, const char *key,
		    const char *what, gc_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return gc_error_set(err, GC_EINVALID, "%s.%s: must be a string",
				    what, key);
	*out = v->valuestring;
	return 0;
}

static int read_time(int64_t *out, const cJSON *o, const char *key,
		     const char *what, gc_error *err)
{
	const char *v;
	int error;

	*out = 0;
	if ((error = read_str(&v, o, key, what, err)) < 0 || !v)
		return error;
	if (gc_time_parse(out, v) < 0)
		return gc_error_set(err, GC_EINVALID,
				    "%s.%s: not an RFC 3339 time '%s'", what,
				    key, v);
	return 0;
}

static int read_spec(char out[GC_STATUS_SPEC_MAX], const cJSON *o,
		     const char *key, gc_error *err)
{
	const char *v;
	int error;

	if ((error = read_str(&v, o, key, "status", err)) < 0 || !v)
		return error;
	if (strlen(v) >= GC_STATUS_SPEC_MAX)
		return gc_error_set(err, GC_EINVALID, "status.%s: too long",
				    key);
	snprintf(out, GC_STATUS_SPEC_MAX, "%s", v);
	return 0;
}

static int read_condition(gc_condition *c, const cJSON *o, gc_error *err)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(o, "conditions"),
		    *it;
	const char *type, *st, *reason, *msg;
	int error;

	cJSON_ArrayForEach (it, list) {
		if ((error = read_str(&type, it, "type", "status.conditions[]",
				      err)) < 0)
			return error;
		if (!type || strcmp(type, "Promoted"))
			continue;
		if ((error = read_str(&st, it, "status", "status.conditions[]",
				      err)) < 0 ||
		    (error = read_str(&reason, it, "reason",
				      "status.conditions[]", err)) < 0 ||
		    (error = read_str(&msg, it, "message",
				      "status.conditions[]", err)) < 0 ||
		    (error = read_time(&c->last_update_time, it,
				       "lastUpdateTime", "status.conditions[]",
				       err)) < 0 ||
		    (error = read_time(&c->last_transition_time, it,
				       "lastTransitionTime",
				       "status.conditions[]", err)) < 0)
			return error;
		c->present = true;
		c->status = st && !strcmp(st, "True")    ? GC_COND_TRUE
			    : st && !strcmp(st, "False") ? GC_COND_FALSE
							 : GC_COND_UNKNOWN;
		snprintf(c->reason, sizeof(c->reason), "%s",
			 reason ? reason : "");
		snprintf(c->message, sizeof(c->message), "%s", msg ? msg : "");
	}
	return 0;
}

static int read_cookies(gc_status *s, const cJSON *o, gc_error *err)
{
	const char *a, *b, *c;
	int error;

	if ((error = read_str(&a, o, "sessionAffinityCookie", "status", err)) <
		    0 ||
	    (error = read_str(&b, o, "primarySessionAffinityCookie", "status",
			      err)) < 0 ||
	    (error = read_str(&c, o, "previousSessionAffinityCookie", "status",
			      err)) < 0)
		return error;
	s->session_affinity_cookie = dup_or_null(a);
	s->primary_session_affinity_cookie = dup_or_null(b);
	s->previous_session_affinity_cookie = dup_or_null(c);
	return 0;
}

int gc_status_from_json(gc_status *out, const cJSON *o, gc_error *err)
{
	gc_status s;
	const char *phase = NULL;
	const cJSON *gc, *tc;
	int error;

	gc_status_init(&s);
	if (!cJSON_IsObject(o)) {
		error = gc_error_set(err, GC_EINVALID,
				     "status: must be an object");
		goto cleanup;
	}
	if ((error = read_str(&phase, o, "phase", "status", err)) < 0)
		goto cleanup;
	if (phase && phase_parse(&s.phase, phase) < 0) {
		error = gc_error_set(err, GC_EINVALID,
				     "status.phase: unknown phase '%s'", phase);
		goto cleanup;
	}
	gc = cJSON_GetObjectItemCaseSensitive(o, "gitcanary");
	if ((error = read_int(&s.canary_weight, o, "canaryWeight", err)) < 0 ||
	    (error = read_int(&s.failed_checks, o, "failedChecks", err)) < 0 ||
	    (error = read_int(&s.iterations, o, "iterations", err)) < 0 ||
	    (error = read_spec(s.last_applied_spec, o, "lastAppliedSpec",
			       err)) < 0 ||
	    (error = read_spec(s.last_promoted_spec, o, "lastPromotedSpec",
			       err)) < 0 ||
	    (error = read_time(&s.last_transition_time, o, "lastTransitionTime",
			       "status", err)) < 0 ||
	    (error = read_condition(&s.condition, o, err)) < 0 ||
	    (error = read_cookies(&s, o, err)) < 0 ||
	    (error = read_time(&s.last_tick, gc, "lastTickTime",
			       "status.gitcanary", err)) < 0 ||
	    (error = read_time(&s.waiting_since, gc, "waitingSince",
			       "status.gitcanary", err)) < 0)
		goto cleanup;
	tc = cJSON_GetObjectItemCaseSensitive(o, "trackedConfigs");
	if (tc && !cJSON_IsNull(tc))
		s.tracked_configs = gc_json_dup(tc);
	*out = s;
	return 0;
cleanup:
	gc_status_release(&s);
	return error;
}
