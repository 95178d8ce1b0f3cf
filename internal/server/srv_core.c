/* One listener: our acceptor thread (limit, refusal, deadlines) in front of a libmicrohttpd
 * daemon started without a listening socket of its own (srv.h). */
#include "srv.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "srv_guard.h"
#include "util/error.h"

#define SRV_SWEEP_MS 200    /* how often late requests are looked for */
#define SRV_REPORT_MS 10000 /* at most one line of each kind per listener this often */
#define SRV_BACKOFF_MS 100  /* no accepting for this long after EMFILE/ENFILE */
#define SRV_RATE_GRACE_MS 2000
#define SRV_MHD_LINES 10 /* libmicrohttpd's own messages per report period */
#define SRV_ACCEPT_BATCH 64
#define SRV_HANDSHAKE_SETTLE_MS 50 /* at shutdown, for handshakes under way to complete */

enum conn_phase {
    PHASE_WAIT,    /* ready for a request: idle, or its request line on its way */
    PHASE_HEADERS, /* request line in, headers on their way */
    PHASE_BODY,    /* headers in; the body (if any) on its way */
    PHASE_HANDLER, /* the application works on it: never cut */
    PHASE_ANSWER,  /* answer queued: the client must take it */
};

struct srv_conn {
    struct srv_conn *prev, *next; /* l->conns, under l->lock */
    int fd;
    bool cut;          /* shut down by the sweep (under l->lock) */
    bool in_request;   /* the fields below belong to the connection's thread */
    bool headers_done; /* the access handler was called for this request */
    bool refused;      /* srv_guard_check refused it */
    bool streams;      /* srv_connection_streams: the answer is a long stream, never cut */
    atomic_int phase;
    atomic_llong since_ms;      /* WAIT: ready for a request; HEADERS, BODY: request line in;
                                 * ANSWER: answer queued */
    atomic_llong body_since_ms; /* end of headers */
    atomic_ullong body_bytes;
};

struct srv_listener {
    struct srv_listener_config cfg;
    char name[256];
    struct MHD_Daemon *mhd;
    int wake; /* eventfd: wakes the acceptor */
    pthread_t acceptor;
    bool acceptor_started;
    atomic_bool closing;  /* srv_stop began */
    atomic_bool drained;  /* the acceptor took the last backlog and stopped accepting */
    atomic_bool exiting;  /* the acceptor must return */
    atomic_uint open;     /* accepted and not closed */
    atomic_uint requests; /* request line seen, not completed */
    pthread_mutex_t lock;
    struct srv_conn *conns;
    /* report counters (acceptor thread only, except mhd_lines) */
    long long report_ms;
    unsigned long refused, starved, cut_late, cut_slow;
    atomic_uint mhd_lines;
    bool last_batch_full; /* accept_batch stopped at SRV_ACCEPT_BATCH (acceptor thread) */
    char busy[256];       /* the 503 written to refused connections */
    size_t busy_len;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 3, 4))) static void
srv_log(const struct srv_listener *l, enum srv_log_level level, const char *fmt, ...)
{
    if (l->cfg.log == NULL) {
        return;
    }
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    l->cfg.log(level, msg);
}

static struct srv_conn *conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci != NULL ? ci->socket_context : NULL;
}

