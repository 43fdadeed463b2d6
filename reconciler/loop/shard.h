#ifndef GC_RECONCILER_LOOP_SHARD_H
#define GC_RECONCILER_LOOP_SHARD_H

/*
 * Shards (`--shard I/N`, docs/operations.md#shards): N gitcanary
 * instances share one deploy branch, instance I owning the namespaces
 * whose shard is I. The shard of a namespace is the first four bytes of
 * the SHA-256 of its name, read as a big-endian number, modulo N:
 *
 *   $(( 0x$(printf %s NS | sha256sum | cut -c1-8) % N ))
 *
 * so a namespace never splits and its shard depends on nothing else in
 * the repository. On the deploy branch a shard owns the paths of its
 * namespaces (<ns>/..., .gitcanary/status/<ns>/...); shard 0 owns the
 * cluster-scoped objects (_cluster/...) and any other path; every shard
 * rewrites kustomization.yaml, which lists the whole tree.
 */

#include <stdbool.h>

#include "util/error.h"

#define GC_SHARD_MAX 256

typedef struct gc_shard {
	unsigned index; /* I: 0 <= index < count */
	unsigned count; /* N; 0 = no sharding: one instance owns everything */
} gc_shard;

/* Parses "I/N" (0 <= I < N <= GC_SHARD_MAX); GC_EINVALID otherwise. */
int gc_shard_parse(gc_shard *out, const char *s, gc_error *err);
/* The shard of namespace ns among count (count >= 1). */
unsigned gc_shard_of(const char *ns, unsigned count);
/* True when s owns namespace ns (NULL: cluster-scoped, shard 0's). */
bool gc_shard_owns_ns(const gc_shard *s, const char *ns);
/* True when s may write the deploy-branch path (its own or shared). */
bool gc_shard_owns_path(const gc_shard *s, const char *path);

#endif
