/*
 * The only libyaml user: YAML text <-> cJSON trees that remember where each
 * node came from.
 */
#include "yaml.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "util/alloc.h"
#include "util/json.h"

typedef struct parse_ctx {
	yaml_parser_t parser;
	const char *path;
	const char *data;
	size_t len;
	gc_doc *doc;
	gc_map anchors; /* name -> cJSON* in doc->root or in merged */
	cJSON *merged;  /* merge ("<<") values, alive until the document ends */
	size_t nodes;
	unsigned depth;
	gc_error *err;
} parse_ctx;

/* ---- scalar resolution (YAML 1.1 as go-yaml v2 / Kubernetes) ---- */

/* s is one of the words of list (parse_float's infinities and NaNs). */
static bool in_list(const char *s, const char *const *list)
{
	/* every word has at most 5 bytes and starts with one of these */
	size_t n = 0;

	if (!*s || !strchr(".+-", *s))
		return false;
	while (n < 6 && s[n])
		n++;
	if (n == 6)
		return false;
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

/*
 * What a plain scalar is as a word: null ("", "~", null), true (y, yes, on,
 * true) or false (n, no, off, false), each word spelt lowercase,
 * capitalised or uppercase, or none of them. On the path of every scalar
 * parsed and emitted: a switch on the first letter, no list.
 */
enum plain_word { WORD_NONE, WORD_NULL, WORD_TRUE, WORD_FALSE };

/* s is w (lowercase) spelt w, W... or WORD. */
static bool spelt(const char *s, const char *w)
{
	bool upper = *s >= 'A' && *s <= 'Z', all;

	if ((upper ? *s - 'A' + 'a' : *s) != *w)
		return false;
	if (!upper)
		return !strcmp(s + 1, w + 1);
	s++, w++;
	all = *s >= 'A' && *s <= 'Z';
	for (; *s && *w; s++, w++)
		if (*s != (all ? *w - 'a' + 'A' : *w))
			return false;
	return *s == *w;
}

static enum plain_word plain_word(const char *s)
{
	switch (*s) {
	case '\0':
		return WORD_NULL;
	case '~':
		return s[1] ? WORD_NONE : WORD_NULL;
	case 'n':
	case 'N':
		if (spelt(s, "null"))
			return WORD_NULL;
		return spelt(s, "n") || spelt(s, "no") ? WORD_FALSE : WORD_NONE;
	case 'y':
	case 'Y':
		return spelt(s, "y") || spelt(s, "yes") ? WORD_TRUE : WORD_NONE;
	case 'o':
	case 'O':
		if (spelt(s, "on"))
			return WORD_TRUE;
		return spelt(s, "off") ? WORD_FALSE : WORD_NONE;
	case 't':
	case 'T':
		return spelt(s, "true") ? WORD_TRUE : WORD_NONE;
	case 'f':
	case 'F':
		return spelt(s, "false") ? WORD_FALSE : WORD_NONE;
	default:
		return WORD_NONE;
	}
}

/* Parses an integer the way go-yaml v2 does (0x, 0o, leading-0 octal, 0b). */
static bool parse_int(const char *s, double *out)
{
	char clean[64];
	size_t n = 0;
	const char *p = s;
	int base = 10, neg = 0;
	char *end;
	long long v;

	for (; *p && n < sizeof(clean) - 1; p++)
		if (*p != '_')
			clean[n++] = *p;
	if (*p || !n)
		return false;
	clean[n] = '\0';
	p = clean;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!isdigit((unsigned char)*p))
		return false;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		base = 8, p += 2;
	else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
		base = 2, p += 2;
	else if (p[0] == '0' && p[1])
		base = 8, p += 1;
	if (!*p)
		return false;
	errno = 0;
	v = strtoll(p, &end, base);
	if (*end || errno)
		return false;
	*out = neg ? -(double)v : (double)v;
	return true;
}

