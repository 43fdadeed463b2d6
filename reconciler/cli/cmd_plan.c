/*
 * gitcanary plan [--repo PATH|URL] [--ref REV] [--dir DIR] [--path DIR]...
 * --canary NS/NAME
 *                [--fail-at N] [--min-interval D] [--default-namespace NS]
 *                [--format text|markdown]
 *
 * Drives the state machine offline through the release of the target's
 * current revision, as if it had just been pushed: every check passes (or
 * every check fails from tick N on) and every Deployment is always ready.
 * Prints one line per tick, or a Markdown table with the checks of each
 * tick for a pull-request comment (formats in docs/cli.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconciler/cli/cli.h"
#include "reconciler/release/machine.h"
#include "reconciler/release/message.h"
#include "reconciler/release/validate.h"
#include "render/revision.h"
#include "repo-layout/git.h"
#include "repo-layout/source.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"

#define PLAN_MAX_TICKS 1000
#define PLAN_T0 1767225600 /* 2026-01-01T00:00:00Z; only differences matter */

static const char usage_text[] =
	"usage: gitcanary plan [--repo PATH|URL] [--ref REV] [--dir DIR] --canary NS/NAME\n"
	"                      [--fail-at N] [--min-interval DURATION] [--default-namespace NS]\n"
	"                      [--format text|markdown]\n"
	"\n"
	"  --repo PATH|URL          git repository; default .\n"
	"  --ref REV                branch, tag or commit; default HEAD\n"
	"  --dir DIR                read a plain directory instead of a commit\n" GC_CLI_ROOTS_HELP
	"  --canary NS/NAME         the Canary to plan\n"
	"  --fail-at N              every check fails from tick N on (1-based); default: all pass\n"
	"  --min-interval DURATION  lower the 10s floor of analysis.interval (e.g. 1s)\n"
	"  --default-namespace NS   namespace of documents without one; default \"default\"\n"
	"  --format FORMAT          text (default) or markdown: a table of the ticks and of what\n"
	"                           each checks, for a pull-request comment\n"
	"  -v, --verbose            log debug lines too\n"
	"  --log-level LEVEL        debug, info (default), warn or error\n"
	"  --log-format FORMAT      text (default) or json (one object a line)\n";

typedef struct plan_args {
	gc_cli_source_args src;
	const char *canary, *fail_at, *min_interval, *format;
} plan_args;

static int parse_args(plan_args *a, int argc, char **argv, int *rc)
{
	const gc_cli_opt opts[] = {
		{ "canary", 0, GC_CLI_VALUE, &a->canary, 0 },
		{ "fail-at", 0, GC_CLI_VALUE, &a->fail_at, 0 },
		{ "min-interval", 0, GC_CLI_VALUE, &a->min_interval, 0 },
		{ "format", 0, GC_CLI_VALUE, &a->format, 0 },
		{ NULL, 0, GC_CLI_VALUE, NULL, 0 }
	};

	if (gc_cli_parse_source(&a->src, "plan", usage_text, opts, argc, argv,
				rc) < 0)
		return -1;
	if (!a->canary) {
		*rc = gc_cli_usage("plan", "--canary NS/NAME is required");
		return -1;
	}
	if (a->format && strcmp(a->format, "text") &&
	    strcmp(a->format, "markdown")) {
		*rc = gc_cli_usage("plan", "--format must be text or markdown");
		return -1;
	}
	return 0;
}

typedef struct plan {
	gc_canary_spec spec;
	char revision[GC_REVISION_MAX];
	int primary_replicas, hpa_min;
	long fail_at; /* 0 = never */
	bool markdown;
	/* A/B: "match: <what>", shown instead of the canary weight */
	char match[GC_MESSAGE_MATCH_MAX + 8];
	int canary_width; /* of the CANARY column */
} plan;

