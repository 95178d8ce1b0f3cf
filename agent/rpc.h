/* The handler side of the RPC layer. Handlers never see HTTP: the server decodes the request
 * (JSON body or GET query string) into one cJSON object, calls the handler, and encodes the
 * result or the error (HTTP 400, {"error": err_text()}) exactly as docs/wire.md describes. */
#ifndef DSTACK_AGENT_RPC_H
#define DSTACK_AGENT_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#include "json/json.h"
#include "util/error.h"

struct agent;

struct rpc_call {
    struct agent *agent;
    const cJSON *args; /* request object, never NULL ({} when the payload was empty) */
    bool from_query;   /* args came from a GET query string: every scalar is a string */
    cJSON *result;     /* set by the handler on success (the call owns the reference) */
    /* Instead of result: the answer already encoded as compact JSON (malloc'd, the call owns
     * it), sent as is. For cached answers that cost more to encode than to copy (Info). */
    char *result_text;
    size_t result_text_len;
};

/* A handler sets call->result and returns DSTACK_OK, or returns an error after setting the
 * calling thread's text (err_set: upstream's text where it has one), which the server sends as
 * {"error": text}. The server calls the handler and reads the text on the same thread. */
typedef dstack_err (*rpc_handler)(struct rpc_call *call);

/* Typed access to request fields, following upstream's serde rules (docs/wire.md):
 * an absent field takes its default; a present field of the wrong type fails the call with a
 * serde-like message ("invalid type: ..., expected ..."). From a query string, bools must be
 * exactly "true"/"false" and integers decimal. Each returns DSTACK_EINVAL with the text set. */
dstack_err rpc_arg_string(struct rpc_call *call, const char *name,
                          const char **out);                                 /* default "" */
dstack_err rpc_arg_bool(struct rpc_call *call, const char *name, bool *out); /* default false */
/* Optional u64 (not_before/not_after): absent or null (or "" in a query) -> *present = false. */
dstack_err rpc_arg_u64_opt(struct rpc_call *call, const char *name, bool *present, uint64_t *out);
/* A hex `bytes` field decoded into a malloc'd buffer (free it; NULL/0 when absent or empty). */
dstack_err rpc_arg_bytes(struct rpc_call *call, const char *name, uint8_t **out, size_t *out_len);
/* A `repeated string` field: *items points into args (valid for the call), NULL when empty.
 * Free the array itself with free(). */
dstack_err rpc_arg_string_array(struct rpc_call *call, const char *name, const char ***items,
                                size_t *count);

#endif
