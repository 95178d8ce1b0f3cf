/* The agent's listeners (docs/wire.md): each bound (or taken from systemd), given its share of
 * the descriptors and served by a core listener (internal/server); stopped gracefully. What one
 * request does is in server_request.c, how answers are sent in server_answer.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "server_internal.h"
#include "srv.h"
#include "util/error.h"

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
static dstack_err listener_open(struct listener *l, int activated)
{
    char methods[CONFIG_MAX_METHODS * 34];
    methods_text(l->cfg, methods, sizeof methods);
    const char *api = config_api_name(l->cfg->api);
    if (activated >= 0) {
        l->fd = activated;
        l->activated = true;
        l->tcp = srv_socket_port(activated) != 0;
        log_info("listening on socket-activated fd %d (%s API%s%s)", l->fd, api,
                 l->cfg->restricted ? ", restricted to " : "", methods);
        return DSTACK_OK;
    }
    enum srv_socket_kind kind;
    l->fd = srv_listen_open(l->cfg->address, l->cfg->mode, l->cfg->reuse, &kind);
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

static dstack_err listener_serve(struct listener *l, unsigned share)
{
    const struct agent_config *cfg = l->agent->cfg;
    struct srv_listener_config c = {
        .name = l->cfg->address,
        .fd = l->fd,
        .shared = l->activated,
        .threads = pool_threads(cfg, l->cfg->api),
        .connection_memory = SERVER_CONN_POOL,
        .limits = {.max_connections = share,
                   .idle_timeout_s = l->cfg->keep_alive ? l->cfg->keep_alive : cfg->idle_timeout,
                   .request_timeout_s = cfg->request_timeout,
                   .min_rate = cfg->min_rate},
        .guard = {.enabled = l->tcp, .port = l->tcp ? srv_socket_port(l->fd) : 0},
        .handler = {.cls = l,
                    .on_request = server_on_request,
                    .on_completed = server_on_completed,
                    .on_uri = server_on_uri,
                    .refuse = server_on_refuse},
        .log = on_core_log,
    };
    for (size_t i = 0; i < cfg->n_allowed_hosts && i < SRV_MAX_ALLOWED_HOSTS; i++) {
        snprintf(c.guard.allowed_hosts[i], sizeof c.guard.allowed_hosts[i], "%s",
                 cfg->allowed_hosts[i]);
        c.guard.n_allowed_hosts = i + 1;
    }
    l->core_owns_fd = true; /* srv_listener_start closes it on failure */
    return srv_listener_start(&c, &l->srv);
}

dstack_err server_start(struct server *s, struct agent *a, const int *activated, size_t n_activated)
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
            server_stop(s, 0);
            return err_set(DSTACK_ENOMEM, "out of memory");
        }
        if (listener_open(l, i < n_activated ? activated[i] : -1) != DSTACK_OK) {
            if (l->cfg->api == API_GUEST && strncmp(l->cfg->address, "vsock:", 6) == 0) {
                /* No vsock here (not a VM) or the port is taken: the apps' sockets matter
                 * more than the host's view of us. */
                log_error("guest-api: %s; the host cannot reach this agent", err_text());
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
        (void)err_set(DSTACK_EIO,
                      "the file descriptor limit (%lu) leaves too few for %zu listeners (%lu "
                      "reserved); raise LimitNOFILE",
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
        if (listener_serve(&s->listeners[i], share) != DSTACK_OK) {
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
