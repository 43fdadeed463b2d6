/*
 * Push receivers: the verdict on a forge's webhook request (receivers.h).
 * HMACs and digests by libcrypto; the pushed ref read by cJSON.
 */
#include "reconciler/service/receivers.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"

static const char *const forge_names[GC_FORGES] = { "github", "gitlab", "gitea",
						    "generic" };

const char *gc_receivers_forge_name(gc_forge forge)
{
	return forge_names[forge];
}

void gc_receiver_secrets_release(gc_receiver_secrets *s)
{
	for (size_t i = 0; i < GC_FORGES; i++)
		gc_free_secret(s->secret[i]);
	memset(s, 0, sizeof(*s));
}

/* s[0..*len) without the spaces, tabs and CRs around it. */
static const char *trim(const char *s, size_t *len)
{
	while (*len && (*s == ' ' || *s == '\t' || *s == '\r')) {
		s++;
		(*len)--;
	}
	while (*len && (s[*len - 1] == ' ' || s[*len - 1] == '\t' ||
			s[*len - 1] == '\r'))
		(*len)--;
	return s;
}

/* The forge a `forge:` line starts with, or -1. */
static int keyed(const char *line, size_t len)
{
	for (size_t i = 0; i < GC_FORGES; i++) {
		size_t n = strlen(forge_names[i]);

		if (len > n && !strncmp(line, forge_names[i], n) &&
		    line[n] == ':')
			return (int)i;
	}
	return -1;
}

/* Whether the line looks like `word: ...` (an unknown forge's). */
static bool looks_keyed(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && ((line[i] >= 'a' && line[i] <= 'z') ||
			   (line[i] >= 'A' && line[i] <= 'Z')))
		i++;
	return i > 0 && i + 1 < len && line[i] == ':' && line[i + 1] == ' ';
}

/* What lines a file had so far: none, one bare secret, `forge:` lines. */
enum { FILE_EMPTY, FILE_BARE, FILE_KEYED };

static int parse_line(gc_receiver_secrets *s, int *mode, const char *path,
		      unsigned lineno, const char *line, size_t len,
		      gc_error *err)
{
	int forge = keyed(line, len);
	const char *v = line;
	size_t vlen = len;

	if (forge < 0 && looks_keyed(line, len))
		return gc_error_set_at(
			err, GC_EINVALID, path, lineno, 0,
			"unknown receiver (expected github, gitlab, gitea or generic)");
	if (forge >= 0) {
		v = line + strlen(forge_names[forge]) + 1;
		vlen = len - strlen(forge_names[forge]) - 1;
		v = trim(v, &vlen);
	}
	if (!vlen)
		return gc_error_set_at(err, GC_EINVALID, path, lineno, 0,
				       "empty secret");
	if (memchr(v, '\0', vlen))
		return gc_error_set_at(err, GC_EINVALID, path, lineno, 0,
				       "a NUL byte in the secret");
	if (*mode == FILE_BARE || (forge < 0 && *mode == FILE_KEYED))
		return gc_error_set_at(
			err, GC_EINVALID, path, lineno, 0,
			"one secret line, or one 'forge: secret' line per receiver");
	if (forge >= 0 && s->secret[forge])
		return gc_error_set_at(err, GC_EINVALID, path, lineno, 0,
				       "a second secret for %s",
				       forge_names[forge]);
	if (forge >= 0) {
		s->secret[forge] = gc_xstrndup(v, vlen);
		*mode = FILE_KEYED;
		return 0;
	}
	*mode = FILE_BARE;
	for (size_t i = 0; i < GC_FORGES; i++)
		s->secret[i] = gc_xstrndup(v, vlen);
	return 0;
}

int gc_receivers_parse_secrets(gc_receiver_secrets *out, const char *path,
			       const char *text, size_t len, gc_error *err)
{
	gc_receiver_secrets s = { { NULL } };
	const char *p = text, *end = text + len;
	unsigned lineno = 0;
	int mode = FILE_EMPTY, error = 0;

	while (p < end && error == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *line = trim(p, &n);

		lineno++;
		if (n && line[0] != '#')
			error = parse_line(&s, &mode, path, lineno, line, n,
					   err);
		p = nl ? nl + 1 : end;
	}
	if (error == 0 && mode == FILE_EMPTY)
		error = gc_error_set_at(err, GC_EINVALID, path, 0, 0,
					"no secret in the file");
	if (error < 0) {
		gc_receiver_secrets_release(&s);
		return error;
	}
	*out = s;
	return 0;
}

