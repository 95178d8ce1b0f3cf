/* The keys file (upstream AppKeys, dstack/dstack-types/src/lib.rs:L2103-2140; docs/wire.md,
 * docs/wire.md), loaded once into locked, non-dumpable memory, plus everything GetKey and
 * Sign need that does not depend on the request (computed once at load). */
#ifndef DSTACK_AGENT_APPKEYS_H
#define DSTACK_AGENT_APPKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <dstack/common.h>

#include "crypto/ed25519.h"
#include "crypto/k256.h"
#include "util/secret.h"

#define APPKEYS_MAX_FILE (1u << 20)
#define APPKEYS_SIG_MAX 128 /* k256_signature is copied verbatim; 65 bytes in practice */

enum key_provider_kind {
    KEY_PROVIDER_NONE,  /* {"None":{"key"}}: local CA, the simulator */
    KEY_PROVIDER_LOCAL, /* {"Local":{"key","mr"}} */
    KEY_PROVIDER_TPM,   /* {"Tpm":{"key","pubkey"}} */
    KEY_PROVIDER_KMS,   /* {"Kms":{"url","pubkey","tmp_ca_key","tmp_ca_cert"}} */
};

/* A byte field of the file, decoded (points into the same locked region). */
struct appkeys_bytes {
    const uint8_t *p;
    size_t len;
};

/* GetKey(path, purpose) precomputed for one algorithm, for Sign's fixed ("vms", "signing"). */
struct appkeys_signing_key {
    uint8_t pub[K256_PUBKEY_LEN]; /* 33 B compressed secp256k1, or 32 B Ed25519 */
    size_t pub_len;
    uint8_t sig0[K256_RSIG_LEN]; /* app key over keccak256("signing:" hex(pub)) */
};

struct app_keys {
    size_t region_len; /* bytes of the locked region that holds this struct and its arena */

    /* k256_key exactly as the file holds it: the HKDF IKM of every derivation. Upstream's
     * SigningKey::from_slice accepts 24..=32 bytes, left-padded (docs/api/Sign.md). */
    uint8_t k256_key[K256_SECKEY_LEN];
    size_t k256_key_len;
    struct secret32 k256_scalar;          /* the same, left-padded to 32: the signing scalar */
    uint8_t k256_pubkey[K256_PUBKEY_LEN]; /* the app root public key */
    uint8_t k256_signature[APPKEYS_SIG_MAX];
    size_t k256_signature_len;
    struct secret32 prk; /* HKDF-Extract("RATLS", k256_key), shared by every GetKey */

    struct appkeys_bytes disk_crypt_key;
    struct appkeys_bytes env_crypt_key; /* optional: len 0 when absent */
    const char *gateway_app_id;
    const char *ca_cert; /* PEM, verbatim */

    enum key_provider_kind provider;
    const char *ca_key;          /* None/Local/Tpm "key": PKCS#8 PEM of ca_cert's key */
    struct appkeys_bytes mr;     /* Local */
    struct appkeys_bytes pubkey; /* Tpm, Kms */
    const char *kms_url;         /* Kms */
    const char *tmp_ca_key;      /* Kms */
    const char *tmp_ca_cert;     /* Kms */

    /* Sign's key: GetKey(path "vms", purpose "signing") (rpc_service.rs:L368-381). */
    struct secret32 vms_key;
    struct appkeys_signing_key vms_k256;
    struct appkeys_signing_key vms_ed25519;
    EVP_PKEY *vms_ed25519_pkey; /* OpenSSL's copy of vms_key (cleansed by EVP_PKEY_free) */
};

/* Reads and validates path. On failure *out is NULL, nothing is left in memory, and err_text()
 * names the file and the field ("<path>: k256_key: ..."). */
dstack_err appkeys_load(const char *path, struct app_keys **out);

/* The same from a JSON text already in memory (name is used in messages only). */
dstack_err appkeys_parse(const char *name, const char *text, size_t len, struct app_keys **out);

/* Wipes and unmaps. NULL is fine. */
void appkeys_free(struct app_keys *keys);

#endif
