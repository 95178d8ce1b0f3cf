#include "public/logs_format.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/base64.h"

bool logs_parse_duration(const char *text, time_t now, int64_t *out)
{
    size_t n = strlen(text);
    *out = 0;
    if (n == 0) {
        return true;
    }
    if (strspn(text, "0123456789") == n) { /* absolute seconds, an i64 */
        errno = 0;
        long long v = strtoll(text, NULL, 10);
        *out = v;
        return errno == 0;
    }
    static const struct {
        char unit;
        uint64_t seconds;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    uint64_t scale = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        scale = text[n - 1] == units[i].unit ? units[i].seconds : scale;
    }
    /* The number before the unit is a u64: digits, optionally after one '+' (Rust's parse). */
    const char *digits = text[0] == '+' ? text + 1 : text;
    size_t nd = n - 1 - (size_t)(digits - text);
    if (scale == 0 || nd == 0 || strspn(digits, "0123456789") != nd) {
        return false;
    }
    errno = 0;
    unsigned long long v = strtoull(digits, NULL, 10);
    if (errno != 0 || v > UINT64_MAX / scale) {
        return false;
    }
    uint64_t ago = v * scale;
    uint64_t t = now > 0 ? (uint64_t)now : 0;
    uint64_t at = ago < t ? t - ago : 0; /* saturating_sub */
    *out = at > INT64_MAX ? INT64_MAX : (int64_t)at;
    return true;
}

bool logs_parse_flag(bool present, const char *value, bool *out)
{
    if (!present) {
        *out = false;
        return true;
    }
    if (value == NULL || value[0] == '\0' || strcasecmp(value, "true") == 0 ||
        strcasecmp(value, "on") == 0 || strcasecmp(value, "yes") == 0) {
        *out = true;
        return true;
    }
    if (strcasecmp(value, "false") == 0 || strcasecmp(value, "off") == 0 ||
        strcasecmp(value, "no") == 0) {
        *out = false;
        return true;
    }
    return false;
}

/* Length of the valid UTF-8 sequence at in[0..len), 0 when invalid; *bad gets the length of
 * the maximal invalid prefix to replace by one U+FFFD (Unicode's "maximal subpart" rule, which
 * Rust's from_utf8_lossy follows). */
static size_t utf8_seq(const uint8_t *in, size_t len, size_t *bad)
{
    uint8_t c = in[0];
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        *bad = 1;
        return 0;
    }
    size_t i = 1;
    for (; i < need && i < len; i++) {
        uint8_t b = in[i];
        if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) {
            break;
        }
    }
    if (i == need) {
        return need;
    }
    *bad = i;
    return 0;
}

void logs_utf8_lossy(const uint8_t *in, size_t len, struct strbuf *out)
{
    size_t i = 0, run = 0; /* run: valid bytes not copied yet */
    while (i + run < len) {
        size_t bad = 0;
        size_t n = utf8_seq(in + i + run, len - i - run, &bad);
        if (n > 0) {
            run += n;
            continue;
        }
        strbuf_append(out, (const char *)in + i, run);
        strbuf_append(out, "\xEF\xBF\xBD", 3);
        i += run + bad;
        run = 0;
    }
    strbuf_append(out, (const char *)in + i, run);
}

/* strip_ansi_escapes keeps what a terminal prints: CSI (ESC [ ... final byte), OSC (ESC ] ...
 * BEL or ESC \\) and other ESC sequences go, and so do C0 controls but tab and newline. */
static bool kept_byte(unsigned char c)
{
    return (c >= 0x20 && c != 0x7F) || c == '\n' || c == '\t';
}

/* The index after the escape sequence that starts at in[i] == ESC. */
static size_t skip_escape(const char *in, size_t len, size_t i)
{
    i++;
    if (i < len && in[i] == '[') { /* CSI: parameters and intermediates, then 0x40-0x7E */
        for (i++; i < len && !((unsigned char)in[i] >= 0x40 && (unsigned char)in[i] <= 0x7E); i++) {
        }
        return i + 1;
    }
    if (i < len && in[i] == ']') { /* OSC: up to BEL or ST (ESC \) */
        for (i++; i < len; i++) {
            if (in[i] == 0x07) {
                return i + 1;
            }
            if (in[i] == 0x1B && i + 1 < len && in[i + 1] == '\\') {
                return i + 2;
            }
        }
        return len;
    }
    while (i < len && (unsigned char)in[i] >= 0x20 && (unsigned char)in[i] <= 0x2F) {
        i++; /* intermediates, then one final byte */
    }
    return i + 1;
}

void logs_strip_ansi(const char *in, size_t len, struct strbuf *out)
{
    size_t i = 0;
    while (i < len) {
        if (in[i] == 0x1B) {
            i = skip_escape(in, len, i);
            continue;
        }
        size_t run = 0;
        while (i + run < len && kept_byte((unsigned char)in[i + run])) {
            run++;
        }
        strbuf_append(out, in + i, run);
        i += run > 0 ? run : (in[i] == 0x1B ? 0 : 1);
    }
}

void logs_json_string(const char *in, size_t len, struct strbuf *out)
{
    static const char hexd[] = "0123456789abcdef";
    strbuf_putc(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        strbuf_append(out, in + i - run, run);
        run = 0;
        char esc[7] = {'\\', 0};
        const char *named = c == '"'    ? "\""
                            : c == '\\' ? "\\"
                            : c == '\n' ? "n"
                            : c == '\r' ? "r"
                            : c == '\t' ? "t"
                            : c == '\b' ? "b"
                            : c == '\f' ? "f"
                                        : NULL;
        if (named != NULL) {
            esc[1] = named[0];
            strbuf_append(out, esc, 2);
        } else {
            char u[6] = {'\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15]};
            strbuf_append(out, u, sizeof u);
        }
    }
    strbuf_append(out, in + len - run, run);
    strbuf_putc(out, '"');
}

static const char *channel_name(enum docker_channel c)
{
    switch (c) {
    case DOCKER_STDIN:
        return "stdin";
    case DOCKER_STDERR:
        return "stderr";
    case DOCKER_CONSOLE:
        return "console";
    case DOCKER_STDOUT:
        break;
    }
    return "stdout";
}

void logs_format_entry(const struct logs_format *f, enum docker_channel channel, const uint8_t *msg,
                       size_t len, struct strbuf *out)
{
    struct strbuf message = {0};
    if (f->text) {
        logs_utf8_lossy(msg, len, &message);
    } else {
        char *b64 = strbuf_extend(&message, base64_encoded_len(len, false));
        if (b64 != NULL) {
            base64_encode(msg, len, false, b64);
        }
    }
    const char *m = message.data != NULL ? message.data : "";
    if (f->bare) {
        if (f->ansi || !f->text) {
            strbuf_append(out, m, message.len);
        } else {
            logs_strip_ansi(m, message.len, out);
        }
    } else {
        strbuf_puts(out, "{\"channel\":\"");
        strbuf_puts(out, channel_name(channel));
        strbuf_puts(out, "\",\"message\":");
        logs_json_string(m, message.len, out);
        strbuf_puts(out, "}\n");
    }
    strbuf_free(&message);
}

void logs_format_error(const char *msg, struct strbuf *out)
{
    strbuf_puts(out, "{\"error\":");
    logs_json_string(msg, strlen(msg), out);
    strbuf_putc(out, '}');
}
