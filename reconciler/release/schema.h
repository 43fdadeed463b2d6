#ifndef GC_RECONCILER_SCHEMA_H
#define GC_RECONCILER_SCHEMA_H

/*
 * The field schemas of Flagger's CRDs (artifacts/flagger/crd.yaml, Flagger
 * 1.44) for Canary, MetricTemplate and AlertProvider, as tables that
 * validate.c walks. An object with a table is strict: a key the table does
 * not name is an unknown field, as the API server's strict field
 * validation reports it. An object without one (sub NULL) is open, as the
 * CRD leaves it (metadata, status, maps, headers).
 */

typedef enum gc_ftype {
	GC_T_STR,
	GC_T_INT,
	GC_T_NUM,
	GC_T_BOOL,
	GC_T_OBJ, /* object with sub fields (or any object when sub is NULL) */
	GC_T_OBJARR, /* list of objects with sub fields */
	GC_T_OBJMAP, /* map of objects with sub fields */
	GC_T_STRARR,
	GC_T_INTARR,
	GC_T_STRMAP,
	GC_T_INTSTR
} gc_ftype;

enum {
	GC_F_REQ = 1 << 0,
	GC_F_DURATION = 1 << 1, /* CRD pattern ^[0-9]+(m|s), Go duration */
	GC_F_MIN1 = 1 << 2
};

typedef struct gc_field {
	const char *key;
	gc_ftype type;
	unsigned flags;
	const char *const *enumv;   /* NULL-terminated */
	const struct gc_field *sub; /* { NULL } terminated */
} gc_field;

/* Whole objects: apiVersion, kind, metadata, spec, status. */
extern const gc_field gc_schema_canary[];
extern const gc_field gc_schema_metric_template[];
extern const gc_field gc_schema_alert_provider[];

#endif
