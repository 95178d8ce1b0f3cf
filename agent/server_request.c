/* One request on the agent's HTTP server (docs/wire.md): the body read under its cap, the
 * route found, the payload decoded into one cJSON, the handler called and its answer encoded.
 * libmicrohttpd calls all of it on one thread per request, so a handler's error text
 * (util/error.h) is read on the thread that set it. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "heap_wipe.h"
#include "log.h"
#include "public/public.h"
#include "request.h"
#include "server_internal.h"
#include "srv.h"
#include "util/error.h"

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

/* ?json, ?json=true or ?json=1 on the URL: the client means JSON whatever its Content-Type. */
static enum MHD_Result find_json_flag(void *cls, enum MHD_ValueKind kind, const char *key,
                                      size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    (void)key_size;
    bool *flag = cls;
    if (strcmp(key, "json") == 0 && (value == NULL || value_size == 0 ||
                                     strcmp(value, "true") == 0 || strcmp(value, "1") == 0)) {
        *flag = true;
    }
    return MHD_YES;
}

struct query_ctx {
    cJSON *obj;
    dstack_err err; /* the first refused pair; its text is the thread's error text */
};

static enum MHD_Result add_query_pair(void *cls, enum MHD_ValueKind kind, const char *key,
                                      size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    (void)key_size;
    struct query_ctx *q = cls;
    q->err = request_query_add(q->obj, key, value != NULL ? value : "", value_size);
    return q->err == DSTACK_OK ? MHD_YES : MHD_NO; /* stop at the first refusal */
}

/* The GET query string as the request object (serde_qs rules, request.h). */
static dstack_err decode_query(struct MHD_Connection *conn, cJSON **out)
{
    struct query_ctx q = {.obj = request_query_new(), .err = DSTACK_OK};
    if (q.obj == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, add_query_pair, &q);
    if (q.err != DSTACK_OK) {
        json_free(q.obj);
        return q.err;
    }
    *out = q.obj;
    return DSTACK_OK;
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

/* Why the request is refused before its route is looked at further, or NULL: a body over the
 * listener's budget or the method's cap, an unknown method, a method this listener does not
 * serve. *status is the answer's status; *route the method's route. */
static const char *refusal(struct listener *l, const char *name, const struct request *req,
                           const struct rpc_route **route, unsigned *status)
{
    *route = routes_find(l->cfg->api, name);
    *status = MHD_HTTP_BAD_REQUEST;
    if (req->over_budget) {
        *status = MHD_HTTP_SERVICE_UNAVAILABLE;
        return "server busy: too many large request bodies in flight, retry later";
    }
    if (req->too_large) { /* encoded per the json flag only, like upstream (docs/wire.md) */
        return "failed to read data: payload too large";
    }
    if (*route == NULL) {
        (void)err_set(DSTACK_EINVAL, "Service not found: %.200s", name);
        return err_text();
    }
    if (!listener_allows(l->cfg, name)) {
        *status = MHD_HTTP_FORBIDDEN;
        (void)err_set(DSTACK_EINVAL, "Method %s is not served on this socket", name);
        return err_text();
    }
    return NULL;
}

/* The handler's input: {} for methods without one, the query string of a GET, else the JSON
 * body. On failure err_text() holds the answer's message. */
static dstack_err decode_args(struct listener *l, struct MHD_Connection *conn,
                              const struct rpc_route *route, bool is_get, const struct request *req,
                              cJSON **args, bool *from_query)
{
    *from_query = false;
    if (route->flags & ROUTE_NO_INPUT) {
        if (l->cfg->api == API_GUEST && !is_get && !request_is_empty_message(req->body, req->len)) {
            /* Upstream ignores such a body; the host's API is ours to keep strict. */
            return err_set(DSTACK_EINVAL,
                           "%s takes no arguments (google.protobuf.Empty): send no body, {} or "
                           "null",
                           route->name);
        }
        *args = cJSON_CreateObject();
        return *args != NULL ? DSTACK_OK : err_set(DSTACK_ENOMEM, "out of memory");
    }
    if (is_get) {
        *from_query = true;
        return decode_query(conn, args);
    }
    dstack_err e = request_decode_json(req->body, req->len, args);
    if (e != DSTACK_OK) {
        bool json_flag = false;
        MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, find_json_flag, &json_flag);
        /* Upstream would decode a body without a JSON content type as protobuf, which no SDK
         * sends; we accept JSON either way and say what to do otherwise. */
        if (!json_flag && !is_json_content_type(conn)) {
            return err_set(DSTACK_EINVAL, "request body is not JSON; send a JSON object with "
                                          "Content-Type: application/json");
        }
    }
    return e;
}

