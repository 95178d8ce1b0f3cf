/* secp256k1 ECDSA through libsecp256k1, with upstream's conventions (docs/api/Sign.md):
 * RFC 6979 nonces with HMAC-SHA256, low-S, recovery id 0..3 appended as a 65th byte where
 * upstream uses recoverable signatures, SEC1 compressed public keys. */
#ifndef DSTACK_CRYPTO_K256_H
#define DSTACK_CRYPTO_K256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#define K256_SECKEY_LEN 32
#define K256_PUBKEY_LEN 33      /* SEC1 compressed */
#define K256_PUBKEY_FULL_LEN 65 /* SEC1 uncompressed */
#define K256_SIG_LEN 64         /* r || s */
#define K256_RSIG_LEN 65        /* r || s || recovery id */
#define K256_DIGEST_LEN 32

/* The shared context, created and randomized once (NULL only if libsecp256k1 cannot allocate). */
struct secp256k1_context_struct;
const struct secp256k1_context_struct *k256_ctx(void);

/* 1 <= sk < n. */
bool k256_seckey_valid(const uint8_t sk[static K256_SECKEY_LEN]);

/* Compressed public key of sk; DSTACK_EINVAL when sk is not a valid scalar. */
dstack_err k256_pubkey(const uint8_t sk[static K256_SECKEY_LEN],
                       uint8_t out[static K256_PUBKEY_LEN]);

/* Recoverable signature over a 32-byte digest (GetKey, KMS): r || s || v, v in 0..3. */
dstack_err k256_sign_recoverable(const uint8_t sk[static K256_SECKEY_LEN],
                                 const uint8_t digest[static K256_DIGEST_LEN],
                                 uint8_t out[static K256_RSIG_LEN]);

/* Plain signature r || s over a 32-byte prehash z (Sign). The nonce follows RustCrypto, which
 * feeds the unreduced z into RFC 6979; libsecp256k1 reduces z mod n first, so the two differ
 * exactly when z >= n, and then we use our own nonce function (docs/api/Sign.md). */
dstack_err k256_sign(const uint8_t sk[static K256_SECKEY_LEN],
                     const uint8_t z[static K256_DIGEST_LEN], uint8_t out[static K256_SIG_LEN]);

/* Verifies r || s over z with a SEC1 public key, as k256's VerifyingKey::from_sec1_bytes +
 * Signature::from_slice + verify_prehash do (docs/api/Verify.md):
 *  - public key: 02/03 + X (33 B), 05 + X (33 B, "compact": the even-Y point), 04 + X + Y
 *    (65 B, on the curve); anything else (hybrid 06/07, identity, other lengths)
 *    -> DSTACK_EFORMAT with *what = "public key";
 *  - signature: exactly 64 bytes, r and s in [1, n-1], else DSTACK_EFORMAT, *what = "signature";
 *  - *valid: the ECDSA equation holds and s is low (high-S verifies false, as in k256). */
dstack_err k256_verify(const uint8_t *pub, size_t pub_len, const uint8_t *sig, size_t sig_len,
                       const uint8_t z[static K256_DIGEST_LEN], bool *valid, const char **what);

/* Public key that produced a recoverable signature over digest (ecrecover). v must be 0..3.
 * DSTACK_EFORMAT for a malformed signature, DSTACK_EVERIFY when no key recovers. */
dstack_err k256_recover(const uint8_t digest[static K256_DIGEST_LEN],
                        const uint8_t sig[static K256_RSIG_LEN],
                        uint8_t out[static K256_PUBKEY_LEN]);

/* z >= n (the group order), big-endian. */
bool k256_ge_order(const uint8_t z[static K256_DIGEST_LEN]);

#endif
