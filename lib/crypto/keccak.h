/* Legacy Keccak (the pre-FIPS-202 padding byte 0x01, as Ethereum and upstream's sha3::Keccak256
 * use it). OpenSSL 3.0 has no KECCAK-256, so this is our own sponge.
 * keccak256("") = c5d24601...5d85a470, unlike sha3_256("") = a7ffc6f8...80f8434a. */
#ifndef DSTACK_CRYPTO_KECCAK_H
#define DSTACK_CRYPTO_KECCAK_H

#include <stddef.h>
#include <stdint.h>

#define KECCAK256_LEN 32
#define KECCAK384_LEN 48
#define KECCAK512_LEN 64

/* Incremental state. rate = 200 - 2*output length: 136 (256), 104 (384), 72 (512). */
struct keccak_ctx {
    uint64_t a[25];
    size_t rate;   /* bytes absorbed per permutation */
    size_t pos;    /* bytes absorbed into the current block */
    size_t outlen; /* digest length */
};

/* outlen is 32, 48 or 64; anything else is treated as 32. */
void keccak_init(struct keccak_ctx *ctx, size_t outlen);
void keccak_update(struct keccak_ctx *ctx, const void *data, size_t len);
/* Writes ctx->outlen bytes and wipes the state. */
void keccak_final(struct keccak_ctx *ctx, uint8_t *out);

void keccak256(const void *data, size_t len, uint8_t out[static KECCAK256_LEN]);
void keccak384(const void *data, size_t len, uint8_t out[static KECCAK384_LEN]);
void keccak512(const void *data, size_t len, uint8_t out[static KECCAK512_LEN]);

#endif
