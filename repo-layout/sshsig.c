/*
 * SSH signatures over libcrypto (sshsig.h): private keys read from
 * OpenSSH's format (PROTOCOL.key) or PEM, SSHSIG blobs written
 * (PROTOCOL.sshsig) and armored as ssh-keygen armors them. Everything is
 * in SSH's wire encoding (RFC 4251): big-endian uint32 lengths before
 * strings, mpints with a leading zero byte when the top bit is set.
 */
#include "sshsig.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "util/alloc.h"

#define SSHSIG_MAGIC "SSHSIG"
#define SSHSIG_VERSION 1
#define SSHSIG_HASH "sha512"
#define OPENSSH_MAGIC "openssh-key-v1" /* and its NUL */
#define KEY_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define KEY_END "-----END OPENSSH PRIVATE KEY-----"
#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----\n"
#define ARMOR_END "-----END SSH SIGNATURE-----\n"
#define ARMOR_WIDTH 70
#define ED25519_LEN 32

/* An ECDSA curve: SSH's names, OpenSSL's, and the digest SSH signs with. */
typedef struct curve {
	const char *type;  /* the key type: "ecdsa-sha2-nistp256" */
	const char *ssh;   /* the curve in the key blob: "nistp256" */
	const char *group; /* OpenSSL's group: "prime256v1" */
	const char *md;    /* "SHA256" */
} curve;

static const curve curves[] = {
	{ "ecdsa-sha2-nistp256", "nistp256", "prime256v1", "SHA256" },
	{ "ecdsa-sha2-nistp384", "nistp384", "secp384r1", "SHA384" },
	{ "ecdsa-sha2-nistp521", "nistp521", "secp521r1", "SHA512" },
};

typedef enum key_kind { KEY_ED25519, KEY_RSA, KEY_ECDSA } key_kind;

static const char *const kind_names[] = { "ED25519", "RSA", "ECDSA" };

struct gc_sshsig_key {
	EVP_PKEY *pkey;
	key_kind kind;
	const curve *curve; /* KEY_ECDSA */
	gc_buf pub;         /* the public key blob */
	char fingerprint[80];
};

static int invalid(gc_error *err, const char *what)
{
	return gc_error_set(err, GC_EINVALID, "%s", what);
}

static int broken(gc_error *err)
{
	return invalid(err, "not a valid OpenSSH private key (truncated or "
			    "corrupt)");
}

static int mismatch(gc_error *err)
{
	return invalid(err, "the private key does not match its public key "
			    "(corrupt key file)");
}

static int encrypted(gc_error *err)
{
	return invalid(err,
		       "the key is encrypted with a passphrase; gitcanary "
		       "needs a key without one (a dedicated signing key)");
}

/* A libcrypto failure: its reason (never key material), queue cleared. */
static int crypto_fail(gc_error *err, const char *what)
{
	const char *why = ERR_reason_error_string(ERR_peek_last_error());
	int rc = gc_error_set(err, GC_ERROR, "%s%s%s", what, why ? ": " : "",
			      why ? why : "");

	ERR_clear_error();
	return rc;
}

/* ---- SSH wire encoding ---- */

static void put_string(gc_buf *b, const void *p, size_t n)
{
	GC_ASSERT(n <= UINT32_MAX);
	gc_buf_add_be32(b, (uint32_t)n);
	gc_buf_add(b, p, n);
}

static void put_cstring(gc_buf *b, const char *s)
{
	put_string(b, s, strlen(s));
}

/* A non-negative public number (never a secret: the buffer is not wiped). */
static void put_mpint(gc_buf *b, const BIGNUM *bn)
{
	size_t n = (size_t)BN_num_bytes(bn);
	unsigned char *x = gc_xmalloc(n + 1);

	x[0] = 0;
	BN_bn2bin(bn, x + 1);
	if (n && (x[1] & 0x80))
		put_string(b, x, n + 1);
	else
		put_string(b, x + 1, n);
	free(x);
}

/* A reader over wire-encoded bytes; bad once it read past the end. */
typedef struct rd {
	const unsigned char *p;
	size_t n;
	bool bad;
} rd;

static uint32_t get_u32(rd *r)
{
	uint32_t v;

	if (r->bad || r->n < 4) {
		r->bad = true;
		return 0;
	}
	v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	    (uint32_t)r->p[2] << 8 | (uint32_t)r->p[3];
	r->p += 4;
	r->n -= 4;
	return v;
}

