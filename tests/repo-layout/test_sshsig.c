/*
 * SSH signatures against OpenSSH itself: keys made by ssh-keygen (and
 * openssl) in a temporary directory at run time, signatures compared byte
 * for byte with `ssh-keygen -Y sign -n git` where the algorithm is
 * deterministic (ed25519, RSA) and checked with `ssh-keygen -Y verify`
 * where it is not (ECDSA).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "git_helpers.h"
#include "repo-layout/sshsig.h"

static char *tmp;

static void setup(void)
{
	tmp = gc_test_tmpdir();
}

static void teardown(void)
{
	gc_test_rmrf(tmp);
	free(tmp);
}

/* ssh-keygen -t type [-b bits] -m format into tmp/name (no passphrase). */
static void keygen(const char *name, const char *type_and_bits)
{
	sh_ok("cd '%s' && ssh-keygen -q -t %s -N '' -C signer -f %s", tmp,
	      type_and_bits, name);
}

/* Rewrites tmp/name (a copy of tmp/from) in another format: PEM, PKCS8. */
static void convert(const char *from, const char *name, const char *format)
{
	sh_ok("cd '%s' && cp %s %s && ssh-keygen -q -p -N '' -P '' -m %s "
	      "-f %s",
	      tmp, from, name, format, name);
}

static char *path_of(const char *name)
{
	return gc_xasprintf("%s/%s", tmp, name);
}

/* The key in tmp/name, or the parse error (code into *code). */
static gc_sshsig_key *parse_file(const char *name, int *code, char **msg)
{
	char *path = path_of(name), *data = gc_test_slurp(path);
	gc_error err = GC_ERROR_INIT;
	gc_sshsig_key *k = NULL;

	*code = gc_sshsig_key_parse(&k, data, strlen(data), &err);
	*msg = gc_xstrdup(gc_error_msg(&err));
	gc_error_release(&err);
	free(data);
	free(path);
	return k;
}

static gc_sshsig_key *load(const char *name)
{
	char *msg;
	int code;
	gc_sshsig_key *k = parse_file(name, &code, &msg);

	ck_assert_msg(code == 0, "%s: %s", name, msg);
	free(msg);
	return k;
}

/* Writes len bytes to tmp/name. */
static void put_file(const char *name, const void *data, size_t len)
{
	char *path = path_of(name);
	gc_error err = GC_ERROR_INIT;

	ck_assert_int_eq(gc_buf_write_file(path, data, len, &err), 0);
	free(path);
}

/* Our signature of tmp/msg with key, written to tmp/sig; owned. */
static char *sign_msg(const gc_sshsig_key *k, const char *ns)
{
	char *path = path_of("msg"), *msg = NULL;
	gc_buf data = GC_BUF_INIT, sig = GC_BUF_INIT;
	gc_error err = GC_ERROR_INIT;

	ck_assert_int_eq(gc_buf_read_file(&data, path, 1u << 24, &err), 0);
	ck_assert_msg(gc_sshsig_sign(&sig, k, ns, data.ptr, data.len, &err) ==
			      0,
		      "%s", gc_error_msg(&err));
	put_file("sig", sig.ptr, sig.len);
	msg = gc_buf_detach(&sig, NULL);
	gc_buf_release(&data);
	free(path);
	return msg;
}

/* ssh-keygen's signature of tmp/msg with tmp/key; owned. */
static char *keygen_sign(const char *key)
{
	return sh("cd '%s' && rm -f msg.sig && ssh-keygen -q -Y sign -n git "
		  "-f %s msg >/dev/null 2>&1 && cat msg.sig && echo .",
		  tmp, key);
}

/* Our signature equals ssh-keygen's, for messages of several shapes. */
static void assert_same_as_keygen(const char *openssh_key,
				  const char *const *ours, size_t nours)
{
	static const char *const msgs[] = {
		"", "hello\n",
		"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
		"author gitcanary <bot@example.com> 1700000100 +0000\n"
		"committer gitcanary <bot@example.com> 1700000100 +0000\n\n"
		"Advance podinfo.test canary weight 10\n"
	};
	unsigned char big[100000];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7 + i / 256);
	for (size_t m = 0; m <= GC_ARRAY_SIZE(msgs); m++) {
		char *want;

		if (m < GC_ARRAY_SIZE(msgs))
			put_file("msg", msgs[m], strlen(msgs[m]));
		else
			put_file("msg", big, sizeof(big));
		want = keygen_sign(openssh_key);
		ck_assert_str_eq(want + strlen(want) - 1, ".");
		want[strlen(want) - 1] = '\0';
		for (size_t i = 0; i < nours; i++) {
			gc_sshsig_key *k = load(ours[i]);
			char *got = sign_msg(k, "git");

			ck_assert_msg(!strcmp(got, want),
				      "%s, message %zu:\n%s\nwant\n%s", ours[i],
				      m, got, want);
			free(got);
			gc_sshsig_key_free(k);
		}
		free(want);
	}
}

