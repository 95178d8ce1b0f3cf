/* Minimal CBOR reader (cbor.h): RFC 8949 §3 heads, definite lengths. */
#include "cbor.h"

#define CBOR_MAX_DEPTH 16

bool cbor_head(struct cbor *c, enum cbor_major *major, uint64_t *arg)
{
    if (c->pos >= c->len) {
        return false;
    }
    uint8_t ib = c->p[c->pos++];
    unsigned ai = ib & 0x1fu;
    *major = (enum cbor_major)(ib >> 5);
    if (ai < 24) {
        *arg = ai;
        return true;
    }
    if (ai > 27) {
        return false; /* 28-30 reserved, 31 indefinite length */
    }
    size_t n = (size_t)1 << (ai - 24); /* 1, 2, 4 or 8 bytes, big-endian (§3.1) */
    if (n > c->len - c->pos) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = (v << 8) | c->p[c->pos + i];
    }
    c->pos += n;
    *arg = v;
    return true;
}

bool cbor_string(struct cbor *c, enum cbor_major want, const uint8_t **s, size_t *len)
{
    enum cbor_major major;
    uint64_t n = 0;
    if (!cbor_head(c, &major, &n) || major != want || n > c->len - c->pos) {
        return false;
    }
    *s = c->p + c->pos;
    *len = (size_t)n;
    c->pos += (size_t)n;
    return true;
}

static bool skip_at(struct cbor *c, int depth)
{
    enum cbor_major major;
    uint64_t n = 0;
    if (depth > CBOR_MAX_DEPTH || !cbor_head(c, &major, &n)) {
        return false;
    }
    switch (major) {
    case CBOR_BYTES:
    case CBOR_TEXT:
        if (n > c->len - c->pos) {
            return false;
        }
        c->pos += (size_t)n;
        return true;
    case CBOR_MAP:
        if (n > (c->len - c->pos) / 2) {
            return false; /* every entry takes at least two bytes */
        }
        n *= 2;
        /* fallthrough */
    case CBOR_ARRAY:
        for (uint64_t i = 0; i < n; i++) {
            if (!skip_at(c, depth + 1)) {
                return false;
            }
        }
        return true;
    case CBOR_TAG:
        return skip_at(c, depth + 1);
    default:
        return true; /* integers and simple values carry no content */
    }
}

bool cbor_skip(struct cbor *c)
{
    return skip_at(c, 0);
}
