#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "repo-layout/envsubst.h"
#include "repo-layout/flux.h"
#include "repo-layout/yaml.h"
#include "util/alloc.h"
#include "util/json.h"

/* ---- helpers ---- */

static gc_doclist parse(const char *path, const char *src)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;

	ck_assert_msg(gc_yaml_parse(&docs, path, src, strlen(src), &err) == 0,
		      "%s", err.msg ? err.msg : "");
	return docs;
}

/* "path:line:column: message" of problem i. */
static char *problem_str(const gc_problems *p, size_t i)
{
	return gc_xasprintf("%s:%u:%u: %s", p->v[i].path, p->v[i].line,
			    p->v[i].column, p->v[i].msg);
}

static void assert_problem(const gc_problems *p, size_t i, const char *want,
			   bool warning)
{
	char *got;

	ck_assert_msg(i < p->n, "only %zu problems", p->n);
	got = problem_str(p, i);
	ck_assert_str_eq(got, want);
	ck_assert(p->v[i].warning == warning);
	free(got);
}

static const char ks_head[] = "apiVersion: kustomize.toolkit.fluxcd.io/v1\n"
			      "kind: Kustomization\n"
			      "metadata:\n"
			      "  name: apps\n"
			      "  namespace: flux-system\n"
			      "spec:\n"
			      "  interval: 10m\n"
			      "  prune: true\n"
			      "  sourceRef:\n"
			      "    kind: GitRepository\n"
			      "    name: flux-system\n";

/* Parses ks_head + rest as clusters/ks.yaml into *ks; docs keeps it. */
static int parse_ks(gc_flux_ks *ks, gc_doclist *docs, const char *rest,
		    gc_problems *p)
{
	char *src = gc_xasprintf("%s%s", ks_head, rest);

	*docs = parse("clusters/ks.yaml", src);
	free(src);
	return gc_flux_ks_parse(ks, docs->v[0], "flux-system", p);
}

/* ---- envsubst ---- */

static bool env_lookup(const char *name, size_t len, const char **value,
		       void *payload)
{
	static const char *const vars[][2] = {
		{ "A", "hello" },
		{ "E", "" },
		{ "N", "3" },
		{ "P", "a/b/c.yaml" },
		/* fluxcd/pkg envsubst/eval_test.go's values */
		{ "var01", "abcdEFGH28ij" },
		{ "path_name", "/home/bozo/ideas/thoughts.for.today" },
		{ "default_var", "foo" },
		{ "stringZ", "abcABC123ABCabc" },
		{ "f1", "bash.string.txt" },
		{ "f2", "path/to/file" },
		{ "f3", "/path/to/file" },
		{ "z2", "foo/bar/baz" },
	};

	(void)payload;
	for (size_t i = 0; i < GC_ARRAY_SIZE(vars); i++)
		if (strlen(vars[i][0]) == len &&
		    !strncmp(vars[i][0], name, len)) {
			*value = vars[i][1];
			return true;
		}
	return false;
}

static const struct {
	const char *in, *out;
} subst_ok[] = {
	{ "${A}", "hello" },
	{ "pre-${A}-${N}", "pre-hello-3" },
	{ "${U:=def}", "def" },
	{ "${U:-def}", "def" },
	{ "${U=def}", "def" },
	{ "${E:=def}", "def" },
	{ "${A:=def}", "hello" },
	{ "${U:=${A}-x}", "hello-x" },
	{ "$A and $", "$A and $" },
	{ "$$ and $${A}", "$ and ${A}" },
	{ "${#A}", "5" },
	{ "${A^^}", "HELLO" },
	{ "${A^}", "Hello" },
	{ "${A:1:3}", "ell" },
	{ "${A:-2}", "hello" }, /* ":-" is a default, not an offset */
	{ "${A:3}", "lo" },
	{ "${A/l/L}", "heLlo" },
	{ "${A//l/L}", "heLLo" },
	{ "${A/#he/HE}", "HEllo" },
	{ "${A/%lo/LO}", "helLO" },
	{ "${P#*/}", "b/c.yaml" },
	{ "${P##*/}", "c.yaml" }, /* the fork's '*' matches '/' */
	{ "${P%.yaml}", "a/b/c" },
	{ "${A#h*l}", "lo" },
	{ "${A##h*l}", "o" },
	{ "${A%l*}", "hel" },
	{ "${A%%l*}", "he" },
	{ "${P/\\//-}", "a-b/c.yaml" },
	/* the cases of fluxcd/pkg envsubst/eval_test.go TestExpand */
	{ "abcdEFGH28ij", "abcdEFGH28ij" },
	{ "${#var01}", "12" },
	{ "${var01^}", "AbcdEFGH28ij" },
	{ "${var01^^}", "ABCDEFGH28IJ" },
	{ "${var01,}", "abcdEFGH28ij" },
	{ "${var01,,}", "abcdefgh28ij" },
	{ "${path_name:11}", "ideas/thoughts.for.today" },
	{ "${path_name:11:5}", "ideas" },
	{ "${var01=xyz}", "abcdEFGH28ij" },
	{ "${var=xyz}", "xyz" },
	{ "something ${var=${default_var}}", "something foo" },
	{ "foo: ${var=${default_var}-suffix}", "foo: foo-suffix" },
	{ "foo: ${var=prefix${default_var}-suffix}", "foo: prefixfoo-suffix" },
	{ "${var:=xyz}", "xyz" },
	{ "${stringZ/%abc/XYZ}", "abcABC123ABCXYZ" },
	{ "${stringZ/#abc/XYZ}", "XYZABC123ABCabc" },
	{ "${stringZ//abc/xyz}", "xyzABC123ABCxyz" },
	{ "${stringZ/abc/xyz}", "xyzABC123ABCabc" },
	{ "${f1#*.}", "string.txt" },
	{ "${f2#*/}", "to/file" },
	{ "${f3#*/}", "path/to/file" },
	{ "${f1##*.}", "txt" },
	{ "${f2##*/}", "file" },
	{ "${f3##*/}", "file" },
	{ "${f1%.*}", "bash.string" },
	{ "${f1%%.*}", "bash" },
	{ "${var=${var01^^}}", "ABCDEFGH28IJ" },
	{ "$${var01}", "${var01}" },
	{ "some text ${var01}$${var$${var01}$var01${var01}",
	  "some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij" },
	{ "something $${var=${default_var}}", "something ${var=foo}" },
	{ "${z2/\\//-}", "foo-bar/baz" },
	{ "${z2//\\//-}", "foo-bar-baz" },
	{ "\\\\something ${var=${default_var}}", "\\\\something foo" },
	{ "${f1/./}", "bashstring.txt" },
};

