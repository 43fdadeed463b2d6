#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "repo-layout/yaml.h"
#include "util/json.h"

static const struct {
	const char *yaml;
	unsigned line, column;
	const char *needle;
} bad[] = {
	/* at the end of the last line, not on a line past it (issue 15) */
	{ "a: 1\nb: [1, 2\n", 2, 9, "flow sequence" },
	{ "a: 1\nb: [1, 2", 2, 9, "flow sequence" },
	/* libyaml's lines: a lone CR ends one too */
	{ "a: 1\rb: [1, 2\r", 2, 9, "flow sequence" },
	{ "a: 1\r\nb: [1, 2", 2, 9, "flow sequence" },
	{ "key: value\n  bad: indent\n", 2, 6, "mapping values" },
	{ "a:\n\tb: 1\n", 2, 1, "tabs are not allowed" },
	{ "a: 1\nb: 2\na: 3\n", 3, 1,
	  "duplicate key 'a' (first defined on line 1)" },
	{ "a: \xff\xfe\n", 1, 4, "(byte 0xff): file is not UTF-8 text" },
	{ "a: caf\xe9\n", 1, 7,
	  "incomplete UTF-8 octet sequence: file is not UTF-8 text" },
	{ "a: *nope\n", 1, 4, "unknown alias 'nope'" },
	{ "a: b\x01\n", 1, 5, "control characters" },
};

START_TEST(test_yaml__reports_location)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;

	ck_assert_int_eq(gc_yaml_parse(&docs, "in.yaml", bad[_i].yaml,
				       strlen(bad[_i].yaml), &err),
			 GC_EPARSE);
	ck_assert_uint_eq(docs.n, 0);
	ck_assert_str_eq(err.path, "in.yaml");
	ck_assert_uint_eq(err.line, bad[_i].line);
	ck_assert_uint_eq(err.column, bad[_i].column);
	ck_assert_msg(strstr(err.msg, bad[_i].needle), "message: %s", err.msg);
	gc_error_release(&err);
}
END_TEST

START_TEST(test_yaml__resolves_scalars_like_kubernetes)
{
	const char *src = "a: \"9797\"\nb: 9797\nc: yes\nd: 'true'\ne: ~\n"
			  "f: 0777\ng: 1.5\nh: 1m\ni: \"\"\nj: on\n";
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;
	const cJSON *r;

	ck_assert_int_eq(gc_yaml_parse(&docs, "x.yaml", src, strlen(src), &err),
			 0);
	ck_assert_uint_eq(docs.n, 1);
	r = docs.v[0]->root;
	ck_assert_str_eq(gc_json_str(r, "a"), "9797");
	ck_assert(gc_json_num(r, "b", 0) == 9797);
	ck_assert(cJSON_IsTrue(gc_json_get(r, "c")));
	ck_assert_str_eq(gc_json_str(r, "d"), "true");
	ck_assert(cJSON_IsNull(gc_json_get(r, "e")));
	ck_assert(gc_json_num(r, "f", 0) == 511);
	ck_assert(gc_json_num(r, "g", 0) == 1.5);
	ck_assert_str_eq(gc_json_str(r, "h"), "1m");
	ck_assert_str_eq(gc_json_str(r, "i"), "");
	ck_assert(cJSON_IsTrue(gc_json_get(r, "j")));
	gc_doclist_release(&docs);
}
END_TEST

START_TEST(test_yaml__remembers_positions_of_documents_and_nodes)
{
	const char *src =
		"# c\na: 1\n---\nkind: X\nspec:\n  x:\n  - 1\n  - k: v\n";
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;
	gc_loc loc;

	ck_assert_int_eq(gc_yaml_parse(&docs, "m.yaml", src, strlen(src), &err),
			 0);
	ck_assert_uint_eq(docs.n, 2);
	ck_assert_uint_eq(docs.v[1]->index, 1);
	loc = gc_doc_loc(docs.v[1], gc_json_get(docs.v[1]->root, "spec.x"));
	ck_assert_uint_eq(loc.line, 7);
	ck_assert_uint_eq(loc.column, 3);
	ck_assert_uint_eq(loc.key_line, 6);
	ck_assert_uint_eq(loc.key_column, 3);
	gc_doclist_release(&docs);
}
END_TEST

