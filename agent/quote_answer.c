/* The GetQuote answer encoder and its cache (see quote_answer.h). */
#include "quote_answer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"

#include <dstack/quote.h>

#include "attest/scale.h"
#include "attest/versioned.h"
#include "util/hex.h"
#include "util/utf8.h"

struct quote_answer_cache {
    pthread_mutex_t lock;
    struct quote_answer_log *cur; /* the latest entry, or NULL */
};

dstack_err quote_answer_literal(const char *text, char **out, size_t *out_len)
{
    size_t len = strlen(text);
    if (!utf8_valid(text, len)) {
        return DSTACK_EFORMAT;
    }
    struct json_out o = {0};
    json_out_string(&o, text, len);
    *out = json_out_take(&o, out_len);
    return *out != NULL ? DSTACK_OK : DSTACK_ENOMEM;
}

static dstack_err hex_dup(const uint8_t *b, size_t len, char **out, size_t *out_len)
{
    *out = hex_encode_alloc(b, len);
    *out_len = 2 * len;
    return *out != NULL ? DSTACK_OK : DSTACK_ENOMEM;
}

/* The VersionedAttestation of (log, quote, report data, config) as a view: every pointer is
 * borrowed except the pre-image texts, so release it with view_free, never versioned_free.
 * Runtime events are every event of type 0x08000001, as from_tdx_quote collects them
 * (docs/wire.md). */
static dstack_err view_init(const struct dstack_event_log *log, const uint8_t *quote,
                            size_t quote_len, const uint8_t rd[DSTACK_REPORT_DATA_LEN],
                            const char *config, struct versioned_attestation *va)
{
    memset(va, 0, sizeof *va);
    size_t n_rt = 0;
    for (size_t i = 0; i < log->count; i++) {
        n_rt += log->events[i].event_type == DSTACK_RUNTIME_EVENT_TYPE;
    }
    va->events = calloc(log->count + 1, sizeof *va->events);
    va->runtime = calloc(n_rt + 1, sizeof *va->runtime);
    if (va->events == NULL || va->runtime == NULL) {
        return DSTACK_ENOMEM;
    }
    va->quote_kind = VERSIONED_QUOTE_DSTACK_TDX;
    va->quote = (uint8_t *)quote;
    va->quote_len = quote_len;
    for (size_t i = 0; i < log->count; i++) {
        const struct dstack_event *e = &log->events[i];
        struct versioned_event *v = &va->events[va->n_events++];
        v->imr = e->imr;
        v->event_type = e->event_type;
        v->digest = e->has_digest ? (uint8_t *)e->digest : NULL;
        v->digest_len = e->has_digest ? DSTACK_SHA384_LEN : 0;
        v->event = e->event;
        v->event_len = strlen(e->event);
        v->payload = e->payload;
        v->payload_len = e->payload_len;
        v->version = e->version;
        if (e->has_preimage &&
            (v->preimage = hex_encode_alloc(e->preimage, e->preimage_len)) == NULL) {
            return DSTACK_ENOMEM;
        }
        if (e->event_type == DSTACK_RUNTIME_EVENT_TYPE) {
            struct versioned_runtime_event *r = &va->runtime[va->n_runtime++];
            r->event = e->event;
            r->event_len = v->event_len;
            r->payload = e->payload;
            r->payload_len = e->payload_len;
            r->version = e->version;
        }
    }
    if (rd != NULL) {
        memcpy(va->report_data, rd, DSTACK_REPORT_DATA_LEN);
    }
    va->config = (char *)config;
    va->config_len = strlen(config);
    return DSTACK_OK;
}

static void view_free(struct versioned_attestation *va)
{
    for (size_t i = 0; va->events != NULL && i < va->n_events; i++) {
        free(va->events[i].preimage);
    }
    free(va->events);
    free(va->runtime);
    memset(va, 0, sizeof *va);
}

dstack_err quote_answer_att_encode(const struct quote_answer_log *ev, const uint8_t *quote,
                                   size_t quote_len, const uint8_t rd[DSTACK_REPORT_DATA_LEN],
                                   uint8_t **out, size_t *out_len)
{
    struct versioned_attestation va;
    dstack_err err = view_init(&ev->log, quote, quote_len, rd, ev->vm_config, &va);
    if (err == DSTACK_OK) {
        err = versioned_v0_ok(&va) ? versioned_encode_v0(&va, out, out_len)
                                   : versioned_encode_v1(&va, out, out_len);
    }
    view_free(&va);
    return err;
}

/* The V0 attestation's parts that do not depend on the quote: encode it once around an empty
 * quote and zero report data, and cut out what lies between them
 * (0x00 ‖ variant ‖ compact(0) ‖ mid ‖ [0;64] ‖ cfg). */
