/* Answers of the agent's HTTP server (docs/wire.md): the headers upstream sends on every
 * response, errors as serde_json prints them, Rocket's 404, and the kept answers of ROUTE_STATIC
 * routes. */
#include <stdlib.h>
#include <string.h>

#include "server_internal.h"
#include "srv.h"

/* Content-Type, Server and Rocket's Shield defaults, which upstream sends on every response
 * (docs/wire.md). */
void server_add_headers(struct listener *l, struct MHD_Response *resp, const char *type)
{
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_SERVER, l->agent->cfg->server_ident);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "SAMEORIGIN");
    MHD_add_response_header(resp, "Permissions-Policy", "interest-cohort=()");
    if (l->cfg->api == API_WORKER) { /* server.rs run_external: every answer says our version */
        MHD_add_response_header(resp, "X-App-Version", SERVER_APP_VERSION);
    }
    if (l->cfg->no_keep_alive) { /* keep_alive = 0: one request per connection, as Rocket */
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    }
}

static bool is_ascii(const char *body, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)body[i] >= 0x80) {
            return false;
        }
    }
    return true;
}

enum MHD_Result server_send_body(struct listener *l, struct MHD_Connection *conn, unsigned status,
                                 const char *type, char *body, size_t len,
                                 MHD_ContentReaderFreeCallback release)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(len, body, release);
    if (resp == NULL) {
        release(body);
        return MHD_NO;
    }
    server_add_headers(l, resp, type);
    /* The JS SDK's unix transport counts UTF-16 units against Content-Length and waits for the
     * server to close when the body holds multi-byte characters (docs/wire.md). It sends no
     * User-Agent, unlike every other SDK; close after answering such a request. */
    /* While stopping, every answer ends its connection: a keep-alive client then reconnects
     * (and finds the socket gone) instead of sending its next request into a closing socket. */
    if (!l->cfg->no_keep_alive && /* server_add_headers said it already */
        (srv_listener_closing(l->srv) ||
         (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT) == NULL &&
          !is_ascii(body, len)))) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    }
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

enum MHD_Result server_send(struct listener *l, struct MHD_Connection *conn, unsigned status,
                            const char *type, char *body, size_t len)
{
    return server_send_body(l, conn, status, type, body, len, free);
}

/* The kept response of a ROUTE_STATIC route, or NULL before its first answer. Queued again as
 * is: libmicrohttpd reference-counts responses, so one serves every connection. */
struct MHD_Response *server_static_find(struct listener *l, const struct rpc_route *route)
{
    struct MHD_Response *resp = NULL;
    pthread_mutex_lock(&l->static_lock);
    for (size_t i = 0; i < l->n_statics; i++) {
        if (l->statics[i].route == route) {
            resp = l->statics[i].resp;
            break;
        }
    }
    pthread_mutex_unlock(&l->static_lock);
    return resp;
}

/* Keeps a copy of a static route's first answer. ASCII only: the per-request Connection: close
 * of server_send never applies to it. Best effort: nothing is kept when out of room or memory. */
void server_static_keep(struct listener *l, const struct rpc_route *route, const char *body,
                        size_t len)
{
    if (!is_ascii(body, len)) {
        return;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL) {
        return;
    }
    server_add_headers(l, resp, "application/json");
    pthread_mutex_lock(&l->static_lock);
    bool kept = false;
    if (l->n_statics < sizeof l->statics / sizeof l->statics[0]) {
        kept = true;
        for (size_t i = 0; i < l->n_statics; i++) {
            kept &= l->statics[i].route != route; /* another thread was first */
        }
        if (kept) {
            l->statics[l->n_statics].route = route;
            l->statics[l->n_statics].resp = resp;
            l->n_statics++;
        }
    }
    pthread_mutex_unlock(&l->static_lock);
    if (!kept) {
        MHD_destroy_response(resp);
    }
}

/* {\n  "error": "<msg>"\n}, serde_json's to_string_pretty (docs/wire.md). */
enum MHD_Result server_send_error(struct listener *l, struct MHD_Connection *conn, unsigned status,
                                  const char *msg)
{
    cJSON *obj = cJSON_CreateObject();
    if (!json_set(obj, "error", json_string_utf8(msg))) {
        json_free(obj);
        obj = NULL;
    }
    char *body = obj != NULL ? json_dump(obj, 2, NULL) : NULL;
    json_free(obj);
    if (body == NULL) {
        return MHD_NO;
    }
    return server_send(l, conn, status, "application/json", body, strlen(body));
}

/* Rocket's 404 catcher (server_internal.h). */
enum MHD_Result server_send_not_found(struct listener *l, struct MHD_Connection *conn)
{
    const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
    if (accept != NULL && strstr(accept, "application/json") != NULL) {
        const char *json = "{\n  \"error\": {\n    \"code\": 404,\n    \"reason\": \"Not Found\",\n"
                           "    \"description\": \"The requested resource could not be found.\"\n"
                           "  }\n}";
        return server_send(l, conn, MHD_HTTP_NOT_FOUND, "application/json", strdup(json),
                           strlen(json));
    }
    const char *html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
                       "<title>404 Not Found</title></head>\n<body><h1>404: Not Found</h1>"
                       "<p>The requested resource could not be found.</p></body>\n</html>\n";
    return server_send(l, conn, MHD_HTTP_NOT_FOUND, "text/html; charset=utf-8", strdup(html),
                       strlen(html));
}