START_TEST(test_flux__envsubst_forms)
{
	gc_buf out = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;

	ck_assert_msg(gc_envsubst_eval(&out, subst_ok[_i].in, env_lookup, NULL,
				       true, &err) == 0,
		      "%s: %s", subst_ok[_i].in, err.msg);
	ck_assert_str_eq(out.ptr, subst_ok[_i].out);
	gc_buf_release(&out);
}
END_TEST

static const struct {
	const char *in, *msg;
	bool strict;
} subst_bad[] = {
	{ "${A", "missing closing brace", false },
	{ "${}", "unable to parse variable name", false },
	{ "${A-def}", "missing closing brace", false },
	{ "${A:=", "unable to parse substitution within function", false },
	{ "${U}", "variable not set (strict mode): \"U\"", true },
	{ "x ${U^^}", "variable not set (strict mode): \"U\"", true },
};

START_TEST(test_flux__envsubst_errors)
{
	gc_buf out = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;

	ck_assert_int_lt(gc_envsubst_eval(&out, subst_bad[_i].in, env_lookup,
					  NULL, subst_bad[_i].strict, &err),
			 0);
	ck_assert_str_eq(err.msg, subst_bad[_i].msg);
	gc_error_release(&err);
	gc_buf_release(&out);
}
END_TEST

START_TEST(test_flux__envsubst_unset_is_empty_when_not_strict)
{
	gc_buf out = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;

	ck_assert_int_eq(gc_envsubst_eval(&out, "[${U}]", env_lookup, NULL,
					  false, &err),
			 0);
	ck_assert_str_eq(out.ptr, "[]");
	gc_buf_release(&out);
}
END_TEST

/* ---- the Kustomization object ---- */

START_TEST(test_flux__parses_a_kustomization)
{
	gc_problems p = { NULL, 0, 0 };
	gc_doclist docs;
	gc_flux_ks ks;

	ck_assert_int_eq(parse_ks(&ks, &docs, "  path: ./apps//production/\n",
				  &p),
			 0);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_str_eq(ks.name, "apps");
	ck_assert_str_eq(ks.namespace, "flux-system");
	ck_assert_str_eq(ks.path, "apps/production");
	ck_assert(!ks.skip);
	ck_assert(ks.strict);
	ck_assert(!gc_flux_ks_needs_tool(&ks));
	gc_flux_ks_release(&ks);
	gc_doclist_release(&docs);
}
END_TEST

START_TEST(test_flux__locates_schema_errors)
{
	gc_problems p = { NULL, 0, 0 };
	gc_doclist docs;
	gc_flux_ks ks;

	ck_assert_int_lt(parse_ks(&ks, &docs,
				  "  targetNamespce: prod\n"
				  "  timeout: 30sec\n"
				  "  images:\n"
				  "  - newTag: v2\n"
				  "  postBuild:\n"
				  "    substitute: {replicas: 3}\n"
				  "    substituteFrom:\n"
				  "    - kind: Secrets\n"
				  "      name: vars\n",
				  &p),
			 0);
	gc_problems_sort(&p);
	ck_assert_uint_eq(p.n, 5);
	assert_problem(
		&p, 0,
		"clusters/ks.yaml:12:3: spec.targetNamespce: unknown field",
		false);
	assert_problem(
		&p, 1,
		"clusters/ks.yaml:13:12: spec.timeout: Invalid value: \"30sec\": must match '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$' (e.g. 10m, 1h30m)",
		false);
	assert_problem(
		&p, 2,
		"clusters/ks.yaml:15:5: spec.images[0].name: Required value",
		false);
	assert_problem(
		&p, 3,
		"clusters/ks.yaml:17:28: spec.postBuild.substitute.replicas: must be a string, not a number",
		false);
	assert_problem(
		&p, 4,
		"clusters/ks.yaml:19:13: spec.postBuild.substituteFrom[0].kind: Unsupported value: \"Secrets\": supported values: \"Secret\", \"ConfigMap\"",
		false);
	gc_problems_release(&p);
	gc_doclist_release(&docs);
}
END_TEST