static dstack_err att_parts(struct quote_answer_log *ev)
{
    static const uint8_t no_quote[1] = {0};
    struct versioned_attestation va;
    uint8_t *full = NULL, *cfg = NULL;
    size_t full_len = 0, cfg_len = 0;
    const size_t head = 3; /* version, variant, compact(0) */

    dstack_err err = view_init(&ev->log, no_quote, 0, NULL, ev->vm_config, &va);
    if (err != DSTACK_OK) {
        goto out;
    }
    ev->att_v0 = versioned_v0_ok(&va);
    if (!ev->att_v0) {
        goto out; /* V1 msgpack: encoded per request */
    }
    struct scale_buf b = {0};
    scale_put_bytes(&b, va.config, va.config_len);
    if ((err = scale_buf_finish(&b, &cfg, &cfg_len)) != DSTACK_OK ||
        (err = versioned_encode_v0(&va, &full, &full_len)) != DSTACK_OK) {
        goto out;
    }
    if (full_len < head + DSTACK_REPORT_DATA_LEN + cfg_len || full[2] != 0 ||
        memcmp(full + full_len - cfg_len, cfg, cfg_len) != 0) {
        ev->att_v0 = false; /* not the layout this splice knows: encode per request */
        goto out;
    }
    size_t mid_len = full_len - head - DSTACK_REPORT_DATA_LEN - cfg_len;
    if ((err = hex_dup(full + head, mid_len, &ev->att_mid_hex, &ev->att_mid_hex_len)) !=
            DSTACK_OK ||
        (err = hex_dup(cfg, cfg_len, &ev->att_cfg_hex, &ev->att_cfg_hex_len)) != DSTACK_OK) {
        goto out;
    }
out:
    free(full);
    free(cfg);
    view_free(&va);
    return err;
}

dstack_err quote_answer_log_new(struct dstack_event_log *log, const char *vm_config,
                                struct quote_answer_log **out)
{
    struct quote_answer_log *ev = calloc(1, sizeof *ev);
    char *text = NULL;
    dstack_err err = DSTACK_ENOMEM;
    *out = NULL;
    if (ev == NULL) {
        return err;
    }
    atomic_init(&ev->refs, 1);
    ev->log = *log;
    dstack_event_log_init(log);
    ev->vm_config = strdup(vm_config != NULL ? vm_config : "");
    if (ev->vm_config == NULL) {
        quote_answer_log_unref(ev);
        return err;
    }
    if ((err = dstack_event_log_format(&ev->log, DSTACK_EVLOG_JSON_COMPACT, &text)) != DSTACK_OK ||
        (err = quote_answer_literal(text, &ev->log_json, &ev->log_json_len)) != DSTACK_OK ||
        (err = quote_answer_literal(ev->vm_config, &ev->vm_config_json, &ev->vm_config_json_len)) !=
            DSTACK_OK ||
        (err = att_parts(ev)) != DSTACK_OK) {
        free(text);
        quote_answer_log_unref(ev);
        return err;
    }
    free(text);
    *out = ev;
    return DSTACK_OK;
}

void quote_answer_log_ref(struct quote_answer_log *ev)
{
    atomic_fetch_add_explicit(&ev->refs, 1, memory_order_relaxed);
}

void quote_answer_log_unref(struct quote_answer_log *ev)
{
    if (ev == NULL || atomic_fetch_sub_explicit(&ev->refs, 1, memory_order_acq_rel) != 1) {
        return;
    }
    dstack_event_log_free(&ev->log);
    free(ev->log_json);
    free(ev->vm_config);
    free(ev->vm_config_json);
    free(ev->att_mid_hex);
    free(ev->att_cfg_hex);
    free(ev);
}

void quote_answer_key(const struct dstack_td_report *report, uint8_t key[QUOTE_ANSWER_KEY_LEN])
{
    memcpy(key, report->mr_td, DSTACK_MR_LEN);
    memcpy(key + DSTACK_MR_LEN, report->rtmr, 4 * DSTACK_MR_LEN);
}

dstack_err quote_answer_cache_new(struct quote_answer_cache **out)
{
    struct quote_answer_cache *c = calloc(1, sizeof *c);
    *out = NULL;
    if (c == NULL || pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return DSTACK_ENOMEM;
    }
    *out = c;
    return DSTACK_OK;
}