/* ---- libmicrohttpd callbacks ----------------------------------------------------------------- */

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct srv_listener *l = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        struct srv_conn *c = calloc(1, sizeof *c);
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (c != NULL) { /* without it the connection is served, only never cut */
            c->fd = ci != NULL ? ci->connect_fd : -1;
            atomic_init(&c->phase, PHASE_WAIT);
            atomic_init(&c->since_ms, now_ms());
            atomic_init(&c->body_since_ms, 0);
            atomic_init(&c->body_bytes, 0);
            pthread_mutex_lock(&l->lock);
            c->next = l->conns;
            if (l->conns != NULL) {
                l->conns->prev = c;
            }
            l->conns = c;
            pthread_mutex_unlock(&l->lock);
        }
        *socket_context = c;
        return;
    }
    struct srv_conn *c = *socket_context;
    if (c != NULL) {
        pthread_mutex_lock(&l->lock); /* libmicrohttpd closes the fd after this returns */
        if (c->prev != NULL) {
            c->prev->next = c->next;
        } else {
            l->conns = c->next;
        }
        if (c->next != NULL) {
            c->next->prev = c->prev;
        }
        pthread_mutex_unlock(&l->lock);
        if (c->in_request) { /* closed without a completion notice */
            atomic_fetch_sub(&l->requests, 1);
        }
        free(c);
    }
    *socket_context = NULL;
    atomic_fetch_sub(&l->open, 1);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct srv_listener *l = cls;
    struct srv_conn *c = conn_of(conn);
    if (c != NULL && !c->in_request) {
        c->in_request = true;
        atomic_fetch_add(&l->requests, 1);
        atomic_store(&c->since_ms, now_ms()); /* the request's clock starts here */
        atomic_store(&c->phase, PHASE_HEADERS);
    }
    return l->cfg.handler.on_uri != NULL ? l->cfg.handler.on_uri(l->cfg.handler.cls, uri, conn)
                                         : NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct srv_listener *l = cls;
    const struct srv_handler *h = &l->cfg.handler;
    struct srv_conn *c = conn_of(conn);
    if (c == NULL) {
        return h->on_request(h->cls, conn, url, method, version, upload_data, upload_data_size,
                             con_cls);
    }
    if (!c->headers_done) {
        c->headers_done = true;
        atomic_store(&c->body_since_ms, now_ms());
        atomic_store(&c->body_bytes, 0);
        atomic_store(&c->phase, PHASE_BODY);
        unsigned status = srv_guard_check(&l->cfg.guard, conn, method);
        if (status != 0) {
            c->refused = true;
            return h->refuse(h->cls, conn, con_cls, status, err_text());
        }
        return h->on_request(h->cls, conn, url, method, version, upload_data, upload_data_size,
                             con_cls);
    }
    if (c->refused) { /* the rest of a refused request's body is dropped */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        atomic_fetch_add(&c->body_bytes, *upload_data_size);
        return h->on_request(h->cls, conn, url, method, version, upload_data, upload_data_size,
                             con_cls);
    }
    atomic_store(&c->phase, PHASE_HANDLER);
    enum MHD_Result r =
        h->on_request(h->cls, conn, url, method, version, upload_data, upload_data_size, con_cls);
    atomic_store(&c->since_ms, now_ms());
    /* A stream stays in the handler's phase, which the sweep never cuts. */
    atomic_store(&c->phase, c->streams ? PHASE_HANDLER : PHASE_ANSWER);
    return r;
}

void srv_connection_streams(struct MHD_Connection *conn)
{
    struct srv_conn *c = conn_of(conn);
    if (c != NULL) {
        c->streams = true;
    }
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct srv_listener *l = cls;
    if (l->cfg.handler.on_completed != NULL) {
        l->cfg.handler.on_completed(l->cfg.handler.cls, conn, con_cls, toe);
    }
    struct srv_conn *c = conn_of(conn);
    if (c == NULL) {
        return;
    }
    if (c->in_request) {
        c->in_request = false;
        atomic_fetch_sub(&l->requests, 1);
    }
    c->headers_done = false;
    c->refused = false;
    c->streams = false;
    atomic_store(&c->since_ms, now_ms()); /* ready for the next request (keep-alive) */
    atomic_store(&c->phase, PHASE_WAIT);
}

/* libmicrohttpd's own messages, at debug level and at most SRV_MHD_LINES per report period:
 * under attack it would otherwise write one per connection. */
__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct srv_listener *l = cls;
    if (atomic_fetch_add(&l->mhd_lines, 1) >= SRV_MHD_LINES) {
        return;
    }
    char msg[400];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    srv_log(l, SRV_LOG_DEBUG, "%s: http: %s", l->name, msg);
}

/* ---- the acceptor ---------------------------------------------------------------------------- */

/* At the limit: a fixed answer written without waiting, then close. Costs one accept, one send
 * and one close; libmicrohttpd never sees the connection. */
static void refuse_connection(struct srv_listener *l, int fd)
{
    (void)send(fd, l->busy, l->busy_len, MSG_DONTWAIT | MSG_NOSIGNAL);
    close(fd);
    l->refused++;
}

#define SRV_BUSY_BODY                                                                              \
    "{\"error\":\"server busy: too many connections on this socket, retry later\"}"

static void build_busy(struct srv_listener *l)
{
    int n = snprintf(l->busy, sizeof l->busy,
                     "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nRetry-After: 1\r\nConnection: close\r\n\r\n%s",
                     strlen(SRV_BUSY_BODY), SRV_BUSY_BODY);
    l->busy_len = n > 0 && (size_t)n < sizeof l->busy ? (size_t)n : 0;
}

