/* GET /quote and GET /attest (seed "Generate Quote" / "Generate Attestation";
 * docs/sidecar.md for what upstream's handlers.rs really returns). */
#include <stdlib.h>
#include <string.h>

#include <dstack/attest.h>

#include "sc_handler.h"
#include "sc_query.h"
#include "sc_quote_body.h"
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
     * agent strips them (attest.h dstack_replay_rtmrs; the published replay_rtmrs was not). The
     * replay and the log's literal are kept for the next request with the same log. */
    char *text = NULL;
    size_t len = 0;
    bool replay_failed = false;
    err = sc_quote_body(&sc->evlog, q, &text, &len, &replay_failed);
    dstack_get_quote_response_free(q);
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
    /* {"attestation":"<hex>"} written directly: json_dumps would re-escape every hex digit */
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
