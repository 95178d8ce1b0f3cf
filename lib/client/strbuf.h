/* A growable text buffer with a hard cap, for building JSON and messages. */
#ifndef DSTACK_CLIENT_STRBUF_H
#define DSTACK_CLIENT_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

#define STRBUF_MAX (64u * 1024u * 1024u)

struct strbuf {
    char *data; /* NUL-terminated when non-NULL */
    size_t len, cap;
    bool failed; /* an append ran out of memory or over STRBUF_MAX; later appends are no-ops */
};

void strbuf_append(struct strbuf *b, const char *s, size_t n);
void strbuf_puts(struct strbuf *b, const char *s);
void strbuf_putc(struct strbuf *b, char c);
/* Appends n bytes for the caller to fill and returns where they start (the text stays
 * NUL-terminated after them); NULL when the buffer has failed. */
char *strbuf_extend(struct strbuf *b, size_t n);
void strbuf_free(struct strbuf *b);

#endif
