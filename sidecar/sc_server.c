/* The libmicrohttpd glue: find the route, check the method, call the handler, send its JSON,
 * log one line per request. Handlers never see HTTP (sc_handler.h). */
#include "sc_server.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "sc_query.h"
#include "sc_routes.h"
#include "srv.h"
#include "util/error.h"

/* Descriptors kept out of the connection budget besides the agent connections: the log, the
 * agent's socket path lookups, libmicrohttpd's own (docs/sidecar.md, "Limits"). */
#define SC_FD_RESERVE 64
/* Per-connection memory: request line, headers and our answer's headers. A URI above it gets
 * libmicrohttpd's own 414; one above SC_QUERY_MAX gets ours. libmicrohttpd zeroes the pool for
 * every request on a kept-alive connection, so it is no larger than that needs (at 64 KiB the
 * zeroing was a fifth of a /quote's instructions). */
#define SC_CONNECTION_MEMORY (16u * 1024u)
#define SC_LOG_PATH_MAX 128
/* At shutdown, how long a connection that has sent nothing yet is waited for. */
#define SC_FRESH_WAIT_MS 2000u

/* One request, created when its request line arrives (the URI logger sees the raw URI with the
 * query string still encoded, which we decode ourselves, strictly). */
struct sc_req {
    char *uri;
    size_t uri_len;
    struct timespec start;
    char method[16];
    char path[SC_LOG_PATH_MAX];
    unsigned status; /* 0 until a response is queued */
    bool seen;       /* the first call (headers only) has been made */
    const struct sc_route *route;
};

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    struct sc_req *r = calloc(1, sizeof *r);
    if (r == NULL) {
        return NULL;
    }
    clock_gettime(CLOCK_MONOTONIC, &r->start);
    r->uri_len = strlen(uri);
    r->uri = strdup(uri);
    return r;
}

