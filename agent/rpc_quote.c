/* Quote RPCs: GetQuote, Attest (dstack.sock), TdxQuote, RawQuote (tappd.sock) and EmitEvent
 * (docs/api/GetQuote.md, Attest.md, TdxQuote.md, RawQuote.md, EmitEvent.md). */
#include <stdlib.h>
#include <string.h>

#include <dstack/attest.h>
#include <dstack/quote.h>

#include "agent.h"
#include "quote_answer.h"
#include "crypto/hash.h"
#include "crypto/keccak.h"
#include "handlers.h"
#include "rpc_quote.h"
#include "tee/event_limits.h"
#include "util/hex.h"

/* A quote, parsed once, and the encoded event log it was taken against (quote_answer.h). */
struct quote_snapshot {
    uint8_t *quote;
    size_t quote_len;
    bool parsed; /* the quote parses: report holds its registers */
    struct dstack_td_report report;
    struct quote_answer_log *ev;
};

static void snapshot_free(struct quote_snapshot *s)
{
    free(s->quote);
    quote_answer_log_unref(s->ev);
    memset(s, 0, sizeof *s);
}

/* The backend hands out the quote and the log in two calls, and an EmitEvent may land between
 * them. The log only grows, so the quote's RTMR3 is the replay of a prefix of its IMR 3 events:
 * keep the events up to that point (and every boot event), so the log returned with a quote
 * always replays to that quote's RTMRs. If no prefix matches (a platform whose RTMR3 is not
 * the log's replay, e.g. a fixture), the log is left whole. *exact tells whether a prefix
 * matched: only then is the log a function of the quote's registers, and cacheable. */
static dstack_err trim_to_quote(struct dstack_event_log *log, const uint8_t rtmr3[DSTACK_MR_LEN],
                                bool *exact)
{
    *exact = false;
    uint8_t mr[DSTACK_MR_LEN] = {0};
    size_t cut = SIZE_MAX;
    if (memcmp(mr, rtmr3, DSTACK_MR_LEN) == 0) {
        cut = 0;
    }
    for (size_t i = 0; cut == SIZE_MAX && i < log->count; i++) {
        const struct dstack_event *e = &log->events[i];
        uint8_t d[DSTACK_SHA384_LEN];
        if (e->imr != 3) {
            continue;
        }
        if (dstack_event_digest(e, d) != DSTACK_OK) {
            return DSTACK_OK;
        }
        dstack_rtmr_extend(mr, d);
        if (memcmp(mr, rtmr3, DSTACK_MR_LEN) == 0) {
            cut = i + 1;
        }
    }
    if (cut == SIZE_MAX) {
        return DSTACK_OK;
    }
    *exact = true;
    if (cut >= log->count) {
        return DSTACK_OK;
    }
    struct dstack_event_log kept;
    dstack_event_log_init(&kept);
    for (size_t i = 0; i < log->count; i++) {
        const struct dstack_event *e = &log->events[i];
        if (i >= cut && e->imr == 3) {
            continue;
        }
        dstack_err err =
            dstack_event_log_push(&kept, e->imr, e->event_type, e->has_digest ? e->digest : NULL,
                                  e->event, e->payload, e->payload_len, e->version);
        if (err != DSTACK_OK) {
            dstack_event_log_free(&kept);
            return err_set(err, "cutting the log to the quote: %s", dstack_err_str(err));
        }
    }
    dstack_event_log_free(log);
    *log = kept;
    return DSTACK_OK;
}

/* The encoded log behind a fresh quote: the cached one when the quote's registers match it,
 * else read from the backend, cut to the quote and encoded (and cached when exact). */
