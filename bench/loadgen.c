#include "loadgen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LG_MAX_CONNS 4096
#define LG_MAX_RESPONSE (64u << 20)
#define LG_DRAIN_SECONDS 10.0

enum conn_state { C_IDLE, C_RETRY, C_SEND, C_RECV };

struct conn {
    int fd;
    enum conn_state state;
    const struct lg_request *req;
    size_t sent;
    char *buf;
    size_t len, cap;
    size_t header_len; /* 0 until the blank line was seen */
    size_t body_len;
    bool until_close; /* no Content-Length: the body ends with the connection */
    bool server_closes;
    int status;
    uint64_t start_ns;
};

struct run {
    const struct lg_config *cfg;
    int ep;
    struct conn *conns;
    uint64_t issued, next_req;
    uint64_t deadline_ns, hard_deadline_ns;
    bool stopping;
    struct lg_result *res;
    size_t lat_cap;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool lg_format(struct lg_request *r, const char *method, const char *path, const char *json,
               bool close)
{
    char head[512];
    int n;
    if (json != NULL) {
        n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: dstack-bench\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n",
                     method, path, strlen(json), close ? "Connection: close\r\n" : "");
    } else {
        n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: dstack-bench\r\n%s\r\n",
                     method, path, close ? "Connection: close\r\n" : "");
    }
    if (n < 0 || (size_t)n >= sizeof head) {
        return false;
    }
    size_t blen = json != NULL ? strlen(json) : 0;
    r->len = (size_t)n + blen;
    r->data = malloc(r->len + 1);
    if (r->data == NULL) {
        return false;
    }
    memcpy(r->data, head, (size_t)n);
    if (blen != 0) {
        memcpy(r->data + n, json, blen);
    }
    r->data[r->len] = '\0';
    return true;
}

static int connect_unix(const char *path, bool nonblock)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(path);
    if (n >= sizeof sa.sun_path) {
        close(fd);
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(sa.sun_path, path, n + 1);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void conn_close(struct run *r, struct conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(r->ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }
}

static bool want_more(const struct run *r)
{
    return !r->stopping && (r->cfg->requests == 0 || r->issued < r->cfg->requests);
}

static void record(struct run *r, struct conn *c, bool ok)
{
    if (ok) {
        r->res->ok++;
    } else {
        r->res->failed++;
    }
    if (r->cfg->latencies && ok) {
        if (r->res->n_lat == r->lat_cap) {
            size_t cap = r->lat_cap ? r->lat_cap * 2 : 65536;
            double *p = realloc(r->res->lat_us, cap * sizeof *p);
            if (p == NULL) {
                return;
            }
            r->res->lat_us = p;
            r->lat_cap = cap;
        }
        r->res->lat_us[r->res->n_lat++] = (double)(now_ns() - c->start_ns) / 1e3;
    }
}

static void conn_send(struct run *r, struct conn *c);

/* Starts the next request on c, opening a connection when it has none. */
static void conn_issue(struct run *r, struct conn *c)
{
    if (!want_more(r)) {
        c->state = C_IDLE;
        return;
    }
    if (c->fd < 0) {
        c->fd = connect_unix(r->cfg->sock, true);
        if (c->fd < 0) {
            /* EAGAIN: the listen backlog is full; try again on the next turn of the loop */
            if (errno != EAGAIN) {
                r->res->failed++;
            }
            c->state = C_RETRY;
            return;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd, &ev);
    }
    r->issued++;
    c->req = &r->cfg->reqs[r->next_req++ % r->cfg->n_reqs];
    c->sent = 0;
    c->len = 0;
    c->header_len = 0;
    c->body_len = 0;
    c->until_close = false;
    c->server_closes = r->cfg->new_conn;
    c->status = 0;
    c->start_ns = now_ns();
    conn_send(r, c);
}

static void conn_send(struct run *r, struct conn *c)
{
    while (c->sent < c->req->len) {
        ssize_t n = send(c->fd, c->req->data + c->sent, c->req->len - c->sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN) {
                struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
                epoll_ctl(r->ep, EPOLL_CTL_MOD, c->fd, &ev);
                c->state = C_SEND;
                return;
            }
            conn_close(r, c);
            record(r, c, false);
            conn_issue(r, c);
            return;
        }
        c->sent += (size_t)n;
    }
    if (c->state == C_SEND) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(r->ep, EPOLL_CTL_MOD, c->fd, &ev);
    }
    c->state = C_RECV;
}

/* Parses the status line and the two headers we need once the header block is complete. */
static bool parse_head(struct conn *c)
{
    char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (end == NULL) {
        return false;
    }
    c->header_len = (size_t)(end - c->buf) + 4;
    c->status =
        c->len > 12 && strncmp(c->buf, "HTTP/1.", 7) == 0 ? (int)strtol(c->buf + 9, NULL, 10) : 0;
    c->until_close = true;
    for (char *line = memchr(c->buf, '\n', c->header_len); line != NULL && line < end;
         line = memchr(line + 1, '\n', (size_t)(end - line))) {
        const char *h = line + 1;
        if (strncasecmp(h, "content-length:", 15) == 0) {
            c->body_len = (size_t)strtoull(h + 15, NULL, 10);
            c->until_close = false;
        } else if (strncasecmp(h, "connection:", 11) == 0) {
            const char *v = h + 11;
            while (*v == ' ') {
                v++;
            }
            if (strncasecmp(v, "close", 5) == 0) {
                c->server_closes = true;
            }
        }
    }
    return true;
}