static bool parse_float(const char *s, double *out)
{
	static const char *const inf[] = { ".inf",  ".Inf",  ".INF", "+.inf",
					   "+.Inf", "+.INF", NULL };
	static const char *const ninf[] = { "-.inf", "-.Inf", "-.INF", NULL };
	static const char *const nan_words[] = { ".nan", ".NaN", ".NAN", NULL };
	const char *p = s;
	bool digits = false, dot = false;
	char *end;

	if (in_list(s, inf) || in_list(s, ninf) || in_list(s, nan_words)) {
		*out = in_list(s, nan_words) ? (double)NAN
		       : in_list(s, ninf)    ? -(double)INFINITY
					     : (double)INFINITY;
		return true;
	}
	if (*p == '+' || *p == '-')
		p++;
	for (; *p && *p != 'e' && *p != 'E'; p++) {
		if (isdigit((unsigned char)*p) || *p == '_')
			digits |= *p != '_';
		else if (*p == '.' && !dot)
			dot = true;
		else
			return false;
	}
	if (!digits || (!dot && !*p))
		return false;
	if (*p) {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
		if (*p)
			return false;
	}
	if (strchr(s, '_'))
		return false; /* keep it simple: underscores only in ints */
	*out = strtod(s, &end);
	return *end == '\0';
}

/* True if the plain scalar `s` reads back as a string. */
static bool plain_is_string(const char *s)
{
	double d;

	/*
	 * Numbers start with one of these (an integer may start with '_',
	 * which it drops); nulls and booleans are words (or "").
	 */
	switch (*s) {
	case '.':
	case '+':
	case '-':
	case '_':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		return !parse_int(s, &d) && !parse_float(s, &d);
	default:
		return plain_word(s) == WORD_NONE;
	}
}

static cJSON *resolve_scalar(const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	double d;

	if (tag && strcmp(tag, "!") != 0) {
		if (!strcmp(tag, YAML_STR_TAG))
			return cJSON_CreateString(s);
		if (!strcmp(tag, YAML_BOOL_TAG))
			return cJSON_CreateBool(plain_word(s) == WORD_TRUE);
		if (!strcmp(tag, YAML_NULL_TAG))
			return cJSON_CreateNull();
		if ((!strcmp(tag, YAML_INT_TAG) && parse_int(s, &d)) ||
		    (!strcmp(tag, YAML_FLOAT_TAG) && parse_float(s, &d)))
			return cJSON_CreateNumber(d);
	}
	if (!ev->data.scalar.plain_implicit || tag)
		return cJSON_CreateString(s);
	switch (plain_word(s)) {
	case WORD_NULL:
		return cJSON_CreateNull();
	case WORD_TRUE:
		return cJSON_CreateTrue();
	case WORD_FALSE:
		return cJSON_CreateFalse();
	default:
		break;
	}
	if (parse_int(s, &d) || parse_float(s, &d))
		return cJSON_CreateNumber(d);
	return cJSON_CreateString(s);
}

/* ---- errors ---- */

