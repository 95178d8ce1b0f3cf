#include "routes.h"

#include <string.h>

#include "guest_api/guest_api.h"
#include "handlers.h"

/* dstack.sock, service DstackGuest (docs/api/README.md). */
static const struct rpc_route dstack_routes[] = {
    {"Version", h_version, ROUTE_NO_INPUT | ROUTE_STATIC},
    {"GpuInfo", h_gpu_info, ROUTE_NO_INPUT},
    {"Info", h_info, ROUTE_NO_INPUT},
    {"GetTlsKey", h_get_tls_key, ROUTE_KEYS},
    {"GetKey", h_get_key, ROUTE_KEYS},
    {"Sign", h_sign, ROUTE_KEYS},
    {"Verify", h_verify, 0},
    {"GetQuote", h_get_quote, 0},
    {"Attest", h_attest, 0},
    {"EmitEvent", h_emit_event, 0},
};

/* tappd.sock, legacy service Tappd (docs/api/README.md). */
static const struct rpc_route tappd_routes[] = {
    {"Version", h_version, ROUTE_NO_INPUT | ROUTE_STATIC},
    {"Info", h_info, ROUTE_NO_INPUT},
    {"DeriveKey", h_derive_key, ROUTE_KEYS},
    {"DeriveK256Key", h_derive_k256_key, ROUTE_KEYS},
    {"TdxQuote", h_tdx_quote, 0},
    {"RawQuote", h_raw_quote, 0},
};

/* The external server, service Worker (docs/api/Worker.md): public information only. */
static const struct rpc_route worker_routes[] = {
    {"Info", h_worker_info, ROUTE_NO_INPUT},
    {"Version", h_version, ROUTE_NO_INPUT | ROUTE_STATIC},
    {"GetAttestationForAppKey", h_get_attestation_for_app_key, 0},
};

/* The host's guest-api listener, service GuestApi (guest-api/proto/guest_api.proto). Shutdown
 * is in no other table: an app can never reach it. */
static const struct rpc_route guest_routes[] = {
    {"Info", h_guest_info, ROUTE_NO_INPUT},
    {"SysInfo", h_guest_sysinfo, ROUTE_NO_INPUT},
    {"NetworkInfo", h_guest_network_info, ROUTE_NO_INPUT},
    {"ListContainers", h_guest_list_containers, ROUTE_NO_INPUT},
    {"Shutdown", h_guest_shutdown, ROUTE_NO_INPUT},
};

#define TABLE(t) (*count = sizeof(t) / sizeof((t)[0]), (t))

static const struct rpc_route *table_of(enum listener_api api, size_t *count)
{
    switch (api) {
    case API_TAPPD:
        return TABLE(tappd_routes);
    case API_WORKER:
        return TABLE(worker_routes);
    case API_GUEST:
        return TABLE(guest_routes);
    case API_DSTACK:
        break;
    }
    return TABLE(dstack_routes);
}

const struct rpc_route *routes_find(enum listener_api api, const char *name)
{
    size_t n;
    const struct rpc_route *t = table_of(api, &n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].name, name) == 0) {
            return &t[i];
        }
    }
    return NULL;
}

const char *routes_name_at(enum listener_api api, size_t index)
{
    size_t n;
    const struct rpc_route *t = table_of(api, &n);
    return index < n ? t[index].name : NULL;
}
