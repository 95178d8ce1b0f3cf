/* dstack-guest-agent --backend tdx against the fake TDX kernel (tests/unit/fake_tdx.h), over
 * its real sockets: GetQuote (verified, replayed to its own RTMRs), Info, EmitEvent, TdxQuote,
 * quote pressure (64 GetQuote at 500 ms per quote beside 8 GetKey clients), and the
 * measurement-mismatch refusal after a restart. */
#include <curl/curl.h>
#include "json/json.h"
#include <pthread.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dstack/attest.h>
#include <dstack/quote.h>

#include "check.h"
#include "fake_tdx.h"
#include "harness.h"
#include "util/hex.h"

static struct fake_tdx fk;
static char agent_bin[1024], dstack_sock[300], tappd_sock[300], agent_log[300], cfg_path[300];
static pid_t agent_pid = -1;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The agent's config; ccel and configfs replace the fake kernel's paths when not NULL (broken
 * devices for test_startup_never_fails). */
static bool write_config_with(const char *ccel, const char *configfs)
{
    const char *sh = DSTACK_FIXTURE_DIR "/upstream/simulator";
    char ccel_path[600];
    snprintf(ccel_path, sizeof ccel_path, "%s/upstream/tdx/ccel.bin", DSTACK_FIXTURE_DIR);
    snprintf(cfg_path, sizeof cfg_path, "%s/agent.json", fk.root);
    FILE *f = fopen(cfg_path, "w");
    if (f == NULL) {
        return false;
    }
    fprintf(f,
            "{\"default\": {\"log_level\": \"info\", \"core\": {"
            "\"keys_file\": \"%s/appkeys.json\", \"compose_file\": \"%s/app-compose.json\","
            "\"sys_config_file\": \"%s/sys-config.json\", \"tdx\": {"
            "\"configfs_dir\": \"%s\", \"rtmr_sysfs_dir\": \"%s\", \"runtime_log_dir\": \"%s\","
            "\"ccel_file\": \"%s\", \"device\": \"%s/none\","
            "\"attest_config\": \"%s/none\", \"quote_queue\": 8, \"quote_timeout_ms\": 3000}}}}\n",
            sh, sh, sh, configfs != NULL ? configfs : fk.report_dir, fk.rtmr_dir, fk.log_dir,
            ccel != NULL ? ccel : ccel_path, fk.root, fk.root);
    fclose(f);
    return true;
}

static bool write_config(void)
{
    return write_config_with(NULL, NULL);
}