START_TEST(test_flux__skips_other_sources_and_suspended)
{
	gc_problems p = { NULL, 0, 0 };
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_flux_ks ks;
	const char *src =
		"apiVersion: kustomize.toolkit.fluxcd.io/v1\n"
		"kind: Kustomization\n"
		"metadata: {name: infra, namespace: apps}\n"
		"spec:\n"
		"  interval: 1h\n"
		"  prune: false\n"
		"  sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}\n"
		"---\n"
		"apiVersion: kustomize.toolkit.fluxcd.io/v1\n"
		"kind: Kustomization\n"
		"metadata: {name: paused}\n"
		"spec:\n"
		"  interval: 1h\n"
		"  prune: false\n"
		"  suspend: true\n"
		"  sourceRef: {kind: GitRepository, name: flux-system}\n";

	docs = parse("clusters/ks.yaml", src);
	ck_assert_int_eq(gc_flux_ks_parse(&ks, docs.v[0], "flux-system", &p),
			 0);
	ck_assert(ks.skip);
	assert_problem(
		&p, 0,
		"clusters/ks.yaml:7:3: spec.sourceRef: GitRepository 'flux-system/flux-system' is another source: Kustomization 'apps/infra' is not built",
		true);
	gc_flux_ks_release(&ks);
	/* "namespace/name" names the GitRepository's namespace too */
	ck_assert_int_eq(gc_flux_ks_parse(&ks, docs.v[0],
					  "flux-system/flux-system", &p),
			 0);
	ck_assert(!ks.skip);
	ck_assert_uint_eq(p.n, 1);
	gc_flux_ks_release(&ks);
	ck_assert_int_eq(gc_flux_ks_parse(&ks, docs.v[1], "flux-system", &p),
			 0);
	ck_assert(ks.skip);
	ck_assert_str_eq(ks.namespace, "default");
	assert_problem(
		&p, 1,
		"clusters/ks.yaml:15:3: spec.suspend: Kustomization 'default/paused' is suspended: it is not built",
		true);
	gc_flux_ks_release(&ks);
	gc_problems_release(&p);
	gc_doclist_release(&docs);
}
END_TEST

START_TEST(test_flux__path_stops_at_the_repository_root)
{
	gc_problems p = { NULL, 0, 0 };
	gc_doclist docs;
	gc_flux_ks ks;

	ck_assert_int_eq(parse_ks(&ks, &docs, "  path: ../../apps/./x/..\n",
				  &p),
			 0);
	ck_assert_str_eq(ks.path, "apps");
	assert_problem(
		&p, 0,
		"clusters/ks.yaml:12:9: spec.path: '../../apps/./x/..' leaves the repository; Flux stops at its root and builds 'apps'",
		true);
	gc_flux_ks_release(&ks);
	gc_problems_release(&p);
	gc_doclist_release(&docs);
}
END_TEST

START_TEST(test_flux__other_versions_are_located_errors)
{
	gc_problems p = { NULL, 0, 0 };
	gc_doclist docs = parse(
		"ks.yaml",
		"apiVersion: kustomize.toolkit.fluxcd.io/v1beta1\nkind: Kustomization\nmetadata: {name: a}\nspec: {}\n");
	gc_flux_ks ks;

	ck_assert_int_lt(gc_flux_ks_parse(&ks, docs.v[0], "flux-system", &p),
			 0);
	assert_problem(
		&p, 0,
		"ks.yaml:1:13: apiVersion: 'kustomize.toolkit.fluxcd.io/v1beta1' is not read: gitcanary reads kustomize.toolkit.fluxcd.io/v1 Kustomizations (flux migrate rewrites older ones)",
		false);
	gc_problems_release(&p);
	gc_doclist_release(&docs);
}
END_TEST

/* ---- the kustomization Flux builds ---- */

static const char ks_overlay[] = "  path: ./apps/production\n"
				 "  targetNamespace: prod\n"
				 "  namePrefix: p-\n"
				 "  images:\n"
				 "  - name: ghcr.io/acme/podinfo\n"
				 "    newTag: 6.5.0\n"
				 "  - name: nginx\n"
				 "    newName: registry.local/nginx\n"
				 "  patches:\n"
				 "  - patch: |\n"
				 "      - op: replace\n"
				 "        path: /spec/replicas\n"
				 "        value: 2\n"
				 "    target:\n"
				 "      kind: Deployment\n"
				 "      name: podinfo\n";

START_TEST(test_flux__writes_flux_fields_over_a_kustomization)
{
	const char *kust = "apiVersion: kustomize.config.k8s.io/v1beta1\n"
			   "kind: Kustomization\n"
			   "namespace: staging\n"
			   "resources:\n"
			   "- ../base\n"
			   "images:\n"
			   "- name: ghcr.io/acme/podinfo\n"
			   "  newName: ghcr.io/acme/podinfo-fips\n"
			   "  digest: sha256:0123\n";
	gc_problems p = { NULL, 0, 0 };
	gc_buf out = GC_BUF_INIT;
	gc_doclist docs;
	gc_flux_ks ks;

	ck_assert_int_eq(parse_ks(&ks, &docs, ks_overlay, &p), 0);
	ck_assert(gc_flux_ks_needs_tool(&ks));
	ck_assert_int_eq(gc_flux_kustomization(&ks, kust, strlen(kust), NULL, 0,
					       NULL, NULL, &out, &p),
			 0);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_str_eq(out.ptr,
			 "apiVersion: kustomize.config.k8s.io/v1beta1\n"
			 "kind: Kustomization\n"
			 "namespace: prod\n"
			 "resources:\n"
			 "- ../base\n"
			 "images:\n"
			 "- name: ghcr.io/acme/podinfo\n"
			 "  newName: ghcr.io/acme/podinfo-fips\n"
			 "  newTag: 6.5.0\n"
			 "- name: nginx\n"
			 "  newName: registry.local/nginx\n"
			 "namePrefix: p-\n"
			 "patches:\n"
			 "- patch: |\n"
			 "    - op: replace\n"
			 "      path: /spec/replicas\n"
			 "      value: 2\n"
			 "  target:\n"
			 "    kind: Deployment\n"
			 "    name: podinfo\n");
	gc_buf_release(&out);
	gc_flux_ks_release(&ks);
	gc_doclist_release(&docs);
}
END_TEST