/* Accepts what is waiting, at most SRV_ACCEPT_BATCH (l->last_batch_full tells whether more may
 * wait). Returns false when out of descriptors. */
static bool accept_batch(struct srv_listener *l, int lfd)
{
    l->last_batch_full = false;
    for (int i = 0; i < SRV_ACCEPT_BATCH; i++) {
        struct sockaddr_storage sa;
        socklen_t len = sizeof sa;
        int fd = accept4(lfd, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                l->starved++;
                return false;
            }
            return true; /* EAGAIN: nothing left */
        }
        if (atomic_load(&l->open) >= l->cfg.limits.max_connections) {
            refuse_connection(l, fd);
            continue;
        }
        atomic_fetch_add(&l->open, 1);
        /* libmicrohttpd owns fd from here and closes it on failure (microhttpd.h). */
        if (MHD_add_connection(l->mhd, fd, (struct sockaddr *)&sa, len) != MHD_YES) {
            atomic_fetch_sub(&l->open, 1);
        }
    }
    l->last_batch_full = true;
    return true;
}

/* Whether a connection's request is past its deadline (1) or below the minimum rate (2). */
static int conn_late(const struct srv_limits *lim, struct srv_conn *c, long long now)
{
    int phase = atomic_load(&c->phase);
    if (phase == PHASE_HANDLER) {
        return 0;
    }
    /* Before its request line a connection may idle as long as the idle timeout allows, but a
     * trickle of bytes no longer renews that time, as it renews libmicrohttpd's. */
    unsigned limit_s = phase == PHASE_WAIT ? lim->idle_timeout_s : lim->request_timeout_s;
    long long since = atomic_load(&c->since_ms);
    if (limit_s > 0 && now - since > (long long)limit_s * 1000) {
        return 1;
    }
    if (phase == PHASE_BODY && lim->min_rate > 0) {
        long long t = now - atomic_load(&c->body_since_ms);
        unsigned long long got = atomic_load(&c->body_bytes);
        if (t >= SRV_RATE_GRACE_MS &&
            got * 1000 < (unsigned long long)lim->min_rate * (unsigned long long)t) {
            return 2;
        }
    }
    return 0;
}

/* Shutting the socket down wakes the thread that serves it, which then sees end-of-file and
 * closes the connection the normal way; the fd stays libmicrohttpd's to close. */
static void sweep(struct srv_listener *l, long long now)
{
    pthread_mutex_lock(&l->lock);
    for (struct srv_conn *c = l->conns; c != NULL; c = c->next) {
        if (c->cut || c->fd < 0) {
            continue;
        }
        int why = conn_late(&l->cfg.limits, c, now);
        if (why != 0) {
            c->cut = true;
            (void)shutdown(c->fd, SHUT_RDWR);
            if (why == 1) {
                l->cut_late++;
            } else {
                l->cut_slow++;
            }
        }
    }
    pthread_mutex_unlock(&l->lock);
}

/* At most one line per kind and period, with the counts since the last one: the first event
 * after a quiet period is told at once, a flood of them once per SRV_REPORT_MS. */
static void report(struct srv_listener *l, long long now)
{
    bool pending = l->refused > 0 || l->starved > 0 || l->cut_late > 0 || l->cut_slow > 0 ||
                   atomic_load(&l->mhd_lines) > SRV_MHD_LINES;
    if (!pending || now - l->report_ms < SRV_REPORT_MS) {
        if (!pending && now - l->report_ms >= SRV_REPORT_MS) {
            atomic_store(&l->mhd_lines, 0); /* a quiet period: libmicrohttpd may speak again */
        }
        return;
    }
    if (l->refused > 0) {
        srv_log(l, SRV_LOG_WARN,
                "%s: %lu connections refused (503): all %u connection slots in use", l->name,
                l->refused, l->cfg.limits.max_connections);
    }
    if (l->starved > 0) {
        srv_log(l, SRV_LOG_WARN,
                "%s: out of file descriptors %lu times; accepting paused %d ms each time", l->name,
                l->starved, SRV_BACKOFF_MS);
    }
    if (l->cut_late > 0 || l->cut_slow > 0) {
        srv_log(l, SRV_LOG_INFO,
                "%s: closed %lu connections past their deadline (idle %u s before a request "
                "line, %u s for headers and body) and %lu below %u body bytes/s",
                l->name, l->cut_late, l->cfg.limits.idle_timeout_s, l->cfg.limits.request_timeout_s,
                l->cut_slow, l->cfg.limits.min_rate);
    }
    unsigned lines = atomic_exchange(&l->mhd_lines, 0);
    if (lines > SRV_MHD_LINES) {
        srv_log(l, SRV_LOG_DEBUG, "%s: %u more http messages not shown", l->name,
                lines - SRV_MHD_LINES);
    }
    l->refused = l->starved = l->cut_late = l->cut_slow = 0;
    l->report_ms = now;
}