static bool sock_connects(const char *path)
{
    struct sockaddr_un sa;
    if (!unix_addr(&sa, path)) {
        return false;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

static bool agent_start(void)
{
    char listen[320], listen_tappd[320];
    snprintf(listen, sizeof listen, "unix:%s", dstack_sock);
    snprintf(listen_tappd, sizeof listen_tappd, "unix:%s", tappd_sock);
    const char *argv[] = {agent_bin,    "--backend", "tdx",
                          "-c",         cfg_path,    "--no-default-listeners",
                          "--listen",   listen,      "--listen-tappd",
                          listen_tappd, NULL};
    agent_pid = fork();
    if (agent_pid == 0) {
        FILE *lf = freopen(agent_log, "a", stderr);
        (void)lf;
        dup2(2, 1);
        execv(agent_bin, (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 1000; i++) {
        struct http_reply r = {0};
        /* both listeners: the tappd one may come up a moment after the dstack one */
        if (sock_connects(dstack_sock) && sock_connects(tappd_sock) &&
            http_unix(dstack_sock, "GET", "/Version", NULL, NULL, &r) && r.status == 200) {
            http_reply_free(&r);
            return true;
        }
        http_reply_free(&r);
        int status;
        if (waitpid(agent_pid, &status, WNOHANG) == agent_pid) {
            agent_pid = -1;
            break;
        }
        usleep(20000);
    }
    fprintf(stderr, "the agent did not start; log:\n");
    char cmd[400];
    snprintf(cmd, sizeof cmd, "cat %s >&2", agent_log);
    (void)!system(cmd);
    return false;
}

static int agent_stop(void)
{
    int status = -1;
    if (agent_pid > 0) {
        kill(agent_pid, SIGTERM);
        waitpid(agent_pid, &status, 0);
        agent_pid = -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static cJSON *post(const char *sock, const char *path, const char *body, long *status)
{
    struct http_reply r;
    cJSON *j = NULL;
    *status = 0;
    if (http_post_json(sock, path, body, &r)) {
        *status = r.status;
        j = json_parse(r.body != NULL ? r.body : "", strlen(r.body != NULL ? r.body : ""), 0, NULL);
    }
    http_reply_free(&r);
    return j;
}

static uint8_t *hex_field(const cJSON *obj, const char *key, size_t *len)
{
    const char *h = json_str(json_get(obj, key));
    uint8_t *out = NULL;
    *len = 0;
    if (h == NULL || hex_decode_alloc(h, strlen(h), &out, len) != DSTACK_OK) {
        return NULL;
    }
    return out;
}

/* GetQuote: verifies against the fake chain; its event log (CCEL + runtime events) replays to
 * exactly the RTMRs inside it. Returns RTMR3. */
static void check_get_quote(uint8_t rtmr3_out[48])
{
    long st;
    cJSON *j = post(dstack_sock, "/GetQuote", "{\"report_data\":\"01020304\"}", &st);
    CHECK(st == 200 && j != NULL);
    size_t qlen = 0;
    uint8_t *q = hex_field(j, "quote", &qlen);
    CHECK(q != NULL && dstack_quote_verify(q, qlen, fake_tdx_root_pem(&fk),
                                           strlen(fake_tdx_root_pem(&fk))) == DSTACK_OK);
    struct dstack_quote pq;
    CHECK(q != NULL && dstack_quote_parse(q, qlen, &pq) == DSTACK_OK);
    static const uint8_t rd[64] = {1, 2, 3, 4};
    CHECK(q != NULL && memcmp(pq.report.report_data, rd, 64) == 0);
    const char *log_text = json_str(json_get(j, "event_log"));
    struct dstack_event_log log;
    uint8_t rtmr[4][48];
    CHECK(log_text != NULL &&
          dstack_event_log_parse(log_text, strlen(log_text), &log) == DSTACK_OK);
    CHECK(log_text != NULL && log.count >= 18 && dstack_replay_rtmrs(&log, rtmr) == DSTACK_OK);
    CHECK(q != NULL && memcmp(rtmr, pq.report.rtmr, sizeof rtmr) == 0);
    CHECK(q != NULL && memcmp(pq.report.mr_td, fk.mrtd, 48) == 0);
    CHECK_STR(log.count > 10 ? log.events[10].event : "", "acpi-tables");
    memcpy(rtmr3_out, pq.report.rtmr[3], 48);
    dstack_event_log_free(&log);
    free(q);
    json_free(j);
}

static void test_api(void)
{
    uint8_t r3a[48], r3b[48], reg[48];
    check_get_quote(r3a);

    long st;
    cJSON *j = post(dstack_sock, "/Info", "{}", &st);
    CHECK(st == 200 && j != NULL);
    cJSON *tcb = json_parse_str(json_str(json_get(j, "tcb_info")) ?: "", 0, NULL);
    char mrtd_hex[97];
    hex_encode(fk.mrtd, 48, mrtd_hex);
    CHECK_STR(json_str(json_get(tcb, "mrtd")), mrtd_hex);
    CHECK((size_t)cJSON_GetArraySize(json_get(tcb, "event_log")) >= 18);
    json_free(tcb);
    json_free(j);

    j = post(dstack_sock, "/EmitEvent", "{\"event\":\"it-event\",\"payload\":\"abcd\"}", &st);
    CHECK(st == 200);
    json_free(j);
    check_get_quote(r3b);
    fake_tdx_rtmr3(&fk, reg);
    CHECK(memcmp(r3a, r3b, 48) != 0 && memcmp(r3b, reg, 48) == 0);
    char logf[400];
    snprintf(logf, sizeof logf, "%s/runtime_events.log", fk.log_dir);
    FILE *f = fopen(logf, "r");
    char line[256] = "";
    CHECK(f != NULL && fgets(line, sizeof line, f) != NULL);
    CHECK_STR(line, "{\"event\":\"it-event\",\"payload\":\"q80=\"}\n");
    if (f != NULL) {
        fclose(f);
    }
    /* Info follows the new RTMR3. */
    j = post(dstack_sock, "/Info", "{}", &st);
    tcb = json_parse_str(json_str(json_get(j, "tcb_info")) ?: "", 0, NULL);
    char r3_hex[97];
    hex_encode(reg, 48, r3_hex);
    CHECK_STR(json_str(json_get(tcb, "rtmr3")), r3_hex);
    json_free(tcb);
    json_free(j);

    j = post(dstack_sock, "/GetKey", "{\"path\":\"/it\"}", &st);
    CHECK(st == 200 && json_str(json_get(j, "key")) != NULL);
    json_free(j);
    j = post(tappd_sock, "/prpc/Tappd.TdxQuote", "{\"report_data\":\"00\"}", &st);
    CHECK(st == 200 && json_str(json_get(j, "quote")) != NULL);
    json_free(j);
}

/* ---- quote pressure ----------------------------------------------------------------------- */

#define N_QUOTE 64
#define N_KEY 8
#define MAX_SAMPLES 20000

static atomic_int quotes_running;
static pthread_mutex_t samples_mu = PTHREAD_MUTEX_INITIALIZER;
static double samples[MAX_SAMPLES];
static size_t n_samples;
static atomic_int key_failures;

struct quote_result {
    long status;
    bool overload;
    double ms;
};

static void *quote_client(void *arg)
{
    struct quote_result *r = arg;
    double t0 = now_ms();
    cJSON *j = post(dstack_sock, "/GetQuote", "{\"report_data\":\"ff\"}", &r->status);
    r->ms = now_ms() - t0;
    const char *err = json_str(json_get(j, "error"));
    r->overload = r->status == 400 && err != NULL && strstr(err, "quote device busy") != NULL;
    json_free(j);
    atomic_fetch_sub(&quotes_running, 1);
    return NULL;
}

static double key_once(void)
{
    long st;
    double t0 = now_ms();
    cJSON *j = post(dstack_sock, "/GetKey", "{\"path\":\"/load\"}", &st);
    double ms = now_ms() - t0;
    json_free(j);
    if (st != 200) {
        atomic_fetch_add(&key_failures, 1);
    }
    return ms;
}

static atomic_bool keys_stop;

static void *key_client(void *arg)
{
    (void)arg;
    while (!atomic_load(&keys_stop)) {
        double ms = key_once();
        pthread_mutex_lock(&samples_mu);
        if (n_samples < MAX_SAMPLES) {
            samples[n_samples++] = ms;
        }
        pthread_mutex_unlock(&samples_mu);
        usleep(2000);
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double percentile(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n ? v[(size_t)(p * (double)(n - 1))] : 0;
}

static void test_pressure(void)
{
    pthread_t qt[N_QUOTE], kt[N_KEY];
    /* Unloaded: the same 8 GetKey clients for 1.5 s with no quote traffic. */
    atomic_store(&keys_stop, false);
    for (int i = 0; i < N_KEY; i++) {
        pthread_create(&kt[i], NULL, key_client, NULL);
    }
    usleep(1500 * 1000);
    atomic_store(&keys_stop, true);
    for (int i = 0; i < N_KEY; i++) {
        pthread_join(kt[i], NULL);
    }
    size_t n_base = n_samples;
    double base_p50 = percentile(samples, n_base, 0.5), base_p90 = percentile(samples, n_base, 0.9);
    n_samples = 0;

    atomic_store(&fk.delay_ms, 500);
    atomic_store(&quotes_running, N_QUOTE);
    atomic_store(&keys_stop, false);
    static struct quote_result res[N_QUOTE];
    for (int i = 0; i < N_KEY; i++) {
        pthread_create(&kt[i], NULL, key_client, NULL);
    }
    for (int i = 0; i < N_QUOTE; i++) {
        pthread_create(&qt[i], NULL, quote_client, &res[i]);
    }
    int ok = 0, overload = 0, other = 0;
    double worst = 0;
    for (int i = 0; i < N_QUOTE; i++) {
        pthread_join(qt[i], NULL);
        ok += res[i].status == 200;
        overload += res[i].overload;
        other += res[i].status != 200 && !res[i].overload;
        worst = res[i].ms > worst ? res[i].ms : worst;
    }
    atomic_store(&keys_stop, true);
    for (int i = 0; i < N_KEY; i++) {
        pthread_join(kt[i], NULL);
    }
    atomic_store(&fk.delay_ms, 0);
    double p50 = percentile(samples, n_samples, 0.5), p90 = percentile(samples, n_samples, 0.9),
           p99 = percentile(samples, n_samples, 0.99);
    printf("quote pressure: %d GetQuote (500 ms each): %d ok, %d overloaded, %d other; slowest "
           "%.0f ms\n",
           N_QUOTE, ok, overload, other, worst);
    printf("GetKey latency, %d clients: unloaded (%zu calls) p50 %.2f ms p90 %.2f ms; loaded "
           "(%zu calls) p50 %.2f ms p90 %.2f ms p99 %.2f ms\n",
           N_KEY, n_base, base_p50, base_p90, n_samples, p50, p90, p99);
    CHECK(ok >= 1 && ok + overload == N_QUOTE && other == 0);
    CHECK(overload > 0); /* 64 cannot all fit one running + 8 waiting */
    /* The last one served waited for 8 quotes of 0.5 s, then took its own; slack of 0.4 s per
     * quote for a loaded box: no request hangs. */
    CHECK(worst < (8 + 1) * (500 + 400));
    CHECK(atomic_load(&key_failures) == 0);
    CHECK(n_samples >= 20);
    /* GetKey's latency under this load is a speed target, so scripts/bench.sh judges it (figure
     * 6, bench_quote_pressure); here it is only printed above: a shared machine's scheduler
     * decides it more than the daemon does. */
}

static atomic_bool emit_stop;

static void *emitter(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int i = 0; !atomic_load(&emit_stop); i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"event\":\"k9-%d-%d\",\"payload\":\"%02x\"}", id, i,
                 i & 0xff);
        long st;
        cJSON *j = post(dstack_sock, "/EmitEvent", body, &st);
        json_free(j);
        if (st != 200) {
            break; /* the agent was killed */
        }
    }
    return NULL;
}

/* kill -9 during a storm of EmitEvent from 8 clients, three times: after each restart the log
 * replays to the register (repaired from the pending line if the kill fell between extend and
 * append) and keys are served. */
static void test_kill9(void)
{
    char logf[400];
    snprintf(logf, sizeof logf, "%s/runtime_events.log", fk.log_dir);
    for (int round = 0; round < 3; round++) {
        atomic_store(&emit_stop, false);
        pthread_t t[8];
        for (int i = 0; i < 8; i++) {
            pthread_create(&t[i], NULL, emitter, (void *)(intptr_t)i);
        }
        usleep((useconds_t)(150 + 70 * round) * 1000);
        kill(agent_pid, SIGKILL);
        waitpid(agent_pid, NULL, 0);
        agent_pid = -1;
        atomic_store(&emit_stop, true);
        for (int i = 0; i < 8; i++) {
            pthread_join(t[i], NULL);
        }
        if (!agent_start()) {
            CHECK(!"restart after kill -9");
            return;
        }
        long st;
        cJSON *j = post(dstack_sock, "/GetKey", "{\"path\":\"/k9\"}", &st);
        CHECK(st == 200);
        json_free(j);
        uint8_t r3[48], reg[48];
        check_get_quote(r3);
        fake_tdx_rtmr3(&fk, reg);
        CHECK(memcmp(r3, reg, 48) == 0);
    }
    char cmd[1400];
    snprintf(cmd, sizeof cmd,
             "printf 'kill -9 x3 during EmitEvent: %%s events in the log, %%s repaired from the "
             "pending line, %%s torn lines dropped\\n' $(wc -l < %s) "
             "$(grep -c 'recovered event' %s) $(grep -c 'torn last line' %s)",
             logf, agent_log, agent_log);
    (void)!system(cmd);
}

/* EmitEvent's bounds on the TDX path (docs/api/EmitEvent.md), with a symlink planted at the
 * pending file's name: events of 128 KiB until the log is full; the refusal names the limit and
 * leaves RTMR3 alone; the symlink's target is never written (the pending line is created under
 * a fresh name and renamed into place). */
static void test_bounds_and_planted_pending(void)
{
    char victim[] = "/tmp/dstack-it-tdx-victim-XXXXXX", pending[400];
    int vfd = mkstemp(victim);
    CHECK(vfd >= 0 && write(vfd, "precious\n", 9) == 9);
    close(vfd);
    snprintf(pending, sizeof pending, "%s/runtime_event.pending", fk.log_dir);
    CHECK(symlink(victim, pending) == 0);
    size_t body_cap = 2 * 128 * 1024 + 64;
    char *body = malloc(body_cap);
    int n = snprintf(body, body_cap, "{\"event\":\"fill\",\"payload\":\"");
    memset(body + n, 'b', 2 * 128 * 1024);
    memcpy(body + n + 2 * 128 * 1024, "\"}", 3);
    struct http_reply r = {0};
    int acked = 0;
    long status = 200;
    for (int i = 0; i < 200 && status == 200; i++) {
        http_reply_free(&r);
        status = http_post_json(dstack_sock, "/EmitEvent", body, &r) ? r.status : 0;
        acked += status == 200;
    }
    bool named = r.body != NULL && strstr(r.body, "its limit") != NULL;
    uint8_t before[DSTACK_MR_LEN], after[DSTACK_MR_LEN];
    fake_tdx_rtmr3(&fk, before);
    http_reply_free(&r);
    long again = http_post_json(dstack_sock, "/EmitEvent", body, &r) ? r.status : 0;
    fake_tdx_rtmr3(&fk, after);
    char *v = check_read_text(victim);
    printf("TDX EmitEvent: %d events of 128 KiB, then %ld (%s); again %ld, RTMR3 %s; planted "
           "pending symlink's target %s\n",
           acked, status, named ? "names its limit" : "NO LIMIT NAMED", again,
           memcmp(before, after, sizeof before) == 0 ? "unmoved" : "MOVED",
           v != NULL && strcmp(v, "precious\n") == 0 ? "untouched" : "WRITTEN");
    CHECK(status == 400 && named && acked > 0);
    CHECK(again == 400 && memcmp(before, after, sizeof before) == 0);
    CHECK(v != NULL && strcmp(v, "precious\n") == 0);
    free(v);
    http_reply_free(&r);
    free(body);
    unlink(victim);
}

/* A log line the register never saw: after a restart keys are refused, quotes still work. */
static void test_mismatch_refusal(void)
{
    CHECK(agent_stop() == 0);
    char logf[400];
    snprintf(logf, sizeof logf, "%s/runtime_events.log", fk.log_dir);
    FILE *f = fopen(logf, "a");
    fputs("{\"event\":\"forged\",\"payload\":\"\"}\n", f);
    fclose(f);
    if (!agent_start()) {
        CHECK(!"agent restart");
        return;
    }
    long st;
    static const char *const key_calls[][3] = {
        {"d", "/GetKey", "{\"path\":\"/x\"}"},
        {"d", "/GetTlsKey", "{}"},
        {"d", "/Sign", "{\"algorithm\":\"secp256k1\",\"data\":\"00\"}"},
        {"t", "/prpc/Tappd.DeriveKey", "{\"path\":\"/x\"}"},
        {"t", "/prpc/Tappd.DeriveK256Key", "{\"path\":\"/x\"}"},
    };
    for (size_t i = 0; i < sizeof key_calls / sizeof key_calls[0]; i++) {
        cJSON *j = post(key_calls[i][0][0] == 'd' ? dstack_sock : tappd_sock, key_calls[i][1],
                        key_calls[i][2], &st);
        const char *err = json_str(json_get(j, "error"));
        CHECK(st == 400 && err != NULL && strstr(err, "measurement mismatch") != NULL);
        json_free(j);
    }
    cJSON *j = post(dstack_sock, "/GetQuote", "{\"report_data\":\"\"}", &st);
    if (st != 200) {
        fprintf(stderr, "GetQuote after the mismatch: %ld %s\n", st, json_get_str(j, "error"));
    }
    CHECK(st == 200);
    json_free(j);
    j = post(dstack_sock, "/EmitEvent", "{\"event\":\"after\",\"payload\":\"\"}", &st);
    CHECK(st == 400);
    json_free(j);
    j = post(dstack_sock, "/Info", "{}", &st);
    CHECK(st == 200);
    json_free(j);
    char cmd[500];
    snprintf(cmd, sizeof cmd, "grep -q 'measurement mismatch, refusing to serve keys' %s",
             agent_log);
    CHECK(system(cmd) == 0);
}

/* The device broken at start-up: the agent starts and serves, and the calls that need the
 * broken part fail with its cause (docs/tdx.md "Start-up never bricks the CVM"). */
static void test_startup_never_fails(void)
{
    char no_ccel[300], nowhere[300];
    snprintf(no_ccel, sizeof no_ccel, "%s/no-ccel", fk.root);
    snprintf(nowhere, sizeof nowhere, "%s/no-configfs", fk.root);
    static const struct {
        bool ccel_broken, configfs_broken;
        long key_status;     /* GetKey */
        const char *key_err; /* NULL: none */
        const char *quote_err;
    } cases[] = {
        {true, false, 200, NULL, "boot event log"},
        {false, true, 400, "cannot check RTMR3 against the runtime event log yet",
         "does not exist"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(agent_stop() == 0);
        fake_tdx_reboot(&fk); /* a new boot: test_mismatch_refusal left a forged line */
        write_config_with(cases[i].ccel_broken ? no_ccel : NULL,
                          cases[i].configfs_broken ? nowhere : NULL);
        if (!agent_start()) {
            CHECK(!"agent start with a broken device");
            continue;
        }
        long st;
        cJSON *j = post(dstack_sock, "/Version", "{}", &st);
        CHECK(st == 200);
        json_free(j);
        j = post(dstack_sock, "/GetKey", "{\"path\":\"/boot\"}", &st);
        const char *err = json_str(json_get(j, "error"));
        CHECK(st == cases[i].key_status);
        if (st != cases[i].key_status) {
            fprintf(stderr, "case %zu: GetKey %ld %s\n", i, st, err != NULL ? err : "");
        }
        CHECK(cases[i].key_err == NULL || (err != NULL && strstr(err, cases[i].key_err) != NULL));
        json_free(j);
        j = post(dstack_sock, "/GetQuote", "{\"report_data\":\"\"}", &st);
        err = json_str(json_get(j, "error"));
        CHECK(st == 400 && err != NULL && strstr(err, cases[i].quote_err) != NULL);
        if (err == NULL || strstr(err, cases[i].quote_err) == NULL) {
            fprintf(stderr, "case %zu: GetQuote said %s\n", i, err != NULL ? err : "(nothing)");
        }
        json_free(j);
    }
    CHECK(agent_stop() == 0);
    write_config();
    CHECK(agent_start());
}

int main(void)
{
    check_fixture("upstream/simulator/appkeys.json");
    static char ccel[1024]; /* check_fixture returns one static buffer */
    snprintf(ccel, sizeof ccel, "%s", check_fixture("upstream/tdx/ccel.bin"));
    snprintf(agent_bin, sizeof agent_bin, "%s", DSTACK_SIMULATOR_BIN);
    char *slash = strrchr(agent_bin, '/');
    snprintf(slash + 1, sizeof agent_bin - (size_t)(slash + 1 - agent_bin), "dstack-guest-agent");
    if (access(agent_bin, X_OK) != 0) {
        printf("FAIL: %s is not built\n", agent_bin);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
    if (!fake_tdx_start(&fk, ccel) || !write_config()) {
        fprintf(stderr, "cannot set up the fake TDX kernel\n");
        return 1;
    }
    snprintf(dstack_sock, sizeof dstack_sock, "%s/dstack.sock", fk.root);
    snprintf(tappd_sock, sizeof tappd_sock, "%s/tappd.sock", fk.root);
    snprintf(agent_log, sizeof agent_log, "%s/agent.log", fk.root);
    if (agent_start()) {
        test_api();
        test_pressure();
        test_kill9();
        test_bounds_and_planted_pending();
        test_mismatch_refusal();
        test_startup_never_fails();
        CHECK(agent_stop() == 0);
        /* Under ASan/UBSan the daemon's reports land in its log. */
        char cmd[500];
        snprintf(cmd, sizeof cmd, "grep -qE 'runtime error|AddressSanitizer' %s", agent_log);
        CHECK(system(cmd) != 0);
    } else {
        CHECK(!"agent start");
    }
    if (check_failed) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "tail -30 %s >&2", agent_log);
        (void)!system(cmd);
    }
    fake_tdx_stop(&fk);
    curl_global_cleanup();
    return check_exit();
}