START_TEST(test_flux__generates_a_kustomization)
{
	const char *const res[] = { "deploy.yaml", "./sub" };
	gc_problems p = { NULL, 0, 0 };
	gc_buf out = GC_BUF_INIT;
	gc_doclist docs;
	gc_flux_ks ks;

	ck_assert_int_eq(parse_ks(&ks, &docs, ks_overlay, &p), 0);
	ck_assert_int_eq(gc_flux_kustomization(&ks, NULL, 0, res, 2, NULL, NULL,
					       &out, &p),
			 0);
	ck_assert_str_eq(out.ptr,
			 "apiVersion: kustomize.config.k8s.io/v1beta1\n"
			 "kind: Kustomization\n"
			 "resources:\n"
			 "- ./deploy.yaml\n"
			 "- ./sub\n"
			 "namespace: prod\n"
			 "namePrefix: p-\n"
			 "patches:\n"
			 "- patch: |\n"
			 "    - op: replace\n"
			 "      path: /spec/replicas\n"
			 "      value: 2\n"
			 "  target:\n"
			 "    kind: Deployment\n"
			 "    name: podinfo\n"
			 "images:\n"
			 "- name: ghcr.io/acme/podinfo\n"
			 "  newTag: 6.5.0\n"
			 "- name: nginx\n"
			 "  newName: registry.local/nginx\n");
	gc_buf_clear(&out);
	/* nothing found: Flux's placeholder namespace, then targetNamespace */
	ck_assert_int_eq(gc_flux_kustomization(&ks, NULL, 0, NULL, 0, NULL,
					       NULL, &out, &p),
			 0);
	ck_assert_ptr_nonnull(strstr(out.ptr, "namespace: prod\n"));
	ck_assert_ptr_null(strstr(out.ptr, "resources"));
	gc_buf_release(&out);
	gc_flux_ks_release(&ks);
	gc_doclist_release(&docs);
}
END_TEST

static void write_file(const char *dir, const char *rel, const char *data)
{
	char *path = gc_xasprintf("%s/%s", dir, rel);
	gc_error err = GC_ERROR_INIT;

	ck_assert_int_eq(gc_buf_write_file(path, data, strlen(data), &err), 0);
	free(path);
}

/* kubectl kustomize builds what gc_flux_kustomization writes. */
START_TEST(test_flux__kustomize_builds_the_written_kustomization)
{
	const char *deploy = "apiVersion: apps/v1\n"
			     "kind: Deployment\n"
			     "metadata:\n"
			     "  name: podinfo\n"
			     "spec:\n"
			     "  replicas: 1\n"
			     "  selector: {matchLabels: {app: podinfo}}\n"
			     "  template:\n"
			     "    metadata: {labels: {app: podinfo}}\n"
			     "    spec:\n"
			     "      containers:\n"
			     "      - name: app\n"
			     "        image: ghcr.io/acme/podinfo:6.0.0\n"
			     "      - name: proxy\n"
			     "        image: nginx:1.25\n";
	const char *kust = "resources:\n- ../base\n";
	gc_problems p = { NULL, 0, 0 };
	gc_buf out = GC_BUF_INIT, built = GC_BUF_INIT, err = GC_BUF_INIT;
	gc_doclist docs;
	gc_flux_ks ks;
	char *dir;

	if (gc_test_sh(NULL, NULL, "command -v kubectl >/dev/null") != 0)
		return; /* the tool path's own tests need it; this one skips */
	dir = gc_test_tmpdir();
	ck_assert_int_eq(parse_ks(&ks, &docs, ks_overlay, &p), 0);
	ck_assert_int_eq(gc_flux_kustomization(&ks, kust, strlen(kust), NULL, 0,
					       NULL, NULL, &out, &p),
			 0);
	write_file(dir, "apps/base/deploy.yaml", deploy);
	write_file(dir, "apps/base/kustomization.yaml",
		   "resources:\n- deploy.yaml\n");
	write_file(dir, "apps/production/kustomization.yaml", out.ptr);
	ck_assert_msg(gc_test_sh(&built, &err, "kubectl kustomize %s/%s", dir,
				 ks.path) == 0,
		      "%s", err.ptr);
	ck_assert_ptr_nonnull(strstr(built.ptr, "  name: p-podinfo\n"));
	ck_assert_ptr_nonnull(strstr(built.ptr, "  namespace: prod\n"));
	ck_assert_ptr_nonnull(strstr(built.ptr, "  replicas: 2\n"));
	ck_assert_ptr_nonnull(
		strstr(built.ptr, "image: ghcr.io/acme/podinfo:6.5.0\n"));
	ck_assert_ptr_nonnull(
		strstr(built.ptr, "image: registry.local/nginx:1.25\n"));
	gc_test_rmrf(dir);
	free(dir);
	gc_buf_release(&out);
	gc_buf_release(&built);
	gc_buf_release(&err);
	gc_flux_ks_release(&ks);
	gc_doclist_release(&docs);
}
END_TEST