/* At shutdown: what the kernel completed is served, then the socket closes, so that new clients
 * are refused, not left in a backlog nobody takes. Closing resets every connection still queued,
 * so new ones are first stopped (srv_listen_stop_new: refused on Unix; on TCP a dropped SYN is
 * retried after a second and meets the closed port) and TCP handshakes under way get
 * SRV_HANDSHAKE_SETTLE_MS to be accepted. A socket-activated socket is left as it is: systemd
 * keeps it, with its queue, for the next instance, which a stop here would blind. */
static void take_last_connections(struct srv_listener *l)
{
    bool pending = false;
    bool stopped = !l->cfg.shared && srv_listen_stop_new(l->cfg.fd, &pending);
    long long until = now_ms() + (stopped && pending ? SRV_HANDSHAKE_SETTLE_MS : 0);
    for (;;) {
        bool more = true;
        while (more) {
            if (!accept_batch(l, l->cfg.fd)) {
                return; /* out of descriptors: what is left cannot be taken */
            }
            more = l->last_batch_full;
        }
        long long left = until - now_ms();
        struct pollfd p = {.fd = l->cfg.fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            return;
        }
    }
}

static void *acceptor_main(void *arg)
{
    struct srv_listener *l = arg;
    long long paused_until = 0, last_sweep = 0;
    bool accepting = true;
    while (!atomic_load(&l->exiting)) {
        long long now = now_ms();
        if (accepting && atomic_load(&l->closing)) {
            take_last_connections(l);
            close(l->cfg.fd);
            l->cfg.fd = -1;
            accepting = false;
            atomic_store(&l->drained, true);
        }
        struct pollfd p[2] = {
            {.fd = l->wake, .events = POLLIN},
            {.fd = accepting && now >= paused_until ? l->cfg.fd : -1, .events = POLLIN}};
        int timeout = SRV_SWEEP_MS;
        if (accepting && now < paused_until) {
            timeout = (int)(paused_until - now);
        }
        if (poll(p, 2, timeout) > 0 && (p[0].revents & POLLIN)) {
            uint64_t v;
            (void)read(l->wake, &v, sizeof v);
        }
        if (accepting && (p[1].revents & POLLIN) && !atomic_load(&l->closing) &&
            !accept_batch(l, l->cfg.fd)) {
            paused_until = now_ms() + SRV_BACKOFF_MS; /* never a busy loop on EMFILE */
        }
        now = now_ms();
        if (now - last_sweep >= SRV_SWEEP_MS) {
            sweep(l, now);
            last_sweep = now;
        }
        report(l, now);
    }
    return NULL;
}

static void wake(struct srv_listener *l)
{
    uint64_t one = 1;
    (void)write(l->wake, &one, sizeof one);
}

/* ---- lifecycle ------------------------------------------------------------------------------- */

static struct MHD_Daemon *start_mhd(struct srv_listener *l)
{
    const struct srv_listener_config *cfg = &l->cfg;
    unsigned flags = MHD_USE_NO_LISTEN_SOCKET | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    /* Thread per connection: a handler blocked on a device holds only its own connection.
     * A pool polls with poll(), not epoll: with libmicrohttpd 0.9.75's epoll, connections given
     * by MHD_add_connection stopped being read under load (a burst of 256 keep-alive clients
     * after 64: every request unread in its socket while the workers slept in epoll_wait; with
     * one worker, every time; with or without MHD_USE_TURBO). poll() never lost one, at the
     * same throughput (docs/performance.md, figure 3). */
    flags |= cfg->threads == 0 ? MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL : MHD_USE_POLL;
    /* Our acceptor enforces the limit; libmicrohttpd's only needs room for its uneven split
     * between pool threads. */
    unsigned mhd_limit = cfg->limits.max_connections + 2 * cfg->threads + 8;
    /* The logger first: libmicrohttpd reports options as it reads them ("Zero size, specified
     * for thread pool size, is ignored" for a thread per connection), else on stderr. */
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, l, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, l,
        MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, MHD_OPTION_CONNECTION_TIMEOUT,
        cfg->limits.idle_timeout_s, MHD_OPTION_CONNECTION_LIMIT, mhd_limit,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->connection_memory, MHD_OPTION_URI_LOG_CALLBACK,
        on_uri, l, MHD_OPTION_NOTIFY_COMPLETED, on_completed, l, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, l, MHD_OPTION_END);
}

