/*
 * The /metrics registry: Flagger's series per canary, gitcanary's own
 * counters, and their text exposition (Prometheus format 0.0.4).
 *
 * Two locks: `reg_lock` guards the canaries, `own_lock` the process's own
 * series. A scrape copies the own series out under their lock and holds
 * the canaries' lock while it writes them, so an idle tick, which records
 * only its own series, never waits for a scrape of many canaries.
 *
 * Label values are escaped once, when a canary's target, namespace or
 * metric is first recorded (valid UTF-8, then the format's escapes of
 * backslash, double quote and newline); a scrape only copies them.
 */

#include "reconciler/service/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc_version.h"
#include "reconciler/service/process_metrics.h"
#include "util/alloc.h"
#include "util/map.h"
#include "util/text.h"

/* Flagger's buckets (prometheus.DefBuckets) for canary_duration_seconds. */
static const double dur_bounds[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
				     0.5,   1,    2.5,   5,    10 };
static const char *const dur_le[] = { "0.005", "0.01", "0.025", "0.05",
				      "0.1",   "0.25", "0.5",   "1",
				      "2.5",   "5",    "10" };
#define NDUR GC_ARRAY_SIZE(dur_bounds)

/* A tick: 0.01 ms idle, seconds to minutes for a full pass. */
static const double tick_bounds[] = { 0.0005, 0.001, 0.005, 0.01, 0.05,
				      0.1,    0.5,   1,     5,    10,
				      30,     60,    300 };
static const char *const tick_le[] = { "0.0005", "0.001", "0.005", "0.01",
				       "0.05",   "0.1",   "0.5",   "1",
				       "5",      "10",    "30",    "60",
				       "300" };
#define NTICK GC_ARRAY_SIZE(tick_bounds)

static const char *const tick_results[] = { "committed", "unchanged", "skipped",
					    "failed" };
/* Webhook types (flagger-behaviour.md §6.1) and the event hooks'. */
static const char *const hook_types[] = {
	"confirm-rollout",   "pre-rollout",
	"rollout",           "confirm-traffic-increase",
	"confirm-promotion", "post-rollout",
	"rollback",          "event"
};
#define NHOOK GC_ARRAY_SIZE(hook_types)
/* Flagger's deployment_strategy values, by gc_strategy. */
static const char *const strategies[] = { "canary", "blue-green",
					  "ab-testing" };

typedef struct ns_entry {
	char *label; /* escaped */
	size_t count;
} ns_entry;

typedef struct mcanary mcanary;

/*
 * A target name in a namespace: the "name" of Flagger's series. Two
 * canaries with one target would make the same series twice; only the
 * owner's are written.
 */
typedef struct target_key {
	const char *key; /* "<ns>/<target>", the map's copy */
	char *label;     /* the target, escaped */
	mcanary *owner;
	size_t n; /* canaries with this target */
} target_key;

/* The text of a sample's value, made when it is recorded. */
#define VALUE_MAX 26

typedef struct analysis {
	const char *metric; /* escaped, interned in reg.metrics */
	char value[VALUE_MAX];
} analysis;

typedef struct histogram {
	uint64_t count;
	double sum;
	char sum_text[VALUE_MAX];
	uint32_t b[NDUR]; /* observations per bucket, not cumulative */
} histogram;

struct mcanary {
	const char *id; /* the map's copy */
	ns_entry *ns;
	target_key *target; /* NULL until known */
	size_t index;       /* in reg.v */
	unsigned mark;      /* the full pass that saw it last */
	bool has_stage;
	unsigned char status; /* 0 running, 1 successful, 2 failed */
	int primary, canary;
	histogram *dur; /* NULL until the first observation */
	analysis *an;
	size_t nan;
	/* successes and failures: [failed][strategy][skipped]; or NULL */
	uint64_t (*ends)[3][2];
};