/* The value of a merge key is not in the tree, but its anchors are. */
START_TEST(test_yaml__aliases_an_anchor_inside_a_merge_value)
{
	const char *src = "a:\n  <<: &m {x: 1, y: {z: 2}}\n"
			  "  p: [1, 2, 3, 4, 5, 6, 7, 8]\nb: *m\nc: *m\n";
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;
	char *got;

	ck_assert_int_eq(gc_yaml_parse(&docs, "m.yaml", src, strlen(src), &err),
			 0);
	got = cJSON_PrintUnformatted(docs.v[0]->root);
	ck_assert_str_eq(got, "{\"a\":{\"x\":1,\"y\":{\"z\":2},"
			      "\"p\":[1,2,3,4,5,6,7,8]},"
			      "\"b\":{\"x\":1,\"y\":{\"z\":2}},"
			      "\"c\":{\"x\":1,\"y\":{\"z\":2}}}");
	free(got);
	gc_doclist_release(&docs);
}
END_TEST

/* Known keys are shared constants; trees stay copyable and editable. */
START_TEST(test_yaml__shares_known_keys)
{
	const char *src = "apiVersion: v1\nkind: ConfigMap\n"
			  "metadata: {name: a, labels: {app: a, own: b}}\n";
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;
	cJSON *meta, *copy, *labels;
	char *got;

	ck_assert_int_eq(gc_yaml_parse(&docs, "k.yaml", src, strlen(src), &err),
			 0);
	meta = cJSON_GetObjectItem(docs.v[0]->root, "metadata");
	ck_assert(meta->type & cJSON_StringIsConst);
	labels = cJSON_GetObjectItem(meta, "labels");
	ck_assert(!(cJSON_GetObjectItem(labels, "own")->type &
		    cJSON_StringIsConst));
	copy = gc_json_dup(docs.v[0]->root);
	/* move a member with a shared key under a new one, replace another */
	cJSON_AddItemToObject(copy, "moved",
			      cJSON_DetachItemFromObject(copy, "metadata"));
	cJSON_ReplaceItemInObject(copy, "kind", cJSON_CreateString("Secret"));
	got = cJSON_PrintUnformatted(copy);
	ck_assert_str_eq(got, "{\"apiVersion\":\"v1\",\"kind\":\"Secret\","
			      "\"moved\":{\"name\":\"a\",\"labels\":"
			      "{\"app\":\"a\",\"own\":\"b\"}}}");
	free(got);
	cJSON_Delete(copy);
	gc_doclist_release(&docs);
}
END_TEST

/* Every node of a tree as "path line:col key_line:key_col", pre-order. */
static void dump_locs(gc_buf *out, const gc_doc *doc, const cJSON *n,
		      const char *path)
{
	gc_loc loc = gc_doc_loc(doc, n);
	gc_buf child = GC_BUF_INIT;
	unsigned i = 0;

	gc_buf_addf(out, "%s %u:%u %u:%u\n", *path ? path : ".", loc.line,
		    loc.column, loc.key_line, loc.key_column);
	for (const cJSON *c = n->child; c; c = c->next, i++) {
		gc_buf_clear(&child);
		if (c->string)
			gc_buf_addf(&child, "%s/%s", path, c->string);
		else
			gc_buf_addf(&child, "%s[%u]", path, i);
		dump_locs(out, doc, c, child.ptr);
	}
	gc_buf_release(&child);
}

