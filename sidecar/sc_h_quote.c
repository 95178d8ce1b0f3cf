/* GET /quote and GET /attest (seed "Generate Quote" / "Generate Attestation";
 * docs/sidecar.md for what upstream's handlers.rs really returns). */
#include <stdlib.h>
#include <string.h>

#include <dstack/attest.h>

#include "sc_handler.h"
#include "sc_hex.h"
#include "sc_query.h"
#include "sc_quote_body.h"
#include "client/client_internal.h"
#include "json/json.h"
#include "util/hex.h"

/* Reads the report data and takes an agent slot; false when resp already holds the error. */
static bool begin(struct sidecar *sc, const struct sc_request *req, const char *what,
                  struct sc_report_data *rd, struct dstack_client **c, struct sc_response *resp)
{
    unsigned status = sc_query_report_data(req->query, req->query_len, rd);
    if (status != 0) {
        sc_response_error(resp, status, what, "%s", err_text());
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

/* The fields /quote relays, read as dstack_get_quote reads them (the same errors), but the
 * quote's hex is kept as text when it is already canonical: decoding ~10 KB of hex only to
 * encode it again was a third of the sidecar's work. */
static dstack_err quote_view(const cJSON *answer, struct dstack_get_quote_response *q,
                             const char **quote_hex, size_t *quote_hex_len)
{
    const cJSON *quote = json_get(answer, "quote");
    dstack_err err = DSTACK_OK;
    if (cJSON_IsString(quote) && sc_hex_digits(json_str(quote), json_str_len(quote), true)) {
        *quote_hex = json_str(quote);
        *quote_hex_len = json_str_len(quote);
    } else {
        err = jf_hex_public(answer, "quote", &q->quote);
    }
    if (err == DSTACK_OK) {
        err = jf_string(answer, "event_log", &q->event_log);
    }
    if (err == DSTACK_OK) {
        err = jf_hex_public(answer, "report_data", &q->report_data);
    }
    if (err == DSTACK_OK) {
        err = jf_string(answer, "vm_config", &q->vm_config);
    }
    const cJSON *att = json_get(answer, "attestation");
    if (err == DSTACK_OK && att != NULL && !cJSON_IsNull(att)) {
        /* not relayed, but an answer with a broken one is refused, as dstack_get_quote does */
        size_t n = json_str_len(att);
        const char *h = json_str(att);
        if (h == NULL) {
            err = err_set(DSTACK_EPROTO, "response field attestation is not a hex string");
        } else if (h = hex_skip_prefix(h, &n), !sc_hex_digits(h, n, false)) {
            err = err_set(DSTACK_EPROTO, "response field attestation is not valid hex");
        }
    }
    return err;
}

static void view_free(struct dstack_get_quote_response *q)
{
    free(q->quote.data);
    free(q->event_log);
    free(q->report_data.data);
    free(q->vm_config);
}

void sc_h_quote(struct sidecar *sc, const struct sc_request *req, struct sc_response *resp)
{
    static const char *const what = "Failed to get quote";
    struct sc_report_data rd;
    struct dstack_client *c = NULL;
    if (!begin(sc, req, what, &rd, &c, resp)) {
        return;
    }
    cJSON *answer = NULL;
    dstack_err err = client_get_quote_tree(c, rd.b, rd.len, &answer);
    sc_agent_end(sc);
    struct dstack_get_quote_response q = {0};
    const char *quote_hex = NULL;
    size_t quote_hex_len = 0;
    if (err == DSTACK_OK) {
        err = quote_view(answer, &q, &quote_hex, &quote_hex_len);
    }
    if (err != DSTACK_OK) {
        json_free(answer);
        view_free(&q);
        sc_response_error(resp, 502, what, "%s", dstack_last_error());
        return;
    }
    /* The SDK's replay recomputes runtime-event digests, so RTMR3 is right even though the
     * agent strips them (attest.h dstack_replay_rtmrs; the published replay_rtmrs was not). The
     * replay and the log's literal are kept for the next request with the same log. */
    char *text = NULL;
    size_t len = 0;
    bool replay_failed = false;
    err = sc_quote_body_hex(&sc->evlog, &q, quote_hex, quote_hex_len, &text, &len, &replay_failed);
    view_free(&q);
    json_free(answer);
    if (replay_failed) {
        sc_response_error(resp, 502, "Failed to replay RTMRs", "%s", dstack_last_error());
    } else if (err != DSTACK_OK) {
        sc_response_ok(resp, NULL); /* 500, as a failed allocation */
    } else {
        sc_response_ok_text(resp, text, len);
    }
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
    /* {"attestation":"<hex>"} written directly: a JSON dump would re-escape every hex digit */
    static const char head[] = "{\"attestation\":\"", tail[] = "\"}";
    size_t len = sizeof head - 1 + 2 * a->attestation.len + sizeof tail - 1;
    char *text = malloc(len + 1);
    if (text != NULL) {
        memcpy(text, head, sizeof head - 1);
        hex_encode(a->attestation.data, a->attestation.len, text + sizeof head - 1);
        memcpy(text + len - (sizeof tail - 1), tail, sizeof tail);
        sc_response_ok_text(resp, text, len);
    } else {
        sc_response_ok(resp, NULL);
    }
    dstack_attest_response_free(a);
}