/* The next string, as a reader over its bytes (bad when r is). */
static rd get_string(rd *r)
{
	rd s = { NULL, 0, true };
	uint32_t len = get_u32(r);

	if (r->bad || len > r->n) {
		r->bad = true;
		return s;
	}
	s.p = r->p;
	s.n = len;
	s.bad = false;
	r->p += len;
	r->n -= len;
	return s;
}

static bool string_is(rd s, const char *want)
{
	return !s.bad && s.n == strlen(want) && !memcmp(s.p, want, s.n);
}

/* The next mpint (non-negative), secure memory when secret; NULL if bad. */
static BIGNUM *get_bn(rd *r, bool secret)
{
	rd s = get_string(r);
	BIGNUM *bn;

	if (s.bad || s.n > INT_MAX || (s.n && (s.p[0] & 0x80)))
		return NULL;
	bn = secret ? BN_secure_new() : BN_new();
	if (bn && !BN_bin2bn(s.p, (int)s.n, bn)) {
		BN_clear_free(bn);
		bn = NULL;
	}
	return bn;
}

/* ---- keys ---- */

/* Where needle starts in hay[0..n), or NULL. */
static const char *find(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (hay[i] == needle[0] && !memcmp(hay + i, needle, k))
			return hay + i;
	return NULL;
}

/* The public key blob of k->pkey into k->pub. */
static int public_blob(gc_sshsig_key *k, gc_error *err)
{
	unsigned char raw[160];
	BIGNUM *n = NULL, *e = NULL;
	size_t len = 0;
	int rc = 0;

	gc_buf_clear(&k->pub);
	switch (k->kind) {
	case KEY_ED25519:
		len = sizeof(raw);
		if (!EVP_PKEY_get_raw_public_key(k->pkey, raw, &len) ||
		    len != ED25519_LEN)
			return crypto_fail(err, "cannot read the public key");
		put_cstring(&k->pub, "ssh-ed25519");
		put_string(&k->pub, raw, len);
		break;
	case KEY_RSA:
		if (!EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N,
					   &n) ||
		    !EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E,
					   &e)) {
			rc = crypto_fail(err, "cannot read the public key");
			break;
		}
		put_cstring(&k->pub, "ssh-rsa");
		put_mpint(&k->pub, e);
		put_mpint(&k->pub, n);
		break;
	case KEY_ECDSA:
		if (!EVP_PKEY_set_utf8_string_param(
			    k->pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
			    "uncompressed") ||
		    !EVP_PKEY_get_octet_string_param(k->pkey,
						     OSSL_PKEY_PARAM_PUB_KEY,
						     raw, sizeof(raw), &len) ||
		    !len || raw[0] != 4)
			return crypto_fail(err, "cannot read the public key");
		put_cstring(&k->pub, k->curve->type);
		put_cstring(&k->pub, k->curve->ssh);
		put_string(&k->pub, raw, len);
		break;
	}
	BN_free(n);
	BN_free(e);
	return rc;
}

/* A key from OpenSSL parameters (EVP_PKEY_fromdata of a key pair). */
static int from_params(gc_sshsig_key *k, const char *alg, OSSL_PARAM_BLD *bld,
		       gc_error *err)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
	int rc = 0;

	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &k->pkey, EVP_PKEY_KEYPAIR, params) != 1)
		rc = crypto_fail(err, "cannot load the key");
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params); /* secure BNs: cleared */
	return rc;
}

static int openssh_ed25519(gc_sshsig_key *k, rd *priv, gc_error *err)
{
	rd pk = get_string(priv), sk = get_string(priv);

	if (priv->bad || pk.n != ED25519_LEN || sk.n != 2 * ED25519_LEN)
		return broken(err);
	/* sk is the 32-byte seed, then the public key again */
	if (memcmp(sk.p + ED25519_LEN, pk.p, ED25519_LEN))
		return mismatch(err);
	k->kind = KEY_ED25519;
	k->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk.p,
					       ED25519_LEN);
	return k->pkey ? 0 : crypto_fail(err, "cannot load the key");
}

