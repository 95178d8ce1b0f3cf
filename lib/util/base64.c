#include "util/base64.h"

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