START_TEST(test_flux__components_must_be_local)
{
	gc_problems p = { NULL, 0, 0 };
	gc_buf out = GC_BUF_INIT;
	gc_doclist docs;
	gc_flux_ks ks;

	ck_assert_int_eq(parse_ks(&ks, &docs,
				  "  components:\n"
				  "  - ../components/ha\n"
				  "  - https://github.com/acme/c//x\n",
				  &p),
			 0);
	ck_assert_int_lt(gc_flux_kustomization(&ks, "resources: [a.yaml]\n", 20,
					       NULL, 0, NULL, NULL, &out, &p),
			 0);
	assert_problem(
		&p, 0,
		"clusters/ks.yaml:14:5: spec.components: component path 'https://github.com/acme/c//x' must be local and relative",
		false);
	gc_buf_release(&out);
	gc_problems_release(&p);
	gc_flux_ks_release(&ks);
	gc_doclist_release(&docs);
}
END_TEST

static bool exists_none(const char *path, void *payload)
{
	ck_assert_str_eq(path, "components/ha");
	(void)payload;
	return false;
}

START_TEST(test_flux__ignores_missing_components_when_asked)
{
	const char *kust = "resources: [a.yaml]\ncomponents: [../c]\n";
	gc_problems p = { NULL, 0, 0 };
	gc_buf out = GC_BUF_INIT;
	gc_doclist docs;
	gc_flux_ks ks;

	ck_assert_int_eq(parse_ks(&ks, &docs,
				  "  path: apps\n"
				  "  ignoreMissingComponents: true\n"
				  "  components:\n"
				  "  - ../components/ha\n",
				  &p),
			 0);
	ck_assert_int_eq(gc_flux_kustomization(&ks, kust, strlen(kust), NULL, 0,
					       exists_none, NULL, &out, &p),
			 0);
	ck_assert_str_eq(out.ptr,
			 "apiVersion: kustomize.config.k8s.io/v1beta1\n"
			 "kind: Kustomization\n"
			 "resources:\n"
			 "- a.yaml\n"
			 "components:\n"
			 "- ../c\n");
	gc_buf_release(&out);
	gc_flux_ks_release(&ks);
	gc_doclist_release(&docs);
}
END_TEST

/* Flux's generator: an existing kustomization without resources builds
 * with origin annotations (kustomize_generator.go). */
START_TEST(test_flux__no_resources_adds_origin_annotations)
{
	const char *kust = "components: [../c]\n";
	gc_problems p = { NULL, 0, 0 };
	gc_buf out = GC_BUF_INIT;
	gc_doclist docs;
	gc_flux_ks ks;

	ck_assert_int_eq(parse_ks(&ks, &docs, "", &p), 0);
	ck_assert_int_eq(gc_flux_kustomization(&ks, kust, strlen(kust), NULL, 0,
					       NULL, NULL, &out, &p),
			 0);
	ck_assert_str_eq(out.ptr,
			 "apiVersion: kustomize.config.k8s.io/v1beta1\n"
			 "kind: Kustomization\n"
			 "components:\n"
			 "- ../c\n"
			 "buildMetadata:\n"
			 "- originAnnotations\n");
	gc_buf_release(&out);
	gc_flux_ks_release(&ks);
	gc_doclist_release(&docs);
}
END_TEST

/* ---- postBuild variables and substitution ---- */

static const char ks_post_build[] =
	"  commonMetadata:\n"
	"    labels: {team: payments, app: overridden}\n"
	"    annotations: {owner: flux}\n"
	"  postBuild:\n"
	"    substitute:\n"
	"      cluster: prod\n"
	"      region: eu\n"
	"    substituteFrom:\n"
	"    - kind: ConfigMap\n"
	"      name: vars\n"
	"    - kind: Secret\n"
	"      name: creds\n"
	"    - kind: ConfigMap\n"
	"      name: absent\n"
	"      optional: true\n";

static const char sources[] =
	"apiVersion: v1\n"
	"kind: ConfigMap\n"
	"metadata: {name: vars, namespace: flux-system}\n"
	"data:\n"
	"  cluster: dev\n"
	"  replicas: \"3\"\n"
	"  flag: \"on\"\n"
	"  multi: |\n"
	"    a\n"
	"    b\n"
	"---\n"
	"apiVersion: v1\n"
	"kind: Secret\n"
	"metadata: {name: creds, namespace: flux-system}\n"
	"data:\n"
	"  token: czNjcjN0Cg==\n" /* "s3cr3t\n" */
	"  region: dXM=\n"        /* "us" */
	"stringData:\n"
	"  user: admin\n";

static const cJSON *lookup_src(const char *kind, const char *ns,
			       const char *name, void *payload)
{
	const gc_doclist *docs = payload;

	for (size_t i = 0; i < docs->n; i++) {
		const cJSON *r = docs->v[i]->root;

		if (!strcmp(gc_json_str(r, "kind"), kind) &&
		    !strcmp(gc_json_str(r, "metadata.name"), name) &&
		    !strcmp(gc_json_str(r, "metadata.namespace"), ns))
			return r;
	}
	return NULL;
}

static const char *var(const gc_map *vars, const char *name)
{
	return gc_map_gets(vars, name);
}

