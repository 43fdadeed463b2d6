#ifndef GC_REPO_LAYOUT_SSHSIG_H
#define GC_REPO_LAYOUT_SSHSIG_H

/*
 * SSH signatures (OpenSSH PROTOCOL.sshsig) as `ssh-keygen -Y sign` makes
 * them, and so as `git commit -S` with gpg.format=ssh stores them in a
 * commit's gpgsig header. Pure: key bytes and a message in, an armored
 * signature out, over libcrypto; the caller reads the key file.
 *
 * Keys: OpenSSH's own private key format ("-----BEGIN OPENSSH PRIVATE
 * KEY-----", openssh-key-v1) and PEM private keys OpenSSL reads (PKCS#8,
 * PKCS#1 RSA, SEC1 EC), unencrypted, of the types ed25519, RSA (signed
 * rsa-sha2-512, as ssh-keygen signs) and ECDSA on nistp256, nistp384 and
 * nistp521. Error messages never quote the key.
 */

#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

typedef struct gc_sshsig_key gc_sshsig_key; /* a private key (opaque) */

/*
 * Parses a private key file's contents. GC_EINVALID when it is not a
 * private key, is encrypted with a passphrase, is broken (its private and
 * public halves disagree) or has a type not listed above.
 */
int gc_sshsig_key_parse(gc_sshsig_key **out, const char *data, size_t len,
			gc_error *err);
/* Frees the key and wipes its secrets (NULL is fine). */
void gc_sshsig_key_free(gc_sshsig_key *key);
/*
 * "SHA256:<base64> (ED25519)": the public key's fingerprint and type as
 * `ssh-keygen -l` prints them (RSA, ECDSA). Borrowed from the key.
 */
const char *gc_sshsig_key_fingerprint(const gc_sshsig_key *key);

/*
 * Appends the signature of msg in namespace ns (git signs in "git") to
 * out, armored as ssh-keygen writes it: "-----BEGIN SSH SIGNATURE-----",
 * base64 in lines of 70, "-----END SSH SIGNATURE-----", each line ended
 * by "\n". The message is hashed with SHA-512.
 */
int gc_sshsig_sign(gc_buf *out, const gc_sshsig_key *key, const char *ns,
		   const char *msg, size_t len, gc_error *err);

#endif
