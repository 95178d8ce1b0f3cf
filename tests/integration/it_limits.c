/* The server's limits against an app that attacks its own sockets (docs/security.md):
 *   - 1,100 connections to a restricted socket under `ulimit -n 1024`: GetKey on dstack.sock
 *     still answers within 1 s, the daemon uses < 20 % of a core over 5 s, its log grows by
 *     < 100 kB, and the connections past the socket's share get a 503;
 *   - slow clients: a trickled request line, trickled headers and a slow body are each cut
 *     within their bound, while GetKey is answered;
 *   - an empty method list is a start-up error naming the listener;
 *   - two Content-Lengths, or Transfer-Encoding with Content-Length: 400 before dispatch;
 *   - TCP listeners: a foreign Host, a web page's Origin or Sec-Fetch-Site, and a POST body not
 *     typed JSON are refused;
 *   - symlinks planted at the simulator's old temporary names (runtime_events.log.tmp,
 *     tdx-root-ca.pem.tmp.<pid>) are never followed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* utime + stime of a process, in clock ticks (proc(5): fields 14 and 15). */
static long long cpu_ticks(pid_t pid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    long long fields[16] = {0};
    for (int i = 3; p != NULL && i <= 15; i++) {
        p = strchr(p + 1, ' ');
        if (p != NULL) {
            fields[i] = strtoll(p + 1, NULL, 10);
        }
    }
    return p != NULL ? fields[14] + fields[15] : -1;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static int unix_connect(const char *path, bool nonblock)
{
    struct sockaddr_un sa;
    if (!unix_addr(&sa, path)) {
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* GetKey on dstack.sock: the status, and the seconds it took in *secs. */
static long timed_get_key(const struct sim *s, double *secs)
{
    struct http_reply r;
    double t0 = now_s();
    bool ok = http_post_json(s->dstack_sock, "/GetKey", "{\"path\":\"limits\"}", &r);
    *secs = now_s() - t0;
    long status = ok ? r.status : 0;
    http_reply_free(&r);
    return status;
}

/* ---- 1. fd exhaustion through a restricted socket ------------------------------------------- */

enum { FLOOD_CONNECTIONS = 1100, FLOOD_NOFILE = 1024 };

static bool raise_own_nofile(rlim_t want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return false;
    }
    if (rl.rlim_cur >= want) {
        return true;
    }
    if (rl.rlim_max < want) {
        return false;
    }
    rl.rlim_cur = want;
    return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

/* Opens n connections, retrying while the backlog is full (EAGAIN). Returns how many. */
static int flood(const char *path, int *fds, int n)
{
    int opened = 0;
    for (int i = 0; i < n; i++) {
        fds[i] = -1;
        for (int tries = 0; tries < 2000 && fds[i] < 0; tries++) {
            fds[i] = unix_connect(path, true);
            if (fds[i] < 0) {
                if (errno != EAGAIN) {
                    break;
                }
                usleep(1000);
            }
        }
        opened += fds[i] >= 0;
    }
    return opened;
}

/* How many of the connections were answered 503 and closed by the server. */
static int count_refused(const int *fds, int n)
{
    int refused = 0;
    for (int i = 0; i < n; i++) {
        char buf[64];
        ssize_t got = fds[i] >= 0 ? recv(fds[i], buf, sizeof buf - 1, MSG_DONTWAIT) : -1;
        if (got > 0) {
            buf[got] = '\0';
            refused += strncmp(buf, "HTTP/1.1 503 ", 13) == 0;
        }
    }
    return refused;
}

static void test_fd_exhaustion(void)
{
    if (!raise_own_nofile(FLOOD_CONNECTIONS + 200)) {
        fprintf(stderr, "FAIL: this test needs %d descriptors of its own (hard RLIMIT_NOFILE)\n",
                FLOOD_CONNECTIONS + 200);
        CHECK(false);
        return;
    }
    char quote_sock[96], listen_arg[128];
    snprintf(quote_sock, sizeof quote_sock, "/tmp/dstack-it-limits-q-%d.sock", (int)getpid());
    snprintf(listen_arg, sizeof listen_arg, "unix:%s", quote_sock);
    const char *args[] = {"--listen", listen_arg, "--methods", "GetQuote,Info,Version", NULL};
    struct sim s;
    sim_set_nofile(FLOOD_NOFILE);
    bool started = sim_start(&s, args);
    sim_set_nofile(0);
    if (!started) {
        CHECK(false);
        return;
    }
    char log_path[400];
    snprintf(log_path, sizeof log_path, "%s/simulator.log", s.dir);

    static int fds[FLOOD_CONNECTIONS];
    long long log0 = file_size(log_path);
    int opened = flood(quote_sock, fds, FLOOD_CONNECTIONS);
    usleep(300 * 1000); /* let the acceptor take the backlog */
    long long cpu0 = cpu_ticks(s.pid);
    double key_secs = 0;
    long key_status = timed_get_key(&s, &key_secs);
    double t0 = now_s();
    usleep(5000 * 1000);
    long long cpu1 = cpu_ticks(s.pid);
    double cpu_share = (double)(cpu1 - cpu0) / (double)sysconf(_SC_CLK_TCK) / (now_s() - t0);
    long long log1 = file_size(log_path);
    double key2_secs = 0;
    long key2_status = timed_get_key(&s, &key2_secs);
    int refused = count_refused(fds, FLOOD_CONNECTIONS);
    printf("fd exhaustion (ulimit -n %d, %d/%d connections to a restricted socket): GetKey %ld "
           "in %.3f s, again %ld in %.3f s; daemon CPU %.1f %% of a core over 5 s; log +%lld "
           "bytes; %d connections answered 503\n",
           FLOOD_NOFILE, opened, FLOOD_CONNECTIONS, key_status, key_secs, key2_status, key2_secs,
           100.0 * cpu_share, log1 - log0, refused);
    CHECK(opened == FLOOD_CONNECTIONS);
    CHECK(key_status == 200 && key_secs < 1.0);
    CHECK(key2_status == 200 && key2_secs < 1.0);
    CHECK(cpu0 >= 0 && cpu1 >= 0 && cpu_share < 0.20);
    CHECK(log0 >= 0 && log1 - log0 < 100 * 1024);
    CHECK(refused > 0);
    char *log = check_read_text(log_path);
    CHECK(log != NULL && strstr(log, "connections refused (503)") != NULL);
    CHECK(log != NULL && strstr(log, "connections per listener") != NULL);
    free(log);
    for (int i = 0; i < FLOOD_CONNECTIONS; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
    CHECK(sim_stop(&s) == 0);
}

/* ---- 3. slow clients ------------------------------------------------------------------------ */

struct trickle {
    const char *sock;
    const char *prefix; /* sent at once */
    const char *drip;   /* then one byte of it every interval (cycled) */
    size_t drip_bytes;  /* bytes per interval */
    unsigned interval_ms;
    double closed_after; /* seconds from connect until the server closed; -1 = never */
};

static void *trickle_main(void *arg)
{
    struct trickle *t = arg;
    t->closed_after = -1;
    int fd = unix_connect(t->sock, false);
    if (fd < 0) {
        return NULL;
    }
    double t0 = now_s();
    bool ok = send(fd, t->prefix, strlen(t->prefix), MSG_NOSIGNAL) >= 0;
    size_t pos = 0, dlen = strlen(t->drip);
    while (ok && now_s() - t0 < 12.0) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)t->interval_ms) > 0) {
            char buf[256];
            if (recv(fd, buf, sizeof buf, 0) <= 0) {
                t->closed_after = now_s() - t0;
                break;
            }
            continue;
        }
        for (size_t i = 0; i < t->drip_bytes && ok; i++) {
            ok = send(fd, t->drip + pos, 1, MSG_NOSIGNAL) == 1;
            pos = (pos + 1) % dlen;
        }
        if (!ok) {
            t->closed_after = now_s() - t0;
        }
    }
    close(fd);
    return NULL;
}

