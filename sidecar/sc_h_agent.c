/* GET /ready (ours: 200 only while the agent answers) and GET /info (the iExec fork's route:
 * the agent's Info, docs/sidecar.md). */
#include "sc_handler.h"

/* A readiness probe must answer quickly; it waits this long for a free agent slot. */
#define SC_READY_WAIT_MS 1000u

void sc_h_ready(struct sidecar *sc, const struct sc_request *req, struct sc_response *resp)
{
    (void)req;
    struct dstack_client *c = NULL;
    enum sc_agent_status st = sc_agent_begin(sc, SC_READY_WAIT_MS, &c);
    if (st == SC_AGENT_BUSY) {
        resp->retry_after = 1;
        sc_response_error(resp, 503, "Not ready", "all %u agent connections are busy",
                          sc->cfg->agent_concurrency);
        return;
    }
    if (st == SC_AGENT_UNAVAILABLE) {
        sc_response_error(resp, 503, "Not ready", "%s", dstack_last_error());
        return;
    }
    /* POST /Info within DSTACK_REACHABLE_TIMEOUT_MS (include/dstack/client.h). */
    bool up = dstack_is_reachable(c);
    sc_agent_end(sc);
    if (!up) {
        sc_response_error(resp, 503, "Not ready", "the dstack agent at %s is not reachable",
                          dstack_client_endpoint(c));
        return;
    }
    sc_response_ok(resp, json_object_of_strings("status", "ready", NULL));
}

void sc_h_info(struct sidecar *sc, const struct sc_request *req, struct sc_response *resp)
{
    (void)req;
    static const char *const what = "Failed to get info";
    struct dstack_client *c = NULL;
    enum sc_agent_status st = sc_agent_begin(sc, sc->cfg->timeout_s * 1000u, &c);
    if (st == SC_AGENT_BUSY) {
        resp->retry_after = 1;
        sc_response_error(resp, 503, what, "all %u agent connections are busy",
                          sc->cfg->agent_concurrency);
        return;
    }
    if (st == SC_AGENT_UNAVAILABLE) {
        sc_response_error(resp, 502, what, "%s", dstack_last_error());
        return;
    }
    struct dstack_info_response *info = NULL;
    dstack_err err = dstack_info(c, &info);
    sc_agent_end(sc);
    if (err != DSTACK_OK) {
        sc_response_error(resp, 502, what, "%s", dstack_last_error());
        return;
    }
    /* The agent's answer as it is: every field, tcb_info still a JSON string (docs/api/Info.md). */
    struct json_error jerr;
    cJSON *body = json_parse_str(info->json, JSON_DUPS_LAST, &jerr);
    dstack_info_response_free(info);
    if (body == NULL) {
        sc_response_error(resp, 502, what, "the agent's answer is not JSON: %s", jerr.text);
        return;
    }
    sc_response_ok(resp, body);
}
