#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "harness.h"
#include "repo-layout/kustomize.h"
#include "repo-layout/yaml.h"
#include "util/alloc.h"
#include "util/json.h"

/*
 * The kustomize tool the default command picks, or NULL: then every test
 * passes with a message (a machine without kustomize or kubectl).
 */
static const char *tool(void)
{
	if (gc_kustomize__on_path("kustomize"))
		return "kustomize build";
	if (gc_kustomize__on_path("kubectl") &&
	    gc_test_sh(NULL, NULL, "kubectl kustomize --help") == 0)
		return "kubectl kustomize";
	return NULL;
}

#define NEED_TOOL()                                                      \
	do {                                                             \
		if (!tool()) {                                           \
			printf("%s: skipped, no kustomize or kubectl\n", \
			       __func__);                                \
			return;                                          \
		}                                                        \
	} while (0)

typedef struct tfile {
	const char *path, *text;
} tfile;

/* Line numbers matter below: base/deployment.yaml line 18 is the name. */
static const tfile tree[] = {
	{ "base/kustomization.yaml",
	  "apiVersion: kustomize.config.k8s.io/v1beta1\n"
	  "kind: Kustomization\n"
	  "resources:\n"
	  "  - deployment.yaml\n"
	  "  - service.yaml\n" },
	{ "base/deployment.yaml",
	  "apiVersion: apps/v1\n"
	  "kind: Deployment\n"
	  "metadata:\n"
	  "  name: podinfo\n"
	  "  labels:\n"
	  "    app: podinfo\n"
	  "spec:\n"
	  "  replicas: 2\n"
	  "  selector:\n"
	  "    matchLabels:\n"
	  "      app: podinfo\n"
	  "  template:\n"
	  "    metadata:\n"
	  "      labels:\n"
	  "        app: podinfo\n"
	  "    spec:\n"
	  "      containers:\n"
	  "        - name: podinfo\n"
	  "          image: ghcr.io/stefanprodan/podinfo:6.0.0\n"
	  "          ports:\n"
	  "            - containerPort: 9898\n" },
	{ "base/service.yaml", "apiVersion: v1\n"
			       "kind: Service\n"
			       "metadata:\n"
			       "  name: podinfo\n"
			       "spec:\n"
			       "  selector:\n"
			       "    app: podinfo\n"
			       "  ports:\n"
			       "    - port: 9898\n" },
	{ "comp/kustomization.yaml",
	  "apiVersion: kustomize.config.k8s.io/v1alpha1\n"
	  "kind: Component\n"
	  "resources:\n"
	  "  - pdb.yaml\n"
	  "patches:\n"
	  "  - target:\n"
	  "      kind: Deployment\n"
	  "    patch: |-\n"
	  "      - op: add\n"
	  "        path: /spec/template/spec/nodeSelector\n"
	  "        value: {disk: ssd}\n" },
	{ "comp/pdb.yaml", "apiVersion: policy/v1\n"
			   "kind: PodDisruptionBudget\n"
			   "metadata:\n"
			   "  name: podinfo\n"
			   "spec:\n"
			   "  minAvailable: 1\n" },
	{ "overlay/extra.yaml", "apiVersion: v1\n"
				"kind: ConfigMap\n"
				"metadata:\n"
				"  name: extra\n"
				"data:\n"
				"  a: b\n" },
	{ "overlay/patch.yaml", "apiVersion: apps/v1\n"
				"kind: Deployment\n"
				"metadata:\n"
				"  name: podinfo\n"
				"spec:\n"
				"  template:\n"
				"    spec:\n"
				"      containers:\n"
				"        - name: podinfo\n"
				"          env:\n"
				"            - name: X\n"
				"              value: \"1\"\n" },
	{ "overlay/kustomization.yaml",
	  "apiVersion: kustomize.config.k8s.io/v1beta1\n"
	  "kind: Kustomization\n"
	  "namespace: prod\n"
	  "namePrefix: prod-\n"
	  "resources:\n"
	  "  - ../base\n"
	  "  - extra.yaml\n"
	  "components:\n"
	  "  - ../comp\n"
	  "patches:\n"
	  "  - path: patch.yaml\n"
	  "labels:\n"
	  "  - pairs:\n"
	  "      team: web\n"
	  "replicas:\n"
	  "  - name: podinfo\n"
	  "    count: 3\n"
	  "images:\n"
	  "  - name: ghcr.io/stefanprodan/podinfo\n"
	  "    newTag: 6.1.0\n"
	  "configMapGenerator:\n"
	  "  - name: cfg\n"
	  "    literals:\n"
	  "      - k=v\n" },
};