/* Pins the position of every node kind: values, keys, aliases, merges. */
START_TEST(test_yaml__remembers_the_position_of_every_node)
{
	const char *src = "a: 1\n"
			  "base: &b\n  x: 1\n  y: [1, {z: 2}]\n"
			  "m:\n  y: 3\n  <<: *b\n"
			  "n:\n  k: v\n  <<: [*b, {w: 4}]\n"
			  "al: *b\n"
			  "seq:\n- 1\n-   - 2\n    - k: \"q\"\n      j: 'r'\n"
			  "blk: |\n  text\n"
			  "? long\n: value\n"
			  "\"caf\xc3\xa9\": {f: [x, y], g: !!str 1}\n"
			  "e:\n"
			  "---\n"
			  "- just\n- &s {a: b}\n- *s\n";
	const char *want[] = {
		". 1:1 0:0\n"
		"/a 1:4 1:1\n"
		"/base 2:7 2:1\n"
		"/base/x 3:6 3:3\n"
		"/base/y 4:6 4:3\n"
		"/base/y[0] 4:7 0:0\n"
		"/base/y[1] 4:10 0:0\n"
		"/base/y[1]/z 4:14 4:11\n"
		"/m 6:3 5:1\n"
		"/m/y 6:6 6:3\n"
		"/m/x 1:1 0:0\n"
		"/n 9:3 8:1\n"
		"/n/k 9:6 9:3\n"
		"/n/x 1:1 0:0\n"
		"/n/y 1:1 0:0\n"
		"/n/y[0] 1:1 0:0\n"
		"/n/y[1] 1:1 0:0\n"
		"/n/y[1]/z 1:1 0:0\n"
		"/n/w 1:1 0:0\n"
		"/al 11:5 11:1\n"
		"/al/x 1:1 0:0\n"
		"/al/y 1:1 0:0\n"
		"/al/y[0] 1:1 0:0\n"
		"/al/y[1] 1:1 0:0\n"
		"/al/y[1]/z 1:1 0:0\n"
		"/seq 13:1 12:1\n"
		"/seq[0] 13:3 0:0\n"
		"/seq[1] 14:5 0:0\n"
		"/seq[1][0] 14:7 0:0\n"
		"/seq[1][1] 15:7 0:0\n"
		"/seq[1][1]/k 15:10 15:7\n"
		"/seq[1][1]/j 16:10 16:7\n"
		"/blk 17:6 17:1\n"
		"/long 20:3 19:3\n"
		"/caf\xc3\xa9 21:9 21:1\n"
		"/caf\xc3\xa9/f 21:13 21:10\n"
		"/caf\xc3\xa9/f[0] 21:14 0:0\n"
		"/caf\xc3\xa9/f[1] 21:17 0:0\n"
		"/caf\xc3\xa9/g 21:24 21:21\n"
		"/e 22:3 22:1\n",
		". 24:1 0:0\n"
		"[0] 24:3 0:0\n"
		"[1] 25:3 0:0\n"
		"[1]/a 25:10 25:7\n"
		"[2] 26:3 0:0\n"
		"[2]/a 23:1 0:0\n",
	};
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;
	gc_buf got = GC_BUF_INIT;

	ck_assert_int_eq(gc_yaml_parse(&docs, "p.yaml", src, strlen(src), &err),
			 0);
	ck_assert_uint_eq(docs.n, GC_ARRAY_SIZE(want));
	for (size_t i = 0; i < docs.n; i++) {
		gc_buf_clear(&got);
		dump_locs(&got, docs.v[i], docs.v[i]->root, "");
		ck_assert_str_eq(got.ptr, want[i]);
	}
	gc_buf_release(&got);
	gc_doclist_release(&docs);
}
END_TEST

