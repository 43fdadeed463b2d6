#include "reconciler/checks/check.h"

#include <stdlib.h>

void gc_check_release(gc_check *c)
{
	if (!c)
		return;
	free(c->message);
	cJSON_Delete(c->evidence);
	c->message = NULL;
	c->evidence = NULL;
	c->status = GC_CHECK_NOT_RUN;
}

void gc_check_batch_release(gc_check_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		gc_check_release(&b->v[i]);
	free(b->v);
	b->v = NULL;
	b->n = 0;
}