/* The tree as build inputs, with overlay/kustomization.yaml replaced. */
static gc_kfile *inputs(size_t *n, const char *overlay_kust)
{
	gc_kfile *f = gc_xcalloc(GC_ARRAY_SIZE(tree), sizeof(*f));

	for (size_t i = 0; i < GC_ARRAY_SIZE(tree); i++) {
		const char *t = tree[i].text;

		if (overlay_kust &&
		    !strcmp(tree[i].path, "overlay/kustomization.yaml"))
			t = overlay_kust;
		f[i] = (gc_kfile){ tree[i].path, t, strlen(t) };
	}
	*n = GC_ARRAY_SIZE(tree);
	return f;
}

static const gc_doc *find(const gc_doclist *l, const char *kind,
			  const char *name_prefix)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(gc_json_str(l->v[i]->root, "kind"), kind) &&
		    !strncmp(gc_json_str(l->v[i]->root, "metadata.name"),
			     name_prefix, strlen(name_prefix)))
			return l->v[i];
	return NULL;
}

static void assert_place(const gc_doc *doc, const char *node_path,
			 const cJSON *node, const char *path, unsigned line,
			 unsigned column)
{
	const char *got;
	gc_loc loc;

	gc_doc_place(doc, node ? node : gc_json_get(doc->root, node_path), &got,
		     &loc);
	ck_assert_msg(!strcmp(got, path) && loc.line == line &&
			      loc.column == column,
		      "%s: got %s:%u:%u, want %s:%u:%u", node_path, got,
		      loc.line, loc.column, path, line, column);
}

static int build(gc_doclist *docs, gc_problems *pr, const char *root,
		 const char *overlay_kust, const gc_kustomize_opts *o)
{
	gc_error err = GC_ERROR_INIT;
	size_t n;
	gc_kfile *f = inputs(&n, overlay_kust);
	int rc = gc_kustomize_build(o, root, f, n, docs, pr, &err);

	if (rc < 0)
		fprintf(stderr, "build: %s\n", gc_error_msg(&err));
	gc_error_release(&err);
	free(f);
	return rc;
}

static void dump_problems(const gc_problems *pr)
{
	for (size_t i = 0; i < pr->n; i++)
		fprintf(stderr, "problem: %s:%u:%u: %s\n", pr->v[i].path,
			pr->v[i].line, pr->v[i].column, pr->v[i].msg);
}

