/* P-256 key pairs as upstream's ra-tls/rcgen handle them (upstream dstack/ra-tls/src/kdf.rs): a key
 * from 32 bytes of HKDF output (derive_p256_key_pair_from_bytes, dstack/ra-tls/src/kdf.rs:L45-59),
 * its PKCS#8 DER/PEM and SPKI DER built from fixed templates, and an EVP_PKEY for signing. */
#ifndef DSTACK_X509_P256_H
#define DSTACK_X509_P256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <dstack/common.h>

#include "util/secret.h"

#define P256_POINT_LEN 65  /* 04 || X || Y */
#define P256_XY_LEN 64     /* X || Y, as DCAP quotes carry a key */
#define P256_SIG_LEN 64    /* r || s, as DCAP quotes carry a signature */
#define P256_SPKI_LEN 91   /* SubjectPublicKeyInfo DER */
#define P256_PKCS8_LEN 138 /* PKCS#8 v1 with the [1] public key, no [0] parameters */
/* "-----BEGIN PRIVATE KEY-----\n" + 184 base64 chars in lines of 64 + "-----END ...\n" + NUL */
#define P256_PKCS8_PEM_MAX 256

struct p256_key {
    struct secret32 d;             /* big-endian scalar, 1 <= d < n */
    uint8_t point[P256_POINT_LEN]; /* uncompressed public point */
};

/* Public point of scalar d. DSTACK_EINVAL unless 1 <= d < n (no retry, like upstream's
 * "failed to decode derived secret key"). out is wiped on failure. */
dstack_err p256_from_scalar(const uint8_t d[static DSTACK_KEY_LEN], struct p256_key *out);

/* scalar = HKDF-SHA256("RATLS", ikm, info = path) (empty info when path_len is 0), then
 * p256_from_scalar. DeriveKey uses ikm = app k256 key; GetTlsKey a random seed. */
dstack_err p256_derive(const uint8_t *ikm, size_t ikm_len, const void *path, size_t path_len,
                       struct p256_key *out);

/* A fresh key the way GetTlsKey makes one: 32 random bytes through p256_derive with empty info
 * (rpc_service.rs:L284-295). */
dstack_err p256_generate(struct p256_key *out);

/* SPKI DER of a public point (the RA-TLS report data and the certificate key). */
void p256_spki(const uint8_t point[static P256_POINT_LEN], uint8_t out[static P256_SPKI_LEN]);
/* out holds the private key: wipe it after use. */
void p256_pkcs8(const struct p256_key *k, uint8_t out[static P256_PKCS8_LEN]);
/* PKCS#8 PEM with LF line endings and 64-column base64 (rcgen serialize_pem). NUL-terminated;
 * out holds the private key: wipe it after use. */
void p256_pkcs8_pem(const struct p256_key *k, char out[static P256_PKCS8_PEM_MAX]);

/* Loads a P-256 private key PEM (PKCS#8 or SEC1) as the keys file carries it. DSTACK_EFORMAT
 * when it does not parse or is not P-256. */
dstack_err p256_from_pem(const char *pem, size_t len, struct p256_key *out);

/* An OpenSSL key holding both halves, for EVP_DigestSign. Free with EVP_PKEY_free. */
dstack_err p256_to_evp(const struct p256_key *k, EVP_PKEY **out);

/* The public key x || y (p256_verify.c), NULL when it is not a point on the curve. Free with
 * EVP_PKEY_free. */
EVP_PKEY *p256_pubkey_from_xy(const uint8_t xy[static P256_XY_LEN]);

/* ECDSA-P256-SHA256 check of a raw r || s signature over msg. */
bool p256_verify_raw(EVP_PKEY *key, const uint8_t *msg, size_t len,
                     const uint8_t sig[static P256_SIG_LEN]);

#endif
