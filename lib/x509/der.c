/* DER writer (X.690): definite lengths, minimal encodings, sticky errors, bounded output. */
#include "x509/der.h"

#include <stdlib.h>
#include <string.h>

#include "util/secret.h"

void der_init(struct der_writer *w, size_t max)
{
    memset(w, 0, sizeof *w);
    w->max = max == 0 ? DER_DEFAULT_MAX : max;
    w->err = DSTACK_OK;
}

void der_free(struct der_writer *w)
{
    if (w == NULL) {
        return;
    }
    if (w->buf != NULL) {
        secret_wipe(w->buf, w->cap);
        free(w->buf);
    }
    w->buf = NULL;
    w->len = w->cap = 0;
    w->depth = 0;
}

static void fail(struct der_writer *w, dstack_err err)
{
    if (w->err == DSTACK_OK) {
        w->err = err;
    }
}

/* Makes room for `extra` more bytes; growing never leaves a copy of old bytes behind. */
static bool reserve(struct der_writer *w, size_t extra)
{
    if (w->err != DSTACK_OK) {
        return false;
    }
    if (extra > w->max - w->len) {
        fail(w, DSTACK_EINVAL);
        return false;
    }
    if (extra <= w->cap - w->len) {
        return true;
    }
    size_t need = w->len + extra;
    size_t cap = w->cap < 256 ? 256 : w->cap;
    while (cap < need) {
        cap = cap > w->max / 2 ? w->max : cap * 2;
    }
    uint8_t *nb = malloc(cap);
    if (nb == NULL) {
        fail(w, DSTACK_ENOMEM);
        return false;
    }
    if (w->buf != NULL) {
        memcpy(nb, w->buf, w->len);
        secret_wipe(w->buf, w->cap);
        free(w->buf);
    }
    w->buf = nb;
    w->cap = cap;
    return true;
}

size_t der_header_len(size_t len)
{
    size_t n = 2;
    if (len >= 0x80) {
        for (size_t v = len; v != 0; v >>= 8) {
            n++;
        }
    }
    return n;
}

/* Writes tag and definite length at p (der_header_len(len) bytes). */
static void put_header(uint8_t *p, uint8_t tag, size_t len)
{
    p[0] = tag;
    if (len < 0x80) {
        p[1] = (uint8_t)len;
        return;
    }
    size_t n = der_header_len(len) - 2;
    p[1] = (uint8_t)(0x80 | n);
    for (size_t i = 0; i < n; i++) {
        p[2 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
    }
}

void der_raw(struct der_writer *w, const void *bytes, size_t len)
{
    if (len == 0 || !reserve(w, len)) {
        return;
    }
    memcpy(w->buf + w->len, bytes, len);
    w->len += len;
}

void der_tlv(struct der_writer *w, uint8_t tag, const void *value, size_t len)
{
    size_t h = der_header_len(len);
    if (len > SIZE_MAX - h || !reserve(w, h + len)) {
        fail(w, DSTACK_EINVAL);
        return;
    }
    put_header(w->buf + w->len, tag, len);
    w->len += h;
    if (len > 0) {
        memcpy(w->buf + w->len, value, len);
        w->len += len;
    }
}

void der_begin(struct der_writer *w, uint8_t tag)
{
    if (w->err != DSTACK_OK) {
        return;
    }
    if (w->depth == DER_MAX_DEPTH) {
        fail(w, DSTACK_EINVAL);
        return;
    }
    w->open[w->depth] = w->len;
    w->open_tag[w->depth] = tag;
    w->depth++;
}

void der_end(struct der_writer *w)
{
    if (w->err != DSTACK_OK) {
        return;
    }
    if (w->depth == 0) {
        fail(w, DSTACK_EINVAL);
        return;
    }
    w->depth--;
    size_t start = w->open[w->depth];
    size_t len = w->len - start;
    size_t h = der_header_len(len);
    if (!reserve(w, h)) {
        return;
    }
    memmove(w->buf + start + h, w->buf + start, len);
    put_header(w->buf + start, w->open_tag[w->depth], len);
    w->len += h;
}

void der_bool(struct der_writer *w, bool v)
{
    uint8_t b = v ? 0xff : 0x00;
    der_tlv(w, DER_BOOLEAN, &b, 1);
}

void der_uint(struct der_writer *w, uint64_t v)
{
    uint8_t be[8];
    for (size_t i = 0; i < 8; i++) {
        be[i] = (uint8_t)(v >> (8 * (7 - i)));
    }
    der_uint_bytes(w, be, sizeof be);
}

void der_uint_bytes(struct der_writer *w, const uint8_t *be, size_t len)
{
    while (len > 0 && be[0] == 0) {
        be++;
        len--;
    }
    if (len == 0) {
        uint8_t zero = 0;
        der_tlv(w, DER_INTEGER, &zero, 1);
        return;
    }
    if ((be[0] & 0x80) == 0) {
        der_tlv(w, DER_INTEGER, be, len);
        return;
    }
    der_begin(w, DER_INTEGER);
    der_raw(w, "\0", 1);
    der_raw(w, be, len);
    der_end(w);
}

void der_bit_string(struct der_writer *w, uint8_t unused, const uint8_t *bytes, size_t len)
{
    if (unused > 7 || (len == 0 && unused != 0)) {
        fail(w, DSTACK_EINVAL);
        return;
    }
    der_begin(w, DER_BIT_STRING);
    der_raw(w, &unused, 1);
    der_raw(w, bytes, len);
    der_end(w);
}

/* One base-128 arc, most significant group first, high bit on all but the last byte. */
static void put_arc(struct der_writer *w, uint64_t arc)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (uint8_t)(arc & 0x7f);
        arc >>= 7;
    } while (arc != 0);
    while (n > 0) {
        n--;
        uint8_t b = (uint8_t)(tmp[n] | (n > 0 ? 0x80 : 0));
        der_raw(w, &b, 1);
    }
}

