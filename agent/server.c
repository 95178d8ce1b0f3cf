/* HTTP transport of the agent (docs/wire.md). The callback only finds the route, reads
 * the body under its cap, decodes it into one cJSON, calls the handler and encodes the answer. */
#include "server.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "heap_wipe.h"
#include "log.h"
#include "public/public.h"
#include "request.h"
#include "routes.h"
#include "srv.h"

/* Request bodies buffered at once on one listener, whatever the number of connections: each may
 * reach max_body (10 MiB by default), and 4096 connections of them would be 40 GiB. Beyond the
 * budget a body is refused with 503 (its bytes are read and dropped); at least one body of
 * max_body always fits. */
#define BODY_BUDGET ((size_t)64 * 1024 * 1024)
/* The first 16 KiB of every body are not charged, so ordinary requests (all far smaller) are
 * never refused while large ones hold the budget; 4096 connections of them make 64 MiB more. */
#define BODY_FREE ((size_t)16 * 1024)

static size_t body_charge(size_t cap)
{
    return cap > BODY_FREE ? cap - BODY_FREE : 0;
}

struct request {
    char *body;
    size_t len, cap;
    bool too_large;
    bool over_budget; /* refused: the listener's BODY_BUDGET is in use by other requests */
    bool answered;    /* a response was queued before the body was read */
    size_t limit;     /* the method's body cap (config_body_limit: limits.<Method>) */
    bool seen;        /* on_request's first call (headers only) has been made */
    struct request_uri_control raw; /* control characters in the URI before decoding */
    struct timespec start;
};

/* ---- responses ---------------------------------------------------------------------------- */

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

/* server_send with the function that frees body once libmicrohttpd lets it go. */
static enum MHD_Result send_body(struct listener *l, struct MHD_Connection *conn, unsigned status,
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
    return send_body(l, conn, status, type, body, len, free);
}

/* ---- static answers (ROUTE_STATIC) -------------------------------------------------------- */

/* The kept response of a ROUTE_STATIC route, or NULL before its first answer. Queued again as
 * is: libmicrohttpd reference-counts responses, so one serves every connection. */