START_TEST(test_yaml__stops_alias_bombs_and_deep_nesting)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;
	gc_buf src = GC_BUF_INIT;

	gc_buf_adds(&src, "a: &a [x,x,x,x,x,x,x,x,x,x]\n");
	for (char c = 'b'; c <= 'j'; c++)
		gc_buf_addf(
			&src,
			"%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n",
			c, c, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1,
			c - 1, c - 1, c - 1);
	ck_assert_int_eq(gc_yaml_parse(&docs, "bomb.yaml", src.ptr, src.len,
				       &err),
			 GC_EPARSE);
	ck_assert_msg(strstr(err.msg, "alias"), "%s", err.msg);
	gc_error_release(&err);
	gc_buf_clear(&src);
	for (int i = 0; i < 100; i++)
		gc_buf_adds(&src, "[");
	ck_assert_int_eq(gc_yaml_parse(&docs, "deep.yaml", src.ptr, src.len,
				       &err),
			 GC_EPARSE);
	ck_assert_msg(strstr(err.msg, "nesting deeper"), "%s", err.msg);
	ck_assert_uint_eq(err.column, 65);
	gc_error_release(&err);
	gc_buf_release(&src);
}
END_TEST

START_TEST(test_yaml__empty_input_has_no_documents)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;

	ck_assert_int_eq(gc_yaml_parse(&docs, "e.yaml", "", 0, &err), 0);
	ck_assert_int_eq(gc_yaml_parse(&docs, "e.yaml", "---\n---\n# x\n", 12,
				       &err),
			 0);
	ck_assert_uint_eq(docs.n, 0);
}
END_TEST

START_TEST(test_yaml__emit_quotes_strings_that_would_change_type)
{
	const char *src =
		"metadata:\n  annotations:\n    prometheus.io/scrape: \"true\"\n"
		"    prometheus.io/port: \"9797\"\n    v: \"1.10\"\n    e: \"\"\n"
		"    n: \"null\"\n    y: \"yes\"\n"
		"spec:\n  hosts:\n  - '*'\n  port: 9898\n  on: true\n"
		"  q: |\n    a\n    b\n  f: 0.5\n  empty: {}\n  list: []\n";
	const char *want =
		"metadata:\n  annotations:\n    prometheus.io/scrape: \"true\"\n"
		"    prometheus.io/port: \"9797\"\n    v: \"1.10\"\n    e: \"\"\n"
		"    \"n\": \"null\"\n    \"y\": \"yes\"\n"
		"spec:\n  hosts:\n  - '*'\n  port: 9898\n  \"on\": true\n"
		"  q: |\n    a\n    b\n  f: 0.5\n  empty: {}\n  list: []\n";
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;
	gc_buf out = GC_BUF_INIT;
	const cJSON *roots[2];

	ck_assert_int_eq(gc_yaml_parse(&docs, "q.yaml", src, strlen(src), &err),
			 0);
	roots[0] = docs.v[0]->root;
	ck_assert_int_eq(gc_yaml_emit(&out, roots, 1, &err), 0);
	ck_assert_str_eq(out.ptr, want);
	/* two documents are separated by --- and read back identically */
	roots[1] = docs.v[0]->root;
	gc_buf_clear(&out);
	ck_assert_int_eq(gc_yaml_emit(&out, roots, 2, &err), 0);
	gc_doclist_release(&docs);
	ck_assert_int_eq(gc_yaml_parse(&docs, "r.yaml", out.ptr, out.len, &err),
			 0);
	ck_assert_uint_eq(docs.n, 2);
	/* keys with dots are reached member by member, not by path */
	ck_assert_str_eq(
		cJSON_GetObjectItem(gc_json_get(docs.v[1]->root,
						"metadata.annotations"),
				    "prometheus.io/scrape")
			->valuestring,
		"true");
	gc_doclist_release(&docs);
	gc_buf_release(&out);
}
END_TEST

/*
 * Every spelling YAML 1.1 reads as null, a boolean or a number, and
 * near misses: what each plain scalar resolves to, and which strings the
 * emitter quotes (a key and a value alike).
 */