/* OpenSSH's RSA private key: n e d iqmp p q (iqmp = q^-1 mod p). */
static int openssh_rsa(gc_sshsig_key *k, rd *priv, gc_error *err)
{
	BIGNUM *n = get_bn(priv, false), *e = get_bn(priv, false);
	BIGNUM *d = get_bn(priv, true), *iqmp = get_bn(priv, true);
	BIGNUM *p = get_bn(priv, true), *q = get_bn(priv, true);
	BIGNUM *dp = BN_secure_new(), *dq = BN_secure_new();
	BIGNUM *p1 = BN_secure_new(), *q1 = BN_secure_new();
	BN_CTX *bctx = BN_CTX_secure_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	int rc;

	k->kind = KEY_RSA;
	if (!n || !e || !d || !iqmp || !p || !q) {
		rc = broken(err);
		goto cleanup;
	}
	/* the CRT exponents OpenSSH leaves out: d mod (p-1), d mod (q-1) */
	if (!dp || !dq || !p1 || !q1 || !bctx || !bld ||
	    !BN_sub(p1, p, BN_value_one()) || !BN_sub(q1, q, BN_value_one()) ||
	    !BN_mod(dp, d, p1, bctx) || !BN_mod(dq, d, q1, bctx) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
				    iqmp)) {
		rc = crypto_fail(err, "cannot load the key");
		goto cleanup;
	}
	rc = from_params(k, "RSA", bld, err);
cleanup:
	OSSL_PARAM_BLD_free(bld);
	BN_CTX_free(bctx);
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	BN_clear_free(iqmp);
	BN_clear_free(p);
	BN_clear_free(q);
	BN_clear_free(dp);
	BN_clear_free(dq);
	BN_clear_free(p1);
	BN_clear_free(q1);
	return rc;
}

static const curve *curve_by(const char *group, rd ssh)
{
	for (size_t i = 0; i < GC_ARRAY_SIZE(curves); i++)
		if ((group && !strcmp(curves[i].group, group)) ||
		    (!group && string_is(ssh, curves[i].ssh)))
			return &curves[i];
	return NULL;
}

/* OpenSSH's ECDSA private key: curve name, public point, d. */
static int openssh_ecdsa(gc_sshsig_key *k, rd type, rd *priv, gc_error *err)
{
	rd name = get_string(priv), q = get_string(priv);
	BIGNUM *d = get_bn(priv, true);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	int rc;

	k->kind = KEY_ECDSA;
	k->curve = curve_by(NULL, name);
	if (!d || priv->bad) {
		rc = broken(err);
	} else if (!k->curve || !string_is(type, k->curve->type)) {
		rc = invalid(err, "unsupported ECDSA curve (nistp256, nistp384 "
				  "and nistp521 are)");
	} else if (!bld ||
		   !OSSL_PARAM_BLD_push_utf8_string(bld,
						    OSSL_PKEY_PARAM_GROUP_NAME,
						    k->curve->group, 0) ||
		   !OSSL_PARAM_BLD_push_octet_string(bld,
						     OSSL_PKEY_PARAM_PUB_KEY,
						     q.p, q.n) ||
		   !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d)) {
		rc = crypto_fail(err, "cannot load the key");
	} else {
		rc = from_params(k, "EC", bld, err);
	}
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	return rc;
}

/* A key type gitcanary cannot sign with, named when it looks like one. */
static int unsupported(rd type, gc_error *err)
{
	bool plain = !type.bad && type.n && type.n <= 64;

	for (size_t i = 0; plain && i < type.n; i++)
		plain = strchr("abcdefghijklmnopqrstuvwxyz0123456789@.-",
			       type.p[i]) &&
			type.p[i];
	return gc_error_set(err, GC_EINVALID,
			    "unsupported key type%s%.*s%s (ed25519, rsa and "
			    "ecdsa keys are)",
			    plain ? " '" : "", plain ? (int)type.n : 0,
			    plain ? (const char *)type.p : "",
			    plain ? "'" : "");
}

