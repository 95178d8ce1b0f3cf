/* Quote RPCs: GetQuote, Attest (dstack.sock), TdxQuote, RawQuote (tappd.sock) and EmitEvent
 * (spec/wire-api.md §4.3, §4.4, §5.3, §5.4, §11; spec/attestation.md §4.5, §7; report-data
 * rules spec/crypto.md §2.8, §4.8). */
#include <stdlib.h>
#include <string.h>

#include <dstack/attest.h>
#include <dstack/quote.h>

#include "agent.h"
#include "attest/evlog_internal.h"
#include "attest/versioned.h"
#include "crypto/hash.h"
#include "crypto/keccak.h"
#include "handlers.h"
#include "rpc_quote.h"
#include "util/hex.h"

/* A quote and the event log it was taken against. */
struct quote_snapshot {
    uint8_t *quote;
    size_t quote_len;
    struct dstack_event_log log;
};

static void snapshot_free(struct quote_snapshot *s)
{
    free(s->quote);
    dstack_event_log_free(&s->log);
    memset(s, 0, sizeof *s);
}

/* The backend hands out the quote and the log in two calls, and an EmitEvent may land between
 * them. The log only grows, so the quote's RTMR3 is the replay of a prefix of its IMR 3 events:
 * keep the events up to that point (and every boot event), so the log returned with a quote
 * always replays to that quote's RTMRs. If no prefix matches (a platform whose RTMR3 is not
 * the log's replay, e.g. a fixture), the log is left whole. */
static dstack_err trim_to_quote(struct quote_snapshot *s)
{
    struct dstack_quote q;
    if (dstack_quote_parse(s->quote, s->quote_len, &q) != DSTACK_OK) {
        return DSTACK_OK; /* nothing to align with */
    }
    uint8_t mr[DSTACK_MR_LEN] = {0};
    size_t cut = SIZE_MAX;
    if (memcmp(mr, q.report.rtmr[3], DSTACK_MR_LEN) == 0) {
        cut = 0;
    }
    for (size_t i = 0; cut == SIZE_MAX && i < s->log.count; i++) {
        const struct dstack_event *e = &s->log.events[i];
        uint8_t d[DSTACK_SHA384_LEN];
        if (e->imr != 3) {
            continue;
        }
        if (dstack_event_digest(e, d) != DSTACK_OK) {
            return DSTACK_OK;
        }
        dstack_rtmr_extend(mr, d);
        if (memcmp(mr, q.report.rtmr[3], DSTACK_MR_LEN) == 0) {
            cut = i + 1;
        }
    }
    if (cut == SIZE_MAX || cut >= s->log.count) {
        return DSTACK_OK;
    }
    struct dstack_event_log kept;
    dstack_event_log_init(&kept);
    for (size_t i = 0; i < s->log.count; i++) {
        const struct dstack_event *e = &s->log.events[i];
        if (i >= cut && e->imr == 3) {
            continue;
        }
        dstack_err err = dstack_event_log_push(&kept, e->imr, e->event_type,
                                               e->has_digest ? e->digest : NULL, e->event,
                                               e->payload, e->payload_len, e->version);
        if (err != DSTACK_OK) {
            dstack_event_log_free(&kept);
            return err;
        }
    }
    dstack_event_log_free(&s->log);
    s->log = kept;
    return DSTACK_OK;
}

static bool take_snapshot(struct rpc_call *call, const uint8_t rd[DSTACK_REPORT_DATA_LEN],
                          struct quote_snapshot *s)
{
    struct agent *a = call->agent;
    json_t *log_json = NULL;
    char err[256] = "";
    memset(s, 0, sizeof *s);
    if (a == NULL || a->tee == NULL || a->tee->quote == NULL || a->tee->event_log == NULL) {
        return rpc_fail(call, "Failed to get quote: not supported by this TEE backend");
    }
    dstack_err e = a->tee->quote(a->tee_state, rd, &s->quote, &s->quote_len);
    if (e != DSTACK_OK || s->quote == NULL) {
        const char *why = a->tee->quote_error != NULL ? a->tee->quote_error(a->tee_state) : "";
        snapshot_free(s);
        return rpc_fail(call, "Failed to get quote: %s", why[0] ? why : dstack_err_str(e));
    }
    e = a->tee->event_log(a->tee_state, &log_json);
    if (e == DSTACK_OK) {
        e = evlog_from_json(log_json, &s->log, err, sizeof err);
    }
    json_decref(log_json);
    if (e == DSTACK_OK) {
        e = trim_to_quote(s);
    }
    if (e == DSTACK_OK) {
        e = dstack_event_log_fill_v2_preimages(&s->log);
    }
    if (e != DSTACK_OK) {
        snapshot_free(s);
        return rpc_fail(call, "Failed to read the event log: %s", err[0] ? err : dstack_err_str(e));
    }
    return true;
}