static const char *const words[] = {
	"",      "~",     "~x",    "null",  "Null",  "NULL",  "nULL",  "nul",
	"y",     "Y",     "yes",   "Yes",   "YES",   "yES",   "ye",    "n",
	"N",     "no",    "No",    "NO",    "nO",    "on",    "On",    "ON",
	"oN",    "off",   "Off",   "OFF",   "oFF",   "of",    "true",  "True",
	"TRUE",  "tRUE",  "truex", "false", "False", "FALSE", "fALSE", "falsey",
	"name",  "type",  "nope",  "t",     "f",     "o",     "0",     "017",
	"08",    "0x1F",  "0o17",  "0b101", "_1",    "1_000", "+1",    "-1",
	"1e5",   "1e",    "1.5",   ".5",    "1.",    "+",     "-",     ".inf",
	"-.Inf", "+.INF", ".nan",  ".NaN",  ".x",    "e5",    "1m",    "9797",
	"0.5.1", "1.0e+3"
};

static const char want_parsed[] = "s:\n"
				  "null\n"
				  "s:~x\n"
				  "null\n"
				  "null\n"
				  "null\n"
				  "s:nULL\n"
				  "s:nul\n"
				  "true\n"
				  "true\n"
				  "true\n"
				  "true\n"
				  "true\n"
				  "s:yES\n"
				  "s:ye\n"
				  "false\n"
				  "false\n"
				  "false\n"
				  "false\n"
				  "false\n"
				  "s:nO\n"
				  "true\n"
				  "true\n"
				  "true\n"
				  "s:oN\n"
				  "false\n"
				  "false\n"
				  "false\n"
				  "s:oFF\n"
				  "s:of\n"
				  "true\n"
				  "true\n"
				  "true\n"
				  "s:tRUE\n"
				  "s:truex\n"
				  "false\n"
				  "false\n"
				  "false\n"
				  "s:fALSE\n"
				  "s:falsey\n"
				  "s:name\n"
				  "s:type\n"
				  "s:nope\n"
				  "s:t\n"
				  "s:f\n"
				  "s:o\n"
				  "n:0\n"
				  "n:15\n"
				  "s:08\n"
				  "n:31\n"
				  "n:15\n"
				  "n:5\n"
				  "n:1\n"
				  "n:1000\n"
				  "n:1\n"
				  "n:-1\n"
				  "n:100000\n"
				  "s:1e\n"
				  "n:1.5\n"
				  "n:0.5\n"
				  "n:1\n"
				  "s:+\n"
				  "s:-\n"
				  "n:inf\n"
				  "n:-inf\n"
				  "n:inf\n"
				  "n:nan\n"
				  "n:nan\n"
				  "s:.x\n"
				  "s:e5\n"
				  "s:1m\n"
				  "n:9797\n"
				  "s:0.5.1\n"
				  "n:1000\n";

