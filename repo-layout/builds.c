/*
 * Running a plan's kustomize builds. kubectl kustomize costs about 0.2 s
 * to start and grows faster than linearly with what it builds, so a
 * thousand small overlays are neither one run nor a thousand: they go
 * into runs of up to GC_BUILDS_BATCH builds, spread over the cores.
 *
 * A run builds a synthetic kustomization (.gitcanary-batch/) whose
 * resources are one wrapper per build (<dir>/.gitcanary-build/: the
 * build's directory, its namespace from above if any, and a label naming
 * the build on metadata.labels only). Each object goes back to its build
 * by that label, which is then removed: the objects equal those of a run
 * of the build alone. A run that fails is run again build by build.
 */
#define _GNU_SOURCE /* memmem */
#include "builds.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kustomize.h"
#include "util/alloc.h"
#include "util/common.h"
#include "util/json.h"
#include "yaml.h"

#define BUILD_LABEL "gitcanary.internal/build"
#define WRAP_DIR ".gitcanary-build"
#define BATCH_DIR ".gitcanary-batch"

/* One build, prepared on the main thread. */
typedef struct prep {
	const gc_plan_build *b;
	gc_kfile *in; /* its inputs, Flux's kustomization in place */
	size_t nin;
	gc_buf flux_kust; /* Flux's kustomization bytes */
	bool ready;       /* false: nothing to run (broken; Flux problems) */
} prep;

/* One kustomize run: one build, or a batch of them. */
typedef struct job {
	size_t *members; /* indexes of preps */
	size_t n;
	const char *root;
	gc_kfile *in;
	size_t nin;
	gc_buf batch;  /* the batch kustomization */
	bool prefixed; /* the repository is under REPO_DIR */
	char **strs;   /* owned: paths and bytes the inputs point at */
	size_t nstrs;
	gc_doclist docs;
	gc_problems problems;
	gc_error err;
	int error;
} job;

static void kfile_add(gc_kfile **v, size_t *n, const char *path,
		      const char *data, size_t len)
{
	*v = gc_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = (gc_kfile){ path, data ? data : "", len };
}

/* ---- Flux ---- */

typedef struct lookup_ctx {
	const gc_builds_env *env;
	gc_doclist docs; /* parsed while looking */
} lookup_ctx;

static bool doc_is(const cJSON *r, const char *kind, const char *ns,
		   const char *name)
{
	const char *k = gc_json_str(r, "kind"),
		   *n = gc_json_str(r, "metadata.name"),
		   *s = gc_json_str(r, "metadata.namespace");

	return k && n && !strcmp(k, kind) && !strcmp(n, name) &&
	       (!s || !*s || !strcmp(s, ns));
}

/* A substituteFrom source: a ConfigMap or Secret of the source. */
static const cJSON *lookup_config(const char *kind, const char *ns,
				  const char *name, void *payload)
{
	lookup_ctx *c = payload;
	const gc_src_tree *t = c->env->tree;
	gc_error err = GC_ERROR_INIT;
	const cJSON *found = NULL;

	for (size_t i = 0; !found && i < t->n; i++) {
		const gc_src_file *f = t->v[i];
		const gc_buf *b;
		size_t first = c->docs.n;

		if ((f->flags & (GC_SRC_CONFIG | GC_SRC_MANIFEST)) !=
			    (GC_SRC_CONFIG | GC_SRC_MANIFEST) ||
		    c->env->read(&b, f->path, c->env->payload, &err) < 0 ||
		    !b->len || !memmem(b->ptr, b->len, name, strlen(name)) ||
		    gc_yaml_parse(&c->docs, f->path, b->ptr, b->len, &err) <
			    0) {
			gc_error_clear(&err);
			continue;
		}
		for (size_t j = first; !found && j < c->docs.n; j++)
			if (doc_is(c->docs.v[j]->root, kind, ns, name))
				found = c->docs.v[j]->root;
	}
	gc_error_release(&err);
	return found;
}

static bool tree_exists(const char *path, void *payload)
{
	return gc_src_tree_exists(payload, path);
}

