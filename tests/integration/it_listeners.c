/* Listener features: TCP, restricted method lists, socket file modes, stale sockets, systemd
 * socket activation and readiness notification, and start-up refusals. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include "json/json.h"

#include "check.h"
#include "harness.h"

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

static long tcp_version(int port)
{
    CURL *c = curl_easy_init();
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/Version", port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_easy_cleanup(c);
    return status;
}

static void test_tcp_restricted_and_modes(void)
{
    struct sim s;
    int port = free_tcp_port();
    char tcp[64], quote_sock[64];
    snprintf(tcp, sizeof tcp, "127.0.0.1:%d", port);
    snprintf(quote_sock, sizeof quote_sock, "unix:/tmp/dstack-it-quote-%d.sock", (int)getpid());
    const char *args[] = {"--socket-mode", "0660",     "--listen",  tcp,
                          "--listen",      quote_sock, "--methods", "GetQuote,Attest,Info,Version",
                          "--socket-mode", "0666",     NULL};
    if (!sim_start(&s, args)) {
        CHECK(false);
        return;
    }
    CHECK(tcp_version(port) == 200);
    struct stat st;
    CHECK(stat(s.dstack_sock, &st) == 0 && (st.st_mode & 0777) == 0660);
    CHECK(stat(quote_sock + 5, &st) == 0 && (st.st_mode & 0777) == 0666);

    struct http_reply r;
    CHECK(http_post_json(quote_sock + 5, "/GetQuote", "{\"report_data\":\"00\"}", &r));
    CHECK(r.status == 200);
    http_reply_free(&r);
    CHECK(http_post_json(quote_sock + 5, "/GetKey", "{\"path\":\"a\"}", &r));
    CHECK(r.status == 403);
    CHECK_STR(r.body, "{\n  \"error\": \"Method GetKey is not served on this socket\"\n}");
    http_reply_free(&r);
    CHECK(http_post_json(quote_sock + 5, "/GetTlsKey", "{}", &r) && r.status == 403);
    http_reply_free(&r);
    /* Unknown methods keep upstream's answer even on a restricted socket. */
    CHECK(http_post_json(quote_sock + 5, "/Nope", "{}", &r) && r.status == 400);
    http_reply_free(&r);

    /* A second simulator on the same live socket refuses to start, naming the socket. */
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "%s --dir %s --no-default-listeners --listen %s 2>&1 | grep -q "
             "'served by another running process'",
             DSTACK_SIMULATOR_BIN, s.dir, quote_sock);
    CHECK(system(cmd) == 0);
    CHECK(sim_stop(&s) == 0);
    CHECK(access(quote_sock + 5, F_OK) != 0);
}

static void test_stale_socket_replaced(void)
{
    struct sim s;
    char dir[] = "/tmp/dstack-it-stale-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    /* A socket file nobody listens on, as a crashed agent leaves behind. */
    char path[96];
    snprintf(path, sizeof path, "%s/stale.sock", dir);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa;
    CHECK(unix_addr(&sa, path));
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    close(fd);
    char listen_arg[160];
    snprintf(listen_arg, sizeof listen_arg, "unix:%s", path);
    const char *args[] = {"--listen", listen_arg, NULL};
    CHECK(sim_start(&s, args));
    struct http_reply r;
    CHECK(http_post_json(path, "/Version", "{}", &r) && r.status == 200);
    http_reply_free(&r);
    CHECK(sim_stop(&s) == 0);
    /* A regular file in the way is never replaced. */
    FILE *f = fopen(path, "w");
    fputs("precious", f);
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s --dir %s --listen unix:%s 2>&1 | grep -q 'is not a socket'",
             DSTACK_SIMULATOR_BIN, dir, path);
    CHECK(system(cmd) == 0);
    struct stat st;
    CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    (void)system(cmd);
}

/* reuse = false (Rocket's): any file at the socket path stops start-up, a stale socket
 * included, and nothing is removed; with no file there the listener starts. reuse = true (the
 * default) replaces the stale socket: test_stale_socket_replaced. */
