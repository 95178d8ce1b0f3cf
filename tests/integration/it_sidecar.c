/* dstack-quote-sidecar against the real simulator, over loopback TCP driven with libcurl
 * (issue 8): every route, the seed README's curl examples verbatim, quotes whose REPORTDATA is
 * the padded data and whose RTMRs equal the `rtmrs` object and the event-log replay, /attest
 * decodable, every refusal with its status, bounded agent connections under a flood, an agent
 * that goes away and comes back (the sidecar README's HTTP simulator set-up), start-up refusals,
 * and a graceful SIGTERM with requests in flight. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include "json/json.h"
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dstack/attest.h>
#include <dstack/quote.h>

#include "attest/versioned.h"
#include "check.h"
#include "harness.h"
#include "util/hex.h"
#include "util/error.h"

#ifndef DSTACK_SIDECAR_BIN
int main(void)
{
    printf("FAIL: dstack-quote-sidecar is not part of this build\n");
    return 1;
}
#else

struct sidecar_proc {
    pid_t pid;
    int port;
    char log[400];
};

static char tmpdir[64];
static char *root_pem;

static int free_tcp_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0) {
        port = ntohs(sa.sin_port);
    }
    if (fd >= 0) {
        close(fd);
    }
    return port;
}

static bool port_answers(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

/* Runs the sidecar with a clean environment plus `env` (NAME=value, NULL-terminated) and `args`.
 * Its stderr goes to a log file. When wait_port > 0, waits until that port answers. */