static dstack_err snapshot_log(struct rpc_call *call, struct quote_snapshot *s)
{
    struct agent *a = call->agent;
    uint8_t key[QUOTE_ANSWER_KEY_LEN];
    if (s->parsed) {
        quote_answer_key(&s->report, key);
        if ((s->ev = quote_answer_cache_get(a->quotes, key)) != NULL) {
            return DSTACK_OK;
        }
    }
    struct dstack_event_log log;
    bool exact = false;
    dstack_event_log_init(&log);
    /* Each step sets the error text when it fails (the backend's: tdx says why the CCEL is not
     * readable). */
    dstack_err e = a->tee->event_log(a->tee_state, &log);
    if (e == DSTACK_OK && s->parsed) { /* an unparsable quote: nothing to align with */
        e = trim_to_quote(&log, s->report.rtmr[3], &exact);
    }
    if (e == DSTACK_OK) {
        e = dstack_event_log_fill_v2_preimages(&log);
    }
    if (e != DSTACK_OK) {
        dstack_event_log_free(&log);
        return err_wrap(DSTACK_EINVAL, "Failed to read the event log");
    }
    e = quote_answer_log_new(&log, a->vm_config, &s->ev);
    dstack_event_log_free(&log);
    if (e != DSTACK_OK) {
        /* a text that is not UTF-8 was reported this way before the cache */
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    if (s->parsed && exact) {
        memcpy(s->ev->key, key, QUOTE_ANSWER_KEY_LEN);
        quote_answer_cache_put(a->quotes, s->ev);
    }
    return DSTACK_OK;
}

static dstack_err take_snapshot(struct rpc_call *call, const uint8_t rd[DSTACK_REPORT_DATA_LEN],
                                struct quote_snapshot *s)
{
    struct agent *a = call->agent;
    memset(s, 0, sizeof *s);
    if (a == NULL || a->tee == NULL || a->tee->quote == NULL || a->tee->event_log == NULL) {
        return err_set(DSTACK_EINVAL, "Failed to get quote: not supported by this TEE backend");
    }
    dstack_err e = a->tee->quote(a->tee_state, rd, &s->quote, &s->quote_len);
    if (e != DSTACK_OK || s->quote == NULL) {
        snapshot_free(s);
        if (e == DSTACK_OK) {
            return err_set(DSTACK_EINVAL, "Failed to get quote: the backend returned no quote");
        }
        return err_wrap(DSTACK_EINVAL, "Failed to get quote"); /* the backend's reason */
    }
    struct dstack_quote parsed;
    s->parsed = dstack_quote_parse(s->quote, s->quote_len, &parsed) == DSTACK_OK;
    if (s->parsed) {
        s->report = parsed.report;
    }
    if (snapshot_log(call, s) != DSTACK_OK) {
        snapshot_free(s);
        return DSTACK_EINVAL;
    }
    return DSTACK_OK;
}

/* report_data of GetQuote/Attest: 0-64 bytes, right-padded with zeros (rpc_service.rs pad64). */
static dstack_err padded_report_data(struct rpc_call *call, uint8_t rd[DSTACK_REPORT_DATA_LEN])
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (rpc_arg_bytes(call, "report_data", &data, &len) != DSTACK_OK) {
        return DSTACK_EINVAL;
    }
    if (len > DSTACK_REPORT_DATA_LEN) {
        free(data);
        return err_set(DSTACK_EINVAL, "Report data is too long");
    }
    memset(rd, 0, DSTACK_REPORT_DATA_LEN);
    if (len > 0) {
        memcpy(rd, data, len);
    }
    free(data);
    return DSTACK_OK;
}

dstack_err h_get_quote(struct rpc_call *call)
{
    uint8_t rd[DSTACK_REPORT_DATA_LEN];
    dstack_err e = padded_report_data(call, rd);
    return e != DSTACK_OK ? e : rpc_quote_response(call, rd);
}

dstack_err rpc_quote_response(struct rpc_call *call, const uint8_t rd[DSTACK_REPORT_DATA_LEN])
{
    struct quote_snapshot s;
    if (take_snapshot(call, rd, &s) != DSTACK_OK) {
        return DSTACK_EINVAL;
    }
    char rd_hex[2 * DSTACK_REPORT_DATA_LEN + 1];
    hex_encode(rd, DSTACK_REPORT_DATA_LEN, rd_hex);
    /* Field order quote, event_log, report_data, vm_config, attestation (docs/api/GetQuote.md);
     * attestation is omitted when it cannot be encoded. */
    struct quote_answer_field f[5] = {
        {.key = "quote", .hex = s.quote, .hex_len = s.quote_len},
        {.key = "event_log", .lit = s.ev->log_json, .lit_len = s.ev->log_json_len},
        {.key = "report_data", .hex = rd, .hex_len = DSTACK_REPORT_DATA_LEN},
        {.key = "vm_config", .lit = s.ev->vm_config_json, .lit_len = s.ev->vm_config_json_len},
    };
    struct quote_answer_att_plan plan;
    uint8_t *att = NULL;
    dstack_err why;
    size_t n =
        quote_answer_attestation(s.ev, s.quote, s.quote_len, rd, &plan, &att, &f[4], &why) ? 5 : 4;
    call->result_text =
        quote_answer_write(f, n, s.ev, s.quote, s.quote_len, rd_hex, &call->result_text_len);
    free(att);
    snapshot_free(&s);
    return call->result_text != NULL ? DSTACK_OK : err_set(DSTACK_ENOMEM, "out of memory");
}

