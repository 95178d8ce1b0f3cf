#include "crypto/k256.h"

#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "util/secret.h"

/* n, the order of the secp256k1 group. */
static const uint8_t k256_order[K256_DIGEST_LEN] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
};

static secp256k1_context *k256_shared;
static pthread_once_t k256_once = PTHREAD_ONCE_INIT;

static void k256_create(void)
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    uint8_t seed[32];
    if (ctx == NULL) {
        return;
    }
    /* Blinding against side channels; a failure only loses the blinding, not correctness. */
    if (RAND_bytes(seed, sizeof seed) == 1 && secp256k1_context_randomize(ctx, seed) != 1) {
        /* keeps the unblinded context, which is still correct */
    }
    secret_wipe(seed, sizeof seed);
    k256_shared = ctx;
}

const struct secp256k1_context_struct *k256_ctx(void)
{
    pthread_once(&k256_once, k256_create);
    return k256_shared;
}

bool k256_ge_order(const uint8_t z[static K256_DIGEST_LEN])
{
    return memcmp(z, k256_order, K256_DIGEST_LEN) >= 0;
}

static bool is_zero32(const uint8_t *p)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < 32; i++) {
        acc |= p[i];
    }
    return acc == 0;
}

bool k256_seckey_valid(const uint8_t sk[static K256_SECKEY_LEN])
{
    const secp256k1_context *ctx = k256_ctx();
    return ctx != NULL && secp256k1_ec_seckey_verify(ctx, sk) == 1;
}

dstack_err k256_pubkey(const uint8_t sk[static K256_SECKEY_LEN],
                       uint8_t out[static K256_PUBKEY_LEN])
{
    const secp256k1_context *ctx = k256_ctx();
    secp256k1_pubkey pk;
    size_t len = K256_PUBKEY_LEN;
    if (ctx == NULL) {
        return DSTACK_ECRYPTO;
    }
    if (secp256k1_ec_pubkey_create(ctx, &pk, sk) != 1) {
        return DSTACK_EINVAL;
    }
    if (secp256k1_ec_pubkey_serialize(ctx, out, &len, &pk, SECP256K1_EC_COMPRESSED) != 1) {
        return DSTACK_ECRYPTO;
    }
    return DSTACK_OK;
}

dstack_err k256_sign_recoverable(const uint8_t sk[static K256_SECKEY_LEN],
                                 const uint8_t digest[static K256_DIGEST_LEN],
                                 uint8_t out[static K256_RSIG_LEN])
{
    const secp256k1_context *ctx = k256_ctx();
    secp256k1_ecdsa_recoverable_signature sig;
    int recid = 0;
    if (ctx == NULL) {
        return DSTACK_ECRYPTO;
    }
    /* Hashed messages are < n except with probability ~2^-128, where RustCrypto and
     * libsecp256k1's default RFC 6979 agree (docs/api/Sign.md). libsecp256k1 signs low-S
     * and adjusts the recovery id accordingly, as k256's SignPrimitive does. */
    if (secp256k1_ecdsa_sign_recoverable(ctx, &sig, digest, sk, NULL, NULL) != 1) {
        return DSTACK_EINVAL;
    }
    (void)secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, out, &recid, &sig);
    out[64] = (uint8_t)recid;
    return DSTACK_OK;
}

/* HMAC-SHA256 over up to two concatenated parts. */
static int hmac2(const uint8_t key[32], const uint8_t *a, size_t a_len, const uint8_t *b,
                 size_t b_len, uint8_t out[32])
{
    uint8_t buf[32 + 1 + 64];
    unsigned int len = 32;
    if (a_len + b_len > sizeof buf) {
        return 0;
    }
    memcpy(buf, a, a_len);
    if (b_len > 0) {
        memcpy(buf + a_len, b, b_len);
    }
    int ok = HMAC(EVP_sha256(), key, 32, buf, a_len + b_len, out, &len) != NULL;
    secret_wipe(buf, sizeof buf);
    return ok;
}

/* RFC 6979 §3.2 HMAC-DRBG seeded with x || z where z is NOT reduced mod n, as RustCrypto's
 * ecdsa 0.16.9 does (hazmat.rs:L103-108, rfc6979 0.4 lib.rs:L65-148). libsecp256k1 calls it
 * again with counter+1 when the candidate is out of range; each call replays the DRBG. */
static int k256_nonce_unreduced(unsigned char *nonce32, const unsigned char *msg32,
                                const unsigned char *key32, const unsigned char *algo16, void *data,
                                unsigned int counter)
{
    uint8_t k[32], v[32], seed[1 + 64], tmp[33];
    int ok = 1;
    (void)algo16;
    (void)data;
    memset(k, 0x00, sizeof k);
    memset(v, 0x01, sizeof v);
    memcpy(seed + 1, key32, 32);
    memcpy(seed + 33, msg32, 32);
    for (uint8_t i = 0; i < 2 && ok; i++) { /* K = HMAC_K(V || i || x || z); V = HMAC_K(V) */
        seed[0] = i;
        ok &= hmac2(k, v, 32, seed, sizeof seed, k);
        ok &= hmac2(k, v, 32, NULL, 0, v);
    }
    for (unsigned int c = 0; c <= counter && ok; c++) {
        if (c > 0) { /* retry: K = HMAC_K(V || 0x00); V = HMAC_K(V) */
            memcpy(tmp, v, 32);
            tmp[32] = 0x00;
            ok &= hmac2(k, tmp, 33, NULL, 0, k);
            ok &= hmac2(k, v, 32, NULL, 0, v);
        }
        ok &= hmac2(k, v, 32, NULL, 0, v); /* T = V = HMAC_K(V) */
    }
    if (ok) {
        memcpy(nonce32, v, 32);
    }
    secret_wipe(k, sizeof k);
    secret_wipe(v, sizeof v);
    secret_wipe(seed, sizeof seed);
    secret_wipe(tmp, sizeof tmp);
    return ok;
}