static void test_reuse_false(void)
{
    char dir[] = "/tmp/dstack-it-reuse-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[96], conf[96], cmd[700];
    snprintf(path, sizeof path, "%s/app.sock", dir);
    snprintf(conf, sizeof conf, "%s/dstack.toml", dir);
    FILE *f = fopen(conf, "w");
    CHECK(f != NULL);
    if (f == NULL) {
        return;
    }
    fprintf(f, "[external]\naddress = \"unix:%s\"\nreuse = false\n", path);
    fclose(f);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa;
    CHECK(unix_addr(&sa, path));
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0); /* stale: nobody listens */
    close(fd);
    snprintf(cmd, sizeof cmd,
             "%s --dir %s -c %s >%s/out 2>&1; test $? -ne 0 && grep -qF "
             "'cannot listen on %s: the file exists and reuse = false' %s/out",
             DSTACK_SIMULATOR_BIN, dir, conf, dir, path, dir);
    CHECK(system(cmd) == 0);
    struct stat st;
    CHECK(lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)); /* left alone */

    unlink(path);
    struct sim s;
    const char *args[] = {"-c", conf, NULL};
    CHECK(sim_start(&s, args));
    struct http_reply r;
    CHECK(http_post_json(path, "/prpc/Version", "{}", &r) && r.status == 200);
    http_reply_free(&r);
    CHECK(sim_stop(&s) == 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    (void)system(cmd);
}

static size_t count_answers(const char *text)
{
    size_t n = 0;
    for (const char *p = strstr(text, "HTTP/1.1 "); p != NULL; p = strstr(p + 1, "HTTP/1.1 ")) {
        n++;
    }
    return n;
}

/* keep_alive = 0 (Rocket: keep-alive off) on [internal]: two pipelined requests get one answer,
 * which says Connection: close, and the agent closes the connection; tappd.sock keeps the
 * default (15 s) and answers both on the same connection. */
static void test_keep_alive_off(void)
{
    char dir[] = "/tmp/dstack-it-keepalive-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char conf[96];
    snprintf(conf, sizeof conf, "%s/dstack.toml", dir);
    FILE *f = fopen(conf, "w");
    CHECK(f != NULL);
    if (f == NULL) {
        return;
    }
    fputs("[internal]\nkeep_alive = 0\n", f);
    fclose(f);
    struct sim s;
    const char *args[] = {"-c", conf, NULL};
    CHECK(sim_start(&s, args));
    static const char two[] = "GET /Version HTTP/1.1\r\nHost: localhost\r\n\r\n"
                              "GET /Version HTTP/1.1\r\nHost: localhost\r\n\r\n";
    char out[8192];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long n = raw_exchange(s.dstack_sock, two, sizeof two - 1, out, sizeof out, 10000);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(n > 0);
    out[n > 0 ? n : 0] = '\0';
    CHECK(count_answers(out) == 1);
    CHECK(strstr(out, "HTTP/1.1 200") == out);
    CHECK(strcasestr(out, "\r\nConnection: close\r\n") != NULL);
    CHECK(t1.tv_sec - t0.tv_sec < 5); /* closed by the agent, not by the 10 s wait */

    static const char two_tappd[] = "GET /prpc/Version HTTP/1.1\r\nHost: localhost\r\n\r\n"
                                    "GET /prpc/Version HTTP/1.1\r\nHost: localhost\r\n\r\n";
    n = raw_exchange(s.tappd_sock, two_tappd, sizeof two_tappd - 1, out, sizeof out, 1500);
    CHECK(n > 0);
    out[n > 0 ? n : 0] = '\0';
    CHECK(count_answers(out) == 2);
    CHECK(strcasestr(out, "Connection: close") == NULL);
    CHECK(sim_stop(&s) == 0);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    (void)system(cmd);
}

static int unix_listener(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa;
    if (!unix_addr(&sa, path)) {
        return -1;
    }
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0) {
        return -1;
    }
    return fd;
}

/* Starts the simulator in dir as systemd starts a socket-activated service: fds[0..n) become
 * fds 3.. with LISTEN_PID and LISTEN_FDS set, and NOTIFY_SOCKET when notify is not NULL. */