START_TEST(test_sshsig__ed25519_is_byte_for_byte_ssh_keygen)
{
	static const char *const keys[] = { "ed" };

	keygen("ed", "ed25519");
	assert_same_as_keygen("ed", keys, GC_ARRAY_SIZE(keys));
}
END_TEST

START_TEST(test_sshsig__rsa_in_every_format_is_byte_for_byte_ssh_keygen)
{
	static const char *const keys[] = { "rsa", "rsa.pem", "rsa.p8" };

	keygen("rsa", "rsa -b 2048");
	convert("rsa", "rsa.pem", "PEM");
	convert("rsa", "rsa.p8", "PKCS8");
	assert_same_as_keygen("rsa", keys, GC_ARRAY_SIZE(keys));
	/* the armor: 70 columns, as ssh-keygen wraps */
	sh_ok("cd '%s' && awk 'length($0) > 70 { exit 1 }' sig && "
	      "[ $(sed -n 2p sig | tr -d '\\n' | wc -c) = 70 ]",
	      tmp);
}
END_TEST

/* allowed_signers for tmp/<name>.pub as principal "signer" */
static void allow(const char *pub_name)
{
	sh_ok("cd '%s' && printf 'signer %%s\\n' \"$(cut -d' ' -f1,2 %s)\" "
	      ">allowed",
	      tmp, pub_name);
}

static int keygen_verify(const char *ns)
{
	return gc_test_sh(NULL, NULL,
			  "cd '%s' && ssh-keygen -Y verify -f allowed -I "
			  "signer -n %s -s sig <msg",
			  tmp, ns);
}

START_TEST(test_sshsig__ecdsa_verifies_with_ssh_keygen)
{
	static const char *const curves[] = { "256", "384", "521" };

	put_file("msg", "Routing all traffic to primary\n", 31);
	for (size_t i = 0; i < GC_ARRAY_SIZE(curves); i++) {
		static const char *const formats[] = { "ec", "ec.pem",
						       "ec.p8" };
		char *spec = gc_xasprintf("ecdsa -b %s", curves[i]);

		sh_ok("rm -f '%s'/ec*", tmp);
		keygen("ec", spec);
		convert("ec", "ec.pem", "PEM");
		convert("ec", "ec.p8", "PKCS8");
		allow("ec.pub");
		for (size_t f = 0; f < GC_ARRAY_SIZE(formats); f++) {
			gc_sshsig_key *k = load(formats[f]);

			free(sign_msg(k, "git"));
			ck_assert_msg(keygen_verify("git") == 0,
				      "nistp%s %s does not verify", curves[i],
				      formats[f]);
			/* the namespace is part of what is signed */
			ck_assert_int_ne(keygen_verify("file"), 0);
			gc_sshsig_key_free(k);
		}
		free(spec);
	}
}
END_TEST

START_TEST(test_sshsig__ed25519_pkcs8_from_openssl)
{
	gc_sshsig_key *k;

	sh_ok("cd '%s' && openssl genpkey -algorithm ed25519 -out ed.pem && "
	      "{ printf '\\0\\0\\0\\013ssh-ed25519\\0\\0\\0\\040'; openssl "
	      "pkey -in ed.pem -pubout -outform DER | tail -c 32; } | "
	      "base64 -w0 | sed 's/^/signer ssh-ed25519 /' >allowed",
	      tmp);
	put_file("msg", "x", 1);
	k = load("ed.pem");
	free(sign_msg(k, "git"));
	ck_assert_int_eq(keygen_verify("git"), 0);
	gc_sshsig_key_free(k);
}
END_TEST

