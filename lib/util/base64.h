/* Base64 (RFC 4648): the standard alphabet with padding, or URL-safe without padding. The one
 * codec of the project: upstream's runtime event payloads and vm_config measurements (the base64
 * crate's STANDARD engine), PEM bodies, log messages and the dip1 report-data key. */
#ifndef DSTACK_UTIL_BASE64_H
#define DSTACK_UTIL_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

/* Encoded length of len bytes, without the NUL. */
size_t base64_encoded_len(size_t len, bool url_nopad);

/* Writes the encoding and a NUL into out (capacity >= base64_encoded_len + 1). */
void base64_encode(const uint8_t *in, size_t len, bool url_nopad, char *out);

/* The same into a new malloc'd string; NULL on OOM or a length whose encoding overflows. */
char *base64_encode_alloc(const uint8_t *in, size_t len, bool url_nopad);

/* Room the decoding of len characters needs: len / 4 * 3. */
size_t base64_decoded_max(size_t len);

/* Strict decoder of the standard alphabet with padding, as the base64 crate's STANDARD engine
 * (RequireCanonical padding, no trailing bits) that upstream decodes with: the length a multiple
 * of 4, '=' only as the last one or two characters, the bits a padded group drops zero. Anything
 * else, whitespace and line breaks included, is DSTACK_EFORMAT with the error text naming the
 * offset (never the input: it may be key material); callers of PEM bodies drop the line breaks
 * first. Writes the bytes into out (capacity >= base64_decoded_max(len)) and their count into
 * *out_len; on failure out may hold some bytes already (wipe it when they are secret). */
dstack_err base64_decode(const char *in, size_t len, uint8_t *out, size_t *out_len);

/* The same into a new malloc'd buffer (*out NULL for an empty input); DSTACK_ENOMEM too. */
dstack_err base64_decode_alloc(const char *in, size_t len, uint8_t **out, size_t *out_len);

#endif
