/* Hex encoding as the wire uses it: lowercase out; in, optional "0x" prefixes and either case. */
#ifndef DSTACK_UTIL_HEX_H
#define DSTACK_UTIL_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

/* Writes 2*len lowercase hex digits and a NUL into out (capacity >= 2*len+1). */
void hex_encode(const uint8_t *in, size_t len, char *out);

/* Returns a malloc'd NUL-terminated lowercase hex string, or NULL on allocation failure. */
char *hex_encode_alloc(const uint8_t *in, size_t len);

/* Decodes hex of length in_len (leading "0x"/"0X" prefixes, repeated, are skipped, as upstream's
 * prpc-serde-bytes does). Writes at most cap bytes to out and the decoded length to *out_len.
 * DSTACK_EFORMAT on odd length or a non-hex digit; DSTACK_EINVAL when the result exceeds cap. */
dstack_err hex_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len);

/* hex_decode into a malloc'd buffer (NULL data and 0 length for empty input are allowed). */
dstack_err hex_decode_alloc(const char *in, size_t in_len, uint8_t **out, size_t *out_len);

/* hex_decode_alloc for bytes that are not secret (quotes, attestations, signatures, public
 * keys): a table lookup per digit, several times faster than the constant-time decoder, whose
 * timing does not depend on the digits. Same rules and errors. */
dstack_err hex_decode_public_alloc(const char *in, size_t in_len, uint8_t **out, size_t *out_len);

/* The hex text after its "0x" prefixes, for error messages about the digits themselves. */
const char *hex_skip_prefix(const char *in, size_t *len);

#endif
