/* A direct decoder for GetQuote answers, the hottest path of the quote sidecar: the ~28 KB answer
 * is one flat object of five strings (quote, event_log, report_data, vm_config, attestation),
 * and building a jansson tree only to copy its strings out again cost most of the sidecar's CPU.
 * This reads the text once: hex fields are decoded straight from the buffer, text fields are
 * unescaped straight into their own allocation.
 *
 * It accepts only what it can decode to exactly what the jansson path gives and hands anything
 * else back (QF_FALLBACK): unknown or duplicate keys, escapes in keys or hex fields, \u0000,
 * lone surrogates, raw control characters, invalid UTF-8, non-string values, trailing bytes.
 * The caller then runs the general decoder, which yields the same result or the proper error. */
#include "client/quote_fast.h"

#include <stdlib.h>
#include <string.h>

enum field { F_QUOTE, F_EVENT_LOG, F_REPORT_DATA, F_VM_CONFIG, F_ATTESTATION, F_COUNT };

static const char *const field_names[F_COUNT] = {"quote", "event_log", "report_data", "vm_config",
                                                 "attestation"};

struct cursor {
    const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
        c->p++;
    }
}

static int hexval(unsigned char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

/* Finds the closing quote of a string starting after its opening quote; *has_escape tells
 * whether a backslash occurs. Returns NULL when the buffer ends first. */
static const char *string_end(const char *p, const char *end, bool *has_escape)
{
    *has_escape = false;
    while (p < end) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        const char *bs = memchr(p, '\\', (size_t)((q ? q : end) - p));
        if (bs == NULL) {
            return q;
        }
        *has_escape = true;
        p = bs + 2; /* skip the escaped character (a quote or a backslash included) */
    }
    return NULL;
}

/* Length of the valid UTF-8 sequence at s (no overlongs, no surrogates, <= U+10FFFF), 0 if
 * invalid — jansson's own checks. */
static size_t utf8_len(const unsigned char *s, const unsigned char *end)
{
    unsigned char c = s[0];
    size_t n;
    unsigned min;
    unsigned cp;
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        n = 2, min = 0x80, cp = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, min = 0x800, cp = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, min = 0x10000, cp = c & 0x07u;
    } else {
        return 0;
    }
    if ((size_t)(end - s) < n) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return n;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static bool u4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval((unsigned char)p[i]);
        if (h < 0) {
            return false;
        }
        v = (v << 4) | (unsigned)h;
    }
    *out = v;
    return true;
}

/* Unescapes the string body [s, e) into a new NUL-terminated allocation (never longer than the
 * body). Returns NULL on anything outside the accepted subset or on allocation failure (*oom). */
static char *unescape(const char *s, const char *e, bool *oom)
{
    char *out = malloc((size_t)(e - s) + 1);
    if (out == NULL) {
        *oom = true;
        return NULL;
    }
    char *o = out;
    const unsigned char *p = (const unsigned char *)s, *end = (const unsigned char *)e;
    while (p < end) {
        if (*p == '\\') {
            if (end - p < 2) {
                goto bad;
            }
            unsigned char x = p[1];
            p += 2;
            switch (x) {
            case '"':
            case '\\':
            case '/':
                *o++ = (char)x;
                break;
            case 'b':
                *o++ = '\b';
                break;
            case 'f':
                *o++ = '\f';
                break;
            case 'n':
                *o++ = '\n';
                break;
            case 'r':
                *o++ = '\r';
                break;
            case 't':
                *o++ = '\t';
                break;
            case 'u': {
                unsigned cp = 0, lo = 0;
                if (end - p < 4 || !u4((const char *)p, &cp) || cp == 0) {
                    goto bad; /* \u0000 is refused by jansson without JSON_ALLOW_NUL */
                }
                p += 4;
                if (cp >= 0xdc00 && cp <= 0xdfff) {
                    goto bad;
                }
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
                        !u4((const char *)p + 2, &lo) || lo < 0xdc00 || lo > 0xdfff) {
                        goto bad;
                    }
                    p += 6;
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                }
                /* \uXXXX is 6 bytes in, at most 3 out; a pair 12 in, 4 out */
                o += put_utf8(o, cp);
                break;
            }
            default:
                goto bad;
            }
            continue;
        }
        if (*p < 0x20) {
            goto bad;
        }
        size_t n = utf8_len(p, end);
        if (n == 0) {
            goto bad;
        }
        memcpy(o, p, n);
        o += n;
        p += n;
    }
    *o = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