START_TEST(test_flux__vars_in_upstream_precedence)
{
	gc_problems p = { NULL, 0, 0 };
	gc_map vars = GC_MAP_INIT;
	gc_doclist docs, src = parse("clusters/vars.yaml", sources);
	gc_flux_ks ks;

	ck_assert_int_eq(parse_ks(&ks, &docs, ks_post_build, &p), 0);
	ck_assert_int_eq(gc_flux_vars(&vars, &ks, lookup_src, &src, &p), 0);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_str_eq(var(&vars, "cluster"), "prod"); /* literal wins */
	ck_assert_str_eq(var(&vars, "region"), "eu");
	ck_assert_str_eq(var(&vars, "replicas"), "3");
	ck_assert_str_eq(var(&vars, "multi"), "ab"); /* newlines removed */
	ck_assert_str_eq(var(&vars, "token"), "s3cr3t");
	ck_assert_str_eq(var(&vars, "user"), "admin");
	ck_assert_uint_eq(vars.len, 7);
	gc_flux_vars_release(&vars);
	gc_flux_ks_release(&ks);
	gc_doclist_release(&docs);
	gc_doclist_release(&src);
}
END_TEST

START_TEST(test_flux__vars_errors_are_located)
{
	gc_problems p = { NULL, 0, 0 };
	gc_map vars = GC_MAP_INIT;
	gc_doclist docs, src = parse("clusters/vars.yaml", sources);
	gc_flux_ks ks;

	ck_assert_int_eq(parse_ks(&ks, &docs,
				  "  postBuild:\n"
				  "    substitute:\n"
				  "      my-var: x\n"
				  "    substituteFrom:\n"
				  "    - kind: Secret\n"
				  "      name: nope\n",
				  &p),
			 0);
	ck_assert_int_lt(gc_flux_vars(&vars, &ks, lookup_src, &src, &p), 0);
	gc_problems_sort(&p);
	assert_problem(
		&p, 0,
		"clusters/ks.yaml:14:7: spec.postBuild.substitute.my-var: var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'",
		false);
	assert_problem(
		&p, 1,
		"clusters/ks.yaml:16:7: spec.postBuild.substituteFrom: substitute from 'Secret/nope' error: no Secret 'nope' in namespace 'flux-system' of the source",
		false);
	gc_flux_vars_release(&vars);
	gc_problems_release(&p);
	gc_flux_ks_release(&ks);
	gc_doclist_release(&docs);
	gc_doclist_release(&src);
}
END_TEST

static const char deploy_vars[] =
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata:\n"
	"  name: app-${cluster}\n"
	"  labels: {app: web}\n"
	"  annotations:\n"
	"    note: 'built for ${cluster}'\n"
	"    count: \"${replicas}\"\n"
	"spec:\n"
	"  replicas: ${replicas}\n"
	"  paused: ${flag}\n"
	"  template:\n"
	"    spec:\n"
	"      containers:\n"
	"      - image: ghcr.io/acme/app:${tag:=1.0}\n"
	"        args: ['--db: ${cluster}', $$HOME, '${unset:-}']\n"
	"        env:\n"
	"        - name: REGION_${region}\n"
	"          value: '${region}'\n";

START_TEST(test_flux__post_build_substitutes_like_flux)
{
	gc_problems p = { NULL, 0, 0 };
	gc_map vars = GC_MAP_INIT;
	gc_doclist docs, src = parse("clusters/vars.yaml", sources),
			 obj = parse("apps/deploy.yaml", deploy_vars);
	cJSON *root = obj.v[0]->root;
	const cJSON *replicas = gc_json_get(root, "spec.replicas");
	const cJSON *args, *env;
	gc_flux_ks ks;
	gc_loc loc;

	ck_assert_int_eq(parse_ks(&ks, &docs, ks_post_build, &p), 0);
	ck_assert_int_eq(gc_flux_vars(&vars, &ks, lookup_src, &src, &p), 0);
	ck_assert_int_eq(gc_flux_post_build(&ks, &vars, root, obj.v[0], &p), 0);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_str_eq(gc_json_str(root, "metadata.name"), "app-prod");
	ck_assert_str_eq(gc_json_str(root, "metadata.annotations.note"),
			 "built for prod");
	/* "3" is written plain by upstream's YAML encoder, read back a number
	 */
	ck_assert(gc_json_num(root, "metadata.annotations.count", 0) == 3);
	/* the same node, so its position survives */
	ck_assert_ptr_eq(gc_json_get(root, "spec.replicas"), replicas);
	ck_assert(cJSON_IsNumber(replicas) && replicas->valuedouble == 3);
	loc = gc_doc_loc(obj.v[0], replicas);
	ck_assert_uint_eq(loc.line, 10);
	ck_assert_uint_eq(loc.column, 13);
	ck_assert(cJSON_IsTrue(gc_json_get(root, "spec.paused"))); /* on */
	args = gc_json_get(root, "spec.template.spec.containers");
	args = cJSON_GetObjectItem(args->child, "args");
	/* "--db: prod" is quoted upstream, so it stays a string */
	ck_assert_str_eq(cJSON_GetArrayItem(args, 0)->valuestring,
			 "--db: prod");
	ck_assert_str_eq(cJSON_GetArrayItem(args, 1)->valuestring, "$HOME");
	ck_assert(cJSON_IsNull(cJSON_GetArrayItem(args, 2))); /* "" -> null */
	ck_assert_str_eq(
		gc_json_str(gc_json_get(root, "spec.template.spec.containers")
				    ->child,
			    "image"),
		"ghcr.io/acme/app:1.0");
	env = gc_json_get(root, "spec.template.spec.containers")->child;
	env = cJSON_GetObjectItem(env, "env")->child;
	ck_assert_str_eq(gc_json_str(env, "name"), "REGION_eu");
	/* commonMetadata, after substitution, overriding existing keys */
	ck_assert_str_eq(gc_json_str(root, "metadata.labels.app"),
			 "overridden");
	ck_assert_str_eq(gc_json_str(root, "metadata.labels.team"), "payments");
	ck_assert_str_eq(gc_json_str(root, "metadata.annotations.owner"),
			 "flux");
	gc_flux_vars_release(&vars);
	gc_flux_ks_release(&ks);
	gc_doclist_release(&docs);
	gc_doclist_release(&src);
	gc_doclist_release(&obj);
}
END_TEST

