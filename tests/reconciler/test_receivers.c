#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"
#include "reconciler/service/ready.h"
#include "reconciler/service/receivers.h"
#include "util/alloc.h"

/*
 * The push receivers' verdicts (reconciler/service/receivers.c) and the
 * readiness verdict (ready.c), from plain values: headers, raw bodies
 * and secrets in, exact status and reason out. Signatures are computed
 * here with libcrypto, as a forge computes them.
 */

#define SECRET "It's a Secret to Everybody"
#define MAIN_PUSH "{\"ref\":\"refs/heads/main\",\"after\":\"abc\"}"
#define DEV_PUSH "{\"ref\":\"refs/heads/dev\"}"
#define TAG_PUSH "{\"ref\":\"refs/tags/v1.0.0\"}"

/* A signature the way the forge writes it. */
enum sig { NONE, GOOD, OTHER_SECRET, NO_PREFIX, UPPER, SHORT, SHA512, SHA1 };

typedef struct hdrs {
	const char *name[4], *value[4];
} hdrs;

static const char *lookup(const char *name, void *payload)
{
	const hdrs *h = payload;

	for (size_t i = 0; i < 4 && h->name[i]; i++)
		if (!strcasecmp(h->name[i], name))
			return h->value[i];
	return NULL;
}

/* hex HMAC of body under key with md, into out (lower case). */
static void hmac_hex(char *out, const EVP_MD *md, const char *key,
		     const char *body)
{
	unsigned char m[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	ck_assert_ptr_nonnull(HMAC(md, key, (int)strlen(key),
				   (const unsigned char *)body, strlen(body), m,
				   &n));
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", m[i]);
}

static void sign(char *out, enum sig s, const char *body)
{
	char hex[2 * EVP_MAX_MD_SIZE + 1];

	switch (s) {
	case NONE:
		out[0] = '\0';
		break;
	case GOOD:
		hmac_hex(hex, EVP_sha256(), SECRET, body);
		sprintf(out, "sha256=%s", hex);
		break;
	case OTHER_SECRET:
		hmac_hex(hex, EVP_sha256(), "guess", body);
		sprintf(out, "sha256=%s", hex);
		break;
	case NO_PREFIX:
		hmac_hex(out, EVP_sha256(), SECRET, body);
		break;
	case UPPER:
		hmac_hex(hex, EVP_sha256(), SECRET, body);
		for (char *p = hex; *p; p++)
			if (*p >= 'a' && *p <= 'f')
				*p = (char)(*p - 'a' + 'A');
		sprintf(out, "sha256=%s", hex);
		break;
	case SHORT:
		hmac_hex(hex, EVP_sha256(), SECRET, body);
		hex[62] = '\0';
		sprintf(out, "sha256=%s", hex);
		break;
	case SHA512:
		hmac_hex(hex, EVP_sha512(), SECRET, body);
		sprintf(out, "sha512=%s", hex);
		break;
	case SHA1:
		hmac_hex(hex, EVP_sha1(), SECRET, body);
		sprintf(out, "sha1=%s", hex);
		break;
	}
}

static const struct {
	gc_forge forge;
	enum sig sig;
	const char *event; /* NULL = no event header */
	const char *body;
	const char *signed_body; /* NULL = body */
	unsigned status;
	const char *reason;
	const char *ref;
} cases[] = {
	/* GitHub */
	{ GC_FORGE_GITHUB, GOOD, "push", MAIN_PUSH, NULL, 202, "tick queued",
	  "refs/heads/main" },
	{ GC_FORGE_GITHUB, UPPER, "push", MAIN_PUSH, NULL, 202, "tick queued",
	  "refs/heads/main" },
	{ GC_FORGE_GITHUB, GOOD, "push", DEV_PUSH, NULL, 200,
	  "ignored: not a push to the source branch", "refs/heads/dev" },
	{ GC_FORGE_GITHUB, GOOD, "push", TAG_PUSH, NULL, 200,
	  "ignored: not a push to the source branch", "refs/tags/v1.0.0" },
	{ GC_FORGE_GITHUB, GOOD, "push", "{\"ref\":\"main\"}", NULL, 200,
	  "ignored: not a push to the source branch", "main" },
	{ GC_FORGE_GITHUB, GOOD, "ping", "{\"zen\":\"Keep it simple.\"}", NULL,
	  200, "pong", "" },
	{ GC_FORGE_GITHUB, GOOD, "issues", "{}", NULL, 200,
	  "ignored: not a push event", "" },
	{ GC_FORGE_GITHUB, NONE, "push", MAIN_PUSH, NULL, 401,
	  "missing signature", "" },
	{ GC_FORGE_GITHUB, OTHER_SECRET, "push", MAIN_PUSH, NULL, 401,
	  "wrong signature", "" },
	{ GC_FORGE_GITHUB, NO_PREFIX, "push", MAIN_PUSH, NULL, 401,
	  "wrong signature", "" },
	{ GC_FORGE_GITHUB, SHORT, "push", MAIN_PUSH, NULL, 401,
	  "wrong signature", "" },
	{ GC_FORGE_GITHUB, SHA1, "push", MAIN_PUSH, NULL, 401,
	  "wrong signature", "" },
	/* the body was changed after signing */
	{ GC_FORGE_GITHUB, GOOD, "push", MAIN_PUSH, DEV_PUSH, 401,
	  "wrong signature", "" },
	/* the signature is checked before anything else is read */
	{ GC_FORGE_GITHUB, OTHER_SECRET, NULL, "{nope", NULL, 401,
	  "wrong signature", "" },
	{ GC_FORGE_GITHUB, GOOD, NULL, MAIN_PUSH, NULL, 400,
	  "missing event header", "" },
	{ GC_FORGE_GITHUB, GOOD, "push", "{\"ref\": \"refs/heads/ma", NULL, 400,
	  "malformed JSON", "" },
	{ GC_FORGE_GITHUB, GOOD, "push", "[\"refs/heads/main\"]", NULL, 400,
	  "malformed JSON", "" },
	{ GC_FORGE_GITHUB, GOOD, "push", "", NULL, 400, "malformed JSON", "" },
	{ GC_FORGE_GITHUB, GOOD, "push", "{\"ref\":7}", NULL, 400,
	  "push without a ref", "" },
	/* GitLab: the token itself */
	{ GC_FORGE_GITLAB, GOOD, "Push Hook", MAIN_PUSH, NULL, 202,
	  "tick queued", "refs/heads/main" },
	{ GC_FORGE_GITLAB, GOOD, "Push Hook", DEV_PUSH, NULL, 200,
	  "ignored: not a push to the source branch", "refs/heads/dev" },
	{ GC_FORGE_GITLAB, GOOD, "Tag Push Hook", TAG_PUSH, NULL, 200,
	  "ignored: not a push event", "" },
	{ GC_FORGE_GITLAB, OTHER_SECRET, "Push Hook", MAIN_PUSH, NULL, 401,
	  "wrong token", "" },
	{ GC_FORGE_GITLAB, NONE, "Push Hook", MAIN_PUSH, NULL, 401,
	  "missing token", "" },
	{ GC_FORGE_GITLAB, GOOD, NULL, MAIN_PUSH, NULL, 400,
	  "missing event header", "" },
	/* Gitea: hex without a prefix */
	{ GC_FORGE_GITEA, NO_PREFIX, "push", MAIN_PUSH, NULL, 202,
	  "tick queued", "refs/heads/main" },
	{ GC_FORGE_GITEA, GOOD, "push", MAIN_PUSH, NULL, 401, "wrong signature",
	  "" },
	{ GC_FORGE_GITEA, NO_PREFIX, "create", MAIN_PUSH, NULL, 200,
	  "ignored: not a push event", "" },
	{ GC_FORGE_GITEA, NONE, "push", MAIN_PUSH, NULL, 401,
	  "missing signature", "" },
	/* generic: Flux's generic-hmac header */
	{ GC_FORGE_GENERIC, GOOD, NULL, "", NULL, 202, "tick queued", "" },
	{ GC_FORGE_GENERIC, SHA512, NULL, MAIN_PUSH, NULL, 202, "tick queued",
	  "refs/heads/main" },
	{ GC_FORGE_GENERIC, GOOD, NULL, "{\"ref\":\"main\"}", NULL, 202,
	  "tick queued", "main" },
	{ GC_FORGE_GENERIC, GOOD, NULL, "{\"image\":\"app:1.2\"}", NULL, 202,
	  "tick queued", "" },
	{ GC_FORGE_GENERIC, GOOD, NULL, DEV_PUSH, NULL, 200,
	  "ignored: not a push to the source branch", "refs/heads/dev" },
	{ GC_FORGE_GENERIC, GOOD, NULL, TAG_PUSH, NULL, 200,
	  "ignored: not a push to the source branch", "refs/tags/v1.0.0" },
	{ GC_FORGE_GENERIC, SHA1, NULL, MAIN_PUSH, NULL, 401, "wrong signature",
	  "" },
	{ GC_FORGE_GENERIC, NO_PREFIX, NULL, MAIN_PUSH, NULL, 401,
	  "wrong signature", "" },
	{ GC_FORGE_GENERIC, NONE, NULL, MAIN_PUSH, NULL, 401,
	  "missing signature", "" },
	{ GC_FORGE_GENERIC, GOOD, NULL, "not json", NULL, 400, "malformed JSON",
	  "" },
};

START_TEST(test_receivers__verdicts)
{
	static const char *const sig_header[GC_FORGES] = {
		"X-Hub-Signature-256", "X-Gitlab-Token", "X-Gitea-Signature",
		"X-Signature"
	};
	static const char *const event_header[GC_FORGES] = {
		"X-GitHub-Event", "X-Gitlab-Event", "X-Gitea-Event", "X-Event"
	};
	char sig[300] = "";
	hdrs h = { { NULL }, { NULL } };
	size_t n = 0;
	gc_push p;
	const char *body = cases[_i].body;

	if (cases[_i].forge == GC_FORGE_GITLAB)
		strcpy(sig, cases[_i].sig == GOOD           ? SECRET
			    : cases[_i].sig == OTHER_SECRET ? SECRET "!"
							    : "");
	else
		sign(sig, cases[_i].sig,
		     cases[_i].signed_body ? cases[_i].signed_body : body);
	if (*sig) {
		h.name[n] = sig_header[cases[_i].forge];
		h.value[n++] = sig;
	}
	if (cases[_i].event) {
		h.name[n] = event_header[cases[_i].forge];
		h.value[n++] = cases[_i].event;
	}
	gc_receivers_check(&p, cases[_i].forge, SECRET, "main", lookup, &h,
			   body, strlen(body));
	ck_assert_str_eq(p.reason, cases[_i].reason);
	ck_assert_uint_eq(p.status, cases[_i].status);
	ck_assert_str_eq(p.ref, cases[_i].ref);
	ck_assert_int_eq(p.verdict, p.status == 202   ? GC_PUSH_TICK
				    : p.status == 200 ? GC_PUSH_IGNORED
				    : p.status == 401 ? GC_PUSH_UNAUTHORIZED
						      : GC_PUSH_BAD_REQUEST);
}
END_TEST

/* A body with a NUL inside is signed and read as the bytes it is. */
START_TEST(test_receivers__raw_bytes)
{
	static const char body[] = "{\"ref\":\"refs/heads/main\"}\0junk";
	char hex[2 * EVP_MAX_MD_SIZE + 1], sig[160];
	unsigned char m[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	hdrs h = { { "X-Signature" }, { sig } };
	gc_push p;

	HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET),
	     (const unsigned char *)body, sizeof(body) - 1, m, &n);
	for (unsigned i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", m[i]);
	sprintf(sig, "sha256=%s", hex);
	gc_receivers_check(&p, GC_FORGE_GENERIC, SECRET, "main", lookup, &h,
			   body, sizeof(body) - 1);
	/* signed as sent; what follows the object makes it malformed */
	ck_assert_uint_eq(p.status, 400);
	gc_receivers_check(&p, GC_FORGE_GENERIC, SECRET, "main", lookup, &h,
			   body, strlen(body));
	ck_assert_uint_eq(p.status, 401);
}
END_TEST

static const struct {
	const char *text;
	const char *want[GC_FORGES]; /* NULL = off */
	const char *error;           /* NULL = parses */
	size_t len;                  /* 0 = strlen(text) */
} files[] = {
	{ "s3cret\n", { "s3cret", "s3cret", "s3cret", "s3cret" }, NULL, 0 },
	{ "  s3 cret \r\n",
	  { "s3 cret", "s3 cret", "s3 cret", "s3 cret" },
	  NULL,
	  0 },
	{ "github: a\ngitlab: b\n", { "a", "b", NULL, NULL }, NULL, 0 },
	{ "# forges\n\ngitea:  x y \r\ngeneric:z",
	  { NULL, NULL, "x y", "z" },
	  NULL,
	  0 },
	{ "github: a\nhunter2\n",
	  { NULL },
	  "secrets:2: one secret line, or one 'forge: secret' line per receiver",
	  0 },
	{ "hunter2\ngithub: a\n",
	  { NULL },
	  "secrets:2: one secret line, or one 'forge: secret' line per receiver",
	  0 },
	{ "hunter2\nhunter3\n",
	  { NULL },
	  "secrets:2: one secret line, or one 'forge: secret' line per receiver",
	  0 },
	{ "github: a\ngithub: hunter2\n",
	  { NULL },
	  "secrets:2: a second secret for github",
	  0 },
	{ "bitbucket: hunter2\n",
	  { NULL },
	  "secrets:1: unknown receiver (expected github, gitlab, gitea or generic)",
	  0 },
	{ "\ngitlab:   \n", { NULL }, "secrets:2: empty secret", 0 },
	{ "# nothing\n\n", { NULL }, "secrets: no secret in the file", 0 },
	{ "", { NULL }, "secrets: no secret in the file", 0 },
	/* found by fuzz_receivers: a secret cut at a NUL would be "" */
	{ "# c\n\0\0hunter2\n",
	  { NULL },
	  "secrets:2: a NUL byte in the secret",
	  14 },
};

START_TEST(test_receivers__secret_file)
{
	gc_receiver_secrets s;
	gc_error err = GC_ERROR_INIT;
	int rc = gc_receivers_parse_secrets(&s, "secrets", files[_i].text,
					    files[_i].len
						    ? files[_i].len
						    : strlen(files[_i].text),
					    &err);

	if (files[_i].error) {
		char *msg = gc_error_format(&err);

		ck_assert_int_eq(rc, GC_EINVALID);
		ck_assert_str_eq(msg, files[_i].error);
		ck_assert_ptr_null(strstr(msg, "hunter"));
		free(msg);
		gc_error_release(&err);
		return;
	}
	ck_assert_int_eq(rc, 0);
	for (size_t i = 0; i < GC_FORGES; i++) {
		if (!files[_i].want[i])
			ck_assert_ptr_null(s.secret[i]);
		else
			ck_assert_str_eq(s.secret[i], files[_i].want[i]);
	}
	gc_receiver_secrets_release(&s);
}
END_TEST

START_TEST(test_receivers__forge_names)
{
	ck_assert_str_eq(gc_receivers_forge_name(GC_FORGE_GITHUB), "github");
	ck_assert_str_eq(gc_receivers_forge_name(GC_FORGE_GENERIC), "generic");
}
END_TEST

/* ---- readiness ---- */

#define T0 1796294400000LL /* 2026-12-03T10:40:00Z */

static const struct {
	gc_ready_state st;
	int64_t now;
	unsigned status;
	const char *body;
} ready_cases[] = {
	{ { 0, false, false, 0, 0, 0, "" },
	  T0,
	  503,
	  "starting: no tick has finished yet\n" },
	{ { 3, true, true, T0, 0, 0, "" }, T0 + 3600000, 200, "ok\n" },
	/* a passing failure: the last success is within 3 x poll (10 s) */
	{ { 4, false, true, T0, T0 + 10000, 0, "push lost" },
	  T0 + 30000,
	  200,
	  "ok\n" },
	{ { 4, false, true, T0, T0 + 10000, 0, "push lost" },
	  T0 + 30001,
	  503,
	  "ticks failing since 2026-12-03T10:40:10Z: push lost\n" },
	{ { 4, false, true, 0, T0, 0, "no branch 'main'" },
	  T0,
	  503,
	  "ticks failing since 2026-12-03T10:40:00Z: no branch 'main'\n" },
	{ { 5, false, false, T0, T0 + 1000, T0 + 1000,
	    "the repository is unreachable: gone" },
	  T0 + 2000,
	  503,
	  "remote unreachable since 2026-12-03T10:40:01Z: the repository is unreachable: gone\n" },
};

START_TEST(test_receivers__ready_verdicts)
{
	gc_buf body = GC_BUF_INIT;

	ck_assert_uint_eq(gc_ready_verdict(&body, &ready_cases[_i].st,
					   ready_cases[_i].now, 10000),
			  ready_cases[_i].status);
	ck_assert_str_eq(body.ptr, ready_cases[_i].body);
	gc_buf_release(&body);
}
END_TEST

/* What a failed tick says is redacted and kept to one line. */
START_TEST(test_receivers__ready_redacts)
{
	gc_ready r;
	gc_buf body = GC_BUF_INIT;

	gc_ready_init(&r, 1000);
	gc_ready_record(
		&r, T0, false, false,
		"fetch 'https://bob:hunter2@git.example/a.git?token=t0k' "
		"failed:\nremote said (https://x:y@h/p#frag)\x1b[2J");
	ck_assert_uint_eq(gc_ready_check(&r, T0, &body), 503);
	ck_assert_str_eq(
		body.ptr,
		"remote unreachable since 2026-12-03T10:40:00Z: fetch "
		"'https://git.example/a.git?<redacted>' failed:\\nremote said "
		"(https://h/p?<redacted>)\\u001b[2J\n");
	gc_buf_clear(&body);
	gc_ready_record(&r, T0 + 5000, true, true, NULL);
	ck_assert_uint_eq(gc_ready_check(&r, T0 + 5000, &body), 200);
	ck_assert_str_eq(body.ptr, "ok\n");
	gc_buf_release(&body);
	gc_ready_release(&r);
}
END_TEST

static Suite *gc_suite_receivers(void)
{
	Suite *s = suite_create("receivers");
	TCase *tc = tcase_create("receivers");

	tcase_add_loop_test(tc, test_receivers__verdicts, 0,
			    (int)GC_ARRAY_SIZE(cases));
	tcase_add_test(tc, test_receivers__raw_bytes);
	tcase_add_loop_test(tc, test_receivers__secret_file, 0,
			    (int)GC_ARRAY_SIZE(files));
	tcase_add_test(tc, test_receivers__forge_names);
	tcase_add_loop_test(tc, test_receivers__ready_verdicts, 0,
			    (int)GC_ARRAY_SIZE(ready_cases));
	tcase_add_test(tc, test_receivers__ready_redacts);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_receivers)
