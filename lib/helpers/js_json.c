/* JSON.stringify, byte for byte, for the values JSON.parse can produce (ECMA-262
 * §25.5.2 JSON.stringify, §6.1.6.1.20 Number::toString), and the key order that the JS SDK's
 * sortObject leaves behind (sdk/js/src/get-compose-hash.ts:20-35): it inserts the keys in
 * Array.prototype.sort order (UTF-16 code units) into a fresh object, and JavaScript objects then
 * enumerate integer-like keys ("0".."4294967294") first in numeric order. */
#include "helpers/js_json.h"

#include <locale.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* printf/strtod under the "C" locale whatever the application chose. */
static locale_t c_locale(void)
{
    static _Atomic(locale_t) loc;
    locale_t l = loc;
    if (l == (locale_t)0) {
        l = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
        locale_t expected = (locale_t)0;
        if (l != (locale_t)0 && !atomic_compare_exchange_strong(&loc, &expected, l)) {
            freelocale(l);
            l = expected;
        }
    }
    return l;
}

/* The shortest digit string d1..dk (no trailing zeros) that reads back as a (> 0, finite), and
 * the exponent n with a = 0.d1..dk x 10^n. %.*e rounds correctly, so at that length it is also
 * the closest one, as ECMA-262 requires. */
static size_t shortest_digits(double a, char digits[24], long *n)
{
    locale_t loc = c_locale();
    locale_t old = loc != (locale_t)0 ? uselocale(loc) : (locale_t)0;
    char e_buf[40];
    for (int p = 1; p <= 17; p++) {
        (void)snprintf(e_buf, sizeof e_buf, "%.*e", p - 1, a);
        if (strtod(e_buf, NULL) == a) {
            break;
        }
    }
    if (old != (locale_t)0) {
        (void)uselocale(old);
    }
    /* e_buf = d[.ddd]e[+-]xx */
    size_t k = 0;
    const char *p = e_buf;
    for (; *p != 'e'; p++) {
        if (*p >= '0' && *p <= '9' && k < 23) {
            digits[k++] = *p;
        }
    }
    while (k > 1 && digits[k - 1] == '0') {
        k--;
    }
    digits[k] = '\0';
    *n = strtol(p + 1, NULL, 10) + 1;
    return k;
}

/* Bounded writer into js_number's out: characters past cap - 1 are dropped. */
struct num_out {
    char *s;
    size_t cap, len;
};

static void put(struct num_out *o, char ch)
{
    if (o->len + 1 < o->cap) {
        o->s[o->len++] = ch;
    }
}

static void put_run(struct num_out *o, const char *s, long from, long to)
{
    for (long i = from; i < to; i++) {
        put(o, s[i]);
    }
}

void js_number(double v, char *out, size_t cap)
{
    if (!isfinite(v)) {
        (void)snprintf(out, cap, "null");
        return;
    }
    if (v == 0) {
        (void)snprintf(out, cap, "0"); /* also -0 */
        return;
    }
    char digits[24];
    long n = 0;
    long k = (long)shortest_digits(fabs(v), digits, &n);
    /* ECMA-262 Number::toString steps 6-10, building into out. */
    struct num_out o = {out, cap, 0};
    if (v < 0) {
        put(&o, '-');
    }
    if (k <= n && n <= 21) { /* integer: digits then n-k zeros */
        put_run(&o, digits, 0, k);
        for (long i = k; i < n; i++) {
            put(&o, '0');
        }
    } else if (0 < n && n <= 21) { /* decimal point inside the digits */
        put_run(&o, digits, 0, n);
        put(&o, '.');
        put_run(&o, digits, n, k);
    } else if (-6 < n && n <= 0) { /* 0.000ddd */
        put(&o, '0');
        put(&o, '.');
        for (long i = 0; i < -n; i++) {
            put(&o, '0');
        }
        put_run(&o, digits, 0, k);
    } else { /* exponential: d[.ddd]e+x */
        put(&o, digits[0]);
        if (k > 1) {
            put(&o, '.');
            put_run(&o, digits, 1, k);
        }
        char exp[24];
        int m = snprintf(exp, sizeof exp, "e%c%ld", n - 1 < 0 ? '-' : '+', labs(n - 1));
        put_run(&o, exp, 0, m);
    }
    out[o.len] = '\0';
}