START_TEST(test_flux__post_build_opt_out_and_strategy)
{
	gc_problems p = { NULL, 0, 0 };
	gc_map vars = GC_MAP_INIT;
	gc_doclist docs,
		obj = parse(
			"apps/cm.yaml",
			"apiVersion: v1\n"
			"kind: ConfigMap\n"
			"metadata:\n"
			"  name: script\n"
			"  annotations:\n"
			"    kustomize.toolkit.fluxcd.io/substitute: disabled\n"
			"data: {run: 'echo ${HOME} $$'}\n"
			"---\n"
			"apiVersion: v1\n"
			"kind: ConfigMap\n"
			"metadata: {name: plain}\n"
			"data: {v: '${x:=d}'}\n");
	gc_flux_ks ks;

	ck_assert_int_eq(parse_ks(&ks, &docs,
				  "  postBuild:\n    substitute: {}\n", &p),
			 0);
	/* no variables and the default strategy: nothing runs */
	ck_assert_int_eq(gc_flux_post_build(&ks, &vars, obj.v[1]->root,
					    obj.v[1], &p),
			 0);
	ck_assert_str_eq(gc_json_str(obj.v[1]->root, "data.v"), "${x:=d}");
	gc_flux_ks_release(&ks);
	gc_doclist_release(&docs);
	ck_assert_int_eq(parse_ks(&ks, &docs,
				  "  postBuild:\n"
				  "    substituteStrategy: Always\n",
				  &p),
			 0);
	ck_assert_int_eq(gc_flux_post_build(&ks, &vars, obj.v[0]->root,
					    obj.v[0], &p),
			 0);
	ck_assert_str_eq(gc_json_str(obj.v[0]->root, "data.run"),
			 "echo ${HOME} $$");
	ck_assert_int_eq(gc_flux_post_build(&ks, &vars, obj.v[1]->root,
					    obj.v[1], &p),
			 0);
	ck_assert_str_eq(gc_json_str(obj.v[1]->root, "data.v"), "d");
	ck_assert_uint_eq(p.n, 0);
	gc_flux_ks_release(&ks);
	gc_doclist_release(&docs);
	gc_doclist_release(&obj);
}
END_TEST

START_TEST(test_flux__post_build_errors_are_located)
{
	gc_problems p = { NULL, 0, 0 };
	gc_map vars = GC_MAP_INIT;
	gc_doclist docs, obj = parse("apps/deploy.yaml", "apiVersion: v1\n"
							 "kind: ConfigMap\n"
							 "metadata: {name: c}\n"
							 "data:\n"
							 "  a: ${missing}\n"
							 "  b: x${region\n"
							 "  c: ${region}\n");
	gc_flux_ks ks;

	ck_assert_int_eq(parse_ks(&ks, &docs,
				  "  postBuild:\n"
				  "    substitute: {region: 'a: b'}\n",
				  &p),
			 0);
	ck_assert_int_lt(gc_flux_vars(&vars, &ks, NULL, NULL, &p) +
				 gc_flux_post_build(&ks, &vars, obj.v[0]->root,
						    obj.v[0], &p),
			 0);
	assert_problem(
		&p, 0,
		"apps/deploy.yaml:5:6: data.a: postBuild of Kustomization 'flux-system/apps': variable not set (strict mode): \"missing\"",
		false);
	assert_problem(
		&p, 1,
		"apps/deploy.yaml:6:6: data.b: postBuild of Kustomization 'flux-system/apps': missing closing brace",
		false);
	ck_assert_uint_eq(p.n, 3);
	ck_assert_ptr_nonnull(strstr(
		p.v[2].msg,
		"data.c: postBuild of Kustomization 'flux-system/apps': 'a: b' is not a YAML value after substitution"));
	gc_flux_vars_release(&vars);
	gc_problems_release(&p);
	gc_flux_ks_release(&ks);
	gc_doclist_release(&docs);
	gc_doclist_release(&obj);
}
END_TEST

/*
 * fluxcd/pkg kustomize/testdata (TestKustomization_Varsub): quoted values
 * in a ConfigMap keep strings strings; the opted-out ConfigMap is left
 * alone. The expected values are those of kustomization_varsub_expected.
 */
