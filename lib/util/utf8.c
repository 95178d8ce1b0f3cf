#include "util/utf8.h"

#include <stdint.h>
#include <string.h>

/* Bytes above 0x7f in a word of 8: ASCII text, the usual case, skips 8 bytes per test. */
#define HIGH_BITS 0x8080808080808080ull

/* Length of the valid sequence at s[0..avail) that starts with lead byte c (>= 0x80), or 0.
 * The second byte's range carries the rules (Unicode 15 table 3-7): E0 needs A0..BF (no
 * overlong), ED needs 80..9F (no surrogate), F0 needs 90..BF, F4 needs 80..8F (<= U+10FFFF). */
size_t utf8_char_len(const void *p, size_t avail)
{
    const uint8_t *s = p;
    if (avail == 0) {
        return 0;
    }
    uint8_t c = s[0], lo = 0x80, hi = 0xbf;
    size_t n;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0; /* a continuation byte, C0/C1 (overlong) or F5..FF */
    }
    if (avail < n || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
    }
    return n;
}

size_t utf8_valid_prefix(const void *p, size_t len)
{
    const uint8_t *s = p;
    size_t i = 0;
    while (i < len) {
        if (len - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, sizeof w);
            if ((w & HIGH_BITS) == 0) {
                i += 8;
                continue;
            }
        }
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_char_len(s + i, len - i);
        if (n == 0) {
            return i;
        }
        i += n;
    }
    return len;
}

bool utf8_valid(const void *s, size_t len)
{
    return utf8_valid_prefix(s, len) == len;
}
