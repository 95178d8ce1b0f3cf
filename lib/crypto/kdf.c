#include "crypto/kdf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

/* Fetched once: EVP_KDF_fetch takes the provider store lock on every call. */
static EVP_KDF *kdf_hkdf;
static pthread_once_t kdf_once = PTHREAD_ONCE_INIT;

static void kdf_fetch(void)
{
    kdf_hkdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
}

/* Info slices concatenated into a stack buffer when small (every agent path), else the heap. */
#define KDF_INFO_STACK 512

static dstack_err kdf_run(int mode, const uint8_t *key, size_t key_len,
                          const struct kdf_slice *info, size_t n_info, uint8_t *out,
                          size_t out_len)
{
    dstack_err err = DSTACK_ECRYPTO;
    uint8_t stack_info[KDF_INFO_STACK];
    uint8_t *info_buf = stack_info;
    size_t info_len = 0;
    EVP_KDF_CTX *kctx = NULL;

    if (out_len == 0 || out_len > KDF_MAX_OUT) {
        return DSTACK_EINVAL;
    }
    for (size_t i = 0; i < n_info; i++) {
        if (info[i].len > SIZE_MAX - info_len) {
            err = DSTACK_EINVAL;
            goto out;
        }
        info_len += info[i].len;
    }
    if (info_len > sizeof stack_info) {
        info_buf = malloc(info_len);
        if (info_buf == NULL) {
            err = DSTACK_ENOMEM;
            goto out;
        }
    }
    size_t at = 0;
    for (size_t i = 0; i < n_info; i++) {
        if (info[i].len > 0) {
            memcpy(info_buf + at, info[i].p, info[i].len);
            at += info[i].len;
        }
    }

    pthread_once(&kdf_once, kdf_fetch);
    if (kdf_hkdf == NULL || (kctx = EVP_KDF_CTX_new(kdf_hkdf)) == NULL) {
        goto out;
    }
    /* An empty key is legal in HKDF but OpenSSL refuses a zero-length octet param; a one-byte
     * dummy with length 0 is what OSSL_PARAM_construct_octet_string(..., 0) expects. */
    static const uint8_t empty = 0;
    OSSL_PARAM params[6];
    size_t n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    params[n++] = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_KEY, (void *)(key_len ? key : &empty), key_len);
    if (mode != EVP_KDF_HKDF_MODE_EXPAND_ONLY) {
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (char *)KDF_SALT,
                                                        strlen(KDF_SALT));
    }
    if (mode != EVP_KDF_HKDF_MODE_EXTRACT_ONLY) {
        params[n++] = OSSL_PARAM_construct_octet_string(
            OSSL_KDF_PARAM_INFO, info_len ? info_buf : (uint8_t *)&empty, info_len);
    }
    params[n] = OSSL_PARAM_construct_end();
    if (EVP_KDF_derive(kctx, out, out_len, params) == 1) {
        err = DSTACK_OK;
    }
out:
    EVP_KDF_CTX_free(kctx);
    if (info_buf != stack_info) {
        free(info_buf);
    }
    /* The info is the derivation path, not a secret, but a stack copy costs nothing to wipe. */
    secret_wipe(stack_info, info_len < sizeof stack_info ? info_len : sizeof stack_info);
    if (err != DSTACK_OK) {
        secret_wipe(out, out_len);
    }
    return err;
}

dstack_err kdf_derive(const uint8_t *ikm, size_t ikm_len, const struct kdf_slice *info,
                      size_t n_info, uint8_t *out, size_t out_len)
{
    return kdf_run(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, ikm, ikm_len, info, n_info, out,
                   out_len);
}

dstack_err kdf_extract(const uint8_t *ikm, size_t ikm_len, struct secret32 *prk)
{
    return kdf_run(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, ikm, ikm_len, NULL, 0, prk->b,
                   sizeof prk->b);
}

dstack_err kdf_expand(const struct secret32 *prk, const struct kdf_slice *info, size_t n_info,
                      uint8_t *out, size_t out_len)
{
    return kdf_run(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk->b, sizeof prk->b, info, n_info, out,
                   out_len);
}