dstack_err h_attest(struct rpc_call *call)
{
    uint8_t rd[DSTACK_REPORT_DATA_LEN];
    struct quote_snapshot s;
    if (padded_report_data(call, rd) != DSTACK_OK || take_snapshot(call, rd, &s) != DSTACK_OK) {
        return DSTACK_EINVAL;
    }
    char rd_hex[2 * DSTACK_REPORT_DATA_LEN + 1];
    hex_encode(rd, DSTACK_REPORT_DATA_LEN, rd_hex);
    struct quote_answer_field f[1] = {{.key = NULL}};
    struct quote_answer_att_plan plan;
    uint8_t *att = NULL;
    dstack_err why;
    if (!quote_answer_attestation(s.ev, s.quote, s.quote_len, rd, &plan, &att, &f[0], &why)) {
        free(att);
        snapshot_free(&s);
        return err_set(DSTACK_EINVAL, "Failed to encode the attestation: %s", dstack_err_str(why));
    }
    call->result_text =
        quote_answer_write(f, 1, s.ev, s.quote, s.quote_len, rd_hex, &call->result_text_len);
    free(att);
    snapshot_free(&s);
    return call->result_text != NULL ? DSTACK_OK : err_set(DSTACK_ENOMEM, "out of memory");
}

/* QuoteContentType::to_report_data_with_hash (attestation.rs L506-576, docs/api/GetQuote.md):
 * H(tag ‖ ":" ‖ content) zero-padded to 64 bytes. false for an unknown algorithm. */
static bool hash_report_data(const char *alg, const char *tag, const uint8_t *content, size_t len,
                             uint8_t rd[DSTACK_REPORT_DATA_LEN], bool *oom)
{
    static const struct {
        const char *name;
        int sha;       /* enum hash_alg, or -1 for keccak */
        size_t keccak; /* output length for keccak */
    } algs[] = {
        {"sha256", HASH_SHA256, 0},     {"sha384", HASH_SHA384, 0},
        {"sha512", HASH_SHA512, 0},     {"sha3-256", HASH_SHA3_256, 0},
        {"sha3-384", HASH_SHA3_384, 0}, {"sha3-512", HASH_SHA3_512, 0},
        {"keccak256", -1, 32},          {"keccak384", -1, 48},
        {"keccak512", -1, 64},
    };
    size_t tag_len = strlen(tag);
    *oom = false;
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        if (strcmp(alg, algs[i].name) != 0) {
            continue;
        }
        memset(rd, 0, DSTACK_REPORT_DATA_LEN);
        if (algs[i].sha < 0) {
            struct keccak_ctx k;
            keccak_init(&k, algs[i].keccak);
            keccak_update(&k, tag, tag_len);
            keccak_update(&k, ":", 1);
            keccak_update(&k, content, len);
            keccak_final(&k, rd);
            return true;
        }
        uint8_t *msg = malloc(tag_len + 1 + len);
        if (msg == NULL) {
            *oom = true;
            return false;
        }
        memcpy(msg, tag, tag_len);
        msg[tag_len] = ':';
        if (len > 0) {
            memcpy(msg + tag_len + 1, content, len);
        }
        dstack_err e = hash_digest((enum hash_alg)algs[i].sha, msg, tag_len + 1 + len, rd);
        free(msg);
        *oom = e != DSTACK_OK;
        return e == DSTACK_OK;
    }
    return false;
}