/* The decoded openssh-key-v1 structure (secrets: the caller wipes raw). */
static int openssh_key(gc_sshsig_key *k, const unsigned char *raw, size_t n,
		       gc_error *err)
{
	rd r = { raw, n, false }, cipher, kdf, pub, priv, type;
	uint32_t nkeys;
	int rc;

	if (n < sizeof(OPENSSH_MAGIC) ||
	    memcmp(raw, OPENSSH_MAGIC, sizeof(OPENSSH_MAGIC)))
		return broken(err);
	r.p += sizeof(OPENSSH_MAGIC);
	r.n -= sizeof(OPENSSH_MAGIC);
	cipher = get_string(&r);
	kdf = get_string(&r);
	(void)get_string(&r); /* the kdf's options */
	nkeys = get_u32(&r);
	pub = get_string(&r);
	priv = get_string(&r);
	if (r.bad)
		return broken(err);
	if (!string_is(cipher, "none") || !string_is(kdf, "none"))
		return encrypted(err);
	if (nkeys != 1)
		return invalid(err, "the key file holds more than one key");
	/* two equal random numbers: a wrong passphrase would break them */
	if (get_u32(&priv) != get_u32(&priv) || priv.bad)
		return broken(err);
	type = get_string(&priv);
	if (priv.bad)
		return broken(err);
	if (string_is(type, "ssh-ed25519"))
		rc = openssh_ed25519(k, &priv, err);
	else if (string_is(type, "ssh-rsa"))
		rc = openssh_rsa(k, &priv, err);
	else if (type.n > 11 && !memcmp(type.p, "ecdsa-sha2-", 11))
		rc = openssh_ecdsa(k, type, &priv, err);
	else
		rc = unsupported(type, err);
	if (rc < 0 || (rc = public_blob(k, err)) < 0)
		return rc;
	if (pub.n != k->pub.len || memcmp(pub.p, k->pub.ptr, pub.n))
		return mismatch(err);
	return 0;
}

/* "-----BEGIN OPENSSH PRIVATE KEY-----", base64, "-----END ...". */
static int openssh_armored(gc_sshsig_key *k, const char *data, size_t len,
			   gc_error *err)
{
	const char *begin = find(data, len, KEY_BEGIN) + strlen(KEY_BEGIN);
	const char *end = find(begin, len - (size_t)(begin - data), KEY_END);
	size_t n = 0, pad = 0, span;
	unsigned char *b64, *raw;
	int dec, rc;

	if (!end)
		return broken(err);
	span = (size_t)(end - begin);
	if (span > INT_MAX)
		return broken(err);
	b64 = gc_xmalloc(span + 1);
	for (const char *p = begin; p < end; p++)
		if (!strchr(" \t\r\n", *p))
			b64[n++] = (unsigned char)*p;
	while (pad < 2 && pad < n && b64[n - 1 - pad] == '=')
		pad++;
	raw = gc_xmalloc(n / 4 * 3 + 1);
	dec = n % 4 ? -1 : EVP_DecodeBlock(raw, b64, (int)n);
	if (dec < 0 || (size_t)dec < pad)
		rc = broken(err);
	else
		rc = openssh_key(k, raw, (size_t)dec - pad, err);
	gc_wipe(b64, span + 1);
	gc_wipe(raw, n / 4 * 3 + 1);
	free(b64);
	free(raw);
	return rc;
}

/* Refuses to prompt: an encrypted PEM key fails to load. */
static int no_passphrase(char *buf, int size, int rwflag, void *payload)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)payload;
	return -1;
}

/* PKCS#8, PKCS#1 RSA or SEC1 EC, as OpenSSL reads them. */
static int pem_key(gc_sshsig_key *k, const char *data, size_t len,
		   gc_error *err)
{
	char group[64];
	BIO *bio;

	/* PKCS#8's "ENCRYPTED PRIVATE KEY" and the old PEM header */
	if (find(data, len, "ENCRYPTED PRIVATE KEY-----") ||
	    find(data, len, "Proc-Type: 4,ENCRYPTED"))
		return encrypted(err);
	if (len > INT_MAX || !(bio = BIO_new_mem_buf(data, (int)len)))
		return crypto_fail(err, "cannot read the key");
	k->pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (!k->pkey)
		return invalid(err, "not a private key (expected OpenSSH's "
				    "format or PEM)");
	if (EVP_PKEY_is_a(k->pkey, "ED25519")) {
		k->kind = KEY_ED25519;
	} else if (EVP_PKEY_is_a(k->pkey, "RSA")) {
		k->kind = KEY_RSA;
	} else if (EVP_PKEY_is_a(k->pkey, "EC")) {
		k->kind = KEY_ECDSA;
		if (!EVP_PKEY_get_utf8_string_param(k->pkey,
						    OSSL_PKEY_PARAM_GROUP_NAME,
						    group, sizeof(group),
						    NULL) ||
		    !(k->curve = curve_by(group, (rd){ NULL, 0, true }))) {
			ERR_clear_error();
			return invalid(err,
				       "unsupported ECDSA curve (nistp256, "
				       "nistp384 and nistp521 are)");
		}
	} else {
		return invalid(err, "unsupported key type (ed25519, rsa and "
				    "ecdsa keys are)");
	}
	return public_blob(k, err);
}