/* The path for the log: printable ASCII, bounded; never the query (it holds user data). */
static void log_path(const char *url, char out[SC_LOG_PATH_MAX])
{
    size_t o = 0;
    for (size_t i = 0; url[i] != '\0' && o < SC_LOG_PATH_MAX - 4; i++) {
        unsigned char c = (unsigned char)url[i];
        out[o++] = c > 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (url[o] != '\0' && o == SC_LOG_PATH_MAX - 4) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

static enum MHD_Result send_response(struct sc_server *s, struct MHD_Connection *conn,
                                     struct sc_req *r, struct sc_response *resp, const char *allow)
{
    char *body = resp->text;
    size_t len = resp->text_len;
    if (body == NULL && resp->body != NULL) {
        body = json_dump(resp->body, 0, NULL);
        len = body != NULL ? strlen(body) : 0;
    }
    resp->text = NULL;
    json_free(resp->body);
    resp->body = NULL;
    if (body == NULL) {
        resp->status = 500;
        body = strdup("{\"error\":\"out of memory\"}");
        if (body == NULL) {
            return MHD_NO;
        }
        len = strlen(body);
    }
    struct MHD_Response *mr = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (mr == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    /* Quotes bind caller-chosen data and a moment in time: never cache them. */
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (allow != NULL) {
        MHD_add_response_header(mr, MHD_HTTP_HEADER_ALLOW, allow);
    }
    if (resp->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", resp->retry_after);
        MHD_add_response_header(mr, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (atomic_load(&s->app->shutting_down)) {
        /* Keep-alive clients reconnect elsewhere instead of waiting on a closing socket. */
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
    }
    r->status = resp->status;
    enum MHD_Result ret = MHD_queue_response(conn, resp->status, mr);
    MHD_destroy_response(mr);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    (void)url;
    struct sc_server *s = cls;
    struct sc_req *r = *con_cls;
    if (r == NULL || r->uri == NULL) {
        return MHD_NO; /* out of memory in on_uri: drop the connection */
    }
    if (r->status != 0) { /* answered on the first call: discard any body */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!r->seen) {
        /* First call, headers only. Wrong paths and methods are answered at once, before any
         * body is read; good requests are answered on the next call, once libmicrohttpd knows
         * the request is complete (answering now would cost the keep-alive connection). */
        r->seen = true;
        snprintf(r->method, sizeof r->method, "%s", method);
        log_path(url, r->path);
        struct sc_response resp = {0};
        r->route = sc_route_find(url);
        if (r->route == NULL) {
            sc_response_error(&resp, 404, "Not found",
                              "no route for %s (routes: /, /health, /ready, /quote, /attest, "
                              "/info)",
                              r->path);
            return send_response(s, conn, r, &resp, NULL);
        }
        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
            sc_response_error(&resp, 405, "Method not allowed", "%s %s: use GET", r->method,
                              r->path);
            return send_response(s, conn, r, &resp, "GET, HEAD");
        }
        return MHD_YES;
    }
    if (*upload_data_size != 0) { /* a GET with a body: ignored */
        *upload_data_size = 0;
        return MHD_YES;
    }
    struct sc_response resp = {0};
    const char *q = memchr(r->uri, '?', r->uri_len);
    struct sc_request req = {
        .query = q != NULL ? q + 1 : NULL,
        .query_len = q != NULL ? r->uri_len - (size_t)(q + 1 - r->uri) : 0,
    };
    r->route->fn(s->app, &req, &resp);
    return send_response(s, conn, r, &resp, NULL);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)cls;
    struct sc_req *r = *con_cls;
    if (r == NULL) {
        return;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double ms = (double)(now.tv_sec - r->start.tv_sec) * 1e3 +
                (double)(now.tv_nsec - r->start.tv_nsec) / 1e6;
    if (r->status != 0) {
        log_info("%s %s %u %.3fms", r->method[0] ? r->method : "-", r->path[0] ? r->path : "-",
                 r->status, ms);
    } else {
        /* Not answered: libmicrohttpd refused the request (e.g. its own 414) or the client
         * went away first. */
        log_info("%s %s - %.3fms (closed before an answer, code %d)",
                 r->method[0] ? r->method : "-", r->path[0] ? r->path : "-", ms, (int)toe);
    }
    free(r->uri);
    free(r);
    *con_cls = NULL;
}

/* The core's refusals (two Content-Lengths, Transfer-Encoding with one) in our error format. */
static enum MHD_Result on_refuse(void *cls, struct MHD_Connection *conn, void **con_cls,
                                 unsigned status, const char *msg)
{
    struct sc_server *s = cls;
    struct sc_req none = {0};
    struct sc_req *r = *con_cls != NULL ? *con_cls : &none;
    struct sc_response resp = {0};
    sc_response_error(&resp, status, "Bad request", "%s", msg);
    return send_response(s, conn, r, &resp, NULL);
}

static void on_core_log(enum srv_log_level level, const char *msg)
{
    static const enum log_level map[] = {LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG};
    log_msg(map[level], "%s", msg);
}

dstack_err sc_server_start(struct sc_server *s, struct sidecar *app)
{
    const struct sc_config *cfg = app->cfg;
    memset(s, 0, sizeof *s);
    s->app = app;
    unsigned long limit = srv_fd_raise_limit();
    int fd = srv_listen_tcp(cfg->host, cfg->port);
    if (fd < 0) {
        return DSTACK_EIO;
    }
    s->port = srv_socket_port(fd);
    /* Each agent call may hold one outgoing connection; each worker an epoll fd and a channel. */
    unsigned long reserve = srv_fd_open_count() + SC_FD_RESERVE + cfg->agent_concurrency + 2 +
                            2 * (unsigned long)cfg->threads;
    s->max_connections = srv_fd_share(limit, reserve, 1);
    if (s->max_connections == 0) {
        close(fd);
        return err_set(DSTACK_EIO,
                       "the file descriptor limit (%lu) leaves too few for client connections "
                       "(%lu reserved); raise LimitNOFILE",
                       limit, reserve);
    }
    /* A fixed pool of workers, each running its handlers to completion: together with the agent
     * gate this bounds threads, memory and agent connections whatever the load. The Host check
     * stays off: verifiers reach the sidecar under names of their own (a gateway's). */
    struct srv_listener_config c = {
        .name = cfg->host,
        .fd = fd,
        .threads = cfg->threads,
        .connection_memory = SC_CONNECTION_MEMORY,
        .limits = {.max_connections = s->max_connections,
                   .idle_timeout_s = cfg->idle_timeout_s,
                   .request_timeout_s = cfg->request_timeout_s,
                   .min_rate = cfg->min_rate},
        .handler = {.cls = s,
                    .on_request = on_request,
                    .on_completed = on_completed,
                    .on_uri = on_uri,
                    .refuse = on_refuse},
        .log = on_core_log,
    };
    return srv_listener_start(&c, &s->srv);
}

unsigned sc_server_stop(struct sc_server *s, unsigned grace_ms)
{
    if (s->srv == NULL) {
        return 0;
    }
    atomic_store(&s->app->shutting_down, true);
    /* Requests in flight get grace_ms; connections that sent nothing yet, SC_FRESH_WAIT_MS. */
    unsigned fresh_wait = grace_ms < SC_FRESH_WAIT_MS ? grace_ms : SC_FRESH_WAIT_MS;
    unsigned left = srv_stop(&s->srv, 1, grace_ms, fresh_wait);
    s->srv = NULL;
    return left;
}
