/*
 * The push receivers (reconciler/service/receivers.c) and their secret
 * file. The first byte picks the forge; the rest is
 * "<signature>\n<event>\n<body>". Whatever arrives, the verdict is one of
 * the four, its reason one short line and its ref a bounded string; the
 * secret file parser says yes, or no with a one-line message.
 */
#include <string.h>

#include "fuzz.h"
#include "reconciler/service/receivers.h"
#include "util/alloc.h"
#include "util/text.h"

typedef struct hdrs {
	const char *sig, *event;
} hdrs;

static const char *lookup(const char *name, void *payload)
{
	const hdrs *h = payload;

	return strstr(name, "Event") ? h->event : h->sig;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned statuses[] = { 202, 200, 401, 400 };
	gc_receiver_secrets s;
	gc_error err = GC_ERROR_INIT;
	char *copy, *nl1, *nl2;
	hdrs h;
	gc_push p;

	if (!size)
		return 0;
	copy = gc_xstrndup((const char *)data + 1, size - 1);
	h.sig = copy;
	h.event = NULL;
	nl1 = strchr(copy, '\n');
	nl2 = nl1 ? strchr(nl1 + 1, '\n') : NULL;
	if (nl1) {
		*nl1 = '\0';
		h.event = nl1 + 1;
	}
	if (nl2)
		*nl2 = '\0';
	gc_receivers_check(&p, (gc_forge)(data[0] % GC_FORGES), "s3cret",
			   "main", lookup, &h, nl2 ? nl2 + 1 : "",
			   nl2 ? size - 1 - (size_t)(nl2 + 1 - copy) : 0);
	FUZZ_CHECK(p.status == statuses[p.verdict]);
	FUZZ_CHECK(p.reason && !strchr(p.reason, '\n'));
	FUZZ_CHECK(strlen(p.ref) < sizeof(p.ref));
	free(copy);
	if (gc_receivers_parse_secrets(&s, "f", (const char *)data, size,
				       &err) == 0) {
		for (size_t i = 0; i < GC_FORGES; i++)
			FUZZ_CHECK(!s.secret[i] || *s.secret[i]);
		gc_receiver_secrets_release(&s);
	} else {
		FUZZ_CHECK(!strchr(gc_error_msg(&err), '\n'));
	}
	gc_error_release(&err);
	return 0;
}
