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
static EVP_MAC *kdf_hmac;
static pthread_once_t kdf_once = PTHREAD_ONCE_INIT;

static void kdf_fetch(void)
{
    kdf_hkdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
    kdf_hmac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
}

/* OpenSSL's HKDF refuses an info above an internal limit (32 KiB in 3.0), while upstream's ring
 * takes any length, and GetKey's info is the caller's path. Longer infos are expanded here with
 * streamed HMAC (RFC 5869 §2.3: T(i) = HMAC(PRK, T(i-1) || info || i), OKM = T(1) || T(2) ...),
 * which also spares a copy of a large path. */
#define KDF_OPENSSL_INFO_MAX 1024

static dstack_err kdf_expand_stream(const uint8_t prk[32], const struct kdf_slice *info,
                                    size_t n_info, uint8_t *out, size_t out_len)
{
    dstack_err err = DSTACK_ECRYPTO;
    uint8_t t[32];
    size_t t_len = 0, done = 0;
    EVP_MAC_CTX *mac = NULL;
    OSSL_PARAM params[2];

    pthread_once(&kdf_once, kdf_fetch);
    if (kdf_hmac == NULL || (mac = EVP_MAC_CTX_new(kdf_hmac)) == NULL) {
        goto out;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    for (unsigned i = 1; done < out_len; i++) {
        uint8_t counter = (uint8_t)i;
        size_t got = 0;
        if (EVP_MAC_init(mac, prk, 32, params) != 1 || EVP_MAC_update(mac, t, t_len) != 1) {
            goto out;
        }
        for (size_t j = 0; j < n_info; j++) {
            if (info[j].len > 0 && EVP_MAC_update(mac, info[j].p, info[j].len) != 1) {
                goto out;
            }
        }
        if (EVP_MAC_update(mac, &counter, 1) != 1 || EVP_MAC_final(mac, t, &got, sizeof t) != 1 ||
            got != sizeof t) {
            goto out;
        }
        t_len = sizeof t;
        size_t take = out_len - done < sizeof t ? out_len - done : sizeof t;
        memcpy(out + done, t, take);
        done += take;
    }
    err = DSTACK_OK;
out:
    EVP_MAC_CTX_free(mac);
    secret_wipe(t, sizeof t);
    return err;
}

/* Info slices up to KDF_OPENSSL_INFO_MAX are concatenated on the stack for OpenSSL. */
#define KDF_INFO_STACK KDF_OPENSSL_INFO_MAX

static dstack_err kdf_run(int mode, const uint8_t *key, size_t key_len,
                          const struct kdf_slice *info, size_t n_info, uint8_t *out, size_t out_len)
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
    if (info_len > KDF_OPENSSL_INFO_MAX) {
        struct secret32 prk;
        if (mode == EVP_KDF_HKDF_MODE_EXPAND_ONLY) {
            if (key_len != sizeof prk.b) {
                err = DSTACK_EINVAL;
                goto out;
            }
            memcpy(prk.b, key, sizeof prk.b);
        } else if ((err = kdf_run(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, key, key_len, NULL, 0, prk.b,
                                  sizeof prk.b)) != DSTACK_OK) {
            goto out;
        }
        err = kdf_expand_stream(prk.b, info, n_info, out, out_len);
        secret_wipe(&prk, sizeof prk);
        goto out;
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
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                    (void *)(key_len ? key : &empty), key_len);
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
    return kdf_run(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, ikm, ikm_len, info, n_info, out, out_len);
}

dstack_err kdf_extract(const uint8_t *ikm, size_t ikm_len, struct secret32 *prk)
{
    return kdf_run(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, ikm, ikm_len, NULL, 0, prk->b, sizeof prk->b);
}

dstack_err kdf_expand(const struct secret32 *prk, const struct kdf_slice *info, size_t n_info,
                      uint8_t *out, size_t out_len)
{
    return kdf_run(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk->b, sizeof prk->b, info, n_info, out,
                   out_len);
}
