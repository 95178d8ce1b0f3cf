/* TOML values: strings, integers, booleans and arrays (toml.io 1.0.0, "String", "Integer",
 * "Boolean", "Array"). The rest of TOML's values are refused by name. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_toml_priv.h"

struct strbuf {
    char *b;
    size_t len, cap;
};

static bool sb_put(struct strbuf *s, const char *p, size_t n)
{
    if (n >= s->cap - s->len) {
        size_t cap = (s->cap + n) * 2 + 16; /* room for the NUL even when s and n are empty */
        char *b = realloc(s->b, cap);
        if (b == NULL) {
            return false;
        }
        s->b = b;
        s->cap = cap;
    }
    memcpy(s->b + s->len, p, n);
    s->len += n;
    s->b[s->len] = '\0';
    return true;
}

static size_t utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* \uXXXX or \UXXXXXXXX at t->p (after the backslash and the letter): a Unicode scalar value. */
static bool unicode_escape(struct toml *t, size_t digits, struct strbuf *s)
{
    uint32_t cp = 0;
    for (size_t i = 0; i < digits; i++) {
        int d = t->p < t->end ? hex_digit(*t->p) : -1;
        if (d < 0) {
            return toml_fail(t, "expected %zu hex digits after \\%c", digits,
                             digits == 4 ? 'u' : 'U');
        }
        cp = cp << 4 | (uint32_t)d;
        t->p++;
    }
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        t->p -= digits;
        return toml_fail(t, "expected a Unicode scalar value (not a surrogate, at most 10FFFF)");
    }
    char enc[4];
    return sb_put(s, enc, utf8_encode(cp, enc)) || toml_fail(t, "out of memory");
}

static bool basic_escape(struct toml *t, struct strbuf *s)
{
    static const char from[] = "btnfr\"\\";
    static const char to[] = "\b\t\n\f\r\"\\";
    t->p++; /* the backslash */
    if (t->p == t->end) {
        return toml_fail(t, "expected an escape after \\");
    }
    char c = *t->p;
    const char *hit = c != '\0' ? strchr(from, c) : NULL;
    if (hit != NULL) {
        t->p++;
        return sb_put(s, &to[hit - from], 1) || toml_fail(t, "out of memory");
    }
    if (c == 'u' || c == 'U') {
        t->p++;
        return unicode_escape(t, c == 'u' ? 4 : 8, s);
    }
    return toml_fail(t, "expected an escape: \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX or \\UXXXXXXXX");
}

bool toml_string(struct toml *t, char **out, size_t *len)
{
    char quote = *t->p;
    bool literal = quote == '\'';
    if (t->end - t->p >= 3 && t->p[1] == quote && t->p[2] == quote) {
        return toml_fail(t, "multi-line strings are not supported: expected a one-line string");
    }
    t->p++;
    struct strbuf s = {0};
    if (!sb_put(&s, "", 0)) {
        return toml_fail(t, "out of memory");
    }
    for (;;) {
        if (t->p == t->end || *t->p == '\n' || *t->p == '\r') {
            free(s.b);
            return toml_fail(t, "expected the closing %c of the string", quote);
        }
        unsigned char c = (unsigned char)*t->p;
        if (c == (unsigned char)quote) {
            t->p++;
            break;
        }
        if (!literal && c == '\\') {
            if (!basic_escape(t, &s)) {
                free(s.b);
                return false;
            }
            continue;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            free(s.b);
            return toml_fail(t, "control character 0x%02x in a string (expected an escape)", c);
        }
        size_t n = toml_utf8_len(t->p, t->end);
        if (n == 0) {
            free(s.b);
            return toml_fail(t, "invalid UTF-8 in a string");
        }
        if (!sb_put(&s, t->p, n)) {
            free(s.b);
            return toml_fail(t, "out of memory");
        }
        t->p += n;
    }
    *out = s.b;
    *len = s.len;
    return true;
}

static bool is_token_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == '+' || c == '-' || c == '.' || c == ':';
}

/* Digits of one base with single underscores between them, into *v (non-negative, checked
 * against limit). */
static bool digits_value(struct toml *t, const char *p, const char *e, unsigned base,
                         uint64_t limit, uint64_t *v)
{
    uint64_t acc = 0;
    bool prev_digit = false;
    for (const char *q = p; q < e; q++) {
        if (*q == '_') {
            if (!prev_digit || q + 1 == e) {
                t->p = q;
                return toml_fail(t, "expected a digit on each side of _");
            }
            prev_digit = false;
            continue;
        }
        int d = hex_digit(*q);
        if (d < 0 || (unsigned)d >= base) {
            t->p = q;
            return toml_fail(t, "expected a base-%u digit", base);
        }
        if (acc > (limit - (uint64_t)d) / base) {
            t->p = p;
            return toml_fail(t, "integer out of range (a signed 64-bit integer)");
        }
        acc = acc * base + (uint64_t)d;
        prev_digit = true;
    }
    if (p == e) {
        t->p = p;
        return toml_fail(t, "expected digits");
    }
    *v = acc;
    return true;
}