/* The digest SSH signs with for k's type (NULL: ed25519 hashes itself). */
static const char *sig_md(const gc_sshsig_key *k)
{
	switch (k->kind) {
	case KEY_RSA:
		return "SHA512";
	case KEY_ECDSA:
		return k->curve->md;
	default:
		return NULL;
	}
}

/* libcrypto's signature of data (DER for ECDSA) into *sig (owned). */
static bool digest_sign(unsigned char **sig, size_t *n, const gc_sshsig_key *k,
			const unsigned char *data, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx &&
		  EVP_DigestSignInit_ex(ctx, NULL, sig_md(k), NULL, NULL,
					k->pkey, NULL) == 1 &&
		  EVP_DigestSign(ctx, NULL, n, data, len) == 1;

	*sig = NULL;
	if (ok) {
		*sig = gc_xmalloc(*n);
		ok = EVP_DigestSign(ctx, *sig, n, data, len) == 1;
	}
	EVP_MD_CTX_free(ctx);
	if (!ok)
		GC_FREE_AND_NULL(*sig);
	return ok;
}

/*
 * Signs a probe and verifies it with the public half, so the halves of a
 * key read separately (RSA's numbers, ECDSA's point and scalar) are known
 * to belong together. EVP_PKEY_pairwise_check would also test RSA's
 * primes: ~0.5 s for 3072 bits.
 */
static bool self_test(const gc_sshsig_key *k)
{
	static const unsigned char probe[] = "gitcanary key self-test";
	EVP_MD_CTX *ctx = NULL;
	unsigned char *sig = NULL;
	size_t n = 0;
	bool ok = digest_sign(&sig, &n, k, probe, sizeof(probe)) &&
		  (ctx = EVP_MD_CTX_new()) &&
		  EVP_DigestVerifyInit_ex(ctx, NULL, sig_md(k), NULL, NULL,
					  k->pkey, NULL) == 1 &&
		  EVP_DigestVerify(ctx, sig, n, probe, sizeof(probe)) == 1;

	EVP_MD_CTX_free(ctx);
	free(sig);
	ERR_clear_error();
	return ok;
}

static void fingerprint(gc_sshsig_key *k)
{
	unsigned char md[EVP_MAX_MD_SIZE], b64[2 * EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int n;

	if (!EVP_Digest(k->pub.ptr, k->pub.len, md, &mdlen, EVP_sha256(), NULL))
		GC_BUG("SHA-256 failed");
	n = EVP_EncodeBlock(b64, md, (int)mdlen);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	snprintf(k->fingerprint, sizeof(k->fingerprint), "SHA256:%.*s (%s)", n,
		 (const char *)b64, kind_names[k->kind]);
}

int gc_sshsig_key_parse(gc_sshsig_key **out, const char *data, size_t len,
			gc_error *err)
{
	gc_sshsig_key *k = gc_xcalloc(1, sizeof(*k));
	int rc;

	gc_buf_init(&k->pub);
	if (find(data, len, KEY_BEGIN))
		rc = openssh_armored(k, data, len, err);
	else if (find(data, len, "-----BEGIN "))
		rc = pem_key(k, data, len, err);
	else if (len > 4 && (!memcmp(data, "ssh-", 4) ||
			     !memcmp(data, "ecdsa-", len > 6 ? 6 : len)))
		rc = invalid(err, "a public key; the private key is needed");
	else
		rc = invalid(err, "not a private key (expected OpenSSH's "
				  "format or PEM)");
	if (rc == 0 && !self_test(k))
		rc = mismatch(err);
	if (rc < 0) {
		gc_sshsig_key_free(k);
		return rc;
	}
	fingerprint(k);
	*out = k;
	return 0;
}

void gc_sshsig_key_free(gc_sshsig_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey); /* libcrypto clears private keys it frees */
	gc_buf_release(&k->pub);
	free(k);
}

