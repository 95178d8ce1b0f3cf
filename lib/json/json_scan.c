/* The lexical pass before cJSON: everything cJSON accepts but RFC 8259 and serde do not (invalid
 * UTF-8, control characters in strings, lone surrogates, U+0000, "01", "1.", BOM, stray
 * bytes), and the tokens the tree must learn about (strings carrying U+0000, float literals,
 * integers too long for a double). One pass, eight bytes at a time inside strings. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json_internal.h"
#include "util/utf8.h"

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
#define EXACT_DIGITS 15 /* every integer of 15 digits is exact in a double */

struct scanner {
    const uint8_t *s;
    size_t len, i;
    unsigned flags;
    uint8_t objects[JSON_MAX_DEPTH / 8 + 1]; /* bit per depth: 1 = object, 0 = array */
    size_t depth;
    bool expect_key;
    size_t n_strings, n_numbers;
    size_t want_string, want_number, found; /* locating a token for an error message */
    struct json_scan *out;
    struct json_error *err;
    bool failed;
};

void json_error_at(struct json_error *err, const char *text, size_t len, size_t pos,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    err->kind = JSON_E_SYNTAX;
    if (pos > len) {
        pos = len;
    }
    int line = 1, column = 0;
    for (size_t i = 0; i < pos + (pos < len); i++) {
        if (text[i] == '\n') {
            line++;
            column = 0;
        } else if (((uint8_t)text[i] & 0xc0) != 0x80) {
            column++; /* characters, not bytes, as jansson counts */
        }
    }
    err->line = line;
    err->column = column;
    err->position = pos;
}

static bool fail(struct scanner *sc, size_t pos, const char *what)
{
    sc->failed = true;
    if (sc->err != NULL) {
        json_error_at(sc->err, (const char *)sc->s, sc->len, pos, "%s", what);
    }
    return false;
}

static bool fail_byte(struct scanner *sc, size_t pos, const char *what)
{
    sc->failed = true;
    if (sc->err != NULL) {
        json_error_at(sc->err, (const char *)sc->s, sc->len, pos, "%s 0x%02x", what, sc->s[pos]);
        if (sc->s[pos] >= 0x80) {
            sc->err->kind = JSON_E_UTF8;
        }
    }
    return false;
}

static bool fail_kind(struct scanner *sc, size_t pos, const char *what, enum json_error_kind kind)
{
    fail(sc, pos, what);
    if (sc->err != NULL) {
        sc->err->kind = kind;
    }
    return false;
}

static bool mark(struct scanner *sc, struct json_marks *m, struct json_mark v)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 8;
        struct json_mark *p = realloc(m->v, cap * sizeof *p);
        if (p == NULL) {
            return fail_kind(sc, sc->i, "out of memory", JSON_E_MEMORY);
        }
        m->v = p;
        m->cap = cap;
    }
    m->v[m->n++] = v;
    return true;
}

/* Sixteen bytes per step in the compiler's vector type (SSE2 here, NEON on Arm). */
typedef uint8_t bytes16 __attribute__((vector_size(16)));

/* A mark (0xff) on each of the 16 bytes at p that needs a look: '"', '\\', a control character,
 * or above 0x7f; bytes 0-7 in half[0], 8-15 in half[1]. The long hex and base64 strings of
 * quotes and certificates pass 16 bytes at a few instructions. */
static void special16(const uint8_t *p, uint64_t half[2])
{
    bytes16 v;
    memcpy(&v, p, sizeof v);
    bytes16 special =
        (bytes16)(v == '"') | (bytes16)(v == '\\') | (bytes16)(v < 0x20) | (bytes16)(v > 0x7f);
    memcpy(half, &special, 2 * sizeof half[0]);
}

/* Any byte of w that needs a look: '"', '\\', a control character, or above 0x7f. */
static uint64_t special_bytes(uint64_t w)
{
    uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');
    return ((q - ONES) & ~q) | ((b - ONES) & ~b) | ((w - ONES * 0x20) & ~w) | w;
}

static int hex4(const uint8_t *p)
{
    int v = 0;
    for (int k = 0; k < 4; k++) {
        uint8_t c = p[k];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) {
            return -1;
        }
        v = v * 16 + d;
    }
    return v;
}

/* A \u escape at s[i] ('\\'): its length in the text (6 or 12) and in UTF-8 (*bytes), 0 on error
 * (reported). */
static size_t unicode_escape(struct scanner *sc, size_t i, bool is_key, bool *nul, size_t *bytes)
{
    const uint8_t *s = sc->s;
    int cp = sc->len - i >= 6 ? hex4(s + i + 2) : -1;
    if (cp < 0) {
        return fail(sc, i, "invalid \\u escape: four hex digits expected"), 0;
    }
    if (cp >= 0xdc00 && cp <= 0xdfff) {
        return fail(sc, i, "invalid Unicode escape: lone low surrogate"), 0;
    }
    if (cp >= 0xd800 && cp <= 0xdbff) {
        int lo = sc->len - i >= 12 && s[i + 6] == '\\' && s[i + 7] == 'u' ? hex4(s + i + 8) : -1;
        if (lo < 0xdc00 || lo > 0xdfff) {
            return fail(sc, i, "invalid Unicode escape: lone high surrogate"), 0;
        }
        *bytes = 4;
        return 12;
    }
    if (cp == 0) {
        if (is_key || !(sc->flags & JSON_KEEP_NUL)) {
            return fail_kind(sc, i, "\\u0000 is not allowed in a string", JSON_E_NUL), 0;
        }
        *nul = true;
    }
    *bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
    return 6;
}