static void offset_to_loc(const char *data, size_t len, size_t off,
			  unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (data[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)data[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

/*
 * The length of the line break at p (libyaml's: LF, CR LF, CR, NEL, LS,
 * PS), or 0.
 */
static size_t line_break(const unsigned char *p, size_t left)
{
	if (p[0] == '\n')
		return 1;
	if (p[0] == '\r')
		return left > 1 && p[1] == '\n' ? 2 : 1;
	if (left > 1 && p[0] == 0xc2 && p[1] == 0x85)
		return 2;
	if (left > 2 && p[0] == 0xe2 && p[1] == 0x80 &&
	    (p[2] == 0xa8 || p[2] == 0xa9))
		return 3;
	return 0;
}

/*
 * The last position in the file as libyaml counts lines: the end of its
 * last line. libyaml reports errors at end of input one line past the end
 * when the file does not end with a line break; they are moved back here.
 */
static void clamp_to_file(const char *data, size_t len, gc_error *err)
{
	const unsigned char *p = (const unsigned char *)data;
	unsigned line = 1, col = 1;

	if (!err || !err->line)
		return;
	for (size_t i = 0, n; i < len; i += n) {
		if ((n = line_break(p + i, len - i)) > 0) {
			if (i + n == len)
				break; /* the last line's own break */
			line++;
			col = 1;
			continue;
		}
		n = 1;
		if ((p[i] & 0xc0) != 0x80)
			col++;
	}
	if (err->line > line || (err->line == line && err->column > col)) {
		err->line = line;
		err->column = col;
	}
}

static int yaml_parse_error(parse_ctx *ctx)
{
	const yaml_parser_t *p = &ctx->parser;
	unsigned line = (unsigned)p->problem_mark.line + 1;
	unsigned col = (unsigned)p->problem_mark.column + 1;
	const char *hint = "";

	if (p->error == YAML_READER_ERROR) {
		offset_to_loc(ctx->data, ctx->len, p->problem_offset, &line,
			      &col);
		if (p->problem_value < 0) /* input ended inside a sequence */
			return gc_error_set_at(ctx->err, GC_EPARSE, ctx->path,
					       line, col,
					       "%s: file is not UTF-8 text",
					       p->problem ? p->problem
							  : "invalid input");
		return gc_error_set_at(
			ctx->err, GC_EPARSE, ctx->path, line, col,
			"%s (byte 0x%02x): file is not UTF-8 text",
			p->problem ? p->problem : "invalid input",
			(unsigned)p->problem_value & 0xffu);
	}
	if (p->problem_mark.index < ctx->len &&
	    ctx->data[p->problem_mark.index] == '\t')
		hint = " (tabs are not allowed for indentation; use spaces)";
	return gc_error_set_at(ctx->err, GC_EPARSE, ctx->path, line, col,
			       "%s%s%s%s",
			       p->problem ? p->problem : "syntax error",
			       p->context ? " " : "",
			       p->context ? p->context : "", hint);
}

static int node_error(parse_ctx *ctx, const yaml_mark_t *m, const char *fmt,
		      ...) GC_PRINTF(3, 4);
static int node_error(parse_ctx *ctx, const yaml_mark_t *m, const char *fmt,
		      ...)
{
	va_list ap;

	va_start(ap, fmt);
	gc_error_vset_at(ctx->err, GC_EPARSE, ctx->path, (unsigned)m->line + 1,
			 (unsigned)m->column + 1, fmt, ap);
	va_end(ap);
	return GC_EPARSE;
}

/* ---- tree building ---- */

static int next_event(parse_ctx *ctx, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&ctx->parser, ev))
		return yaml_parse_error(ctx);
	return 0;
}

static size_t count_nodes(const cJSON *n)
{
	size_t c = 1;

	for (const cJSON *ch = n->child; ch; ch = ch->next)
		c += count_nodes(ch);
	return c;
}

static int parse_node(parse_ctx *ctx, yaml_event_t *ev, const yaml_mark_t *key,
		      cJSON **out);

static int take_node(parse_ctx *ctx, const yaml_mark_t *m)
{
	if (++ctx->nodes > GC_YAML_MAX_NODES)
		return node_error(
			ctx, m,
			"document has more than %u nodes (alias bomb or oversized document)",
			GC_YAML_MAX_NODES);
	return 0;
}

/* Records node's position (and its key's, for a mapping value). */
static void remember(parse_ctx *ctx, const yaml_event_t *ev,
		     const yaml_mark_t *key, cJSON *node,
		     const unsigned char *anchor)
{
	gc_loc loc = { (unsigned)ev->start_mark.line + 1,
		       (unsigned)ev->start_mark.column + 1, 0, 0 };

	if (key) {
		loc.key_line = (unsigned)key->line + 1;
		loc.key_column = (unsigned)key->column + 1;
	}
	gc_doc_set_loc(ctx->doc, node, loc);
	if (anchor)
		gc_map_sets(&ctx->anchors, (const char *)anchor, node);
}

static int parse_alias(parse_ctx *ctx, yaml_event_t *ev, const yaml_mark_t *key,
		       cJSON **out)
{
	const char *name = (const char *)ev->data.alias.anchor;
	cJSON *target = gc_map_gets(&ctx->anchors, name);
	size_t n;

	if (!target)
		return node_error(ctx, &ev->start_mark, "unknown alias '%s'",
				  name);
	n = count_nodes(target);
	if (n > GC_YAML_MAX_NODES || (ctx->nodes += n) > GC_YAML_MAX_NODES)
		return node_error(
			ctx, &ev->start_mark,
			"alias '%s' expands past the document size limit (alias bomb?)",
			name);
	*out = gc_json_dup(target);
	remember(ctx, ev, key, *out, NULL);
	return 0;
}

static int parse_sequence(parse_ctx *ctx, yaml_event_t *start,
			  const yaml_mark_t *key, cJSON **out)
{
	cJSON *arr = cJSON_CreateArray();
	yaml_event_t ev;
	int error = 0;

	remember(ctx, start, key, arr, start->data.sequence_start.anchor);
	for (;;) {
		cJSON *item = NULL;

		if ((error = next_event(ctx, &ev)) < 0)
			break;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		error = parse_node(ctx, &ev, NULL, &item);
		yaml_event_delete(&ev);
		if (error < 0)
			break;
		cJSON_AddItemToArray(arr, item);
	}
	if (error < 0) {
		cJSON_Delete(arr);
		return error;
	}
	*out = arr;
	return 0;
}

/*
 * Mapping keys that most manifests repeat: a member with one of these
 * points at the constant instead of a malloc'd copy of its key (cJSON
 * never frees a key flagged cJSON_StringIsConst, and copies keep the
 * pointer). Sorted in byte order for bsearch.
 */
static const char *const known_keys[] = {
	"accessModes",
	"affinity",
	"analysis",
	"annotations",
	"apiVersion",
	"app",
	"app.kubernetes.io/component",
	"app.kubernetes.io/instance",
	"app.kubernetes.io/managed-by",
	"app.kubernetes.io/name",
	"app.kubernetes.io/part-of",
	"app.kubernetes.io/version",
	"args",
	"autoscalerRef",
	"backend",
	"canaryReadyThreshold",
	"claimName",
	"command",
	"commonLabels",
	"component",
	"configMap",
	"configMapKeyRef",
	"containerPort",
	"containers",
	"cpu",
	"data",
	"effect",
	"emptyDir",
	"env",
	"fsGroup",
	"gatewayRefs",
	"gateways",
	"headers",
	"host",
	"hosts",
	"http",
	"httpGet",
	"image",
	"imagePullPolicy",
	"images",
	"ingressClassName",
	"initContainers",
	"initialDelaySeconds",
	"interval",
	"items",
	"iterations",
	"key",
	"kind",
	"labels",
	"limits",
	"livenessProbe",
	"match",
	"matchExpressions",
	"matchLabels",
	"max",
	"maxReplicas",
	"maxSurge",
	"maxUnavailable",
	"maxWeight",
	"memory",
	"metadata",
	"metrics",
	"min",
	"minReplicas",
	"mirror",
	"mirrorWeight",
	"mountPath",
	"name",
	"namePrefix",
	"nameSuffix",
	"namespace",
	"newName",
	"newTag",
	"nodeSelector",
	"operator",
	"part-of",
	"patches",
	"path",
	"pathType",
	"paths",
	"periodSeconds",
	"persistentVolumeClaim",
	"port",
	"portDiscovery",
	"portName",
	"ports",
	"primaryReadyThreshold",
	"progressDeadlineSeconds",
	"prometheus.io/path",
	"prometheus.io/port",
	"prometheus.io/scrape",
	"protocol",
	"provider",
	"query",
	"readinessProbe",
	"replicas",
	"requests",
	"resources",
	"retries",
	"revisionHistoryLimit",
	"rollingUpdate",
	"rules",
	"runAsNonRoot",
	"runAsUser",
	"scaleTargetRef",
	"schedule",
	"secret",
	"secretKeyRef",
	"secretName",
	"securityContext",
	"selector",
	"service",
	"serviceAccountName",
	"skipAnalysis",
	"spec",
	"startupProbe",
	"status",
	"stepWeight",
	"storage",
	"storageClassName",
	"strategy",
	"stringData",
	"targetPort",
	"targetRef",
	"template",
	"templateRef",
	"terminationGracePeriodSeconds",
	"threshold",
	"thresholdRange",
	"timeout",
	"timeoutSeconds",
	"tls",
	"tolerations",
	"trafficPolicy",
	"type",
	"uri",
	"url",
	"value",
	"valueFrom",
	"values",
	"version",
	"volumeMounts",
	"volumes",
	"webhooks",
	"weight",
};

static int cmp_key(const void *key, const void *entry)
{
	return strcmp(key, *(const char *const *)entry);
}

/* Adds value to obj under key, sharing the key when it is a known one. */
static void add_keyed(cJSON *obj, const char *key, cJSON *value)
{
	const char *const *known =
		bsearch(key, known_keys, GC_ARRAY_SIZE(known_keys),
			sizeof(*known_keys), cmp_key);

	if (known)
		cJSON_AddItemToObjectCS(obj, *known, value);
	else
		cJSON_AddItemToObject(obj, key, value);
}

static void merge_into(cJSON *obj, const cJSON *src)
{
	for (const cJSON *m = src->child; m; m = m->next)
		if (!cJSON_GetObjectItemCaseSensitive(obj, m->string))
			add_keyed(obj, m->string, gc_json_dup(m));
}

/* Adds value under kev's key; mark is the position count before value. */
static int add_member(parse_ctx *ctx, cJSON *obj, const yaml_event_t *kev,
		      cJSON *value, size_t mark)
{
	const char *key = (const char *)kev->data.scalar.value;
	const cJSON *prev = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!strcmp(key, "<<") && kev->data.scalar.plain_implicit) {
		if (cJSON_IsObject(value)) {
			merge_into(obj, value);
		} else if (cJSON_IsArray(value)) {
			for (const cJSON *m = value->child; m; m = m->next)
				if (cJSON_IsObject(m))
					merge_into(obj, m);
		}
		/* not in the tree, but an anchor inside may still be aliased */
		gc_doc_forget_locs(ctx->doc, mark);
		if (!ctx->merged)
			ctx->merged = cJSON_CreateArray();
		cJSON_AddItemToArray(ctx->merged, value);
		return 0;
	}
	if (prev) {
		gc_loc first = gc_doc_key_loc(ctx->doc, prev);
		char where[32];

		snprintf(where, sizeof(where), "%u", first.line);
		cJSON_Delete(value);
		return gc_error_set_at(
			ctx->err, GC_EPARSE, ctx->path,
			(unsigned)kev->start_mark.line + 1,
			(unsigned)kev->start_mark.column + 1,
			"duplicate key '%s' (first defined on line %s)", key,
			where);
	}
	add_keyed(obj, key, value);
	return 0;
}