static void finish(struct run *r, struct conn *c, bool ok)
{
    record(r, c, ok);
    if (c->server_closes || !ok) {
        conn_close(r, c);
    }
    conn_issue(r, c);
}

static void conn_recv(struct run *r, struct conn *c)
{
    for (;;) {
        if (c->cap - c->len < 4096) {
            size_t cap = c->cap ? c->cap * 2 : 16384;
            char *p = cap <= LG_MAX_RESPONSE ? realloc(c->buf, cap) : NULL;
            if (p == NULL) {
                conn_close(r, c);
                finish(r, c, false);
                return;
            }
            c->buf = p;
            c->cap = cap;
        }
        ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (n < 0 && errno == EAGAIN) {
            return;
        }
        if (n <= 0) { /* closed: complete only when the body was delimited by the close */
            bool ok = c->header_len != 0 && c->until_close && c->status == 200;
            conn_close(r, c);
            if (c->state == C_RECV) {
                finish(r, c, ok);
            }
            return;
        }
        c->len += (size_t)n;
        if (c->header_len == 0 && !parse_head(c)) {
            continue;
        }
        if (!c->until_close && c->len - c->header_len >= c->body_len) {
            finish(r, c, c->status == 200);
            return;
        }
    }
}

bool lg_run(const struct lg_config *cfg, struct lg_result *out)
{
    memset(out, 0, sizeof *out);
    if (cfg->conns == 0 || cfg->conns > LG_MAX_CONNS || cfg->n_reqs == 0 ||
        (cfg->requests == 0 && cfg->seconds <= 0)) {
        fprintf(stderr, "loadgen: bad configuration\n");
        return false;
    }
    struct run r = {.cfg = cfg, .res = out};
    r.ep = epoll_create1(EPOLL_CLOEXEC);
    r.conns = calloc(cfg->conns, sizeof *r.conns);
    if (r.ep < 0 || r.conns == NULL) {
        fprintf(stderr, "loadgen: out of resources\n");
        free(r.conns);
        return false;
    }
    uint64_t t0 = now_ns();
    r.deadline_ns = cfg->seconds > 0 ? t0 + (uint64_t)(cfg->seconds * 1e9) : UINT64_MAX;
    for (unsigned i = 0; i < cfg->conns; i++) {
        r.conns[i].fd = -1;
    }
    for (unsigned i = 0; i < cfg->conns; i++) {
        conn_issue(&r, &r.conns[i]);
    }
    struct epoll_event evs[256];
    for (;;) {
        uint64_t now = now_ns();
        if (!r.stopping && now >= r.deadline_ns) {
            r.stopping = true;
            r.hard_deadline_ns = now + (uint64_t)(LG_DRAIN_SECONDS * 1e9);
        }
        if (r.stopping && now >= r.hard_deadline_ns) {
            fprintf(stderr, "loadgen: responses still missing after the drain period\n");
            break;
        }
        bool busy = false, retry = false;
        for (unsigned i = 0; i < cfg->conns; i++) {
            struct conn *c = &r.conns[i];
            if (c->state == C_RETRY) {
                conn_issue(&r, c);
            }
            busy |= c->state == C_SEND || c->state == C_RECV;
            retry |= c->state == C_RETRY;
        }
        if (!busy && !retry) {
            break;
        }
        int n = epoll_wait(r.ep, evs, 256, retry ? 1 : 100);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c->fd < 0) {
                continue;
            }
            if (c->state == C_SEND && (evs[i].events & EPOLLOUT)) {
                conn_send(&r, c);
            } else if (c->state == C_RECV) {
                conn_recv(&r, c);
            } else if (evs[i].events & (EPOLLHUP | EPOLLERR | EPOLLIN)) {
                conn_close(&r, c); /* the server closed an idle keep-alive connection */
            }
        }
    }
    out->seconds = (double)(now_ns() - t0) / 1e9;
    for (unsigned i = 0; i < cfg->conns; i++) {
        conn_close(&r, &r.conns[i]);
        free(r.conns[i].buf);
    }
    free(r.conns);
    close(r.ep);
    return true;
}

void lg_result_free(struct lg_result *r)
{
    free(r->lat_us);
    memset(r, 0, sizeof *r);
}

char *lg_fetch(const char *sock, const char *method, const char *path, const char *json)
{
    struct lg_request req;
    if (!lg_format(&req, method, path, json, true)) {
        return NULL;
    }
    int fd = connect_unix(sock, false);
    if (fd < 0) {
        free(req.data);
        return NULL;
    }
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    bool ok = send(fd, req.data, req.len, MSG_NOSIGNAL) == (ssize_t)req.len;
    free(req.data);
    size_t len = 0, cap = 65536;
    char *buf = malloc(cap);
    while (ok && buf != NULL) {
        if (cap - len < 4096) {
            char *p = cap < LG_MAX_RESPONSE ? realloc(buf, cap * 2) : NULL;
            if (p == NULL) {
                ok = false;
                break;
            }
            buf = p;
            cap *= 2;
        }
        ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        len += (size_t)n;
    }
    close(fd);
    char *body = NULL;
    if (ok && buf != NULL) {
        buf[len] = '\0';
        char *sep = memmem(buf, len, "\r\n\r\n", 4);
        if (sep != NULL && strncmp(buf, "HTTP/1.1 200", 12) == 0) {
            body = strdup(sep + 4);
        }
    }
    free(buf);
    return body;
}