static void test_slow_clients(void)
{
    const char *args[] = {"--idle-timeout", "3", "--request-timeout", "4", NULL};
    struct sim s;
    if (!sim_start(&s, args)) {
        CHECK(false);
        return;
    }
    /* a: the request line, one byte every 0.5 s (renews libmicrohttpd's idle timer each time);
     * b: request line at once, then a header byte every 0.5 s;
     * c: headers at once, then the body at 200 bytes/s, under the 4096 bytes/s minimum. */
    struct trickle t[3] = {
        {s.dstack_sock, "", "GET /Version HTTP/1.1\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaa", 1, 500, 0},
        {s.dstack_sock, "POST /GetKey HTTP/1.1\r\n", "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 1,
         500, 0},
        {s.dstack_sock,
         "POST /GetKey HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         "Content-Length: 100000\r\n\r\n",
         "{\"path\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 100, 500, 0},
    };
    enum { CROWD = 40 };
    struct trickle crowd[CROWD];
    pthread_t th[3], cth[CROWD];
    for (int i = 0; i < 3; i++) {
        pthread_create(&th[i], NULL, trickle_main, &t[i]);
    }
    for (int i = 0; i < CROWD; i++) {
        crowd[i] = t[i % 3];
        pthread_create(&cth[i], NULL, trickle_main, &crowd[i]);
    }
    usleep(1000 * 1000);
    double key_secs = 0;
    long key_status = timed_get_key(&s, &key_secs);
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
    }
    int crowd_cut = 0;
    for (int i = 0; i < CROWD; i++) {
        pthread_join(cth[i], NULL);
        crowd_cut += crowd[i].closed_after > 0 && crowd[i].closed_after < 7.0;
    }
    printf("slow clients (--idle-timeout 3 --request-timeout 4, minimum 4096 B/s): trickled "
           "request line closed after %.2f s, trickled headers %.2f s, 200 B/s body %.2f s; "
           "%d/%d of a crowd cut; GetKey meanwhile %ld in %.3f s\n",
           t[0].closed_after, t[1].closed_after, t[2].closed_after, crowd_cut, CROWD, key_status,
           key_secs);
    CHECK(t[0].closed_after >= 2.5 && t[0].closed_after < 4.5);
    CHECK(t[1].closed_after >= 3.5 && t[1].closed_after < 5.5);
    CHECK(t[2].closed_after >= 1.5 && t[2].closed_after < 3.5);
    CHECK(crowd_cut == CROWD);
    CHECK(key_status == 200 && key_secs < 1.0);
    char log_path[400];
    snprintf(log_path, sizeof log_path, "%s/simulator.log", s.dir);
    CHECK(sim_stop(&s) == 0);
}

