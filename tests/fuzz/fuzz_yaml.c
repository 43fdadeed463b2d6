/*
 * The YAML loader with positions (repo-layout/yaml.c): any bytes either
 * parse into documents whose every node has a position inside the input,
 * or fail with a one-line error placed inside the input.
 */
#include <string.h>

#include "fuzz.h"
#include "repo-layout/doc.h"
#include "repo-layout/yaml.h"
#include "util/text.h"

/*
 * Lines of data as libyaml counts them (LF, CR LF, CR, NEL, LS, PS end a
 * line), counting a last line without a break.
 */
static unsigned lines_of(const uint8_t *p, size_t size)
{
	unsigned n = 1;

	for (size_t i = 0; i < size; i++) {
		size_t b =
			p[i] == '\n' ? 1
			: p[i] == '\r'
				? (i + 1 < size && p[i + 1] == '\n' ? 2 : 1)
			: i + 1 < size && p[i] == 0xc2 && p[i + 1] == 0x85 ? 2
			: i + 2 < size && p[i] == 0xe2 && p[i + 1] == 0x80 &&
					(p[i + 2] == 0xa8 || p[i + 2] == 0xa9)
				? 3
				: 0;

		if (b && i + b < size)
			n++;
		i += b ? b - 1 : 0;
	}
	return n;
}

static void walk(const gc_doc *doc, const cJSON *node, unsigned max_line)
{
	for (const cJSON *c = node->child; c; c = c->next) {
		gc_loc loc = gc_doc_loc(doc, c);

		/* a value left empty at the end sits after the last break */
		FUZZ_CHECK(loc.line <= max_line + 1);
		walk(doc, c, max_line);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gc_doclist docs = GC_DOCLIST_INIT;
	gc_error err = GC_ERROR_INIT;
	unsigned max_line = lines_of(data, size);

	if (gc_yaml_parse(&docs, "in.yaml", (const char *)data, size, &err) <
	    0) {
		FUZZ_CHECK(err.msg && !strchr(err.msg, '\n'));
		FUZZ_CHECK(gc_text_valid_utf8(err.msg, strlen(err.msg)));
		FUZZ_CHECK(err.line >= 1 && err.line <= max_line);
	}
	for (size_t i = 0; i < docs.n; i++)
		walk(docs.v[i], docs.v[i]->root, max_line);
	gc_doclist_release(&docs);
	gc_error_release(&err);
	return 0;
}
