/* Keccak-f[1600] sponge written from the Keccak reference description (FIPS 202 §3 step
 * mappings theta, rho, pi, chi, iota over 24 rounds), with the original 0x01 domain padding. */
#include "crypto/keccak.h"

#include <string.h>

#include "util/secret.h"

static const uint64_t keccak_rc[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* Rotation offsets r[x + 5y] (FIPS 202 Table 2). */
static const unsigned keccak_rho[25] = {
    0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
};

static inline uint64_t rotl64(uint64_t v, unsigned n)
{
    return n == 0 ? v : (v << n) | (v >> (64 - n));
}

static void keccak_f1600(uint64_t a[25])
{
    uint64_t c[5], d[5], b[25];
    for (int round = 0; round < 24; round++) {
        /* theta */
        for (int x = 0; x < 5; x++) {
            c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        }
        for (int x = 0; x < 5; x++) {
            d[x] = c[(x + 4) % 5] ^ rotl64(c[(x + 1) % 5], 1);
        }
        for (int i = 0; i < 25; i++) {
            a[i] ^= d[i % 5];
        }
        /* rho and pi: B[y, 2x+3y] = rot(A[x, y], r[x, y]) */
        for (int x = 0; x < 5; x++) {
            for (int y = 0; y < 5; y++) {
                b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl64(a[x + 5 * y], keccak_rho[x + 5 * y]);
            }
        }
        /* chi */
        for (int y = 0; y < 5; y++) {
            for (int x = 0; x < 5; x++) {
                a[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y]);
            }
        }
        /* iota */
        a[0] ^= keccak_rc[round];
    }
    secret_wipe(b, sizeof b);
    secret_wipe(c, sizeof c);
    secret_wipe(d, sizeof d);
}

/* Lanes are little-endian: byte i of the state is byte (i % 8) of lane i / 8. */
static inline void keccak_xor_byte(uint64_t a[25], size_t i, uint8_t v)
{
    a[i / 8] ^= (uint64_t)v << (8 * (i % 8));
}

void keccak_init(struct keccak_ctx *ctx, size_t outlen)
{
    if (outlen != KECCAK384_LEN && outlen != KECCAK512_LEN) {
        outlen = KECCAK256_LEN;
    }
    memset(ctx->a, 0, sizeof ctx->a);
    ctx->outlen = outlen;
    ctx->rate = 200 - 2 * outlen;
    ctx->pos = 0;
}

void keccak_update(struct keccak_ctx *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        size_t take = ctx->rate - ctx->pos;
        if (take > len) {
            take = len;
        }
        for (size_t i = 0; i < take; i++) {
            keccak_xor_byte(ctx->a, ctx->pos + i, p[i]);
        }
        ctx->pos += take;
        p += take;
        len -= take;
        if (ctx->pos == ctx->rate) {
            keccak_f1600(ctx->a);
            ctx->pos = 0;
        }
    }
}

void keccak_final(struct keccak_ctx *ctx, uint8_t *out)
{
    /* Legacy Keccak padding: 0x01 after the message, 0x80 into the last byte of the block. */
    keccak_xor_byte(ctx->a, ctx->pos, 0x01);
    keccak_xor_byte(ctx->a, ctx->rate - 1, 0x80);
    keccak_f1600(ctx->a);
    for (size_t i = 0; i < ctx->outlen; i++) {
        out[i] = (uint8_t)(ctx->a[i / 8] >> (8 * (i % 8)));
    }
    secret_wipe(ctx, sizeof *ctx);
}

static void keccak_oneshot(size_t outlen, const void *data, size_t len, uint8_t *out)
{
    struct keccak_ctx ctx;
    keccak_init(&ctx, outlen);
    keccak_update(&ctx, data, len);
    keccak_final(&ctx, out);
}

void keccak256(const void *data, size_t len, uint8_t out[static KECCAK256_LEN])
{
    keccak_oneshot(KECCAK256_LEN, data, len, out);
}

void keccak384(const void *data, size_t len, uint8_t out[static KECCAK384_LEN])
{
    keccak_oneshot(KECCAK384_LEN, data, len, out);
}

void keccak512(const void *data, size_t len, uint8_t out[static KECCAK512_LEN])
{
    keccak_oneshot(KECCAK512_LEN, data, len, out);
}
