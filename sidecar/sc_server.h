/* HTTP server of the sidecar: its routes over the shared server core, a fixed pool of worker
 * threads. */
#ifndef DSTACK_SIDECAR_SERVER_H
#define DSTACK_SIDECAR_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "sc_app.h"

struct srv_listener;

struct sc_server {
    struct sidecar *app;
    struct srv_listener *srv; /* the shared server core (internal/server/srv.h) */
    uint16_t port;            /* the bound port (differs from the config's when that was 0) */
    unsigned max_connections; /* this listener's share of the fd budget */
};

/* Binds cfg->host:cfg->port and starts the workers. DSTACK_OK, or an error with a reason in
 * err_text() such as `cannot listen on 0.0.0.0:80: Permission denied`. */
dstack_err sc_server_start(struct sc_server *s, struct sidecar *app);

/* Graceful stop: no new connections, requests in flight are finished (at most grace_ms), then
 * every connection is closed. Returns the number of requests still running at the deadline. */
unsigned sc_server_stop(struct sc_server *s, unsigned grace_ms);

#endif
