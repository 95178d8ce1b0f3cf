/* Bounds-checked little-endian reads over a byte buffer: the quote parsers of lib/attest (the
 * agent-side TDX view) and lib/verify (every DCAP version) both walk Intel's DCAP quote layout
 * with it. A read that would step past the end returns NULL/false and leaves pos unchanged.
 * Internal header: not installed. */
#ifndef DSTACK_UTIL_BYTE_READER_H
#define DSTACK_UTIL_BYTE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct byte_reader {
    const uint8_t *p;
    size_t len;
    size_t pos; /* <= len */
};

static inline uint16_t le16_at(const uint8_t *b)
{
    return (uint16_t)(b[0] | (b[1] << 8));
}

static inline uint32_t le32_at(const uint8_t *b)
{
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}

/* The next n bytes, or NULL when fewer remain. */
static inline const uint8_t *br_take(struct byte_reader *r, size_t n)
{
    if (n > r->len - r->pos) {
        return NULL;
    }
    const uint8_t *at = r->p + r->pos;
    r->pos += n;
    return at;
}

static inline bool br_u16(struct byte_reader *r, uint16_t *out)
{
    const uint8_t *b = br_take(r, 2);
    if (b != NULL) {
        *out = le16_at(b);
    }
    return b != NULL;
}

static inline bool br_u32(struct byte_reader *r, uint32_t *out)
{
    const uint8_t *b = br_take(r, 4);
    if (b != NULL) {
        *out = le32_at(b);
    }
    return b != NULL;
}

#endif
