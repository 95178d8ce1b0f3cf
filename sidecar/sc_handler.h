/* The handler interface: handlers never see HTTP. The server finds the route, hands over the
 * raw query string, and turns the status and JSON body into a response (style-guide
 * "Table-driven HTTP"). */
#ifndef DSTACK_SIDECAR_HANDLER_H
#define DSTACK_SIDECAR_HANDLER_H

#include "json/json.h"
#include <stddef.h>

#include "sc_app.h"

struct sc_request {
    const char *query; /* raw query string after '?', not decoded; NULL when none */
    size_t query_len;
};

struct sc_response {
    unsigned status; /* HTTP status */
    cJSON *body;     /* owned; serialised compact, as axum's Json does */
    char *text;      /* owned, malloc'd; when set, the body already serialised (text_len) */
    size_t text_len;
    unsigned retry_after; /* seconds; sent as Retry-After when non-zero */
};

typedef void (*sc_handler_fn)(struct sidecar *sc, const struct sc_request *req,
                              struct sc_response *resp);

/* Sets resp to `status` and {"error": "<prefix>: <message>"}. The message is made printable
 * ASCII (agent texts come from outside). */
void sc_response_error(struct sc_response *resp, unsigned status, const char *prefix,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Sets resp to 200 with `body` (owned; NULL means the allocation failed -> 500). */
void sc_response_ok(struct sc_response *resp, cJSON *body);

/* Sets resp to 200 with a body already serialised (owned, malloc'd, len bytes). */
void sc_response_ok_text(struct sc_response *resp, char *text, size_t len);

/* Handlers (sc_h_*.c). */
void sc_h_root(struct sidecar *sc, const struct sc_request *req, struct sc_response *resp);
void sc_h_health(struct sidecar *sc, const struct sc_request *req, struct sc_response *resp);
void sc_h_ready(struct sidecar *sc, const struct sc_request *req, struct sc_response *resp);
void sc_h_info(struct sidecar *sc, const struct sc_request *req, struct sc_response *resp);
void sc_h_quote(struct sidecar *sc, const struct sc_request *req, struct sc_response *resp);
void sc_h_attest(struct sidecar *sc, const struct sc_request *req, struct sc_response *resp);

#endif
