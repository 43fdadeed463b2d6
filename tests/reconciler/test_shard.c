#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "reconciler/loop/shard.h"

/*
 * The shard of a namespace (reconciler/loop/shard.h): the values are what
 * the documented shell line gives,
 *   $(( 0x$(printf %s NS | sha256sum | cut -c1-8) % N ))
 * so an operator can tell which replica owns a namespace.
 */
static const struct {
	const char *ns;
	unsigned n, want;
} known[] = {
	{ "default", 4, 1 },         { "test", 4, 1 },
	{ "team-a", 4, 0 },          { "team-b", 4, 2 },
	{ "kube-system", 4, 0 },     { "podinfo", 4, 0 },
	{ "flux-system", 4, 2 },     { "podinfo", 3, 2 },
	{ "default", 2, 1 },         { "team-b", 256, 170 },
	{ "flux-system", 256, 174 }, { "test", 1, 0 },
};

START_TEST(test_shard__known_namespaces)
{
	ck_assert_msg(gc_shard_of(known[_i].ns, known[_i].n) == known[_i].want,
		      "%s in %u: %u, want %u", known[_i].ns, known[_i].n,
		      gc_shard_of(known[_i].ns, known[_i].n), known[_i].want);
}
END_TEST

/* Every namespace is owned by exactly one of N shards, for every N. */
START_TEST(test_shard__every_namespace_in_exactly_one_shard)
{
	static const unsigned counts[] = { 1, 2, 3, 4, 7, 16, 256 };
	char ns[32];

	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		unsigned per[256] = { 0 };

		for (int k = 0; k < 2000; k++) {
			unsigned owners = 0;

			snprintf(ns, sizeof(ns), "ns-%d", k);
			for (unsigned i = 0; i < counts[c]; i++) {
				gc_shard s = { i, counts[c] };

				if (gc_shard_owns_ns(&s, ns)) {
					owners++;
					per[i]++;
				}
			}
			ck_assert_uint_eq(owners, 1);
		}
		/* and they spread: no shard of 4 or fewer gets under half
		 * its share */
		for (unsigned i = 0; counts[c] <= 4 && i < counts[c]; i++)
			ck_assert_uint_gt(per[i], 1000 / counts[c]);
	}
}
END_TEST

/* Deploy-branch paths: a namespace's are its shard's wherever they lie. */
START_TEST(test_shard__paths)
{
	gc_shard s[4] = { { 0, 4 }, { 1, 4 }, { 2, 4 }, { 3, 4 } };
	gc_shard none = { 0, 0 };
	static const struct {
		const char *path;
		int owner; /* -1: every shard */
	} paths[] = {
		{ "kustomization.yaml", -1 },
		{ "team-b/podinfo/deployment-podinfo-primary.yaml", 2 },
		{ "team-b/_/service-podinfo.yaml", 2 },
		{ ".gitcanary/status/team-b/podinfo.yaml", 2 },
		{ "default/_/configmap-x.yaml", 1 },
		{ ".gitcanary/status/default/podinfo.yaml", 1 },
		{ "_cluster/namespace-team-b.yaml", 0 },
		{ "README.md", 0 },
	};

	for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
		ck_assert(gc_shard_owns_path(&none, paths[p].path));
		for (int i = 0; i < 4; i++)
			ck_assert_msg(gc_shard_owns_path(&s[i],
							 paths[p].path) ==
					      (paths[p].owner < 0 ||
					       paths[p].owner == i),
				      "%s, shard %d", paths[p].path, i);
	}
	ck_assert(gc_shard_owns_ns(&s[0], NULL));
	ck_assert(!gc_shard_owns_ns(&s[1], NULL));
	ck_assert(gc_shard_owns_ns(&none, "team-b"));
}
END_TEST

static const struct {
	const char *arg;
	int ok;
	unsigned i, n;
} parse[] = {
	{ "0/4", 1, 0, 4 },         { "3/4", 1, 3, 4 },  { "0/1", 1, 0, 1 },
	{ "255/256", 1, 255, 256 }, { "4/4", 0, 0, 0 },  { "0/0", 0, 0, 0 },
	{ "0/257", 0, 0, 0 },       { "-1/4", 0, 0, 0 }, { "1", 0, 0, 0 },
	{ "1/4/2", 0, 0, 0 },       { " 1/4", 0, 0, 0 }, { "01/4", 0, 0, 0 },
	{ "1/", 0, 0, 0 },          { "/4", 0, 0, 0 },   { "", 0, 0, 0 },
};

START_TEST(test_shard__parse)
{
	gc_shard s = { 9, 9 };
	gc_error err = GC_ERROR_INIT;
	int rc = gc_shard_parse(&s, parse[_i].arg, &err);

	if (parse[_i].ok) {
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_eq(s.index, parse[_i].i);
		ck_assert_uint_eq(s.count, parse[_i].n);
	} else {
		char want[128];

		ck_assert_int_eq(rc, GC_EINVALID);
		snprintf(want, sizeof(want),
			 "--shard must be I/N with 0 <= I < N <= 256, not '%s'",
			 parse[_i].arg);
		ck_assert_str_eq(gc_error_msg(&err), want);
	}
	gc_error_release(&err);
}
END_TEST

Suite *gc_suite_shard(void);

Suite *gc_suite_shard(void)
{
	Suite *s = suite_create("shard");
	TCase *tc = tcase_create("shard");

	tcase_add_loop_test(tc, test_shard__known_namespaces, 0,
			    sizeof(known) / sizeof(known[0]));
	tcase_add_test(tc, test_shard__every_namespace_in_exactly_one_shard);
	tcase_add_test(tc, test_shard__paths);
	tcase_add_loop_test(tc, test_shard__parse, 0,
			    sizeof(parse) / sizeof(parse[0]));
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_shard)