/* ---- 4. an empty method list ---------------------------------------------------------------- */

/* Runs the simulator to completion with args; its exit status, output in out. */
static int run_sim(const char *dir, const char *const *args, char *out, size_t cap)
{
    char cmd[2048];
    int n = snprintf(cmd, sizeof cmd, "timeout 10 %s --dir %s", DSTACK_SIMULATOR_BIN, dir);
    for (size_t i = 0; args[i] != NULL && n > 0 && (size_t)n < sizeof cmd; i++) {
        n += snprintf(cmd + n, sizeof cmd - (size_t)n, " '%s'", args[i]);
    }
    snprintf(cmd + n, sizeof cmd - (size_t)n, " 2>&1");
    FILE *p = popen(cmd, "r");
    size_t got = p != NULL ? fread(out, 1, cap - 1, p) : 0;
    out[got] = '\0';
    int st = p != NULL ? pclose(p) : -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_empty_method_list(void)
{
    char dir[] = "/tmp/dstack-it-methods-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char listen_arg[160], out[4096];
    snprintf(listen_arg, sizeof listen_arg, "unix:%s/quote.sock", dir);
    const char *cli[] = {"--listen", listen_arg, "--methods", "", NULL};
    int st = run_sim(dir, cli, out, sizeof out);
    char want[300];
    snprintf(want, sizeof want, "listener %s: the method list is empty", listen_arg);
    printf("--methods \"\": exit %d: %s", st, out);
    CHECK(st == 2 && strstr(out, want) != NULL);

    char cfg_path[200];
    snprintf(cfg_path, sizeof cfg_path, "%s/empty.json", dir);
    FILE *f = fopen(cfg_path, "w");
    CHECK(f != NULL);
    if (f != NULL) {
        fprintf(f, "{\"listeners\":[{\"address\":\"%s\",\"api\":\"dstack\",\"methods\":[]}]}",
                listen_arg);
        fclose(f);
    }
    const char *file[] = {"-c", cfg_path, NULL};
    st = run_sim(dir, file, out, sizeof out);
    printf("\"methods\": []: exit %d: %s", st, out);
    CHECK(st == 2 && strstr(out, want) != NULL);
    CHECK(access(listen_arg + 5, F_OK) != 0); /* nothing was served */

    /* A restricted listener says so at start-up, with its methods. */
    struct sim s;
    const char *ok[] = {"--listen", listen_arg, "--methods", "GetQuote,Info,Version", NULL};
    CHECK(sim_start(&s, ok));
    char log_path[400];
    snprintf(log_path, sizeof log_path, "%s/simulator.log", s.dir);
    char *log = check_read_text(log_path);
    snprintf(want, sizeof want,
             "listening on %s (dstack API, restricted to GetQuote, Info, Version)", listen_arg);
    CHECK(log != NULL && strstr(log, want) != NULL);
    free(log);
    CHECK(sim_stop(&s) == 0);
    rmdir(dir);
}

/* ---- 6. HTTP strictness ---------------------------------------------------------------------- */

static void test_conflicting_lengths(void)
{
    struct sim s;
    if (!sim_start(&s, NULL)) {
        CHECK(false);
        return;
    }
    static const struct {
        const char *req;
        const char *msg;
    } cases[] = {
        {"POST /EmitEvent HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         "Content-Length: 30\r\nContent-Length: 30\r\n\r\n{\"event\":\"a\",\"payload\":\"00\"}\r\n",
         "more than one Content-Length header"},
        {"POST /EmitEvent HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
         "1c\r\n{\"event\":\"a\",\"payload\":\"00\"}\r\n0\r\n\r\n",
         "Transfer-Encoding and Content-Length together"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[4096];
        long n =
            raw_exchange(s.dstack_sock, cases[i].req, strlen(cases[i].req), out, sizeof out, 3000);
        CHECK(n > 0 && strncmp(out, "HTTP/1.1 400 ", 13) == 0);
        CHECK(n > 0 && strstr(out, cases[i].msg) != NULL);
        if (n <= 0 || strstr(out, cases[i].msg) == NULL) {
            fprintf(stderr, "case %zu: %s\n", i, n > 0 ? out : "(nothing)");
        }
    }
    /* Neither reached EmitEvent: the event log has no "a". */
    struct http_reply r;
    CHECK(http_post_json(s.dstack_sock, "/Info", "{}", &r) && r.status == 200);
    CHECK(strstr(r.body, "\\\"event\\\":\\\"a\\\"") == NULL);
    http_reply_free(&r);
    CHECK(sim_stop(&s) == 0);
}

/* ---- 6. TCP listeners against web pages ------------------------------------------------------ */

static int free_tcp_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    bind(fd, (struct sockaddr *)&sa, sizeof sa);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

/* One request on a new TCP connection; the status code of the answer (0 = none). */
static int tcp_status(int port, const char *req, char *out, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    size_t got = 0;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        send(fd, req, strlen(req), MSG_NOSIGNAL) >= 0) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        while (got + 1 < cap && poll(&p, 1, 3000) > 0) {
            ssize_t n = recv(fd, out + got, cap - 1 - got, 0);
            if (n <= 0) {
                break;
            }
            got += (size_t)n;
            if (strstr(out, "\r\n\r\n") != NULL && got > 13) {
                break; /* headers in: enough for the status */
            }
        }
    }
    out[got] = '\0';
    close(fd);
    return got > 12 && strncmp(out, "HTTP/1.1 ", 9) == 0 ? (int)strtol(out + 9, NULL, 10) : 0;
}

static void test_tcp_web_guard(void)
{
    int port = free_tcp_port();
    char tcp[64];
    snprintf(tcp, sizeof tcp, "127.0.0.1:%d", port);
    const char *args[] = {"--listen", tcp, "--allow-host", "agent.internal", NULL};
    struct sim s;
    if (!sim_start(&s, args)) {
        CHECK(false);
        return;
    }
    static const char body[] = "{\"event\":\"web\",\"payload\":\"00\"}";
    enum { OURS = -1 };
    static const struct {
        const char *host;
        int port; /* OURS = the listener's */
        const char *extra;
        const char *type;
        int want;
    } cases[] = {
        {"127.0.0.1", OURS, "", "application/json", 200},
        {"localhost", OURS, "", "application/json", 200},
        {"agent.internal", OURS, "", "application/json", 200},
        {"127.0.0.1", OURS, "", "application/json; charset=utf-8", 200},
        {"127.0.0.1", OURS, "Sec-Fetch-Site: same-origin\r\n", "application/json", 200},
        {"evil.example", OURS, "", "application/json", 403}, /* DNS rebinding */
        {"127.0.0.1", 1, "", "application/json", 403},       /* another port */
        {"127.0.0.1", OURS, "", "text/plain", 415},          /* a form or fetch without preflight */
        {"127.0.0.1", OURS, "", NULL, 415},
        {"127.0.0.1", OURS, "Origin: http://evil.example\r\n", "application/json", 403},
        {"127.0.0.1", OURS, "Origin: http://127.0.0.1:1\r\n", "application/json", 403},
        {"127.0.0.1", OURS, "Sec-Fetch-Site: cross-site\r\n", "application/json", 403},
    };
    int passed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char host[128], type[96] = "", req[1024], out[2048];
        snprintf(host, sizeof host, "%s:%d", cases[i].host,
                 cases[i].port == OURS ? port : cases[i].port);
        if (cases[i].type != NULL) {
            snprintf(type, sizeof type, "Content-Type: %s\r\n", cases[i].type);
        }
        snprintf(req, sizeof req,
                 "POST /EmitEvent HTTP/1.1\r\nHost: %s\r\n%s%sContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n%s",
                 host, cases[i].extra, type, strlen(body), body);
        int status = tcp_status(port, req, out, sizeof out);
        if (status != cases[i].want) {
            fprintf(stderr, "web guard case %zu (Host %s): %d, want %d\n%s\n", i, host, status,
                    cases[i].want, out);
        }
        CHECK(status == cases[i].want);
        passed += status == cases[i].want;
    }
    printf("TCP listener: %d/%zu Host/Origin/Sec-Fetch-Site/Content-Type cases as documented\n",
           passed, sizeof cases / sizeof cases[0]);
    CHECK(sim_stop(&s) == 0);
}

