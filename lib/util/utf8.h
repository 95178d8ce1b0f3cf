/* UTF-8 validation, the one validator of the project (JSON text, SCALE strings, event names,
 * query values, request fields). */
#ifndef DSTACK_UTIL_UTF8_H
#define DSTACK_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 3629 UTF-8, as Rust's str::from_utf8 and JSON.parse's input require: no overlong forms, no
 * UTF-16 surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence. NUL bytes
 * are valid UTF-8 (callers that refuse them say so). */
bool utf8_valid(const void *s, size_t len);

/* The length of the one valid character that starts at s (first byte >= 0x80) within avail
 * bytes, or 0 when it is not valid UTF-8 there. */
size_t utf8_char_len(const void *s, size_t avail);

/* The length of the longest valid prefix of s: len when utf8_valid(s, len). */
size_t utf8_valid_prefix(const void *s, size_t len);

#endif
