#include "sc_evlog_cache.h"

#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "util/utf8.h"

int sc_evlog_cache_init(struct sc_evlog_cache *c)
{
    memset(c, 0, sizeof *c);
    return pthread_mutex_init(&c->lock, NULL) == 0 ? 0 : -1;
}

void sc_evlog_cache_free(struct sc_evlog_cache *c)
{
    free(c->log);
    free(c->literal);
    pthread_mutex_destroy(&c->lock);
    memset(c, 0, sizeof *c);
}

/* A JSON string literal written by the shared writer (the bytes json_dump of the whole answer
 * writes); NULL when s is not UTF-8 or out of memory. */
static char *string_literal(const char *s, size_t len, size_t *out_len, dstack_err *err)
{
    *out_len = 0;
    if (!utf8_valid(s, len)) {
        *err = DSTACK_EFORMAT;
        return NULL;
    }
    struct json_out o = {0};
    json_out_string(&o, s, len);
    *err = DSTACK_ENOMEM;
    return json_out_take(&o, out_len);
}

dstack_err sc_evlog_cache_get(struct sc_evlog_cache *c, const struct dstack_get_quote_response *q,
                              uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN], struct json_out *out,
                              bool *replay_failed)
{
    *replay_failed = false;
    size_t len = strlen(q->event_log);
    pthread_mutex_lock(&c->lock);
    if (c->log != NULL && c->log_len == len && memcmp(c->log, q->event_log, len) == 0) {
        memcpy(rtmr, c->rtmr, sizeof c->rtmr);
        json_out_raw(out, c->literal, c->literal_len);
        pthread_mutex_unlock(&c->lock);
        return out->failed ? DSTACK_ENOMEM : DSTACK_OK;
    }
    pthread_mutex_unlock(&c->lock);
    /* A miss: replayed and encoded outside the lock, then kept as the new entry. */
    dstack_err err = dstack_get_quote_response_replay_rtmrs(q, rtmr);
    if (err != DSTACK_OK) {
        *replay_failed = true;
        return err;
    }
    size_t lit_len = 0;
    char *lit = string_literal(q->event_log, len, &lit_len, &err);
    if (lit == NULL) {
        return err;
    }
    json_out_raw(out, lit, lit_len);
    char *log = malloc(len + 1);
    if (log == NULL) {
        free(lit);
        return out->failed ? DSTACK_ENOMEM : DSTACK_OK; /* answered, just not kept */
    }
    memcpy(log, q->event_log, len + 1);
    pthread_mutex_lock(&c->lock);
    free(c->log);
    free(c->literal);
    c->log = log;
    c->log_len = len;
    c->literal = lit;
    c->literal_len = lit_len;
    memcpy(c->rtmr, rtmr, sizeof c->rtmr);
    pthread_mutex_unlock(&c->lock);
    return out->failed ? DSTACK_ENOMEM : DSTACK_OK;
}
