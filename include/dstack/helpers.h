/* libdstack helpers that need no agent: app-compose hash, encrypted environment variables, KMS
 * env-key signature check, Ethereum address (spec/sdk-and-sidecar.md §5, spec/crypto.md §7-§9).
 * Errors: the dstack_err return value plus dstack_last_error() (include/dstack/client.h). */
#ifndef DSTACK_HELPERS_H
#define DSTACK_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Compose hash (sdk-and-sidecar.md §5.1, crypto.md §8) ---- */

#define DSTACK_COMPOSE_HASH_HEX_LEN 64

/* The canonical JSON of an app-compose document exactly as the JS SDK's getComposeHash builds it
 * (sortObject + JSON.stringify): object keys sorted by UTF-16 code units at every depth (with
 * JavaScript's integer-like keys first, in numeric order), arrays kept in order, compact, non-ASCII
 * raw, numbers formatted like JavaScript (1.0 -> 1, 1e21 -> 1e+21, -0 -> 0). With normalize:
 * runner "bash" drops docker_compose_file, runner docker-compose/nerdctl-compose drops
 * bash_script, a falsy pre_launch_script is dropped.
 * `json` is UTF-8 text of length len holding a JSON object. *out is malloc'd (free()).
 * DSTACK_EFORMAT when the text is not a JSON object. */
DSTACK_API dstack_err dstack_compose_canonical_json(const char *json, size_t len, bool normalize,
                                                    char **out);

/* SHA-256 of the canonical JSON as 64 lowercase hex digits plus NUL (getComposeHash). */
DSTACK_API dstack_err dstack_compose_hash(const char *json, size_t len, bool normalize,
                                          char out[DSTACK_COMPOSE_HASH_HEX_LEN + 1]);

/* ---- Encrypted environment variables (crypto.md §7, sdk-and-sidecar.md §5.2) ---- */

#define DSTACK_X25519_KEY_LEN 32
#define DSTACK_ENV_IV_LEN 12
#define DSTACK_ENV_TAG_LEN 16

struct dstack_env_var {
    const char *key;
    const char *value;
};

/* Encrypts {"env":[{"key":k,"value":v},...]} (the JS SDK's compact JSON) for the KMS X25519
 * public key given as 64 hex digits (optional 0x): a fresh ephemeral key and IV, AES-256-GCM
 * keyed by the raw shared secret, no AAD. *out_hex (malloc'd) is
 * hex(eph_pub(32) || iv(12) || ciphertext || tag(16)). DSTACK_EINVAL for a bad key. */
DSTACK_API dstack_err dstack_encrypt_env_vars(const struct dstack_env_var *vars, size_t n,
                                              const char *public_key_hex, char **out_hex);

/* The same with a caller-chosen ephemeral secret and IV (for test vectors; never reuse them).
 * *out is the raw wire bytes (malloc'd, *out_len bytes). */
DSTACK_API dstack_err dstack_encrypt_env_vars_det(const struct dstack_env_var *vars, size_t n,
                                                  const uint8_t public_key[DSTACK_X25519_KEY_LEN],
                                                  const uint8_t eph_secret[DSTACK_X25519_KEY_LEN],
                                                  const uint8_t iv[DSTACK_ENV_IV_LEN],
                                                  uint8_t **out, size_t *out_len);

/* Decrypts the wire bytes with the recipient's X25519 secret key (what dstack-util does in the
 * guest). *plaintext (malloc'd, NUL-terminated, *plain_len bytes) is the JSON text.
 * DSTACK_EVERIFY on a wrong key or tampered data; DSTACK_EFORMAT when too short. */
DSTACK_API dstack_err dstack_decrypt_env_vars(const uint8_t *data, size_t len,
                                              const uint8_t secret_key[DSTACK_X25519_KEY_LEN],
                                              char **plaintext, size_t *plain_len);

/* ---- KMS env-encrypt public key signature (crypto.md §9.1, sdk-and-sidecar.md §5.3) ---- */

#define DSTACK_ENV_PUBKEY_MAX_AGE 300 /* seconds, the SDKs' default */
#define DSTACK_ENV_PUBKEY_FUTURE_SKEW 60
#define DSTACK_SIGNER_HEX_LEN 68 /* "0x" + 33-byte compressed key in hex */

/* Recovers the signer of the KMS signature over
 *   "dstack-env-encrypt-pubkey" ":" app_id_bytes BE64(timestamp) public_key
 * and writes it as "0x" + compressed public key hex. app_id: hex with optional 0x/0X.
 * signature: 65 bytes r||s||v with v in {0,1,27,28}. Freshness: now - timestamp must lie in
 * [-60, max_age_seconds] (max_age 0 = 300). `now` is seconds since the epoch (use time(NULL)).
 * DSTACK_EVERIFY for a stale/future timestamp or no recoverable key; DSTACK_EINVAL for bad
 * lengths or app_id. The caller must still compare the signer with a trusted KMS key. */
DSTACK_API dstack_err dstack_verify_env_encrypt_public_key(const uint8_t *public_key,
                                                           size_t pub_len, const uint8_t *signature,
                                                           size_t sig_len, const char *app_id,
                                                           uint64_t timestamp,
                                                           uint64_t max_age_seconds, int64_t now,
                                                           char signer[DSTACK_SIGNER_HEX_LEN + 1]);

/* The legacy message without timestamp (deprecated upstream). */
DSTACK_API dstack_err dstack_verify_env_encrypt_public_key_legacy(
    const uint8_t *public_key, size_t pub_len, const uint8_t *signature, size_t sig_len,
    const char *app_id, char signer[DSTACK_SIGNER_HEX_LEN + 1]);

/* ---- Ethereum (crypto.md §9.2) ---- */

#define DSTACK_ETH_ADDRESS_LEN 42 /* "0x" + 40 hex digits */

/* The EIP-55 checksummed address of the secp256k1 key `key` (e.g. a GetKey key):
 * keccak256(uncompressed public key without 0x04)[12..32]. DSTACK_EINVAL when key is not a valid
 * scalar. */
DSTACK_API dstack_err dstack_eth_address(const uint8_t key[DSTACK_KEY_LEN],
                                         char out[DSTACK_ETH_ADDRESS_LEN + 1]);

#ifdef __cplusplus
}
#endif
#endif