/* Answers a batch as the plan's rule says, honouring stop_on_*. */
static void answer(gc_check_batch *b, const plan *p, int tick)
{
	bool fail = p->fail_at > 0 && tick >= p->fail_at;

	for (size_t i = 0; i < b->n; i++) {
		gc_check *c = &b->v[i];
		const char *name = gc_json_str(c->spec, "name");

		c->status = fail ? GC_CHECK_FAIL : GC_CHECK_PASS;
		if (fail && c->kind == GC_CHECK_METRIC)
			c->message = gc_xasprintf(
				"Halt %s.%s advancement %s simulated failure (--fail-at)",
				p->spec.name, p->spec.namespace,
				name ? name : "");
		else if (fail)
			c->message =
				gc_xstrdup("simulated failure (--fail-at)");
		if ((b->stop_on_fail && fail) || (b->stop_on_pass && !fail))
			break;
	}
}

/*
 * The PRIMARY and CANARY cells: the weights, or, while an A/B release
 * routes to the canary, what it matches and "rest" (docs/cli.md).
 */
static void route_cells(char *primary, char *canary, size_t len, const plan *p,
			const gc_machine_out *out)
{
	if (p->match[0] && out->routing.canary > 0) {
		snprintf(primary, len, "rest");
		snprintf(canary, len, "%s", p->match);
	} else {
		snprintf(primary, len, "%d", out->routing.primary);
		snprintf(canary, len, "%d", out->routing.canary);
	}
}

static void print_tick(int tick, const plan *p, const gc_machine_out *out,
		       int replicas)
{
	char primary[sizeof(p->match)], canary[sizeof(p->match)];

	route_cells(primary, canary, sizeof(canary), p, out);
	printf("%-4d %-16s %-7s %-*s %-6s %-8d ", tick,
	       gc_phase_name(out->status.phase), primary, p->canary_width,
	       canary, out->routing.mirror ? "on" : "off", replicas);
	for (size_t i = 0; i < out->nevents; i++)
		printf("%s%s%s", i ? " | " : "",
		       out->events[i].type == GC_EVENT_WARNING ? "Warning: "
							       : "",
		       out->events[i].message);
	printf("\n");
}

/* Markdown cell text: no pipes or newlines. */
static void md_text(gc_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			gc_buf_adds(b, "\\|");
		else if (*s == '\n')
			gc_buf_addch(b, ' ');
		else
			gc_buf_addch(b, *s);
	}
}

/* What one check checks: "request-success-rate >= 99 (1m)". */
static void md_check(gc_buf *b, const gc_check *c)
{
	const cJSON *s = c->spec, *tr = gc_json_get(s, "thresholdRange");
	const char *name = gc_json_str(s, "name");

	gc_buf_adds(b, c->status == GC_CHECK_PASS   ? "✅ "
		       : c->status == GC_CHECK_FAIL ? "❌ "
						    : "⏭️ ");
	if (c->kind == GC_CHECK_WEBHOOK) {
		const char *type = gc_json_str(s, "type");

		gc_buf_addf(b, "%s webhook ", type && *type ? type : "rollout");
		md_text(b, name ? name : "");
		return;
	}
	md_text(b, name ? name : "");
	if (gc_json_get(tr, "min"))
		gc_buf_addf(b, " ≥ %g", gc_json_num(tr, "min", 0));
	if (gc_json_get(tr, "max"))
		gc_buf_addf(b, " ≤ %g", gc_json_num(tr, "max", 0));
	if (gc_json_str(s, "interval"))
		gc_buf_addf(b, " (%s)", gc_json_str(s, "interval"));
}

static void print_md_tick(int tick, const plan *p, const gc_machine_out *out,
			  int replicas, const gc_check_batch *done, size_t n)
{
	char primary[sizeof(p->match)], canary[sizeof(p->match)];
	gc_buf b = GC_BUF_INIT;
	bool any = false;

	route_cells(primary, canary, sizeof(canary), p, out);
	gc_buf_addf(&b, "| %d | %s | %s | %s | %s | %d | ", tick,
		    gc_phase_name(out->status.phase), primary, canary,
		    out->routing.mirror ? "on" : "off", replicas);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < done[i].n; j++) {
			gc_buf_adds(&b, any ? "<br>" : "");
			md_check(&b, &done[i].v[j]);
			any = true;
		}
	gc_buf_adds(&b, " | ");
	for (size_t i = 0; i < out->nevents; i++) {
		gc_buf_adds(&b, i ? "<br>" : "");
		if (out->events[i].type == GC_EVENT_WARNING)
			gc_buf_adds(&b, "⚠️ ");
		md_text(&b, out->events[i].message);
	}
	printf("%s |\n", b.ptr);
	gc_buf_release(&b);
}