static const char want_emitted[] = "\"\": \"\"\n"
				   "\"~\": \"~\"\n"
				   "~x: ~x\n"
				   "\"null\": \"null\"\n"
				   "\"Null\": \"Null\"\n"
				   "\"NULL\": \"NULL\"\n"
				   "nULL: nULL\n"
				   "nul: nul\n"
				   "\"y\": \"y\"\n"
				   "\"Y\": \"Y\"\n"
				   "\"yes\": \"yes\"\n"
				   "\"Yes\": \"Yes\"\n"
				   "\"YES\": \"YES\"\n"
				   "yES: yES\n"
				   "ye: ye\n"
				   "\"n\": \"n\"\n"
				   "\"N\": \"N\"\n"
				   "\"no\": \"no\"\n"
				   "\"No\": \"No\"\n"
				   "\"NO\": \"NO\"\n"
				   "nO: nO\n"
				   "\"on\": \"on\"\n"
				   "\"On\": \"On\"\n"
				   "\"ON\": \"ON\"\n"
				   "oN: oN\n"
				   "\"off\": \"off\"\n"
				   "\"Off\": \"Off\"\n"
				   "\"OFF\": \"OFF\"\n"
				   "oFF: oFF\n"
				   "of: of\n"
				   "\"true\": \"true\"\n"
				   "\"True\": \"True\"\n"
				   "\"TRUE\": \"TRUE\"\n"
				   "tRUE: tRUE\n"
				   "truex: truex\n"
				   "\"false\": \"false\"\n"
				   "\"False\": \"False\"\n"
				   "\"FALSE\": \"FALSE\"\n"
				   "fALSE: fALSE\n"
				   "falsey: falsey\n"
				   "name: name\n"
				   "type: type\n"
				   "nope: nope\n"
				   "t: t\n"
				   "f: f\n"
				   "o: o\n"
				   "\"0\": \"0\"\n"
				   "\"017\": \"017\"\n"
				   "08: 08\n"
				   "\"0x1F\": \"0x1F\"\n"
				   "\"0o17\": \"0o17\"\n"
				   "\"0b101\": \"0b101\"\n"
				   "\"_1\": \"_1\"\n"
				   "\"1_000\": \"1_000\"\n"
				   "\"+1\": \"+1\"\n"
				   "\"-1\": \"-1\"\n"
				   "\"1e5\": \"1e5\"\n"
				   "1e: 1e\n"
				   "\"1.5\": \"1.5\"\n"
				   "\".5\": \".5\"\n"
				   "\"1.\": \"1.\"\n"
				   "+: +\n"
				   "'-': '-'\n"
				   "\".inf\": \".inf\"\n"
				   "\"-.Inf\": \"-.Inf\"\n"
				   "\"+.INF\": \"+.INF\"\n"
				   "\".nan\": \".nan\"\n"
				   "\".NaN\": \".NaN\"\n"
				   ".x: .x\n"
				   "e5: e5\n"
				   "1m: 1m\n"
				   "\"9797\": \"9797\"\n"
				   "0.5.1: 0.5.1\n"
				   "\"1.0e+3\": \"1.0e+3\"\n";

/* The parsed items, one a line: s:string, n:number (%g), true, false, null. */
static void dump_items(gc_buf *out, const cJSON *arr)
{
	for (const cJSON *n = arr->child; n; n = n->next) {
		if (cJSON_IsString(n))
			gc_buf_addf(out, "s:%s\n", n->valuestring);
		else if (cJSON_IsNumber(n))
			gc_buf_addf(out, "n:%g\n", n->valuedouble);
		else
			gc_buf_addf(out, "%s\n",
				    cJSON_IsTrue(n)    ? "true"
				    : cJSON_IsFalse(n) ? "false"
						       : "null");
	}
}

START_TEST(test_yaml__resolves_and_quotes_every_spelling)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;
	gc_buf in = GC_BUF_INIT, out = GC_BUF_INIT;
	cJSON *doc = cJSON_CreateObject();
	const cJSON *root = doc;

	gc_buf_adds(&in, "[");
	for (size_t i = 0; i < GC_ARRAY_SIZE(words); i++) {
		gc_buf_addf(&in, "%s%s", i ? ", " : "",
			    *words[i] ? words[i] : "''");
		cJSON_AddItemToObject(doc, words[i],
				      cJSON_CreateString(words[i]));
	}
	gc_buf_adds(&in, "]");
	ck_assert_int_eq(gc_yaml_parse(&docs, "w.yaml", in.ptr, in.len, &err),
			 0);
	dump_items(&out, docs.v[0]->root);
	ck_assert_str_eq(out.ptr, want_parsed);
	gc_buf_clear(&out);
	ck_assert_int_eq(gc_yaml_emit(&out, &root, 1, &err), 0);
	ck_assert_str_eq(out.ptr, want_emitted);
	/* a !!bool tag: true for the true spellings only */
	gc_doclist_release(&docs);
	gc_buf_clear(&out);
	ck_assert_int_eq(gc_yaml_parse(&docs, "b.yaml",
				       "[!!bool Yes, !!bool ON, !!bool off, "
				       "!!bool x, !!str on]",
				       55, &err),
			 0);
	dump_items(&out, docs.v[0]->root);
	ck_assert_str_eq(out.ptr, "true\ntrue\nfalse\nfalse\ns:on\n");
	cJSON_Delete(doc);
	gc_doclist_release(&docs);
	gc_buf_release(&in);
	gc_buf_release(&out);
}
END_TEST