typedef struct registry {
	gc_map ids; /* id -> mcanary* */
	mcanary **v;
	size_t n, alloc;
	gc_map nss; /* namespace -> ns_entry* */
	ns_entry **ns;
	size_t nns, nsalloc;
	gc_map targets; /* "<ns>/<target>" -> target_key* */
	gc_map metrics; /* metric name -> its escaped label */
	unsigned mark;
	size_t ndur, nan, nends; /* for the size of a scrape */
} registry;

typedef struct own_series {
	uint64_t tick_b[NTICK];
	double tick_sum;
	uint64_t tick_count;
	uint64_t ticks[GC_METRICS_TICK__COUNT];
	uint64_t conflicts, fetch_failures, commits;
	uint64_t checks[3]; /* pass, fail, error */
	uint64_t hooks[NHOOK][2];
	uint64_t alerts[2];
	uint64_t problems[2]; /* errors, warnings */
	int64_t last_ok;
	bool has_last_ok;
} own_series;

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static registry reg;
static pthread_mutex_t own_lock = PTHREAD_MUTEX_INITIALIZER;
static own_series own;

/* ---- label values and numbers -------------------------------------- */

/* s as a label value: valid UTF-8, with \\, \" and \n; owned. */
static char *label_value(const char *s)
{
	gc_buf u = GC_BUF_INIT, b = GC_BUF_INIT;
	size_t len = strlen(s);

	/* names of Kubernetes objects: nothing to do */
	if (strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-._") == len)
		return gc_xstrdup(s);
	gc_text_utf8(&u, s, len);
	for (size_t i = 0; i < u.len; i++) {
		if (u.ptr[i] == '\\')
			gc_buf_adds(&b, "\\\\");
		else if (u.ptr[i] == '"')
			gc_buf_adds(&b, "\\\"");
		else if (u.ptr[i] == '\n')
			gc_buf_adds(&b, "\\n");
		else
			gc_buf_addch(&b, u.ptr[i]);
	}
	gc_buf_release(&u);
	return gc_buf_detach(&b, NULL);
}

static void add_u64(gc_buf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	gc_buf_add(b, tmp + i, sizeof(tmp) - i);
}

/* The shortest text that reads back as v (Go's FormatFloat 'g', -1). */
static void format_double(char out[VALUE_MAX], double v)
{
	if (isnan(v)) {
		snprintf(out, VALUE_MAX, "NaN");
	} else if (isinf(v)) {
		snprintf(out, VALUE_MAX, "%s", v > 0 ? "+Inf" : "-Inf");
	} else if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(out, VALUE_MAX, "%.0f", v);
	} else {
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(out, VALUE_MAX, "%.*g", prec, v);
			if (strtod(out, NULL) == v)
				break;
		}
	}
}

static void add_double(gc_buf *b, double v)
{
	char tmp[VALUE_MAX];

	format_double(tmp, v);
	gc_buf_adds(b, tmp);
}

/*
 * The writers of the canaries' series reserve room for a canary's lines
 * (gc_buf_grow) and then copy into it: a scrape of 10,000 canaries is
 * millions of these.
 */
static void put(gc_buf *b, const char *s, size_t n)
{
	memcpy(b->ptr + b->len, s, n);
	b->len += n;
}

#define PUT(b, lit) put((b), (lit), sizeof(lit) - 1)

/* At most 21 bytes. */
static void put_int(gc_buf *b, int64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[--i] = '-';
	put(b, tmp + i, sizeof(tmp) - i);
}

/* Ends what the put()s wrote: gc_buf's NUL. */
static void put_end(gc_buf *b)
{
	b->ptr[b->len] = '\0';
}

