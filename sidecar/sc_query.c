#include "sc_query.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"
#include "util/hex.h"
#include "util/utf8.h"

static int hexval(char c)
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

int sc_percent_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int byte = (unsigned char)in[i];
        if (in[i] == '+') {
            byte = ' ';
        } else if (in[i] == '%') {
            int hi = n - i >= 3 ? hexval(in[i + 1]) : -1;
            int lo = n - i >= 3 ? hexval(in[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                return -1;
            }
            byte = hi * 16 + lo;
            i += 2;
        }
        if (o == cap) {
            return -1;
        }
        out[o++] = (uint8_t)byte;
    }
    *out_len = o;
    return 0;
}

/* A parameter name for an error message: printable ASCII only (the message goes into JSON and a
 * log line), at most 32 characters. */
static void safe_name(const uint8_t *s, size_t n, char out[40])
{
    size_t o = 0;
    for (size_t i = 0; i < n && o < 32; i++) {
        out[o++] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\' ? (char)s[i] : '?';
    }
    if (n > 32) {
        out[o++] = '.';
        out[o++] = '.';
        out[o++] = '.';
    }
    out[o] = '\0';
}

/* data=<text>: at most 64 bytes of UTF-8. Returns 0 or 400 with the reason in err_text(). */
static unsigned take_data(const uint8_t *val, size_t vlen, struct sc_report_data *out)
{
    if (vlen > DSTACK_REPORT_DATA_LEN) {
        (void)err_set(DSTACK_EINVAL, "data must be at most %d bytes, got %zu",
                      DSTACK_REPORT_DATA_LEN, vlen);
        return 400;
    }
    if (!utf8_valid(val, vlen)) {
        (void)err_set(DSTACK_EINVAL, "data is not valid UTF-8; send binary report data as hex=");
        return 400;
    }
    memcpy(out->b, val, vlen);
    out->len = vlen;
    return 0;
}

/* hex=<hex>: at most 64 bytes. Returns 0 or 400 with the reason in err_text(). */
static unsigned take_hex(const uint8_t *val, size_t vlen, struct sc_report_data *out)
{
    size_t got = 0;
    dstack_err e = hex_decode((const char *)val, vlen, out->b, sizeof out->b, &got);
    if (e == DSTACK_EINVAL) {
        size_t digits = vlen;
        (void)hex_skip_prefix((const char *)val, &digits);
        (void)err_set(DSTACK_EINVAL, "hex must be at most %d bytes, got %zu",
                      DSTACK_REPORT_DATA_LEN, digits / 2);
        return 400;
    }
    if (e != DSTACK_OK) {
        (void)err_set(DSTACK_EINVAL, "hex must be an even number of hex digits (0-9, a-f)");
        return 400;
    }
    out->len = got;
    return 0;
}

/* What the pairs seen so far named. */
struct query_seen {
    bool data, hex;
};

/* One raw "key=value" pair (not empty). Returns 0 or 400 with the reason in err_text(). */
static unsigned take_pair(const char *pair, size_t plen, struct query_seen *seen,
                          struct sc_report_data *out)
{
    /* Decoded text is never longer than its encoding, so these buffers hold any value. */
    uint8_t key[SC_QUERY_MAX], val[SC_QUERY_MAX];
    const char *eq = memchr(pair, '=', plen);
    size_t klen_raw = eq != NULL ? (size_t)(eq - pair) : plen;
    size_t klen, vlen = 0;
    if (sc_percent_decode(pair, klen_raw, key, sizeof key, &klen) != 0 ||
        (eq != NULL &&
         sc_percent_decode(eq + 1, plen - klen_raw - 1, val, sizeof val, &vlen) != 0)) {
        (void)err_set(DSTACK_EINVAL, "invalid percent-encoding in the query string ('%%' must be "
                                     "followed by two hex digits)");
        return 400;
    }
    bool is_data = klen == 4 && memcmp(key, "data", 4) == 0;
    bool is_hex = klen == 3 && memcmp(key, "hex", 3) == 0;
    if (!is_data && !is_hex) {
        char name[40];
        safe_name(key, klen, name);
        (void)err_set(DSTACK_EINVAL, "unknown query parameter \"%s\" (expected data or hex)", name);
        return 400;
    }
    if ((is_data && seen->data) || (is_hex && seen->hex)) {
        (void)err_set(DSTACK_EINVAL, "query parameter \"%s\" given more than once",
                      is_data ? "data" : "hex");
        return 400;
    }
    seen->data |= is_data;
    seen->hex |= is_hex;
    if (seen->data && seen->hex) {
        (void)err_set(DSTACK_EINVAL, "give either data or hex, not both");
        return 400;
    }
    return is_data ? take_data(val, vlen, out) : take_hex(val, vlen, out);
}

unsigned sc_query_report_data(const char *query, size_t len, struct sc_report_data *out)
{
    if (query == NULL) {
        len = 0;
    }
    if (len > SC_QUERY_MAX) {
        (void)err_set(DSTACK_EINVAL, "query string too long (%zu bytes, at most %u)", len,
                      SC_QUERY_MAX);
        return 414;
    }
    struct query_seen seen = {false, false};
    size_t pos = 0;
    memset(out, 0, sizeof *out);
    while (pos < len) {
        const char *pair = query + pos;
        const char *amp = memchr(pair, '&', len - pos);
        size_t plen = amp != NULL ? (size_t)(amp - pair) : len - pos;
        pos += plen + (amp != NULL);
        if (plen == 0) {
            continue; /* "a=1&&b=2": empty pairs are skipped, as form_urlencoded does */
        }
        unsigned status = take_pair(pair, plen, &seen, out);
        if (status != 0) {
            return status;
        }
    }
    if (!seen.data && !seen.hex) {
        out->len = sizeof SC_DEFAULT_DATA - 1;
        memcpy(out->b, SC_DEFAULT_DATA, out->len);
    }
    return 0;
}
