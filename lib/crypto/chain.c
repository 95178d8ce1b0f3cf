/* Signature-chain recovery (include/dstack/crypto.h); the agent side that produces the chain
 * is agent/rpc_keys.c, the KMS side agent/tee/sim_appkeys.c (appkeys_generate). Every failure
 * sets the error text naming the public function the caller called (docs/sdk.md "Errors"), so
 * the workers below take that name. */
#include <dstack/crypto.h>

#include <string.h>

#include "crypto/ed25519.h"
#include "crypto/k256.h"
#include "crypto/keccak.h"
#include "util/error.h"
#include "util/hex.h"

#define KMS_ISSUED_PREFIX "dstack-kms-issued:"

void dstack_keccak256(const void *data, size_t len, uint8_t out[DSTACK_KECCAK256_LEN])
{
    keccak256(data, len, out);
}

static dstack_err key_public(const char *fn, const uint8_t key[DSTACK_KEY_LEN],
                             const char *algorithm, uint8_t out[DSTACK_K256_PUBKEY_LEN],
                             size_t *out_len)
{
    dstack_err err;
    if (key == NULL || algorithm == NULL || out == NULL || out_len == NULL) {
        return err_set(DSTACK_EINVAL, "%s: NULL key, algorithm or output", fn);
    }
    if (strcmp(algorithm, "ed25519") == 0) {
        *out_len = ED25519_PUBKEY_LEN;
        err = ed25519_pubkey(key, out);
        return err == DSTACK_OK ? err
                                : err_set(err, "%s: Ed25519 public key derivation failed", fn);
    }
    if (strcmp(algorithm, "secp256k1") == 0 || strcmp(algorithm, "k256") == 0 ||
        algorithm[0] == '\0') {
        *out_len = K256_PUBKEY_LEN;
        err = k256_pubkey(key, out);
        if (err == DSTACK_EINVAL) {
            return err_set(err, "%s: the key is not a valid secp256k1 private key", fn);
        }
        return err == DSTACK_OK ? err : err_set(err, "%s: secp256k1 is unavailable", fn);
    }
    /* the name is the caller's text: cut, it may be anything */
    return err_set(DSTACK_EUNSUPPORTED,
                   "%s: unsupported algorithm \"%.32s\" (want secp256k1, k256 or ed25519)", fn,
                   algorithm);
}

dstack_err dstack_key_public(const uint8_t key[DSTACK_KEY_LEN], const char *algorithm,
                             uint8_t out[DSTACK_K256_PUBKEY_LEN], size_t *out_len)
{
    return key_public(__func__, key, algorithm, out, out_len);
}

/* ecrecover of one chain signature; `which` names it in the text. A malformed signature (v
 * above 3, r or s out of range) is a failed check like one that recovers no key. */
static dstack_err recover(const char *fn, const char *which, const uint8_t digest[KECCAK256_LEN],
                          const uint8_t sig[K256_RSIG_LEN], uint8_t out[K256_PUBKEY_LEN])
{
    dstack_err err = k256_recover(digest, sig, out);
    if (err == DSTACK_EFORMAT || err == DSTACK_EVERIFY) {
        return err_set(DSTACK_EVERIFY, "%s: the %s signature recovers no public key", fn, which);
    }
    return err == DSTACK_OK ? err : err_set(err, "%s: secp256k1 is unavailable", fn);
}