/* Tappd TdxQuote / RawQuote body (rpc_service.rs L547-581, docs/api/TdxQuote.md). */
static dstack_err tdx_quote(struct rpc_call *call, const char *alg, const char *prefix)
{
    uint8_t *data = NULL;
    size_t len = 0;
    uint8_t rd[DSTACK_REPORT_DATA_LEN];
    struct quote_snapshot s;
    if (rpc_arg_bytes(call, "report_data", &data, &len) != DSTACK_OK) {
        return DSTACK_EINVAL;
    }
    if (alg[0] == '\0') {
        alg = "sha512";
    }
    const char *tag = prefix[0] ? prefix : "app-data";
    if (strcmp(alg, "raw") == 0) {
        if (len != DSTACK_REPORT_DATA_LEN) {
            free(data);
            return err_set(DSTACK_EINVAL, "invalid content length");
        }
        memcpy(rd, data, DSTACK_REPORT_DATA_LEN);
        tag = "";
    } else {
        bool oom;
        if (!hash_report_data(alg, tag, data, len, rd, &oom)) {
            free(data);
            return err_set(DSTACK_EINVAL, "%s", oom ? "out of memory" : "invalid hash algorithm");
        }
    }
    free(data);
    if (take_snapshot(call, rd, &s) != DSTACK_OK) {
        return DSTACK_EINVAL;
    }
    char *alg_lit = NULL, *tag_lit = NULL;
    size_t alg_len = 0, tag_len = 0;
    if (quote_answer_literal(alg, &alg_lit, &alg_len) == DSTACK_OK &&
        quote_answer_literal(tag, &tag_lit, &tag_len) == DSTACK_OK) {
        struct quote_answer_field f[4] = {
            {.key = "quote", .hex = s.quote, .hex_len = s.quote_len},
            {.key = "event_log", .lit = s.ev->log_json, .lit_len = s.ev->log_json_len},
            {.key = "hash_algorithm", .lit = alg_lit, .lit_len = alg_len},
            {.key = "prefix", .lit = tag_lit, .lit_len = tag_len},
        };
        call->result_text =
            quote_answer_write(f, 4, s.ev, s.quote, s.quote_len, NULL, &call->result_text_len);
    }
    free(alg_lit);
    free(tag_lit);
    snapshot_free(&s);
    return call->result_text != NULL ? DSTACK_OK : err_set(DSTACK_ENOMEM, "out of memory");
}

dstack_err h_tdx_quote(struct rpc_call *call)
{
    const char *alg, *prefix;
    if (rpc_arg_string(call, "hash_algorithm", &alg) != DSTACK_OK ||
        rpc_arg_string(call, "prefix", &prefix) != DSTACK_OK) {
        return DSTACK_EINVAL;
    }
    return tdx_quote(call, alg, prefix);
}

dstack_err h_raw_quote(struct rpc_call *call)
{
    return tdx_quote(call, "raw", "");
}

/* EmitEvent (removed upstream at HEAD, kept for the SDKs that still call it; attestation.md
 * docs/api/EmitEvent.md): the backend extends RTMR3 and appends the runtime event under one lock.
 */
dstack_err h_emit_event(struct rpc_call *call)
{
    const char *name;
    uint8_t *payload = NULL;
    size_t len = 0;
    struct agent *a = call->agent;
    if (rpc_arg_string(call, "event", &name) != DSTACK_OK ||
        rpc_arg_bytes(call, "payload", &payload, &len) != DSTACK_OK) {
        return DSTACK_EINVAL;
    }
    if (name[0] == '\0') {
        free(payload);
        return err_set(DSTACK_EINVAL, "event name is required");
    }
    /* Refused here, before the backend extends anything (tee/event_limits.h). */
    if (strlen(name) > EVENT_NAME_MAX) {
        free(payload);
        return err_set(DSTACK_EINVAL, "event name is %zu bytes, over the limit of %u bytes",
                       strlen(name), EVENT_NAME_MAX);
    }
    if (len > EVENT_PAYLOAD_MAX) {
        free(payload);
        return err_set(DSTACK_EINVAL, "payload is %zu bytes, over the limit of %u bytes", len,
                       EVENT_PAYLOAD_MAX);
    }
    if (a == NULL || a->tee == NULL || a->tee->emit_event == NULL) {
        free(payload);
        return err_set(DSTACK_EINVAL,
                       "runtime event emission is not supported by this TEE backend");
    }
    dstack_err e = a->tee->emit_event(a->tee_state, name, payload, len);
    free(payload);
    if (e != DSTACK_OK) {
        return err_wrap(DSTACK_EINVAL, "Failed to emit event");
    }
    /* Empty output: upstream's prpc answers serde's encoding of `()`, the 4 bytes `null`
     * (v0.5.11:guest-agent/src/rpc_service.rs emit_event returns Result<()>). */
    call->result = NULL;
    return DSTACK_OK;
}