void quote_answer_cache_free(struct quote_answer_cache *c)
{
    if (c == NULL) {
        return;
    }
    quote_answer_log_unref(c->cur);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

struct quote_answer_log *quote_answer_cache_get(struct quote_answer_cache *c,
                                                const uint8_t key[QUOTE_ANSWER_KEY_LEN])
{
    struct quote_answer_log *ev = NULL;
    if (c == NULL) {
        return NULL;
    }
    pthread_mutex_lock(&c->lock);
    if (c->cur != NULL && memcmp(c->cur->key, key, QUOTE_ANSWER_KEY_LEN) == 0) {
        ev = c->cur;
        quote_answer_log_ref(ev);
    }
    pthread_mutex_unlock(&c->lock);
    return ev;
}

void quote_answer_cache_put(struct quote_answer_cache *c, struct quote_answer_log *ev)
{
    if (c == NULL) {
        return;
    }
    quote_answer_log_ref(ev);
    pthread_mutex_lock(&c->lock);
    struct quote_answer_log *old = c->cur;
    c->cur = ev;
    pthread_mutex_unlock(&c->lock);
    quote_answer_log_unref(old);
}

dstack_err quote_answer_att_plan(const struct quote_answer_log *ev, size_t quote_len,
                                 struct quote_answer_att_plan *plan)
{
    /* 0x00 ‖ variant ‖ compact(quote_len), through the SCALE writer the full encoder uses. */
    struct scale_buf b = {0};
    uint8_t *head = NULL;
    size_t n = 0;
    scale_put_u8(&b, VERSIONED_V0);
    scale_put_u8(&b, VERSIONED_QUOTE_DSTACK_TDX);
    scale_put_compact(&b, quote_len);
    dstack_err err = scale_buf_finish(&b, &head, &n);
    if (err == DSTACK_OK && 2 * n >= sizeof plan->head_hex) {
        err = DSTACK_EINVAL;
    }
    if (err == DSTACK_OK) {
        hex_encode(head, n, plan->head_hex);
        plan->head_hex_len = 2 * n;
        plan->hex_len = plan->head_hex_len + 2 * quote_len + ev->att_mid_hex_len +
                        2 * DSTACK_REPORT_DATA_LEN + ev->att_cfg_hex_len;
    }
    free(head);
    return err;
}

char *quote_answer_att_write(const struct quote_answer_log *ev,
                             const struct quote_answer_att_plan *plan, const uint8_t *quote,
                             size_t quote_len, const char *quote_hex, const char *rd_hex, char *out)
{
    memcpy(out, plan->head_hex, plan->head_hex_len);
    out += plan->head_hex_len;
    if (quote_hex != NULL) {
        memcpy(out, quote_hex, 2 * quote_len);
    } else {
        hex_encode(quote, quote_len, out); /* its NUL is overwritten by mid */
    }
    out += 2 * quote_len;
    memcpy(out, ev->att_mid_hex, ev->att_mid_hex_len);
    out += ev->att_mid_hex_len;
    memcpy(out, rd_hex, 2 * DSTACK_REPORT_DATA_LEN);
    out += 2 * DSTACK_REPORT_DATA_LEN;
    memcpy(out, ev->att_cfg_hex, ev->att_cfg_hex_len);
    return out + ev->att_cfg_hex_len;
}

/* ---- the answer text (see quote_answer.h) ------------------------------------------------ */

char *quote_answer_write(const struct quote_answer_field *f, size_t n,
                         const struct quote_answer_log *ev, const uint8_t *quote, size_t quote_len,
                         const char *rd_hex, size_t *out_len)
{
    size_t len = 2; /* {} */
    for (size_t i = 0; i < n; i++) {
        size_t v = f[i].lit != NULL   ? f[i].lit_len
                   : f[i].att != NULL ? f[i].att->hex_len + 2
                                      : 2 * f[i].hex_len + 2;
        len += (i > 0) + strlen(f[i].key) + 3 + v;
    }
    struct json_out o = {0};
    json_out_reserve(&o, len);
    size_t quote_hex_at = SIZE_MAX; /* offset of the quote's digits in the text */
    json_out_raw(&o, "{", 1);
    for (size_t i = 0; i < n; i++) {
        json_out_raw(&o, &",\""[i == 0], i > 0 ? 2 : 1);
        json_out_cstr(&o, f[i].key);
        json_out_raw(&o, "\":", 2);
        if (f[i].lit != NULL) {
            json_out_raw(&o, f[i].lit, f[i].lit_len);
        } else if (f[i].att != NULL) {
            json_out_raw(&o, "\"", 1);
            char *p = json_out_extend(&o, f[i].att->hex_len);
            if (p != NULL) {
                const char *quote_hex = quote_hex_at != SIZE_MAX ? o.data + quote_hex_at : NULL;
                quote_answer_att_write(ev, f[i].att, quote, quote_len, quote_hex, rd_hex, p);
            }
            json_out_raw(&o, "\"", 1);
        } else {
            if (f[i].hex == quote) {
                quote_hex_at = o.len + 1;
            }
            json_out_hex(&o, f[i].hex, f[i].hex_len);
        }
    }
    json_out_raw(&o, "}", 1);
    return json_out_take(&o, out_len);
}

bool quote_answer_attestation(const struct quote_answer_log *ev, const uint8_t *quote,
                              size_t quote_len, const uint8_t rd[DSTACK_REPORT_DATA_LEN],
                              struct quote_answer_att_plan *plan, uint8_t **bytes,
                              struct quote_answer_field *f, dstack_err *why)
{
    *bytes = NULL;
    f->key = "attestation";
    if (ev->att_v0) {
        *why = quote_answer_att_plan(ev, quote_len, plan);
        f->att = plan;
        return *why == DSTACK_OK;
    }
    size_t len = 0;
    *why = quote_answer_att_encode(ev, quote, quote_len, rd, bytes, &len);
    f->hex = *bytes;
    f->hex_len = len;
    return *why == DSTACK_OK;
}
