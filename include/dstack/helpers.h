/* libdstack helpers that need no agent: app-compose hash, encrypted environment variables, KMS
 * env-key signature check, Ethereum and Solana wallets, base58 (docs/sdk.md,
 * upstream dstack/dstack-util/src/crypto.rs, docs/sdk.md).
 * Errors: the dstack_err return value plus dstack_last_error() (include/dstack/common.h,
 * docs/sdk.md "Errors"). */
#ifndef DSTACK_HELPERS_H
#define DSTACK_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/client.h>
#include <dstack/common.h>

/* Marks the helpers kept only so that wallets created with them stay reachable. */
#if defined(__GNUC__) || defined(__clang__)
#define DSTACK_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
#define DSTACK_DEPRECATED(msg)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Compose hash (docs/sdk.md) ---- */

#define DSTACK_COMPOSE_HASH_HEX_LEN 64

/* The canonical JSON of an app-compose document exactly as the JS SDK's getComposeHash builds it
 * (sortObject + JSON.stringify): object keys sorted by UTF-16 code units at every depth (with
 * JavaScript's integer-like keys first, in numeric order), arrays kept in order, compact, non-ASCII
 * raw, numbers formatted like JavaScript (1.0 -> 1, 1e21 -> 1e+21, -0 -> 0). With normalize:
 * runner "bash" drops docker_compose_file, runner docker-compose/nerdctl-compose drops
 * bash_script, a falsy pre_launch_script is dropped.
 * `json` is UTF-8 text of length len holding a JSON object. *out is malloc'd (free()).
 * DSTACK_EFORMAT when the text is not a JSON object. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_compose_canonical_json(const char *json, size_t len,
                                                                      bool normalize, char **out);

/* SHA-256 of the canonical JSON as 64 lowercase hex digits plus NUL (getComposeHash). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_compose_hash(
    const char *json, size_t len, bool normalize, char out[DSTACK_COMPOSE_HASH_HEX_LEN + 1]);

/* ---- Encrypted environment variables (docs/sdk.md; upstream dstack-util/src/crypto.rs) ---- */

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
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_encrypt_env_vars(const struct dstack_env_var *vars,
                                                                size_t n,
                                                                const char *public_key_hex,
                                                                char **out_hex);

/* The same with a caller-chosen ephemeral secret and IV (for test vectors; never reuse them).
 * *out is the raw wire bytes (malloc'd, *out_len bytes). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_encrypt_env_vars_det(
    const struct dstack_env_var *vars, size_t n, const uint8_t public_key[DSTACK_X25519_KEY_LEN],
    const uint8_t eph_secret[DSTACK_X25519_KEY_LEN], const uint8_t iv[DSTACK_ENV_IV_LEN],
    uint8_t **out, size_t *out_len);

/* Decrypts the wire bytes with the recipient's X25519 secret key (what dstack-util does in the
 * guest). *plaintext (malloc'd, NUL-terminated, *plain_len bytes) is the JSON text.
 * DSTACK_EVERIFY on a wrong key or tampered data; DSTACK_EFORMAT when too short. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_decrypt_env_vars(
    const uint8_t *data, size_t len, const uint8_t secret_key[DSTACK_X25519_KEY_LEN],
    char **plaintext, size_t *plain_len);

/* ---- KMS env-encrypt public key signature (docs/sdk.md) ---- */

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
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_verify_env_encrypt_public_key(
    const uint8_t *public_key, size_t pub_len, const uint8_t *signature, size_t sig_len,
    const char *app_id, uint64_t timestamp, uint64_t max_age_seconds, int64_t now,
    char signer[DSTACK_SIGNER_HEX_LEN + 1]);

/* The legacy message without timestamp (deprecated upstream). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_verify_env_encrypt_public_key_legacy(
    const uint8_t *public_key, size_t pub_len, const uint8_t *signature, size_t sig_len,
    const char *app_id, char signer[DSTACK_SIGNER_HEX_LEN + 1]);

/* ---- Ethereum (docs/sdk.md) ---- */

#define DSTACK_ETH_ADDRESS_LEN 42 /* "0x" + 40 hex digits */