/* ---- 5. symlinks planted in the simulator's folder ------------------------------------------ */

#define ROOT_CA_GUESSES 64

/* A file holding "precious\n" for a planted symlink to point at; victim_untouched tells whether
 * it still holds just that (and removes it). */
static void make_victim(char path[static 29])
{
    snprintf(path, 29, "/tmp/dstack-it-victim-XXXXXX");
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, "precious\n", 9) == 9);
    close(fd);
}

static bool victim_untouched(const char *path)
{
    char *v = check_read_text(path);
    bool same = v != NULL && strcmp(v, "precious\n") == 0;
    free(v);
    unlink(path);
    return same;
}

/* The root CA PEM was written through "tdx-root-ca.pem.tmp.<pid>" with O_CREAT|O_TRUNC: a
 * symlink there had the next start write its target. The restarted daemon's pid is guessed
 * from the last one the kernel handed out, so a link is planted at each of the next
 * ROOT_CA_GUESSES names; *first is the first pid planted (0: none, no ns_last_pid). */
static void plant_root_ca_links(const struct sim *s, const char *victim, long *first)
{
    char *last = check_read_text("/proc/sys/kernel/ns_last_pid");
    *first = last != NULL ? strtol(last, NULL, 10) + 1 : 0;
    free(last);
    for (long i = 0; *first > 0 && i < ROOT_CA_GUESSES; i++) {
        char link_path[420];
        snprintf(link_path, sizeof link_path, "%s/tdx-root-ca.pem.tmp.%ld", s->dir, *first + i);
        CHECK(symlink(victim, link_path) == 0);
    }
}

