#include "util/hex.h"

#include <stdlib.h>
#include <string.h>

static const char hex_digits[] = "0123456789abcdef";

void hex_encode(const uint8_t *in, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex_digits[in[i] >> 4];
        out[2 * i + 1] = hex_digits[in[i] & 0x0f];
    }
    out[2 * len] = '\0';
}

char *hex_encode_alloc(const uint8_t *in, size_t len)
{
    if (len > (SIZE_MAX - 1) / 2) {
        return NULL;
    }
    char *out = malloc(2 * len + 1);
    if (out != NULL) {
        hex_encode(in, len, out);
    }
    return out;
}

/* Branch-free on the digit value so key material does not leak through timing. */
static int hex_nibble(unsigned char c)
{
    int d = c - '0';
    int l = (c | 0x20) - 'a' + 10;
    int is_d = ((d >= 0) & (d <= 9));
    int is_l = ((l >= 10) & (l <= 15));
    return (is_d * d) | (is_l * l) | ((1 - (is_d | is_l)) * -1);
}

const char *hex_skip_prefix(const char *in, size_t *len)
{
    while (*len >= 2 && in[0] == '0' && (in[1] == 'x' || in[1] == 'X')) {
        in += 2;
        *len -= 2;
    }
    return in;
}

dstack_err hex_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
    in = hex_skip_prefix(in, &in_len);
    if (in_len % 2 != 0) {
        return DSTACK_EFORMAT;
    }
    if (in_len / 2 > cap) {
        return DSTACK_EINVAL;
    }
    int bad = 0;
    for (size_t i = 0; i < in_len / 2; i++) {
        int hi = hex_nibble((unsigned char)in[2 * i]);
        int lo = hex_nibble((unsigned char)in[2 * i + 1]);
        bad |= (hi | lo) & 0x100;                                         /* -1 has every bit set */
        out[i] = (uint8_t)(((unsigned)hi << 4) | ((unsigned)lo & 0x0fu)); /* no UB shift of -1 */
    }
    if (bad) {
        return DSTACK_EFORMAT;
    }
    *out_len = in_len / 2;
    return DSTACK_OK;
}

dstack_err hex_decode_alloc(const char *in, size_t in_len, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    size_t digits = in_len;
    hex_skip_prefix(in, &digits);
    uint8_t *buf = malloc(digits / 2 + 1);
    if (buf == NULL) {
        return DSTACK_ENOMEM;
    }
    dstack_err err = hex_decode(in, in_len, buf, digits / 2 + 1, out_len);
    if (err != DSTACK_OK) {
        free(buf);
        return err;
    }
    *out = buf;
    return DSTACK_OK;
}

/* Digit value + 1 per byte; 0 for a byte that is no hex digit. */
static const uint8_t digit_plus_one[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

dstack_err hex_decode_public_alloc(const char *in, size_t in_len, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    in = hex_skip_prefix(in, &in_len);
    if (in_len % 2 != 0) {
        return DSTACK_EFORMAT;
    }
    uint8_t *buf = malloc(in_len / 2 + 1);
    if (buf == NULL) {
        return DSTACK_ENOMEM;
    }
    const unsigned char *s = (const unsigned char *)in;
    unsigned bad = 0;
    for (size_t i = 0; i < in_len / 2; i++) {
        unsigned hi = digit_plus_one[s[2 * i]], lo = digit_plus_one[s[2 * i + 1]];
        bad |= (hi == 0) | (lo == 0);
        buf[i] = (uint8_t)(((hi - 1) << 4) | ((lo - 1) & 0x0fu));
    }
    if (bad) {
        free(buf);
        return DSTACK_EFORMAT;
    }
    *out = buf;
    *out_len = in_len / 2;
    return DSTACK_OK;
}
