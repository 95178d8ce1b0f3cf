/* Encrypted environment variables (upstream dstack/dstack-util/src/crypto.rs;
 * sdk/js/src/encrypt-env-vars.ts, dstack-util/src/crypto.rs): X25519, the raw shared secret as the
 * AES-256-GCM key, no AAD, wire = eph_pub(32) || iv(12) || ciphertext || tag(16). */
#include <dstack/helpers.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "client/client_internal.h"
#include "helpers/js_json.h"
#include "util/hex.h"
#include "util/secret.h"

#define ENV_HEADER_LEN (DSTACK_X25519_KEY_LEN + DSTACK_ENV_IV_LEN)

/* {"env":[{"key":K,"value":V},...]} as JSON.stringify({env}) writes it. */
static dstack_err env_plaintext(const struct dstack_env_var *vars, size_t n, struct strbuf *b)
{
    strbuf_puts(b, "{\"env\":[");
    for (size_t i = 0; i < n; i++) {
        if (vars[i].key == NULL || vars[i].value == NULL) {
            return err_set(DSTACK_EINVAL, "env var %zu has a NULL key or value", i);
        }
        strbuf_puts(b, i ? ",{\"key\":" : "{\"key\":");
        js_string(b, vars[i].key, strlen(vars[i].key));
        strbuf_puts(b, ",\"value\":");
        js_string(b, vars[i].value, strlen(vars[i].value));
        strbuf_putc(b, '}');
    }
    strbuf_puts(b, "]}");
    return b->failed ? err_set(DSTACK_ENOMEM, "out of memory") : DSTACK_OK;
}

/* shared = X25519(sk, pub); fails on the all-zero output (low-order points), as the receiver
 * does ("invalid X25519 shared secret"). */
static dstack_err x25519(const uint8_t sk[DSTACK_X25519_KEY_LEN],
                         const uint8_t pub[DSTACK_X25519_KEY_LEN], struct secret32 *shared,
                         uint8_t eph_pub[DSTACK_X25519_KEY_LEN])
{
    dstack_err err = DSTACK_OK;
    EVP_PKEY *me = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, DSTACK_X25519_KEY_LEN);
    EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, DSTACK_X25519_KEY_LEN);
    EVP_PKEY_CTX *ctx = me ? EVP_PKEY_CTX_new(me, NULL) : NULL;
    size_t len = sizeof shared->b;
    size_t plen = DSTACK_X25519_KEY_LEN;
    if (ctx == NULL || peer == NULL || EVP_PKEY_derive_init(ctx) <= 0 ||
        EVP_PKEY_derive_set_peer(ctx, peer) <= 0 || EVP_PKEY_derive(ctx, shared->b, &len) <= 0 ||
        len != sizeof shared->b) {
        err = err_set(DSTACK_ECRYPTO, "invalid X25519 shared secret");
        goto out;
    }
    if (eph_pub != NULL && EVP_PKEY_get_raw_public_key(me, eph_pub, &plen) <= 0) {
        err = err_set(DSTACK_ECRYPTO, "X25519 public key derivation failed");
    }
out:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(me);
    EVP_PKEY_free(peer);
    return err;
}

dstack_err dstack_encrypt_env_vars_det(const struct dstack_env_var *vars, size_t n,
                                       const uint8_t public_key[DSTACK_X25519_KEY_LEN],
                                       const uint8_t eph_secret[DSTACK_X25519_KEY_LEN],
                                       const uint8_t iv[DSTACK_ENV_IV_LEN], uint8_t **out,
                                       size_t *out_len)
{
    err_clear();
    if ((n > 0 && vars == NULL) || public_key == NULL || eph_secret == NULL || iv == NULL ||
        out == NULL || out_len == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_encrypt_env_vars: NULL argument");
    }
    *out = NULL;
    *out_len = 0;
    dstack_err err;
    struct strbuf plain = {0};
    struct secret32 shared = {0};
    EVP_CIPHER_CTX *ctx = NULL;
    uint8_t *wire = NULL;
    size_t wire_len = 0;

    if ((err = env_plaintext(vars, n, &plain)) != DSTACK_OK) {
        goto out;
    }
    if (plain.len > INT32_MAX - ENV_HEADER_LEN - DSTACK_ENV_TAG_LEN) {
        err = err_set(DSTACK_EINVAL, "environment too large");
        goto out;
    }
    wire_len = ENV_HEADER_LEN + plain.len + DSTACK_ENV_TAG_LEN;
    wire = malloc(wire_len);
    if (wire == NULL) {
        err = err_set(DSTACK_ENOMEM, "out of memory");
        goto out;
    }
    if ((err = x25519(eph_secret, public_key, &shared, wire)) != DSTACK_OK) {
        goto out;
    }
    memcpy(wire + DSTACK_X25519_KEY_LEN, iv, DSTACK_ENV_IV_LEN);
    int l1 = 0, l2 = 0;
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, DSTACK_ENV_IV_LEN, NULL) != 1 ||
        EVP_EncryptInit_ex(ctx, NULL, NULL, shared.b, iv) != 1 ||
        EVP_EncryptUpdate(ctx, wire + ENV_HEADER_LEN, &l1, (const uint8_t *)plain.data,
                          (int)plain.len) != 1 ||
        EVP_EncryptFinal_ex(ctx, wire + ENV_HEADER_LEN + l1, &l2) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, DSTACK_ENV_TAG_LEN,
                            wire + ENV_HEADER_LEN + plain.len) != 1) {
        err = err_set(DSTACK_ECRYPTO, "AES-256-GCM encryption failed");
        goto out;
    }
    *out = wire;
    *out_len = wire_len;
    wire = NULL;
