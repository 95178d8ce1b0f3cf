/* lib/json: the one module that calls the JSON parser (cJSON). Every JSON text the project reads
 * (agent requests, configuration, SDK answers, the sidecar, CLI inputs, compose files) goes
 * through json_parse, which closes the gaps cJSON leaves open (docs/json.md):
 *   1. the text must be valid UTF-8 (RFC 3629) and RFC 8259 JSON: no control characters in
 *      strings, no BOM, strict number grammar, no trailing content;
 *   2. U+0000 in a string is refused, or with JSON_KEEP_NUL carried with its length
 *      (json_str_len), never silently truncated;
 *   3. integers keep what the double loses: json_u64/json_i64 read the literal itself, refuse
 *      fractions and float literals ("1.0", "1e2") as serde's integer fields do;
 *   4. duplicate keys are refused (serde's derived structs), or with JSON_DUPS_LAST resolved as
 *      JSON.parse does: the last value at the first key's position.
 * Trees are plain cJSON trees: read them with the accessors below (or cJSON_* for walking),
 * free them with json_free. Text is written with json_dump (jansson-compatible bytes) or the
 * capped writer json_out_*. */
#ifndef DSTACK_JSON_JSON_H
#define DSTACK_JSON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* ---- parsing ------------------------------------------------------------------------------ */

#define JSON_DUPS_LAST 0x1u /* JSON.parse: a repeated key's last value, at the first's position */
#define JSON_KEEP_NUL 0x2u  /* U+0000 in string values is kept (json_str_len); keys still refuse */
#define JSON_HUGE_INF 0x4u  /* 1e400 reads as Infinity (JSON.parse); by default it is refused */
#define JSON_DUPS_KEEP 0x8u /* every duplicate stays in the tree, for a caller that names it */
#define JSON_PARSE_JS (JSON_DUPS_LAST | JSON_KEEP_NUL | JSON_HUGE_INF)

#define JSON_MAX_DEPTH 1000 /* cJSON's nesting limit (CJSON_NESTING_LIMIT) */

/* Why a text was refused, for callers that word it their own way. */
enum json_error_kind {
    JSON_E_SYNTAX, /* RFC 8259 grammar, including escapes and number literals */
    JSON_E_UTF8,   /* not UTF-8 */
    JSON_E_NUL,    /* \u0000 where it is refused */
    JSON_E_DUP,    /* a repeated key */
    JSON_E_RANGE,  /* a number beyond the double range */
    JSON_E_DEPTH,  /* nested deeper than JSON_MAX_DEPTH */
    JSON_E_MEMORY,
};

struct json_error {
    enum json_error_kind kind;
    char text[160]; /* "duplicate object key near '\"path\"'": never longer, never NULL */
    int line;       /* 1-based line and column (in characters) of the error, 0 if none */
    int column;
    size_t position; /* byte offset */
};

/* Parses len bytes of JSON text (any value at the top). NULL on failure, err (may be NULL)
 * filled. The text need not be NUL-terminated. flags: JSON_* above, 0 for serde's rules. */
cJSON *json_parse(const char *text, size_t len, unsigned flags, struct json_error *err);

/* json_parse of a NUL-terminated text; NULL text gives NULL (err: "no JSON text"). */
cJSON *json_parse_str(const char *text, unsigned flags, struct json_error *err);

/* json_parse of a regular file of at most max bytes; err->text names the file when it cannot be
 * read ("<path>: <reason>", line 0). */
cJSON *json_parse_file(const char *path, size_t max, unsigned flags, struct json_error *err);

static inline void json_free(cJSON *v)
{
    cJSON_Delete(v);
}

/* The value of member key of the top-level object of text, written compact (no whitespace
 * outside strings; strings as they are written), malloc'd; the last one when key repeats, as
 * JSON.parse reads it. NULL when absent or out of memory. text must be one json_parse accepted:
 * an SDK answer's event log this way costs a copy instead of a re-encoding. */
char *json_member_compact(const char *text, size_t len, const char *key, size_t *out_len);

/* ---- reading ------------------------------------------------------------------------------ */

/* The member key of object obj (exact, case-sensitive), or NULL (also when obj is no object). */
const cJSON *json_get(const cJSON *obj, const char *key);

/* The string of v, or NULL when v is not a string. */
const char *json_str(const cJSON *v);

/* Bytes of a string value, counting U+0000 carried under JSON_KEEP_NUL; 0 for a non-string. */
size_t json_str_len(const cJSON *v);

/* v is a string equal to s (NUL-terminated) in every byte. */
bool json_str_eq(const cJSON *v, const char *s);