static int parse_mapping(parse_ctx *ctx, yaml_event_t *start,
			 const yaml_mark_t *key, cJSON **out)
{
	cJSON *obj = cJSON_CreateObject();
	yaml_event_t kev, vev;
	int error = 0;

	remember(ctx, start, key, obj, start->data.mapping_start.anchor);
	for (;;) {
		cJSON *value = NULL;
		size_t mark;

		if ((error = next_event(ctx, &kev)) < 0)
			break;
		if (kev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&kev);
			break;
		}
		if (kev.type != YAML_SCALAR_EVENT) {
			error = node_error(
				ctx, &kev.start_mark, "%s",
				"mapping keys must be plain scalars");
			yaml_event_delete(&kev);
			break;
		}
		if ((error = next_event(ctx, &vev)) < 0) {
			yaml_event_delete(&kev);
			break;
		}
		mark = gc_doc_loc_mark(ctx->doc);
		error = parse_node(ctx, &vev, &kev.start_mark, &value);
		yaml_event_delete(&vev);
		if (error >= 0)
			error = add_member(ctx, obj, &kev, value, mark);
		yaml_event_delete(&kev);
		if (error < 0)
			break;
	}
	if (error < 0) {
		cJSON_Delete(obj);
		return error;
	}
	*out = obj;
	return 0;
}

