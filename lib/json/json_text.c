/* Work on JSON text that json_parse accepted, without building a tree: the text of one member
 * of the top-level object, written compact. */
#include <stdlib.h>
#include <string.h>

#include "json/json_internal.h"

static size_t skip_ws(const char *t, size_t len, size_t i)
{
    while (i < len && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t')) {
        i++;
    }
    return i;
}

/* The index after the string literal that starts at t[i] ('"'): memchr to each quote, which
 * ends the string unless an odd run of backslashes stands before it. */
static size_t skip_string(const char *t, size_t len, size_t i)
{
    for (size_t from = i + 1;;) {
        const char *q = memchr(t + from, '"', len - from);
        if (q == NULL) {
            return len;
        }
        size_t at = (size_t)(q - t), bs = 0;
        while (at - bs > i + 1 && t[at - bs - 1] == '\\') {
            bs++;
        }
        if (bs % 2 == 0) {
            return at + 1;
        }
        from = at + 1;
    }
}

/* Bytes that matter when skipping a container: quotes and brackets. */
static const bool structural[256] = {
    ['"'] = true, ['['] = true, [']'] = true, ['{'] = true, ['}'] = true};

/* The index after the value that starts at t[i]. */
static size_t skip_value(const char *t, size_t len, size_t i)
{
    if (t[i] == '"') {
        return skip_string(t, len, i);
    }
    if (t[i] != '[' && t[i] != '{') { /* a scalar: up to its end */
        while (i < len && !strchr(",]} \t\r\n", t[i])) {
            i++;
        }
        return i;
    }
    size_t depth = 0;
    while (i < len) {
        while (i < len && !structural[(unsigned char)t[i]]) {
            i++;
        }
        if (i >= len) {
            break;
        }
        char c = t[i];
        if (c == '"') {
            i = skip_string(t, len, i);
            continue;
        }
        i++;
        if (c == '[' || c == '{') {
            depth++;
        } else if (--depth == 0) {
            break;
        }
    }
    return i;
}

char *json_member_compact(const char *text, size_t len, const char *key, size_t *out_len)
{
    size_t klen = strlen(key), start = 0, end = 0;
    bool found = false;
    size_t i = skip_ws(text, len, 0);
    if (i >= len || text[i] != '{') {
        return NULL;
    }
    i = skip_ws(text, len, i + 1);
    while (i < len && text[i] == '"') {
        size_t k_end = skip_string(text, len, i);
        bool match = k_end - i - 2 == klen && memcmp(text + i + 1, key, klen) == 0;
        i = skip_ws(text, len, skip_ws(text, len, k_end) + 1); /* past ':' */
        size_t v_end = skip_value(text, len, i);
        if (match) { /* the last one wins, as JSON.parse reads a repeated key */
            found = true;
            start = i;
            end = v_end;
        }
        i = skip_ws(text, len, v_end);
        i = i < len && text[i] == ',' ? skip_ws(text, len, i + 1) : len;
    }
    char *out = found ? malloc(end - start + 1) : NULL;
    size_t o = 0;
    for (size_t j = start; out != NULL && j < end;) {
        char c = text[j];
        if (c == '"') {
            size_t s_end = skip_string(text, len, j);
            memcpy(out + o, text + j, s_end - j);
            o += s_end - j;
            j = s_end;
            continue;
        }
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
            out[o++] = c;
        }
        j++;
    }
    if (out != NULL) {
        out[o] = '\0';
        *out_len = o;
    }
    return out;
}
