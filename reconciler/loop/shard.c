/*
 * Which namespaces and deploy-branch paths a shard owns (shard.h). Pure:
 * a hash of the namespace's name, nothing else.
 */

#include "reconciler/loop/shard.h"

#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "repo-layout/layout.h"
#include "util/common.h"

/* A decimal number without sign, spaces or leading zeros; -1 if not. */
static long parse_count(const char *s, size_t len)
{
	long v = 0;

	if (!len || len > 4 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int gc_shard_parse(gc_shard *out, const char *s, gc_error *err)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	long i, n;

	if (!slash)
		goto invalid;
	i = parse_count(s, (size_t)(slash - s));
	n = parse_count(slash + 1, strlen(slash + 1));
	if (i < 0 || n < 1 || n > GC_SHARD_MAX || i >= n)
		goto invalid;
	out->index = (unsigned)i;
	out->count = (unsigned)n;
	return 0;
invalid:
	return gc_error_set(
		err, GC_EINVALID,
		"--shard must be I/N with 0 <= I < N <= %d, not '%s'",
		GC_SHARD_MAX, s ? s : "");
}

unsigned gc_shard_of(const char *ns, unsigned count)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	uint32_t h;

	GC_ASSERT(count >= 1);
	if (count == 1)
		return 0;
	if (!EVP_Digest(ns, strlen(ns), md, &len, EVP_sha256(), NULL) ||
	    len < 4)
		GC_BUG("SHA-256 is not available");
	h = (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
	    (uint32_t)md[2] << 8 | (uint32_t)md[3];
	return h % count;
}

bool gc_shard_owns_ns(const gc_shard *s, const char *ns)
{
	if (!s || s->count <= 1)
		return true;
	if (!ns)
		return s->index == 0;
	return gc_shard_of(ns, s->count) == s->index;
}

bool gc_shard_owns_path(const gc_shard *s, const char *path)
{
	static const char status[] = GC_LAYOUT_STATUS_DIR "/";
	const char *p = path, *slash;
	char ns[256];
	size_t len;

	if (!s || s->count <= 1 || !strcmp(path, GC_LAYOUT_KUSTOMIZATION))
		return true;
	if (!strncmp(p, status, sizeof(status) - 1))
		p += sizeof(status) - 1;
	slash = strchr(p, '/');
	len = slash ? (size_t)(slash - p) : 0;
	/* _cluster/, a top-level file, anything hidden: shard 0's */
	if (!len || len >= sizeof(ns) || p[0] == '.' || p[0] == '_')
		return s->index == 0;
	memcpy(ns, p, len);
	ns[len] = '\0';
	return gc_shard_of(ns, s->count) == s->index;
}