/* Decodes one UTF-8 sequence (json_parse validated parsed text); returns the code point. */
static uint32_t utf8_next(const unsigned char **s, const unsigned char *end)
{
    const unsigned char *p = *s;
    uint32_t c = *p++;
    int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
    if (more > 0) {
        c &= (uint32_t)(0x3f >> more);
    }
    /* only continuation bytes: a broken sequence in caller text (env vars) must not swallow a
     * following '"' or '\\' into a raw copy */
    while (more-- > 0 && p < end && (*p & 0xc0) == 0x80) {
        c = (c << 6) | (*p++ & 0x3fu);
    }
    *s = p;
    return c;
}

void js_string(struct strbuf *b, const char *s, size_t len)
{
    static const char hexd[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    strbuf_putc(b, '"');
    while (p < end) {
        /* A run of bytes JSON.stringify writes unchanged, appended at once: everything but '"',
         * '\\', control characters and the lead byte 0xED (UTF-8 of U+D000-U+DFFF, where lone
         * surrogates would need an escape). Continuation bytes (0x80-0xBF) never stop the run, and
         * the other multi-byte sequences are copied as they are, as the loop below would. */
        const unsigned char *run = p;
        while (p < end && *p >= 0x20 && *p != '"' && *p != '\\' && *p != 0xed) {
            p++;
        }
        if (p > run) {
            strbuf_append(b, (const char *)run, (size_t)(p - run));
            continue;
        }
        const unsigned char *start = p;
        uint32_t c = utf8_next(&p, end);
        const char *esc = NULL;
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            break;
        }
        if (*start >= 0x80) {
            /* a complete 3-byte sequence of U+D800-U+DFFF: lone surrogate, escaped below;
             * anything else (valid, or broken caller text) is copied as it is */
            if (p - start != 3 || c < 0xd800 || c > 0xdfff) {
                strbuf_append(b, (const char *)start, (size_t)(p - start));
                continue;
            }
        }
        if (esc != NULL) {
            strbuf_puts(b, esc);
        } else if (c < 0x20 || (c >= 0xd800 && c <= 0xdfff)) {
            /* control characters and lone surrogates: lowercase \uXXXX (well-formed stringify) */
            char u[7] = {
                '\\',         'u', hexd[(c >> 12) & 15], hexd[(c >> 8) & 15], hexd[(c >> 4) & 15],
                hexd[c & 15], 0};
            strbuf_puts(b, u);
        } else {
            strbuf_append(b, (const char *)start, (size_t)(p - start));
        }
    }
    strbuf_putc(b, '"');
}

/* ---- key order ---- */

struct js_key {
    const char *s;
    size_t len;
    bool is_index;
    uint32_t index;
    const cJSON *value;
};

/* CanonicalNumericIndexString-style array index: "0" or [1-9][0-9]*, value <= 2^32 - 2. */
static bool array_index(const char *s, size_t len, uint32_t *out)
{
    if (len == 0 || len > 10 || (len > 1 && s[0] == '0')) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > 4294967294u) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

/* Next UTF-16 code unit of a UTF-8 string (pending holds a low surrogate to emit). */
static int utf16_next(const unsigned char **p, const unsigned char *end, uint32_t *pending)
{
    if (*pending != 0) {
        int u = (int)*pending;
        *pending = 0;
        return u;
    }
    if (*p >= end) {
        return -1;
    }
    uint32_t c = utf8_next(p, end);
    if (c >= 0x10000) {
        c -= 0x10000;
        *pending = 0xdc00 + (c & 0x3ff);
        return (int)(0xd800 + (c >> 10));
    }
    return (int)c;
}

static int key_cmp(const void *pa, const void *pb)
{
    const struct js_key *a = pa, *b = pb;
    if (a->is_index != b->is_index) {
        return a->is_index ? -1 : 1;
    }
    if (a->is_index) {
        return a->index < b->index ? -1 : a->index > b->index;
    }
    const unsigned char *x = (const unsigned char *)a->s, *xe = x + a->len;
    const unsigned char *y = (const unsigned char *)b->s, *ye = y + b->len;
    uint32_t px = 0, py = 0;
    for (;;) {
        int ux = utf16_next(&x, xe, &px), uy = utf16_next(&y, ye, &py);
        if (ux != uy) {
            return ux < uy ? -1 : 1; /* -1 (end) sorts first: a prefix comes before */
        }
        if (ux < 0) {
            return 0;
        }
    }
}

static void put_number(struct strbuf *b, double v)
{
    char num[40];
    js_number(v, num, sizeof num);
    strbuf_puts(b, num);
}

static bool dump(struct strbuf *b, const cJSON *v, bool sorted, int depth);