static bool simple_escape(uint8_t e)
{
    switch (e) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
        return true;
    default:
        return false;
    }
}

/* The end of the run of plain ASCII string bytes (no quote, backslash, control or high byte)
 * from i: 16 bytes a step, and within the 16 that end the run, straight to the first byte that
 * needs a look (an event log's escaped quotes come every few dozen bytes); then 8 bytes at a
 * time and bytewise for the tail. */
static inline size_t skip_plain(const uint8_t *s, size_t i, size_t len)
{
    while (len - i >= 16) {
        uint64_t half[2];
        special16(s + i, half);
        if ((half[0] | half[1]) == 0) {
            i += 16;
            continue;
        }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* the lowest marked byte is the first in memory */
        return i + (half[0] != 0 ? (size_t)__builtin_ctzll(half[0]) / 8
                                 : 8 + (size_t)__builtin_ctzll(half[1]) / 8);
#else
        break;
#endif
    }
    while (len - i >= 8) {
        uint64_t w;
        memcpy(&w, s + i, sizeof w);
        if ((special_bytes(w) & HIGHS) != 0) {
            break;
        }
        i += 8;
    }
    while (i < len && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\') {
        i++;
    }
    return i;
}

static bool scan_string(struct scanner *sc)
{
    const uint8_t *s = sc->s;
    size_t start = sc->i, i = start + 1, decoded = 0;
    bool is_key = sc->expect_key, nul = false, escaped = false, unicode = false;
    for (;;) {
        size_t run = i;
        i = skip_plain(s, i, sc->len);
        decoded += i - run;
        if (i >= sc->len) {
            return fail(sc, sc->len, "premature end of input in a string");
        }
        uint8_t c = s[i];
        if (c == '"') {
            break;
        }
        if (c < 0x20) {
            return fail_byte(sc, i, "control character");
        }
        if (c >= 0x80) {
            size_t n = utf8_char_len(s + i, sc->len - i);
            if (n == 0) {
                return fail_byte(sc, i, "unable to decode byte");
            }
            i += n;
            decoded += n;
            continue;
        }
        /* an escape */
        escaped = true;
        uint8_t e = i + 1 < sc->len ? s[i + 1] : 0;
        if (e == 'u') {
            unicode = true;
            size_t bytes = 0, n = unicode_escape(sc, i, is_key, &nul, &bytes);
            if (n == 0) {
                return false;
            }
            i += n;
            decoded += bytes;
        } else if (simple_escape(e)) {
            i += 2;
            decoded++;
        } else {
            return fail(sc, i, "invalid escape");
        }
    }
    size_t ordinal = sc->n_strings++;
    if (ordinal == sc->want_string) {
        sc->found = i;
        return false;
    }
    sc->expect_key = false;
    sc->i = i + 1;
    if (!unicode && i - start - 1 >= JSON_PLAIN_STRING_MIN && sc->out != NULL) {
        struct json_mark m = {.ordinal = ordinal,
                              .offset = start + 1,
                              .len = i - start - 1,
                              .decoded_len = decoded,
                              .is_string = true,
                              .escaped = escaped};
        if (!mark(sc, &sc->out->rewrites, m) || !mark(sc, &sc->out->plain_strings, m)) {
            return false;
        }
    }
    if (nul && sc->out != NULL) {
        struct json_mark m = {
            .ordinal = ordinal, .offset = start, .len = i + 1 - start, .decoded_len = decoded};
        return mark(sc, &sc->out->strings, m);
    }
    return true;
}

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static size_t digits(const struct scanner *sc, size_t i)
{
    while (i < sc->len && is_digit(sc->s[i])) {
        i++;
    }
    return i;
}