/* The member's string, or NULL when missing or not a string. */
const char *json_get_str(const cJSON *obj, const char *key);

/* d is finite and has no fraction (without libm: libdstack links none). */
static inline bool json_integral(double d)
{
    if (d != d || d - d != 0) { /* NaN, infinity */
        return false;
    }
    double a = d < 0 ? -d : d;
    return a >= 9007199254740992.0 || d == (double)(long long)d; /* from 2^53 every double is */
}

/* v is a number written as an integer literal (no fraction, no exponent). */
bool json_is_int(const cJSON *v);

/* An integer literal within the type's range, read exactly (beyond 2^53 too). false for any
 * other value: a float literal, a fraction, a negative for u64, out of range. */
bool json_u64(const cJSON *v, uint64_t *out);
bool json_i64(const cJSON *v, int64_t *out);

/* The i-th element of an array (NULL past the end). O(i): loops walk with cJSON_ArrayForEach. */
const cJSON *json_at(const cJSON *arr, size_t i);

/* serde's word for v's type in error messages: "map", "sequence", "string", "integer",
 * "floating point", "boolean", "null". */
const char *json_kind(const cJSON *v);

/* The exact literal of a number read from text when it was not a plain integer below 2^53
 * ("18446744073709551615", "1.50"), else NULL: json_dump writes it back as is. */
const char *json_number_text(const cJSON *v);

/* ---- building ----------------------------------------------------------------------------- */

/* A string node of 2*len lowercase hex digits (the wire's bytes encoding), NULL on OOM. */
cJSON *json_hex_string(const uint8_t *bytes, size_t len);

/* A string node of s when it is valid UTF-8 (as jansson's json_string), else NULL. */
cJSON *json_string_utf8(const char *s);

/* A string node holding len bytes that may include U+0000 (json_str_len gives len back). */
cJSON *json_string_len(const char *s, size_t len);

/* Integer nodes that stay exact beyond 2^53 (the literal rides along, json_dump writes it). */
cJSON *json_int_new(int64_t v);
cJSON *json_uint_new(uint64_t v);

/* An object of string members: key, value, key, value, ..., NULL. NULL when a value is NULL or
 * not UTF-8, or on OOM. */
cJSON *json_object_of_strings(const char *key, ...) __attribute__((sentinel));

/* {"key": b}, NULL on OOM. */
cJSON *json_object_of_bool(const char *key, bool b);

/* Adds (or replaces) obj[key] = v, taking v; false (v freed) on OOM or a NULL v/obj. */
bool json_set(cJSON *obj, const char *key, cJSON *v);

/* json_set(obj, key, json_hex_string(b, len)): the one way a byte field becomes hex in JSON. */
bool json_set_hex(cJSON *obj, const char *key, const uint8_t *b, size_t len);

/* Appends v to array arr, taking v; false (v freed) on a NULL. */
bool json_push(cJSON *arr, cJSON *v);

/* ---- writing: one capped writer ----------------------------------------------------------- */

#define JSON_OUT_MAX (64u * 1024u * 1024u)

struct json_out {
    char *data; /* NUL-terminated when not failed; owned, free with json_out_free */
    size_t len, cap;
    size_t max;  /* hard cap on len, 0: JSON_OUT_MAX */
    bool failed; /* out of memory or over max: later writes are no-ops */
    bool secret; /* wipe every buffer given up (growth, json_out_free) */
};

/* Room for n more bytes up front (one allocation for an answer of known size). */
void json_out_reserve(struct json_out *o, size_t n);
/* Appends n bytes for the caller to fill and returns where they start; NULL once failed. */
char *json_out_extend(struct json_out *o, size_t n);
void json_out_raw(struct json_out *o, const char *s, size_t n);
void json_out_cstr(struct json_out *o, const char *s); /* raw, NUL-terminated */
/* A string literal with jansson's escapes: \" \\ \b \f \n \r \t, \u00XX for other controls. */
void json_out_string(struct json_out *o, const char *s, size_t n);
void json_out_hex(struct json_out *o, const uint8_t *b, size_t n); /* "<hex>" */
/* Writes v: indent 0 compact ({"a":1,"b":[2]}); indent n as jansson's JSON_INDENT(n). */
void json_out_value(struct json_out *o, const cJSON *v, int indent);
/* Hands out the text (malloc'd, NUL-terminated; *len when len != NULL), or NULL when the
 * writer failed (freed then). */
char *json_out_take(struct json_out *o, size_t *len);
void json_out_free(struct json_out *o);

/* json_out_value into a new malloc'd string, NULL on OOM or a NULL v. */
char *json_dump(const cJSON *v, int indent, size_t *len);

#endif