/* key: the mark of the mapping key in front of the node, or NULL. */
static int parse_node(parse_ctx *ctx, yaml_event_t *ev, const yaml_mark_t *key,
		      cJSON **out)
{
	int error;

	if ((error = take_node(ctx, &ev->start_mark)) < 0)
		return error;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		*out = resolve_scalar(ev);
		remember(ctx, ev, key, *out, ev->data.scalar.anchor);
		return 0;
	case YAML_ALIAS_EVENT:
		return parse_alias(ctx, ev, key, out);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (ctx->depth >= GC_YAML_MAX_DEPTH)
			return node_error(ctx, &ev->start_mark,
					  "nesting deeper than %u levels",
					  GC_YAML_MAX_DEPTH);
		ctx->depth++;
		error = ev->type == YAML_SEQUENCE_START_EVENT
				? parse_sequence(ctx, ev, key, out)
				: parse_mapping(ctx, ev, key, out);
		ctx->depth--;
		return error;
	default:
		return node_error(ctx, &ev->start_mark, "%s",
				  "unexpected YAML event");
	}
}

static int parse_document(parse_ctx *ctx, yaml_event_t *start, gc_doclist *docs)
{
	yaml_event_t ev, end;
	cJSON *root = NULL;
	int error;

	ctx->doc = gc_doc_new(ctx->path, (unsigned)docs->n);
	ctx->doc->start.line = (unsigned)start->start_mark.line + 1;
	ctx->doc->start.column = (unsigned)start->start_mark.column + 1;
	ctx->nodes = 0;
	ctx->depth = 0;
	gc_map_release(&ctx->anchors);
	if ((error = next_event(ctx, &ev)) < 0)
		goto fail;
	error = parse_node(ctx, &ev, NULL, &root);
	yaml_event_delete(&ev);
	if (error < 0)
		goto fail;
	if ((error = next_event(ctx, &end)) < 0)
		goto fail;
	yaml_event_delete(&end);
	ctx->doc->root = root;
	gc_doc_seal(ctx->doc);
	cJSON_Delete(ctx->merged);
	ctx->merged = NULL;
	if (cJSON_IsNull(root)) /* empty document, as kubectl skips it */
		gc_doc_free(ctx->doc);
	else
		gc_doclist_push(docs, ctx->doc);
	ctx->doc = NULL;
	return 0;
fail:
	cJSON_Delete(root);
	cJSON_Delete(ctx->merged);
	ctx->merged = NULL;
	gc_doc_free(ctx->doc);
	ctx->doc = NULL;
	return error;
}