dstack_err k256_sign(const uint8_t sk[static K256_SECKEY_LEN],
                     const uint8_t z[static K256_DIGEST_LEN], uint8_t out[static K256_SIG_LEN])
{
    const secp256k1_context *ctx = k256_ctx();
    secp256k1_ecdsa_signature sig;
    if (ctx == NULL) {
        return DSTACK_ECRYPTO;
    }
    /* Below n both rules seed the DRBG with the same bytes; use the library's own (faster). */
    secp256k1_nonce_function noncefp = k256_ge_order(z) ? k256_nonce_unreduced : NULL;
    if (secp256k1_ecdsa_sign(ctx, &sig, z, sk, noncefp, NULL) != 1) {
        return DSTACK_EINVAL;
    }
    (void)secp256k1_ecdsa_signature_serialize_compact(ctx, out, &sig);
    return DSTACK_OK;
}

static dstack_err k256_parse_pub(const secp256k1_context *ctx, const uint8_t *pub, size_t len,
                                 secp256k1_pubkey *pk)
{
    uint8_t tmp[K256_PUBKEY_LEN];
    if (len == K256_PUBKEY_LEN && (pub[0] == 0x02 || pub[0] == 0x03 || pub[0] == 0x05)) {
        /* 0x05 is SEC1's "compact" form: X alone, the point with even Y (elliptic-curve's
         * DecompactPoint for k256 decompresses with y parity 0). */
        memcpy(tmp, pub, sizeof tmp);
        if (tmp[0] == 0x05) {
            tmp[0] = 0x02;
        }
        return secp256k1_ec_pubkey_parse(ctx, pk, tmp, sizeof tmp) == 1 ? DSTACK_OK
                                                                        : DSTACK_EFORMAT;
    }
    /* 0x04 only: libsecp256k1 also takes the hybrid 0x06/0x07 forms, which k256 rejects. */
    if (len == K256_PUBKEY_FULL_LEN && pub[0] == 0x04) {
        return secp256k1_ec_pubkey_parse(ctx, pk, pub, len) == 1 ? DSTACK_OK : DSTACK_EFORMAT;
    }
    return DSTACK_EFORMAT;
}

/* r || s with r and s in [1, n-1] (ecdsa Signature::from_slice); libsecp256k1's parse_compact
 * rejects values >= n but lets zero through, so zero is checked here. */
static dstack_err k256_parse_sig(const secp256k1_context *ctx, const uint8_t *sig, size_t len,
                                 secp256k1_ecdsa_signature *out)
{
    if (len != K256_SIG_LEN || is_zero32(sig) || is_zero32(sig + 32)) {
        return DSTACK_EFORMAT;
    }
    return secp256k1_ecdsa_signature_parse_compact(ctx, out, sig) == 1 ? DSTACK_OK : DSTACK_EFORMAT;
}

dstack_err k256_verify(const uint8_t *pub, size_t pub_len, const uint8_t *sig, size_t sig_len,
                       const uint8_t z[static K256_DIGEST_LEN], bool *valid, const char **what)
{
    const secp256k1_context *ctx = k256_ctx();
    secp256k1_pubkey pk;
    secp256k1_ecdsa_signature s;
    const char *dummy;
    if (what == NULL) {
        what = &dummy;
    }
    *valid = false;
    *what = NULL;
    if (ctx == NULL) {
        return DSTACK_ECRYPTO;
    }
    if (pub == NULL || k256_parse_pub(ctx, pub, pub_len, &pk) != DSTACK_OK) {
        *what = "public key";
        return DSTACK_EFORMAT;
    }
    if (sig == NULL || k256_parse_sig(ctx, sig, sig_len, &s) != DSTACK_OK) {
        *what = "signature";
        return DSTACK_EFORMAT;
    }
    /* secp256k1_ecdsa_verify reduces z mod n and refuses high-S, like k256's verify_prehash. */
    *valid = secp256k1_ecdsa_verify(ctx, &s, z, &pk) == 1;
    return DSTACK_OK;
}

dstack_err k256_recover(const uint8_t digest[static K256_DIGEST_LEN],
                        const uint8_t sig[static K256_RSIG_LEN],
                        uint8_t out[static K256_PUBKEY_LEN])
{
    const secp256k1_context *ctx = k256_ctx();
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_pubkey pk;
    size_t len = K256_PUBKEY_LEN;
    if (ctx == NULL) {
        return DSTACK_ECRYPTO;
    }
    if (sig[64] > 3 ||
        secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rs, sig, sig[64]) != 1) {
        return DSTACK_EFORMAT;
    }
    if (secp256k1_ecdsa_recover(ctx, &pk, &rs, digest) != 1) {
        return DSTACK_EVERIFY;
    }
    (void)secp256k1_ec_pubkey_serialize(ctx, out, &len, &pk, SECP256K1_EC_COMPRESSED);
    return DSTACK_OK;
}