/* postBuild and commonMetadata on every object; false: none kept. */
static bool flux_post_build(const gc_builds_env *env, const gc_plan_build *b,
			    gc_doclist *docs, gc_problems *problems)
{
	lookup_ctx c = { env, GC_DOCLIST_INIT };
	gc_map vars = GC_MAP_INIT;
	bool ok =
		gc_flux_vars(&vars, b->flux, lookup_config, &c, problems) == 0;

	for (size_t i = 0; ok && i < docs->n; i++)
		ok = gc_flux_post_build(b->flux, &vars, docs->v[i]->root,
					docs->v[i], problems) == 0;
	gc_flux_vars_release(&vars);
	gc_doclist_release(&c.docs);
	return ok;
}

/* ---- preparing ---- */

/*
 * The inputs of b, Flux's kustomization in place of (or beside) its own;
 * p->ready false when there is nothing to run.
 */
static int prepare(prep *p, const gc_plan_build *b, gc_build_out *out,
		   const gc_builds_env *env, gc_error *err)
{
	const gc_buf *data, *kb = NULL;
	size_t i;
	int error;

	p->b = b;
	if (b->broken) /* the plan says why */
		return 0;
	for (i = 0; i < b->ninputs; i++) {
		if ((error = env->read(&data, b->inputs[i], env->payload,
				       err)) < 0)
			return error;
		kfile_add(&p->in, &p->nin, b->inputs[i], data->ptr, data->len);
	}
	if (b->flux) {
		if (gc_src_tree_get(env->tree, b->kust) &&
		    (error = env->read(&kb, b->kust, env->payload, err)) < 0)
			return error;
		if (gc_flux_kustomization(b->flux, kb ? kb->ptr : NULL,
					  kb ? kb->len : 0,
					  (const char *const *)b->resources,
					  b->nresources, tree_exists,
					  GC_UNCONST(env->tree), &p->flux_kust,
					  &out->problems) < 0)
			return 0;
		for (i = 0; i < p->nin && strcmp(p->in[i].path, b->kust); i++)
			;
		if (i == p->nin)
			kfile_add(&p->in, &p->nin, b->kust, NULL, 0);
		p->in[i].data = p->flux_kust.ptr ? p->flux_kust.ptr : "";
		p->in[i].len = p->flux_kust.len;
	}
	p->ready = true;
	return 0;
}

/*
 * A run with wrappers puts the repository under REPO_DIR: kustomize
 * refuses a kustomization that includes a directory above it ("cycle
 * detected"), so wrappers live beside the repository, not in it.
 */
#define REPO_DIR "r"

static const char *job_str(job *j, char *s)
{
	j->strs = gc_xrealloc(j->strs, (j->nstrs + 1) * sizeof(*j->strs));
	j->strs[j->nstrs++] = s;
	return s;
}

/* p's inputs into j, under REPO_DIR when prefixed. */
static void add_inputs(job *j, const prep *p, bool prefixed, const gc_map *only)
{
	for (size_t k = 0; k < p->nin; k++) {
		const gc_kfile *f = &p->in[k];

		if (only && gc_map_gets(only, f->path) != f)
			continue;
		kfile_add(&j->in, &j->nin,
			  prefixed ? job_str(j, gc_xasprintf(REPO_DIR "/%s",
							     f->path))
				   : f->path,
			  f->data, f->len);
	}
}

/*
 * The wrapper of preps[k] (WRAP_DIR/<k>): its directory, its namespace
 * from above, and in a batch the label that tells its objects back.
 */
static void add_wrapper(job *j, const prep *p, size_t k, long label)
{
	const gc_plan_build *b = p->b;
	gc_buf w = GC_BUF_INIT;

	gc_buf_adds(&w, "apiVersion: kustomize.config.k8s.io/v1beta1\n"
			"kind: Kustomization\n");
	if (b->wrap_namespace)
		gc_buf_addf(&w, "namespace: %s\n", b->wrap_namespace);
	gc_buf_addf(&w, "resources:\n- ../../" REPO_DIR "%s%s\n",
		    *b->dir ? "/" : "", b->dir);
	if (label >= 0)
		gc_buf_addf(&w,
			    "labels:\n- pairs:\n    " BUILD_LABEL ": \"%ld\"\n",
			    label);
	kfile_add(&j->in, &j->nin,
		  job_str(j,
			  gc_xasprintf(WRAP_DIR "/%zu/kustomization.yaml", k)),
		  job_str(j, gc_buf_detach(&w, NULL)), 0);
	j->in[j->nin - 1].len = strlen(j->in[j->nin - 1].data);
}