int gc_yaml_parse(gc_doclist *out, const char *path, const char *data,
		  size_t len, gc_error *err)
{
	parse_ctx ctx;
	gc_doclist docs = GC_DOCLIST_INIT;
	yaml_event_t ev;
	int error = 0;

	if (len > GC_YAML_MAX_FILE_BYTES)
		return gc_error_set_at(err, GC_EPARSE, path, 1, 1,
				       "file is larger than %u bytes",
				       GC_YAML_MAX_FILE_BYTES);
	memset(&ctx, 0, sizeof(ctx));
	ctx.path = path;
	ctx.data = data;
	ctx.len = len;
	ctx.err = err;
	if (!yaml_parser_initialize(&ctx.parser))
		GC_BUG("yaml_parser_initialize failed");
	yaml_parser_set_input_string(&ctx.parser, (const unsigned char *)data,
				     len);
	yaml_parser_set_encoding(&ctx.parser, YAML_UTF8_ENCODING);
	for (;;) {
		if ((error = next_event(&ctx, &ev)) < 0)
			break;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT)
			error = parse_document(&ctx, &ev, &docs);
		yaml_event_delete(&ev);
		if (error < 0)
			break;
	}
	yaml_parser_delete(&ctx.parser);
	gc_map_release(&ctx.anchors);
	if (error < 0) {
		clamp_to_file(data, len, err);
		gc_doclist_release(&docs);
		return error;
	}
	for (size_t i = 0; i < docs.n; i++)
		gc_doclist_push(out, docs.v[i]);
	free(docs.v);
	return 0;
}

