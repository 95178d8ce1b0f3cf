#include "client/strbuf.h"

#include <stdlib.h>
#include <string.h>

static bool grow(struct strbuf *b, size_t n)
{
    if (b->failed) {
        return false;
    }
    if (n > STRBUF_MAX - b->len) {
        b->failed = true;
        return false;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        char *d = realloc(b->data, cap);
        if (d == NULL) {
            b->failed = true;
            return false;
        }
        b->data = d;
        b->cap = cap;
    }
    return true;
}

void strbuf_append(struct strbuf *b, const char *s, size_t n)
{
    if (!grow(b, n)) {
        return;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void strbuf_puts(struct strbuf *b, const char *s)
{
    strbuf_append(b, s, strlen(s));
}

void strbuf_putc(struct strbuf *b, char c)
{
    strbuf_append(b, &c, 1);
}

char *strbuf_extend(struct strbuf *b, size_t n)
{
    if (!grow(b, n)) {
        return NULL;
    }
    char *at = b->data + b->len;
    b->len += n;
    b->data[b->len] = '\0';
    return at;
}

void strbuf_free(struct strbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