static bool dump_array(struct strbuf *b, const cJSON *v, bool sorted, int depth)
{
    strbuf_putc(b, '[');
    const cJSON *item;
    cJSON_ArrayForEach(item, v)
    {
        if (item != v->child) {
            strbuf_putc(b, ',');
        }
        if (!dump(b, item, sorted, depth + 1)) {
            return false;
        }
    }
    strbuf_putc(b, ']');
    return true;
}

/* JavaScript property order: array-index keys ascending (unique, so qsort's instability does
 * not matter), then the other keys in insertion order. */
static bool order_as_javascript(struct js_key *keys, size_t m)
{
    size_t n_index = 0;
    for (size_t i = 0; i < m; i++) {
        n_index += keys[i].is_index;
    }
    if (n_index > 0 && n_index < m) {
        struct js_key *tmp = calloc(m, sizeof *tmp);
        if (tmp == NULL) {
            return false;
        }
        size_t a = 0, z = n_index;
        for (size_t i = 0; i < m; i++) {
            tmp[keys[i].is_index ? a++ : z++] = keys[i];
        }
        memcpy(keys, tmp, m * sizeof *keys);
        free(tmp);
    }
    qsort(keys, n_index, sizeof *keys, key_cmp);
    return true;
}

/* The keys of object v in the order JSON.stringify writes them (sorted: sortObject's order);
 * malloc'd into *out, their count in *m. False when out of memory. */
static bool object_keys(const cJSON *v, bool sorted, struct js_key **out, size_t *m)
{
    size_t n = (size_t)cJSON_GetArraySize(v);
    struct js_key *keys = calloc(n ? n : 1, sizeof *keys);
    *m = 0;
    if (keys == NULL) {
        return false;
    }
    for (const cJSON *it = v->child; it != NULL && *m < n; it = it->next) {
        struct js_key *k = &keys[*m];
        k->s = it->string; /* keys never hold U+0000 (json_parse refuses it) */
        k->len = strlen(it->string);
        k->value = it;
        /* sortObject's `result[key] = value` with key "__proto__" sets the prototype instead of
         * a property, so JSON.stringify never writes that key. */
        if (sorted && k->len == 9 && memcmp(k->s, "__proto__", 9) == 0) {
            continue;
        }
        k->is_index = array_index(k->s, k->len, &k->index);
        (*m)++;
    }
    if (sorted) {
        qsort(keys, *m, sizeof *keys, key_cmp);
    } else if (!order_as_javascript(keys, *m)) {
        free(keys);
        return false;
    }
    *out = keys;
    return true;
}

static bool dump_object(struct strbuf *b, const cJSON *v, bool sorted, int depth)
{
    /* sortObject only sorts objects whose .constructor is Object: an own "constructor" key
     * shadows it, so such an object and everything below it are returned unsorted (and its own
     * "__proto__" properties, created by JSON.parse, are written). get-compose-hash.ts:21-36 */
    if (sorted && json_get(v, "constructor") != NULL) {
        sorted = false;
    }
    struct js_key *keys = NULL;
    size_t m = 0;
    if (!object_keys(v, sorted, &keys, &m)) {
        b->failed = true;
        return true;
    }
    bool ok = true;
    strbuf_putc(b, '{');
    for (size_t i = 0; i < m && ok; i++) {
        if (i > 0) {
            strbuf_putc(b, ',');
        }
        js_string(b, keys[i].s, keys[i].len);
        strbuf_putc(b, ':');
        ok = dump(b, keys[i].value, sorted, depth + 1);
    }
    strbuf_putc(b, '}');
    free(keys);
    return ok;
}

static bool dump(struct strbuf *b, const cJSON *v, bool sorted, int depth)
{
    if (depth > JS_JSON_MAX_DEPTH) {
        return false;
    }
    if (cJSON_IsNull(v)) {
        strbuf_puts(b, "null");
    } else if (cJSON_IsBool(v)) {
        strbuf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNumber(v)) {
        put_number(b, v->valuedouble); /* every JSON number is a double in JavaScript */
    } else if (cJSON_IsString(v)) {
        js_string(b, json_str(v), json_str_len(v));
    } else if (cJSON_IsArray(v)) {
        return dump_array(b, v, sorted, depth);
    } else {
        return dump_object(b, v, sorted, depth);
    }
    return true;
}

bool js_json_dump(struct strbuf *b, const cJSON *v, bool sorted)
{
    return dump(b, v, sorted, 0);
}