/* report_data of GetQuote/Attest: 0-64 bytes, right-padded with zeros (rpc_service.rs pad64). */
static bool padded_report_data(struct rpc_call *call, uint8_t rd[DSTACK_REPORT_DATA_LEN])
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (!rpc_arg_bytes(call, "report_data", &data, &len)) {
        return false;
    }
    if (len > DSTACK_REPORT_DATA_LEN) {
        free(data);
        return rpc_fail(call, "Report data is too long");
    }
    memset(rd, 0, DSTACK_REPORT_DATA_LEN);
    if (len > 0) {
        memcpy(rd, data, len);
    }
    free(data);
    return true;
}

/* The VersionedAttestation of a snapshot (attestation.md §7.2): the quote, the full event log,
 * the runtime events (every event of type 0x08000001, as from_tdx_quote collects them), report
 * data and the vm_config string. V0 SCALE when every runtime event is V1, else V1 msgpack with
 * V2 pre-images (into_versioned, attestation.rs L2411-2429; backend.rs L55-62). */
static dstack_err encode_attestation(const struct quote_snapshot *s,
                                     const uint8_t rd[DSTACK_REPORT_DATA_LEN], const char *config,
                                     uint8_t **out, size_t *out_len)
{
    struct versioned_attestation va;
    memset(&va, 0, sizeof va);
    dstack_err err = DSTACK_ENOMEM;
    size_t n_rt = 0;
    for (size_t i = 0; i < s->log.count; i++) {
        n_rt += s->log.events[i].event_type == DSTACK_RUNTIME_EVENT_TYPE;
    }
    /* Borrowed pointers except the pre-image texts: va is never passed to versioned_free. */
    va.events = calloc(s->log.count + 1, sizeof *va.events);
    va.runtime = calloc(n_rt + 1, sizeof *va.runtime);
    if (va.events == NULL || va.runtime == NULL) {
        goto out;
    }
    va.quote_kind = VERSIONED_QUOTE_DSTACK_TDX;
    va.quote = s->quote;
    va.quote_len = s->quote_len;
    for (size_t i = 0; i < s->log.count; i++) {
        struct dstack_event *e = &s->log.events[i];
        struct versioned_event *v = &va.events[va.n_events++];
        v->imr = e->imr;
        v->event_type = e->event_type;
        v->digest = e->has_digest ? e->digest : NULL;
        v->digest_len = e->has_digest ? DSTACK_SHA384_LEN : 0;
        v->event = e->event;
        v->event_len = strlen(e->event);
        v->payload = e->payload;
        v->payload_len = e->payload_len;
        v->version = e->version;
        if (e->has_preimage &&
            (v->preimage = hex_encode_alloc(e->preimage, e->preimage_len)) == NULL) {
            goto out;
        }
        if (e->event_type == DSTACK_RUNTIME_EVENT_TYPE) {
            struct versioned_runtime_event *r = &va.runtime[va.n_runtime++];
            r->event = e->event;
            r->event_len = v->event_len;
            r->payload = e->payload;
            r->payload_len = e->payload_len;
            r->version = e->version;
        }
    }
    memcpy(va.report_data, rd, DSTACK_REPORT_DATA_LEN);
    va.config = (char *)(config ? config : "");
    va.config_len = strlen(va.config);
    err = versioned_v0_ok(&va) ? versioned_encode_v0(&va, out, out_len)
                               : versioned_encode_v1(&va, out, out_len);
out:
    for (size_t i = 0; va.events != NULL && i < va.n_events; i++) {
        free(va.events[i].preimage);
    }
    free(va.events);
    free(va.runtime);
    return err;
}

static json_t *event_log_text(const struct dstack_event_log *log)
{
    char *text = NULL;
    if (dstack_event_log_format(log, DSTACK_EVLOG_JSON_COMPACT, &text) != DSTACK_OK) {
        return NULL;
    }
    json_t *j = json_string(text);
    free(text);
    return j;
}

/* Adds a new reference under key; false (and the value released) on failure. */
static bool put(json_t *obj, const char *key, json_t *value)
{
    return value != NULL && json_object_set_new(obj, key, value) == 0;
}

bool h_get_quote(struct rpc_call *call)
{
    uint8_t rd[DSTACK_REPORT_DATA_LEN];
    return padded_report_data(call, rd) && rpc_quote_response(call, rd);
}

bool rpc_quote_response(struct rpc_call *call, const uint8_t rd[DSTACK_REPORT_DATA_LEN])
{
    struct quote_snapshot s;
    uint8_t *att = NULL;
    size_t att_len = 0;
    if (!take_snapshot(call, rd, &s)) {
        return false;
    }
    const char *vm_config = call->agent->vm_config ? call->agent->vm_config : "";
    json_t *r = json_object();
    /* Field order quote, event_log, report_data, vm_config, attestation (wire-api.md §4.3);
     * attestation is omitted when empty. */
    bool ok = r != NULL && put(r, "quote", rpc_hex(s.quote, s.quote_len)) &&
              put(r, "event_log", event_log_text(&s.log)) &&
              put(r, "report_data", rpc_hex(rd, DSTACK_REPORT_DATA_LEN)) &&
              put(r, "vm_config", json_string(vm_config));
    if (ok && encode_attestation(&s, rd, vm_config, &att, &att_len) == DSTACK_OK) {
        ok = put(r, "attestation", rpc_hex(att, att_len));
    }
    free(att);
    snapshot_free(&s);
    if (!ok) {
        json_decref(r);
        return rpc_fail(call, "out of memory");
    }
    call->result = r;
    return true;
}

