/* GET / and GET /health: answered without the agent (seed "Root Endpoint", "Health Check"). */
#include "sc_handler.h"
#include "sc_time.h"

void sc_h_root(struct sidecar *sc, const struct sc_request *req, struct sc_response *resp)
{
    (void)sc;
    (void)req;
    struct timespec now;
    char ts[SC_RFC3339_LEN];
    clock_gettime(CLOCK_REALTIME, &now);
    if (sc_rfc3339_utc(&now, ts) != 0) {
        sc_response_error(resp, 500, "Failed to read the clock", "year out of range");
        return;
    }
    sc_response_ok(
        resp, json_object_of_strings("service", "dstack-quote-sidecar", "timestamp", ts, NULL));
}

/* Liveness: the process serves HTTP. Readiness (the agent answers) is GET /ready. */
void sc_h_health(struct sidecar *sc, const struct sc_request *req, struct sc_response *resp)
{
    (void)sc;
    (void)req;
    sc_response_ok(resp, json_object_of_strings("status", "ok", NULL));
}