static void listener_free(struct srv_listener *l)
{
    if (l->acceptor_started) {
        atomic_store(&l->exiting, true);
        wake(l);
        pthread_join(l->acceptor, NULL);
    }
    if (l->mhd != NULL) {
        MHD_stop_daemon(l->mhd); /* closes every connection (on_connection frees its state) */
    }
    if (l->wake >= 0) {
        close(l->wake);
    }
    if (l->cfg.fd >= 0) {
        close(l->cfg.fd);
    }
    pthread_mutex_destroy(&l->lock);
    free(l);
}

dstack_err srv_listener_start(const struct srv_listener_config *cfg, struct srv_listener **out)
{
    *out = NULL;
    struct srv_listener *l = calloc(1, sizeof *l);
    if (l == NULL || pthread_mutex_init(&l->lock, NULL) != 0) {
        free(l);
        close(cfg->fd);
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    l->cfg = *cfg;
    snprintf(l->name, sizeof l->name, "%s", cfg->name != NULL ? cfg->name : "listener");
    l->cfg.name = l->name;
    l->report_ms = now_ms() - SRV_REPORT_MS; /* the first event is told at once */
    build_busy(l);
    l->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int fl = fcntl(cfg->fd, F_GETFL);
    if (l->wake < 0 || fl < 0 || fcntl(cfg->fd, F_SETFL, fl | O_NONBLOCK) != 0) {
        (void)err_set(DSTACK_EIO, "%s: %s", l->name, strerror(errno));
        listener_free(l);
        return DSTACK_EIO;
    }
    l->mhd = start_mhd(l);
    if (l->mhd == NULL) {
        (void)err_set(DSTACK_EIO, "cannot start the HTTP server on %s", l->name);
        listener_free(l);
        return DSTACK_EIO;
    }
    /* The handle is the caller's before the first connection is accepted: its handlers may
     * read it (srv_listener_closing) from the first request on. */
    *out = l;
    if (pthread_create(&l->acceptor, NULL, acceptor_main, l) != 0) {
        *out = NULL;
        (void)err_set(DSTACK_EIO, "cannot start the acceptor of %s", l->name);
        listener_free(l);
        return DSTACK_EIO;
    }
    l->acceptor_started = true;
    return DSTACK_OK;
}

bool srv_listener_closing(const struct srv_listener *l)
{
    return atomic_load(&l->closing);
}

unsigned srv_listener_open_connections(const struct srv_listener *l)
{
    return atomic_load(&l->open);
}

unsigned srv_stop(struct srv_listener **ls, size_t n, unsigned grace_ms, unsigned idle_wait_ms)
{
    for (size_t i = 0; i < n; i++) {
        if (ls[i] != NULL) {
            atomic_store(&ls[i]->closing, true);
            wake(ls[i]);
        }
    }
    unsigned left = 0;
    struct timespec step = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
    for (unsigned waited = 0;; waited += 10) {
        unsigned requests = 0, idle = 0;
        bool drained = true;
        for (size_t i = 0; i < n; i++) {
            if (ls[i] != NULL) {
                unsigned r = atomic_load(&ls[i]->requests);
                unsigned o = atomic_load(&ls[i]->open);
                requests += r;
                idle += o > r ? o - r : 0;
                drained &= atomic_load(&ls[i]->drained);
            }
        }
        left = requests;
        bool waiting = !drained || requests > 0 || (idle > 0 && waited < idle_wait_ms);
        if (!waiting || waited >= grace_ms) {
            break;
        }
        nanosleep(&step, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        if (ls[i] != NULL) {
            listener_free(ls[i]);
            ls[i] = NULL;
        }
    }
    return left;
}