START_TEST(test_kustomize__builds_overlay_with_source_locations)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_problems pr = { NULL, 0, 0 };
	const gc_doc *dep, *cm, *gen, *svc, *pdb;
	const cJSON *c0;

	NEED_TOOL();
	ck_assert_int_eq(build(&docs, &pr, "overlay", NULL, NULL), 0);
	dump_problems(&pr);
	ck_assert_uint_eq(pr.n, 0);
	ck_assert_uint_eq(docs.n, 5);
	dep = find(&docs, "Deployment", "prod-podinfo");
	cm = find(&docs, "ConfigMap", "prod-extra");
	gen = find(&docs, "ConfigMap", "prod-cfg-");
	svc = find(&docs, "Service", "prod-podinfo");
	pdb = find(&docs, "PodDisruptionBudget", "prod-podinfo");
	ck_assert(dep && cm && gen && svc && pdb);
	for (size_t i = 0; i < docs.n; i++) {
		ck_assert_str_eq(gc_json_str(docs.v[i]->root,
					     "metadata.namespace"),
				 "prod");
		ck_assert_str_eq(docs.v[i]->via, "overlay/kustomization.yaml");
		ck_assert_ptr_null(
			gc_json_get(docs.v[i]->root, "metadata.annotations"));
		ck_assert_str_eq(gc_json_str(docs.v[i]->root,
					     "metadata.labels.team"),
				 "web");
	}
	/* the files that defined them */
	ck_assert_str_eq(dep->path, "base/deployment.yaml");
	ck_assert_str_eq(svc->path, "base/service.yaml");
	ck_assert_str_eq(pdb->path, "comp/pdb.yaml");
	ck_assert_str_eq(cm->path, "overlay/extra.yaml");
	ck_assert_str_eq(gen->path, "overlay/kustomization.yaml");
	/* what the transformers did */
	ck_assert_int_eq((int)gc_json_num(dep->root, "spec.replicas", 0), 3);
	c0 = gc_json_get(dep->root, "spec.template.spec.containers")->child;
	ck_assert_str_eq(gc_json_str(c0, "image"),
			 "ghcr.io/stefanprodan/podinfo:6.1.0");
	ck_assert_str_eq(gc_json_str(cJSON_GetArrayItem(gc_json_get(c0, "env"),
							0),
				     "name"),
			 "X");
	ck_assert_str_eq(gc_json_str(dep->root,
				     "spec.template.spec.nodeSelector.disk"),
			 "ssd");
	/* unchanged nodes keep their place in the base ... */
	assert_place(dep, "containers[0].name", gc_json_get(c0, "name"),
		     "base/deployment.yaml", 18, 17);
	assert_place(dep, "containers[0].ports", gc_json_get(c0, "ports"),
		     "base/deployment.yaml", 21, 13);
	assert_place(dep, "spec.selector.matchLabels.app", NULL,
		     "base/deployment.yaml", 11, 12);
	assert_place(dep, "metadata.labels.app", NULL, "base/deployment.yaml",
		     6, 10);
	assert_place(dep, "kind", NULL, "base/deployment.yaml", 2, 7);
	assert_place(svc, "spec.ports", NULL, "base/service.yaml", 9, 5);
	assert_place(pdb, "spec.minAvailable", NULL, "comp/pdb.yaml", 6, 17);
	assert_place(cm, "data.a", NULL, "overlay/extra.yaml", 6, 6);
	/* ... what a transformer set names the kustomization */
	assert_place(dep, "containers[0].image", gc_json_get(c0, "image"),
		     "overlay/kustomization.yaml", 1, 1);
	assert_place(dep, "spec.replicas", NULL, "overlay/kustomization.yaml",
		     1, 1);
	assert_place(dep, "metadata.name", NULL, "overlay/kustomization.yaml",
		     1, 1);
	assert_place(dep, "metadata.namespace", NULL,
		     "overlay/kustomization.yaml", 1, 1);
	assert_place(dep, "containers[0].env", gc_json_get(c0, "env"),
		     "overlay/kustomization.yaml", 1, 1);
	/* a generated object: its generator's entry */
	ck_assert_str_eq(gc_json_str(gen->root, "data.k"), "v");
	assert_place(gen, "root", gen->root, "overlay/kustomization.yaml", 22,
		     11);
	assert_place(gen, "data.k", NULL, "overlay/kustomization.yaml", 1, 1);
	gc_doclist_release(&docs);
	gc_problems_release(&pr);
}
END_TEST

