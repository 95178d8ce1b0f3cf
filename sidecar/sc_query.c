#include "sc_query.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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

unsigned sc_query_report_data(const char *query, size_t len, struct sc_report_data *out,
                              char err[SC_QUERY_ERROR_MAX])
{
    if (query == NULL) {
        len = 0;
    }
    if (len > SC_QUERY_MAX) {
        snprintf(err, SC_QUERY_ERROR_MAX, "query string too long (%zu bytes, at most %u)", len,
                 SC_QUERY_MAX);
        return 414;
    }
    /* Decoded text is never longer than its encoding, so these buffers hold any value. */
    uint8_t key[SC_QUERY_MAX], val[SC_QUERY_MAX];
    bool have_data = false, have_hex = false;
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
        const char *eq = memchr(pair, '=', plen);
        size_t klen_raw = eq != NULL ? (size_t)(eq - pair) : plen;
        size_t klen, vlen = 0;
        if (sc_percent_decode(pair, klen_raw, key, sizeof key, &klen) != 0 ||
            (eq != NULL &&
             sc_percent_decode(eq + 1, plen - klen_raw - 1, val, sizeof val, &vlen) != 0)) {
            snprintf(err, SC_QUERY_ERROR_MAX,
                     "invalid percent-encoding in the query string ('%%' must be followed by "
                     "two hex digits)");
            return 400;
        }
        bool is_data = klen == 4 && memcmp(key, "data", 4) == 0;
        bool is_hex = klen == 3 && memcmp(key, "hex", 3) == 0;
        if (!is_data && !is_hex) {
            char name[40];
            safe_name(key, klen, name);
            snprintf(err, SC_QUERY_ERROR_MAX,
                     "unknown query parameter \"%s\" (expected data or hex)", name);
            return 400;
        }
        if ((is_data && have_data) || (is_hex && have_hex)) {
            snprintf(err, SC_QUERY_ERROR_MAX, "query parameter \"%s\" given more than once",
                     is_data ? "data" : "hex");
            return 400;
        }
        have_data |= is_data;
        have_hex |= is_hex;
        if (have_data && have_hex) {
            snprintf(err, SC_QUERY_ERROR_MAX, "give either data or hex, not both");
            return 400;
        }
        if (is_data) {
            if (vlen > DSTACK_REPORT_DATA_LEN) {
                snprintf(err, SC_QUERY_ERROR_MAX, "data must be at most %d bytes, got %zu",
                         DSTACK_REPORT_DATA_LEN, vlen);
                return 400;
            }
            if (!utf8_valid(val, vlen)) {
                snprintf(err, SC_QUERY_ERROR_MAX,
                         "data is not valid UTF-8; send binary report data as hex=");
                return 400;
            }
            memcpy(out->b, val, vlen);
            out->len = vlen;
        } else {
            size_t got = 0;
            dstack_err e = hex_decode((const char *)val, vlen, out->b, sizeof out->b, &got);
            if (e == DSTACK_EINVAL) {
                size_t digits = vlen;
                (void)hex_skip_prefix((const char *)val, &digits);
                snprintf(err, SC_QUERY_ERROR_MAX, "hex must be at most %d bytes, got %zu",
                         DSTACK_REPORT_DATA_LEN, digits / 2);
                return 400;
            }
            if (e != DSTACK_OK) {
                snprintf(err, SC_QUERY_ERROR_MAX,
                         "hex must be an even number of hex digits (0-9, a-f)");
                return 400;
            }
            out->len = got;
        }
    }
    if (!have_data && !have_hex) {
        out->len = sizeof SC_DEFAULT_DATA - 1;
        memcpy(out->b, SC_DEFAULT_DATA, out->len);
    }
    return 0;
}
