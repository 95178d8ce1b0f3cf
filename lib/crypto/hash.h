/* One-shot SHA-2 / SHA-3 digests through OpenSSL, with the EVP_MD objects fetched once per
 * process (an implicit fetch on every call costs a provider lookup under a lock). */
#ifndef DSTACK_CRYPTO_HASH_H
#define DSTACK_CRYPTO_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#include <openssl/evp.h>

enum hash_alg {
    HASH_SHA256,
    HASH_SHA384,
    HASH_SHA512,
    HASH_SHA3_256,
    HASH_SHA3_384,
    HASH_SHA3_512,
    HASH_ALG_COUNT
};

/* The fetched digest (owned by this module, never freed while the process runs), or NULL when
 * the provider lacks it. */
const EVP_MD *hash_md(enum hash_alg alg);

/* Output length in bytes (32, 48 or 64). */
size_t hash_len(enum hash_alg alg);

/* out must hold hash_len(alg) bytes. DSTACK_ECRYPTO if OpenSSL fails. */
dstack_err hash_digest(enum hash_alg alg, const void *data, size_t len, uint8_t *out);

static inline dstack_err hash_sha256(const void *data, size_t len,
                                     uint8_t out[static DSTACK_SHA256_LEN])
{
    return hash_digest(HASH_SHA256, data, len, out);
}

#endif
