/* The daemons' HTTP server core (internal, never installed): one listener = one listening socket
 * (unix, tcp, vsock or socket-activated: any fd in the listening state), one libmicrohttpd daemon
 * and one acceptor thread of our own. The acceptor is what makes the limits hold:
 *   - it accepts, and past the listener's share of the fd budget answers 503 and closes at once
 *     (no busy loop, one rate-limited log line), so one socket's clients never take another
 *     socket's share and EMFILE never reaches libmicrohttpd;
 *   - every 200 ms it cuts connections whose request is late: a whole-request deadline and a
 *     minimum body rate (docs/security.md, "Slow clients");
 *   - it stops accepting at shutdown and hands the kernel's backlog to the workers first.
 * Before the application's handler runs, the core refuses requests HTTP/1.1 forbids (two
 * Content-Lengths, Transfer-Encoding with Content-Length) and, on TCP listeners, requests a web
 * page could send (a foreign Host, cross-site fetch metadata, POST bodies not typed JSON).
 * Used by dstack-guest-agent, dstack-simulator and dstack-quote-sidecar. */
#ifndef DSTACK_INTERNAL_SRV_H
#define DSTACK_INTERNAL_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include <dstack/common.h>

/* Defaults of the two slow-client limits (docs/security.md). */
#define SRV_DEFAULT_REQUEST_TIMEOUT_S 30u
#define SRV_DEFAULT_MIN_RATE 4096u /* body bytes per second, averaged from the end of headers */
/* No listener serves more connections than this, whatever the fd budget. */
#define SRV_MAX_CONNECTIONS 4096u
#define SRV_MAX_ALLOWED_HOSTS 8

enum srv_log_level { SRV_LOG_ERROR, SRV_LOG_WARN, SRV_LOG_INFO, SRV_LOG_DEBUG };
typedef void (*srv_log_fn)(enum srv_log_level level, const char *msg);

struct srv_limits {
    unsigned max_connections;   /* open connections at once; beyond, 503 and close */
    unsigned idle_timeout_s;    /* libmicrohttpd's: no byte moved for this long; also how long a
                                 * connection may take to send a request line, counted from when
                                 * it is ready for one (accepted, or its last answer sent) */
    unsigned request_timeout_s; /* headers and body complete within this of the request line;
                                 * an answer, once queued, must be taken within it too. 0 = none */
    unsigned min_rate;          /* bytes/s a body must average (checked from 2 s on); 0 = none */
};

/* Checks against web pages on TCP listeners (cross-site requests, DNS rebinding). */
struct srv_web_guard {
    bool enabled;
    uint16_t port; /* the listener's port: a Host naming another port is refused */
    size_t n_allowed_hosts;
    char allowed_hosts[SRV_MAX_ALLOWED_HOSTS][256]; /* names allowed besides IP literals */
};

/* The application's side. on_request is libmicrohttpd's access handler, called only for
 * requests the core let through; *con_cls starts as on_uri's result (NULL without on_uri).
 * refuse queues the application's error answer for a request the core refused. */
struct srv_handler {
    void *cls;
    MHD_AccessHandlerCallback on_request;
    MHD_RequestCompletedCallback on_completed;                                /* optional */
    void *(*on_uri)(void *cls, const char *uri, struct MHD_Connection *conn); /* optional */
    enum MHD_Result (*refuse)(void *cls, struct MHD_Connection *conn, void **con_cls,
                              unsigned status, const char *msg);
};

struct srv_listener_config {
    const char *name;         /* for the log: the address */
    int fd;                   /* a listening socket; the listener owns it from now on */
    bool shared;              /* another process holds it too (socket activation): at shutdown
                               * it is closed but not changed, the next instance takes it over */
    unsigned threads;         /* worker threads; 0 = one thread per connection */
    size_t connection_memory; /* libmicrohttpd's per-connection pool */
    struct srv_limits limits;
    struct srv_web_guard guard;
    struct srv_handler handler;
    srv_log_fn log;
};

struct srv_listener;

/* Starts serving cfg->fd. On failure the fd is closed, *out is NULL and err_text() says why. */
dstack_err srv_listener_start(const struct srv_listener_config *cfg, struct srv_listener **out);

/* True once srv_stop began: answers should then carry Connection: close. */
bool srv_listener_closing(const struct srv_listener *l);

/* Called from the access handler that queues a long answer paced by the application (a log
 * follow): the request deadline then no longer applies to this request's answer; the
 * application ends the stream itself (idle rule, client gone, srv_listener_closing). */
void srv_connection_streams(struct MHD_Connection *conn);

/* Connections open now (for tests and the log). */
unsigned srv_listener_open_connections(const struct srv_listener *l);

/* Graceful stop of n listeners: no more accepting (the backlog is served first), then waits up
 * to grace_ms for requests in flight and up to idle_wait_ms (<= grace_ms) for connections that
 * have not sent a request yet; then stops everything, closes the fds and frees the listeners.
 * Returns the number of requests still in flight at the end. */
unsigned srv_stop(struct srv_listener **ls, size_t n, unsigned grace_ms, unsigned idle_wait_ms);

/* ---- fd budget (srv_budget.c) ---------------------------------------------------------------- */

/* Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit in force. */
unsigned long srv_fd_raise_limit(void);

/* Descriptors open in this process now. */
unsigned long srv_fd_open_count(void);

/* Each of n listeners' share of the descriptors left after `reserve`, at most
 * SRV_MAX_CONNECTIONS; 0 when fewer than 8 would be left per listener. */
unsigned srv_fd_share(unsigned long limit, unsigned long reserve, size_t n);

/* ---- listening sockets (srv_listen.c) -------------------------------------------------------- */

enum srv_socket_kind { SRV_SOCKET_UNIX, SRV_SOCKET_TCP, SRV_SOCKET_VSOCK };

/* "unix:/path" or a path starting with '/' or '.'; "vsock:CID:PORT"; else "host:port" or
 * "[v6]:port". reuse (unix only, Rocket's `reuse`): replace a stale socket file; false: fail
 * when any file is at the path. Returns the listening fd, or -1 with the reason in err_text(). */
int srv_listen_open(const char *address, unsigned mode, bool reuse, enum srv_socket_kind *kind);

/* A TCP listener on host (name or literal; NULL = any) and port (0 = a free one). */
int srv_listen_tcp(const char *host, uint16_t port);

/* The filesystem path of a unix address, or NULL for TCP. */
const char *srv_listen_unix_path(const char *address);

/* The local port of a TCP socket, 0 for other kinds. */
uint16_t srv_socket_port(int fd);

/* Stops new connections from joining a listening socket's queue; those queued stay to be
 * accepted. A Unix socket refuses them at once (connect() fails with ECONNREFUSED). On TCP every
 * new connection's first segment (a SYN without ACK) is dropped while handshakes under way
 * complete: *handshakes_pending is then true. Returns false on any other socket, or on failure. */
bool srv_listen_stop_new(int fd, bool *handshakes_pending);

#endif