/* Writes the tree (overlay kustomization replaced) under dir. */
static void write_tree(const char *dir, const char *overlay_kust)
{
	gc_error err = GC_ERROR_INIT;
	size_t n;
	gc_kfile *f = inputs(&n, overlay_kust);

	for (size_t i = 0; i < n; i++) {
		char *p = gc_xasprintf("%s/%s", dir, f[i].path);

		ck_assert_int_eq(gc_buf_write_file(p, f[i].data, f[i].len,
						   &err),
				 0);
		free(p);
	}
	free(f);
}

/* The docs as one YAML stream, by the same emitter. */
static char *emit_all(const gc_doclist *docs)
{
	const cJSON **roots = gc_xcalloc(docs->n + 1, sizeof(*roots));
	gc_buf out = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;

	for (size_t i = 0; i < docs->n; i++)
		roots[i] = docs->v[i]->root;
	ck_assert_int_eq(gc_yaml_emit(&out, roots, docs->n, &err), 0);
	free(roots);
	return gc_buf_detach(&out, NULL);
}

/* What the tool builds from a plain checkout of the same files. */
static char *plain_build(const char *overlay_kust)
{
	char *dir = gc_test_tmpdir(), *s;
	gc_buf out = GC_BUF_INIT;
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;

	write_tree(dir, overlay_kust);
	ck_assert_int_eq(gc_test_sh(&out, NULL, "%s '%s/overlay'", tool(), dir),
			 0);
	ck_assert_int_eq(gc_yaml_parse(&docs, "plain", out.ptr, out.len, &err),
			 0);
	s = emit_all(&docs);
	gc_doclist_release(&docs);
	gc_buf_release(&out);
	gc_test_rmrf(dir);
	free(dir);
	return s;
}

static const char *const equal_cases[] = {
	NULL, /* the tree's own overlay */
	/* asks for origins itself: kept, as in the plain build */
	"resources:\n  - ../base\nbuildMetadata: [originAnnotations]\n",
	/* another buildMetadata list, in block style */
	"namePrefix: x-\nresources: [../base]\nbuildMetadata:\n  - managedByLabel\n",
	/* flow style, with a document marker and a comment */
	"---\n# flow\n{resources: [../base], images: [{name: ghcr.io/stefanprodan/podinfo, newTag: \"1.10\"}]}\n",
};

START_TEST(test_kustomize__equals_plain_build)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_problems pr = { NULL, 0, 0 };
	char *got, *want;

	NEED_TOOL();
	ck_assert_int_eq(build(&docs, &pr, "overlay", equal_cases[_i], NULL),
			 0);
	dump_problems(&pr);
	ck_assert_uint_eq(pr.n, 0);
	ck_assert_uint_gt(docs.n, 0);
	got = emit_all(&docs);
	want = plain_build(equal_cases[_i]);
	ck_assert_str_eq(got, want);
	/* origins were asked for and found, whatever the root's style */
	ck_assert_str_eq(find(&docs, "Deployment", "")->path,
			 "base/deployment.yaml");
	if (_i == 3)
		ck_assert_ptr_nonnull(strstr(got, "podinfo:1.10\n"));
	free(got);
	free(want);
	gc_doclist_release(&docs);
	gc_problems_release(&pr);
}
END_TEST

static const struct {
	const char *kust, *entry;
	unsigned line, column;
	const char *what;
} remote[] = {
	{ "resources:\n  - ../base\n  - github.com/org/repo//deploy?ref=v1\n",
	  "github.com/org/repo//deploy?ref=v1", 3, 5, "remote resources" },
	{ "resources:\n- https://raw.example.com/x.yaml\n",
	  "https://raw.example.com/x.yaml", 2, 3, "remote resources" },
	{ "components: [git@github.com:org/repo.git]\n",
	  "git@github.com:org/repo.git", 1, 14, "remote components" },
	{ "resources:\n  - ../../../../etc\n", "../../../../etc", 2, 5,
	  "resources '../../../../etc' is outside the repository" },
};

