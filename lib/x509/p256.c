/* P-256 keys from 32 bytes, PKCS#8/SPKI templates (upstream dstack/ra-tls/src/kdf.rs). */
#include "x509/p256.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "crypto/kdf.h"
#include "x509/pem.h"

/* SEQ { INTEGER 0, AlgId{id-ecPublicKey, prime256v1}, OCTET STRING { ECPrivateKey { 1, d,
 * [1] pub } } } as the p256 crate writes it: no [0] parameters inside the SEC1 structure. */
static const uint8_t pkcs8_head[] = {
    0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86,
    0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
    0x03, 0x01, 0x07, 0x04, 0x6d, 0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20,
};
static const uint8_t pkcs8_mid[] = {0xa1, 0x44, 0x03, 0x42, 0x00};

/* rcgen serialize_public_key_der (key_pair.rs:L764-770, sign_algo.rs:L170-177). */
static const uint8_t spki_head[] = {
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
    0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
};

_Static_assert(sizeof pkcs8_head + DSTACK_KEY_LEN + sizeof pkcs8_mid + P256_POINT_LEN ==
                   P256_PKCS8_LEN,
               "PKCS#8 template length");
_Static_assert(sizeof spki_head + P256_POINT_LEN == P256_SPKI_LEN, "SPKI template length");

dstack_err p256_from_scalar(const uint8_t d[static DSTACK_KEY_LEN], struct p256_key *out)
{
    dstack_err err = DSTACK_ECRYPTO;
    EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    BIGNUM *k = BN_secure_new();
    EC_POINT *q = NULL;
    BN_CTX *ctx = BN_CTX_secure_new();

    memset(out, 0, sizeof *out);
    if (group == NULL || k == NULL || ctx == NULL || BN_bin2bn(d, DSTACK_KEY_LEN, k) == NULL) {
        goto out;
    }
    BN_set_flags(k, BN_FLG_CONSTTIME);
    /* 1 <= d < n (elliptic-curve SecretKey::from_bytes); no reduction, no retry. */
    if (BN_is_zero(k) || BN_cmp(k, EC_GROUP_get0_order(group)) >= 0) {
        err = DSTACK_EINVAL;
        goto out;
    }
    q = EC_POINT_new(group);
    if (q == NULL || EC_POINT_mul(group, q, k, NULL, NULL, ctx) != 1 ||
        EC_POINT_point2oct(group, q, POINT_CONVERSION_UNCOMPRESSED, out->point, sizeof out->point,
                           ctx) != sizeof out->point) {
        goto out;
    }
    memcpy(out->d.b, d, DSTACK_KEY_LEN);
    err = DSTACK_OK;
out:
    if (err != DSTACK_OK) {
        secret_wipe(out, sizeof *out);
    }
    EC_POINT_free(q);
    BN_clear_free(k);
    BN_CTX_free(ctx);
    EC_GROUP_free(group);
    return err;
}

dstack_err p256_derive(const uint8_t *ikm, size_t ikm_len, const void *path, size_t path_len,
                       struct p256_key *out)
{
    struct secret32 okm = {0};
    struct kdf_slice info = {path, path_len};
    dstack_err err = kdf_derive(ikm, ikm_len, &info, path_len > 0 ? 1 : 0, okm.b, sizeof okm.b);
    if (err == DSTACK_OK) {
        err = p256_from_scalar(okm.b, out);
    }
    secret_wipe(&okm, sizeof okm);
    return err;
}

dstack_err p256_generate(struct p256_key *out)
{
    struct secret32 seed = {0};
    dstack_err err = DSTACK_ECRYPTO;
    if (RAND_priv_bytes(seed.b, sizeof seed.b) == 1) {
        err = p256_derive(seed.b, sizeof seed.b, NULL, 0, out);
    }
    secret_wipe(&seed, sizeof seed);
    return err;
}

void p256_spki(const uint8_t point[static P256_POINT_LEN], uint8_t out[static P256_SPKI_LEN])
{
    memcpy(out, spki_head, sizeof spki_head);
    memcpy(out + sizeof spki_head, point, P256_POINT_LEN);
}

void p256_pkcs8(const struct p256_key *k, uint8_t out[static P256_PKCS8_LEN])
{
    size_t o = 0;
    memcpy(out + o, pkcs8_head, sizeof pkcs8_head);
    o += sizeof pkcs8_head;
    memcpy(out + o, k->d.b, DSTACK_KEY_LEN);
    o += DSTACK_KEY_LEN;
    memcpy(out + o, pkcs8_mid, sizeof pkcs8_mid);
    o += sizeof pkcs8_mid;
    memcpy(out + o, k->point, P256_POINT_LEN);
}

void p256_pkcs8_pem(const struct p256_key *k, char out[static P256_PKCS8_PEM_MAX])
{
    uint8_t der[P256_PKCS8_LEN];
    p256_pkcs8(k, der);
    /* Cannot fail: the size is fixed and P256_PKCS8_PEM_MAX covers it (checked in tests). */
    if (pem_encode("PRIVATE KEY", der, sizeof der, out, P256_PKCS8_PEM_MAX) != DSTACK_OK) {
        out[0] = '\0';
    }
    secret_wipe(der, sizeof der);
}

dstack_err p256_from_pem(const char *pem, size_t len, struct p256_key *out)
{
    dstack_err err = DSTACK_EFORMAT;
    EVP_PKEY *pk = NULL;
    BIGNUM *d = NULL;
    char group[32] = "";
    struct secret32 scalar = {0};
    BIO *bio = NULL;

    memset(out, 0, sizeof *out);
    if (len > INT32_MAX) {
        return DSTACK_EINVAL;
    }
    bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) {
        return DSTACK_ENOMEM;
    }
    pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    if (pk == NULL || !EVP_PKEY_is_a(pk, "EC") ||
        EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL) !=
            1 ||
        strcmp(group, "prime256v1") != 0 ||
        EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1 ||
        BN_bn2binpad(d, scalar.b, sizeof scalar.b) != (int)sizeof scalar.b) {
        goto out;
    }
    err = p256_from_scalar(scalar.b, out) == DSTACK_OK ? DSTACK_OK : DSTACK_EFORMAT;
out:
    secret_wipe(&scalar, sizeof scalar);
    BN_clear_free(d);
    EVP_PKEY_free(pk);
    BIO_free(bio);
    return err;
}

dstack_err p256_to_evp(const struct p256_key *k, EVP_PKEY **out)
{
    dstack_err err = DSTACK_ECRYPTO;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    BIGNUM *d = BN_secure_new();

    *out = NULL;
    if (bld == NULL || d == NULL || BN_bin2bn(k->d.b, DSTACK_KEY_LEN, d) == NULL ||
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, k->point, sizeof k->point) !=
            1) {
        goto out;
    }
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, out, EVP_PKEY_KEYPAIR, params) != 1) {
        goto out;
    }
    err = DSTACK_OK;
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params); /* OSSL_PARAM_clear_free is 3.2+; the BN copy is in secure heap */
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(d);
    return err;
}
