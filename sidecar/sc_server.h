/* HTTP server of the sidecar (libmicrohttpd, a fixed pool of worker threads). */
#ifndef DSTACK_SIDECAR_SERVER_H
#define DSTACK_SIDECAR_SERVER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "sc_app.h"

#define SC_SERVER_ERROR_MAX 512

struct MHD_Daemon;

struct sc_server {
    struct sidecar *app;
    struct MHD_Daemon *mhd;
    int fd;                /* listening socket (we bind it to report errors clearly) */
    uint16_t port;         /* the bound port (differs from the config's when that was 0) */
    atomic_uint in_flight; /* requests received and not yet answered */
    atomic_uint fresh;     /* connections accepted that have not sent a request line yet */
};

/* Binds cfg->host:cfg->port and starts the workers. 0, or -1 with a reason in err such as
 * `cannot listen on 0.0.0.0:80: Permission denied`. */
int sc_server_start(struct sc_server *s, struct sidecar *app, char err[SC_SERVER_ERROR_MAX]);

/* Graceful stop: no new connections, requests in flight are finished (at most grace_ms), then
 * every connection is closed. Returns the number of requests still running at the deadline. */
unsigned sc_server_stop(struct sc_server *s, unsigned grace_ms);

#endif