START_TEST(test_kustomize__refuses_remote_resources_without_running)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_problems pr = { NULL, 0, 0 };
	/* if anything ran, this would be a "cannot run" problem */
	gc_kustomize_opts o = { "/nonexistent/kustomize build", 0, 0 };

	ck_assert_int_eq(build(&docs, &pr, "overlay", remote[_i].kust, &o), 0);
	dump_problems(&pr);
	ck_assert_uint_eq(docs.n, 0);
	ck_assert_uint_eq(pr.n, 1);
	ck_assert_str_eq(pr.v[0].path, "overlay/kustomization.yaml");
	ck_assert_uint_eq(pr.v[0].line, remote[_i].line);
	ck_assert_uint_eq(pr.v[0].column, remote[_i].column);
	ck_assert_ptr_nonnull(strstr(pr.v[0].msg, remote[_i].what));
	ck_assert_ptr_nonnull(strstr(pr.v[0].msg, remote[_i].entry));
	gc_problems_release(&pr);
}
END_TEST

static const struct {
	const char *kust;
	unsigned line, column;
	const char *msg;
} broken[] = {
	{ "resources:\n  - ../base\nbogusField: 1\n", 3, 1,
	  "kustomize build failed: invalid Kustomization: json: unknown field \"bogusField\"" },
	{ "resources:\n  - ../base\n  - missing.yaml\n", 3, 5,
	  "kustomize build failed: accumulating resources: accumulation err='accumulating resources from 'missing.yaml': evalsymlink failure on 'overlay/missing.yaml' : lstat overlay/missing.yaml: no such file or directory': must build at directory: not a valid directory: evalsymlink failure on 'overlay/missing.yaml' : lstat overlay/missing.yaml: no such file or directory" },
	{ "resources: [../base\n", 1, 20, "did not find expected" },
};

START_TEST(test_kustomize__broken_kustomization_is_one_located_problem)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_problems pr = { NULL, 0, 0 };

	NEED_TOOL();
	ck_assert_int_eq(build(&docs, &pr, "overlay", broken[_i].kust, NULL),
			 0);
	dump_problems(&pr);
	ck_assert_uint_eq(docs.n, 0);
	ck_assert_uint_eq(pr.n, 1);
	ck_assert_str_eq(pr.v[0].path, "overlay/kustomization.yaml");
	ck_assert_uint_eq(pr.v[0].line, broken[_i].line);
	ck_assert_uint_eq(pr.v[0].column, broken[_i].column);
	ck_assert_msg(strstr(pr.v[0].msg, broken[_i].msg), "%s", pr.v[0].msg);
	ck_assert_ptr_null(strstr(pr.v[0].msg, "gc-kbuild"));
	ck_assert_ptr_null(strchr(pr.v[0].msg, '\n'));
	gc_problems_release(&pr);
}
END_TEST

