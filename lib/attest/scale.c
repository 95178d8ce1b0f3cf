/* SCALE compact integers, little-endian fixed ints and length-prefixed byte strings
 * (parity-scale-codec; docs/wire.md):
 *   n < 2^6  : one byte   n<<2
 *   n < 2^14 : le16       n<<2 | 1
 *   n < 2^30 : le32       n<<2 | 2
 *   else     : byte ((k-4)<<2 | 3) then n in k little-endian bytes (k = minimal, 4..8 here) */
#include "attest/scale.h"

#include <stdlib.h>
#include <string.h>

dstack_err scale_read_raw(struct scale_rd *r, size_t n, const uint8_t **out)
{
    if (n > r->len - r->pos) {
        return DSTACK_EFORMAT;
    }
    *out = r->p + r->pos;
    r->pos += n;
    return DSTACK_OK;
}

dstack_err scale_read_u8(struct scale_rd *r, uint8_t *out)
{
    const uint8_t *b;
    if (scale_read_raw(r, 1, &b) != DSTACK_OK) {
        return DSTACK_EFORMAT;
    }
    *out = b[0];
    return DSTACK_OK;
}

dstack_err scale_read_u32(struct scale_rd *r, uint32_t *out)
{
    const uint8_t *b;
    if (scale_read_raw(r, 4, &b) != DSTACK_OK) {
        return DSTACK_EFORMAT;
    }
    *out = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
    return DSTACK_OK;
}

static uint64_t le_n(const uint8_t *b, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i > 0; i--) {
        v = (v << 8) | b[i - 1];
    }
    return v;
}

dstack_err scale_read_compact(struct scale_rd *r, uint64_t *out)
{
    const uint8_t *b;
    if (scale_read_raw(r, 1, &b) != DSTACK_OK) {
        return DSTACK_EFORMAT;
    }
    unsigned mode = b[0] & 3u;
    uint64_t v;
    if (mode == 0) {
        v = b[0] >> 2;
    } else if (mode == 1) {
        r->pos--;
        if (scale_read_raw(r, 2, &b) != DSTACK_OK) {
            return DSTACK_EFORMAT;
        }
        v = le_n(b, 2) >> 2;
        if (v < (1u << 6)) {
            return DSTACK_EFORMAT;
        }
    } else if (mode == 2) {
        r->pos--;
        if (scale_read_raw(r, 4, &b) != DSTACK_OK) {
            return DSTACK_EFORMAT;
        }
        v = le_n(b, 4) >> 2;
        if (v < (1u << 14)) {
            return DSTACK_EFORMAT;
        }
    } else {
        size_t k = (size_t)(b[0] >> 2) + 4;
        if (k > 8) {
            return DSTACK_EFORMAT; /* wider than u64: nothing here needs it */
        }
        if (scale_read_raw(r, k, &b) != DSTACK_OK) {
            return DSTACK_EFORMAT;
        }
        v = le_n(b, k);
        /* Shortest form: at least 2^30, and the top byte non-zero. */
        if (v < (1u << 30) || b[k - 1] == 0) {
            return DSTACK_EFORMAT;
        }
    }
    *out = v;
    return DSTACK_OK;
}

dstack_err scale_read_bytes(struct scale_rd *r, const uint8_t **out, size_t *out_len)
{
    uint64_t n;
    if (scale_read_compact(r, &n) != DSTACK_OK || n > r->len - r->pos) {
        return DSTACK_EFORMAT;
    }
    *out_len = (size_t)n;
    return scale_read_raw(r, (size_t)n, out);
}

void scale_put_raw(struct scale_buf *b, const void *data, size_t n)
{
    if (b->err != DSTACK_OK || n == 0) {
        return;
    }
    if (n > SCALE_BUF_MAX - b->len) {
        b->err = DSTACK_EINVAL;
        return;
    }
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n) {
            cap = cap > SCALE_BUF_MAX / 2 ? SCALE_BUF_MAX : cap * 2;
        }
        uint8_t *p = realloc(b->p, cap);
        if (p == NULL) {
            b->err = DSTACK_ENOMEM;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

void scale_put_u8(struct scale_buf *b, uint8_t v)
{
    scale_put_raw(b, &v, 1);
}

void scale_put_u32(struct scale_buf *b, uint32_t v)
{
    uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    scale_put_raw(b, le, sizeof le);
}

void scale_put_compact(struct scale_buf *b, uint64_t v)
{
    uint8_t out[9];
    size_t n;
    if (v < (1u << 6)) {
        out[0] = (uint8_t)(v << 2);
        n = 1;
    } else if (v < (1u << 14)) {
        uint64_t e = (v << 2) | 1u;
        out[0] = (uint8_t)e;
        out[1] = (uint8_t)(e >> 8);
        n = 2;
    } else if (v < (1u << 30)) {
        uint64_t e = (v << 2) | 2u;
        for (size_t i = 0; i < 4; i++) {
            out[i] = (uint8_t)(e >> (8 * i));
        }
        n = 4;
    } else {
        size_t k = 4;
        while (k < 8 && (v >> (8 * k)) != 0) {
            k++;
        }
        out[0] = (uint8_t)(((k - 4) << 2) | 3u);
        for (size_t i = 0; i < k; i++) {
            out[1 + i] = (uint8_t)(v >> (8 * i));
        }
        n = 1 + k;
    }
    scale_put_raw(b, out, n);
}

void scale_put_bytes(struct scale_buf *b, const void *data, size_t n)
{
    scale_put_compact(b, n);
    scale_put_raw(b, data, n);
}

dstack_err scale_buf_finish(struct scale_buf *b, uint8_t **out, size_t *out_len)
{
    dstack_err err = b->err;
    if (err == DSTACK_OK && b->p == NULL) {
        b->p = malloc(1);
        if (b->p == NULL) {
            err = DSTACK_ENOMEM;
        }
    }
    if (err != DSTACK_OK) {
        free(b->p);
        *out = NULL;
        *out_len = 0;
    } else {
        *out = b->p;
        *out_len = b->len;
    }
    b->p = NULL;
    b->len = b->cap = 0;
    return err;
}