static pid_t spawn_sidecar(const char *const *env, const char *const *args, const char *log)
{
    const char *argv[32];
    size_t n = 0;
    argv[n++] = DSTACK_SIDECAR_BIN;
    for (size_t i = 0; args != NULL && args[i] != NULL && n < 31; i++) {
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        unsetenv("DSTACK_SIMULATOR_ENDPOINT");
        unsetenv("RUST_LOG");
        for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
            putenv((char *)env[i]);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static bool sidecar_start(struct sidecar_proc *p, const char *name, const char *const *env,
                          const char *const *extra_args)
{
    char port_s[16];
    p->port = free_tcp_port();
    snprintf(port_s, sizeof port_s, "%d", p->port);
    snprintf(p->log, sizeof p->log, "%s/%s.log", tmpdir, name);
    const char *args[24] = {"--host", "127.0.0.1", "--port", port_s};
    size_t n = 4;
    for (size_t i = 0; extra_args != NULL && extra_args[i] != NULL && n < 23; i++) {
        args[n++] = extra_args[i];
    }
    args[n] = NULL;
    p->pid = spawn_sidecar(env, args, p->log);
    for (int i = 0; i < 500; i++) {
        if (port_answers(p->port)) {
            return true;
        }
        int st;
        if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
            fprintf(stderr, "sidecar %s exited during start-up\n", name);
            p->pid = -1;
            return false;
        }
        usleep(20000);
    }
    fprintf(stderr, "sidecar %s did not open port %d\n", name, p->port);
    return false;
}

/* SIGTERM and wait; the exit status (128+signal when killed). */
static int sidecar_stop(struct sidecar_proc *p)
{
    int st = 0;
    if (p->pid <= 0) {
        return -1;
    }
    kill(p->pid, SIGTERM);
    waitpid(p->pid, &st, 0);
    p->pid = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- HTTP with libcurl --------------------------------------------------------------------- */

struct reply {
    long status;
    CURLcode rc;
    char *body;
    size_t len;
    char headers[4096];
    size_t hlen;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct reply *r = ud;
    size_t k = size * n;
    char *nb = realloc(r->body, r->len + k + 1);
    if (nb == NULL) {
        return 0;
    }
    memcpy(nb + r->len, p, k);
    r->len += k;
    nb[r->len] = '\0';
    r->body = nb;
    return k;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct reply *r = ud;
    size_t k = size * n;
    if (k < sizeof r->headers - r->hlen) {
        memcpy(r->headers + r->hlen, p, k);
        r->hlen += k;
        r->headers[r->hlen] = '\0';
    }
    return k;
}

/* One request; `path` is sent as written (curl does not re-encode it). */
static struct reply http(int port, const char *method, const char *path)
{
    struct reply r = {0};
    char url[70000];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{}");
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    r.rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_cleanup(c);
    if (r.body == NULL) {
        r.body = strdup("");
    }
    return r;
}

static void reply_free(struct reply *r)
{
    free(r->body);
    r->body = NULL;
}

static cJSON *get_json(int port, const char *path, long want_status)
{
    struct reply r = http(port, "GET", path);
    if (r.status != want_status) {
        fprintf(stderr, "GET %s: status %ld (curl %d), want %ld: %s\n", path, r.status, (int)r.rc,
                want_status, r.body);
    }
    CHECK(r.status == want_status);
    CHECK(strstr(r.headers, "Content-Type: application/json\r\n") != NULL);
    cJSON *j = json_parse(r.body, strlen(r.body), 0, NULL);
    CHECK(j != NULL);
    reply_free(&r);
    return j;
}

/* GET path answers want_status with exactly {"error": want_error}. */
static void expect_error(int port, const char *method, const char *path, long want_status,
                         const char *want_error)
{
    struct reply r = http(port, method, path);
    if (r.status != want_status) {
        fprintf(stderr, "%s %.80s: status %ld, want %ld: %s\n", method, path, r.status, want_status,
                r.body);
    }
    CHECK(r.status == want_status);
    if (want_error != NULL) {
        cJSON *j = json_parse(r.body, strlen(r.body), 0, NULL);
        CHECK(j != NULL && (size_t)cJSON_GetArraySize(j) == 1);
        CHECK_STR(json_str(json_get(j, "error")), want_error);
        json_free(j);
    }
    reply_free(&r);
}

/* ---- checks on /quote and /attest answers -------------------------------------------------- */

static void check_quote_answer(cJSON *j, const uint8_t *data, size_t len)
{
    uint8_t want_rd[DSTACK_REPORT_DATA_LEN] = {0};
    memcpy(want_rd, data, len);
    /* Exactly these five fields, in this order. */
    static const char *const keys[] = {"quote", "event_log", "vm_config", "report_data", "rtmrs"};
    CHECK((size_t)cJSON_GetArraySize(j) == 5);
    const cJSON *it = j != NULL ? j->child : NULL;
    for (size_t i = 0; i < 5 && it != NULL; i++, it = it->next) {
        CHECK_STR(it->string, keys[i]);
    }
    const char *qh = json_str(json_get(j, "quote"));
    const char *ev = json_str(json_get(j, "event_log"));
    const char *rdh = json_str(json_get(j, "report_data"));
    const char *vm = json_str(json_get(j, "vm_config"));
    const cJSON *rt = json_get(j, "rtmrs");
    CHECK(qh != NULL && ev != NULL && rdh != NULL && vm != NULL && cJSON_IsObject(rt));
    if (qh == NULL || ev == NULL || rdh == NULL || vm == NULL || !cJSON_IsObject(rt)) {
        return;
    }
    /* vm_config is the agent's JSON text. */
    cJSON *vmj = json_parse(vm, strlen(vm), 0, NULL);
    CHECK(cJSON_IsObject(vmj));
    json_free(vmj);
    CHECK_HEX(want_rd, sizeof want_rd, rdh);

    uint8_t *q = NULL;
    size_t qlen = 0;
    CHECK(hex_decode_alloc(qh, strlen(qh), &q, &qlen) == DSTACK_OK);
    struct dstack_quote pq;
    CHECK(dstack_quote_parse(q, qlen, &pq) == DSTACK_OK);
    CHECK(memcmp(pq.report.report_data, want_rd, sizeof want_rd) == 0);
    err_clear();
    dstack_err ve = dstack_quote_verify(q, qlen, root_pem, strlen(root_pem));
    if (ve != DSTACK_OK) {
        fprintf(stderr, "quote verify: %s\n", err_text());
    }
    CHECK(ve == DSTACK_OK);

    struct dstack_event_log log;
    dstack_event_log_init(&log);
    uint8_t replay[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
    CHECK(dstack_event_log_parse(ev, strlen(ev), &log) == DSTACK_OK);
    CHECK(dstack_replay_rtmrs(&log, replay) == DSTACK_OK);
    CHECK((size_t)cJSON_GetArraySize(rt) == DSTACK_RTMR_COUNT);
    for (int i = 0; i < DSTACK_RTMR_COUNT; i++) {
        char key[8] = "rtmr0";
        key[4] = (char)('0' + i);
        const char *got = json_str(json_get(rt, key));
        CHECK(got != NULL && strlen(got) == 2 * DSTACK_MR_LEN);
        if (got != NULL) {
            CHECK_HEX(pq.report.rtmr[i], DSTACK_MR_LEN, got); /* = the quote's RTMR */
            CHECK_HEX(replay[i], DSTACK_MR_LEN, got);         /* = the replayed event log */
        }
    }
    dstack_event_log_free(&log);
    free(q);
}

static void check_attest_answer(cJSON *j, const uint8_t *data, size_t len)
{
    uint8_t want_rd[DSTACK_REPORT_DATA_LEN] = {0};
    memcpy(want_rd, data, len);
    CHECK((size_t)cJSON_GetArraySize(j) == 1);
    const char *ah = json_str(json_get(j, "attestation"));
    CHECK(ah != NULL);
    uint8_t *a = NULL;
    size_t alen = 0;
    CHECK(ah != NULL && hex_decode_alloc(ah, strlen(ah), &a, &alen) == DSTACK_OK);
    CHECK(alen > 0);
    if (alen > 0 && a[0] == 0x00) { /* V0 SCALE: decode it fully */
        struct versioned_attestation va;
        CHECK(versioned_decode(a, alen, &va) == DSTACK_OK);
        CHECK(memcmp(va.report_data, want_rd, sizeof want_rd) == 0);
        struct dstack_quote pq;
        CHECK(dstack_quote_parse(va.quote, va.quote_len, &pq) == DSTACK_OK);
        CHECK(memcmp(pq.report.report_data, want_rd, sizeof want_rd) == 0);
        versioned_free(&va);
    } else if (alen > 0) { /* V1 msgpack: a map */
        CHECK((a[0] & 0xf0) == 0x80 || a[0] == 0xde || a[0] == 0xdf);
    }
    free(a);
}

/* ---- the tests ----------------------------------------------------------------------------- */

static void test_meta_routes(int port)
{
    cJSON *j = get_json(port, "/", 200);
    CHECK((size_t)cJSON_GetArraySize(j) == 2);
    CHECK_STR(json_str(json_get(j, "service")), "dstack-quote-sidecar");
    const char *ts = json_str(json_get(j, "timestamp"));
    /* RFC 3339, UTC, Z, microseconds, and now. */
    CHECK(ts != NULL && strlen(ts) == 27 && ts[4] == '-' && ts[10] == 'T' && ts[19] == '.' &&
          ts[26] == 'Z');
    if (ts != NULL && strlen(ts) == 27) {
        struct tm tm = {0};
        CHECK(strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm) == ts + 19);
        long skew = (long)(timegm(&tm) - time(NULL));
        CHECK(skew > -5 && skew < 5);
        for (int i = 20; i < 26; i++) {
            CHECK(ts[i] >= '0' && ts[i] <= '9');
        }
    }
    json_free(j);

    struct reply r = http(port, "GET", "/health");
    CHECK(r.status == 200);
    CHECK_STR(r.body, "{\"status\":\"ok\"}");
    CHECK(strstr(r.headers, "Cache-Control: no-store\r\n") != NULL);
    reply_free(&r);
    r = http(port, "GET", "/ready");
    CHECK(r.status == 200);
    CHECK_STR(r.body, "{\"status\":\"ready\"}");
    reply_free(&r);
    r = http(port, "HEAD", "/health");
    CHECK(r.status == 200 && r.len == 0);
    reply_free(&r);
}

/* The seed README's examples, verbatim paths. */
static void test_seed_examples(int port)
{
    static const struct {
        const char *path;
        const char *data;
        bool quote;
    } cases[] = {
        {"/quote", "hello world", true},
        {"/quote?data=user:alice:nonce123", "user:alice:nonce123", true},
        {"/quote?data=test123", "test123", true},
        {"/attest", "hello world", false},
        {"/attest?data=my-app-state", "my-app-state", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *j = get_json(port, cases[i].path, 200);
        if (cases[i].quote) {
            check_quote_answer(j, (const uint8_t *)cases[i].data, strlen(cases[i].data));
        } else {
            check_attest_answer(j, (const uint8_t *)cases[i].data, strlen(cases[i].data));
        }
        json_free(j);
    }
}

static void test_query_forms(int port)
{
    /* Percent-encoding and '+' decode to the same bytes. */
    cJSON *j = get_json(port, "/quote?data=hello%20world", 200);
    check_quote_answer(j, (const uint8_t *)"hello world", 11);
    json_free(j);
    j = get_json(port, "/quote?data=caf%C3%A9+%E2%82%AC", 200);
    check_quote_answer(j, (const uint8_t *)"caf\xc3\xa9 \xe2\x82\xac", 9);
    json_free(j);
    /* Exactly 64 bytes. */
    const char *d64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char path[256];
    snprintf(path, sizeof path, "/quote?data=%s", d64);
    j = get_json(port, path, 200);
    check_quote_answer(j, (const uint8_t *)d64, 64);
    json_free(j);
    /* hex= for binary report data, NUL and 0xff bytes included. */
    static const uint8_t bin[] = {0x00, 0xff, 0x10, 0x00, 0x80, 0x7f};
    j = get_json(port, "/quote?hex=00ff1000807f", 200);
    check_quote_answer(j, bin, sizeof bin);
    json_free(j);
    uint8_t full[64];
    char hex[2 * 64 + 1];
    for (size_t i = 0; i < sizeof full; i++) {
        full[i] = (uint8_t)(0xff - i);
    }
    hex_encode(full, sizeof full, hex);
    snprintf(path, sizeof path, "/attest?hex=%s", hex);
    j = get_json(port, path, 200);
    check_attest_answer(j, full, sizeof full);
    json_free(j);
    /* ?data= (present, empty): 64 zero bytes. */
    j = get_json(port, "/quote?data=", 200);
    check_quote_answer(j, (const uint8_t *)"", 0);
    json_free(j);
}

static void test_bad_inputs(int port)
{
    const char *d65 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefX";
    char path[70000];
    snprintf(path, sizeof path, "/quote?data=%s", d65);
    expect_error(port, "GET", path, 400,
                 "Failed to get quote: data must be at most 64 bytes, got 65");
    snprintf(path, sizeof path, "/attest?data=%s", d65);
    expect_error(port, "GET", path, 400, "Failed to attest: data must be at most 64 bytes, got 65");
    expect_error(port, "GET", "/quote?data=%zz", 400,
                 "Failed to get quote: invalid percent-encoding in the query string ('%' must be "
                 "followed by two hex digits)");
    expect_error(port, "GET", "/quote?data=ok&nonce=1", 400,
                 "Failed to get quote: unknown query parameter \"nonce\" (expected data or hex)");
    expect_error(port, "GET", "/attest?data=a&hex=00", 400,
                 "Failed to attest: give either data or hex, not both");
    expect_error(port, "GET", "/quote?hex=xyz", 400,
                 "Failed to get quote: hex must be an even number of hex digits (0-9, a-f)");
    expect_error(port, "GET", "/quote?data=%ff", 400,
                 "Failed to get quote: data is not valid UTF-8; send binary report data as hex=");
    expect_error(port, "GET", "/quote?data=a&data=b", 400,
                 "Failed to get quote: query parameter \"data\" given more than once");
    /* A long query string: ours (414 with JSON), then one past libmicrohttpd's buffer. */
    memcpy(path, "/quote?data=", 12);
    memset(path + 12, 'a', 5000);
    path[5012] = '\0';
    expect_error(port, "GET", path, 414,
                 "Failed to get quote: query string too long (5005 bytes, at most 4096)");
    memset(path + 12, 'a', 66000);
    path[66012] = '\0';
    struct reply r = http(port, "GET", path);
    CHECK(r.status == 414 || r.status == 431);
    reply_free(&r);
    /* Methods and paths. */
    r = http(port, "POST", "/quote");
    CHECK(r.status == 405);
    CHECK(strstr(r.headers, "Allow: GET, HEAD\r\n") != NULL);
    CHECK_STR(r.body, "{\"error\":\"Method not allowed: POST /quote: use GET\"}");
    reply_free(&r);
    expect_error(port, "DELETE", "/", 405, "Method not allowed: DELETE /: use GET");
    expect_error(port, "PUT", "/attest", 405, "Method not allowed: PUT /attest: use GET");
    expect_error(port, "GET", "/nope", 404,
                 "Not found: no route for /nope (routes: /, /health, /ready, /quote, /attest, "
                 "/info)");
    expect_error(port, "GET", "/quote/", 404, NULL);
    expect_error(port, "POST", "/nope", 404, NULL);
    /* Still serving after all of that. */
    cJSON *j = get_json(port, "/quote?data=after", 200);
    check_quote_answer(j, (const uint8_t *)"after", 5);
    json_free(j);
}

static void test_info(int port, const struct sim *s)
{
    cJSON *j = get_json(port, "/info", 200);
    struct http_reply direct;
    CHECK(http_post_json(s->dstack_sock, "/Info", "{}", &direct) && direct.status == 200);
    cJSON *d = json_parse(direct.body, strlen(direct.body), 0, NULL);
    CHECK(d != NULL && cJSON_Compare(j, d, true));
    CHECK(json_str(json_get(j, "app_id")) != NULL);
    CHECK(cJSON_IsString(json_get(j, "tcb_info")));
    json_free(d);
    http_reply_free(&direct);
    json_free(j);
}

/* The log: one line per request with method, path, status and duration; never a query string,
 * a quote or report data. */
static void test_log_lines(const struct sidecar_proc *p, const char *quote_fragment)
{
    char *log = check_read_text(p->log);
    CHECK(log != NULL);
    if (log == NULL) {
        return;
    }
    CHECK(strstr(log, " INFO GET /quote 200 ") != NULL);
    CHECK(strstr(log, " INFO GET /quote 400 ") != NULL);
    CHECK(strstr(log, " INFO POST /quote 405 ") != NULL);
    CHECK(strstr(log, " INFO GET /nope 404 ") != NULL);
    CHECK(strstr(log, "ms\n") != NULL);
    CHECK(strstr(log, "user:alice") == NULL);
    CHECK(strstr(log, "my-app-state") == NULL);
    CHECK(strstr(log, "?data") == NULL);
    CHECK(quote_fragment == NULL || strstr(log, quote_fragment) == NULL);
    free(log);
}

/* Agent connections open right now: connected sockets on the agent's path in /proc/net/unix
 * (the accepted side of every connection shows the listening socket's path). */
static int agent_connections(const char *sock_path)
{
    FILE *f = fopen("/proc/net/unix", "r");
    if (f == NULL) {
        return -1;
    }
    char line[1024];
    int n = 0;
    size_t plen = strlen(sock_path);
    while (fgets(line, sizeof line, f) != NULL) {
        size_t len = strcspn(line, "\n");
        line[len] = '\0';
        /* Num RefCount Protocol Flags Type St Inode Path; St 03 = connected. */
        if (len >= plen && strcmp(line + len - plen, sock_path) == 0 && strstr(line, " 03 ")) {
            n++;
        }
    }
    fclose(f);
    return n;
}

struct flood {
    int port;
    int requests;
    atomic_int ok;
    atomic_int answered; /* any complete HTTP answer */
    atomic_int refused;  /* could not connect, or reset before the request left (shutdown) */
    atomic_int broken;   /* the request was sent but no complete answer came: must stay 0 */
    atomic_bool stop;
};

static void *flood_worker(void *arg)
{
    struct flood *f = arg;
    for (int i = 0; i < f->requests && !atomic_load(&f->stop); i++) {
        struct reply r = http(f->port, "GET", "/quote?data=flood");
        if (r.rc == CURLE_OK) {
            atomic_fetch_add(&f->answered, 1);
            if (r.status == 200 && r.len > 1000) {
                atomic_fetch_add(&f->ok, 1);
            }
        } else if (r.rc == CURLE_COULDNT_CONNECT || r.rc == CURLE_SEND_ERROR) {
            /* A send error means not one byte of the request left: the kernel completed the
             * handshake after the sidecar's last accept, and closing the listening socket reset
             * the never-accepted connection. The server narrows that window (new handshakes are
             * stopped first, srv_listen_stop_new) but cannot shut it on a loaded machine;
             * the request never reached it, so it counts as a refusal. */
            atomic_fetch_add(&f->refused, 1);
            atomic_store(&f->stop, true);
        } else {
            fprintf(stderr, "flood: curl error %d (%s)\n", (int)r.rc, curl_easy_strerror(r.rc));
            atomic_fetch_add(&f->broken, 1);
        }
        reply_free(&r);
    }
    return NULL;
}

struct sampler {
    const char *sock;
    atomic_bool stop;
    int max;
};

static void *sample_connections(void *arg)
{
    struct sampler *s = arg;
    while (!atomic_load(&s->stop)) {
        int n = agent_connections(s->sock);
        if (n > s->max) {
            s->max = n;
        }
        usleep(2000);
    }
    return NULL;
}

/* 32 clients against --agent-concurrency 2: every request answered 200, never more than 2
 * connections to the agent. */
static void test_bounded_agent_connections(const struct sim *s, const char *const *env)
{
    struct sidecar_proc p;
    const char *args[] = {"--threads", "32", "--agent-concurrency", "2", NULL};
    CHECK(sidecar_start(&p, "flood", env, args));
    if (p.pid <= 0) {
        return;
    }
    int before = agent_connections(s->dstack_sock);
    enum { CLIENTS = 32, EACH = 6 };
    struct flood f = {.port = p.port, .requests = EACH};
    struct sampler smp = {.sock = s->dstack_sock, .max = 0};
    pthread_t sampler, th[CLIENTS];
    pthread_create(&sampler, NULL, sample_connections, &smp);
    for (int i = 0; i < CLIENTS; i++) {
        pthread_create(&th[i], NULL, flood_worker, &f);
    }
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(th[i], NULL);
    }
    atomic_store(&smp.stop, true);
    pthread_join(sampler, NULL);
    printf("flood: %d/%d ok, agent connections at most %d (before %d)\n", atomic_load(&f.ok),
           CLIENTS * EACH, smp.max, before);
    CHECK(atomic_load(&f.ok) == CLIENTS * EACH);
    CHECK(smp.max - before <= 2);
    CHECK(smp.max - before >= 1);
    CHECK(sidecar_stop(&p) == 0);
}

/* SIGTERM while 16 clients keep /quote busy: every request that got through is answered in
 * full, the rest are refused at connect, and the exit status is 0. */
static void test_graceful_shutdown(const char *const *env)
{
    struct sidecar_proc p;
    CHECK(sidecar_start(&p, "shutdown", env, NULL));
    if (p.pid <= 0) {
        return;
    }
    enum { CLIENTS = 16 };
    struct flood f = {.port = p.port, .requests = 1000000};
    pthread_t th[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        pthread_create(&th[i], NULL, flood_worker, &f);
    }
    while (atomic_load(&f.answered) < 64) {
        usleep(2000);
    }
    int status = sidecar_stop(&p);
    atomic_store(&f.stop, true);
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(th[i], NULL);
    }
    printf("shutdown: %d answered (%d ok), %d refused, %d broken, exit %d\n",
           atomic_load(&f.answered), atomic_load(&f.ok), atomic_load(&f.refused),
           atomic_load(&f.broken), status);
    CHECK(status == 0);
    CHECK(atomic_load(&f.broken) == 0);
    CHECK(atomic_load(&f.ok) == atomic_load(&f.answered));
    char *log = check_read_text(p.log);
    CHECK(log != NULL && strstr(log, "received SIGTERM, shutting down gracefully") != NULL);
    CHECK(log != NULL && strstr(log, "shutdown complete") != NULL);
    free(log);
}

/* The sidecar README's development set-up: the simulator on HTTP,
 * DSTACK_SIMULATOR_ENDPOINT=http://... Then the agent goes away (502, readiness 503) and comes back
 * (recovery). */
static void test_agent_down_and_back(void)
{
    int sim_port = free_tcp_port();
    char listen_arg[64], endpoint_env[128];
    snprintf(listen_arg, sizeof listen_arg, "127.0.0.1:%d", sim_port);
    snprintf(endpoint_env, sizeof endpoint_env, "DSTACK_SIMULATOR_ENDPOINT=http://localhost:%d",
             sim_port);
    const char *sim_args[] = {"--listen", listen_arg, NULL};
    struct sim s1;
    CHECK(sim_start(&s1, sim_args));
    const char *env[] = {endpoint_env, "RUST_LOG=debug", NULL};
    struct sidecar_proc p;
    CHECK(sidecar_start(&p, "http-agent", env, (const char *const[]){"--timeout", "3", NULL}));
    cJSON *j = get_json(p.port, "/quote?data=test123", 200);
    CHECK((size_t)cJSON_GetArraySize(j) == 5);
    json_free(j);
    expect_error(p.port, "GET", "/ready", 200, NULL);

    CHECK(sim_stop(&s1) == 0);
    struct reply r = http(p.port, "GET", "/quote?data=test123");
    CHECK(r.status == 502);
    CHECK(strncmp(r.body, "{\"error\":\"Failed to get quote: ", 31) == 0);
    CHECK(strstr(r.body, "onnect") != NULL || strstr(r.body, "refused") != NULL);
    reply_free(&r);
    r = http(p.port, "GET", "/attest");
    CHECK(r.status == 502 && strncmp(r.body, "{\"error\":\"Failed to attest: ", 28) == 0);
    reply_free(&r);
    r = http(p.port, "GET", "/info");
    CHECK(r.status == 502 && strncmp(r.body, "{\"error\":\"Failed to get info: ", 30) == 0);
    reply_free(&r);
    r = http(p.port, "GET", "/ready");
    CHECK(r.status == 503);
    char want[160];
    snprintf(want, sizeof want,
             "{\"error\":\"Not ready: the dstack agent at http://localhost:%d is not reachable\"}",
             sim_port);
    CHECK_STR(r.body, want);
    reply_free(&r);
    expect_error(p.port, "GET", "/health", 200, NULL); /* liveness does not depend on it */

    struct sim s2;
    CHECK(sim_start(&s2, sim_args));
    expect_error(p.port, "GET", "/ready", 200, NULL);
    j = get_json(p.port, "/quote?data=back", 200);
    CHECK((size_t)cJSON_GetArraySize(j) == 5);
    json_free(j);
    CHECK(sidecar_stop(&p) == 0);
    CHECK(sim_stop(&s2) == 0);

    /* An agent socket that does not exist at start-up: the sidecar starts, says so, and answers
     * 502 / 503 with the SDK's text. */
    char missing[300], missing_env[400];
    snprintf(missing, sizeof missing, "%s/absent.sock", tmpdir);
    snprintf(missing_env, sizeof missing_env, "DSTACK_SIMULATOR_ENDPOINT=%s", missing);
    const char *env2[] = {missing_env, NULL};
    CHECK(sidecar_start(&p, "no-agent", env2, NULL));
    char msg[512];
    snprintf(msg, sizeof msg, "Failed to get quote: Unix socket file %s does not exist", missing);
    expect_error(p.port, "GET", "/quote", 502, msg);
    snprintf(msg, sizeof msg, "Not ready: Unix socket file %s does not exist", missing);
    expect_error(p.port, "GET", "/ready", 503, msg);
    CHECK(sidecar_stop(&p) == 0);
}

/* Bad configuration stops start-up with a clear message and a non-zero status. */
static void test_startup_refusals(void)
{
    static const struct {
        const char *env[3];
        const char *args[4];
        int status;
        const char *msg;
    } cases[] = {
        {{"QUOTE_SIDECAR__SERVER__PORT=99999"},
         {NULL},
         2,
         "dstack-quote-sidecar: QUOTE_SIDECAR__SERVER__PORT: invalid port \"99999\" (expected "
         "0-65535)\n"},
        {{"QUOTE_SIDECAR_SERVER__PORT=http"},
         {NULL},
         2,
         "dstack-quote-sidecar: QUOTE_SIDECAR_SERVER__PORT: invalid port \"http\" (expected "
         "0-65535)\n"},
        {{"QUOTE_SIDECAR__SERVER__HOST=not a host"},
         {NULL},
         2,
         "dstack-quote-sidecar: QUOTE_SIDECAR__SERVER__HOST: invalid host \"not a host\" "
         "(expected an IP address or a host name)\n"},
        {{"QUOTE_SIDECAR__SERVER__PORT=1", "QUOTE_SIDECAR_SERVER__PORT=2"},
         {NULL},
         2,
         "dstack-quote-sidecar: QUOTE_SIDECAR__SERVER__PORT=\"1\" and "
         "QUOTE_SIDECAR_SERVER__PORT=\"2\" disagree; set only one of them\n"},
        {{NULL},
         {"--port", "-5"},
         2,
         "dstack-quote-sidecar: --port: invalid port \"-5\" (expected 0-65535)\n"},
        {{"QUOTE_SIDECAR__SERVER__HOST=no-such-host.invalid", "QUOTE_SIDECAR__SERVER__PORT=0"},
         {NULL},
         1,
         "dstack-quote-sidecar: invalid host \"no-such-host.invalid\": "},
        {{"QUOTE_SIDECAR__SERVER__HOST=192.0.2.1", "QUOTE_SIDECAR__SERVER__PORT=0"},
         {NULL},
         1,
         "dstack-quote-sidecar: cannot listen on 192.0.2.1:0: Cannot assign requested address\n"},
    };
    char log[400];
    snprintf(log, sizeof log, "%s/refusal.log", tmpdir);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pid_t pid = spawn_sidecar(cases[i].env, cases[i].args, log);
        int st = 0;
        waitpid(pid, &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == cases[i].status);
        char *out = check_read_text(log);
        const char *line = out != NULL ? strstr(out, "dstack-quote-sidecar: ") : NULL;
        if (line == NULL || strncmp(line, cases[i].msg, strlen(cases[i].msg)) != 0) {
            fprintf(stderr, "refusal %zu: got %s\n", i, out ? out : "(nothing)");
        }
        CHECK(line != NULL && strncmp(line, cases[i].msg, strlen(cases[i].msg)) == 0);
        free(out);
    }
    /* The port in use. */
    int busy = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    CHECK(bind(busy, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(busy, 1) == 0 &&
          getsockname(busy, (struct sockaddr *)&sa, &len) == 0);
    char port_s[16], want[128];
    snprintf(port_s, sizeof port_s, "%d", ntohs(sa.sin_port));
    snprintf(want, sizeof want,
             "dstack-quote-sidecar: cannot listen on 127.0.0.1:%s: Address already in use\n",
             port_s);
    const char *args[] = {"--host", "127.0.0.1", "--port", port_s, NULL};
    pid_t pid = spawn_sidecar(NULL, args, log);
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    char *out = check_read_text(log);
    CHECK(out != NULL && strstr(out, want) != NULL);
    free(out);
    close(busy);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dstack-it-sidecar-XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_startup_refusals();

    struct sim s;
    if (!sim_start(&s, NULL)) {
        return 1;
    }
    root_pem = sim_quote_root(&s);
    CHECK(root_pem != NULL);

    char endpoint_env[400];
    snprintf(endpoint_env, sizeof endpoint_env, "DSTACK_SIMULATOR_ENDPOINT=%s", s.dstack_sock);
    /* Host and port from the README's variable names (the flags are not used here). */
    int port = free_tcp_port();
    char port_env[64];
    snprintf(port_env, sizeof port_env, "QUOTE_SIDECAR__SERVER__PORT=%d", port);
    const char *env[] = {endpoint_env, port_env, "QUOTE_SIDECAR__SERVER__HOST=127.0.0.1",
                         "RUST_LOG=info", NULL};
    struct sidecar_proc main_p = {.port = port};
    snprintf(main_p.log, sizeof main_p.log, "%s/main.log", tmpdir);
    main_p.pid = spawn_sidecar(env, NULL, main_p.log);
    for (int i = 0; i < 500 && !port_answers(port); i++) {
        usleep(20000);
    }
    CHECK(port_answers(port));

    test_meta_routes(port);
    test_seed_examples(port);
    test_query_forms(port);
    test_bad_inputs(port);
    test_info(port, &s);
    /* A slice of a real quote must never reach the log. */
    cJSON *j = get_json(port, "/quote?data=logcheck", 200);
    const char *qh = json_str(json_get(j, "quote"));
    char fragment[65] = "";
    if (qh != NULL && strlen(qh) > 2000) {
        memcpy(fragment, qh + 1000, 64);
    }
    CHECK(sidecar_stop(&main_p) == 0);
    test_log_lines(&main_p, fragment[0] ? fragment : NULL);
    json_free(j);

    const char *flood_env[] = {endpoint_env, NULL};
    test_bounded_agent_connections(&s, flood_env);
    test_graceful_shutdown(flood_env);
    CHECK(sim_stop(&s) == 0);

    test_agent_down_and_back();

    free(root_pem);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    (void)system(cmd);
    curl_global_cleanup();
    return check_exit();
}
#endif
