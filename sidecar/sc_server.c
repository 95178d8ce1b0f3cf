/* The libmicrohttpd glue: find the route, check the method, call the handler, send its JSON,
 * log one line per request. Handlers never see HTTP (sc_handler.h). */
#include "sc_server.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sc_log.h"
#include "sc_query.h"
#include "sc_routes.h"

#define SC_LISTEN_BACKLOG 511
#define SC_CONNECTION_LIMIT 4096u
/* Per-connection memory: request line, headers and our answer's headers. A URI above it gets
 * libmicrohttpd's own 414; one above SC_QUERY_MAX gets ours. */
#define SC_CONNECTION_MEMORY (64u * 1024u)
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

/* Per connection: whether it has sent a request yet. A connection accepted just before SIGTERM
 * whose request is still on its way must be served, not closed (sc_server_stop waits for it). */
struct sc_conn {
    bool fresh;
};

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)conn;
    struct sc_server *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        struct sc_conn *c = calloc(1, sizeof *c);
        if (c != NULL) {
            c->fresh = true;
            atomic_fetch_add(&s->fresh, 1);
        }
        *socket_context = c;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct sc_conn *c = *socket_context;
        if (c != NULL && c->fresh) {
            atomic_fetch_sub(&s->fresh, 1);
        }
        free(c);
        *socket_context = NULL;
    }
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct sc_server *s = cls;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct sc_conn *c = ci != NULL ? ci->socket_context : NULL;
    if (c != NULL && c->fresh) {
        c->fresh = false;
        atomic_fetch_sub(&s->fresh, 1);
    }
    struct sc_req *r = calloc(1, sizeof *r);
    if (r == NULL) {
        return NULL;
    }
    clock_gettime(CLOCK_MONOTONIC, &r->start);
    r->uri_len = strlen(uri);
    r->uri = strdup(uri);
    atomic_fetch_add(&s->in_flight, 1);
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
        body = json_dumps(resp->body, JSON_COMPACT);
        len = body != NULL ? strlen(body) : 0;
    }
    resp->text = NULL;
    json_decref(resp->body);
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
    struct sc_server *s = cls;
    struct sc_req *r = *con_cls;
    if (r == NULL) {
        return;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double ms = (double)(now.tv_sec - r->start.tv_sec) * 1e3 +
                (double)(now.tv_nsec - r->start.tv_nsec) / 1e6;
    if (r->status != 0) {
        sc_log_info("%s %s %u %.3fms", r->method[0] ? r->method : "-", r->path[0] ? r->path : "-",
                    r->status, ms);
    } else {
        /* Not answered: libmicrohttpd refused the request (e.g. its own 414) or the client
         * went away first. */
        sc_log_info("%s %s - %.3fms (closed before an answer, code %d)",
                    r->method[0] ? r->method : "-", r->path[0] ? r->path : "-", ms, (int)toe);
    }
    free(r->uri);
    free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&s->in_flight, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    sc_log_debug("http: %s", msg);
}

static int listen_socket(const char *host, uint16_t port, uint16_t *bound,
                         char err[SC_SERVER_ERROR_MAX])
{
    char port_s[8];
    snprintf(port_s, sizeof port_s, "%u", (unsigned)port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, port_s, &hints, &res);
    if (rc != 0) {
        snprintf(err, SC_SERVER_ERROR_MAX, "invalid host \"%s\": %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    int last_errno = 0;
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        if (fd >= 0 &&
            (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
             bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SC_LISTEN_BACKLOG) != 0)) {
            last_errno = errno;
            close(fd);
            fd = -1;
        } else if (fd < 0) {
            last_errno = errno;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, SC_SERVER_ERROR_MAX, "cannot listen on %s:%u: %s", host, (unsigned)port,
                 strerror(last_errno));
        return -1;
    }
    struct sockaddr_storage sa;
    socklen_t salen = sizeof sa;
    *bound = port;
    if (getsockname(fd, (struct sockaddr *)&sa, &salen) == 0) {
        if (sa.ss_family == AF_INET) {
            *bound = ntohs(((struct sockaddr_in *)&sa)->sin_port);
        } else if (sa.ss_family == AF_INET6) {
            *bound = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
        }
    }
    return fd;
}

int sc_server_start(struct sc_server *s, struct sidecar *app, char err[SC_SERVER_ERROR_MAX])
{
    const struct sc_config *cfg = app->cfg;
    memset(s, 0, sizeof *s);
    s->app = app;
    atomic_init(&s->in_flight, 0);
    atomic_init(&s->fresh, 0);
    s->fd = listen_socket(cfg->host, cfg->port, &s->port, err);
    if (s->fd < 0) {
        return -1;
    }
    /* A fixed pool of workers, each running its handlers to completion: together with the agent
     * gate this bounds threads, memory and agent connections whatever the load. ITC lets
     * MHD_quiesce_daemon stop the pool's listening at shutdown. */
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    s->mhd =
        MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, s->fd,
                         MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, MHD_OPTION_CONNECTION_TIMEOUT,
                         cfg->idle_timeout_s, MHD_OPTION_CONNECTION_LIMIT, SC_CONNECTION_LIMIT,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SC_CONNECTION_MEMORY,
                         MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_CONNECTION,
                         on_connection, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                         MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_END);
    if (s->mhd == NULL) {
        snprintf(err, SC_SERVER_ERROR_MAX, "cannot start the HTTP server on %s:%u", cfg->host,
                 (unsigned)s->port);
        close(s->fd);
        s->fd = -1;
        return -1;
    }
    return 0;
}

unsigned sc_server_stop(struct sc_server *s, unsigned grace_ms)
{
    if (s->mhd == NULL) {
        return 0;
    }
    atomic_store(&s->app->shutting_down, true);
    MHD_socket lfd = MHD_quiesce_daemon(s->mhd);
    if (lfd != MHD_INVALID_SOCKET) {
        /* Connections the kernel completed but nobody accepted yet would be reset by close():
         * their clients already sent a request. Hand them to the workers first. */
        int fl = fcntl(lfd, F_GETFL);
        if (fl >= 0) {
            (void)fcntl(lfd, F_SETFL, fl | O_NONBLOCK);
        }
        for (;;) {
            struct sockaddr_storage sa;
            socklen_t salen = sizeof sa;
            int cfd = accept4(lfd, (struct sockaddr *)&sa, &salen, SOCK_CLOEXEC);
            if (cfd < 0) {
                break;
            }
            /* libmicrohttpd owns the socket from here, closing it itself on failure. */
            (void)MHD_add_connection(s->mhd, cfd, (struct sockaddr *)&sa, salen);
        }
        close(lfd);
    }
    s->fd = -1;
    /* Wait for requests in flight, and (briefly) for connections whose request line has not
     * arrived yet. */
    struct timespec step = {.tv_sec = 0, .tv_nsec = 5 * 1000 * 1000};
    for (unsigned waited = 0; waited < grace_ms; waited += 5) {
        bool busy = atomic_load(&s->in_flight) > 0;
        bool fresh = atomic_load(&s->fresh) > 0 && waited < SC_FRESH_WAIT_MS;
        if (!busy && !fresh) {
            break;
        }
        nanosleep(&step, NULL);
    }
    unsigned left = atomic_load(&s->in_flight);
    MHD_stop_daemon(s->mhd);
    s->mhd = NULL;
    return left;
}