/* ---- emitting ---- */

static int emit(yaml_emitter_t *e, yaml_event_t *ev, gc_error *err)
{
	if (!yaml_emitter_emit(e, ev))
		return gc_error_set(err, GC_ERROR, "yaml emitter: %s",
				    e->problem ? e->problem : "unknown error");
	return 0;
}

/* "%lld" of v, without printf's machinery: most numbers emitted are ports. */
static void format_integer(char *out, long long v)
{
	char digits[24];
	unsigned long long u =
		v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	size_t n = 0;

	do
		digits[n++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*out++ = '-';
	while (n)
		*out++ = digits[--n];
	*out = '\0';
}

static void format_number(char *out, size_t n, double d)
{
	if (isnan(d))
		snprintf(out, n, ".nan");
	else if (isinf(d))
		snprintf(out, n, d < 0 ? "-.inf" : ".inf");
	else if (d == floor(d) && fabs(d) < 9007199254740992.0)
		format_integer(out, (long long)d);
	else {
		snprintf(out, n, "%.15g", d);
		if (strtod(out, NULL) != d)
			snprintf(out, n, "%.17g", d);
	}
}

/*
 * The scalar event yaml_scalar_event_initialize makes. An ASCII value (most
 * of what render emits) is valid UTF-8, so its copy is made here without
 * libyaml's UTF-8 check, a tenth of the emitter's time; the emitter frees
 * it with yaml_free, which is free. Other values go through libyaml's
 * initializer and its check, whose failure left the event unset (the
 * emitter then never returned).
 */
static int scalar_event(yaml_event_t *ev, const char *s, bool plain_ok,
			yaml_scalar_style_t style, gc_error *err)
{
	size_t len = strlen(s);
	unsigned char any = 0;
	char *copy;

	for (size_t i = 0; i < len; i++)
		any |= (unsigned char)s[i];
	if (any & 0x80) {
		if (!yaml_scalar_event_initialize(ev, NULL, NULL, GC_UNCONST(s),
						  (int)len, plain_ok, 1, style))
			return gc_error_set(
				err, GC_ERROR, "%s",
				"yaml emitter: a string is not UTF-8 text");
		return 0;
	}
	copy = gc_xmalloc(len + 1);
	memcpy(copy, s, len + 1);
	memset(ev, 0, sizeof(*ev));
	ev->type = YAML_SCALAR_EVENT;
	ev->data.scalar.value = (yaml_char_t *)copy;
	ev->data.scalar.length = len;
	ev->data.scalar.plain_implicit = plain_ok;
	ev->data.scalar.quoted_implicit = 1;
	ev->data.scalar.style = style;
	return 0;
}

static int emit_scalar(yaml_emitter_t *e, const char *s, bool plain_ok,
		       gc_error *err)
{
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
	yaml_event_t ev;

	if (!plain_ok)
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	else if (strchr(s, '\n'))
		style = YAML_LITERAL_SCALAR_STYLE;
	if (scalar_event(&ev, s, plain_ok, style, err) < 0)
		return GC_ERROR;
	return emit(e, &ev, err);
}

static int emit_node(yaml_emitter_t *e, const cJSON *n, gc_error *err)
{
	yaml_event_t ev;
	char num[64];
	int error;

	if (cJSON_IsObject(n)) {
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
						    YAML_BLOCK_MAPPING_STYLE);
		if ((error = emit(e, &ev, err)) < 0)
			return error;
		for (const cJSON *m = n->child; m; m = m->next) {
			if ((error = emit_scalar(e, m->string,
						 plain_is_string(m->string),
						 err)) < 0 ||
			    (error = emit_node(e, m, err)) < 0)
				return error;
		}
		yaml_mapping_end_event_initialize(&ev);
		return emit(e, &ev, err);
	}
	if (cJSON_IsArray(n)) {
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						     YAML_BLOCK_SEQUENCE_STYLE);
		if ((error = emit(e, &ev, err)) < 0)
			return error;
		for (const cJSON *m = n->child; m; m = m->next)
			if ((error = emit_node(e, m, err)) < 0)
				return error;
		yaml_sequence_end_event_initialize(&ev);
		return emit(e, &ev, err);
	}
	if (cJSON_IsString(n))
		return emit_scalar(e, n->valuestring,
				   plain_is_string(n->valuestring), err);
	if (cJSON_IsNumber(n)) {
		format_number(num, sizeof(num), n->valuedouble);
		return emit_scalar(e, num, true, err);
	}
	if (cJSON_IsBool(n))
		return emit_scalar(e, cJSON_IsTrue(n) ? "true" : "false", true,
				   err);
	return emit_scalar(e, "null", true, err);
}