/* A script standing in for the tool; owned path under dir. */
static char *script(const char *dir, const char *body)
{
	char *p = gc_xasprintf("%s/tool.sh", dir);
	char *text = gc_xasprintf("#!/bin/sh\n%s\n", body);
	gc_error err = GC_ERROR_INIT;

	ck_assert_int_eq(gc_buf_write_file(p, text, strlen(text), &err), 0);
	ck_assert_int_eq(chmod(p, 0755), 0);
	free(text);
	return p;
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct {
	const char *body;
	unsigned timeout_ms;
	size_t cap;
	const char *msg; /* NULL: builds */
} runs[] = {
	{ "sleep 30", 300, 0, "kustomize build timed out after 300 ms" },
	{ "yes 'a: b'", 0, 1000,
	  "kustomize build output is larger than 1000 bytes" },
	{ "echo 'Error: nope' >&2; echo \"\tat $1\" >&2; exit 3", 0, 0,
	  "kustomize build failed: nope" },
	{ "exit 4", 0, 0, "kustomize build failed: exit status 4" },
	{ "echo 'kind: [' ", 0, 0,
	  "kustomize build failed: output does not parse" },
	{ "echo 'just text'", 0, 0,
	  "kustomize build failed: output does not parse: output document 1 is not an object" },
	/* a child left behind holding the pipes: killed, not waited for */
	{ "sleep 30 & printf 'kind: ConfigMap\\nmetadata: {name: x}\\n'", 3000,
	  0, NULL },
};

START_TEST(test_kustomize__timeout_cap_and_failures_are_problems)
{
	char *dir = gc_test_tmpdir(), *tmp = gc_test_tmpdir();
	char *cmd = script(dir, runs[_i].body);
	gc_kustomize_opts o = { cmd, runs[_i].timeout_ms, runs[_i].cap };
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_problems pr = { NULL, 0, 0 };
	gc_buf ls = GC_BUF_INIT;
	long long t0 = ms_now();
	char *old = getenv("TMPDIR") ? gc_xstrdup(getenv("TMPDIR")) : NULL;

	setenv("TMPDIR", tmp, 1);
	ck_assert_int_eq(build(&docs, &pr, "overlay", NULL, &o), 0);
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	ck_assert_int_lt(ms_now() - t0, 2500);
	dump_problems(&pr);
	if (runs[_i].msg) {
		ck_assert_uint_eq(pr.n, 1);
		ck_assert_uint_eq(docs.n, 0);
		ck_assert_str_eq(pr.v[0].path, "overlay/kustomization.yaml");
		ck_assert_msg(!strncmp(pr.v[0].msg, runs[_i].msg,
				       strlen(runs[_i].msg)),
			      "%s", pr.v[0].msg);
	} else {
		ck_assert_uint_eq(pr.n, 0);
		ck_assert_uint_eq(docs.n, 1);
		ck_assert_str_eq(docs.v[0]->path, "overlay/kustomization.yaml");
	}
	/* the temporary directory is gone */
	ck_assert_int_eq(gc_test_sh(&ls, NULL, "ls -A '%s'", tmp), 0);
	ck_assert_str_eq(ls.ptr, "");
	gc_buf_release(&ls);
	gc_doclist_release(&docs);
	gc_problems_release(&pr);
	gc_test_rmrf(dir);
	gc_test_rmrf(tmp);
	free(dir);
	free(tmp);
	free(cmd);
	free(old);
}
END_TEST

/* Output larger than one manifest file may be, one document at a time. */
START_TEST(test_kustomize__reads_large_output)
{
	char *dir = gc_test_tmpdir();
	char *cmd = script(
		dir,
		"seq 1 40000 | awk '{printf \"apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: c%d\\ndata:\\n  k: \\\"%0200d\\\"\\n---\\n\", $1, 0}'");
	gc_kustomize_opts o = { cmd, 0, 0 };
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_problems pr = { NULL, 0, 0 };

	ck_assert_int_eq(build(&docs, &pr, "overlay", NULL, &o), 0);
	dump_problems(&pr);
	ck_assert_uint_eq(pr.n, 0);
	ck_assert_uint_eq(docs.n, 40000);
	ck_assert_str_eq(gc_json_str(docs.v[39999]->root, "metadata.name"),
			 "c40000");
	ck_assert_uint_eq(docs.v[39999]->index, 39999);
	gc_doclist_release(&docs);
	gc_test_rmrf(dir);
	free(dir);
	free(cmd);
}
END_TEST

/* The environment the tool sees: no network, nothing else leaked. */
START_TEST(test_kustomize__tool_runs_without_network)
{
	char *dir = gc_test_tmpdir();
	char *cmd = script(dir, "env | sort >&2; exit 1");
	gc_kustomize_opts o = { cmd, 0, 0 };
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_problems pr = { NULL, 0, 0 };

	setenv("GC_SECRET_TOKEN", "x", 1);
	ck_assert_int_eq(build(&docs, &pr, "overlay", NULL, &o), 0);
	ck_assert_uint_eq(pr.n, 1);
	/* the first line of sorted env: ALL_PROXY */
	ck_assert_str_eq(
		pr.v[0].msg,
		"kustomize build failed: ALL_PROXY=http://127.0.0.1:9");
	gc_problems_release(&pr);
	free(cmd);
	cmd = script(
		dir,
		"env | grep -c -e SECRET -e '^https_proxy=http://127.0.0.1:9$' -e '^NO_PROXY=$' -e '^GIT_ALLOW_PROTOCOL=none$' >&2; exit 1");
	o.command = cmd;
	ck_assert_int_eq(build(&docs, &pr, "overlay", NULL, &o), 0);
	ck_assert_str_eq(pr.v[0].msg, "kustomize build failed: 3");
	gc_problems_release(&pr);
	unsetenv("GC_SECRET_TOKEN");
	gc_test_rmrf(dir);
	free(dir);
	free(cmd);
}
END_TEST

/* A root at the repository root, and a command that does not exist. */
START_TEST(test_kustomize__root_dir_and_missing_command)
{
	static const char kust[] = "resources:\n  - app.yaml\n";
	static const char app[] =
		"kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: app\n";
	gc_kfile f[] = { { "kustomization.yaml", kust, sizeof(kust) - 1 },
			 { "app.yaml", app, sizeof(app) - 1 } };
	gc_kustomize_opts bad = { "/nonexistent/tool build", 0, 0 };
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_problems pr = { NULL, 0, 0 };
	gc_error err = GC_ERROR_INIT;

	ck_assert_int_eq(gc_kustomize_build(&bad, ".", f, 2, &docs, &pr, &err),
			 0);
	ck_assert_uint_eq(pr.n, 1);
	ck_assert_str_eq(pr.v[0].path, "kustomization.yaml");
	ck_assert_str_eq(
		pr.v[0].msg,
		"kustomize build failed: cannot run '/nonexistent/tool': No such file or directory");
	gc_problems_release(&pr);
	ck_assert_int_eq(gc_kustomize_build(NULL, "../x", f, 2, &docs, &pr,
					    &err),
			 GC_EINVALID);
	gc_error_release(&err);
	ck_assert_int_eq(gc_kustomize_build(NULL, "app", f, 2, &docs, &pr,
					    &err),
			 GC_EINVALID);
	gc_error_release(&err);
	if (!tool())
		return;
	ck_assert_int_eq(gc_kustomize_build(NULL, "", f, 2, &docs, &pr, &err),
			 0);
	ck_assert_uint_eq(pr.n, 0);
	ck_assert_uint_eq(docs.n, 1);
	ck_assert_str_eq(docs.v[0]->path, "app.yaml");
	assert_place(docs.v[0], "metadata.name", NULL, "app.yaml", 4, 9);
	gc_doclist_release(&docs);
}
END_TEST

static Suite *gc_suite_kustomize(void)
{
	Suite *s = suite_create("kustomize");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc,
		       test_kustomize__builds_overlay_with_source_locations);
	tcase_add_loop_test(tc, test_kustomize__equals_plain_build, 0,
			    GC_ARRAY_SIZE(equal_cases));
	tcase_add_loop_test(
		tc, test_kustomize__refuses_remote_resources_without_running, 0,
		GC_ARRAY_SIZE(remote));
	tcase_add_loop_test(
		tc, test_kustomize__broken_kustomization_is_one_located_problem,
		0, GC_ARRAY_SIZE(broken));
	tcase_add_loop_test(
		tc, test_kustomize__timeout_cap_and_failures_are_problems, 0,
		GC_ARRAY_SIZE(runs));
	tcase_add_test(tc, test_kustomize__reads_large_output);
	tcase_add_test(tc, test_kustomize__tool_runs_without_network);
	tcase_add_test(tc, test_kustomize__root_dir_and_missing_command);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_kustomize)