bool h_attest(struct rpc_call *call)
{
    uint8_t rd[DSTACK_REPORT_DATA_LEN];
    struct quote_snapshot s;
    uint8_t *att = NULL;
    size_t att_len = 0;
    if (!padded_report_data(call, rd) || !take_snapshot(call, rd, &s)) {
        return false;
    }
    const char *vm_config = call->agent->vm_config ? call->agent->vm_config : "";
    dstack_err e = encode_attestation(&s, rd, vm_config, &att, &att_len);
    snapshot_free(&s);
    if (e != DSTACK_OK) {
        return rpc_fail(call, "Failed to encode the attestation: %s", dstack_err_str(e));
    }
    json_t *r = json_object();
    bool ok = r != NULL && put(r, "attestation", rpc_hex(att, att_len));
    free(att);
    if (!ok) {
        json_decref(r);
        return rpc_fail(call, "out of memory");
    }
    call->result = r;
    return true;
}

/* QuoteContentType::to_report_data_with_hash (attestation.rs L506-576, crypto.md §2.8):
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

/* Tappd TdxQuote / RawQuote body (rpc_service.rs L547-581, wire-api.md §5.3). */
static bool tdx_quote(struct rpc_call *call, const char *alg, const char *prefix)
{
    uint8_t *data = NULL;
    size_t len = 0;
    uint8_t rd[DSTACK_REPORT_DATA_LEN];
    struct quote_snapshot s;
    if (!rpc_arg_bytes(call, "report_data", &data, &len)) {
        return false;
    }
    if (alg[0] == '\0') {
        alg = "sha512";
    }
    const char *tag = prefix[0] ? prefix : "app-data";
    if (strcmp(alg, "raw") == 0) {
        if (len != DSTACK_REPORT_DATA_LEN) {
            free(data);
            return rpc_fail(call, "invalid content length");
        }
        memcpy(rd, data, DSTACK_REPORT_DATA_LEN);
        tag = "";
    } else {
        bool oom;
        if (!hash_report_data(alg, tag, data, len, rd, &oom)) {
            free(data);
            return rpc_fail(call, oom ? "out of memory" : "invalid hash algorithm");
        }
    }
    free(data);
    if (!take_snapshot(call, rd, &s)) {
        return false;
    }
    json_t *r = json_object();
    bool ok = r != NULL && put(r, "quote", rpc_hex(s.quote, s.quote_len)) &&
              put(r, "event_log", event_log_text(&s.log)) &&
              put(r, "hash_algorithm", json_string(alg)) && put(r, "prefix", json_string(tag));
    snapshot_free(&s);
    if (!ok) {
        json_decref(r);
        return rpc_fail(call, "out of memory");
    }
    call->result = r;
    return true;
}

bool h_tdx_quote(struct rpc_call *call)
{
    const char *alg, *prefix;
    if (!rpc_arg_string(call, "hash_algorithm", &alg) || !rpc_arg_string(call, "prefix", &prefix)) {
        return false;
    }
    return tdx_quote(call, alg, prefix);
}

bool h_raw_quote(struct rpc_call *call)
{
    return tdx_quote(call, "raw", "");
}

/* EmitEvent (removed upstream at HEAD, kept for the SDKs that still call it; attestation.md
 * §4.5): the backend extends RTMR3 and appends the runtime event under one lock. */
bool h_emit_event(struct rpc_call *call)
{
    const char *name;
    uint8_t *payload = NULL;
    size_t len = 0;
    struct agent *a = call->agent;
    char err[TEE_ERROR_MAX] = "";
    if (!rpc_arg_string(call, "event", &name) || !rpc_arg_bytes(call, "payload", &payload, &len)) {
        return false;
    }
    if (name[0] == '\0') {
        free(payload);
        return rpc_fail(call, "event name is required");
    }
    if (a == NULL || a->tee == NULL || a->tee->emit_event == NULL) {
        free(payload);
        return rpc_fail(call, "runtime event emission is not supported by this TEE backend");
    }
    dstack_err e = a->tee->emit_event(a->tee_state, name, payload, len, err);
    free(payload);
    if (e != DSTACK_OK) {
        return rpc_fail(call, "Failed to emit event: %s", err[0] ? err : dstack_err_str(e));
    }
    call->result = json_object();
    return call->result != NULL || rpc_fail(call, "out of memory");
}
