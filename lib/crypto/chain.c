/* Signature-chain recovery (include/dstack/crypto.h); the agent side that produces the chain
 * is agent/rpc_keys.c, the KMS side agent/tee/sim_appkeys.c (appkeys_generate). */
#include <dstack/crypto.h>

#include <string.h>

#include "crypto/ed25519.h"
#include "crypto/k256.h"
#include "crypto/keccak.h"
#include "util/hex.h"

#define KMS_ISSUED_PREFIX "dstack-kms-issued:"

void dstack_keccak256(const void *data, size_t len, uint8_t out[DSTACK_KECCAK256_LEN])
{
    keccak256(data, len, out);
}

dstack_err dstack_key_public(const uint8_t key[DSTACK_KEY_LEN], const char *algorithm,
                             uint8_t out[DSTACK_K256_PUBKEY_LEN], size_t *out_len)
{
    if (key == NULL || algorithm == NULL || out == NULL || out_len == NULL) {
        return DSTACK_EINVAL;
    }
    if (strcmp(algorithm, "ed25519") == 0) {
        *out_len = ED25519_PUBKEY_LEN;
        return ed25519_pubkey(key, out);
    }
    if (strcmp(algorithm, "secp256k1") == 0 || strcmp(algorithm, "k256") == 0 ||
        algorithm[0] == '\0') {
        *out_len = K256_PUBKEY_LEN;
        return k256_pubkey(key, out);
    }
    return DSTACK_EUNSUPPORTED;
}

dstack_err dstack_sig_chain_recover(const char *purpose, const uint8_t *pubkey, size_t pubkey_len,
                                    const uint8_t *app_sig, size_t app_sig_len,
                                    const uint8_t *kms_sig, size_t kms_sig_len,
                                    const uint8_t *app_id, size_t app_id_len,
                                    uint8_t app_pub[DSTACK_K256_PUBKEY_LEN],
                                    uint8_t kms_pub[DSTACK_K256_PUBKEY_LEN])
{
    struct keccak_ctx kc;
    uint8_t digest[KECCAK256_LEN];
    char pubhex[2 * K256_PUBKEY_LEN + 1];
    dstack_err err;

    if (purpose == NULL || pubkey == NULL || app_sig == NULL || kms_sig == NULL || app_id == NULL ||
        app_pub == NULL || kms_pub == NULL) {
        return DSTACK_EINVAL;
    }
    if ((pubkey_len != K256_PUBKEY_LEN && pubkey_len != ED25519_PUBKEY_LEN) ||
        app_sig_len != K256_RSIG_LEN || kms_sig_len != K256_RSIG_LEN ||
        app_id_len != DSTACK_APP_ID_LEN) {
        return DSTACK_EINVAL;
    }
    /* app signature: keccak256(purpose ":" lowercase-hex(pubkey)), docs/api/GetKey.md */
    hex_encode(pubkey, pubkey_len, pubhex);
    keccak_init(&kc, KECCAK256_LEN);
    keccak_update(&kc, purpose, strlen(purpose));
    keccak_update(&kc, ":", 1);
    keccak_update(&kc, pubhex, 2 * pubkey_len);
    keccak_final(&kc, digest);
    if ((err = k256_recover(digest, app_sig, app_pub)) != DSTACK_OK) {
        return err == DSTACK_EFORMAT ? DSTACK_EVERIFY : err;
    }
    /* KMS signature: keccak256("dstack-kms-issued:" || app_id || app_pub), docs/simulator.md */
    keccak_init(&kc, KECCAK256_LEN);
    keccak_update(&kc, KMS_ISSUED_PREFIX, strlen(KMS_ISSUED_PREFIX));
    keccak_update(&kc, app_id, app_id_len);
    keccak_update(&kc, app_pub, K256_PUBKEY_LEN);
    keccak_final(&kc, digest);
    if ((err = k256_recover(digest, kms_sig, kms_pub)) != DSTACK_OK) {
        return err == DSTACK_EFORMAT ? DSTACK_EVERIFY : err;
    }
    return DSTACK_OK;
}

dstack_err dstack_get_key_chain_recover(const uint8_t key[DSTACK_KEY_LEN], const char *purpose,
                                        const char *algorithm, const uint8_t *chain0,
                                        size_t chain0_len, const uint8_t *chain1, size_t chain1_len,
                                        const uint8_t *app_id, size_t app_id_len,
                                        uint8_t app_pub[DSTACK_K256_PUBKEY_LEN],
                                        uint8_t kms_pub[DSTACK_K256_PUBKEY_LEN])
{
    uint8_t pub[DSTACK_K256_PUBKEY_LEN];
    size_t pub_len = 0;
    dstack_err err = dstack_key_public(key, algorithm, pub, &pub_len);
    if (err != DSTACK_OK) {
        return err;
    }
    return dstack_sig_chain_recover(purpose, pub, pub_len, chain0, chain0_len, chain1, chain1_len,
                                    app_id, app_id_len, app_pub, kms_pub);
}

dstack_err dstack_sign_chain_recover(const uint8_t *signature, size_t signature_len,
                                     const uint8_t *public_key, size_t public_key_len,
                                     const uint8_t *const chain[3], const size_t chain_len[3],
                                     const uint8_t *app_id, size_t app_id_len,
                                     uint8_t app_pub[DSTACK_K256_PUBKEY_LEN],
                                     uint8_t kms_pub[DSTACK_K256_PUBKEY_LEN])
{
    if (signature == NULL || chain == NULL || chain_len == NULL || chain[0] == NULL) {
        return DSTACK_EINVAL;
    }
    if (chain_len[0] != signature_len || memcmp(chain[0], signature, signature_len) != 0) {
        return DSTACK_EVERIFY;
    }
    return dstack_sig_chain_recover("signing", public_key, public_key_len, chain[1], chain_len[1],
                                    chain[2], chain_len[2], app_id, app_id_len, app_pub, kms_pub);
}
