/* Hostile clients against the real simulator over its Unix socket (issue 10): 1,000 concurrent
 * connections, slow headers and bodies, bodies over the cap, requests cut mid-body, pipelining,
 * malformed HTTP and a GetQuote flood. After each the daemon is still up, answers every
 * well-formed request, and its RSS (/proc/<pid>/status) stays bounded. Every phase is bounded
 * in time and stops by itself. */
#include <curl/curl.h>
#include "json/json.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

#define IDLE_TIMEOUT_S 3 /* --idle-timeout given to the simulator */
#define MAX_BODY 65536   /* --max-body given to the simulator */
#define MANY 1000        /* concurrent connections */
/* Latency bound for Version while GetQuote floods the daemon. Generous on purpose: CI runs on a
 * loaded 2-core machine, sometimes under ASan; what it catches is a daemon that stops serving
 * (head-of-line blocking behind the flood, a stuck pool), not a slow one. */
#define FLOOD_P99_LIMIT_MS 2000.0

static struct sim sim;
/* debug logging: the secret scan at the end then covers every line the daemon can write.
 * Run twice: the simulator's epoll pool, then thread per connection as the real agent serves
 * (-c file with default.thread_per_connection). */
static const char *sim_args[] = {"--idle-timeout", "3",  "--max-body", "65536", "--log-level",
                                 "debug",          NULL, NULL,         NULL};

/* ---- small socket helpers ----------------------------------------------------------------- */

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int uconnect(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(path);
    if (n >= sizeof sa.sun_path) {
        return -1;
    }
    memcpy(sa.sun_path, path, n + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static bool send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Parses complete HTTP/1.1 responses at the start of buf: returns how many are complete and
 * stores their status codes (up to max). Bodies are framed by Content-Length (we always send
 * it). */
static size_t complete_responses(const char *buf, size_t len, int *status, size_t max)
{
    size_t n = 0, off = 0;
    while (off < len) {
        const char *end = memmem(buf + off, len - off, "\r\n\r\n", 4);
        if (end == NULL || strncmp(buf + off, "HTTP/1.", 7) != 0) {
            break;
        }
        size_t head_len = (size_t)(end - (buf + off)) + 4;
        int code = (int)strtol(buf + off + 9, NULL, 10);
        size_t body = 0;
        const char *cl = memmem(buf + off, head_len, "Content-Length: ", 16);
        if (cl != NULL) {
            body = strtoul(cl + 16, NULL, 10);
        }
        if (off + head_len + body > len) {
            break;
        }
        if (n < max) {
            status[n] = code;
        }
        n++;
        off += head_len + body;
    }
    return n;
}

/* Reads until `want` complete responses arrived, the peer closed, or timeout_ms passed. */
static size_t read_responses(int fd, char *buf, size_t cap, size_t *len, size_t want,
                             int timeout_ms, int *status, size_t max, bool *closed)
{
    double deadline = now_ms() + timeout_ms;
    *closed = false;
    size_t got = complete_responses(buf, *len, status, max);
    while (got < want && *len + 1 < cap) {
        int left = (int)(deadline - now_ms());
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, left) <= 0) {
            break;
        }
        ssize_t n = recv(fd, buf + *len, cap - 1 - *len, 0);
        if (n <= 0) {
            *closed = true;
            break;
        }
        *len += (size_t)n;
        buf[*len] = '\0';
        got = complete_responses(buf, *len, status, max);
    }
    return got;
}

/* True when the server closed fd (EOF or reset) within timeout_ms, whatever it sent before. */
static bool closed_by_server(int fd, int timeout_ms)
{
    double deadline = now_ms() + timeout_ms;
    char buf[4096];
    for (;;) {
        int left = (int)(deadline - now_ms());
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, left) <= 0) {
            return false;
        }
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
            return true;
        }
    }
}

static long status_kb(pid_t pid, const char *field);

static long rss_kb(pid_t pid)
{
    return status_kb(pid, "VmRSS:");
}

