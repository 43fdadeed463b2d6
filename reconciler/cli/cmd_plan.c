/*
 * gitcanary plan [--repo PATH|URL] [--ref REV] [--dir DIR] [--path DIR]...
 * --canary NS/NAME
 *                [--fail-at N] [--min-interval D] [--default-namespace NS]
 *
 * Drives the state machine offline through the release of the target's
 * current revision, as if it had just been pushed: every check passes (or
 * every check fails from tick N on) and every Deployment is always ready.
 * Prints one line per tick (format in docs/cli.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconciler/cli/cli.h"
#include "reconciler/release/machine.h"
#include "render/revision.h"
#include "repo-layout/git.h"
#include "repo-layout/source.h"
#include "util/alloc.h"
#include "util/json.h"

#define PLAN_MAX_TICKS 1000
#define PLAN_T0 1767225600 /* 2026-01-01T00:00:00Z; only differences matter */

static const char usage_text[] =
	"usage: gitcanary plan [--repo PATH|URL] [--ref REV] [--dir DIR] --canary NS/NAME\n"
	"                      [--fail-at N] [--min-interval DURATION] [--default-namespace NS]\n"
	"\n"
	"  --repo PATH|URL          git repository; default .\n"
	"  --ref REV                branch, tag or commit; default HEAD\n"
	"  --dir DIR                read a plain directory instead of a commit\n"
	"  --path DIR               a root to build, as a Flux Kustomization's spec.path\n"
	"                           (repeatable); default the repository root, or the\n"
	"                           paths of the Flux Kustomizations of the source\n"
	"  --kustomize-command CMD  kustomize to run for overlays; default `kustomize\n"
	"                           build` when on PATH, else `kubectl kustomize`\n"
	"  --flux-source [NS/]NAME  the GitRepository that is this repository, for the\n"
	"                           sourceRef of Flux Kustomizations; default\n"
	"                           flux-system/flux-system\n"
	"  --canary NS/NAME         the Canary to plan\n"
	"  --fail-at N              every check fails from tick N on (1-based); default: all pass\n"
	"  --min-interval DURATION  lower the 10s floor of analysis.interval (e.g. 1s)\n"
	"  --default-namespace NS   namespace of documents without one; default \"default\"\n"
	"  -v, --verbose            log debug lines too\n";

typedef struct plan_args {
	gc_cli_source_args src;
	const char *canary, *fail_at, *min_interval;
} plan_args;

static int parse_args(plan_args *a, int argc, char **argv, int *rc)
{
	const gc_cli_opt opts[] = {
		{ "canary", 0, GC_CLI_VALUE, &a->canary, 0 },
		{ "fail-at", 0, GC_CLI_VALUE, &a->fail_at, 0 },
		{ "min-interval", 0, GC_CLI_VALUE, &a->min_interval, 0 },
		{ NULL, 0, GC_CLI_VALUE, NULL, 0 }
	};

	if (gc_cli_parse_source(&a->src, "plan", usage_text, opts, argc, argv,
				rc) < 0)
		return -1;
	if (!a->canary) {
		*rc = gc_cli_usage("plan", "--canary NS/NAME is required");
		return -1;
	}
	return 0;
}

typedef struct plan {
	gc_canary_spec spec;
	char revision[GC_REVISION_MAX];
	int primary_replicas, hpa_min;
	long fail_at; /* 0 = never */
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

static void print_tick(int tick, const gc_machine_out *out, int replicas)
{
	printf("%-4d %-16s %-7d %-6d %-6s %-8d ", tick,
	       gc_phase_name(out->status.phase), out->routing.primary,
	       out->routing.canary, out->routing.mirror ? "on" : "off",
	       replicas);
	for (size_t i = 0; i < out->nevents; i++)
		printf("%s%s%s", i ? " | " : "",
		       out->events[i].type == GC_EVENT_WARNING ? "Warning: "
							       : "",
		       out->events[i].message);
	printf("\n");
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
	printf("TICK PHASE            PRIMARY CANARY MIRROR REPLICAS EVENTS\n");
	for (int tick = 1; tick <= PLAN_MAX_TICKS; tick++) {
		size_t n = 0;

		in.status = &st;
		in.canary_replicas = replicas;
		while (gc_machine_step(&out, &in, done, n) == GC_MACHINE_NEED) {
			done[n] = out.need;
			memset(&out.need, 0, sizeof(out.need));
			answer(&done[n++], p, tick);
		}
		for (size_t i = 0; i < n; i++)
			gc_check_batch_release(&done[i]);
		if (out.replicas == GC_REPLICAS_ZERO)
			replicas = 0;
		else if (out.replicas == GC_REPLICAS_SCALE)
			replicas = out.replica_count;
		print_tick(tick, &out, replicas);
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

/* Looks the Canary, its target and HPA up and fills the plan. */
static int prepare(plan *p, gc_index *idx, const plan_args *a,
		   const gc_canary_spec_opts *sopts, gc_error *err)
{
	char *ns = gc_xstrdup(a->canary), *name = strchr(ns, '/');
	const gc_object *c, *target, *hpa;
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
	p->primary_replicas =
		(int)gc_json_num(target->doc->root, "spec.replicas", 0);
	hpa_name = gc_json_str(c->doc->root, "spec.autoscalerRef.name");
	if (hpa_name && (hpa = gc_index_find(idx, "HorizontalPodAutoscaler",
					     c->namespace, hpa_name)))
		p->hpa_min =
			(int)gc_json_num(hpa->doc->root, "spec.minReplicas", 1);
cleanup:
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
	gc_source_opts opts = { NULL };
	gc_canary_spec_opts sopts = { 0 };
	gc_error err = GC_ERROR_INIT;
	gc_index *idx = NULL;
	plan p;
	char *end = NULL;
	int rc;

	memset(&p, 0, sizeof(p));
	if (parse_args(&a, argc, argv, &rc) < 0)
		return rc;
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
	if (gc_cli_load(&idx, &a.src, &opts, &err) < 0)
		return fail("", &err);
	if (prepare(&p, idx, &a, &sopts, &err) < 0) {
		rc = fail("", &err);
		goto cleanup;
	}
	rc = GC_EXIT_OK;
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