static void print_header(const plan *p)
{
	if (p->markdown) {
		printf("#### gitcanary plan: %s/%s\n\n"
		       "| tick | phase | primary | canary | mirror | replicas | checks | events |\n"
		       "|---:|---|---:|---|---|---:|---|---|\n",
		       p->spec.namespace, p->spec.name);
		return;
	}
	printf("TICK PHASE            PRIMARY %-*s MIRROR REPLICAS EVENTS\n",
	       p->canary_width, "CANARY");
}

/* Runs the release tick by tick; 0 when it came to rest. */
static int drive(const plan *p)
{
	gc_status st;
	gc_machine_in in;
	gc_machine_out out;
	gc_check_batch done[GC_MACHINE_MAX_BATCHES];
	int replicas = 0, error = -1;

	gc_status_init(&st);
	st.phase = GC_PHASE_INITIALIZED;
	/* the promoted revision is "the one before": any other value */
	snprintf(st.last_applied_spec, sizeof(st.last_applied_spec),
		 "previous");
	snprintf(st.last_promoted_spec, sizeof(st.last_promoted_spec),
		 "previous");
	gc_status_update_condition(&st, p->spec.target_kind, PLAN_T0);
	memset(&in, 0, sizeof(in));
	in.spec = &p->spec;
	in.revision = p->revision;
	in.routing.primary = 100;
	in.primary_replicas = p->primary_replicas;
	in.hpa_min_replicas = p->hpa_min;
	in.now = PLAN_T0;
	gc_machine_out_init(&out);
	print_header(p);
	for (int tick = 1; tick <= PLAN_MAX_TICKS; tick++) {
		size_t n = 0;

		in.status = &st;
		in.canary_replicas = replicas;
		while (gc_machine_step(&out, &in, done, n) == GC_MACHINE_NEED) {
			done[n] = out.need;
			memset(&out.need, 0, sizeof(out.need));
			answer(&done[n++], p, tick);
		}
		if (out.replicas == GC_REPLICAS_ZERO)
			replicas = 0;
		else if (out.replicas == GC_REPLICAS_SCALE)
			replicas = out.replica_count;
		if (p->markdown)
			print_md_tick(tick, p, &out, replicas, done, n);
		else
			print_tick(tick, p, &out, replicas);
		for (size_t i = 0; i < n; i++)
			gc_check_batch_release(&done[i]);
		in.routing = out.routing;
		gc_status_release(&st);
		gc_status_copy(&st, &out.status);
		if (st.phase == GC_PHASE_SUCCEEDED ||
		    st.phase == GC_PHASE_FAILED) {
			error = 0;
			break;
		}
		in.now = gc_machine_next_due(p->spec.interval_ms, in.now);
	}
	gc_machine_out_release(&out);
	gc_status_release(&st);
	return error;
}

/* Prints the errors of p as validate does; returns how many. */
static size_t print_errors(const gc_problems *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++) {
		const gc_problem *x = &p->v[i];

		if (x->warning)
			continue;
		fprintf(stderr, "%s:%u:%u: %s\n", x->path, x->line, x->column,
			x->msg);
		n++;
	}
	return n;
}