START_TEST(test_sshsig__fingerprint_is_ssh_keygens)
{
	static const char *const types[] = { "ed25519", "rsa -b 2048",
					     "ecdsa -b 384" };

	for (size_t i = 0; i < GC_ARRAY_SIZE(types); i++) {
		char *want;
		gc_sshsig_key *k;

		sh_ok("rm -f '%s'/key*", tmp);
		keygen("key", types[i]);
		want = sh("cd '%s' && ssh-keygen -lf key.pub | "
			  "awk '{ print $2 \" \" $NF }'",
			  tmp);
		k = load("key");
		ck_assert_str_eq(gc_sshsig_key_fingerprint(k), want);
		gc_sshsig_key_free(k);
		free(want);
	}
}
END_TEST

/* The parse of tmp/name fails with GC_EINVALID and a message with `want`. */
static void assert_refused(const char *name, const char *want)
{
	char *msg, *path = path_of(name), *data = gc_test_slurp(path);
	int code;
	gc_sshsig_key *k = parse_file(name, &code, &msg);

	ck_assert_ptr_null(k);
	ck_assert_int_eq(code, GC_EINVALID);
	ck_assert_msg(strstr(msg, want), "%s: '%s' lacks '%s'", name, msg,
		      want);
	/* never a piece of the key in the message */
	for (const char *line = data; *line;
	     line += strcspn(line, "\n"), line += *line == '\n') {
		size_t n = strcspn(line, "\n");

		if (n >= 16 && strncmp(line, "-----", 5)) {
			char *piece = gc_xstrndup(line, 16);

			ck_assert_msg(!strstr(msg, piece), "%s quotes the key",
				      msg);
			free(piece);
		}
	}
	free(msg);
	free(data);
	free(path);
}

START_TEST(test_sshsig__encrypted_keys_are_refused)
{
	sh_ok("cd '%s' && ssh-keygen -q -t ed25519 -N 'correct horse' -f ed "
	      "&& ssh-keygen -q -t rsa -b 2048 -N '' -f rsa && "
	      "cp rsa rsa.pem && ssh-keygen -q -p -P '' -N secretpw -m PEM -f rsa.pem "
	      "&& openssl genpkey -algorithm ed25519 -aes256 -pass pass:pw "
	      "-out ed.p8",
	      tmp);
	assert_refused("ed", "encrypted with a passphrase");
	assert_refused("rsa.pem", "encrypted with a passphrase");
	assert_refused("ed.p8", "encrypted with a passphrase");
}
END_TEST

/* tmp/name's openssh-key-v1 bytes passed through edit, into tmp/out. */
static void edit_openssh(const char *name, const char *out,
			 size_t (*edit)(unsigned char *raw, size_t n))
{
	char *path = path_of(name), *data = gc_test_slurp(path);
	char *b64 = strchr(data, '\n') + 1, *end = strstr(b64, "-----END");
	unsigned char raw[8192], enc[12000];
	size_t n = 0, pad = 0;
	int dec, len;
	char clean[12000];
	gc_buf file = GC_BUF_INIT;

	for (char *p = b64; p < end; p++)
		if (*p != '\n')
			clean[n++] = *p;
	while (clean[n - 1 - pad] == '=')
		pad++;
	dec = EVP_DecodeBlock(raw, (unsigned char *)clean, (int)n);
	ck_assert_int_gt(dec, 0);
	len = EVP_EncodeBlock(enc, raw, (int)edit(raw, (size_t)dec - pad));
	gc_buf_adds(&file, "-----BEGIN OPENSSH PRIVATE KEY-----\n");
	gc_buf_add(&file, enc, (size_t)len);
	gc_buf_adds(&file, "\n-----END OPENSSH PRIVATE KEY-----\n");
	put_file(out, file.ptr, file.len);
	gc_buf_release(&file);
	free(data);
	free(path);
}

static unsigned char other_pub[51];

/* openssh-key-v1\0, "none", "none", "", 1, then the public key blob */
#define PUB_AT (15 + 8 + 8 + 4 + 4 + 4)

static size_t swap_public(unsigned char *raw, size_t n)
{
	ck_assert_uint_gt(n, PUB_AT + 51);
	memcpy(raw + PUB_AT, other_pub, sizeof(other_pub));
	return n;
}

static size_t keep_public(unsigned char *raw, size_t n)
{
	ck_assert_uint_gt(n, PUB_AT + 51);
	memcpy(other_pub, raw + PUB_AT, sizeof(other_pub));
	return n;
}