static dstack_err sig_chain_recover(const char *fn, const char *purpose, const uint8_t *pubkey,
                                    size_t pubkey_len, const uint8_t *app_sig, size_t app_sig_len,
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
        return err_set(DSTACK_EINVAL, "%s: NULL purpose, public key, signature, app_id or output",
                       fn);
    }
    if (pubkey_len != K256_PUBKEY_LEN && pubkey_len != ED25519_PUBKEY_LEN) {
        return err_set(DSTACK_EINVAL,
                       "%s: public key of %zu bytes, want %d (secp256k1) or %d "
                       "(ed25519)",
                       fn, pubkey_len, K256_PUBKEY_LEN, ED25519_PUBKEY_LEN);
    }
    if (app_sig_len != K256_RSIG_LEN || kms_sig_len != K256_RSIG_LEN) {
        return err_set(DSTACK_EINVAL, "%s: %s signature of %zu bytes, want %d", fn,
                       app_sig_len != K256_RSIG_LEN ? "app" : "KMS",
                       app_sig_len != K256_RSIG_LEN ? app_sig_len : kms_sig_len, K256_RSIG_LEN);
    }
    if (app_id_len != DSTACK_APP_ID_LEN) {
        return err_set(DSTACK_EINVAL, "%s: app_id of %zu bytes, want %d", fn, app_id_len,
                       DSTACK_APP_ID_LEN);
    }
    /* app signature: keccak256(purpose ":" lowercase-hex(pubkey)), docs/api/GetKey.md */
    hex_encode(pubkey, pubkey_len, pubhex);
    keccak_init(&kc, KECCAK256_LEN);
    keccak_update(&kc, purpose, strlen(purpose));
    keccak_update(&kc, ":", 1);
    keccak_update(&kc, pubhex, 2 * pubkey_len);
    keccak_final(&kc, digest);
    if ((err = recover(fn, "app", digest, app_sig, app_pub)) != DSTACK_OK) {
        return err;
    }
    /* KMS signature: keccak256("dstack-kms-issued:" || app_id || app_pub), docs/simulator.md */
    keccak_init(&kc, KECCAK256_LEN);
    keccak_update(&kc, KMS_ISSUED_PREFIX, strlen(KMS_ISSUED_PREFIX));
    keccak_update(&kc, app_id, app_id_len);
    keccak_update(&kc, app_pub, K256_PUBKEY_LEN);
    keccak_final(&kc, digest);
    return recover(fn, "KMS", digest, kms_sig, kms_pub);
}

dstack_err dstack_sig_chain_recover(const char *purpose, const uint8_t *pubkey, size_t pubkey_len,
                                    const uint8_t *app_sig, size_t app_sig_len,
                                    const uint8_t *kms_sig, size_t kms_sig_len,
                                    const uint8_t *app_id, size_t app_id_len,
                                    uint8_t app_pub[DSTACK_K256_PUBKEY_LEN],
                                    uint8_t kms_pub[DSTACK_K256_PUBKEY_LEN])
{
    return sig_chain_recover(__func__, purpose, pubkey, pubkey_len, app_sig, app_sig_len, kms_sig,
                             kms_sig_len, app_id, app_id_len, app_pub, kms_pub);
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
    dstack_err err = key_public(__func__, key, algorithm, pub, &pub_len);
    if (err != DSTACK_OK) {
        return err;
    }
    return sig_chain_recover(__func__, purpose, pub, pub_len, chain0, chain0_len, chain1,
                             chain1_len, app_id, app_id_len, app_pub, kms_pub);
}

dstack_err dstack_sign_chain_recover(const uint8_t *signature, size_t signature_len,
                                     const uint8_t *public_key, size_t public_key_len,
                                     const uint8_t *const chain[3], const size_t chain_len[3],
                                     const uint8_t *app_id, size_t app_id_len,
                                     uint8_t app_pub[DSTACK_K256_PUBKEY_LEN],
                                     uint8_t kms_pub[DSTACK_K256_PUBKEY_LEN])
{
    if (signature == NULL || chain == NULL || chain_len == NULL || chain[0] == NULL) {
        return err_set(DSTACK_EINVAL, "%s: NULL signature or signature chain", __func__);
    }
    if (chain_len[0] != signature_len || memcmp(chain[0], signature, signature_len) != 0) {
        return err_set(DSTACK_EVERIFY, "%s: signature_chain[0] is not the signature", __func__);
    }
    return sig_chain_recover(__func__, "signing", public_key, public_key_len, chain[1],
                             chain_len[1], chain[2], chain_len[2], app_id, app_id_len, app_pub,
                             kms_pub);
}