/* ---- jobs ---- */

static void job_init(job *j)
{
	memset(j, 0, sizeof(*j));
	j->err = (gc_error)GC_ERROR_INIT;
}

static void job_single(job *j, prep *p, size_t k)
{
	job_init(j);
	j->members = gc_xcalloc(1, sizeof(*j->members));
	j->members[j->n++] = k;
	j->prefixed = p->b->wrap_namespace != NULL;
	add_inputs(j, p, j->prefixed, NULL);
	if (!j->prefixed) {
		j->root = p->b->dir;
		return;
	}
	add_wrapper(j, p, k, -1);
	j->root = job_str(j, gc_xasprintf(WRAP_DIR "/%zu", k));
}

/* Whether p can join a batch whose files are `files`. */
static bool fits(const prep *p, const gc_map *files, const gc_map *dirs)
{
	const gc_kfile *have;

	if (gc_map_gets(dirs, p->b->dir))
		return false;
	for (size_t k = 0; k < p->nin; k++)
		if ((have = gc_map_gets(files, p->in[k].path)) &&
		    have->data != p->in[k].data)
			return false;
	return true;
}

/* The batch kustomization of j's members, and their files once each. */
static void job_batch(job *j, prep *preps, const gc_map *files)
{
	gc_buf_adds(&j->batch, "apiVersion: kustomize.config.k8s.io/v1beta1\n"
			       "kind: Kustomization\nresources:\n");
	j->prefixed = true;
	for (size_t m = 0; m < j->n; m++) {
		size_t k = j->members[m];

		add_wrapper(j, &preps[k], k, (long)m);
		add_inputs(j, &preps[k], true, files);
		gc_buf_addf(&j->batch, "- ../" WRAP_DIR "/%zu\n", k);
	}
	kfile_add(&j->in, &j->nin, BATCH_DIR "/kustomization.yaml",
		  j->batch.ptr, j->batch.len);
	j->root = BATCH_DIR;
}

/*
 * Batches of the ready preps, each prep in one; a prep that fits no
 * batch of two or more runs alone.
 */
static size_t make_jobs(job **out, prep *preps, size_t n)
{
	bool *done = gc_xcalloc(n + 1, sizeof(*done));
	job *jobs = NULL;
	size_t njobs = 0;

	for (size_t i = 0; i < n; i++) {
		gc_map files = GC_MAP_INIT, dirs = GC_MAP_INIT;
		size_t members[GC_BUILDS_BATCH], nm = 0;
		job *j;

		if (done[i] || !preps[i].ready)
			continue;
		for (size_t k = i; k < n && nm < GC_BUILDS_BATCH; k++) {
			prep *p = &preps[k];

			if (done[k] || !p->ready || !fits(p, &files, &dirs))
				continue;
			done[k] = true;
			members[nm++] = k;
			gc_map_sets(&dirs, p->b->dir, (void *)1);
			for (size_t f = 0; f < p->nin; f++)
				if (!gc_map_gets(&files, p->in[f].path))
					gc_map_sets(&files, p->in[f].path,
						    &p->in[f]);
		}
		jobs = gc_xrealloc(jobs, (njobs + 1) * sizeof(*jobs));
		j = &jobs[njobs++];
		if (nm == 1) {
			job_single(j, &preps[members[0]], members[0]);
		} else {
			job_init(j);
			j->members = gc_xcalloc(nm, sizeof(*j->members));
			memcpy(j->members, members, nm * sizeof(*members));
			j->n = nm;
			job_batch(j, preps, &files);
		}
		gc_map_release(&files);
		gc_map_release(&dirs);
	}
	free(done);
	*out = jobs;
	return njobs;
}