void der_oid(struct der_writer *w, const uint32_t *arcs, size_t n)
{
    if (n < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39)) {
        fail(w, DSTACK_EINVAL);
        return;
    }
    der_begin(w, DER_OID);
    put_arc(w, (uint64_t)arcs[0] * 40 + arcs[1]);
    for (size_t i = 2; i < n; i++) {
        put_arc(w, arcs[i]);
    }
    der_end(w);
}

void der_civil_time(uint64_t unix_secs, unsigned *year, unsigned *month, unsigned *day,
                    unsigned *hour, unsigned *minute, unsigned *second)
{
    /* Days to civil date: H. Hinnant's algorithm, restricted to non-negative days. */
    uint64_t days = unix_secs / 86400;
    uint64_t rem = unix_secs % 86400;
    uint64_t z = days + 719468;
    uint64_t era = z / 146097;
    uint64_t doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t y = yoe + era * 400;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;
    uint64_t d = doy - (153 * mp + 2) / 5 + 1;
    uint64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) {
        y++;
    }
    *year = (unsigned)y;
    *month = (unsigned)m;
    *day = (unsigned)d;
    *hour = (unsigned)(rem / 3600);
    *minute = (unsigned)(rem % 3600 / 60);
    *second = (unsigned)(rem % 60);
}

static void put_digits(char *p, unsigned v, size_t n)
{
    for (size_t i = n; i > 0; i--) {
        p[i - 1] = (char)('0' + v % 10);
        v /= 10;
    }
}

void der_time(struct der_writer *w, uint64_t unix_secs)
{
    if (unix_secs > DER_TIME_MAX) {
        fail(w, DSTACK_EINVAL);
        return;
    }
    unsigned y, mo, d, h, mi, s;
    der_civil_time(unix_secs, &y, &mo, &d, &h, &mi, &s);
    char text[16];
    size_t n = 0;
    uint8_t tag;
    if (y >= 1950 && y < 2050) {
        tag = DER_UTC_TIME;
        put_digits(text, y % 100, 2);
        n = 2;
    } else {
        tag = DER_GENERALIZED_TIME;
        put_digits(text, y, 4);
        n = 4;
    }
    put_digits(text + n, mo, 2);
    put_digits(text + n + 2, d, 2);
    put_digits(text + n + 4, h, 2);
    put_digits(text + n + 6, mi, 2);
    put_digits(text + n + 8, s, 2);
    n += 10;
    text[n++] = 'Z';
    der_tlv(w, tag, text, n);
}

dstack_err der_finish(struct der_writer *w, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (w->err == DSTACK_OK && w->depth != 0) {
        w->err = DSTACK_EINVAL;
    }
    dstack_err err = w->err;
    if (err != DSTACK_OK) {
        der_free(w);
        return err;
    }
    if (w->buf == NULL) {
        /* Nothing was written: hand back a valid empty allocation. */
        w->buf = malloc(1);
        if (w->buf == NULL) {
            return DSTACK_ENOMEM;
        }
    }
    *out = w->buf;
    *out_len = w->len;
    w->buf = NULL;
    w->len = w->cap = 0;
    return DSTACK_OK;
}