/* The keys sit in locked memory (lib/util/secret.c): VmLck counts them. mlock is best effort,
 * so only checked where RLIMIT_MEMLOCK leaves room (root, or a generous limit). */
static void check_keys_locked(void)
{
    long lck = status_kb(sim.pid, "VmLck:");
    struct rlimit rl;
    bool room = geteuid() == 0 || (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur >= 1 << 20);
#if defined(__SANITIZE_ADDRESS__)
    /* The sanitizer runtimes turn mlock into a no-op that returns 0 (the daemon under test is
     * built the same way as this test). */
    room = false;
#endif
    printf("  daemon VmLck: %ld kB (keys in locked memory)%s\n", lck,
           room ? "" : " - not checked (small RLIMIT_MEMLOCK, or mlock is a no-op under ASan)");
    if (room) {
        CHECK(lck > 0);
    }
}

static long status_kb(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, field, strlen(field)) == 0) {
            kb = strtol(line + strlen(field), NULL, 10);
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    return kb;
}

static bool daemon_alive(void)
{
    return kill(sim.pid, 0) == 0;
}

/* A well-formed request on a fresh connection is answered 200, quickly. */
static double version_ms(void)
{
    double t0 = now_ms();
    struct http_reply r;
    bool ok = http_post_json(sim.dstack_sock, "/Version", "{}", &r);
    double dt = now_ms() - t0;
    CHECK(ok && r.status == 200 && strstr(r.body, "\"version\"") != NULL);
    http_reply_free(&r);
    return dt;
}

static void still_serving(const char *after)
{
    if (!daemon_alive()) {
        fprintf(stderr, "daemon died after %s\n", after);
    }
    CHECK(daemon_alive());
    struct http_reply r;
    CHECK(http_post_json(sim.dstack_sock, "/GetKey", "{\"path\":\"hostile\"}", &r));
    CHECK(r.status == 200 && strstr(r.body, "\"key\"") != NULL);
    http_reply_free(&r);
    (void)version_ms();
}

static const char version_req[] = "GET /Version HTTP/1.1\r\nHost: dstack\r\n\r\n";

/* ---- 1,000 concurrent connections --------------------------------------------------------- */

static void test_many_connections(void)
{
    static int fds[MANY];
    static char bufs[MANY][1024];
    size_t lens[MANY] = {0};
    double t0 = now_ms();
    for (size_t i = 0; i < MANY; i++) {
        fds[i] = uconnect(sim.dstack_sock);
        CHECK(fds[i] >= 0);
    }
    double t_connect = now_ms() - t0;
    /* All held open (idle): a fresh client is still served. */
    double held_ms = version_ms();
    for (size_t i = 0; i < MANY; i++) {
        CHECK(send_all(fds[i], version_req, sizeof version_req - 1));
    }
    /* Read every answer, multiplexed. */
    size_t done = 0;
    bool finished[MANY] = {false};
    double deadline = now_ms() + 60000;
    static struct pollfd pfd[MANY];
    while (done < MANY && now_ms() < deadline) {
        size_t n = 0;
        size_t idx[MANY];
        for (size_t i = 0; i < MANY; i++) {
            if (!finished[i]) {
                pfd[n] = (struct pollfd){.fd = fds[i], .events = POLLIN};
                idx[n++] = i;
            }
        }
        if (poll(pfd, n, 1000) <= 0) {
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR))) {
                continue;
            }
            size_t i = idx[k];
            ssize_t r = recv(fds[i], bufs[i] + lens[i], sizeof bufs[i] - 1 - lens[i], 0);
            int st[1];
            if (r > 0) {
                lens[i] += (size_t)r;
            }
            if (complete_responses(bufs[i], lens[i], st, 1) == 1 || r <= 0) {
                finished[i] = true;
                done++;
            }
        }
    }
    size_t ok = 0;
    for (size_t i = 0; i < MANY; i++) {
        int st[1] = {0};
        if (complete_responses(bufs[i], lens[i], st, 1) == 1 && st[0] == 200 &&
            strstr(bufs[i], "\"version\"") != NULL) {
            ok++;
        }
        close(fds[i]);
    }
    printf("  %d concurrent connections: connect %.0f ms, %zu/%d answered 200 in %.0f ms; "
           "fresh client while all held: %.1f ms\n",
           MANY, t_connect, ok, MANY, now_ms() - t0, held_ms);
    CHECK(ok == MANY);
    still_serving("1000 connections");
}