static bool integer(struct toml *t, const char *p, const char *e, int64_t *out)
{
    bool neg = *p == '-';
    bool sign = neg || *p == '+';
    const char *d = p + sign;
    uint64_t v = 0;
    if (e - d > 1 && d[0] == '0' && (d[1] == 'x' || d[1] == 'o' || d[1] == 'b')) {
        if (sign) {
            return toml_fail(t, "expected no sign before 0x, 0o or 0b");
        }
        unsigned base = d[1] == 'x' ? 16 : d[1] == 'o' ? 8 : 2;
        if (!digits_value(t, d + 2, e, base, INT64_MAX, &v)) {
            return false;
        }
        *out = (int64_t)v;
        return true;
    }
    if (e - d > 1 && d[0] == '0') {
        t->p = d;
        return toml_fail(t, "expected no leading zero in a decimal integer");
    }
    if (!digits_value(t, d, e, 10, neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX, &v)) {
        return false;
    }
    *out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    return true;
}

/* An integer or a boolean (or a float or date, refused by name). */
static bool bare_value(struct toml *t, struct cfg_node *n)
{
    const char *p = t->p, *e = p;
    while (e < t->end && is_token_char(*e)) {
        e++;
    }
    size_t len = (size_t)(e - p);
    if ((len == 4 && memcmp(p, "true", 4) == 0) || (len == 5 && memcmp(p, "false", 5) == 0)) {
        n->type = CFG_BOOL;
        n->flag = len == 4;
        t->p = e;
        return true;
    }
    const char *unsigned_part = p + (len > 0 && (*p == '+' || *p == '-'));
    bool special = e - unsigned_part == 3 &&
                   (memcmp(unsigned_part, "inf", 3) == 0 || memcmp(unsigned_part, "nan", 3) == 0);
    if (len == 0 || (!special && !((*p >= '0' && *p <= '9') || *p == '+' || *p == '-'))) {
        return toml_fail(t, "expected a value: a string, an integer, a boolean or an array");
    }
    bool is_hex = len > 2 && p[0] == '0' && p[1] == 'x';
    if (memchr(p, ':', len) != NULL || (len >= 8 && p[4] == '-' && p[7] == '-')) {
        return toml_fail(t, "dates and times are not supported: expected an integer");
    }
    if (special || memchr(p, '.', len) != NULL ||
        (!is_hex && (memchr(p, 'e', len) || memchr(p, 'E', len)))) {
        return toml_fail(t, "floats are not supported: expected an integer");
    }
    n->type = CFG_INT;
    if (!integer(t, p, e, &n->num)) {
        return false;
    }
    t->p = e;
    return true;
}

static bool array(struct toml *t, struct cfg_node *arr)
{
    if (++t->depth > TOML_DEPTH_MAX) {
        return toml_fail(t, "arrays nested deeper than %d", TOML_DEPTH_MAX);
    }
    t->p++; /* [ */
    for (;;) {
        if (!toml_skip_ws_lines(t)) {
            return false;
        }
        if (t->p < t->end && *t->p == ']') {
            break;
        }
        struct cfg_node *item = NULL;
        if (!toml_value(t, &item)) {
            return false;
        }
        if (!cfg_node_append(arr, item)) {
            cfg_node_free(item);
            return toml_fail(t, "out of memory");
        }
        if (!toml_skip_ws_lines(t)) {
            return false;
        }
        if (t->p < t->end && *t->p == ',') {
            t->p++;
            continue;
        }
        if (t->p < t->end && *t->p == ']') {
            break;
        }
        return toml_fail(t, "expected , or ] in the array");
    }
    t->p++;
    t->depth--;
    return true;
}

bool toml_value(struct toml *t, struct cfg_node **out)
{
    if (t->p == t->end || *t->p == '\n' || *t->p == '\r' || *t->p == '#') {
        return toml_fail(t, "expected a value: a string, an integer, a boolean or an array");
    }
    struct cfg_node *n = cfg_node_new(CFG_STRING, NULL, 0, t->line, toml_column(t));
    if (n == NULL) {
        return toml_fail(t, "out of memory");
    }
    bool ok;
    switch (*t->p) {
    case '"':
    case '\'':
        ok = toml_string(t, &n->str, &n->str_len);
        break;
    case '[':
        n->type = CFG_ARRAY;
        ok = array(t, n);
        break;
    case '{':
        ok = toml_fail(t, "inline tables are not supported: expected a [table] section");
        break;
    default:
        ok = bare_value(t, n);
        break;
    }
    if (!ok) {
        cfg_node_free(n);
        return false;
    }
    *out = n;
    return true;
}
