/* The HTTP side of dstack-verifier on the daemons' server core (internal/server/srv.h): routes
 * POST /verify and GET /health, a body cap, the answers as JSON. Handlers never see HTTP:
 * vf_verify_body gets the body and returns status + JSON. */
#include "vf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "srv.h"
#include "util/error.h"

#define VF_CONNECTION_MEMORY (64u << 10)

struct vf_req {
    bool seen;
    bool is_verify;
    bool too_big;
    unsigned status; /* answered when non-zero */
    char *body;
    size_t len;
};

static enum MHD_Result answer(struct MHD_Connection *conn, struct vf_req *r, unsigned status,
                              char *json, const char *allow)
{
    static const char oom[] = "{\"is_valid\":false,\"details\":{},\"reason\":\"out of memory\"}";
    struct MHD_Response *mr =
        json != NULL
            ? MHD_create_response_from_buffer(strlen(json), json, MHD_RESPMEM_MUST_FREE)
            : MHD_create_response_from_buffer(sizeof oom - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
    if (mr == NULL) {
        free(json);
        return MHD_NO;
    }
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (allow != NULL) {
        MHD_add_response_header(mr, MHD_HTTP_HEADER_ALLOW, allow);
    }
    r->status = status;
    enum MHD_Result ret = MHD_queue_response(conn, status, mr);
    MHD_destroy_response(mr);
    return ret;
}

static char *error_json(const char *msg)
{
    size_t n = strlen(msg) + 64;
    char *s = malloc(n);
    if (s != NULL) { /* msg is one of our own fixed texts: no escaping needed */
        snprintf(s, n, "{\"error\":\"%s\"}", msg);
    }
    return s;
}

/* Headers only: the route, before any body is read. */
static enum MHD_Result first_call(struct MHD_Connection *conn, struct vf_req *r, const char *url,
                                  const char *method)
{
    r->seen = true;
    if (strcmp(url, "/health") == 0) {
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
            return answer(conn, r, 405, error_json("use GET"), "GET, HEAD");
        }
        return answer(conn, r, 200, strdup("{\"status\":\"ok\",\"service\":\"dstack-verifier\"}"),
                      NULL);
    }
    if (strcmp(url, "/verify") != 0) {
        return answer(conn, r, 404, error_json("no route (routes: POST /verify, GET /health)"),
                      NULL);
    }
    if (strcmp(method, "POST") != 0) {
        return answer(conn, r, 405, error_json("use POST"), "POST");
    }
    r->is_verify = true;
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    const struct vf_app *a = cls;
    struct vf_req *r = *con_cls;
    if (r == NULL) {
        if ((r = calloc(1, sizeof *r)) == NULL) {
            return MHD_NO;
        }
        *con_cls = r;
    }
    if (r->status != 0) { /* answered: drop whatever body follows */
        *upload_size = 0;
        return MHD_YES;
    }
    if (!r->seen) {
        return first_call(conn, r, url, method);
    }
    if (*upload_size != 0) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->too_big || n > VF_MAX_BODY - r->len) {
            r->too_big = true;
            return MHD_YES;
        }
        char *nb = realloc(r->body, r->len + n + 1);
        if (nb == NULL) {
            return MHD_NO;
        }
        memcpy(nb + r->len, upload, n);
        r->body = nb;
        r->len += n;
        return MHD_YES;
    }
    if (r->too_big) {
        return answer(conn, r, 413, error_json("body over 8 MiB"), NULL);
    }
    unsigned status = 500;
    char *json = NULL;
    vf_verify_body(a, r->body ? r->body : "", r->len, &status, &json);
    return answer(conn, r, status, json, NULL);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct vf_req *r = *con_cls;
    if (r != NULL) {
        log_info("%s %u", r->is_verify ? "POST /verify" : "request", r->status);
        free(r->body);
        free(r);
        *con_cls = NULL;
    }
}

static enum MHD_Result on_refuse(void *cls, struct MHD_Connection *conn, void **con_cls,
                                 unsigned status, const char *msg)
{
    (void)cls;
    (void)msg;
    struct vf_req none = {0};
    struct vf_req *r = *con_cls != NULL ? *con_cls : &none;
    return answer(conn, r, status, error_json("request refused"), NULL);
}

static void on_core_log(enum srv_log_level level, const char *msg)
{
    static const enum log_level map[] = {LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG};
    log_msg(map[level], "%s", msg);
}

dstack_err vf_server_start(struct vf_app *a, struct srv_listener **out, uint16_t *port)
{
    unsigned long limit = srv_fd_raise_limit();
    int fd = srv_listen_tcp(a->cfg.address, a->cfg.port);
    if (fd < 0) {
        return DSTACK_EIO; /* the core's text */
    }
    *port = srv_socket_port(fd);
    unsigned share = srv_fd_share(limit, srv_fd_open_count() + 64, 1);
    struct srv_listener_config c = {
        .name = a->cfg.address,
        .fd = fd,
        .threads = a->cfg.threads,
        .connection_memory = VF_CONNECTION_MEMORY,
        .limits = {.max_connections = share ? share : 8,
                   .idle_timeout_s = 30,
                   .request_timeout_s = SRV_DEFAULT_REQUEST_TIMEOUT_S,
                   .min_rate = SRV_DEFAULT_MIN_RATE},
        .handler = {.cls = a,
                    .on_request = on_request,
                    .on_completed = on_completed,
                    .refuse = on_refuse},
        .log = on_core_log,
    };
    return srv_listener_start(&c, out);
}
