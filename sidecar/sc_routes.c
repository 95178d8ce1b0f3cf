#include "sc_routes.h"

#include <string.h>

static const struct sc_route sc_routes[] = {
    {"/", sc_h_root},         /* seed: service name and timestamp */
    {"/health", sc_h_health}, /* seed: liveness */
    {"/ready", sc_h_ready},   /* ours: readiness, 200 only while the agent answers */
    {"/quote", sc_h_quote},   /* seed: quote, event log, RTMRs */
    {"/attest", sc_h_attest}, /* seed: versioned attestation */
    {"/info", sc_h_info},     /* iExec fork: the agent's Info */
};

const struct sc_route *sc_route_find(const char *path)
{
    for (size_t i = 0; i < sizeof sc_routes / sizeof sc_routes[0]; i++) {
        if (strcmp(sc_routes[i].path, path) == 0) {
            return &sc_routes[i];
        }
    }
    return NULL;
}
