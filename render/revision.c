#include "revision.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/hash.h"

static int cmp_keys(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a;
	const cJSON *y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

static void add_string(gc_buf *out, const char *s)
{
	gc_buf_addch(out, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			gc_buf_addf(out, "\\%c", c);
		else if (c < 0x20)
			gc_buf_addf(out, "\\u%04x", c);
		else
			gc_buf_addch(out, (char)c);
	}
	gc_buf_addch(out, '"');
}

void gc_revision_canonical(gc_buf *out, const cJSON *node)
{
	size_t n = 0, i = 0;
	const cJSON **members;

	if (cJSON_IsObject(node)) {
		for (const cJSON *m = node->child; m; m = m->next)
			n++;
		members = gc_xcalloc(n, sizeof(*members));
		for (const cJSON *m = node->child; m; m = m->next)
			members[i++] = m;
		qsort(members, n, sizeof(*members), cmp_keys);
		gc_buf_addch(out, '{');
		for (i = 0; i < n; i++) {
			if (i)
				gc_buf_addch(out, ',');
			add_string(out, members[i]->string);
			gc_buf_addch(out, ':');
			gc_revision_canonical(out, members[i]);
		}
		gc_buf_addch(out, '}');
		free(members);
	} else if (cJSON_IsArray(node)) {
		gc_buf_addch(out, '[');
		for (const cJSON *m = node->child; m; m = m->next) {
			if (m != node->child)
				gc_buf_addch(out, ',');
			gc_revision_canonical(out, m);
		}
		gc_buf_addch(out, ']');
	} else if (cJSON_IsString(node)) {
		add_string(out, node->valuestring);
	} else if (cJSON_IsNumber(node)) {
		double d = node->valuedouble;

		if (d == floor(d) && fabs(d) < 9007199254740992.0)
			gc_buf_addf(out, "%lld", (long long)d);
		else
			gc_buf_addf(out, "%.17g", d);
	} else if (cJSON_IsBool(node)) {
		gc_buf_adds(out, cJSON_IsTrue(node) ? "true" : "false");
	} else {
		gc_buf_adds(out, "null");
	}
}

/* Maps the decimal digits of n through the SafeEncodeString alphabet. */
static void revision_encode(char out[GC_REVISION_MAX], unsigned long n)
{
	static const char alphabet[] = "456789bcdf";
	char dec[GC_REVISION_MAX];
	size_t i;

	snprintf(dec, sizeof(dec), "%lu", n);
	for (i = 0; dec[i]; i++)
		out[i] = alphabet[dec[i] - '0'];
	out[i] = '\0';
}

void gc_revision_hash(char out[GC_REVISION_MAX], const cJSON *template)
{
	gc_buf canon = GC_BUF_INIT;

	gc_revision_canonical(&canon, template);
	revision_encode(out,
			gc_hash_fnv1a32(GC_FNV32_INIT, canon.ptr, canon.len));
	gc_buf_release(&canon);
}