/* ---- slow clients: the idle timeout frees them, others are served meanwhile --------------- */

static void slow_clients(const char *what, const char *partial)
{
    enum { SLOW = 64 };
    int fds[SLOW];
    for (size_t i = 0; i < SLOW; i++) {
        fds[i] = uconnect(sim.dstack_sock);
        CHECK(fds[i] >= 0 && send_all(fds[i], partial, strlen(partial)));
    }
    /* Others are served while the slow ones hold their connections. */
    double worst = 0;
    for (int i = 0; i < 20; i++) {
        double dt = version_ms();
        worst = dt > worst ? dt : worst;
    }
    CHECK(worst < 3000.0); /* generous: ASan builds on a loaded 2-core machine */
    /* The idle timeout closes every one of them (MHD checks it once a second or so). */
    size_t freed = 0;
    double t0 = now_ms();
    for (size_t i = 0; i < SLOW; i++) {
        int left = (int)((IDLE_TIMEOUT_S + 5) * 1000 - (now_ms() - t0));
        if (closed_by_server(fds[i], left > 0 ? left : 1)) {
            freed++;
        }
        close(fds[i]);
    }
    printf("  %s: %d stalled clients, others served in <= %.1f ms, %zu freed by the idle "
           "timeout after %.1f s\n",
           what, SLOW, worst, freed, (now_ms() - t0) / 1e3);
    CHECK(freed == SLOW);
    still_serving(what);
}

static void test_slow_headers(void)
{
    slow_clients("slow headers", "POST /GetKey HTTP/1.1\r\nHost: dstack\r\nContent-Ty");
}

static void test_slow_body(void)
{
    slow_clients("slow body", "POST /GetKey HTTP/1.1\r\nHost: dstack\r\nContent-Type: "
                              "application/json\r\nContent-Length: 100\r\n\r\n{\"path\":");
}

/* ---- bodies over the cap ------------------------------------------------------------------ */

static void exchange(const char *req, size_t len, int *status, bool *closed)
{
    int fd = uconnect(sim.dstack_sock);
    CHECK(fd >= 0);
    (void)send_all(fd, req, len); /* the server may close before taking it all */
    static char buf[65536];
    size_t got = 0;
    *status = 0;
    (void)read_responses(fd, buf, sizeof buf, &got, 1, 10000, status, 1, closed);
    close(fd);
}

static char *getkey_request(size_t body_len, bool chunked)
{
    /* {"path":"x"} padded with spaces to exactly body_len bytes */
    char *body = malloc(body_len + 1);
    memset(body, ' ', body_len);
    memcpy(body, "{\"path\":\"x\"}", 12);
    body[body_len] = '\0';
    char *req = malloc(body_len + 512);
    size_t n;
    if (chunked) { /* one chunk: no Content-Length for the early check to see */
        n = (size_t)snprintf(req, 512,
                             "POST /GetKey HTTP/1.1\r\nHost: d\r\nContent-Type: application/json"
                             "\r\nTransfer-Encoding: chunked\r\n\r\n%zx\r\n",
                             body_len);
        memcpy(req + n, body, body_len);
        memcpy(req + n + body_len, "\r\n0\r\n\r\n", 8);
    } else {
        n = (size_t)snprintf(req, 512,
                             "POST /GetKey HTTP/1.1\r\nHost: d\r\nContent-Type: application/json"
                             "\r\nContent-Length: %zu\r\n\r\n",
                             body_len);
        memcpy(req + n, body, body_len + 1);
    }
    free(body);
    return req;
}