static enum qf_result decode_hex(const char *s, const char *e, struct dstack_bytes *out)
{
    size_t n = (size_t)(e - s);
    if (n % 2 != 0) {
        return QF_FALLBACK;
    }
    if (n == 0) {
        return QF_OK; /* jf_hex leaves {NULL, 0} */
    }
    uint8_t *b = malloc(n / 2);
    if (b == NULL) {
        return QF_NOMEM;
    }
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval((unsigned char)s[2 * i]), lo = hexval((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(b);
            return QF_FALLBACK;
        }
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    out->data = b;
    out->len = n / 2;
    return QF_OK;
}

static void clear(struct dstack_get_quote_response *q)
{
    free(q->quote.data);
    free(q->event_log);
    free(q->report_data.data);
    free(q->vm_config);
    free(q->attestation.data);
    memset(q, 0, sizeof *q);
}

enum qf_result quote_fast_decode(const char *text, size_t len, struct dstack_get_quote_response *q)
{
    memset(q, 0, sizeof *q);
    struct cursor c = {text, text + len};
    bool seen[F_COUNT] = {false};
    enum qf_result r = QF_FALLBACK;
    skip_ws(&c);
    if (c.p >= c.end || *c.p != '{') {
        goto out;
    }
    c.p++;
    skip_ws(&c);
    bool first = true;
    for (;;) {
        if (c.p < c.end && *c.p == '}' && first) {
            c.p++;
            break;
        }
        first = false;
        if (c.p >= c.end || *c.p != '"') {
            goto out;
        }
        bool esc = false;
        const char *ks = c.p + 1, *ke = string_end(ks, c.end, &esc);
        if (ke == NULL || esc) {
            goto out;
        }
        int f = -1;
        for (int i = 0; i < F_COUNT; i++) {
            size_t kl = strlen(field_names[i]);
            if ((size_t)(ke - ks) == kl && memcmp(ks, field_names[i], kl) == 0) {
                f = i;
            }
        }
        if (f < 0 || seen[f]) {
            goto out; /* unknown or duplicate key (jansson keeps the last one) */
        }
        seen[f] = true;
        c.p = ke + 1;
        skip_ws(&c);
        if (c.p >= c.end || *c.p != ':') {
            goto out;
        }
        c.p++;
        skip_ws(&c);
        if (c.end - c.p >= 4 && memcmp(c.p, "null", 4) == 0) {
            c.p += 4; /* null reads as absent: empty bytes, "" text */
        } else {
            if (c.p >= c.end || *c.p != '"') {
                goto out;
            }
            const char *vs = c.p + 1, *ve = string_end(vs, c.end, &esc);
            if (ve == NULL) {
                goto out;
            }
            bool oom = false;
            switch (f) {
            case F_QUOTE:
            case F_REPORT_DATA:
            case F_ATTESTATION: {
                struct dstack_bytes *b = f == F_QUOTE         ? &q->quote
                                         : f == F_REPORT_DATA ? &q->report_data
                                                              : &q->attestation;
                if (esc) {
                    goto out;
                }
                enum qf_result hr = decode_hex(vs, ve, b);
                if (hr != QF_OK) {
                    r = hr;
                    goto out;
                }
                break;
            }
            default: {
                char **s = f == F_EVENT_LOG ? &q->event_log : &q->vm_config;
                *s = unescape(vs, ve, &oom);
                if (*s == NULL) {
                    r = oom ? QF_NOMEM : QF_FALLBACK;
                    goto out;
                }
                break;
            }
            }
            c.p = ve + 1;
        }
        skip_ws(&c);
        if (c.p < c.end && *c.p == ',') {
            c.p++;
            skip_ws(&c);
            continue;
        }
        if (c.p < c.end && *c.p == '}') {
            c.p++;
            break;
        }
        goto out;
    }
    skip_ws(&c);
    if (c.p != c.end) {
        goto out; /* jansson refuses trailing data */
    }
    /* absent text fields read as "" */
    if (q->event_log == NULL && (q->event_log = calloc(1, 1)) == NULL) {
        r = QF_NOMEM;
        goto out;
    }
    if (q->vm_config == NULL && (q->vm_config = calloc(1, 1)) == NULL) {
        r = QF_NOMEM;
        goto out;
    }
    return QF_OK;
out:
    clear(q);
    return r;
}