/* The root CA file is a regular file, every planted link is still a symlink (removed then) and
 * their target is untouched; prints whether the daemon's pid was one of the guesses, i.e.
 * whether the old code would have written the target. */
static void check_root_ca_links(const struct sim *s, const char *victim, long first)
{
    bool kept = true;
    for (long i = 0; first > 0 && i < ROOT_CA_GUESSES; i++) {
        char link_path[420];
        struct stat st;
        snprintf(link_path, sizeof link_path, "%s/tdx-root-ca.pem.tmp.%ld", s->dir, first + i);
        kept = kept && lstat(link_path, &st) == 0 && S_ISLNK(st.st_mode);
        unlink(link_path);
    }
    char root_path[400];
    struct stat st;
    snprintf(root_path, sizeof root_path, "%s/tdx-root-ca.pem", s->dir);
    bool regular = lstat(root_path, &st) == 0 && S_ISREG(st.st_mode);
    bool untouched = victim_untouched(victim);
    printf("planted symlinks at tdx-root-ca.pem.tmp.<pid> for pids %ld..%ld (the daemon's %ld: "
           "%s): target %s, root CA a regular file: %s, symlinks left alone: %s\n",
           first, first + ROOT_CA_GUESSES - 1, (long)s->pid,
           s->pid >= first && s->pid < first + ROOT_CA_GUESSES ? "among them" : "missed",
           untouched ? "untouched" : "WRITTEN", regular ? "yes" : "no", kept ? "yes" : "no");
    CHECK(untouched);
    CHECK(regular && kept);
}