/* ---- signatures ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* hex (exactly 2 * n digits) into out[0..n); false when it is not that. */
static bool unhex(unsigned char *out, size_t n, const char *hex)
{
	if (strlen(hex) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

/* Whether hex is the HMAC of body under secret with md. */
static bool hmac_ok(const EVP_MD *md, const char *hex, const char *secret,
		    const char *body, size_t len)
{
	unsigned char want[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t size = (size_t)EVP_MD_get_size(md);
	bool ok;

	if (!HMAC(md, secret, (int)strlen(secret), (const unsigned char *)body,
		  len, want, &n) ||
	    n != size)
		GC_BUG("HMAC failed");
	ok = unhex(got, size, hex) && CRYPTO_memcmp(want, got, size) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

/* a == b in a time that depends on neither: their digests compared. */
static bool same_secret(const char *a, const char *b)
{
	unsigned char da[32], db[32];
	bool same;

	if (!EVP_Digest(a, strlen(a), da, NULL, EVP_sha256(), NULL) ||
	    !EVP_Digest(b, strlen(b), db, NULL, EVP_sha256(), NULL))
		GC_BUG("SHA-256 failed");
	same = CRYPTO_memcmp(da, db, sizeof(da)) == 0;
	OPENSSL_cleanse(da, sizeof(da));
	return same;
}

/* Fills out's verdict; reason is static. */
static void verdict(gc_push *out, gc_push_verdict v, const char *reason)
{
	static const unsigned status[] = { 202, 200, 401, 400 };

	out->verdict = v;
	out->status = status[v];
	out->reason = reason;
}

/* The signature (or token) of the request; false after a 401 verdict. */
static bool authentic(gc_push *out, gc_forge forge, const char *secret,
		      gc_header_fn header, void *payload, const char *body,
		      size_t len)
{
	static const char *const names[GC_FORGES] = { "X-Hub-Signature-256",
						      "X-Gitlab-Token",
						      "X-Gitea-Signature",
						      "X-Signature" };
	const char *sig = header(names[forge], payload);
	bool ok = false;

	if (!sig || !*sig) {
		verdict(out, GC_PUSH_UNAUTHORIZED,
			forge == GC_FORGE_GITLAB ? "missing token"
						 : "missing signature");
		return false;
	}
	switch (forge) {
	case GC_FORGE_GITHUB:
		ok = !strncmp(sig, "sha256=", 7) &&
		     hmac_ok(EVP_sha256(), sig + 7, secret, body, len);
		break;
	case GC_FORGE_GITLAB:
		ok = same_secret(sig, secret);
		break;
	case GC_FORGE_GITEA:
		ok = hmac_ok(EVP_sha256(), sig, secret, body, len);
		break;
	case GC_FORGE_GENERIC:
		if (!strncmp(sig, "sha256=", 7))
			ok = hmac_ok(EVP_sha256(), sig + 7, secret, body, len);
		else if (!strncmp(sig, "sha512=", 7))
			ok = hmac_ok(EVP_sha512(), sig + 7, secret, body, len);
		break;
	}
	if (!ok)
		verdict(out, GC_PUSH_UNAUTHORIZED,
			forge == GC_FORGE_GITLAB ? "wrong token"
						 : "wrong signature");
	return ok;
}

/*
 * The event header: true to read the body as a push, false with the
 * verdict given (ping, another event, no header).
 */
static bool push_event(gc_push *out, gc_forge forge, gc_header_fn header,
		       void *payload)
{
	static const char *const names[GC_FORGES] = { "X-GitHub-Event",
						      "X-Gitlab-Event",
						      "X-Gitea-Event", NULL };
	static const char *const push[GC_FORGES] = { "push", "Push Hook",
						     "push", NULL };
	const char *ev;

	if (forge == GC_FORGE_GENERIC)
		return true;
	if (!(ev = header(names[forge], payload))) {
		verdict(out, GC_PUSH_BAD_REQUEST, "missing event header");
		return false;
	}
	if (!strcmp(ev, push[forge]))
		return true;
	if (forge == GC_FORGE_GITHUB && !strcmp(ev, "ping"))
		verdict(out, GC_PUSH_IGNORED, "pong");
	else
		verdict(out, GC_PUSH_IGNORED, "ignored: not a push event");
	return false;
}

/* The body's ref against the source branch. */
static void read_ref(gc_push *out, gc_forge forge, const char *branch,
		     const char *body, size_t len)
{
	cJSON *j;
	const cJSON *ref;
	const char *name, *end = NULL;

	if (forge == GC_FORGE_GENERIC && len == 0) {
		verdict(out, GC_PUSH_TICK, "tick queued");
		return;
	}
	j = cJSON_ParseWithLengthOpts(body, len, &end, false);
	while (j && end < body + len && strchr(" \t\r\n", *end) && *end)
		end++;
	if (!j || !cJSON_IsObject(j) || end != body + len) {
		verdict(out, GC_PUSH_BAD_REQUEST, "malformed JSON");
		goto done;
	}
	ref = cJSON_GetObjectItemCaseSensitive(j, "ref");
	if (!ref && forge == GC_FORGE_GENERIC) {
		verdict(out, GC_PUSH_TICK, "tick queued");
		goto done;
	}
	if (!cJSON_IsString(ref)) {
		verdict(out, GC_PUSH_BAD_REQUEST, "push without a ref");
		goto done;
	}
	snprintf(out->ref, sizeof(out->ref), "%s", ref->valuestring);
	name = ref->valuestring;
	if (!strncmp(name, "refs/heads/", 11))
		name += 11;
	else if (forge != GC_FORGE_GENERIC || !strncmp(name, "refs/", 5))
		name = NULL; /* a tag or another kind of ref */
	if (name && !strcmp(name, branch))
		verdict(out, GC_PUSH_TICK, "tick queued");
	else
		verdict(out, GC_PUSH_IGNORED,
			"ignored: not a push to the source branch");
done:
	cJSON_Delete(j);
}

void gc_receivers_check(gc_push *out, gc_forge forge, const char *secret,
			const char *branch, gc_header_fn header, void *payload,
			const char *body, size_t len)
{
	memset(out, 0, sizeof(*out));
	if (!authentic(out, forge, secret, header, payload, body, len) ||
	    !push_event(out, forge, header, payload))
		return;
	read_ref(out, forge, branch, body, len);
}
