/* What the scanner (json_scan.c) tells the parser (json_parse.c) and the readers (json_get.c). */
#ifndef DSTACK_JSON_INTERNAL_H
#define DSTACK_JSON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "json/json.h"

/* cJSON type bits above its own (cJSON_IsReference 256, cJSON_StringIsConst 512); cJSON tests
 * types with (type & 0xFF), so they ride along unnoticed. */
#define JSON_T_LEN 0x1000   /* string: valueint holds the byte length (it carries U+0000) */
#define JSON_T_FLOAT 0x2000 /* number: written with a fraction or an exponent */

#define JSON_NUMBER_MAX_CHARS 63 /* cJSON's parse_number copies at most 63 characters */
#define JSON_PLAIN_STRING_MIN 32 /* a plain string this long is copied whole, past cJSON */

/* A token the tree needs to know about, by its ordinal among the strings (keys and values)
 * or among the numbers, in document order. */
struct json_mark {
    size_t ordinal;
    size_t offset, len; /* the literal in the text */
    size_t decoded_len; /* strings: bytes after unescaping */
    bool is_float;      /* numbers */
    bool is_string;     /* rewrites: a plain string's contents (else a long number) */
    bool escaped;       /* plain strings: holds two-character escapes (\n, \", ...), no \u */
};

struct json_marks {
    struct json_mark *v;
    size_t n, cap;
};

struct json_scan {
    struct json_marks strings; /* strings with U+0000 (JSON_KEEP_NUL only) */
    struct json_marks numbers; /* float literals, integers of 16 or more digits */
    /* What the text handed to cJSON leaves out, in document order: number literals longer than
     * cJSON reads (63 characters), and the contents of long strings without \u escapes, which
     * cJSON would copy byte by byte and the walk copies in runs (plain_strings). */
    struct json_marks rewrites;
    struct json_marks plain_strings;
};

/* Checks the lexical rules cJSON leaves open. false with err filled (text and position). */
bool json_scan_text(const char *text, size_t len, unsigned flags, struct json_scan *out,
                    struct json_error *err);
void json_scan_free(struct json_scan *s);

/* The byte offset of the last byte of the n-th string (0-based, keys included), for errors. */
size_t json_scan_string_end(const char *text, size_t len, size_t n);
/* The byte offset of the n-th number literal. */
size_t json_scan_number_at(const char *text, size_t len, size_t n);

/* Fills err->text from fmt and err->line/column from the offset. */
void json_error_at(struct json_error *err, const char *text, size_t len, size_t pos,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