START_TEST(test_yaml__emits_numbers_as_written)
{
	static const double nums[] = { 0,
				       -0.0,
				       -1,
				       9898,
				       -2147483648.0,
				       9007199254740991.0,
				       -9007199254740991.0,
				       9007199254740992.0,
				       1e15,
				       0.5,
				       -1.25,
				       0.1 };
	cJSON *arr = cJSON_CreateArray();
	const cJSON *root = arr;
	gc_error err = GC_ERROR_INIT;
	gc_buf out = GC_BUF_INIT;

	for (size_t i = 0; i < GC_ARRAY_SIZE(nums); i++)
		cJSON_AddItemToArray(arr, cJSON_CreateNumber(nums[i]));
	ck_assert_int_eq(gc_yaml_emit(&out, &root, 1, &err), 0);
	ck_assert_str_eq(out.ptr, "- 0\n- 0\n- -1\n- 9898\n- -2147483648\n"
				  "- 9007199254740991\n- -9007199254740991\n"
				  "- 9007199254740992\n- 1000000000000000\n"
				  "- 0.5\n- -1.25\n- 0.1\n");
	cJSON_Delete(arr);
	gc_buf_release(&out);
}
END_TEST

/*
 * Strings as libyaml's emitter writes them, ASCII or not: control
 * characters escaped, UTF-8 as it is; invalid UTF-8 is an error (it hung
 * the emitter before).
 */
START_TEST(test_yaml__emits_any_text_as_libyaml_does)
{
	static const char *const texts[] = {
		"plain",
		"caf\xc3\xa9",
		"a\x01"
		"b",
		"tab\there",
		"x: y",
		"- a",
		"#c",
		" lead",
		"trail ",
		"\xe2\x80\xa8",
	};
	cJSON *arr = cJSON_CreateArray(), *invalid;
	const cJSON *root = arr;
	gc_error err = GC_ERROR_INIT;
	gc_buf out = GC_BUF_INIT;

	for (size_t i = 0; i < GC_ARRAY_SIZE(texts); i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(texts[i]));
	ck_assert_int_eq(gc_yaml_emit(&out, &root, 1, &err), 0);
	ck_assert_str_eq(out.ptr,
			 "- plain\n- caf\xc3\xa9\n- \"a\\x01b\"\n"
			 "- \"tab\\there\"\n- 'x: y'\n- '- a'\n- '#c'\n"
			 "- ' lead'\n- 'trail '\n- '\xe2\x80\xa8  '\n");
	invalid = cJSON_CreateObject();
	cJSON_AddStringToObject(invalid, "k", "\xff");
	root = invalid;
	gc_buf_clear(&out);
	ck_assert_int_eq(gc_yaml_emit(&out, &root, 1, &err), GC_ERROR);
	ck_assert_str_eq(err.msg, "yaml emitter: a string is not UTF-8 text");
	gc_error_release(&err);
	cJSON_Delete(invalid);
	cJSON_Delete(arr);
	gc_buf_release(&out);
}
END_TEST

/*
 * Pieces of a stream emitted apart and joined are the stream: every way to
 * cut three documents (empty pieces too), with a block scalar that keeps
 * its trailing line breaks, whose "..." the stream's end adds only when it
 * is last. The expected bytes are those of one libyaml stream.
 */
static const char *const whole_stream =
	"kind: A\ndata:\n  k: v\n---\n"
	"kind: B\ndata:\n  script: |+\n    echo\n\n---\n"
	"- x\n- \"y\": []\n";

