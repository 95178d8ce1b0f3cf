/* Ed25519 (RFC 8032, pure) through OpenSSL: a 32-byte seed as ed25519-dalek's
 * SigningKey::from_bytes takes it, 32-byte public keys, 64-byte signatures
 * (docs/api/Sign.md). */
#ifndef DSTACK_CRYPTO_ED25519_H
#define DSTACK_CRYPTO_ED25519_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#include <openssl/evp.h>

#define ED25519_SEED_LEN 32
#define ED25519_PUBKEY_LEN 32
#define ED25519_SIG_LEN 64

/* A signing key for repeated use (the agent's Sign key). Free with EVP_PKEY_free. */
EVP_PKEY *ed25519_key_new(const uint8_t seed[static ED25519_SEED_LEN]);

dstack_err ed25519_pubkey(const uint8_t seed[static ED25519_SEED_LEN],
                          uint8_t out[static ED25519_PUBKEY_LEN]);
dstack_err ed25519_key_pubkey(EVP_PKEY *key, uint8_t out[static ED25519_PUBKEY_LEN]);

dstack_err ed25519_sign(const uint8_t seed[static ED25519_SEED_LEN], const uint8_t *msg, size_t len,
                        uint8_t out[static ED25519_SIG_LEN]);
dstack_err ed25519_key_sign(EVP_PKEY *key, const uint8_t *msg, size_t len,
                            uint8_t out[static ED25519_SIG_LEN]);

/* Verify as upstream's dalek VerifyingKey::from_bytes + Signature::from_slice + verify do:
 * the public key must be 32 bytes that decompress to a curve point, the signature 64 bytes,
 * else DSTACK_EFORMAT with *what naming the field ("public key", "signature"). A well-formed
 * but wrong signature (including a non-canonical S) gives DSTACK_OK and *valid = false. */
dstack_err ed25519_verify(const uint8_t *pub, size_t pub_len, const uint8_t *sig, size_t sig_len,
                          const uint8_t *msg, size_t len, bool *valid, const char **what);

/* Does this 32-byte encoding decompress to a point (curve25519-dalek's decompress: the sign
 * bit ignored for the test, y taken mod p, x^2 = (y^2 - 1) / (d y^2 + 1) must have a root)? */
bool ed25519_point_valid(const uint8_t pub[static ED25519_PUBKEY_LEN]);

#endif