/* Runs the handler on args (taken) and sends its answer: 200 with the result, or 400 with
 * {"error": its text}. */
static enum MHD_Result answer_call(struct listener *l, struct MHD_Connection *conn,
                                   const struct rpc_route *route, cJSON *args, bool from_query)
{
    struct rpc_call call = {.agent = l->agent, .args = args, .from_query = from_query};
    err_clear(); /* a handler that fails without a text answers "failed", not a stale text */
    dstack_err e = route->fn(&call);
    json_free(args);
    if (e != DSTACK_OK) {
        json_free(call.result);
        heap_wipe_free(call.result_text);
        const char *why = err_text();
        return server_send_error(l, conn, MHD_HTTP_BAD_REQUEST, why[0] ? why : "failed");
    }
    if (call.result_text != NULL) { /* encoded by the handler (rpc.h) */
        json_free(call.result);
        /* A key method's answer holds the key: wiped once sent (docs/security.md). Only those:
         * wiping every GetQuote answer would add 3 % to its instructions for nothing. */
        return server_send_body(l, conn, MHD_HTTP_OK, "application/json", call.result_text,
                                call.result_text_len,
                                (route->flags & ROUTE_KEYS) ? heap_wipe_free : free);
    }
    char *body = call.result != NULL ? json_dump(call.result, 0, NULL) : strdup("null");
    json_free(call.result);
    if (body == NULL) {
        return server_send_error(l, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    if (route->flags & ROUTE_STATIC) {
        server_static_keep(l, route, body, strlen(body));
    }
    return server_send(l, conn, MHD_HTTP_OK, "application/json", body, strlen(body));
}

static enum MHD_Result dispatch(struct listener *l, struct MHD_Connection *conn, const char *url,
                                bool is_get, struct request *req)
{
    enum MHD_Result answer;
    bool control = req->raw.in_path || req->raw.in_query;
    if (l->cfg->api == API_WORKER && is_get && public_dispatch(l, conn, url, control, &answer)) {
        return answer; /* /, /metrics, /logs/<name> (public/public.h) */
    }
    const char *name = method_from_path(l->cfg->api, url);
    /* A decoded %00 cut the path short (`/GetKey%00x` reads as `/GetKey`): no route has a
     * control character in its name, so none matches, as in upstream's router. */
    if (name == NULL || req->raw.in_path) {
        return server_send_not_found(l, conn);
    }
    const struct rpc_route *route;
    unsigned status;
    const char *why = refusal(l, name, req, &route, &status);
    if (why != NULL) {
        return server_send_error(l, conn, status, why);
    }
    const struct agent *ag = l->agent;
    if ((route->flags & ROUTE_KEYS) && ag->tee != NULL && ag->tee->keys_ready != NULL &&
        ag->tee->keys_ready(ag->tee_state) != DSTACK_OK) {
        return server_send_error(l, conn, MHD_HTTP_BAD_REQUEST, err_text()); /* the backend's */
    }
    if ((route->flags & ROUTE_STATIC) && !srv_listener_closing(l->srv)) {
        struct MHD_Response *kept = server_static_find(l, route);
        if (kept != NULL) {
            return MHD_queue_response(conn, MHD_HTTP_OK, kept);
        }
    }
    cJSON *args = NULL;
    bool from_query;
    if (decode_args(l, conn, route, is_get, req, &args, &from_query) != DSTACK_OK) {
        return server_send_error(l, conn, MHD_HTTP_BAD_REQUEST, err_text());
    }
    return answer_call(l, conn, route, args, from_query);
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

void *server_on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
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

enum MHD_Result server_on_request(void *cls, struct MHD_Connection *conn, const char *url,
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
        return MHD_NO; /* out of memory in server_on_uri: drop the connection */
    }
    if (!req->seen) {
        req->seen = true;
        if (!is_get && !is_post) {
            req->answered = true;
            return server_send_not_found(l, conn);
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
            return server_send_error(l, conn, MHD_HTTP_BAD_REQUEST,
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

void server_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
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

enum MHD_Result server_on_refuse(void *cls, struct MHD_Connection *conn, void **con_cls,
                                 unsigned status, const char *msg)
{
    (void)con_cls;
    return server_send_error(cls, conn, status, msg);
}
