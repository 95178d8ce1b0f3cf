/* Base58 with the Bitcoin alphabet, as Solana writes public keys (bs58 in @solana/web3.js).
 * Each leading zero byte becomes one '1'; the rest is the big-endian number in base 58.
 * The schoolbook conversion is quadratic, so inputs are capped (DSTACK_BASE58_MAX_INPUT). */
#include <dstack/helpers.h>

#include <string.h>

#include "client/client_internal.h"
#include "util/secret.h"

static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

dstack_err dstack_base58_encode(const uint8_t *data, size_t len, char *out, size_t out_cap)
{
    err_clear();
    if ((data == NULL && len > 0) || out == NULL || out_cap == 0) {
        return err_set(DSTACK_EINVAL, "dstack_base58_encode: NULL argument");
    }
    out[0] = '\0';
    if (len > DSTACK_BASE58_MAX_INPUT) {
        return err_set(DSTACK_EINVAL, "base58 input over %d bytes", DSTACK_BASE58_MAX_INPUT);
    }
    size_t zeros = 0;
    while (zeros < len && data[zeros] == 0) {
        zeros++;
    }
    /* digits[] holds the base-58 number little-endian; log(256)/log(58) < 1.366 */
    uint8_t digits[DSTACK_BASE58_ENCODED_MAX(DSTACK_BASE58_MAX_INPUT)];
    size_t nd = 0;
    for (size_t i = zeros; i < len; i++) {
        unsigned carry = data[i];
        for (size_t j = 0; j < nd; j++) {
            carry += (unsigned)digits[j] << 8;
            digits[j] = (uint8_t)(carry % 58);
            carry /= 58;
        }
        while (carry > 0) {
            digits[nd++] = (uint8_t)(carry % 58);
            carry /= 58;
        }
    }
    if (zeros + nd + 1 > out_cap) {
        secret_wipe(digits, nd);
        return err_set(DSTACK_EINVAL, "base58 output needs %zu bytes, buffer has %zu",
                       zeros + nd + 1, out_cap);
    }
    memset(out, '1', zeros);
    for (size_t j = 0; j < nd; j++) {
        out[zeros + j] = alphabet[digits[nd - 1 - j]];
    }
    out[zeros + nd] = '\0';
    secret_wipe(digits, nd); /* the input may be a secret key */
    return DSTACK_OK;
}

static int digit_value(char c)
{
    const char *p = c != '\0' ? strchr(alphabet, c) : NULL;
    return p != NULL ? (int)(p - alphabet) : -1;
}

dstack_err dstack_base58_decode(const char *text, size_t text_len, uint8_t *out, size_t out_cap,
                                size_t *out_len)
{
    err_clear();
    if ((text == NULL && text_len > 0) || out_len == NULL || (out == NULL && out_cap > 0)) {
        return err_set(DSTACK_EINVAL, "dstack_base58_decode: NULL argument");
    }
    *out_len = 0;
    if (text_len > DSTACK_BASE58_ENCODED_MAX(DSTACK_BASE58_MAX_INPUT)) {
        return err_set(DSTACK_EINVAL, "base58 text over %d characters",
                       DSTACK_BASE58_ENCODED_MAX(DSTACK_BASE58_MAX_INPUT));
    }
    size_t ones = 0;
    while (ones < text_len && text[ones] == '1') {
        ones++;
    }
    /* bytes[] holds the number little-endian; log(58)/log(256) < 0.733 */
    uint8_t bytes[DSTACK_BASE58_ENCODED_MAX(DSTACK_BASE58_MAX_INPUT)];
    size_t nb = 0;
    dstack_err err = DSTACK_OK;
    for (size_t i = ones; i < text_len; i++) {
        int v = digit_value(text[i]);
        if (v < 0) {
            err = err_set(DSTACK_EFORMAT, "invalid base58 character at offset %zu", i);
            goto out;
        }
        unsigned carry = (unsigned)v;
        for (size_t j = 0; j < nb; j++) {
            carry += (unsigned)bytes[j] * 58u;
            bytes[j] = (uint8_t)(carry & 0xff);
            carry >>= 8;
        }
        while (carry > 0) {
            bytes[nb++] = (uint8_t)(carry & 0xff);
            carry >>= 8;
        }
    }
    if (ones + nb > out_cap) {
        err = err_set(DSTACK_EINVAL, "base58 value needs %zu bytes, buffer has %zu", ones + nb,
                      out_cap);
        goto out;
    }
    if (ones > 0) {
        memset(out, 0, ones);
    }
    for (size_t j = 0; j < nb; j++) {
        out[ones + j] = bytes[nb - 1 - j];
    }
    *out_len = ones + nb;
out:
    secret_wipe(bytes, nb);
    return err;
}