const char *gc_sshsig_key_fingerprint(const gc_sshsig_key *k)
{
	return k->fingerprint;
}

/* ---- signatures ---- */

/* SSH's signature of data: string type, then the type's blob. */
static int sign_raw(gc_buf *out, const gc_sshsig_key *k,
		    const unsigned char *data, size_t len, gc_error *err)
{
	unsigned char *sig = NULL;
	const unsigned char *p;
	ECDSA_SIG *es = NULL;
	const BIGNUM *r, *s;
	gc_buf rs = GC_BUF_INIT;
	size_t n = 0;
	int rc = 0;

	if (!digest_sign(&sig, &n, k, data, len))
		return crypto_fail(err, "cannot sign");
	switch (k->kind) {
	case KEY_ED25519:
		put_cstring(out, "ssh-ed25519");
		put_string(out, sig, n);
		break;
	case KEY_RSA:
		put_cstring(out, "rsa-sha2-512");
		put_string(out, sig, n);
		break;
	case KEY_ECDSA:
		/* DER from libcrypto; SSH wants string(mpint r, mpint s) */
		p = sig;
		if (n > LONG_MAX || !(es = d2i_ECDSA_SIG(NULL, &p, (long)n))) {
			rc = crypto_fail(err, "cannot sign");
			goto cleanup;
		}
		ECDSA_SIG_get0(es, &r, &s);
		put_mpint(&rs, r);
		put_mpint(&rs, s);
		put_cstring(out, k->curve->type);
		put_string(out, rs.ptr, rs.len);
		break;
	}
cleanup:
	ECDSA_SIG_free(es);
	gc_buf_release(&rs);
	free(sig);
	return rc;
}

/* ssh-keygen's armor: base64 wrapped at 70, every line ended by "\n". */
static void armor(gc_buf *out, const gc_buf *blob)
{
	unsigned char *b64;
	int n;

	GC_ASSERT(blob->len < INT_MAX / 2);
	b64 = gc_xmalloc(blob->len / 3 * 4 + 5);
	n = EVP_EncodeBlock(b64, (const unsigned char *)blob->ptr,
			    (int)blob->len);
	gc_buf_adds(out, ARMOR_BEGIN);
	for (int i = 0; i < n; i += ARMOR_WIDTH) {
		gc_buf_add(out, b64 + i,
			   (size_t)(n - i < ARMOR_WIDTH ? n - i : ARMOR_WIDTH));
		gc_buf_addch(out, '\n');
	}
	gc_buf_adds(out, ARMOR_END);
	free(b64);
}

int gc_sshsig_sign(gc_buf *out, const gc_sshsig_key *k, const char *ns,
		   const char *msg, size_t len, gc_error *err)
{
	gc_buf tbs = GC_BUF_INIT, sig = GC_BUF_INIT, blob = GC_BUF_INIT;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hlen = 0;
	int rc;

	if (!EVP_Digest(msg, len, h, &hlen, EVP_sha512(), NULL))
		return crypto_fail(err, "cannot hash the message");
	/* what is signed: the preamble, the namespace and the hash */
	gc_buf_adds(&tbs, SSHSIG_MAGIC);
	put_cstring(&tbs, ns);
	put_cstring(&tbs, ""); /* reserved */
	put_cstring(&tbs, SSHSIG_HASH);
	put_string(&tbs, h, hlen);
	if ((rc = sign_raw(&sig, k, (const unsigned char *)tbs.ptr, tbs.len,
			   err)) < 0)
		goto cleanup;
	gc_buf_adds(&blob, SSHSIG_MAGIC);
	gc_buf_add_be32(&blob, SSHSIG_VERSION);
	put_string(&blob, k->pub.ptr, k->pub.len);
	put_cstring(&blob, ns);
	put_cstring(&blob, "");
	put_cstring(&blob, SSHSIG_HASH);
	put_string(&blob, sig.ptr, sig.len);
	armor(out, &blob);
cleanup:
	gc_buf_release(&tbs);
	gc_buf_release(&sig);
	gc_buf_release(&blob);
	return rc;
}
