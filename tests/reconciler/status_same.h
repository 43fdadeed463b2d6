#ifndef GC_TESTS_STATUS_SAME_H
#define GC_TESTS_STATUS_SAME_H

/* What the status and machine tests share: equality of two statuses. */

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "reconciler/release/status.h"

/* Two statuses persist the same (every field of the status file). */
static inline bool status_same(const gc_status *a, const gc_status *b)
{
	cJSON *x = gc_status_to_json(a), *y = gc_status_to_json(b);
	bool same = cJSON_Compare(x, y, true);

	cJSON_Delete(x);
	cJSON_Delete(y);
	return same;
}

#endif