START_TEST(test_flux__post_build_matches_upstream_varsub_testdata)
{
	gc_problems p = { NULL, 0, 0 };
	gc_map vars = GC_MAP_INIT;
	gc_doclist docs,
		src = parse("apps/vars.yaml",
			    "apiVersion: v1\n"
			    "kind: ConfigMap\n"
			    "metadata: {name: app-vars, namespace: apps}\n"
			    "data:\n"
			    "  prometheus_scrape: '\"true\"'\n"
			    "  prometheus_port: '\"9797\"'\n"
			    "  image: \"nginx:1.21.4\"\n"),
		obj = parse(
			"apps/resources.yaml",
			"apiVersion: apps/v1\n"
			"kind: Deployment\n"
			"metadata:\n"
			"  name: app\n"
			"  namespace: apps\n"
			"  labels:\n"
			"    environment: ${cluster_env:=dev}\n"
			"    region: ${cluster_region}\n"
			"spec:\n"
			"  template:\n"
			"    metadata:\n"
			"      annotations:\n"
			"        prometheus.io/scrape: ${prometheus_scrape:=false}\n"
			"        prometheus.io/port: ${prometheus_port}\n"
			"    spec:\n"
			"      containers:\n"
			"      - name: nginx\n"
			"        image: ${image}\n"
			"---\n"
			"apiVersion: v1\n"
			"kind: ConfigMap\n"
			"metadata:\n"
			"  labels:\n"
			"    kustomize.toolkit.fluxcd.io/substitute: disabled\n"
			"    environment: ${cluster_env:=dev}\n"
			"  name: app-vars\n"
			"data:\n"
			"  prometheus_port: ${prometheus_port}\n");
	const cJSON *ann, *labels;
	gc_flux_ks ks;
	char *text =
		gc_xasprintf("apiVersion: kustomize.toolkit.fluxcd.io/v1\n"
			     "kind: Kustomization\n"
			     "metadata: {name: app, namespace: apps}\n"
			     "spec:\n"
			     "  interval: 4m0s\n"
			     "  path: ./kustomize\n"
			     "  prune: true\n"
			     "  sourceRef: {kind: GitRepository, name: app}\n"
			     "  postBuild:\n"
			     "    substitute:\n"
			     "      cluster_env: \"prod\"\n"
			     "      cluster_region: \"eu-central-1\"\n"
			     "    substituteFrom:\n"
			     "      - kind: ConfigMap\n"
			     "        name: app-vars\n");

	docs = parse("ks.yaml", text);
	free(text);
	ck_assert_int_eq(gc_flux_ks_parse(&ks, docs.v[0], "app", &p), 0);
	ck_assert_int_eq(gc_flux_vars(&vars, &ks, lookup_src, &src, &p), 0);
	for (size_t i = 0; i < obj.n; i++)
		ck_assert_int_eq(gc_flux_post_build(&ks, &vars, obj.v[i]->root,
						    obj.v[i], &p),
				 0);
	ck_assert_uint_eq(p.n, 0);
	labels = gc_json_get(obj.v[0]->root, "metadata.labels");
	ck_assert_str_eq(gc_json_str(labels, "environment"), "prod");
	ck_assert_str_eq(gc_json_str(labels, "region"), "eu-central-1");
	ann = gc_json_get(obj.v[0]->root, "spec.template.metadata.annotations");
	ck_assert_str_eq(cJSON_GetObjectItem(ann, "prometheus.io/port")
				 ->valuestring,
			 "9797");
	ck_assert_str_eq(cJSON_GetObjectItem(ann, "prometheus.io/scrape")
				 ->valuestring,
			 "true");
	ck_assert_str_eq(
		gc_json_str(gc_json_get(obj.v[0]->root,
					"spec.template.spec.containers")
				    ->child,
			    "image"),
		"nginx:1.21.4");
	ck_assert_str_eq(gc_json_str(obj.v[1]->root, "data.prometheus_port"),
			 "${prometheus_port}");
	ck_assert_str_eq(gc_json_str(obj.v[1]->root,
				     "metadata.labels.environment"),
			 "${cluster_env:=dev}");
	gc_flux_vars_release(&vars);
	gc_flux_ks_release(&ks);
	gc_doclist_release(&docs);
	gc_doclist_release(&src);
	gc_doclist_release(&obj);
}
END_TEST

static Suite *gc_suite_flux(void)
{
	Suite *s = suite_create("flux");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_flux__envsubst_forms, 0,
			    GC_ARRAY_SIZE(subst_ok));
	tcase_add_loop_test(tc, test_flux__envsubst_errors, 0,
			    GC_ARRAY_SIZE(subst_bad));
	tcase_add_test(tc, test_flux__envsubst_unset_is_empty_when_not_strict);
	tcase_add_test(tc, test_flux__parses_a_kustomization);
	tcase_add_test(tc, test_flux__locates_schema_errors);
	tcase_add_test(tc, test_flux__skips_other_sources_and_suspended);
	tcase_add_test(tc, test_flux__path_stops_at_the_repository_root);
	tcase_add_test(tc, test_flux__other_versions_are_located_errors);
	tcase_add_test(tc, test_flux__writes_flux_fields_over_a_kustomization);
	tcase_add_test(tc, test_flux__generates_a_kustomization);
	tcase_add_test(tc,
		       test_flux__kustomize_builds_the_written_kustomization);
	tcase_add_test(tc, test_flux__components_must_be_local);
	tcase_add_test(tc, test_flux__ignores_missing_components_when_asked);
	tcase_add_test(tc, test_flux__no_resources_adds_origin_annotations);
	tcase_add_test(tc, test_flux__vars_in_upstream_precedence);
	tcase_add_test(tc, test_flux__vars_errors_are_located);
	tcase_add_test(tc, test_flux__post_build_substitutes_like_flux);
	tcase_add_test(tc, test_flux__post_build_opt_out_and_strategy);
	tcase_add_test(tc, test_flux__post_build_errors_are_located);
	tcase_add_test(tc,
		       test_flux__post_build_matches_upstream_varsub_testdata);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_flux)
