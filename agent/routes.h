/* The RPC route tables: which method names each API serves and with which handler. */
#ifndef DSTACK_AGENT_ROUTES_H
#define DSTACK_AGENT_ROUTES_H

#include "config.h"
#include "rpc.h"

enum {
    ROUTE_NO_INPUT = 1u << 0, /* input is google.protobuf.Empty: the payload is never read */
    ROUTE_KEYS = 1u << 1,     /* serves app keys: refused until the backend says keys_ready */
    ROUTE_STATIC = 1u << 2,   /* the answer never changes while the agent runs (Version): the
                               * server keeps the first one and sends it again (server_answer.c) */
};

struct rpc_route {
    const char *name; /* exact, case-sensitive method name */
    rpc_handler fn;
    unsigned flags;
};

/* NULL when the API has no such method (the caller answers "Service not found: <name>"). */
const struct rpc_route *routes_find(enum listener_api api, const char *name);

/* Method names of an API, for --help and config validation; NULL-terminated iteration by index. */
const char *routes_name_at(enum listener_api api, size_t index);

#endif
