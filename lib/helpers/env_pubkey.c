/* verify_env_encrypt_public_key and its legacy form (docs/sdk.md;
 * sdk/js/src/verify-env-encrypt-public-key.ts, sdk/go/dstack/verify_signature.go). */
#include <dstack/helpers.h>

#include <string.h>

#include "client/client_internal.h"
#include "crypto/k256.h"
#include "crypto/keccak.h"
#include "util/hex.h"

static const char env_pubkey_tag[] = "dstack-env-encrypt-pubkey:";

/* keccak256(tag || app_id || [BE64(ts)] || public_key), then ecrecover. */
static dstack_err recover_signer(const uint8_t *public_key, size_t pub_len, const uint8_t *sig,
                                 size_t sig_len, const char *app_id, const uint64_t *timestamp,
                                 char signer[DSTACK_SIGNER_HEX_LEN + 1])
{
    if ((pub_len > 0 && public_key == NULL) || sig == NULL || app_id == NULL || signer == NULL) {
        return err_set(DSTACK_EINVAL, "verify_env_encrypt_public_key: NULL argument");
    }
    signer[0] = '\0';
    if (sig_len != K256_RSIG_LEN) {
        return err_set(DSTACK_EINVAL, "signature must be %d bytes, got %zu", K256_RSIG_LEN,
                       sig_len);
    }
    uint8_t app[64];
    size_t app_len = 0;
    size_t id_len = strlen(app_id);
    if (hex_decode(app_id, id_len, app, sizeof app, &app_len) != DSTACK_OK) {
        return err_set(DSTACK_EINVAL, "app_id is not valid hex: %s", app_id);
    }
    uint8_t rsig[K256_RSIG_LEN];
    memcpy(rsig, sig, sizeof rsig);
    /* v: 0/1, or Ethereum's 27/28 (docs/sdk.md recommends both). */
    if (rsig[64] == 27 || rsig[64] == 28) {
        rsig[64] = (uint8_t)(rsig[64] - 27);
    }
    if (rsig[64] > 1) {
        return err_set(DSTACK_EINVAL, "signature recovery id %u is not 0, 1, 27 or 28", sig[64]);
    }
    struct keccak_ctx kc;
    keccak_init(&kc, KECCAK256_LEN);
    keccak_update(&kc, env_pubkey_tag, sizeof env_pubkey_tag - 1);
    keccak_update(&kc, app, app_len);
    if (timestamp != NULL) {
        uint8_t be[8];
        for (int i = 0; i < 8; i++) {
            be[i] = (uint8_t)(*timestamp >> (56 - 8 * i));
        }
        keccak_update(&kc, be, sizeof be);
    }
    keccak_update(&kc, public_key, pub_len);
    uint8_t digest[KECCAK256_LEN];
    keccak_final(&kc, digest);
    uint8_t pub[K256_PUBKEY_LEN];
    dstack_err err = k256_recover(digest, rsig, pub);
    if (err != DSTACK_OK) {
        return err_set(DSTACK_EVERIFY, "no public key recovers from the signature");
    }
    signer[0] = '0';
    signer[1] = 'x';
    hex_encode(pub, sizeof pub, signer + 2);
    return DSTACK_OK;
}

dstack_err dstack_verify_env_encrypt_public_key(const uint8_t *public_key, size_t pub_len,
                                                const uint8_t *signature, size_t sig_len,
                                                const char *app_id, uint64_t timestamp,
                                                uint64_t max_age_seconds, int64_t now,
                                                char signer[DSTACK_SIGNER_HEX_LEN + 1])
{
    err_clear();
    if (signer != NULL) {
        signer[0] = '\0';
    }
    if (max_age_seconds == 0) {
        max_age_seconds = DSTACK_ENV_PUBKEY_MAX_AGE;
    }
    /* age = now - timestamp; accept -60 <= age <= max_age (both bounds inclusive). */
    if (timestamp > (uint64_t)INT64_MAX ||
        (int64_t)timestamp > now + DSTACK_ENV_PUBKEY_FUTURE_SKEW) {
        return err_set(DSTACK_EVERIFY, "timestamp is too far in the future");
    }
    int64_t age = now - (int64_t)timestamp;
    if (age > 0 && (uint64_t)age > max_age_seconds) {
        return err_set(DSTACK_EVERIFY, "timestamp is too old: %llds > %llus", (long long)age,
                       (unsigned long long)max_age_seconds);
    }
    return recover_signer(public_key, pub_len, signature, sig_len, app_id, &timestamp, signer);
}

dstack_err dstack_verify_env_encrypt_public_key_legacy(const uint8_t *public_key, size_t pub_len,
                                                       const uint8_t *signature, size_t sig_len,
                                                       const char *app_id,
                                                       char signer[DSTACK_SIGNER_HEX_LEN + 1])
{
    err_clear();
    return recover_signer(public_key, pub_len, signature, sig_len, app_id, NULL, signer);
}
