/* GET /quote and GET /attest (seed "Generate Quote" / "Generate Attestation";
 * spec/sdk-and-sidecar.md §11 for what upstream's handlers.rs really returns). */
#include <string.h>

#include <dstack/attest.h>

#include "sc_handler.h"
#include "sc_query.h"
#include "util/hex.h"

/* Reads the report data and takes an agent slot; false when resp already holds the error. */
static bool begin(struct sidecar *sc, const struct sc_request *req, const char *what,
                  struct sc_report_data *rd, struct dstack_client **c, struct sc_response *resp)
{
    char err[SC_QUERY_ERROR_MAX];
    unsigned status = sc_query_report_data(req->query, req->query_len, rd, err);
    if (status != 0) {
        sc_response_error(resp, status, what, "%s", err);
        return false;
    }
    enum sc_agent_status st = sc_agent_begin(sc, sc->cfg->timeout_s * 1000u, c);
    if (st == SC_AGENT_BUSY) {
        resp->retry_after = 1;
        sc_response_error(resp, 503, what, "all %u agent connections are busy",
                          sc->cfg->agent_concurrency);
        return false;
    }
    if (st == SC_AGENT_UNAVAILABLE) {
        sc_response_error(resp, 502, what, "%s", dstack_last_error());
        return false;
    }
    return true;
}

static json_t *hex_string(const uint8_t *b, size_t len)
{
    char *h = hex_encode_alloc(b, len);
    json_t *s = h != NULL ? json_stringn_nocheck(h, 2 * len) : NULL;
    free(h);
    return s;
}

/* {"rtmr0": hex, ..., "rtmr3": hex}: data a client can use, where upstream returned a Rust
 * Debug string of a BTreeMap (§11). */
static json_t *rtmrs_object(const uint8_t rt[DSTACK_RTMR_COUNT][DSTACK_MR_LEN])
{
    json_t *o = json_object();
    for (int i = 0; o != NULL && i < DSTACK_RTMR_COUNT; i++) {
        char key[8] = "rtmr0";
        key[4] = (char)('0' + i);
        if (json_object_set_new(o, key, hex_string(rt[i], DSTACK_MR_LEN)) != 0) {
            json_decref(o);
            o = NULL;
        }
    }
    return o;
}

void sc_h_quote(struct sidecar *sc, const struct sc_request *req, struct sc_response *resp)
{
    static const char *const what = "Failed to get quote";
    struct sc_report_data rd;
    struct dstack_client *c = NULL;
    if (!begin(sc, req, what, &rd, &c, resp)) {
        return;
    }
    struct dstack_get_quote_response *q = NULL;
    dstack_err err = dstack_get_quote(c, rd.b, rd.len, &q);
    sc_agent_end(sc);
    if (err != DSTACK_OK) {
        sc_response_error(resp, 502, what, "%s", dstack_last_error());
        return;
    }
    /* The SDK's replay recomputes runtime-event digests, so RTMR3 is right even though the
     * agent strips them (attest.h dstack_replay_rtmrs; the published replay_rtmrs was not). */
    uint8_t rt[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
    if (dstack_get_quote_response_replay_rtmrs(q, rt) != DSTACK_OK) {
        sc_response_error(resp, 502, "Failed to replay RTMRs", "%s", dstack_last_error());
        dstack_get_quote_response_free(q);
        return;
    }
    json_t *body = json_object();
    /* Field order of upstream's handler (quote, event_log, vm_config), then ours. */
    if (body != NULL &&
        (json_object_set_new(body, "quote", hex_string(q->quote.data, q->quote.len)) != 0 ||
         json_object_set_new(body, "event_log", json_string(q->event_log)) != 0 ||
         json_object_set_new(body, "vm_config", json_string(q->vm_config)) != 0 ||
         json_object_set_new(body, "report_data",
                             hex_string(q->report_data.data, q->report_data.len)) != 0 ||
         json_object_set_new(body, "rtmrs", rtmrs_object(rt)) != 0)) {
        json_decref(body);
        body = NULL;
    }
    dstack_get_quote_response_free(q);
    sc_response_ok(resp, body);
}

void sc_h_attest(struct sidecar *sc, const struct sc_request *req, struct sc_response *resp)
{
    static const char *const what = "Failed to attest";
    struct sc_report_data rd;
    struct dstack_client *c = NULL;
    if (!begin(sc, req, what, &rd, &c, resp)) {
        return;
    }
    struct dstack_attest_response *a = NULL;
    dstack_err err = dstack_attest(c, rd.b, rd.len, &a);
    sc_agent_end(sc);
    if (err != DSTACK_OK) {
        sc_response_error(resp, 502, what, "%s", dstack_last_error());
        return;
    }
    json_t *body = json_object();
    if (body != NULL &&
        json_object_set_new(body, "attestation",
                            hex_string(a->attestation.data, a->attestation.len)) != 0) {
        json_decref(body);
        body = NULL;
    }
    dstack_attest_response_free(a);
    sc_response_ok(resp, body);
}