/* docs[0..n) cut before each index of cuts (ascending), joined */
static void join_pieces(gc_buf *out, const cJSON *const *docs, size_t n,
			const size_t *cuts, size_t ncuts)
{
	gc_buf piece = GC_BUF_INIT, tail = GC_BUF_INIT, last = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;
	bool first = true;
	size_t from = 0;

	for (size_t c = 0; c <= ncuts; c++) {
		size_t to = c < ncuts ? cuts[c] : n;

		gc_buf_clear(&piece);
		gc_buf_clear(&tail);
		ck_assert_int_eq(gc_yaml_emit_part(&piece, &tail, docs + from,
						   to - from, first, &err),
				 0);
		gc_buf_add(out, piece.ptr, piece.len);
		if (to > from) {
			first = false;
			gc_buf_clear(&last);
			gc_buf_add(&last, tail.ptr, tail.len);
		} else {
			ck_assert_uint_eq(piece.len, 0);
		}
		from = to;
	}
	gc_buf_add(out, last.ptr, last.len);
	gc_buf_release(&piece);
	gc_buf_release(&tail);
	gc_buf_release(&last);
}

START_TEST(test_yaml__pieces_of_a_stream_join_into_the_stream)
{
	static const size_t cuts[][3] = {
		{ 0 }, { 1 }, { 2 }, { 3 }, { 1, 2 }, { 0, 1, 2 }, { 1, 1, 3 },
	};
	static const size_t ncuts[] = { 1, 1, 1, 1, 2, 3, 3 };
	cJSON *a = cJSON_Parse("{\"kind\":\"A\",\"data\":{\"k\":\"v\"}}");
	cJSON *b = cJSON_Parse(
		"{\"kind\":\"B\",\"data\":{\"script\":\"echo\\n\\n\"}}");
	cJSON *c = cJSON_Parse("[\"x\",{\"y\":[]}]");
	const cJSON *docs[] = { a, b, c };
	gc_buf out = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;

	for (size_t i = 0; i < GC_ARRAY_SIZE(cuts); i++) {
		gc_buf_clear(&out);
		join_pieces(&out, docs, 3, cuts[i], ncuts[i]);
		ck_assert_str_eq(out.ptr, whole_stream);
	}
	/* the kept block scalar last: the stream's end marks it */
	gc_buf_clear(&out);
	join_pieces(&out, docs, 2, cuts[1], 1);
	ck_assert_str_eq(out.ptr, "kind: A\ndata:\n  k: v\n---\n"
				  "kind: B\ndata:\n  script: |+\n    echo\n\n"
				  "...\n");
	gc_buf_clear(&out);
	ck_assert_int_eq(gc_yaml_emit(&out, docs, 3, &err), 0);
	ck_assert_str_eq(out.ptr, whole_stream);
	/* no document at all: nothing */
	gc_buf_clear(&out);
	ck_assert_int_eq(gc_yaml_emit(&out, docs, 0, &err), 0);
	ck_assert_uint_eq(out.len, 0);
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(c);
	gc_buf_release(&out);
}
END_TEST

static Suite *gc_suite_yaml(void)
{
	Suite *s = suite_create("yaml");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_yaml__reports_location, 0,
			    GC_ARRAY_SIZE(bad));
	tcase_add_test(tc, test_yaml__resolves_scalars_like_kubernetes);
	tcase_add_test(tc,
		       test_yaml__remembers_positions_of_documents_and_nodes);
	tcase_add_test(tc, test_yaml__aliases_an_anchor_inside_a_merge_value);
	tcase_add_test(tc, test_yaml__remembers_the_position_of_every_node);
	tcase_add_test(tc, test_yaml__shares_known_keys);
	tcase_add_test(tc, test_yaml__stops_alias_bombs_and_deep_nesting);
	tcase_add_test(tc, test_yaml__empty_input_has_no_documents);
	tcase_add_test(tc,
		       test_yaml__emit_quotes_strings_that_would_change_type);
	tcase_add_test(tc, test_yaml__resolves_and_quotes_every_spelling);
	tcase_add_test(tc, test_yaml__emits_numbers_as_written);
	tcase_add_test(tc, test_yaml__emits_any_text_as_libyaml_does);
	tcase_add_test(tc, test_yaml__pieces_of_a_stream_join_into_the_stream);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_yaml)
