/* Cryptography an app needs next to the agent's answers: keccak256 and the provenance check of
 * derived keys. GetKey and Sign return a signature chain; recovering its signers gives the app's
 * root public key and the KMS root public key that issued it, as upstream's Go SDK test
 * (sdk/go/dstack/client_web3_test.go) and docs/api/GetKey.md, docs/simulator.md describe:
 *
 *   app_pub = ecrecover(keccak256(purpose ":" hex(pubkey)), chain[0])
 *   kms_pub = ecrecover(keccak256("dstack-kms-issued:" || app_id || app_pub), chain[1])
 *
 * Compare kms_pub with a KMS root key you trust; these functions only recover, they cannot
 * know which key to trust. */
#ifndef DSTACK_CRYPTO_H
#define DSTACK_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DSTACK_KECCAK256_LEN 32
#define DSTACK_K256_PUBKEY_LEN 33 /* SEC1 compressed secp256k1 */
#define DSTACK_ED25519_PUBKEY_LEN 32
#define DSTACK_CHAIN_SIG_LEN 65 /* r || s || v, v in 0..3 */

/* Legacy Keccak-256 (Ethereum's), not SHA3-256. */
DSTACK_API void dstack_keccak256(const void *data, size_t len, uint8_t out[DSTACK_KECCAK256_LEN]);

/* The public key of a GetKey key as the agent signed it: algorithm "secp256k1", "k256" or ""
 * gives the 33-byte compressed key, "ed25519" the 32-byte key. *out_len receives the length;
 * out must hold DSTACK_K256_PUBKEY_LEN bytes. DSTACK_EUNSUPPORTED for other algorithms,
 * DSTACK_EINVAL for a key that is not a valid secp256k1 scalar. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_key_public(const uint8_t key[DSTACK_KEY_LEN],
                                                          const char *algorithm,
                                                          uint8_t out[DSTACK_K256_PUBKEY_LEN],
                                                          size_t *out_len);

/* The signers of one chain: app_sig signs purpose ":" hex(pubkey), kms_sig signs the app key
 * for app_id (20 bytes). Both signatures must be 65 bytes. Outputs are compressed keys.
 * DSTACK_EINVAL for wrong lengths, DSTACK_EVERIFY when a signature recovers no key. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_sig_chain_recover(
    const char *purpose, const uint8_t *pubkey, size_t pubkey_len, const uint8_t *app_sig,
    size_t app_sig_len, const uint8_t *kms_sig, size_t kms_sig_len, const uint8_t *app_id,
    size_t app_id_len, uint8_t app_pub[DSTACK_K256_PUBKEY_LEN],
    uint8_t kms_pub[DSTACK_K256_PUBKEY_LEN]);

/* A GetKey (or tappd DeriveK256Key) answer: key, the request's purpose and algorithm, and
 * its two-element signature_chain. */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_get_key_chain_recover(
    const uint8_t key[DSTACK_KEY_LEN], const char *purpose, const char *algorithm,
    const uint8_t *chain0, size_t chain0_len, const uint8_t *chain1, size_t chain1_len,
    const uint8_t *app_id, size_t app_id_len, uint8_t app_pub[DSTACK_K256_PUBKEY_LEN],
    uint8_t kms_pub[DSTACK_K256_PUBKEY_LEN]);

/* A Sign answer: its signature, public_key and three-element signature_chain. Checks that
 * chain[0] equals the signature (DSTACK_EVERIFY otherwise); chain[1] signs
 * "signing:" hex(public_key) (the agent's Sign key is GetKey(path "vms", purpose "signing")). */
DSTACK_API DSTACK_MUST_CHECK dstack_err dstack_sign_chain_recover(
    const uint8_t *signature, size_t signature_len, const uint8_t *public_key,
    size_t public_key_len, const uint8_t *const chain[3], const size_t chain_len[3],
    const uint8_t *app_id, size_t app_id_len, uint8_t app_pub[DSTACK_K256_PUBKEY_LEN],
    uint8_t kms_pub[DSTACK_K256_PUBKEY_LEN]);

#ifdef __cplusplus
}
#endif
#endif
