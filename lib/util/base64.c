#include "util/base64.h"

#include <stdlib.h>

#include "util/error.h"

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t base64_encoded_len(size_t len, bool url_nopad)
{
    size_t full = len / 3 * 4;
    size_t rem = len % 3;
    if (rem == 0) {
        return full;
    }
    return full + (url_nopad ? rem + 1 : 4);
}

void base64_encode(const uint8_t *in, size_t len, bool url_nopad, char *out)
{
    const char *alphabet = url_nopad ? b64_url : b64_std;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        size_t rem = len - i;
        uint32_t v = (uint32_t)in[i] << 16;
        if (rem > 1) {
            v |= (uint32_t)in[i + 1] << 8;
        }
        if (rem > 2) {
            v |= in[i + 2];
        }
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        if (rem > 1) {
            out[o++] = alphabet[(v >> 6) & 63];
        } else if (!url_nopad) {
            out[o++] = '=';
        }
        if (rem > 2) {
            out[o++] = alphabet[v & 63];
        } else if (!url_nopad) {
            out[o++] = '=';
        }
    }
    out[o] = '\0';
}

char *base64_encode_alloc(const uint8_t *in, size_t len, bool url_nopad)
{
    if (len / 3 > (SIZE_MAX - 5) / 4) { /* 4 per 3 bytes, a last group of 4 and the NUL */
        return NULL;
    }
    char *out = malloc(base64_encoded_len(len, url_nopad) + 1);
    if (out != NULL) {
        base64_encode(in, len, url_nopad, out);
    }
    return out;
}

size_t base64_decoded_max(size_t len)
{
    return len / 4 * 3;
}

/* The 6 bits c stands for in the standard alphabet, or -1. */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    return c == '/' ? 63 : -1;
}

dstack_err base64_decode(const char *in, size_t len, uint8_t *out, size_t *out_len)
{
    *out_len = 0;
    if (len % 4 != 0) {
        return err_set(DSTACK_EFORMAT, "base64: length %zu is not a multiple of 4", len);
    }
    size_t pad = 0;
    if (len > 0 && in[len - 1] == '=') {
        pad = in[len - 2] == '=' ? 2 : 1;
    }
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        size_t data = i + 4 == len ? 4 - pad : 4; /* characters carrying bits in this group */
        uint32_t w = 0;
        for (size_t k = 0; k < 4; k++) {
            int v = k < data ? b64_value((unsigned char)in[i + k]) : 0;
            if (v < 0) {
                return err_set(DSTACK_EFORMAT, "base64: %s at offset %zu",
                               in[i + k] == '=' ? "padding before the end" : "invalid character",
                               i + k);
            }
            w = w << 6 | (uint32_t)v;
        }
        /* Canonical encodings only: the bits a padded group drops must be zero, so that each
         * byte string has one encoding (the crate's decode_allow_trailing_bits = false). */
        if ((data == 2 && (w & 0xffff) != 0) || (data == 3 && (w & 0xff) != 0)) {
            return err_set(DSTACK_EFORMAT,
                           "base64: non-zero bits after the last byte at offset %zu", i + data - 1);
        }
        out[o++] = (uint8_t)(w >> 16);
        if (data > 2) {
            out[o++] = (uint8_t)(w >> 8);
        }
        if (data > 3) {
            out[o++] = (uint8_t)w;
        }
    }
    *out_len = o;
    return DSTACK_OK;
}

dstack_err base64_decode_alloc(const char *in, size_t len, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (len == 0) {
        return DSTACK_OK;
    }
    uint8_t *buf = malloc(base64_decoded_max(len));
    if (buf == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    dstack_err err = base64_decode(in, len, buf, out_len);
    if (err != DSTACK_OK) {
        free(buf);
        return err;
    }
    *out = buf;
    return DSTACK_OK;
}