typedef struct pool {
	job *jobs;
	size_t n, next;
	const gc_kustomize_opts *kopts;
	pthread_mutex_t lock;
} pool;

static void *worker(void *arg)
{
	pool *pl = arg;

	for (;;) {
		job *j;

		pthread_mutex_lock(&pl->lock);
		j = pl->next < pl->n ? &pl->jobs[pl->next++] : NULL;
		pthread_mutex_unlock(&pl->lock);
		if (!j)
			return NULL;
		j->error = gc_kustomize_build(pl->kopts, j->root, j->in, j->nin,
					      &j->docs, &j->problems, &j->err);
	}
}

/* Runs the jobs, as many at once as there are cores. */
static void run_jobs(job *jobs, size_t n, const gc_kustomize_opts *kopts)
{
	pool pl = { jobs, n, 0, kopts, PTHREAD_MUTEX_INITIALIZER };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nthreads = ncpu > 1 ? (size_t)ncpu : 1, started = 0;
	pthread_t threads[16];

	if (nthreads > n)
		nthreads = n;
	if (nthreads > 16)
		nthreads = 16;
	for (size_t i = 1; i < nthreads; i++)
		if (pthread_create(&threads[started], NULL, worker, &pl) == 0)
			started++;
	worker(&pl);
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
}

/* ---- results ---- */

/* The build a batch's object came from (its label, removed), or -1. */
static long take_label(cJSON *root, size_t nmembers)
{
	cJSON *labels = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(root, "metadata"), "labels");
	cJSON *l = cJSON_GetObjectItemCaseSensitive(labels, BUILD_LABEL);
	char *end;
	long m;

	if (!cJSON_IsString(l))
		return -1;
	m = strtol(l->valuestring, &end, 10);
	if (*end || m < 0 || (size_t)m >= nmembers)
		return -1;
	cJSON_DeleteItemFromObjectCaseSensitive(labels, BUILD_LABEL);
	if (!labels->child)
		cJSON_DeleteItemFromObjectCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(root, "metadata"),
			"labels");
	return m;
}

static void job_unprefix(job *j);

/* Moves a batch's objects to their builds; false: it cannot be split. */
static bool split(job *j, gc_build_out *out)
{
	long *to = gc_xcalloc(j->docs.n + 1, sizeof(*to));
	bool ok = !j->error && !j->problems.n && j->docs.n;

	job_unprefix(j);
	for (size_t d = 0; ok && d < j->docs.n; d++)
		ok = (to[d] = take_label(j->docs.v[d]->root, j->n)) >= 0;
	for (size_t d = 0; ok && d < j->docs.n; d++) {
		gc_doclist_push(&out[j->members[to[d]]].docs, j->docs.v[d]);
		j->docs.v[d] = NULL;
	}
	free(to);
	return ok;
}

static void job_release(job *j)
{
	for (size_t i = 0; i < j->nstrs; i++)
		free(j->strs[i]);
	free(j->strs);
	free(j->members);
	free(j->in);
	gc_buf_release(&j->batch);
	gc_doclist_release(&j->docs);
	gc_problems_release(&j->problems);
	gc_error_release(&j->err);
}

static void unprefix(char *path)
{
	size_t n = strlen(REPO_DIR "/");

	if (path && !strncmp(path, REPO_DIR "/", n))
		memmove(path, path + n, strlen(path + n) + 1);
}

/*
 * The tool's message with the repository's paths: the wrapper's
 * "../../r/dir" and every quoted or spaced "r/..." lose REPO_DIR.
 */
static void unprefix_msg(char *msg)
{
	static const char *const from[] = { "../../" REPO_DIR "/",
					    "'" REPO_DIR "/",
					    " " REPO_DIR "/" };
	char *p;

	for (size_t i = 0; i < sizeof(from) / sizeof(*from); i++) {
		size_t n = strlen(from[i]), keep = i ? 1 : 0;

		while ((p = strstr(msg, from[i])))
			memmove(p + keep, p + n, strlen(p + n) + 1);
	}
}

