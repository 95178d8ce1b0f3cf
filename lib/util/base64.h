/* Base64 (RFC 4648): the standard alphabet with padding, or URL-safe without padding. */
#ifndef DSTACK_UTIL_BASE64_H
#define DSTACK_UTIL_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Encoded length of len bytes, without the NUL. */
size_t base64_encoded_len(size_t len, bool url_nopad);

/* Writes the encoding and a NUL into out (capacity >= base64_encoded_len + 1). */
void base64_encode(const uint8_t *in, size_t len, bool url_nopad, char *out);

#endif
