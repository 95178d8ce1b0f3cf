#include "sc_quote_body.h"

#include <stdlib.h>

#include "json/json.h"

#include "util/hex.h"
#include "util/utf8.h"

#include <string.h>

/* The string literal of s, or *err: DSTACK_EFORMAT when it is not UTF-8. */
static void put_string(struct json_out *o, const char *s, dstack_err *err)
{
    size_t len = strlen(s);
    if (!utf8_valid(s, len)) {
        *err = DSTACK_EFORMAT;
        return;
    }
    json_out_string(o, s, len);
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
    struct json_out b = {0};
    json_out_reserve(&b, (quote_hex != NULL ? quote_hex_len : 2 * q->quote.len) +
                             strlen(q->event_log) + 1024);
    uint8_t rt[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
    dstack_err err = DSTACK_OK;
    json_out_cstr(&b, "{\"quote\":");
    if (quote_hex != NULL) {
        json_out_raw(&b, "\"", 1);
        json_out_raw(&b, quote_hex, quote_hex_len);
        json_out_raw(&b, "\"", 1);
    } else {
        json_out_hex(&b, q->quote.data, q->quote.len);
    }
    json_out_cstr(&b, ",\"event_log\":");
    err = sc_evlog_cache_get(cache, q, rt, &b, replay_failed);
    if (err != DSTACK_OK) {
        goto out;
    }
    json_out_cstr(&b, ",\"vm_config\":");
    put_string(&b, q->vm_config, &err);
    json_out_cstr(&b, ",\"report_data\":");
    json_out_hex(&b, q->report_data.data, q->report_data.len);
    json_out_cstr(&b, ",\"rtmrs\":{");
    for (int i = 0; i < DSTACK_RTMR_COUNT; i++) {
        char key[16] = ",\"rtmr0\":";
        key[6] = (char)('0' + i);
        json_out_cstr(&b, i == 0 ? key + 1 : key);
        json_out_hex(&b, rt[i], DSTACK_MR_LEN);
    }
    json_out_cstr(&b, "}}");
    if (err == DSTACK_OK && b.failed) {
        err = DSTACK_ENOMEM;
    }
out:
    if (err != DSTACK_OK) {
        json_out_free(&b);
        return err;
    }
    *out = json_out_take(&b, out_len);
    return *out != NULL ? DSTACK_OK : DSTACK_ENOMEM;
}
