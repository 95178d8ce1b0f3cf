/* The route table: path -> handler. Every route answers GET (and HEAD); other methods get 405,
 * unknown paths 404 (sc_server.c). */
#ifndef DSTACK_SIDECAR_ROUTES_H
#define DSTACK_SIDECAR_ROUTES_H

#include "sc_handler.h"

struct sc_route {
    const char *path;
    sc_handler_fn fn;
};

/* The route for an exact path (no trailing-slash folding, as axum), or NULL. */
const struct sc_route *sc_route_find(const char *path);

#endif