/* RFC 8259 section 6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and nothing glued after. */
static bool scan_number(struct scanner *sc)
{
    const uint8_t *s = sc->s;
    size_t start = sc->i, i = start + (s[start] == '-');
    bool is_float = false;
    if (i >= sc->len || !is_digit(s[i])) {
        return fail(sc, start, "invalid number");
    }
    size_t int_start = i;
    i = s[i] == '0' ? i + 1 : digits(sc, i);
    size_t int_digits = i - int_start;
    if (i < sc->len && s[i] == '.') {
        is_float = true;
        if (i + 1 >= sc->len || !is_digit(s[i + 1])) {
            return fail(sc, start, "invalid number");
        }
        i = digits(sc, i + 1);
    }
    if (i < sc->len && (s[i] == 'e' || s[i] == 'E')) {
        is_float = true;
        i++;
        if (i < sc->len && (s[i] == '+' || s[i] == '-')) {
            i++;
        }
        if (i >= sc->len || !is_digit(s[i])) {
            return fail(sc, start, "invalid number");
        }
        i = digits(sc, i);
    }
    if (i < sc->len && (is_digit(s[i]) || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
                        s[i] == '+' || s[i] == '-')) {
        return fail(sc, start, "invalid number");
    }
    size_t ordinal = sc->n_numbers++;
    if (ordinal == sc->want_number) {
        sc->found = start;
        return false;
    }
    sc->i = i;
    if (i - start > JSON_NUMBER_MAX_CHARS && sc->out != NULL) {
        struct json_mark m = {.ordinal = ordinal, .offset = start, .len = i - start};
        if (!mark(sc, &sc->out->rewrites, m)) {
            return false;
        }
    }
    if ((is_float || int_digits > EXACT_DIGITS) && sc->out != NULL) {
        struct json_mark m = {
            .ordinal = ordinal, .offset = start, .len = i - start, .is_float = is_float};
        return mark(sc, &sc->out->numbers, m);
    }
    return true;
}

static bool scan_literal(struct scanner *sc)
{
    static const char *const words[] = {"true", "false", "null"};
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++) {
        size_t n = strlen(words[k]);
        if (sc->len - sc->i >= n && memcmp(sc->s + sc->i, words[k], n) == 0) {
            sc->i += n;
            return true;
        }
    }
    return fail(sc, sc->i, "invalid token");
}

static bool in_object(const struct scanner *sc)
{
    return sc->depth > 0 && (sc->objects[(sc->depth - 1) / 8] >> ((sc->depth - 1) % 8) & 1);
}

static bool open_container(struct scanner *sc, bool object)
{
    if (sc->depth >= JSON_MAX_DEPTH) {
        return fail_kind(sc, sc->i, "maximum nesting depth exceeded", JSON_E_DEPTH);
    }
    uint8_t bit = (uint8_t)(1u << (sc->depth % 8));
    if (object) {
        sc->objects[sc->depth / 8] |= bit;
    } else {
        sc->objects[sc->depth / 8] &= (uint8_t)~bit;
    }
    sc->depth++;
    sc->expect_key = object;
    sc->i++;
    return true;
}

static bool scan_token(struct scanner *sc)
{
    uint8_t c = sc->s[sc->i];
    switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
        sc->i++;
        return true;
    case '{':
    case '[':
        return open_container(sc, c == '{');
    case '}':
    case ']':
        sc->depth -= sc->depth > 0;
        sc->expect_key = false;
        sc->i++;
        return true;
    case ':':
        sc->expect_key = false;
        sc->i++;
        return true;
    case ',':
        sc->expect_key = in_object(sc);
        sc->i++;
        return true;
    case '"':
        return scan_string(sc);
    case 't':
    case 'f':
    case 'n':
        return scan_literal(sc);
    default:
        if (c == '-' || is_digit(c)) {
            return scan_number(sc);
        }
        if (c >= 0x80 && utf8_char_len(sc->s + sc->i, sc->len - sc->i) == 0) {
            return fail_byte(sc, sc->i, "unable to decode byte");
        }
        return fail(sc, sc->i, "invalid token");
    }
}

static void scanner_init(struct scanner *sc, const char *text, size_t len, unsigned flags)
{
    memset(sc, 0, sizeof *sc);
    sc->s = (const uint8_t *)text;
    sc->len = len;
    sc->flags = flags;
    sc->want_string = sc->want_number = SIZE_MAX;
    sc->found = len;
}

bool json_scan_text(const char *text, size_t len, unsigned flags, struct json_scan *out,
                    struct json_error *err)
{
    struct scanner sc;
    scanner_init(&sc, text, len, flags);
    sc.out = out;
    sc.err = err;
    const uint8_t *t = sc.s;
    while (sc.i < len) {
        uint8_t c = t[sc.i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') { /* indentation: no call */
            sc.i++;
        } else if (!scan_token(&sc)) {
            return false;
        }
    }
    if (sc.depth > 0) { /* an object or array still open: jansson's words, which callers saw */
        return fail(&sc, len,
                    in_object(&sc) ? "'}' expected near end of file"
                                   : "']' expected near end of file");
    }
    return true;
}

void json_scan_free(struct json_scan *s)
{
    free(s->strings.v);
    free(s->numbers.v);
    free(s->rewrites.v);
    free(s->plain_strings.v);
    memset(s, 0, sizeof *s);
}

size_t json_scan_string_end(const char *text, size_t len, size_t n)
{
    struct scanner sc;
    scanner_init(&sc, text, len, JSON_KEEP_NUL);
    sc.want_string = n;
    while (sc.i < len && scan_token(&sc)) {
    }
    return sc.found;
}

size_t json_scan_number_at(const char *text, size_t len, size_t n)
{
    struct scanner sc;
    scanner_init(&sc, text, len, JSON_KEEP_NUL);
    sc.want_number = n;
    while (sc.i < len && scan_token(&sc)) {
    }
    return sc.found;
}
