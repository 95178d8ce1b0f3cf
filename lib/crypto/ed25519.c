#include "crypto/ed25519.h"

#include <pthread.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>

#include "util/secret.h"

EVP_PKEY *ed25519_key_new(const uint8_t seed[static ED25519_SEED_LEN])
{
    return EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, seed, ED25519_SEED_LEN);
}

dstack_err ed25519_key_pubkey(EVP_PKEY *key, uint8_t out[static ED25519_PUBKEY_LEN])
{
    size_t len = ED25519_PUBKEY_LEN;
    if (key == NULL || EVP_PKEY_get_raw_public_key(key, out, &len) != 1 ||
        len != ED25519_PUBKEY_LEN) {
        return DSTACK_ECRYPTO;
    }
    return DSTACK_OK;
}

dstack_err ed25519_pubkey(const uint8_t seed[static ED25519_SEED_LEN],
                          uint8_t out[static ED25519_PUBKEY_LEN])
{
    EVP_PKEY *key = ed25519_key_new(seed);
    dstack_err err = ed25519_key_pubkey(key, out);
    EVP_PKEY_free(key); /* OpenSSL cleanses the private key on free */
    return err;
}

dstack_err ed25519_key_sign(EVP_PKEY *key, const uint8_t *msg, size_t len,
                            uint8_t out[static ED25519_SIG_LEN])
{
    static const uint8_t empty = 0;
    dstack_err err = DSTACK_ECRYPTO;
    size_t sig_len = ED25519_SIG_LEN;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (key == NULL || md == NULL) {
        goto out;
    }
    /* Ed25519 is one-shot: no digest name, EVP_DigestSign over the whole message. */
    if (EVP_DigestSignInit_ex(md, NULL, NULL, NULL, NULL, key, NULL) != 1 ||
        EVP_DigestSign(md, out, &sig_len, len ? msg : &empty, len) != 1 ||
        sig_len != ED25519_SIG_LEN) {
        goto out;
    }
    err = DSTACK_OK;
out:
    EVP_MD_CTX_free(md);
    return err;
}

dstack_err ed25519_sign(const uint8_t seed[static ED25519_SEED_LEN], const uint8_t *msg, size_t len,
                        uint8_t out[static ED25519_SIG_LEN])
{
    EVP_PKEY *key = ed25519_key_new(seed);
    dstack_err err = ed25519_key_sign(key, msg, len, out);
    EVP_PKEY_free(key);
    return err;
}

/* Field constants for the decompression test, computed once. */
static BIGNUM *ed_p, *ed_d, *ed_p_minus_2, *ed_half;
static pthread_once_t ed_once = PTHREAD_ONCE_INIT;

static void ed_constants(void)
{
    BN_CTX *bn = BN_CTX_new();
    BIGNUM *p = BN_new(), *d = BN_new(), *pm2 = BN_new(), *half = BN_new(), *t = BN_new();
    if (bn == NULL || p == NULL || d == NULL || pm2 == NULL || half == NULL || t == NULL) {
        goto fail;
    }
    /* p = 2^255 - 19; d = -121665 / 121666 mod p (RFC 8032 §5.1). */
    if (!BN_set_bit(p, 255) || !BN_sub_word(p, 19) || !BN_copy(pm2, p) || !BN_sub_word(pm2, 2) ||
        !BN_rshift1(half, p) || !BN_set_word(t, 121666) || BN_mod_inverse(d, t, p, bn) == NULL ||
        !BN_mul_word(d, 121665) || !BN_nnmod(d, d, p, bn) || !BN_sub(d, p, d)) {
        goto fail;
    }
    ed_p = p;
    ed_d = d;
    ed_p_minus_2 = pm2;
    ed_half = half; /* (p - 1) / 2, since p is odd */
    BN_free(t);
    BN_CTX_free(bn);
    return;
fail:
    BN_free(p);
    BN_free(d);
    BN_free(pm2);
    BN_free(half);
    BN_free(t);
    BN_CTX_free(bn);
}

bool ed25519_point_valid(const uint8_t pub[static ED25519_PUBKEY_LEN])
{
    bool ok = false;
    uint8_t le[ED25519_PUBKEY_LEN];
    BN_CTX *bn = NULL;
    BIGNUM *y, *u, *v, *w;

    pthread_once(&ed_once, ed_constants);
    if (ed_p == NULL || (bn = BN_CTX_new()) == NULL) {
        return false;
    }
    BN_CTX_start(bn);
    y = BN_CTX_get(bn);
    u = BN_CTX_get(bn);
    v = BN_CTX_get(bn);
    w = BN_CTX_get(bn);
    if (w == NULL) {
        goto out;
    }
    memcpy(le, pub, sizeof le);
    le[31] &= 0x7f; /* the sign of x */
    if (BN_lebin2bn(le, sizeof le, y) == NULL || !BN_nnmod(y, y, ed_p, bn) ||
        !BN_mod_sqr(y, y, ed_p, bn) ||          /* y := y^2 */
        !BN_copy(u, y) || !BN_sub_word(u, 1) || /* u = y^2 - 1 (>= -1) */
        !BN_nnmod(u, u, ed_p, bn) || !BN_mod_mul(v, ed_d, y, ed_p, bn) ||
        !BN_add_word(v, 1) ||                        /* v = d y^2 + 1 */
        !BN_mod_exp(w, v, ed_p_minus_2, ed_p, bn) || /* 1/v (Fermat) */
        !BN_mod_mul(w, w, u, ed_p, bn)) {            /* w = u / v */
        goto out;
    }
    if (BN_is_zero(w)) {
        ok = true; /* x = 0 */
        goto out;
    }
    /* Euler's criterion: w is a square iff w^((p-1)/2) = 1. */
    if (!BN_mod_exp(w, w, ed_half, ed_p, bn)) {
        goto out;
    }
    ok = BN_is_one(w);
out:
    BN_CTX_end(bn);
    BN_CTX_free(bn);
    return ok;
}

dstack_err ed25519_verify(const uint8_t *pub, size_t pub_len, const uint8_t *sig, size_t sig_len,
                          const uint8_t *msg, size_t len, bool *valid, const char **what)
{
    static const uint8_t empty = 0;
    const char *dummy;
    dstack_err err = DSTACK_ECRYPTO;
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *md = NULL;

    if (what == NULL) {
        what = &dummy;
    }
    *valid = false;
    *what = NULL;
    if (pub == NULL || pub_len != ED25519_PUBKEY_LEN || !ed25519_point_valid(pub)) {
        *what = "public key";
        return DSTACK_EFORMAT;
    }
    if (sig == NULL || sig_len != ED25519_SIG_LEN) {
        *what = "signature";
        return DSTACK_EFORMAT;
    }
    key = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, pub, pub_len);
    md = EVP_MD_CTX_new();
    if (key == NULL || md == NULL ||
        EVP_DigestVerifyInit_ex(md, NULL, NULL, NULL, NULL, key, NULL) != 1) {
        goto out;
    }
    /* 1 = valid; 0 or a negative error = the equation does not hold (a non-canonical S, for
     * one, which dalek's verify also refuses). The inputs are already known to be well-formed. */
    *valid = EVP_DigestVerify(md, sig, sig_len, len ? msg : &empty, len) == 1;
    if (!*valid) {
        ERR_clear_error(); /* a false signature is an answer, not an error to report later */
    }
    err = DSTACK_OK;
out:
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    return err;
}
