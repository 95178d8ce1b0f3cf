#include "sc_quote_body.h"

#include <stdlib.h>

#include "json/json.h"

#include "util/hex.h"
#include "util/utf8.h"

#include <string.h>

static void put_hex(struct strbuf *b, const uint8_t *data, size_t len)
{
    strbuf_putc(b, '"');
    char *at = len <= STRBUF_MAX / 2 ? strbuf_extend(b, 2 * len) : NULL;
    if (at != NULL) {
        hex_encode(data, len, at); /* its NUL lands where strbuf keeps one */
    } else {
        b->failed = true;
    }
    strbuf_putc(b, '"');
}

static void put_string(struct strbuf *b, const char *s, dstack_err *err)
{
    size_t len = strlen(s);
    if (!utf8_valid(s, len)) {
        *err = DSTACK_EFORMAT;
        return;
    }
    struct json_out o = {0};
    json_out_string(&o, s, len);
    char *lit = json_out_take(&o, &len);
    if (lit == NULL) {
        *err = DSTACK_ENOMEM;
    } else {
        strbuf_append(b, lit, len);
    }
    free(lit);
}

dstack_err sc_quote_body(struct sc_evlog_cache *cache, const struct dstack_get_quote_response *q,
                         char **out, size_t *out_len, bool *replay_failed)
{
    return sc_quote_body_hex(cache, q, NULL, 0, out, out_len, replay_failed);
}

dstack_err sc_quote_body_hex(struct sc_evlog_cache *cache,
                             const struct dstack_get_quote_response *q, const char *quote_hex,
                             size_t quote_hex_len, char **out, size_t *out_len, bool *replay_failed)
{
    *out = NULL;
    *out_len = 0;
    *replay_failed = false;
    struct strbuf b = {0};
    uint8_t rt[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
    dstack_err err = DSTACK_OK;
    strbuf_puts(&b, "{\"quote\":");
    if (quote_hex != NULL) {
        strbuf_putc(&b, '"');
        strbuf_append(&b, quote_hex, quote_hex_len);
        strbuf_putc(&b, '"');
    } else {
        put_hex(&b, q->quote.data, q->quote.len);
    }
    strbuf_puts(&b, ",\"event_log\":");
    err = sc_evlog_cache_get(cache, q, rt, &b, replay_failed);
    if (err != DSTACK_OK) {
        goto out;
    }
    strbuf_puts(&b, ",\"vm_config\":");
    put_string(&b, q->vm_config, &err);
    strbuf_puts(&b, ",\"report_data\":");
    put_hex(&b, q->report_data.data, q->report_data.len);
    strbuf_puts(&b, ",\"rtmrs\":{");
    for (int i = 0; i < DSTACK_RTMR_COUNT; i++) {
        char key[16] = ",\"rtmr0\":";
        key[6] = (char)('0' + i);
        strbuf_puts(&b, i == 0 ? key + 1 : key);
        put_hex(&b, rt[i], DSTACK_MR_LEN);
    }
    strbuf_puts(&b, "}}");
    if (err == DSTACK_OK && (b.failed || b.data == NULL)) {
        err = DSTACK_ENOMEM;
    }
out:
    if (err != DSTACK_OK) {
        strbuf_free(&b);
        return err;
    }
    *out = b.data;
    *out_len = b.len;
    return DSTACK_OK;
}