/* The emitter's output goes to the buffer *to points at. */
static int part_write(void *data, unsigned char *buffer, size_t size)
{
	gc_buf **to = data;

	gc_buf_add(*to, buffer, size);
	return 1;
}

int gc_yaml_emit_part(gc_buf *out, gc_buf *tail, const cJSON *const *docs,
		      size_t n, bool first, gc_error *err)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	gc_buf *to = out;
	int error = 0;

	if (!yaml_emitter_initialize(&e))
		GC_BUG("yaml_emitter_initialize failed");
	yaml_emitter_set_output(&e, part_write, &to);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	yaml_emitter_set_indent(&e, 2);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	error = emit(&e, &ev, err);
	/*
	 * A stream's first document starts bare, its later ones with "---"
	 * (libyaml makes them explicit): so does this piece's first one when
	 * it is not the stream's first. A document's end flushes the emitter,
	 * so out holds each document whole, and what the stream's end writes
	 * goes to tail.
	 */
	for (size_t i = 0; i < n && error == 0; i++) {
		yaml_document_start_event_initialize(&ev, NULL, NULL, NULL,
						     i == 0 && first);
		if ((error = emit(&e, &ev, err)) < 0 ||
		    (error = emit_node(&e, docs[i], err)) < 0)
			break;
		yaml_document_end_event_initialize(&ev, 1);
		error = emit(&e, &ev, err);
	}
	if (error == 0) {
		to = tail;
		yaml_stream_end_event_initialize(&ev);
		error = emit(&e, &ev, err);
	}
	yaml_emitter_delete(&e);
	return error;
}

int gc_yaml_emit(gc_buf *out, const cJSON *const *docs, size_t n, gc_error *err)
{
	gc_buf tail = GC_BUF_INIT;
	int error = gc_yaml_emit_part(out, &tail, docs, n, true, err);

	if (error == 0)
		gc_buf_add(out, tail.ptr, tail.len);
	gc_buf_release(&tail);
	return error;
}
