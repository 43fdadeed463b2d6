#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "repo-layout/layout.h"

START_TEST(test_layout__object_and_status_paths)
{
	gc_buf b = GC_BUF_INIT;
	char *ns = NULL, *name = NULL;

	gc_layout_object_path(&b, "test", "podinfo", "VirtualService",
			      "podinfo");
	ck_assert_str_eq(b.ptr, "test/podinfo/virtualservice-podinfo.yaml");
	gc_buf_clear(&b);
	gc_layout_object_path(&b, "istio-system", NULL, "Gateway",
			      "public-gateway");
	ck_assert_str_eq(b.ptr, "istio-system/_/gateway-public-gateway.yaml");
	gc_buf_clear(&b);
	gc_layout_object_path(&b, NULL, NULL, "Namespace", "test");
	ck_assert_str_eq(b.ptr, "_cluster/namespace-test.yaml");
	gc_buf_clear(&b);
	gc_layout_status_path(&b, "test", "podinfo");
	ck_assert_str_eq(b.ptr, ".gitcanary/status/test/podinfo.yaml");
	ck_assert(gc_layout_parse_status_path(b.ptr, &ns, &name));
	ck_assert_str_eq(ns, "test");
	ck_assert_str_eq(name, "podinfo");
	ck_assert(!gc_layout_is_applied(b.ptr));
	ck_assert(!gc_layout_is_applied("kustomization.yaml"));
	ck_assert(gc_layout_is_applied("test/_/gateway-x.yaml"));
	ck_assert(!gc_layout_parse_status_path("test/_/x.yaml", &ns, &name));
	ck_assert(!gc_layout_parse_status_path(".gitcanary/status/a/b/c.yaml",
					       &ns, &name));
	free(ns);
	free(name);
	gc_buf_release(&b);
}
END_TEST

START_TEST(test_layout__passthrough_and_canary_dirs)
{
	gc_buf b = GC_BUF_INIT;

	ck_assert(gc_layout_is_passthrough("_cluster/namespace-test.yaml"));
	ck_assert(gc_layout_is_passthrough("test/_/gateway-x.yaml"));
	ck_assert(!gc_layout_is_passthrough("test/podinfo/service-x.yaml"));
	ck_assert(!gc_layout_is_passthrough(".gitcanary/status/a/b.yaml"));
	ck_assert(!gc_layout_is_passthrough("kustomization.yaml"));
	gc_layout_passthrough_of(&b, "test/podinfo/deployment-podinfo.yaml");
	ck_assert_str_eq(b.ptr, "test/_/deployment-podinfo.yaml");
	gc_buf_clear(&b);
	gc_layout_passthrough_of(&b, "kustomization.yaml");
	ck_assert_str_eq(b.ptr, "");
	gc_layout_canary_dir(&b, "test", "podinfo");
	ck_assert_str_eq(b.ptr, "test/podinfo/");
	gc_buf_clear(&b);
	ck_assert(gc_layout_object_dir(&b, "test/podinfo/service-x.yaml"));
	ck_assert_str_eq(b.ptr, "test/podinfo/");
	gc_buf_clear(&b);
	ck_assert(!gc_layout_object_dir(&b, "_cluster/namespace-test.yaml"));
	ck_assert(!gc_layout_object_dir(&b, "kustomization.yaml"));
	ck_assert_str_eq(b.ptr, "");
	gc_buf_release(&b);
}
END_TEST

START_TEST(test_layout__kustomization_lists_sorted_paths)
{
	const char *paths[] = { "test/podinfo/service-podinfo.yaml",
				"istio-system/_/gateway-public-gateway.yaml",
				"test/_/horizontalpodautoscaler-podinfo.yaml" };
	gc_buf b = GC_BUF_INIT;

	gc_layout_kustomization(&b, paths, GC_ARRAY_SIZE(paths));
	ck_assert_str_eq(b.ptr,
			 "apiVersion: kustomize.config.k8s.io/v1beta1\n"
			 "kind: Kustomization\n"
			 "resources:\n"
			 "- istio-system/_/gateway-public-gateway.yaml\n"
			 "- test/_/horizontalpodautoscaler-podinfo.yaml\n"
			 "- test/podinfo/service-podinfo.yaml\n");
	gc_buf_release(&b);
}
END_TEST

static Suite *gc_suite_layout(void)
{
	Suite *s = suite_create("layout");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_layout__object_and_status_paths);
	tcase_add_test(tc, test_layout__passthrough_and_canary_dirs);
	tcase_add_test(tc, test_layout__kustomization_lists_sorted_paths);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_layout)