static struct MHD_Response *static_find(struct listener *l, const struct rpc_route *route)
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
static void static_keep(struct listener *l, const struct rpc_route *route, const char *body,
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
static enum MHD_Result send_error(struct listener *l, struct MHD_Connection *conn, unsigned status,
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

/* Rocket's default 404 catcher: JSON when the client asks for it, else a small HTML page. */
static enum MHD_Result send_not_found(struct listener *l, struct MHD_Connection *conn)
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

/* ---- routing and decoding ----------------------------------------------------------------- */

/* The method name from the path, or NULL when the path has the wrong shape (-> 404). */
static const char *method_from_path(enum listener_api api, const char *url)
{
    const char *prefix = api == API_DSTACK ? "/" : api == API_GUEST ? "/api/" : "/prpc/";
    size_t plen = strlen(prefix);
    if (strncmp(url, prefix, plen) != 0) {
        return NULL;
    }
    const char *name = url + plen;
    /* str::trim_start_matches("Tappd." / "Worker."): repeated prefixes go too. */
    const char *service = api == API_TAPPD ? "Tappd." : api == API_WORKER ? "Worker." : NULL;
    while (service != NULL && strncmp(name, service, strlen(service)) == 0) {
        name += strlen(service);
    }
    if (name[0] == '\0' || strchr(name, '/') != NULL) {
        return NULL;
    }
    return name;
}

static bool listener_allows(const struct listener_config *cfg, const char *method)
{
    if (!cfg->restricted) {
        return true;
    }
    for (size_t i = 0; i < cfg->n_methods; i++) {
        if (strcmp(cfg->methods[i], method) == 0) {
            return true;
        }
    }
    return false;
}

struct query_ctx {
    cJSON *obj;
    bool json_flag;
    bool failed;
    char err[REQUEST_ERROR_MAX];
};

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    (void)key_size;
    struct query_ctx *q = cls;
    if (strcmp(key, "json") == 0 && (value == NULL || value_size == 0 ||
                                     strcmp(value, "true") == 0 || strcmp(value, "1") == 0)) {
        q->json_flag = true;
    }
    if (q->obj != NULL && !q->failed &&
        !request_query_add(q->obj, key, value != NULL ? value : "", value_size, q->err)) {
        q->failed = true;
    }
    return MHD_YES;
}

static bool is_json_content_type(struct MHD_Connection *conn)
{
    const char *ct =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (ct == NULL) {
        return false;
    }
    while (*ct == ' ') {
        ct++;
    }
    size_t n = strcspn(ct, "; \t");
    return n == 16 && strncasecmp(ct, "application/json", 16) == 0;
}

static enum MHD_Result dispatch(struct listener *l, struct MHD_Connection *conn, const char *url,
                                bool is_get, struct request *req)
{
    enum MHD_Result public_result;
    bool control = req->raw.in_path || req->raw.in_query;
    if (l->cfg->api == API_WORKER && is_get &&
        public_dispatch(l, conn, url, control, &public_result)) {
        return public_result; /* /, /metrics, /logs/<name> (public/public.h) */
    }
    const char *name = method_from_path(l->cfg->api, url);
    /* A decoded %00 cut the path short (`/GetKey%00x` reads as `/GetKey`): no route has a
     * control character in its name, so none matches, as in upstream's router. */
    if (name == NULL || req->raw.in_path) {
        return send_not_found(l, conn);
    }
    struct query_ctx q = {.obj = is_get ? request_query_new() : NULL};
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, collect_query, &q);
    if (req->over_budget) {
        json_free(q.obj);
        return send_error(l, conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                          "server busy: too many large request bodies in flight, retry later");
    }
    if (req->too_large) { /* encoded per the json flag only, like upstream (docs/wire.md "Errors")
                           */
        json_free(q.obj);
        return send_error(l, conn, MHD_HTTP_BAD_REQUEST, "failed to read data: payload too large");
    }
    const struct rpc_route *route = routes_find(l->cfg->api, name);
    if (route == NULL) {
        json_free(q.obj);
        char msg[REQUEST_ERROR_MAX];
        snprintf(msg, sizeof msg, "Service not found: %.200s", name);
        return send_error(l, conn, MHD_HTTP_BAD_REQUEST, msg);
    }
    if (!listener_allows(l->cfg, name)) {
        json_free(q.obj);
        char msg[REQUEST_ERROR_MAX];
        snprintf(msg, sizeof msg, "Method %s is not served on this socket", name);
        return send_error(l, conn, MHD_HTTP_FORBIDDEN, msg);
    }

    const struct agent *ag = l->agent;
    if ((route->flags & ROUTE_KEYS) && ag->tee != NULL && ag->tee->keys_ready != NULL &&
        ag->tee->keys_ready(ag->tee_state) != DSTACK_OK) {
        json_free(q.obj);
        return send_error(l, conn, MHD_HTTP_BAD_REQUEST, err_text()); /* the backend's reason */
    }

    if ((route->flags & ROUTE_STATIC) && !srv_listener_closing(l->srv)) {
        struct MHD_Response *kept = static_find(l, route);
        if (kept != NULL) {
            json_free(q.obj);
            return MHD_queue_response(conn, MHD_HTTP_OK, kept);
        }
    }

    if (l->cfg->api == API_GUEST && (route->flags & ROUTE_NO_INPUT) && !is_get &&
        !request_is_empty_message(req->body, req->len)) {
        /* Upstream ignores such a body; the host's API is ours to keep strict. */
        json_free(q.obj);
        char msg[REQUEST_ERROR_MAX];
        snprintf(msg, sizeof msg,
                 "%s takes no arguments (google.protobuf.Empty): send no body, {} or null",
                 route->name);
        return send_error(l, conn, MHD_HTTP_BAD_REQUEST, msg);
    }
    struct rpc_call call = {.agent = l->agent};
    cJSON *args = NULL;
    if (route->flags & ROUTE_NO_INPUT) {
        args = cJSON_CreateObject();
    } else if (is_get) {
        if (q.failed) {
            json_free(q.obj);
            return send_error(l, conn, MHD_HTTP_BAD_REQUEST, q.err);
        }
        args = q.obj;
        q.obj = NULL;
        call.from_query = true;
    } else {
        char err[REQUEST_ERROR_MAX];
        if (!request_decode_json(req->body, req->len, &args, err)) {
            json_free(q.obj);
            /* Upstream would decode a body without a JSON content type as protobuf, which no
             * SDK sends; we accept JSON either way and say what to do otherwise. */
            if (!q.json_flag && !is_json_content_type(conn)) {
                snprintf(err, sizeof err,
                         "request body is not JSON; send a JSON object with "
                         "Content-Type: application/json");
            }
            return send_error(l, conn, MHD_HTTP_BAD_REQUEST, err);
        }
    }
    json_free(q.obj);
    call.args = args;

    bool ok = route->fn(&call);
    json_free(args);
    if (!ok) {
        json_free(call.result);
        heap_wipe_free(call.result_text);
        return send_error(l, conn, MHD_HTTP_BAD_REQUEST, call.error[0] ? call.error : "failed");
    }
    if (call.result_text != NULL) { /* encoded by the handler (rpc.h) */
        json_free(call.result);
        /* A key method's answer holds the key: wiped once sent (docs/security.md). Only those:
         * wiping every GetQuote answer would add 3 % to its instructions for nothing. */
        return send_body(l, conn, MHD_HTTP_OK, "application/json", call.result_text,
                         call.result_text_len, (route->flags & ROUTE_KEYS) ? heap_wipe_free : free);
    }
    char *body = call.result != NULL ? json_dump(call.result, 0, NULL) : strdup("null");
    json_free(call.result);
    if (body == NULL) {
        return send_error(l, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    if (route->flags & ROUTE_STATIC) {
        static_keep(l, route, body, strlen(body));
    }
    return server_send(l, conn, MHD_HTTP_OK, "application/json", body, strlen(body));
}

/* ---- libmicrohttpd callbacks -------------------------------------------------------------- */

static bool body_append(struct listener *l, struct request *req, const char *data, size_t n,
                        size_t max)
{
    if (n > max - req->len) {
        req->too_large = true;
        return false;
    }
    if (n > req->cap - req->len) {
        size_t cap = req->cap ? req->cap : 1024;
        while (cap - req->len < n) {
            cap = cap > max / 2 ? max : cap * 2;
        }
        /* Reserve the growth against the listener's budget before allocating it. */
        size_t grow = body_charge(cap) - body_charge(req->cap);
        size_t budget = max > BODY_BUDGET ? max : BODY_BUDGET;
        size_t held = atomic_fetch_add(&l->body_bytes, grow);
        if (grow > budget || held > budget - grow) {
            atomic_fetch_sub(&l->body_bytes, grow);
            req->over_budget = true;
            return false;
        }
        char *p = realloc(req->body, cap);
        if (p == NULL) {
            atomic_fetch_sub(&l->body_bytes, grow);
            req->over_budget = true;
            return false;
        }
        req->body = p;
        req->cap = cap;
    }
    memcpy(req->body + req->len, data, n);
    req->len += n;
    return true;
}

#define GUEST_MAX_BODY 4096
/* How far past its limit a declared body is still read (and dropped) before the 400, so a
 * client that sends it whole gets the answer instead of a reset: as far again as the limit, at
 * most 1 MiB. Further, it is refused from its Content-Length and the connection closed. The
 * request deadline and the minimum rate bound the time a drain takes. */
static size_t oversize_drain_max(size_t limit)
{
    const size_t cap = (size_t)1024 * 1024;
    return limit < cap ? limit : cap;
}

/* Called with the raw URI before libmicrohttpd decodes it; what it returns is the request's
 * context (*con_cls), freed by on_completed. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    struct request *req = calloc(1, sizeof *req);
    if (req != NULL) {
        clock_gettime(CLOCK_MONOTONIC, &req->start);
        request_uri_control_scan(uri, &req->raw);
    }
    return req;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct listener *l = cls;
    struct request *req = *con_cls;
    bool is_get =
        strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    bool is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;

    if (req == NULL) {
        return MHD_NO; /* out of memory in on_uri: drop the connection */
    }
    if (!req->seen) {
        req->seen = true;
        if (!is_get && !is_post) {
            req->answered = true;
            return send_not_found(l, conn);
        }
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        req->limit = config_body_limit(l->agent->cfg, l->cfg, method_from_path(l->cfg->api, url));
        if (l->cfg->api == API_GUEST && req->limit > GUEST_MAX_BODY) {
            req->limit = GUEST_MAX_BODY; /* the host's API takes only Empty messages */
        }
        unsigned long long declared = is_post && cl != NULL ? strtoull(cl, NULL, 10) : 0;
        if (declared > req->limit && declared - req->limit > oversize_drain_max(req->limit)) {
            /* Answered before reading the body; the connection closes after the response. */
            req->too_large = true;
            req->answered = true;
            return send_error(l, conn, MHD_HTTP_BAD_REQUEST,
                              "failed to read data: payload too large");
        }
        if (declared > req->limit) {
            /* Read and drop the body, then answer: closing with unread bytes makes the kernel
             * reset the connection, and the client may lose the answer while still sending. */
            req->too_large = true;
        }
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        if (!is_get && !req->answered && !req->too_large && !req->over_budget) {
            /* on refusal body_append sets too_large or over_budget; the rest is dropped */
            (void)body_append(l, req, upload_data, *upload_data_size, req->limit);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->answered) {
        return MHD_YES;
    }
    return dispatch(l, conn, url, is_get, req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    struct listener *l = cls;
    struct request *req = *con_cls;
    if (req == NULL) {
        return;
    }
    if (log_enabled(LOG_DEBUG)) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double ms = (double)(now.tv_sec - req->start.tv_sec) * 1e3 +
                    (double)(now.tv_nsec - req->start.tv_nsec) / 1e6;
        log_debug("%s request done in %.3f ms (%u, %zu body bytes)", l->cfg->address, ms,
                  (unsigned)toe, req->len);
    }
    atomic_fetch_sub(&l->body_bytes, body_charge(req->cap));
    free(req->body);
    free(req);
    *con_cls = NULL;
}

/* The core's refusals (srv_guard.h) in our error format. */
static enum MHD_Result on_refuse(void *cls, struct MHD_Connection *conn, void **con_cls,
                                 unsigned status, const char *msg)
{
    (void)con_cls;
    return send_error(cls, conn, status, msg);
}

static void on_core_log(enum srv_log_level level, const char *msg)
{
    static const enum log_level map[] = {LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG};
    log_msg(map[level], "%s", msg);
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

/* Per-connection memory of libmicrohttpd: request line, headers and the read buffer the body
 * streams through (bodies never need to fit; on_request copies them out). The default 32 KiB
 * is zeroed again before every keep-alive request, which cost ~49k instructions a request -
 * a tenth of a Sign (docs/performance.md). 16 KiB still takes a request line and headers of
 * ~12 KiB (longer ones get 414/431) and halves the memory a held connection pins. */
#define SERVER_CONN_POOL (16u * 1024u)

static unsigned pool_size(const struct agent_config *cfg)
{
    if (cfg->threads > 0) {
        return cfg->threads;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 2;
}

/* Descriptors kept out of the connection budget: what the process holds besides connections
 * (docs/security.md, "File descriptors"): files a request opens (the state and event log, the
 * quote device or configfs entries), the watchdog's self-probe, outgoing connections (QGS over
 * vsock, KMS) and the log. */
#define SERVER_FD_RESERVE 64

/* The Worker listener streams /logs for minutes: a blocked stream must not hold a pool thread
 * that other connections share, so it runs a thread per connection. */
static unsigned pool_threads(const struct agent_config *cfg, enum listener_api api)
{
    return cfg->thread_per_connection || api == API_WORKER ? 0 : pool_size(cfg);
}

/* What the core and libmicrohttpd hold per listener: the acceptor's eventfd, and per worker
 * thread an epoll fd and an inter-thread channel. */
static unsigned long core_fds(const struct agent_config *cfg)
{
    return 2 + 2 * (unsigned long)pool_threads(cfg, API_DSTACK);
}

/* "GetQuote, Info, Version" for the start-up line of a restricted listener. */
static void methods_text(const struct listener_config *lc, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < lc->n_methods && used < cap; i++) {
        int n = snprintf(out + used, cap - used, "%s%s", i ? ", " : "", lc->methods[i]);
        used += n > 0 ? (size_t)n : 0;
    }
}

/* Binds listener i, or takes its socket-activated fd. */
static dstack_err listener_open(struct listener *l, int activated, char err[SERVER_ERROR_MAX])
{
    char methods[CONFIG_MAX_METHODS * 34];
    methods_text(l->cfg, methods, sizeof methods);
    const char *api = config_api_name(l->cfg->api);
    if (activated >= 0) {
        l->fd = activated;
        l->tcp = srv_socket_port(activated) != 0;
        log_info("listening on socket-activated fd %d (%s API%s%s)", l->fd, api,
                 l->cfg->restricted ? ", restricted to " : "", methods);
        return DSTACK_OK;
    }
    enum srv_socket_kind kind;
    l->fd = srv_listen_open(l->cfg->address, l->cfg->mode, l->cfg->reuse, &kind, err);
    if (l->fd < 0) {
        return DSTACK_EIO;
    }
    l->tcp = kind == SRV_SOCKET_TCP;
    if (kind == SRV_SOCKET_UNIX) {
        snprintf(l->unix_path, sizeof l->unix_path, "%s", srv_listen_unix_path(l->cfg->address));
    }
    log_info("listening on %s (%s API%s%s)", l->cfg->address, api,
             l->cfg->restricted ? ", restricted to " : "", methods);
    return DSTACK_OK;
}

static dstack_err listener_serve(struct listener *l, unsigned share, char err[SERVER_ERROR_MAX])
{
    const struct agent_config *cfg = l->agent->cfg;
    struct srv_listener_config c = {
        .name = l->cfg->address,
        .fd = l->fd,
        .threads = pool_threads(cfg, l->cfg->api),
        .connection_memory = SERVER_CONN_POOL,
        .limits = {.max_connections = share,
                   .idle_timeout_s = l->cfg->keep_alive ? l->cfg->keep_alive : cfg->idle_timeout,
                   .request_timeout_s = cfg->request_timeout,
                   .min_rate = cfg->min_rate},
        .guard = {.enabled = l->tcp, .port = l->tcp ? srv_socket_port(l->fd) : 0},
        .handler = {.cls = l,
                    .on_request = on_request,
                    .on_completed = on_completed,
                    .on_uri = on_uri,
                    .refuse = on_refuse},
        .log = on_core_log,
    };
    for (size_t i = 0; i < cfg->n_allowed_hosts && i < SRV_MAX_ALLOWED_HOSTS; i++) {
        snprintf(c.guard.allowed_hosts[i], sizeof c.guard.allowed_hosts[i], "%s",
                 cfg->allowed_hosts[i]);
        c.guard.n_allowed_hosts = i + 1;
    }
    l->core_owns_fd = true; /* srv_listener_start closes it on failure */
    return srv_listener_start(&c, &l->srv, err) == 0 ? DSTACK_OK : DSTACK_EIO;
}

dstack_err server_start(struct server *s, struct agent *a, const int *activated, size_t n_activated,
                        char err[SERVER_ERROR_MAX])
{
    const struct agent_config *cfg = a->cfg;
    memset(s, 0, sizeof *s);
    unsigned long limit = srv_fd_raise_limit();
    for (size_t i = 0; i < cfg->n_listeners; i++) {
        struct listener *l = &s->listeners[i];
        l->agent = a;
        l->cfg = &cfg->listeners[i];
        l->fd = -1;
        atomic_init(&l->body_bytes, 0);
        l->static_lock_ready = pthread_mutex_init(&l->static_lock, NULL) == 0;
        s->count = i + 1;
        if (!l->static_lock_ready) {
            snprintf(err, SERVER_ERROR_MAX, "out of memory");
            server_stop(s, 0);
            return DSTACK_ENOMEM;
        }
        if (listener_open(l, i < n_activated ? activated[i] : -1, err) != DSTACK_OK) {
            if (l->cfg->api == API_GUEST && strncmp(l->cfg->address, "vsock:", 6) == 0) {
                /* No vsock here (not a VM) or the port is taken: the apps' sockets matter
                 * more than the host's view of us. */
                log_error("guest-api: %s; the host cannot reach this agent", err);
                err[0] = '\0';
                continue;
            }
            server_stop(s, 0);
            return DSTACK_EIO;
        }
    }
    /* Every listener gets the same share, so a restricted socket's clients can never take the
     * connections of dstack.sock (issue: one socket's clients starving every socket). */
    unsigned long reserve = srv_fd_open_count() + SERVER_FD_RESERVE + s->count * core_fds(cfg);
    unsigned share = srv_fd_share(limit, reserve, s->count);
    if (share == 0) {
        snprintf(err, SERVER_ERROR_MAX,
                 "the file descriptor limit (%lu) leaves too few for %zu listeners (%lu reserved); "
                 "raise LimitNOFILE",
                 limit, s->count, reserve);
        server_stop(s, 0);
        return DSTACK_EIO;
    }
    log_info("file descriptors: limit %lu, %lu reserved, %u connections per listener", limit,
             reserve, share);
    for (size_t i = 0; i < s->count; i++) {
        if (s->listeners[i].fd < 0) {
            continue; /* the guest-api vsock listener that could not open */
        }
        if (listener_serve(&s->listeners[i], share, err) != DSTACK_OK) {
            server_stop(s, 0);
            return DSTACK_EIO;
        }
    }
    return DSTACK_OK;
}

void server_stop(struct server *s, unsigned grace_ms)
{
    /* First make the Unix socket files disappear: new clients fail at once (ENOENT) instead of
     * queueing on a socket that is about to close. */
    struct srv_listener *cores[CONFIG_MAX_LISTENERS];
    for (size_t i = 0; i < s->count; i++) {
        if (s->listeners[i].unix_path[0] != '\0') {
            unlink(s->listeners[i].unix_path);
        }
        cores[i] = s->listeners[i].srv;
    }
    /* Requests in flight, connections that have not sent theirs yet, and keep-alive
     * connections (they end after their next answer: Connection: close) are all waited for.
     * Answers given meanwhile still read l->srv. */
    (void)srv_stop(cores, s->count, grace_ms, grace_ms);
    for (size_t i = 0; i < s->count; i++) {
        struct listener *l = &s->listeners[i];
        l->srv = NULL;
        if (l->static_lock_ready) {
            for (size_t k = 0; k < l->n_statics; k++) {
                MHD_destroy_response(l->statics[k].resp);
            }
            l->n_statics = 0;
            pthread_mutex_destroy(&l->static_lock);
            l->static_lock_ready = false;
        }
        if (l->fd >= 0 && !l->core_owns_fd) {
            close(l->fd);
        }
        l->fd = -1;
        l->unix_path[0] = '\0';
    }
    s->count = 0;
}