static void test_body_cap(void)
{
    static const struct {
        size_t len;
        bool chunked;
        int want;
    } cases[] = {
        {MAX_BODY, false, 200},     /* exactly the cap: served */
        {MAX_BODY + 1, false, 400}, /* one over: read, dropped, refused */
        {MAX_BODY, true, 200},
        {MAX_BODY + 1, true, 400}, /* no Content-Length: refused while reading */
        {4 * MAX_BODY, true, 400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *req = getkey_request(cases[i].len, cases[i].chunked);
        size_t len = strlen(req);
        if (cases[i].chunked) {
            len = strstr(req, "\r\n0\r\n\r\n") - req + 7;
        }
        int status;
        bool closed;
        exchange(req, len, &status, &closed);
        if (status != cases[i].want) {
            fprintf(stderr, "body cap case %zu (%zu bytes%s): status %d\n", i, cases[i].len,
                    cases[i].chunked ? ", chunked" : "", status);
        }
        CHECK(status == cases[i].want);
        free(req);
    }
    /* Over twice the cap, the body is not waited for: refused from its Content-Length. */
    char twice[256];
    snprintf(twice, sizeof twice,
             "POST /GetKey HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
             "Content-Length: %d\r\n\r\n",
             2 * MAX_BODY + 1);
    int twice_status;
    bool twice_closed;
    exchange(twice, strlen(twice), &twice_status, &twice_closed);
    CHECK(twice_status == 400);
    /* A Content-Length far over the cap is refused before any body byte is sent. */
    const char *huge = "POST /GetKey HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
                       "Content-Length: 18446744073709551615\r\n\r\n";
    int status;
    bool closed;
    exchange(huge, strlen(huge), &status, &closed);
    CHECK(status == 400);
    /* The error text is upstream's. */
    struct http_reply r;
    char *big = malloc(MAX_BODY + 2);
    memset(big, ' ', MAX_BODY + 1);
    big[MAX_BODY + 1] = '\0';
    /* Sent whole by a client that does not wait for 100-continue: the daemon reads and drops
     * it before answering, so the answer always arrives (an early answer and close raced the
     * client's send into a connection reset under load). */
    for (int i = 0; i < 20; i++) {
        CHECK(http_post_json(sim.dstack_sock, "/GetKey", big, &r));
        CHECK(r.status == 400 && strstr(r.body, "payload too large") != NULL);
        http_reply_free(&r);
    }
    free(big);
    printf("  body cap %d: exact cap served, over it refused (Content-Length, chunked, 2^64-1)\n",
           MAX_BODY);
    still_serving("bodies over the cap");
}

/* ---- requests cut mid-body ---------------------------------------------------------------- */

static void test_cut_mid_body(void)
{
    const char *head = "POST /GetKey HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
                       "Content-Length: 1000\r\n\r\n{\"path\":\"cut";
    for (int i = 0; i < 300; i++) {
        int fd = uconnect(sim.dstack_sock);
        CHECK(fd >= 0 && send_all(fd, head, strlen(head)));
        if (i % 2) { /* half of them with a reset instead of a clean close */
            struct linger lg = {1, 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(fd);
    }
    printf("  300 requests cut mid-body (close and reset)\n");
    still_serving("requests cut mid-body");
}

/* ---- pipelining ----------------------------------------------------------------------------- */

static void test_pipelined(void)
{
    const char *reqs = "GET /Version HTTP/1.1\r\nHost: d\r\n\r\n"
                       "POST /GetKey HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
                       "Content-Length: 15\r\n\r\n{\"path\":\"pipe\"}"
                       "POST /Nope HTTP/1.1\r\nHost: d\r\nContent-Length: 2\r\n\r\n{}"
                       "GET /Info HTTP/1.1\r\nHost: d\r\n\r\n";
    int fd = uconnect(sim.dstack_sock);
    CHECK(fd >= 0 && send_all(fd, reqs, strlen(reqs)));
    static char buf[1 << 17];
    size_t len = 0;
    int st[4] = {0};
    bool closed;
    size_t n = read_responses(fd, buf, sizeof buf, &len, 4, 10000, st, 4, &closed);
    close(fd);
    CHECK(n == 4);
    CHECK(st[0] == 200 && st[1] == 200 && st[2] == 400 && st[3] == 200);
    CHECK(strstr(buf, "Service not found: Nope") != NULL);
    printf("  4 pipelined requests on one connection answered in order\n");
    still_serving("pipelined requests");
}

/* ---- malformed HTTP ----------------------------------------------------------------------- */

static void test_malformed(void)
{
    static char long_header[20000];
    snprintf(long_header, sizeof long_header, "GET /Version HTTP/1.1\r\nX-Long: ");
    size_t lh = strlen(long_header);
    memset(long_header + lh, 'a', sizeof long_header - lh - 5);
    memcpy(long_header + sizeof long_header - 5, "\r\n\r\n", 5);
    static char many_headers[70000];
    size_t mh = (size_t)snprintf(many_headers, sizeof many_headers, "GET /Version HTTP/1.1\r\n");
    while (mh + 20 < sizeof many_headers - 5) {
        mh += (size_t)snprintf(many_headers + mh, sizeof many_headers - mh, "X-%05zu: v\r\n", mh);
    }
    memcpy(many_headers + mh, "\r\n", 3);

    static const char *const cases[] = {
        "GARBAGE\r\n\r\n",
        "\r\n\r\n\r\n",
        "GET\r\n\r\n",
        "GET /Version\r\n\r\n",
        "GET /Version HTTP/9.9\r\nHost: d\r\n\r\n",
        "GET /Version HTTP/1.1\r\nNoColonHere\r\n\r\n",
        "GET /Version HTTP/1.1\r\nHost: d\r\n\x01\x02\x03: x\r\n\r\n",
        "POST /GetKey HTTP/1.1\r\nHost: d\r\nContent-Length: abc\r\n\r\n{}",
        "POST /GetKey HTTP/1.1\r\nHost: d\r\nContent-Length: -5\r\n\r\n{}",
        "POST /GetKey HTTP/1.1\r\nHost: d\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        "POST /GetKey HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: "
        "chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        "POST /GetKey HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n"
        "fffffffffffffffffff\r\n",
        "POST /GetKey HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: gzip\r\n\r\n{}",
        "GET /%00Version HTTP/1.1\r\nHost: d\r\n\r\n",
        "GET /%zz HTTP/1.1\r\nHost: d\r\n\r\n",
        "GET /GetKey?path=%ff%fe HTTP/1.1\r\nHost: d\r\n\r\n",
        "GET /GetKey?path[=1&path]=2&[]=3 HTTP/1.1\r\nHost: d\r\n\r\n",
        "GET /GetTlsKey?alt_names[99999999999999999999]=a HTTP/1.1\r\nHost: d\r\n\r\n",
        "GET /GetKey?path=a&path=b HTTP/1.1\r\nHost: d\r\n\r\n",
        "DELETE /Version HTTP/1.1\r\nHost: d\r\n\r\n",
        "CONNECT d:80 HTTP/1.1\r\nHost: d\r\n\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "GET http://evil.example/Version HTTP/1.1\r\nHost: d\r\n\r\n",
        "GET ../../etc/passwd HTTP/1.1\r\nHost: d\r\n\r\n",
        long_header,
        many_headers,
    };
    size_t answered = 0, dropped = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int fd = uconnect(sim.dstack_sock);
        CHECK(fd >= 0);
        (void)send_all(fd, cases[i], strlen(cases[i]));
        shutdown(fd, SHUT_WR); /* no more bytes: the parser sees the end of input */
        static char buf[65536];
        size_t len = 0;
        int st[1] = {0};
        bool closed;
        size_t n = read_responses(fd, buf, sizeof buf, &len, 1, 5000, st, 1, &closed);
        close(fd);
        if (n == 1) {
            answered++;
            if (st[0] >= 500 && st[0] != 505 && st[0] != 501) {
                fprintf(stderr, "malformed case %zu: status %d\n", i, st[0]);
            }
            CHECK(st[0] < 500 || st[0] == 505 || st[0] == 501);
        } else {
            dropped++;
        }
        if (!daemon_alive()) {
            fprintf(stderr, "daemon died on malformed case %zu\n", i);
        }
        CHECK(daemon_alive());
    }
    printf("  %zu malformed requests: %zu answered (no 500), %zu closed without an answer\n",
           sizeof cases / sizeof cases[0], answered, dropped);
    still_serving("malformed HTTP");
}

/* ---- a GetQuote flood while Version keeps its latency ------------------------------------- */

static atomic_bool flood_stop;
static atomic_long flood_done, flood_failed;

static void *flooder(void *arg)
{
    (void)arg;
    while (!atomic_load(&flood_stop)) {
        struct http_reply r;
        bool ok = http_post_json(sim.dstack_sock, "/GetQuote", "{\"report_data\":\"01\"}", &r);
        atomic_fetch_add(ok && r.status == 200 ? &flood_done : &flood_failed, 1);
        http_reply_free(&r);
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double version_p99(int n)
{
    double *t = calloc((size_t)n, sizeof *t);
    for (int i = 0; i < n; i++) {
        t[i] = version_ms();
    }
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    double p = t[(size_t)((n - 1) * 99 / 100)];
    free(t);
    return p;
}

static void test_quote_flood(void)
{
    enum { FLOODERS = 8, SAMPLES = 200 };
    double base = version_p99(SAMPLES);
    pthread_t th[FLOODERS];
    atomic_store(&flood_stop, false);
    for (int i = 0; i < FLOODERS; i++) {
        CHECK(pthread_create(&th[i], NULL, flooder, NULL) == 0);
    }
    usleep(300 * 1000); /* let the flood build up */
    double t0 = now_ms();
    double during = version_p99(SAMPLES);
    double secs = (now_ms() - t0) / 1e3;
    atomic_store(&flood_stop, true);
    for (int i = 0; i < FLOODERS; i++) {
        pthread_join(th[i], NULL);
    }
    printf("  GetQuote flood (%d clients, %ld quotes, %ld failed, %.1f s): Version p99 %.2f ms "
           "(%.2f ms without the flood, limit %.0f ms)\n",
           FLOODERS, atomic_load(&flood_done), atomic_load(&flood_failed), secs, during, base,
           FLOOD_P99_LIMIT_MS);
    CHECK(atomic_load(&flood_failed) == 0);
    CHECK(atomic_load(&flood_done) > 0);
    CHECK(during < FLOOD_P99_LIMIT_MS);
    still_serving("GetQuote flood");
}

/* Every secret the daemon holds, and a key it derived, must be absent from its log (all of it,
 * at debug level, after everything above). Hex in both cases and PEM body lines are looked
 * for; a 16-character prefix is enough to count as a leak. */
static size_t leaks_in(const char *log, const char *secret)
{
    size_t n = strlen(secret);
    if (n < 32) {
        return 0;
    }
    char probe[17], upper[17];
    memcpy(probe, secret, 16);
    probe[16] = '\0';
    for (size_t i = 0; i < 17; i++) {
        upper[i] = (char)(probe[i] >= 'a' && probe[i] <= 'f' ? probe[i] - 32 : probe[i]);
    }
    return (strstr(log, probe) != NULL) + (strcmp(upper, probe) != 0 && strstr(log, upper));
}

static void test_no_secret_in_log(void)
{
    char path[400];
    snprintf(path, sizeof path, "%s/appkeys.json", sim.dir);
    cJSON *keys = json_parse_file(path, 1u << 20, 0, NULL);
    snprintf(path, sizeof path, "%s/simulator.log", sim.dir);
    FILE *f = fopen(path, "r");
    CHECK(keys != NULL && f != NULL);
    if (keys == NULL || f == NULL) {
        return;
    }
    static char log[1 << 22];
    size_t len = fread(log, 1, sizeof log - 1, f);
    log[len] = '\0';
    fclose(f);
    size_t lines = 0, secrets = 0, leaks = 0;
    for (size_t i = 0; i < len; i++) {
        lines += log[i] == '\n';
    }
    const char *k;
    cJSON *v;
    cJSON_ArrayForEach(v, keys)
    {
        k = v->string; /* k256_key, disk_crypt_key, env_crypt_key, ... */
        if (cJSON_IsString(v) && json_str_len(v) >= 32 && strcmp(k, "k256_signature") != 0 &&
            strcmp(k, "ca_cert") != 0) {
            secrets++;
            leaks += leaks_in(log, json_str(v));
        }
    }
    /* the key provider's CA key: every PEM body line */
    const cJSON *kp = json_get(keys, "key_provider");
    const char *pem = json_str(json_get(json_get(kp, "None"), "key"));
    for (const char *line = pem; line != NULL && *line != '\0';) {
        const char *nl = strchr(line, '\n');
        size_t n = nl != NULL ? (size_t)(nl - line) : strlen(line);
        if (n >= 40 && line[0] != '-') {
            char body[128];
            snprintf(body, sizeof body, "%.*s", (int)(n < 127 ? n : 127), line);
            secrets++;
            leaks += leaks_in(log, body);
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    /* a derived key the daemon handed out */
    struct http_reply r;
    CHECK(http_post_json(sim.dstack_sock, "/GetKey", "{\"path\":\"hostile\"}", &r));
    cJSON *got = json_parse(r.body, strlen(r.body), 0, NULL);
    const char *derived = json_str(json_get(got, "key"));
    CHECK(derived != NULL);
    if (derived != NULL) {
        secrets++;
        leaks += leaks_in(log, derived);
    }
    json_free(got);
    http_reply_free(&r);
    json_free(keys);
    printf("  log scan: %zu lines at debug level, %zu secrets looked for, %zu found\n", lines,
           secrets, leaks);
    CHECK(lines > 10);
    CHECK(secrets >= 4);
    CHECK(leaks == 0);
}

/* Many clients each sending a body just under the default 10 MiB cap and then stalling: what
 * the daemon buffers for them is bounded as a whole, not only per request. Own simulator with
 * the default cap. */
static void test_many_large_bodies(void)
{
    enum { CLIENTS = 48 };
    const size_t body = 10u * 1024 * 1024 - 1024;
    struct sim big;
    const char *const args[] = {"--idle-timeout", "5", NULL};
    CHECK(sim_start(&big, args));
    long rss0 = rss_kb(big.pid);
    char *chunk = malloc(body);
    memset(chunk, ' ', body);
    int fds[CLIENTS];
    char head[256];
    snprintf(head, sizeof head,
             "POST /GetKey HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n",
             body + 1024);
    size_t sent_all = 0;
    for (size_t i = 0; i < CLIENTS; i++) {
        fds[i] = uconnect(big.dstack_sock);
        CHECK(fds[i] >= 0);
        struct timeval tv = {2, 0}; /* a refusing server stops reading; do not block forever */
        setsockopt(fds[i], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        sent_all += send_all(fds[i], head, strlen(head)) && send_all(fds[i], chunk, body);
    }
    usleep(300 * 1000);
    long rss1 = rss_kb(big.pid);
    struct http_reply r;
    CHECK(http_post_json(big.dstack_sock, "/Version", "{}", &r) && r.status == 200);
    http_reply_free(&r);
    /* Finishing the bodies: the first client was within the budget and is served, the last
     * one was over it and hears why. */
    int st_first[1] = {0}, st_last[1] = {0};
    static char buf[4096];
    size_t len = 0;
    bool closed;
    CHECK(send_all(fds[0], chunk, 1024));
    (void)read_responses(fds[0], buf, sizeof buf, &len, 1, 10000, st_first, 1, &closed);
    len = 0;
    CHECK(send_all(fds[CLIENTS - 1], chunk, 1024));
    (void)read_responses(fds[CLIENTS - 1], buf, sizeof buf, &len, 1, 10000, st_last, 1, &closed);
    CHECK(st_first[0] == 200);
    CHECK(st_last[0] == 503 && strstr(buf, "server busy") != NULL);
    for (size_t i = 0; i < CLIENTS; i++) {
        close(fds[i]);
    }
    usleep(300 * 1000);
    /* The budget is released with the connections: a large body is served again. */
    chunk[0] = '{';
    chunk[1] = '}';
    chunk[body - 1] = '\0';
    CHECK(http_post_json(big.dstack_sock, "/GetKey", chunk, &r) && r.status == 200);
    http_reply_free(&r);
    printf("  %d stalled clients with %.1f MiB bodies (%zu fully sent): daemon RSS %ld -> %ld "
           "kB; within the budget served (%d), over it refused (%d), budget released after\n",
           CLIENTS, (double)body / (1 << 20), sent_all, rss0, rss1, st_first[0], st_last[0]);
#if !defined(__SANITIZE_ADDRESS__)
    CHECK(rss1 - rss0 < 200 * 1024); /* 48 x 10 MiB unbounded would be ~500 MB */
#endif
    CHECK(sim_stop(&big) == 0);
    free(chunk);
}

static void raise_nofile(void)
{
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    rlim_t want = 4096;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
        CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    }
    if (rl.rlim_cur < MANY + 100) {
        printf("FAIL: RLIMIT_NOFILE hard limit %lu is below %d (raise it: ulimit -Hn)\n",
               (unsigned long)rl.rlim_max, MANY + 100);
        exit(1);
    }
}

static void run_all(void);

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread */
    raise_nofile();                        /* the simulator inherits it */
    char conf[] = "/tmp/it_hostile_conf.XXXXXX";
    int cfd = mkstemp(conf);
    const char *tpc = "{\"default\":{\"thread_per_connection\":true}}";
    CHECK(cfd >= 0 && write(cfd, tpc, strlen(tpc)) == (ssize_t)strlen(tpc));
    close(cfd);
    for (int mode = 0; mode < 2; mode++) {
        if (mode == 1) {
            sim_args[6] = "-c";
            sim_args[7] = conf;
        }
        printf("%s:\n", mode ? "thread per connection" : "epoll thread pool");
        run_all();
    }
    unlink(conf);
    test_many_large_bodies();
    curl_global_cleanup();
    return check_exit();
}

static void run_all(void)
{
    CHECK(sim_start(&sim, sim_args));
    still_serving("start-up");
    check_keys_locked();
    long rss0 = rss_kb(sim.pid);

    test_many_connections();
    long rss1 = rss_kb(sim.pid);
    test_many_connections(); /* a second round must not grow the daemon further */
    long rss2 = rss_kb(sim.pid);
    test_slow_headers();
    test_slow_body();
    test_body_cap();
    test_cut_mid_body();
    test_pipelined();
    test_malformed();
    test_quote_flood();
    test_no_secret_in_log();
    long rss3 = rss_kb(sim.pid);

    printf("  daemon RSS: %ld kB at start, %ld / %ld kB after each 1000-connection round, "
           "%ld kB at the end\n",
           rss0, rss1, rss2, rss3);
    CHECK(rss0 > 0 && rss3 > 0);
    /* glibc keeps freed arenas, so RSS moves by a few MB between rounds; a per-connection leak
     * of 1000 x MHD's 32 kB pool would show as ~32 MB per round. */
#if defined(__SANITIZE_ADDRESS__)
    /* ASan keeps up to 256 MB of freed memory in quarantine, so RSS says nothing here; the
     * ASan build checks leaks with LeakSanitizer at the daemon's exit instead. */
    (void)rss1;
    (void)rss2;
#else
    CHECK(rss2 - rss1 < 24 * 1024);
    CHECK(rss3 < rss0 + 256 * 1024);
#endif
    CHECK(sim_stop(&sim) == 0);
}