static pid_t start_activated(const int *fds, int n, const char *notify, const char *dir)
{
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < n; i++) {
            dup2(fds[i], 3 + i);
        }
        char pidbuf[32], nbuf[16];
        snprintf(pidbuf, sizeof pidbuf, "%d", (int)getpid());
        snprintf(nbuf, sizeof nbuf, "%d", n);
        setenv("LISTEN_PID", pidbuf, 1);
        setenv("LISTEN_FDS", nbuf, 1);
        if (notify != NULL) {
            setenv("NOTIFY_SOCKET", notify, 1);
        }
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        execl(DSTACK_SIMULATOR_BIN, DSTACK_SIMULATOR_BIN, "--dir", dir, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* systemd hands over fds 3 and 4 and reads READY=1 from NOTIFY_SOCKET. */
static void test_socket_activation_and_notify(void)
{
    char dir[] = "/tmp/dstack-it-sd-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char dpath[96], tpath[96], npath[96];
    snprintf(dpath, sizeof dpath, "%s/act-dstack.sock", dir);
    snprintf(tpath, sizeof tpath, "%s/act-tappd.sock", dir);
    snprintf(npath, sizeof npath, "%s/notify.sock", dir);
    int dfd = unix_listener(dpath), tfd = unix_listener(tpath);
    int nfd = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un na;
    CHECK(unix_addr(&na, npath));
    CHECK(dfd >= 0 && tfd >= 0 && bind(nfd, (struct sockaddr *)&na, sizeof na) == 0);

    pid_t pid = start_activated((const int[]){dfd, tfd}, 2, npath, dir);
    close(dfd);
    close(tfd);
    char msg[256] = "";
    struct pollfd p = {.fd = nfd, .events = POLLIN};
    if (poll(&p, 1, 10000) > 0) {
        ssize_t n = recv(nfd, msg, sizeof msg - 1, 0);
        msg[n > 0 ? n : 0] = '\0';
    }
    CHECK(strstr(msg, "READY=1") != NULL);
    struct http_reply r;
    CHECK(http_post_json(dpath, "/Version", "{}", &r) && r.status == 200);
    http_reply_free(&r);
    CHECK(http_unix(tpath, "POST", "/prpc/Tappd.Version", "application/json", "{}", &r) &&
          r.status == 200);
    http_reply_free(&r);
    /* The configured ./dstack.sock was not bound: the activated fd replaced it. */
    char own[160];
    snprintf(own, sizeof own, "%s/dstack.sock", dir);
    CHECK(access(own, F_OK) != 0);
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(nfd);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    (void)system(cmd);
}

/* A socket-activated TCP socket outlives the agent: systemd keeps it, with what is queued, for the
 * next instance. The agent's graceful stop must leave it as it found it (no SYN-dropping filter
 * left attached), so a client connecting after the stop completes its handshake. */
static void test_tcp_activation_outlives_stop(void)
{
    char dir[] = "/tmp/dstack-it-sdtcp-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    CHECK(lfd >= 0 && bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(lfd, 16) == 0 &&
          getsockname(lfd, (struct sockaddr *)&sa, &len) == 0);
    pid_t pid = start_activated(&lfd, 1, NULL, dir);
    long status = 0; /* this process keeps lfd open, as systemd does */
    for (int i = 0; i < 200 && status == 0; i++) {
        status = tcp_version(ntohs(sa.sin_port));
        if (status == 0) {
            usleep(50000);
        }
    }
    CHECK(status != 0);
    kill(pid, SIGTERM);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int rc = connect(c, (struct sockaddr *)&sa, sizeof sa);
    struct pollfd out = {.fd = c, .events = POLLOUT};
    int so_error = -1;
    socklen_t elen = sizeof so_error;
    bool connected =
        rc == 0 || (errno == EINPROGRESS && poll(&out, 1, 2500) == 1 &&
                    getsockopt(c, SOL_SOCKET, SO_ERROR, &so_error, &elen) == 0 && so_error == 0);
    CHECK(connected); /* with a SYN filter left behind, every SYN is dropped and this times out */
    struct pollfd in = {.fd = lfd, .events = POLLIN};
    int next = poll(&in, 1, 2000) == 1 ? accept(lfd, NULL, NULL) : -1;
    CHECK(next >= 0); /* queued for the next instance */
    if (next >= 0) {
        close(next);
    }
    close(c);
    close(lfd);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    (void)system(cmd);
}