static void header(gc_buf *b, const char *name, const char *type,
		   const char *help)
{
	gc_buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{labels} value, or name value without labels. */
static void sample(gc_buf *b, const char *name, const char *labels,
		   double value)
{
	gc_buf_adds(b, name);
	if (labels && *labels) {
		gc_buf_addch(b, '{');
		gc_buf_adds(b, labels);
		gc_buf_addch(b, '}');
	}
	gc_buf_addch(b, ' ');
	add_double(b, value);
	gc_buf_addch(b, '\n');
}

/* A histogram's _bucket, _sum and _count lines; labels may be "". */
static void histogram_lines(gc_buf *b, const char *name, const char *labels,
			    const uint64_t *counts, const char *const *le,
			    size_t n, double sum, uint64_t count)
{
	uint64_t cum = 0;

	for (size_t i = 0; i <= n; i++) {
		cum += i < n ? counts[i] : 0;
		gc_buf_adds(b, name);
		gc_buf_adds(b, "_bucket{");
		if (*labels) {
			gc_buf_adds(b, labels);
			gc_buf_addch(b, ',');
		}
		gc_buf_adds(b, "le=\"");
		gc_buf_adds(b, i < n ? le[i] : "+Inf");
		gc_buf_adds(b, "\"} ");
		add_u64(b, i < n ? cum : count);
		gc_buf_addch(b, '\n');
	}
	gc_buf_adds(b, name);
	gc_buf_adds(b, "_sum");
	if (*labels)
		gc_buf_addf(b, "{%s}", labels);
	gc_buf_addch(b, ' ');
	add_double(b, sum);
	gc_buf_addch(b, '\n');
	gc_buf_adds(b, name);
	gc_buf_adds(b, "_count");
	if (*labels)
		gc_buf_addf(b, "{%s}", labels);
	gc_buf_addch(b, ' ');
	add_u64(b, count);
	gc_buf_addch(b, '\n');
}

static size_t bucket_of(const double *bounds, size_t n, double v)
{
	size_t i = 0;

	while (i < n && v > bounds[i])
		i++;
	return i; /* n: only +Inf */
}

/* ---- the canaries (under reg_lock) --------------------------------- */

static ns_entry *ns_get(const char *ns)
{
	ns_entry *e = gc_map_gets(&reg.nss, ns);

	if (e)
		return e;
	e = gc_xcalloc(1, sizeof(*e));
	e->label = label_value(ns);
	gc_map_sets(&reg.nss, ns, e);
	if (reg.nns == reg.nsalloc) {
		reg.nsalloc = reg.nsalloc ? 2 * reg.nsalloc : 16;
		reg.ns = gc_xrealloc(reg.ns, reg.nsalloc * sizeof(*reg.ns));
	}
	reg.ns[reg.nns++] = e;
	return e;
}

/* The canary id, created (counted in its namespace) when new. */
static mcanary *canary_get(const char *id, const char *ns)
{
	mcanary *c = gc_map_gets(&reg.ids, id);

	if (c)
		return c;
	c = gc_xcalloc(1, sizeof(*c));
	gc_map_sets(&reg.ids, id, c);
	c->id = gc_map_key(&reg.ids, id);
	c->ns = ns_get(ns);
	c->ns->count++;
	c->mark = reg.mark;
	if (reg.n == reg.alloc) {
		reg.alloc = reg.alloc ? 2 * reg.alloc : 64;
		reg.v = gc_xrealloc(reg.v, reg.alloc * sizeof(*reg.v));
	}
	c->index = reg.n;
	reg.v[reg.n++] = c;
	return c;
}

static void target_release(mcanary *c)
{
	target_key *t = c->target;

	if (!t)
		return;
	c->target = NULL;
	t->n--;
	if (t->owner == c) {
		t->owner = NULL;
		for (size_t i = 0; t->n && i < reg.n && !t->owner; i++)
			if (reg.v[i] && reg.v[i]->target == t)
				t->owner = reg.v[i];
	}
	if (!t->n) {
		gc_map_sets(&reg.targets, t->key, NULL);
		free(t->label);
		free(t);
	}
}

static void set_target(mcanary *c, const char *ns, const char *target)
{
	size_t nslen = strlen(ns);
	target_key *t;
	gc_buf key = GC_BUF_INIT;

	if (c->target && !strcmp(c->target->key + nslen + 1, target))
		return;
	target_release(c);
	gc_buf_addf(&key, "%s/%s", ns, target);
	if (!(t = gc_map_gets(&reg.targets, key.ptr))) {
		t = gc_xcalloc(1, sizeof(*t));
		gc_map_sets(&reg.targets, key.ptr, t);
		t->key = gc_map_key(&reg.targets, key.ptr);
		t->label = label_value(target);
	}
	t->n++;
	if (!t->owner)
		t->owner = c;
	c->target = t;
	gc_buf_release(&key);
}

/* Frees c and leaves a hole in reg.v for compact(). */
static void canary_drop(mcanary *c)
{
	reg.v[c->index] = NULL;
	target_release(c);
	c->ns->count--;
	gc_map_sets(&reg.ids, c->id, NULL);
	reg.ndur -= c->dur != NULL;
	reg.nan -= c->nan;
	reg.nends -= c->ends != NULL;
	free(c->dur);
	free(c->an);
	free(c->ends);
	free(c);
}

/* Closes the holes of reg.v, keeping the order the canaries came in. */
static void compact(void)
{
	size_t k = 0;

	for (size_t i = 0; i < reg.n; i++) {
		if (!reg.v[i])
			continue;
		reg.v[i]->index = k;
		reg.v[k++] = reg.v[i];
	}
	reg.n = k;
}

static void count_end(mcanary *c, const gc_metrics_canary *m)
{
	size_t s = (size_t)m->strategy < GC_ARRAY_SIZE(strategies)
			   ? (size_t)m->strategy
			   : 0;

	if (!c->ends) {
		c->ends = gc_xcalloc(2, sizeof(*c->ends));
		reg.nends++;
	}
	c->ends[m->phase == GC_PHASE_FAILED][s]
	       [m->skip_analysis && m->phase != GC_PHASE_FAILED]++;
}

/* Flagger's SetStatus: Progressing 0, Failed 2, any other phase 1. */
static unsigned char status_of(gc_phase p)
{
	return p == GC_PHASE_PROGRESSING ? 0 : p == GC_PHASE_FAILED ? 2 : 1;
}

void gc_metrics_canaries(const gc_metrics_canary *v, size_t n, bool all)
{
	pthread_mutex_lock(&reg_lock);
	if (all)
		reg.mark++;
	for (size_t i = 0; i < n; i++) {
		const gc_metrics_canary *m = &v[i];
		mcanary *c = canary_get(m->id, m->namespace);

		c->mark = reg.mark;
		if (m->target)
			set_target(c, m->namespace, m->target);
		if (m->has_stage) {
			c->has_stage = true;
			c->status = status_of(m->phase);
			c->primary = m->primary_weight;
			c->canary = m->canary_weight;
		}
		if (m->ended)
			count_end(c, m);
	}
	for (size_t i = 0; all && i < reg.n; i++)
		if (reg.v[i] && reg.v[i]->mark != reg.mark)
			canary_drop(reg.v[i]);
	if (all)
		compact();
	pthread_mutex_unlock(&reg_lock);
}

void gc_metrics_canary_remove(const char *id)
{
	mcanary *c;

	pthread_mutex_lock(&reg_lock);
	if ((c = gc_map_gets(&reg.ids, id))) {
		canary_drop(c);
		compact();
	}
	pthread_mutex_unlock(&reg_lock);
}

/* The canary of a check, known to have target (reg_lock held). */
static mcanary *canary_of(const char *ns, const char *name, const char *target)
{
	gc_buf id = GC_BUF_INIT;
	mcanary *c;

	gc_buf_addf(&id, "%s/%s", ns, name);
	c = canary_get(id.ptr, ns);
	gc_buf_release(&id);
	set_target(c, ns, target);
	return c;
}

void gc_metrics_canary_analysis(const char *ns, const char *name,
				const char *target, const char *metric,
				double value)
{
	char *label;
	mcanary *c;
	size_t i;

	if (!ns || !name || !target || !metric)
		return; /* not a canary's check */
	pthread_mutex_lock(&reg_lock);
	c = canary_of(ns, name, target);
	if (!(label = gc_map_gets(&reg.metrics, metric))) {
		label = label_value(metric);
		gc_map_sets(&reg.metrics, metric, label);
	}
	for (i = 0; i < c->nan && c->an[i].metric != label; i++)
		;
	if (i == c->nan) {
		c->an = gc_xrealloc(c->an, (c->nan + 1) * sizeof(*c->an));
		c->an[c->nan++].metric = label;
		reg.nan++;
	}
	format_double(c->an[i].value, value);
	pthread_mutex_unlock(&reg_lock);
}

void gc_metrics_canary_duration(const char *ns, const char *name,
				const char *target, double seconds)
{
	mcanary *c;

	if (!ns || !name || !target)
		return;
	pthread_mutex_lock(&reg_lock);
	c = canary_of(ns, name, target);
	if (!c->dur) {
		c->dur = gc_xcalloc(1, sizeof(*c->dur));
		reg.ndur++;
	}
	c->dur->count++;
	c->dur->sum += seconds;
	format_double(c->dur->sum_text, c->dur->sum);
	if (bucket_of(dur_bounds, NDUR, seconds) < NDUR)
		c->dur->b[bucket_of(dur_bounds, NDUR, seconds)]++;
	pthread_mutex_unlock(&reg_lock);
}

/* ---- gitcanary's own series (under own_lock) ----------------------- */

void gc_metrics_tick(gc_metrics_tick_result result, double seconds, int64_t now)
{
	size_t b = bucket_of(tick_bounds, NTICK, seconds);

	GC_ASSERT(result < GC_METRICS_TICK__COUNT);
	pthread_mutex_lock(&own_lock);
	if (b < NTICK)
		own.tick_b[b]++;
	own.tick_sum += seconds;
	own.tick_count++;
	own.ticks[result]++;
	if (result != GC_METRICS_TICK_FAILED) {
		own.last_ok = now;
		own.has_last_ok = true;
	}
	own.commits += result == GC_METRICS_TICK_COMMITTED;
	pthread_mutex_unlock(&own_lock);
}

void gc_metrics_push_conflict(void)
{
	pthread_mutex_lock(&own_lock);
	own.conflicts++;
	pthread_mutex_unlock(&own_lock);
}

void gc_metrics_fetch_failure(void)
{
	pthread_mutex_lock(&own_lock);
	own.fetch_failures++;
	pthread_mutex_unlock(&own_lock);
}

void gc_metrics_source_problems(size_t errors, size_t warnings)
{
	pthread_mutex_lock(&own_lock);
	own.problems[0] = errors;
	own.problems[1] = warnings;
	pthread_mutex_unlock(&own_lock);
}

void gc_metrics_check(gc_check_kind kind, const char *type, bool pass,
		      bool error)
{
	size_t h = 0;

	if (kind == GC_CHECK_WEBHOOK) {
		if (!type || !*type)
			type = "rollout";
		while (h < NHOOK && strcmp(hook_types[h], type))
			h++;
		if (h == NHOOK)
			return; /* not a type a canary can have */
	}
	pthread_mutex_lock(&own_lock);
	if (kind == GC_CHECK_METRIC)
		own.checks[pass ? 0 : error ? 2 : 1]++;
	else if (kind == GC_CHECK_WEBHOOK)
		own.hooks[h][!pass]++;
	else
		own.alerts[!pass]++;
	pthread_mutex_unlock(&own_lock);
}

/* ---- the exposition ------------------------------------------------ */

static void write_info(gc_buf *b)
{
	header(b, "flagger_info", "gauge",
	       "Information about gitcanary in Flagger's shape: its version and the mesh provider it renders for.");
	sample(b, "flagger_info",
	       "mesh_provider=\"istio\",version=\"" GC_VERSION "\"", 1);
	header(b, "flagger_canary_total", "gauge",
	       "Canaries in the source, per namespace.");
	for (size_t i = 0; i < reg.nns; i++) {
		if (!reg.ns[i]->count)
			continue;
		gc_buf_adds(b, "flagger_canary_total{namespace=\"");
		gc_buf_adds(b, reg.ns[i]->label);
		gc_buf_adds(b, "\"} ");
		add_u64(b, reg.ns[i]->count);
		gc_buf_addch(b, '\n');
	}
}

/* Whether c writes the series of its target. */
static bool writes(const mcanary *c)
{
	return c->target && c->target->owner == c;
}

/* The escaped target and namespace of a canary that writes, and lengths. */
typedef struct names {
	const char *t, *ns;
	size_t tl, nsl;
} names;

static void names_of(names *n, const mcanary *c)
{
	n->t = c->target->label;
	n->ns = c->ns->label;
	n->tl = strlen(n->t);
	n->nsl = strlen(n->ns);
}

/* name="<t>",namespace="<ns>" */
static void put_names(gc_buf *b, const names *n)
{
	PUT(b, "name=\"");
	put(b, n->t, n->tl);
	PUT(b, "\",namespace=\"");
	put(b, n->ns, n->nsl);
	PUT(b, "\"");
}

static void write_stages(gc_buf *b)
{
	bool any = false;
	names n;

	for (size_t i = 0; i < reg.n; i++) {
		const mcanary *c = reg.v[i];

		if (!writes(c) || !c->has_stage)
			continue;
		if (!any)
			header(b, "flagger_canary_status", "gauge",
			       "Last canary analysis result: 0 running (Progressing), 1 successful (any other phase), 2 failed.");
		any = true;
		names_of(&n, c);
		gc_buf_grow(b, 64 + n.tl + n.nsl);
		PUT(b, "flagger_canary_status{");
		put_names(b, &n);
		PUT(b, "} ");
		put_int(b, c->status);
		PUT(b, "\n");
		put_end(b);
	}
	any = false;
	for (size_t i = 0; i < reg.n; i++) {
		const mcanary *c = reg.v[i];

		if (!writes(c) || !c->has_stage)
			continue;
		if (!any)
			header(b, "flagger_canary_weight", "gauge",
			       "Traffic weight of the primary (workload <target>-primary) and of the canary (workload <target>) as committed.");
		any = true;
		names_of(&n, c);
		gc_buf_grow(b, 2 * (96 + n.tl + n.nsl));
		for (int k = 0; k < 2; k++) {
			PUT(b, "flagger_canary_weight{namespace=\"");
			put(b, n.ns, n.nsl);
			PUT(b, "\",workload=\"");
			put(b, n.t, n.tl);
			if (k)
				PUT(b, "\"} ");
			else
				PUT(b, "-primary\"} ");
			put_int(b, k ? c->canary : c->primary);
			PUT(b, "\n");
		}
		put_end(b);
	}
}

#define DUR "flagger_canary_duration_seconds"

static void write_durations(gc_buf *b)
{
	static size_t le_len[NDUR];
	bool any = false;
	names n;

	for (size_t i = 0; i < NDUR && !le_len[NDUR - 1]; i++)
		le_len[i] = strlen(dur_le[i]);
	for (size_t i = 0; i < reg.n; i++) {
		const mcanary *c = reg.v[i];
		uint64_t cum = 0;

		if (!writes(c) || !c->dur)
			continue;
		if (!any)
			header(b, DUR, "histogram",
			       "Seconds spent performing canary analysis.");
		any = true;
		names_of(&n, c);
		gc_buf_grow(b, (NDUR + 3) * (100 + n.tl + n.nsl));
		for (size_t k = 0; k <= NDUR; k++) {
			PUT(b, DUR "_bucket{");
			put_names(b, &n);
			PUT(b, ",le=\"");
			if (k < NDUR)
				put(b, dur_le[k], le_len[k]);
			else
				PUT(b, "+Inf");
			PUT(b, "\"} ");
			cum += k < NDUR ? c->dur->b[k] : 0;
			put_int(b, (int64_t)(k < NDUR ? cum : c->dur->count));
			PUT(b, "\n");
		}
		PUT(b, DUR "_sum{");
		put_names(b, &n);
		PUT(b, "} ");
		put(b, c->dur->sum_text, strlen(c->dur->sum_text));
		PUT(b, "\n" DUR "_count{");
		put_names(b, &n);
		PUT(b, "} ");
		put_int(b, (int64_t)c->dur->count);
		PUT(b, "\n");
		put_end(b);
	}
}

static void write_analysis(gc_buf *b)
{
	bool any = false;
	names n;

	for (size_t i = 0; i < reg.n; i++) {
		const mcanary *c = reg.v[i];

		if (!writes(c) || !c->nan)
			continue;
		if (!any)
			header(b, "flagger_canary_metric_analysis", "gauge",
			       "Last canary analysis result per metric.");
		any = true;
		names_of(&n, c);
		for (size_t k = 0; k < c->nan; k++) {
			size_t ml = strlen(c->an[k].metric);

			gc_buf_grow(b, 80 + VALUE_MAX + ml + n.tl + n.nsl);
			PUT(b, "flagger_canary_metric_analysis{metric=\"");
			put(b, c->an[k].metric, ml);
			PUT(b, "\",");
			put_names(b, &n);
			PUT(b, "} ");
			put(b, c->an[k].value, strlen(c->an[k].value));
			PUT(b, "\n");
			put_end(b);
		}
	}
}

/* flagger_canary_successes_total (failed 0) or _failures_total (1). */
static void write_ends(gc_buf *b, int failed)
{
	const char *name = failed ? "flagger_canary_failures_total"
				  : "flagger_canary_successes_total";
	bool any = false;

	for (size_t i = 0; i < reg.n; i++) {
		const mcanary *c = reg.v[i];

		if (!writes(c) || !c->ends)
			continue;
		for (size_t s = 0; s < GC_ARRAY_SIZE(strategies); s++) {
			for (int k = 0; k < 2; k++) {
				if (!c->ends[failed][s][k])
					continue;
				if (!any)
					header(b, name, "counter",
					       failed ? "Releases that failed, since the process started."
						      : "Releases that succeeded, since the process started.");
				any = true;
				gc_buf_adds(b, name);
				gc_buf_adds(b, "{analysis_status=\"");
				gc_buf_adds(b, k ? "skipped" : "completed");
				gc_buf_adds(b, "\",deployment_strategy=\"");
				gc_buf_adds(b, strategies[s]);
				gc_buf_adds(b, "\",name=\"");
				gc_buf_adds(b, c->target->label);
				gc_buf_adds(b, "\",namespace=\"");
				gc_buf_adds(b, c->ns->label);
				gc_buf_adds(b, "\"} ");
				add_u64(b, c->ends[failed][s][k]);
				gc_buf_addch(b, '\n');
			}
		}
	}
}

static void labelled(gc_buf *b, const char *name, const char *label,
		     const char *value, uint64_t n)
{
	gc_buf_addf(b, "%s{%s=\"%s\"} ", name, label, value);
	add_u64(b, n);
	gc_buf_addch(b, '\n');
}

static void write_own(gc_buf *b, const own_series *o)
{
	static const char *const check_results[] = { "pass", "fail", "error" };

	header(b, "gitcanary_tick_duration_seconds", "histogram",
	       "Wall time of a reconcile tick, its retries after lost pushes included.");
	histogram_lines(b, "gitcanary_tick_duration_seconds", "", o->tick_b,
			tick_le, NTICK, o->tick_sum, o->tick_count);
	header(b, "gitcanary_ticks_total", "counter", "Ticks by result.");
	for (size_t i = 0; i < GC_METRICS_TICK__COUNT; i++)
		labelled(b, "gitcanary_ticks_total", "result", tick_results[i],
			 o->ticks[i]);
	header(b, "gitcanary_push_conflicts_total", "counter",
	       "Pushes to the deploy branch lost to a concurrent writer (compare-and-swap); the tick was run again.");
	sample(b, "gitcanary_push_conflicts_total", NULL, (double)o->conflicts);
	header(b, "gitcanary_fetch_failures_total", "counter",
	       "Fetches of the repository that failed.");
	sample(b, "gitcanary_fetch_failures_total", NULL,
	       (double)o->fetch_failures);
	header(b, "gitcanary_deploy_commits_total", "counter",
	       "Commits pushed to the deploy branch.");
	sample(b, "gitcanary_deploy_commits_total", NULL, (double)o->commits);
	header(b, "gitcanary_metric_checks_total", "counter",
	       "Metric checks (Prometheus queries) by result: pass, fail (the value is out of range or missing), error (the query failed).");
	for (size_t i = 0; i < GC_ARRAY_SIZE(check_results); i++)
		labelled(b, "gitcanary_metric_checks_total", "result",
			 check_results[i], o->checks[i]);
	header(b, "gitcanary_webhooks_total", "counter",
	       "Webhook calls by type and result (pass: status 202 or below, as Flagger accepts).");
	for (size_t i = 0; i < NHOOK; i++) {
		for (int k = 0; k < 2; k++) {
			gc_buf_addf(
				b,
				"gitcanary_webhooks_total{result=\"%s\",type=\"%s\"} ",
				k ? "fail" : "pass", hook_types[i]);
			add_u64(b, o->hooks[i][k]);
			gc_buf_addch(b, '\n');
		}
	}
	header(b, "gitcanary_alerts_total", "counter",
	       "Alerts sent to alert providers by result.");
	labelled(b, "gitcanary_alerts_total", "result", "pass", o->alerts[0]);
	labelled(b, "gitcanary_alerts_total", "result", "fail", o->alerts[1]);
	header(b, "gitcanary_source_problems", "gauge",
	       "Problems of the source at its last load, by severity.");
	labelled(b, "gitcanary_source_problems", "severity", "error",
		 o->problems[0]);
	labelled(b, "gitcanary_source_problems", "severity", "warning",
		 o->problems[1]);
	if (o->has_last_ok) {
		header(b, "gitcanary_last_successful_tick_timestamp_seconds",
		       "gauge",
		       "When the last tick that did not fail ran, in seconds since the epoch.");
		sample(b, "gitcanary_last_successful_tick_timestamp_seconds",
		       NULL, (double)o->last_ok);
	}
}

int gc_metrics_write(gc_buf *out, void *payload)
{
	own_series o;

	(void)payload;
	pthread_mutex_lock(&own_lock);
	o = own;
	pthread_mutex_unlock(&own_lock);

	pthread_mutex_lock(&reg_lock);
	/* about what it writes: few reallocations of a large scrape */
	gc_buf_grow(out, 8192 + reg.nns * 64 + reg.n * 320 + reg.ndur * 1100 +
				 reg.nan * 120 + reg.nends * 200);
	write_info(out);
	write_stages(out);
	write_durations(out);
	write_analysis(out);
	write_ends(out, 0);
	write_ends(out, 1);
	pthread_mutex_unlock(&reg_lock);

	write_own(out, &o);
	gc_process_metrics_write(out);
	return 0;
}
