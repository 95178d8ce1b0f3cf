/* Direct decoder of GetQuote answers (quote_fast.c): the common case without a jansson tree. */
#ifndef DSTACK_CLIENT_QUOTE_FAST_H
#define DSTACK_CLIENT_QUOTE_FAST_H

#include <stddef.h>

#include <dstack/client.h>

enum qf_result {
    QF_OK,       /* *q filled (json left NULL); free its fields as dstack_get_quote_response_free */
    QF_FALLBACK, /* outside the accepted subset: decode with jansson instead; *q zeroed */
    QF_NOMEM,    /* *q zeroed */
};

/* Decodes the 2xx answer text[0..len) into *q (a caller-owned struct, zeroed first). */
enum qf_result quote_fast_decode(const char *text, size_t len, struct dstack_get_quote_response *q);

#endif
