/* Upstream's derive_key: HKDF-SHA256 (RFC 5869) with the fixed salt "RATLS"; the info is the
 * plain concatenation of the context slices, without separators or length prefixes
 * (upstream dstack/ra-tls/src/kdf.rs:L22-35, ring Prk::expand). */
#ifndef DSTACK_CRYPTO_KDF_H
#define DSTACK_CRYPTO_KDF_H

#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#include "util/secret.h"

#define KDF_SALT "RATLS"
#define KDF_MAX_OUT (255 * 32) /* RFC 5869 §2.3: L <= 255 * HashLen */

/* One context item. */
struct kdf_slice {
    const void *p;
    size_t len;
};

/* OKM = HKDF-SHA256(salt "RATLS", ikm, info = slices[0] || slices[1] || ..., out_len).
 * DSTACK_EINVAL for out_len 0 or > KDF_MAX_OUT, or an info too large; DSTACK_ECRYPTO if
 * OpenSSL fails. out is wiped on failure. */
dstack_err kdf_derive(const uint8_t *ikm, size_t ikm_len, const struct kdf_slice *info,
                      size_t n_info, uint8_t *out, size_t out_len);

/* The two halves, for callers that derive many keys from one IKM: the extract step is the
 * same for every path, so it is done once (PRK = HMAC-SHA256("RATLS", ikm)). */
dstack_err kdf_extract(const uint8_t *ikm, size_t ikm_len, struct secret32 *prk);
dstack_err kdf_expand(const struct secret32 *prk, const struct kdf_slice *info, size_t n_info,
                      uint8_t *out, size_t out_len);

#endif