static void test_planted_symlink(void)
{
    struct sim s;
    if (!sim_start(&s, NULL)) {
        CHECK(false);
        return;
    }
    char victim[29], ca_victim[29];
    make_victim(victim);
    make_victim(ca_victim);
    /* The runtime log is rewritten at start when it is missing: the old code created
     * runtime_events.log.tmp with O_CREAT|O_TRUNC, then renamed it over the log. */
    char log_path[400], tmp_path[420];
    snprintf(log_path, sizeof log_path, "%s/runtime_events.log", s.dir);
    snprintf(tmp_path, sizeof tmp_path, "%s.tmp", log_path);
    kill(s.pid, SIGTERM);
    waitpid(s.pid, NULL, 0);
    s.pid = -1;
    CHECK(unlink(log_path) == 0);
    CHECK(symlink(victim, tmp_path) == 0);
    long first_pid = 0;
    plant_root_ca_links(&s, ca_victim, &first_pid);
    CHECK(sim_restart(&s, SIGTERM, NULL));
    struct http_reply r;
    CHECK(http_post_json(s.dstack_sock, "/EmitEvent", "{\"event\":\"after\",\"payload\":\"00\"}",
                         &r) &&
          r.status == 200);
    http_reply_free(&r);
    struct stat st;
    bool log_regular = lstat(log_path, &st) == 0 && S_ISREG(st.st_mode);
    bool link_kept = lstat(tmp_path, &st) == 0 && S_ISLNK(st.st_mode);
    bool untouched = victim_untouched(victim);
    printf("planted symlink at runtime_events.log.tmp: target %s, log a regular file: %s, "
           "symlink left alone: %s\n",
           untouched ? "untouched" : "WRITTEN", log_regular ? "yes" : "no",
           link_kept ? "yes" : "no");
    CHECK(untouched);
    CHECK(log_regular && link_kept);
    check_root_ca_links(&s, ca_victim, first_pid);
    CHECK(sim_stop(&s) == 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_empty_method_list();
    test_conflicting_lengths();
    test_planted_symlink();
    test_tcp_web_guard();
    test_slow_clients();
    test_fd_exhaustion();
    return check_exit();
}
