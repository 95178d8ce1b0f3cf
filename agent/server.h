/* The agent's HTTP server: routes and answers over the shared server core (internal/server),
 * one core listener per configured listener. */
#ifndef DSTACK_AGENT_SERVER_H
#define DSTACK_AGENT_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "agent.h"
#include "config.h"

struct MHD_Response;
struct rpc_route;
struct srv_listener;

struct listener {
    struct agent *agent;
    const struct listener_config *cfg;
    struct srv_listener *srv;
    int fd;                   /* the listening socket (the core owns it; the self-probe reads it) */
    bool core_owns_fd;        /* handed to the core, which closes it */
    bool tcp;                 /* TCP: the core checks Host, Origin and Content-Type */
    bool activated;           /* the fd came from systemd (socket activation), which keeps it */
    char unix_path[256];      /* unlinked on stop; "" for TCP and socket-activated listeners */
    atomic_size_t body_bytes; /* request body buffers held now (server_request.c BODY_BUDGET) */
    /* Responses of ROUTE_STATIC routes, built once (server_answer.c). */
    pthread_mutex_t static_lock;
    bool static_lock_ready;
    size_t n_statics;
    struct {
        const struct rpc_route *route;
        struct MHD_Response *resp;
    } statics[4];
};

struct server {
    struct listener listeners[CONFIG_MAX_LISTENERS];
    size_t count;
};

/* X-App-Version on the Worker listener's answers: upstream's app_version, "v0.6.0 (git:...)". */
#define SERVER_APP_VERSION "v" DSTACK_WIRE_VERSION " (" DSTACK_GIT_REV ")"

struct MHD_Connection;
/* Queues body (malloc'd, taken) with our common headers; for the routes of public/. */
enum MHD_Result server_send(struct listener *l, struct MHD_Connection *conn, unsigned status,
                            const char *type, char *body, size_t len);
/* Content-Type, Server, Rocket's Shield headers and, on the Worker listener, X-App-Version. */
void server_add_headers(struct listener *l, struct MHD_Response *resp, const char *type);

/* Binds every configured listener (or takes the systemd-activated fds: activated[i] replaces
 * listener i, -1 = none) and starts serving. On failure nothing is left bound and err_text()
 * says why. */
dstack_err server_start(struct server *s, struct agent *a, const int *activated,
                        size_t n_activated);

/* Stops accepting, lets requests in flight finish (up to grace_ms), then frees everything and
 * removes the socket files it created. */
void server_stop(struct server *s, unsigned grace_ms);

#endif
