#ifndef GC_RECONCILER_SERVICE_RECEIVERS_H
#define GC_RECONCILER_SERVICE_RECEIVERS_H

/*
 * Push receivers (docs/operations.md, "Push receivers"): whether a forge's
 * webhook request is authentic and a push to the source branch. Pure:
 * headers, the raw body and the secret in, a verdict out; no I/O.
 *
 *   github   X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>,
 *            X-GitHub-Event: push (ping answers "pong")
 *   gitlab   X-Gitlab-Token: <secret>, X-Gitlab-Event: Push Hook
 *   gitea    X-Gitea-Signature: <hex HMAC-SHA256(secret, body)>,
 *            X-Gitea-Event: push
 *   generic  X-Signature: sha256=<hex> or sha512=<hex> (Flux's
 *            generic-hmac Receiver); the body is empty or a JSON object
 *            whose optional "ref" names the branch
 *
 * Every comparison with the secret takes the same time whatever the
 * request holds (CRYPTO_memcmp), and the signature is checked before the
 * request's other headers or its body are read.
 */

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

typedef enum gc_forge {
	GC_FORGE_GITHUB,
	GC_FORGE_GITLAB,
	GC_FORGE_GITEA,
	GC_FORGE_GENERIC
} gc_forge;
#define GC_FORGES 4

/* "github", ...; static. */
const char *gc_receivers_forge_name(gc_forge forge);

/* The secret of each receiver; NULL = that receiver is off. */
typedef struct gc_receiver_secrets {
	char *secret[GC_FORGES]; /* owned; wiped on release */
} gc_receiver_secrets;

/*
 * Reads a --webhook-secret-file's text (path is for messages only):
 *
 *   - either `forge: secret` lines (github, gitlab, gitea, generic), one
 *     per receiver to turn on;
 *   - or one line that is the secret of all four receivers.
 *
 * Blank lines and lines starting with '#' are skipped; spaces around a
 * secret are not part of it. A line of the first form with an unknown or
 * repeated forge, an empty secret, a second bare line, or a mix of both
 * forms is GC_EINVALID at path:line (the message never quotes the line).
 * *out is filled only on success.
 */
int gc_receivers_parse_secrets(gc_receiver_secrets *out, const char *path,
			       const char *text, size_t len, gc_error *err);
void gc_receiver_secrets_release(gc_receiver_secrets *s);

/* A request header by name (case-insensitive), or NULL; borrowed. */
typedef const char *(*gc_header_fn)(const char *name, void *payload);

typedef enum gc_push_verdict {
	GC_PUSH_TICK,         /* 202: a push to the source branch */
	GC_PUSH_IGNORED,      /* 200: authentic, nothing to do (ping, other
			       * event, tag, other branch) */
	GC_PUSH_UNAUTHORIZED, /* 401: signature or token missing or wrong */
	GC_PUSH_BAD_REQUEST   /* 400: no event header, malformed JSON, a
			       * push without a ref */
} gc_push_verdict;

typedef struct gc_push {
	gc_push_verdict verdict;
	unsigned status;    /* the HTTP status to answer */
	const char *reason; /* static, one line: the answer's body */
	char ref[256];      /* the pushed ref as sent (cut), or "" */
} gc_push;

/*
 * The verdict on one request to forge's receiver: secret is the
 * receiver's (not NULL), branch the source branch, body[0..len) the raw
 * body exactly as received.
 */
void gc_receivers_check(gc_push *out, gc_forge forge, const char *secret,
			const char *branch, gc_header_fn header, void *payload,
			const char *body, size_t len);

#endif
