#include "sim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

#define SCENARIO_MAX_BYTES (1024 * 1024)

/* Healthy: no errors, 20 ms. */
static gc_sim_behaviour behaviour_default(void)
{
	gc_sim_behaviour b = { 0.0, 500, 20.0, 0.0, 0.0 };

	return b;
}

static size_t bucket_of(double ms)
{
	size_t i;

	for (i = 0; i < GC_SIM_NBUCKETS - 1; i++)
		if (ms <= gc_sim_buckets[i])
			break;
	return i;
}

/*
 * Makes histogram_quantile(0.99) over Istio's buckets come out at p99:
 * a share s of requests is slow (p99 ms) so that rank 0.99 falls at the
 * fraction f = (p99 - lo) / (hi - lo) of the slow bucket: s = 0.01/(1-f).
 */
static void plan_p99(gc_sim_behaviour *b, double p99)
{
	size_t j = bucket_of(p99);
	double lo = j ? gc_sim_buckets[j - 1] : 0.0, hi = gc_sim_buckets[j];
	double f, s;

	if (j <= bucket_of(b->latency_ms)) {
		b->latency_ms = p99;
		b->slow_ms = 0.0;
		b->slow_share = 0.0;
		return;
	}
	f = (p99 - lo) / (hi - lo);
	s = f >= 0.99 ? 1.0 : 0.01 / (1.0 - f);
	b->slow_ms = p99;
	b->slow_share = s > 1.0 ? 1.0 : s;
}

/* The non-negative number s starts with; *end points after it. */
static int leading_number(double *out, char **end, const char *s)
{
	double v;

	errno = 0;
	v = strtod(s, end);
	if (errno || *end == s || v < 0.0)
		return -1;
	*out = v;
	return 0;
}

int gc_sim_parse_number(double *out, const char *s, bool percent)
{
	char *end;
	double v;

	if (leading_number(&v, &end, s) < 0)
		return -1;
	if (percent && *end == '%') {
		v /= 100.0;
		end++;
	}
	if (*end || (percent && v > 1.0))
		return -1;
	*out = v;
	return 0;
}

int gc_sim_parse_unit(double *out, const char *s, const gc_sim_unit *units,
		      size_t n)
{
	char *end;
	double v;

	if (leading_number(&v, &end, s) < 0)
		return -1;
	if (!*end) {
		*out = v;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(end, units[i].suffix)) {
			*out = v * units[i].mul / units[i].div;
			return 0;
		}
	}
	return -1;
}

/* "900ms", "1.5s", "900" (milliseconds) */
static int parse_ms(double *out, const char *s)
{
	static const gc_sim_unit ms[] = { { "s", 1000.0, 1.0 },
					  { "ms", 1.0, 1.0 } };

	return gc_sim_parse_unit(out, s, ms, GC_ARRAY_SIZE(ms));
}

static int parse_code(int *out, const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 100 || v > 599)
		return -1;
	*out = (int)v;
	return 0;
}

/* One "key=value" or "ok" word; returns 0, or -1 with *what set. */
static int parse_word(gc_sim_behaviour *b, double *p99, const char *w,
		      const char **what)
{
	const char *eq = strchr(w, '=');
	const char *v = eq ? eq + 1 : NULL;
	size_t klen = eq ? (size_t)(eq - w) : strlen(w);

	*what = "unknown setting";
	if (!eq)
		return !strcmp(w, "ok") ? 0 : -1;
	if (klen == 6 && !strncmp(w, "errors", klen)) {
		*what = "errors wants a share like 20%";
		return gc_sim_parse_number(&b->error_rate, v, true);
	}
	if (klen == 4 && !strncmp(w, "code", klen)) {
		*what = "code wants an HTTP status 100-599";
		return parse_code(&b->error_code, v);
	}
	if (klen == 3 && !strncmp(w, "p99", klen)) {
		*what = "p99 wants a duration like 900ms";
		return parse_ms(p99, v);
	}
	if (klen == 7 && !strncmp(w, "latency", klen)) {
		*what = "latency wants a duration like 20ms";
		return parse_ms(&b->latency_ms, v);
	}
	return -1;
}