static size_t break_checkint(unsigned char *raw, size_t n)
{
	/* the private section starts after its length, past the pub blob */
	ck_assert_uint_gt(n, PUB_AT + 51 + 8);
	raw[PUB_AT + 51 + 4] ^= 1;
	return n;
}

static size_t truncate_key(unsigned char *raw, size_t n)
{
	(void)raw;
	return n / 2; /* the private section claims more than is left */
}

/*
 * ecdsa-sha2-nistp256: the point Q in the public blob (after the type and
 * the curve name) and again in the private section (after its length, two
 * checkints, the type and the curve name).
 */
#define EC_Q_LEN 65
#define EC_PUB_Q (PUB_AT + 4 + 19 + 4 + 8 + 4)
#define EC_PRIV_Q (PUB_AT + 104 + 4 + 8 + 4 + 19 + 4 + 8 + 4)

static unsigned char other_q[EC_Q_LEN];

static size_t keep_q(unsigned char *raw, size_t n)
{
	ck_assert_uint_gt(n, EC_PRIV_Q + EC_Q_LEN);
	ck_assert_int_eq(raw[EC_PUB_Q], 4);
	memcpy(other_q, raw + EC_PUB_Q, sizeof(other_q));
	return n;
}

/* both copies of Q from another key: consistent, but not d's point */
static size_t swap_q(unsigned char *raw, size_t n)
{
	ck_assert_uint_gt(n, EC_PRIV_Q + EC_Q_LEN);
	ck_assert(!memcmp(raw + EC_PUB_Q, raw + EC_PRIV_Q, EC_Q_LEN));
	memcpy(raw + EC_PUB_Q, other_q, sizeof(other_q));
	memcpy(raw + EC_PRIV_Q, other_q, sizeof(other_q));
	return n;
}

START_TEST(test_sshsig__ecdsa_with_a_foreign_point_is_refused)
{
	keygen("ec", "ecdsa -b 256");
	keygen("ec2", "ecdsa -b 256");
	edit_openssh("ec2", "unused", keep_q);
	edit_openssh("ec", "swapped", swap_q);
	assert_refused("swapped", "does not match its public key");
}
END_TEST

START_TEST(test_sshsig__broken_and_foreign_files_are_refused)
{
	keygen("ed", "ed25519");
	keygen("ed2", "ed25519");
	sh_ok("cd '%s' && ssh-keygen -q -t dsa -N '' -f dsa && "
	      "echo 'not a key at all, but long enough to look' >junk && "
	      "openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null "
	      "-subj /CN=x -out cert.pem 2>/dev/null",
	      tmp);
	assert_refused("ed.pub", "a public key; the private key is needed");
	assert_refused("junk", "not a private key");
	assert_refused("cert.pem", "not a private key");
	assert_refused("dsa", "unsupported key type 'ssh-dss'");
	edit_openssh("ed2", "unused", keep_public);
	edit_openssh("ed", "swapped", swap_public);
	assert_refused("swapped", "does not match its public key");
	edit_openssh("ed", "checkint", break_checkint);
	assert_refused("checkint", "truncated or corrupt");
	edit_openssh("ed", "short", truncate_key);
	assert_refused("short", "truncated or corrupt");
}
END_TEST

Suite *gc_suite_sshsig(void);
Suite *gc_suite_sshsig(void)
{
	Suite *s = suite_create("sshsig");
	TCase *tc = tcase_create("sshsig");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sshsig__ed25519_is_byte_for_byte_ssh_keygen);
	tcase_add_test(
		tc,
		test_sshsig__rsa_in_every_format_is_byte_for_byte_ssh_keygen);
	tcase_add_test(tc, test_sshsig__ecdsa_verifies_with_ssh_keygen);
	tcase_add_test(tc, test_sshsig__ed25519_pkcs8_from_openssl);
	tcase_add_test(tc, test_sshsig__fingerprint_is_ssh_keygens);
	tcase_add_test(tc, test_sshsig__encrypted_keys_are_refused);
	tcase_add_test(tc, test_sshsig__broken_and_foreign_files_are_refused);
	tcase_add_test(tc, test_sshsig__ecdsa_with_a_foreign_point_is_refused);
	suite_add_tcase(s, tc);
	return s;
}

GC_TEST_MAIN(gc_suite_sshsig)