/* The EIP-55 checksummed address of the secp256k1 key `key` (e.g. a GetKey key):
 * keccak256(uncompressed public key without 0x04)[12..32]. DSTACK_EINVAL when key is not a valid
 * scalar. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_eth_address(const uint8_t key[DSTACK_KEY_LEN],
                                                           char out[DSTACK_ETH_ADDRESS_LEN + 1]);

/* ---- Wallets from keys (docs/sdk.md) ----
 *
 * From a GetKey answer: the Python to_account/to_account_secure (JS toViemAccount/-Secure) are
 * the same function, dstack_eth_address(k->key); to_keypair/to_keypair_secure are both
 * dstack_solana_keypair(k->key). The key is already 32 uniformly random bytes.
 *
 * From a GetTlsKey/DeriveKey answer (discouraged: use GetKey) the SDKs differ:
 *  - to_account / to_keypair take the first 32 bytes of the PKCS#8 DER. For P-256 those are a
 *    fixed header, so EVERY TLS key maps to the same wallet (address
 *    0xf3D21A3A689AD889541d993A51e3109aC3E36c12). Kept, deprecated, so old wallets stay reachable.
 *  - to_account_secure / to_keypair_secure take SHA-256 of the whole DER.
 * Each TLS-key function reports the Python SDK's warning through `log` (NULL = silent), e.g.
 *   to_account: Please don't use getTlsKey method to get key, use getKey instead.
 * (prefixes to_account, to_account_secure, to_keypair, to_keypair_secure). */

#define DSTACK_SOLANA_PUBKEY_LEN 32
#define DSTACK_SOLANA_SECRET_KEY_LEN 64
#define DSTACK_SOLANA_PUBKEY_B58_MAX 44 /* base58 of 32 bytes is at most 44 characters */

/* A Solana keypair as @solana/web3.js Keypair.fromSeed builds it. Holds a secret: wipe it with
 * dstack_solana_keypair_wipe. */
struct dstack_solana_keypair {
    uint8_t secret_key[DSTACK_SOLANA_SECRET_KEY_LEN];         /* seed(32) || public key(32) */
    uint8_t public_key[DSTACK_SOLANA_PUBKEY_LEN];             /* Ed25519 public key */
    char public_key_base58[DSTACK_SOLANA_PUBKEY_B58_MAX + 1]; /* Keypair.publicKey.toBase58() */
};

/* Ed25519 keypair from a 32-byte seed (e.g. a GetKey key). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_solana_keypair(const uint8_t seed[DSTACK_KEY_LEN],
                                                              struct dstack_solana_keypair *out);
DSTACK_API void dstack_solana_keypair_wipe(struct dstack_solana_keypair *kp);

/* The 32 wallet bytes of a TLS-key answer: secure = SHA-256(DER), else DER[0..32] (the constant
 * header). Only k->key (the PEM) is read. No warning is logged here. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_tls_key_wallet_seed(
    const struct dstack_get_tls_key_response *k, bool secure, uint8_t seed[DSTACK_KEY_LEN]);

/* Python ethereum.to_account(tls_key).address — the same address for every key. */
DSTACK_DEPRECATED("every TLS key maps to one address; use dstack_eth_address on a GetKey key")
DSTACK_API DSTACK_MUST_CHECK dstack_err
dstack_eth_address_from_tls_key(const struct dstack_get_tls_key_response *k, dstack_log_fn log,
                                void *log_user, char out[DSTACK_ETH_ADDRESS_LEN + 1]);
/* Python ethereum.to_account_secure(tls_key).address. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_eth_address_from_tls_key_secure(
    const struct dstack_get_tls_key_response *k, dstack_log_fn log, void *log_user,
    char out[DSTACK_ETH_ADDRESS_LEN + 1]);
/* Python solana.to_keypair(tls_key) — the same keypair for every key. */
DSTACK_DEPRECATED("every TLS key maps to one keypair; use dstack_solana_keypair on a GetKey key")
DSTACK_API DSTACK_MUST_CHECK dstack_err
dstack_solana_keypair_from_tls_key(const struct dstack_get_tls_key_response *k, dstack_log_fn log,
                                   void *log_user, struct dstack_solana_keypair *out);
/* Python solana.to_keypair_secure(tls_key). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_solana_keypair_from_tls_key_secure(
    const struct dstack_get_tls_key_response *k, dstack_log_fn log, void *log_user,
    struct dstack_solana_keypair *out);

/* ---- Base58 (Bitcoin alphabet, as Solana uses it) ---- */

#define DSTACK_BASE58_MAX_INPUT 1024 /* bytes; the conversion is quadratic */
/* Characters needed for n bytes, without the NUL (log 256 / log 58 < 1.38). */
#define DSTACK_BASE58_ENCODED_MAX(n) ((n)*138 / 100 + 1)

/* Writes the NUL-terminated base58 text of data into out (out_cap bytes, NUL included; use
 * DSTACK_BASE58_ENCODED_MAX(len) + 1). Leading zero bytes become '1'. DSTACK_EINVAL when len is
 * over DSTACK_BASE58_MAX_INPUT or out is too small. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_base58_encode(const uint8_t *data, size_t len,
                                                             char *out, size_t out_cap);
/* Decodes text_len characters into out (out_cap bytes), *out_len bytes written. DSTACK_EFORMAT
 * for a character outside the alphabet (0, O, I, l, anything else), DSTACK_EINVAL when out is
 * too small. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_base58_decode(const char *text, size_t text_len,
                                                             uint8_t *out, size_t out_cap,
                                                             size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
