/* ECDSA-P256-SHA256 checks over the raw forms Intel DCAP quotes carry (Intel SGX/TDX DCAP quote
 * format: a public key as x ‖ y, a signature as r ‖ s, 32 bytes each). Shared by the quote check
 * against a given root (lib/attest/quote_verify.c) and the full DCAP verifier (lib/verify). */
#include "x509/p256.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

EVP_PKEY *p256_pubkey_from_xy(const uint8_t xy[static P256_XY_LEN])
{
    uint8_t point[P256_POINT_LEN];
    EVP_PKEY *key = NULL;
    point[0] = 0x04;
    memcpy(point + 1, xy, P256_XY_LEN);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (bld != NULL && ctx != NULL &&
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point) == 1 &&
        (params = OSSL_PARAM_BLD_to_param(bld)) != NULL && EVP_PKEY_fromdata_init(ctx) == 1) {
        if (EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
            key = NULL; /* not a point on the curve */
        }
    }
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return key;
}

bool p256_verify_raw(EVP_PKEY *key, const uint8_t *msg, size_t len,
                     const uint8_t sig[static P256_SIG_LEN])
{
    bool ok = false;
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, P256_SIG_LEN / 2, NULL);
    BIGNUM *sv = BN_bin2bn(sig + P256_SIG_LEN / 2, P256_SIG_LEN / 2, NULL);
    unsigned char *der = NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (s == NULL || r == NULL || sv == NULL || ctx == NULL || ECDSA_SIG_set0(s, r, sv) != 1) {
        BN_free(r);
        BN_free(sv);
        goto out;
    }
    int der_len = i2d_ECDSA_SIG(s, &der);
    ok = der_len > 0 && EVP_DigestVerifyInit_ex(ctx, NULL, "SHA256", NULL, NULL, key, NULL) == 1 &&
         EVP_DigestVerify(ctx, der, (size_t)der_len, msg, len) == 1;
out:
    OPENSSL_free(der);
    ECDSA_SIG_free(s);
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}
