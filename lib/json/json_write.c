/* The one JSON writer: a capped, growable buffer, string escapes and layout as jansson's
 * json_dumps wrote them (the agent's answers are compared byte for byte with upstream's), and
 * hex strings written straight from bytes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "json/json_internal.h"
#include "util/hex.h"

/* Room for n more bytes (and the NUL), or NULL once failed. */
static char *reserve(struct json_out *o, size_t n)
{
    size_t max = o->max != 0 ? o->max : JSON_OUT_MAX;
    if (o->failed || n > max - o->len) {
        o->failed = true;
        return NULL;
    }
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap < 256 ? 256 : o->cap;
        while (cap < o->len + n + 1) {
            cap *= 2;
        }
        char *p;
        if (o->secret) { /* no realloc: the old block would be left unwiped */
            p = malloc(cap);
            if (p != NULL && o->data != NULL) {
                memcpy(p, o->data, o->len);
                OPENSSL_cleanse(o->data, o->cap);
                free(o->data);
            }
        } else {
            p = realloc(o->data, cap);
        }
        if (p == NULL) {
            o->failed = true;
            return NULL;
        }
        o->data = p;
        o->cap = cap;
    }
    return o->data + o->len;
}

static void commit(struct json_out *o, size_t n)
{
    o->len += n;
    o->data[o->len] = '\0';
}

void json_out_reserve(struct json_out *o, size_t n)
{
    (void)reserve(o, n);
}

char *json_out_extend(struct json_out *o, size_t n)
{
    char *p = reserve(o, n);
    if (p != NULL) {
        commit(o, n);
    }
    return p;
}

void json_out_raw(struct json_out *o, const char *s, size_t n)
{
    char *p = reserve(o, n);
    if (p != NULL) {
        if (n > 0) {
            memcpy(p, s, n);
        }
        commit(o, n);
    }
}

void json_out_cstr(struct json_out *o, const char *s)
{
    json_out_raw(o, s, strlen(s));
}

static bool needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

void json_out_string(struct json_out *o, const char *s, size_t n)
{
    static const char hexdig[] = "0123456789ABCDEF";
    json_out_raw(o, "\"", 1);
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (i < n && !needs_escape((unsigned char)s[i])) {
            i++;
        }
        json_out_raw(o, s + run, i - run);
        if (i == n) {
            break;
        }
        unsigned char c = (unsigned char)s[i++];
        const char *short_form = c == '"'    ? "\\\""
                                 : c == '\\' ? "\\\\"
                                 : c == '\b' ? "\\b"
                                 : c == '\f' ? "\\f"
                                 : c == '\n' ? "\\n"
                                 : c == '\r' ? "\\r"
                                 : c == '\t' ? "\\t"
                                             : NULL;
        if (short_form != NULL) {
            json_out_raw(o, short_form, 2);
        } else {
            char u[6] = {'\\', 'u', '0', '0', hexdig[c >> 4], hexdig[c & 15]};
            json_out_raw(o, u, sizeof u);
        }
    }
    json_out_raw(o, "\"", 1);
}

void json_out_hex(struct json_out *o, const uint8_t *b, size_t n)
{
    if (n > (SIZE_MAX - 3) / 2) {
        o->failed = true;
        return;
    }
    char *p = reserve(o, 2 * n + 2);
    if (p != NULL) {
        p[0] = '"';
        hex_encode(b, n, p + 1); /* its NUL is overwritten by the closing quote */
        p[2 * n + 1] = '"';
        commit(o, 2 * n + 2);
    }
}

/* jansson's real format: %.17g, always with a '.' or an exponent, no '+' or leading zeros in
 * the exponent. */
static void put_real(struct json_out *o, double v)
{
    char buf[40];
    int n = snprintf(buf, sizeof buf, "%.17g", v);
    if (n < 0 || (size_t)n >= sizeof buf - 3) {
        o->failed = true;
        return;
    }
    char *e = strchr(buf, 'e');
    if (strchr(buf, '.') == NULL && e == NULL) {
        memcpy(buf + n, ".0", 3);
    } else if (e != NULL) {
        char *src = e + 1, *dst = e + 1;
        if (*src == '+') {
            src++;
        } else if (*src == '-') {
            *dst++ = *src++;
        }
        while (*src == '0' && src[1] != '\0') {
            src++;
        }
        memmove(dst, src, strlen(src) + 1);
    }
    json_out_cstr(o, buf);
}

static void put_number(struct json_out *o, const cJSON *v)
{
    const char *text = json_number_text(v);
    if (text != NULL) {
        json_out_cstr(o, text);
        return;
    }
    double d = v->valuedouble;
    if (!(v->type & JSON_T_FLOAT) && json_integral(d) && d < 9.2e18 && d > -9.2e18) {
        char buf[24];
        int n = snprintf(buf, sizeof buf, "%lld", (long long)d);
        json_out_raw(o, buf, (size_t)n);
        return;
    }
    put_real(o, d);
}

static void newline(struct json_out *o, int indent, int depth)
{
    if (indent <= 0) {
        return;
    }
    size_t n = 1 + (size_t)indent * (size_t)depth;
    char *p = reserve(o, n);
    if (p != NULL) {
        p[0] = '\n';
        memset(p + 1, ' ', n - 1);
        commit(o, n);
    }
}

static void put_value(struct json_out *o, const cJSON *v, int indent, int depth)
{
    if (cJSON_IsString(v)) {
        json_out_string(o, v->valuestring, json_str_len(v));
    } else if (cJSON_IsNumber(v)) {
        put_number(o, v);
    } else if (cJSON_IsTrue(v)) {
        json_out_raw(o, "true", 4);
    } else if (cJSON_IsFalse(v)) {
        json_out_raw(o, "false", 5);
    } else if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        bool object = cJSON_IsObject(v);
        json_out_raw(o, object ? "{" : "[", 1);
        for (const cJSON *c = v->child; c != NULL && !o->failed; c = c->next) {
            if (c != v->child) {
                json_out_raw(o, ",", 1);
            }
            newline(o, indent, depth + 1);
            if (object) {
                json_out_string(o, c->string, strlen(c->string));
                json_out_raw(o, ": ", indent > 0 ? 2 : 1);
            }
            put_value(o, c, indent, depth + 1);
        }
        if (v->child != NULL) {
            newline(o, indent, depth);
        }
        json_out_raw(o, object ? "}" : "]", 1);
    } else {
        json_out_raw(o, "null", 4);
    }
}

void json_out_value(struct json_out *o, const cJSON *v, int indent)
{
    if (v == NULL) {
        o->failed = true;
        return;
    }
    put_value(o, v, indent, 0);
}

char *json_out_take(struct json_out *o, size_t *len)
{
    char *end = o->failed ? NULL : reserve(o, 0);
    if (end == NULL) {
        json_out_free(o);
        return NULL;
    }
    *end = '\0';
    char *s = o->data;
    if (len != NULL) {
        *len = o->len;
    }
    o->data = NULL;
    o->len = o->cap = 0;
    return s;
}

void json_out_free(struct json_out *o)
{
    if (o->data != NULL && o->secret) {
        OPENSSL_cleanse(o->data, o->cap);
    }
    free(o->data);
    o->data = NULL;
    o->len = o->cap = 0;
}

char *json_dump(const cJSON *v, int indent, size_t *len)
{
    struct json_out o = {0};
    json_out_value(&o, v, indent);
    return json_out_take(&o, len);
}