/* Paths of a run with wrappers back to the repository's. */
static void job_unprefix(job *j)
{
	if (!j->prefixed)
		return;
	for (size_t d = 0; d < j->docs.n; d++)
		unprefix(j->docs.v[d]->path);
	for (size_t k = 0; k < j->problems.n; k++) {
		unprefix(j->problems.v[k].path);
		unprefix_msg(j->problems.v[k].msg);
	}
}

/*
 * A single build's result to its output: its kustomization, not the
 * wrapper, is where problems point.
 */
static void finish_single(job *j, prep *p, gc_build_out *o)
{
	job_unprefix(j);
	for (size_t k = 0; k < j->problems.n; k++) {
		gc_problem *pr = &j->problems.v[k];
		bool wrapper = !strncmp(pr->path, WRAP_DIR "/", 17);

		gc_problems_add(&o->problems, wrapper ? p->b->kust : pr->path,
				wrapper ? 1 : pr->line,
				wrapper ? 1 : pr->column, "%s", pr->msg);
	}
	for (size_t d = 0; d < j->docs.n; d++) {
		gc_doclist_push(&o->docs, j->docs.v[d]);
		j->docs.v[d] = NULL;
	}
}

static void finish(const gc_builds_env *env, prep *p, gc_build_out *o)
{
	for (size_t d = 0; d < o->docs.n; d++) {
		free(o->docs.v[d]->via);
		o->docs.v[d]->via = gc_xstrdup(p->b->kust);
	}
	/* a half-substituted object is never applied */
	if (p->b->flux && o->docs.n &&
	    !flux_post_build(env, p->b, &o->docs, &o->problems))
		gc_doclist_release(&o->docs);
}

int gc_builds_run(const gc_plan_build *const *v, size_t n, gc_build_out *out,
		  const gc_builds_env *env, gc_error *err)
{
	gc_kustomize_opts kopts = { env->kustomize_command, 0, 0 };
	prep *preps = gc_xcalloc(n + 1, sizeof(*preps));
	job *jobs = NULL, *again = NULL;
	size_t njobs = 0, nagain = 0;
	int error = 0;

	for (size_t i = 0; error == 0 && i < n; i++)
		error = prepare(&preps[i], v[i], &out[i], env, err);
	if (error < 0)
		goto cleanup;
	njobs = make_jobs(&jobs, preps, n);
	run_jobs(jobs, njobs, &kopts);
	/* batches that failed: each of their builds alone */
	for (size_t i = 0; i < njobs; i++) {
		job *j = &jobs[i];

		if (!j->batch.len || split(j, out))
			continue;
		again = gc_xrealloc(again, (nagain + j->n) * sizeof(*again));
		for (size_t m = 0; m < j->n; m++)
			job_single(&again[nagain++], &preps[j->members[m]],
				   j->members[m]);
	}
	run_jobs(again, nagain, &kopts);
	for (size_t pass = 0; pass < 2 && error == 0; pass++) {
		job *js = pass ? again : jobs;
		size_t nj = pass ? nagain : njobs;

		for (size_t i = 0; error == 0 && i < nj; i++) {
			job *j = &js[i];

			if (j->batch.len)
				continue;
			if (j->error < 0) {
				error = gc_error_set(err, j->error, "%s",
						     gc_error_msg(&j->err));
				break;
			}
			finish_single(j, &preps[j->members[0]],
				      &out[j->members[0]]);
		}
	}
	for (size_t i = 0; error == 0 && i < n; i++)
		if (preps[i].ready)
			finish(env, &preps[i], &out[i]);
cleanup:
	for (size_t i = 0; i < njobs; i++)
		job_release(&jobs[i]);
	for (size_t i = 0; i < nagain; i++)
		job_release(&again[i]);
	free(jobs);
	free(again);
	for (size_t i = 0; i < n; i++) {
		free(preps[i].in);
		gc_buf_release(&preps[i].flux_kust);
	}
	free(preps);
	return error;
}

void gc_build_out_release(gc_build_out *o)
{
	gc_doclist_release(&o->docs);
	gc_problems_release(&o->problems);
}