static int parse_line(gc_sim_scenario *sc, const char *path, unsigned lineno,
		      char *line, gc_error *err)
{
	gc_sim_behaviour b = behaviour_default();
	double p99 = 0.0;
	char *save = NULL, *key, *w;
	const char *what;
	char *hash = strchr(line, '#');

	if (hash)
		*hash = '\0';
	key = strtok_r(line, " \t\r", &save);
	if (!key)
		return 0;
	while ((w = strtok_r(NULL, " \t\r", &save))) {
		if (parse_word(&b, &p99, w, &what) < 0)
			return gc_error_set_at(err, GC_EPARSE, path, lineno,
					       (unsigned)(w - line) + 1,
					       "%s: '%s'", what, w);
	}
	if (p99 > 0.0)
		plan_p99(&b, p99);
	sc->v = gc_xrealloc(sc->v, (sc->n + 1) * sizeof(*sc->v));
	sc->v[sc->n].key = gc_xstrdup(key);
	sc->v[sc->n].behaviour = b;
	sc->n++;
	return 0;
}

int gc_sim_scenario_parse(gc_sim_scenario *sc, const char *path,
			  const char *text, gc_error *err)
{
	gc_sim_scenario tmp = GC_SIM_SCENARIO_INIT;
	char *copy = gc_xstrdup(text), *line = copy, *nl;
	unsigned lineno = 1;
	int error = 0;

	for (; line; line = nl ? nl + 1 : NULL, lineno++) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if ((error = parse_line(&tmp, path, lineno, line, err)) < 0)
			goto cleanup;
	}
	gc_sim_scenario_release(sc);
	*sc = tmp;
	tmp = (gc_sim_scenario)GC_SIM_SCENARIO_INIT;
cleanup:
	gc_sim_scenario_release(&tmp);
	free(copy);
	return error;
}

int gc_sim_scenario_load(gc_sim_scenario *sc, const char *path, gc_error *err)
{
	gc_buf data = GC_BUF_INIT;
	int error;

	if ((error = gc_buf_read_file(&data, path, SCENARIO_MAX_BYTES, err)) <
	    0)
		goto cleanup;
	error = gc_sim_scenario_parse(sc, path, data.ptr, err);
cleanup:
	gc_buf_release(&data);
	return error;
}

void gc_sim_scenario_release(gc_sim_scenario *sc)
{
	for (size_t i = 0; i < sc->n; i++)
		free(sc->v[i].key);
	free(sc->v);
	sc->v = NULL;
	sc->n = 0;
}

static const gc_sim_behaviour *find(const gc_sim_scenario *sc, const char *key,
				    size_t len)
{
	for (size_t i = 0; i < sc->n; i++)
		if (strlen(sc->v[i].key) == len &&
		    !strncmp(sc->v[i].key, key, len))
			return &sc->v[i].behaviour;
	return NULL;
}

/* Offset of the tag of image[0..len) (after the last ':' past the last '/'). */
static size_t tag_offset(const char *image, size_t len)
{
	size_t i = len;

	while (i > 0 && image[i - 1] != ':' && image[i - 1] != '/')
		i--;
	return i > 0 && image[i - 1] == ':' ? i : 0;
}

gc_sim_behaviour gc_sim_scenario_lookup(const gc_sim_scenario *sc,
					const char *image)
{
	const gc_sim_behaviour *b = NULL;
	const char *at;
	size_t len, tag;

	if (image) {
		at = strchr(image, '@');
		len = at ? (size_t)(at - image) : strlen(image);
		b = find(sc, image, len);
		tag = tag_offset(image, len);
		if (!b && tag)
			b = find(sc, image + tag, len - tag);
	}
	if (!b)
		b = find(sc, "*", 1);
	return b ? *b : behaviour_default();
}
