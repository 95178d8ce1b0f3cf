#include "sc_hex.h"

#include <stdint.h>
#include <string.h>

/* Sixteen bytes per step in the compiler's vector type (SSE2 on x86-64, NEON on Arm): the quote
 * and attestation are ~21 KB of hex per answer, and a table lookup per byte was a third of a
 * /quote's instructions in the sidecar. */
typedef uint8_t bytes16 __attribute__((vector_size(16)));

static bool is_hex(char c, bool lower)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (!lower && c >= 'A' && c <= 'F');
}

bool sc_hex_digits(const char *s, size_t n, bool lower)
{
    /* all ones: uppercase letters never pass */
    const bytes16 upper_off = lower ? (bytes16){0} - 1 : (bytes16){0};
    bytes16 bad = {0};
    size_t i = 0;
    for (; n - i >= 16; i += 16) {
        bytes16 v;
        memcpy(&v, s + i, sizeof v);
        /* unsigned bytes: c - '0' > 9 holds below '0' too, as it wraps */
        bad |= (bytes16)((v - '0') > 9) & (bytes16)((v - 'a') > 5) &
               ((bytes16)((v - 'A') > 5) | upper_off);
    }
    uint64_t half[2];
    memcpy(half, &bad, sizeof half);
    if ((half[0] | half[1]) != 0) {
        return false;
    }
    for (; i < n; i++) {
        if (!is_hex(s[i], lower)) {
            return false;
        }
    }
    return n % 2 == 0;
}