/* Looks the Canary, its target and HPA up and fills the plan. */
static int prepare(plan *p, gc_index *idx, const plan_args *a,
		   const gc_canary_spec_opts *sopts, gc_error *err)
{
	char *ns = gc_xstrdup(a->canary), *name = strchr(ns, '/');
	const gc_object *c, *target, *hpa;
	gc_problems probs = { NULL, 0, 0 };
	const char *hpa_name;
	int error = 0;

	if (!name || name == ns || !name[1]) {
		error = gc_error_set(err, GC_EINVALID,
				     "--canary must be NS/NAME, not '%s'",
				     a->canary);
		goto cleanup;
	}
	*name++ = '\0';
	if (!(c = gc_index_find(idx, "Canary", ns, name))) {
		error = gc_error_set(err, GC_ENOTFOUND,
				     "canary '%s/%s' not found", ns, name);
		goto cleanup;
	}
	/* what reconcile would skip is not planned (docs/cli.md) */
	if (gc_validate_canary(&probs, idx, c) > 0) {
		print_errors(&probs);
		error = gc_error_set(err, GC_EINVALID,
				     "canary '%s/%s' is invalid", ns, name);
		goto cleanup;
	}
	if ((error = gc_canary_spec_parse(&p->spec, c->doc->root, c->namespace,
					  sopts, err)) < 0) {
		gc_error_prefixf(err, "%s", c->doc->path);
		goto cleanup;
	}
	if (!(target = gc_index_find(idx, p->spec.target_kind, c->namespace,
				     p->spec.target))) {
		error = gc_error_set(err, GC_ENOTFOUND,
				     "target %s '%s/%s' not found",
				     p->spec.target_kind, c->namespace,
				     p->spec.target);
		goto cleanup;
	}
	gc_revision_hash(p->revision,
			 gc_json_get(target->doc->root, "spec.template"));
	p->canary_width = 6;
	if (p->spec.strategy == GC_STRATEGY_AB) {
		char what[GC_MESSAGE_MATCH_MAX];

		gc_message_match(what, p->spec.match);
		snprintf(p->match, sizeof(p->match), "match: %s", what);
		p->canary_width = (int)strlen(p->match);
	}
	p->primary_replicas =
		(int)gc_json_num(target->doc->root, "spec.replicas", 0);
	hpa_name = gc_json_str(c->doc->root, "spec.autoscalerRef.name");
	if (hpa_name && (hpa = gc_index_find(idx, "HorizontalPodAutoscaler",
					     c->namespace, hpa_name)))
		p->hpa_min =
			(int)gc_json_num(hpa->doc->root, "spec.minReplicas", 1);
cleanup:
	gc_problems_release(&probs);
	free(ns);
	return error;
}

static int fail(const char *what, gc_error *err)
{
	char *msg = gc_error_format(err);

	fprintf(stderr, "gitcanary plan: %s%s\n", what, msg);
	free(msg);
	gc_error_release(err);
	return GC_EXIT_FAILURE;
}

int cmd_plan(int argc, char **argv)
{
	plan_args a = { 0 };
	gc_source_opts opts = { 0 };
	gc_canary_spec_opts sopts = { 0 };
	gc_error err = GC_ERROR_INIT;
	gc_index *idx = NULL;
	plan p;
	char *end = NULL;
	size_t source_errors;
	int rc;

	memset(&p, 0, sizeof(p));
	if (parse_args(&a, argc, argv, &rc) < 0)
		return rc;
	p.markdown = a.format && !strcmp(a.format, "markdown");
	if (a.fail_at) {
		p.fail_at = strtol(a.fail_at, &end, 10);
		if (!*a.fail_at || *end || p.fail_at < 1 ||
		    p.fail_at > PLAN_MAX_TICKS)
			return gc_cli_usage(
				"plan",
				"--fail-at needs a tick number from 1 to 1000");
	}
	if (a.min_interval &&
	    (gc_duration_parse(&sopts.min_interval_ms, a.min_interval) < 0 ||
	     sopts.min_interval_ms <= 0))
		return gc_cli_usage(
			"plan",
			"--min-interval needs a positive duration such as 1s");
	opts.default_namespace = a.src.default_ns;
	if (gc_cli_load(&idx, NULL, &a.src, &opts, &err) < 0)
		return fail("", &err);
	/* one rule for errors of the source: reported, then exit 1 */
	source_errors = print_errors(gc_index_problems(idx));
	if (prepare(&p, idx, &a, &sopts, &err) < 0) {
		rc = fail("", &err);
		goto cleanup;
	}
	rc = source_errors ? GC_EXIT_FAILURE : GC_EXIT_OK;
	if (drive(&p) < 0) {
		fprintf(stderr,
			"gitcanary plan: the release did not finish within %d ticks\n",
			PLAN_MAX_TICKS);
		rc = GC_EXIT_FAILURE;
	}
cleanup:
	gc_canary_spec_release(&p.spec);
	gc_index_free(idx);
	return rc;
}