static void test_startup_refusals(void)
{
    static const struct {
        const char *args;
        const char *message;
    } cases[] = {
        {"--keys /nonexistent/appkeys.json", "/nonexistent/appkeys.json"},
        {"--listen 127.0.0.1:99999", "invalid port"},
        {"--threads many", "--threads: invalid value"},
        {"-c /nonexistent/agent.json", "config file /nonexistent/agent.json"},
        {"--backend quantum", "unknown TEE backend \"quantum\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char dir[] = "/tmp/dstack-it-refuse-XXXXXX";
        CHECK(mkdtemp(dir) != NULL);
        char cmd[700];
        snprintf(cmd, sizeof cmd,
                 "%s --dir %s %s >%s/out 2>&1; test $? -ne 0 && grep -qF -- '%s' %s/out",
                 DSTACK_SIMULATOR_BIN, dir, cases[i].args, dir, cases[i].message, dir);
        int rc = system(cmd);
        if (rc != 0) {
            fprintf(stderr, "refusal case %zu (%s) failed\n", i, cases[i].args);
        }
        CHECK(rc == 0);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        (void)system(cmd);
    }
}

/* GpuInfo: the report file verbatim, "" when it is absent (docs/api/GpuInfo.md). */
static void test_gpu_info(void)
{
    char path[] = "/tmp/dstack-it-gpu-XXXXXX";
    int fd = mkstemp(path);
    const char *report = "{\"gpus\": [\"H100\"],\n \"verdict\": \"pass\"}\n";
    CHECK(fd >= 0 && write(fd, report, strlen(report)) == (ssize_t)strlen(report));
    close(fd);
    struct sim s;
    const char *args[] = {"--gpu-attestation", path, NULL};
    if (!sim_start(&s, args)) {
        CHECK(false);
        unlink(path);
        return;
    }
    struct http_reply r;
    CHECK(http_post_json(s.dstack_sock, "/GpuInfo", "{}", &r) && r.status == 200);
    CHECK_STR(r.body, "{\"attestation\":\"{\\\"gpus\\\": [\\\"H100\\\"],\\n "
                      "\\\"verdict\\\": \\\"pass\\\"}\\n\"}");
    http_reply_free(&r);
    unlink(path); /* gone: the next call answers "" */
    CHECK(http_post_json(s.dstack_sock, "/GpuInfo", "{}", &r) && r.status == 200);
    CHECK_STR(r.body, "{\"attestation\":\"\"}");
    http_reply_free(&r);
    CHECK(sim_stop(&s) == 0);
}

/* The harness's log scan bites: a log holding the app key makes sim_stop fail. */
static void test_log_scan_detects_a_key(void)
{
    char keys[512];
    snprintf(keys, sizeof keys, "%s/upstream/simulator/appkeys.json", DSTACK_FIXTURE_DIR);
    cJSON *k = json_parse_file(keys, 1u << 20, 0, NULL);
    const char *k256 = json_str(json_get(k, "k256_key"));
    if (k256 == NULL) {
        json_free(k);
        return; /* no fixtures: nothing to plant */
    }
    struct sim s = {.pid = -1, .upstream = true};
    snprintf(s.dir, sizeof s.dir, "/tmp/dstack-it-scan-XXXXXX");
    CHECK(mkdtemp(s.dir) != NULL);
    char path[400];
    snprintf(path, sizeof path, "%s/simulator.log", s.dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "2026-01-01T00:00:00Z debug leaked %s here\n", k256);
    fclose(f);
    CHECK(sim_stop(&s) == 98);
    json_free(k);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_tcp_restricted_and_modes();
    test_stale_socket_replaced();
    test_reuse_false();
    test_keep_alive_off();
    test_socket_activation_and_notify();
    test_tcp_activation_outlives_stop();
    test_startup_refusals();
    test_gpu_info();
    test_log_scan_detects_a_key();
    return check_exit();
}