out:
    EVP_CIPHER_CTX_free(ctx);
    secret_wipe(&shared, sizeof shared);
    if (plain.data != NULL) {
        secret_wipe(plain.data, plain.len);
    }
    strbuf_free(&plain);
    free(wire);
    return err;
}

dstack_err dstack_encrypt_env_vars(const struct dstack_env_var *vars, size_t n,
                                   const char *public_key_hex, char **out_hex)
{
    err_clear();
    if (public_key_hex == NULL || out_hex == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_encrypt_env_vars: NULL argument");
    }
    *out_hex = NULL;
    uint8_t pub[DSTACK_X25519_KEY_LEN];
    size_t pub_len = 0;
    dstack_err err = hex_decode(public_key_hex, strlen(public_key_hex), pub, sizeof pub, &pub_len);
    /* The Go SDK's checks and texts (encrypt_env_vars.go). */
    if (err == DSTACK_EFORMAT) {
        return err_set(DSTACK_EINVAL, "failed to decode public key: invalid hex");
    }
    if (err != DSTACK_OK || pub_len != sizeof pub) {
        size_t digits = strlen(public_key_hex);
        (void)hex_skip_prefix(public_key_hex, &digits);
        return err_set(DSTACK_EINVAL, "invalid public key length: expected 32 bytes, got %zu",
                       digits / 2);
    }
    struct secret32 eph = {0};
    uint8_t iv[DSTACK_ENV_IV_LEN];
    uint8_t *wire = NULL;
    size_t wire_len = 0;
    if (RAND_bytes(eph.b, sizeof eph.b) != 1 || RAND_bytes(iv, sizeof iv) != 1) {
        return err_set(DSTACK_ECRYPTO, "no randomness available");
    }
    err = dstack_encrypt_env_vars_det(vars, n, pub, eph.b, iv, &wire, &wire_len);
    secret_wipe(&eph, sizeof eph);
    if (err != DSTACK_OK) {
        return err;
    }
    *out_hex = hex_encode_alloc(wire, wire_len);
    free(wire);
    return *out_hex == NULL ? err_set(DSTACK_ENOMEM, "out of memory") : DSTACK_OK;
}

dstack_err dstack_decrypt_env_vars(const uint8_t *data, size_t len,
                                   const uint8_t secret_key[DSTACK_X25519_KEY_LEN],
                                   char **plaintext, size_t *plain_len)
{
    err_clear();
    if (data == NULL || secret_key == NULL || plaintext == NULL || plain_len == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_decrypt_env_vars: NULL argument");
    }
    *plaintext = NULL;
    *plain_len = 0;
    if (len < ENV_HEADER_LEN + DSTACK_ENV_TAG_LEN) {
        return err_set(DSTACK_EFORMAT, "encrypted env is %zu bytes, shorter than %d", len,
                       ENV_HEADER_LEN + DSTACK_ENV_TAG_LEN);
    }
    if (len > INT32_MAX) {
        return err_set(DSTACK_EINVAL, "encrypted env too large");
    }
    size_t ct_len = len - ENV_HEADER_LEN - DSTACK_ENV_TAG_LEN;
    struct secret32 shared = {0};
    dstack_err err = x25519(secret_key, data, &shared, NULL);
    char *plain = NULL;
    EVP_CIPHER_CTX *ctx = NULL;
    if (err != DSTACK_OK) {
        goto out;
    }
    plain = malloc(ct_len + 1);
    ctx = EVP_CIPHER_CTX_new();
    int l1 = 0, l2 = 0;
    if (plain == NULL || ctx == NULL) {
        err = err_set(DSTACK_ENOMEM, "out of memory");
        goto out;
    }
    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, DSTACK_ENV_IV_LEN, NULL) != 1 ||
        EVP_DecryptInit_ex(ctx, NULL, NULL, shared.b, data + DSTACK_X25519_KEY_LEN) != 1 ||
        EVP_DecryptUpdate(ctx, (uint8_t *)plain, &l1, data + ENV_HEADER_LEN, (int)ct_len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, DSTACK_ENV_TAG_LEN,
                            (void *)(data + ENV_HEADER_LEN + ct_len)) != 1 ||
        EVP_DecryptFinal_ex(ctx, (uint8_t *)plain + l1, &l2) != 1) {
        err = err_set(DSTACK_EVERIFY, "decryption failed: wrong key or tampered data");
        goto out;
    }
    plain[ct_len] = '\0';
    *plaintext = plain;
    *plain_len = ct_len;
    plain = NULL;
out:
    EVP_CIPHER_CTX_free(ctx);
    secret_wipe(&shared, sizeof shared);
    if (plain != NULL) {
        secret_wipe(plain, ct_len + 1);
        free(plain);
    }
    return err;
}
