/* Quotes from the real dstack-simulator over its socket: they verify against the root it writes
 * (tdx-root-ca.pem), their event log replays to their RTMRs before and after EmitEvent and while
 * 8 clients emit 1,000 events concurrently; report-data limits; fixture mode on upstream's
 * attestation.bin. */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include "json/json.h"

#include <dstack/attest.h>
#include <dstack/quote.h>

#include "check.h"
#include "harness.h"
#include "util/hex.h"
#include "util/error.h"

static struct sim sim;
static char *root_pem;

/* POST GetQuote; on success returns the quote bytes and the event log. */
static bool get_quote(const char *args, uint8_t **q, size_t *qlen, struct dstack_event_log *log,
                      long *status)
{
    struct http_reply r;
    bool ok = false;
    *q = NULL;
    if (!http_post_json(sim.dstack_sock, "/GetQuote", args, &r)) {
        return false;
    }
    *status = r.status;
    cJSON *j = r.status == 200 ? json_parse(r.body, strlen(r.body), 0, NULL) : NULL;
    const char *qh = json_str(json_get(j, "quote"));
    const char *ev = json_str(json_get(j, "event_log"));
    if (qh != NULL && ev != NULL && hex_decode_alloc(qh, strlen(qh), q, qlen) == DSTACK_OK &&
        dstack_event_log_parse(ev, strlen(ev), log) == DSTACK_OK) {
        ok = true;
    }
    json_free(j);
    http_reply_free(&r);
    return ok;
}

/* The quote verifies and the log replays to its RTMRs. Returns the number of IMR 3 events. */
static size_t check_quote(const uint8_t *q, size_t qlen, const struct dstack_event_log *log)
{
    err_clear();
    struct dstack_quote pq;
    uint8_t rt[4][DSTACK_MR_LEN];
    size_t n3 = 0;
    dstack_err e = dstack_quote_verify(q, qlen, root_pem, strlen(root_pem));
    if (e != DSTACK_OK) {
        fprintf(stderr, "verify: %s\n", err_text());
    }
    CHECK(e == DSTACK_OK);
    CHECK(dstack_quote_parse(q, qlen, &pq) == DSTACK_OK);
    CHECK(dstack_replay_rtmrs(log, rt) == DSTACK_OK);
    CHECK(memcmp(rt, pq.report.rtmr, sizeof rt) == 0);
    for (size_t i = 0; i < log->count; i++) {
        n3 += log->events[i].imr == 3;
    }
    return n3;
}

static void test_basic(void)
{
    uint8_t *q;
    size_t qlen;
    long status;
    struct dstack_event_log log;
    CHECK(get_quote("{\"report_data\":\"74657374\"}", &q, &qlen, &log, &status));
    if (q == NULL) {
        return;
    }
    struct dstack_quote pq;
    CHECK(dstack_quote_parse(q, qlen, &pq) == DSTACK_OK);
    CHECK(memcmp(pq.report.report_data, "test\0\0\0\0", 8) == 0);
    size_t before = check_quote(q, qlen, &log);
    free(q);
    dstack_event_log_free(&log);

    char args[300];
    snprintf(args, sizeof args, "{\"report_data\":\"%0130d\"}", 0);
    struct http_reply r;
    CHECK(http_post_json(sim.dstack_sock, "/GetQuote", args, &r));
    CHECK(r.status == 400);
    CHECK_STR(r.body, "{\n  \"error\": \"Report data is too long\"\n}");
    http_reply_free(&r);

    CHECK(http_post_json(sim.dstack_sock, "/EmitEvent",
                         "{\"event\":\"it-event\",\"payload\":\"deadbeef\"}", &r));
    CHECK(r.status == 200);
    CHECK_STR(r.body, "null"); /* upstream's Empty answer (docs/api/EmitEvent.md) */
    http_reply_free(&r);
    CHECK(http_post_json(sim.dstack_sock, "/EmitEvent", "{\"event\":\"\"}", &r));
    CHECK(r.status == 400);
    http_reply_free(&r);
    CHECK(
        http_post_json(sim.dstack_sock, "/EmitEvent", "{\"event\":\"x\",\"payload\":\"xyz\"}", &r));
    CHECK(r.status == 400);
    http_reply_free(&r);

    CHECK(get_quote("{}", &q, &qlen, &log, &status));
    if (q != NULL) {
        CHECK(check_quote(q, qlen, &log) == before + 1);
        free(q);
        dstack_event_log_free(&log);
    }
}

#define EMITTERS 8
#define EVENTS_TOTAL 1000
#define QUOTERS 2

static volatile int emitters_done;

static void *emitter(void *arg)
{
    size_t id = (size_t)arg;
    for (size_t i = 0; i < EVENTS_TOTAL / EMITTERS; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"event\":\"load-%zu\",\"payload\":\"%04zx\"}", id, i);
        struct http_reply r;
        if (http_post_json(sim.dstack_sock, "/EmitEvent", body, &r)) {
            CHECK(r.status == 200);
            http_reply_free(&r);
        } else {
            CHECK(!"EmitEvent transport");
        }
    }
    return NULL;
}

static void *quoter(void *arg)
{
    size_t *count = arg;
    while (!__atomic_load_n(&emitters_done, __ATOMIC_ACQUIRE)) {
        uint8_t *q;
        size_t qlen;
        long status;
        struct dstack_event_log log;
        if (get_quote("{}", &q, &qlen, &log, &status)) {
            check_quote(q, qlen, &log);
            free(q);
            dstack_event_log_free(&log);
            (*count)++;
        } else {
            CHECK(!"GetQuote during the load");
        }
    }
    return NULL;
}

static void test_concurrency(void)
{
    uint8_t *q;
    size_t qlen;
    long status;
    struct dstack_event_log log;
    size_t start = 0;
    if (get_quote("{}", &q, &qlen, &log, &status)) {
        start = check_quote(q, qlen, &log);
        free(q);
        dstack_event_log_free(&log);
    }
    pthread_t e[EMITTERS], qt[QUOTERS];
    size_t quotes[QUOTERS] = {0};
    for (size_t i = 0; i < QUOTERS; i++) {
        pthread_create(&qt[i], NULL, quoter, &quotes[i]);
    }
    for (size_t i = 0; i < EMITTERS; i++) {
        pthread_create(&e[i], NULL, emitter, (void *)i);
    }
    for (size_t i = 0; i < EMITTERS; i++) {
        pthread_join(e[i], NULL);
    }
    __atomic_store_n(&emitters_done, 1, __ATOMIC_RELEASE);
    for (size_t i = 0; i < QUOTERS; i++) {
        pthread_join(qt[i], NULL);
    }
    printf("quotes checked during the load: %zu + %zu\n", quotes[0], quotes[1]);
    CHECK(quotes[0] + quotes[1] > 0);
    if (get_quote("{}", &q, &qlen, &log, &status)) {
        CHECK(check_quote(q, qlen, &log) == start + EVENTS_TOTAL);
        free(q);
        dstack_event_log_free(&log);
    }
    /* Durable: after a restart the log still holds exactly those events, and replays. */
    CHECK(sim_restart(&sim, SIGTERM, NULL));
    if (get_quote("{}", &q, &qlen, &log, &status)) {
        CHECK(check_quote(q, qlen, &log) == start + EVENTS_TOTAL);
        free(q);
        dstack_event_log_free(&log);
    }
}

static void *burst(void *arg)
{
    (void)arg;
    for (int i = 0; i < 300; i++) {
        struct http_reply r;
        char body[96];
        snprintf(body, sizeof body, "{\"event\":\"crash-%d\",\"payload\":\"%08x\"}", i, i);
        (void)http_post_json(sim.dstack_sock, "/EmitEvent", body, &r); /* may fail: killed */
        http_reply_free(&r);
    }
    return NULL;
}

/* kill -9 in the middle of a burst of EmitEvent: after a restart the persisted log still
 * replays to the RTMR3 of the quote (no torn or lost-but-extended entry). */
static void test_crash_during_emit(void)
{
    pthread_t t[4];
    for (size_t i = 0; i < 4; i++) {
        pthread_create(&t[i], NULL, burst, NULL);
    }
    usleep(150 * 1000);
    CHECK(sim_restart(&sim, SIGKILL, NULL));
    for (size_t i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
    }
    uint8_t *q;
    size_t qlen;
    long status;
    struct dstack_event_log log;
    if (get_quote("{}", &q, &qlen, &log, &status)) {
        check_quote(q, qlen, &log); /* verifies, and checks the replay against the quote */
        free(q);
        dstack_event_log_free(&log);
    } else {
        CHECK(!"GetQuote after the crash");
    }
}

static void test_fixture_mode(void)
{
    struct sim fx;
    char bin[1024];
    snprintf(bin, sizeof bin, "%s/upstream/simulator/attestation.bin", DSTACK_FIXTURE_DIR);
    const char *args[] = {"--attestation", bin, NULL};
    if (!sim_start_upstream(&fx, args)) {
        CHECK(!"fixture-mode simulator did not start");
        return;
    }
    struct http_reply r;
    CHECK(http_post_json(fx.dstack_sock, "/GetQuote", "{\"report_data\":\"ab\"}", &r));
    cJSON *j = json_parse(r.body, strlen(r.body), 0, NULL);
    const char *qh = json_str(json_get(j, "quote"));
    CHECK(qh != NULL && strlen(qh) == 2 * 5010);
    CHECK(qh != NULL && strncmp(qh + 2 * 568, "ab00", 4) == 0);
    json_free(j);
    http_reply_free(&r);
    CHECK(http_post_json(fx.dstack_sock, "/EmitEvent", "{\"event\":\"x\"}", &r));
    CHECK(r.status == 400);
    http_reply_free(&r);

    /* Info reproduces upstream's simulator values (tests/vectors/keys.md, docs/api/Info.md):
     * os_image_hash from the attested config, mr_aggregated over MRCONFIGID too. */
    static const struct {
        const char *field, *want;
    } info[] = {
        {"app_id", "5bb4ff9a3837357f19dc176407a5709c62eb6c56"},
        {"instance_id", "1691ed1b47506cad7d08834668691d88246f5b1f"},
        {"compose_hash", "c143116fef3940e7f776bfc0919c256232ae5338a6e948c96b711e0b2383483a"},
        {"device_id", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"os_image_hash", "e61be43dd1cc6a6f5edefd7c51b608983780839b0000ce60dd99737dcffe09b9"},
        {"mr_aggregated", "85334a62c97d0f8bf82d0245d31b539d17a2d7c258e2a13efc928aaea0e107cb"},
        {"app_name", "guest-agent"},
    };
    CHECK(http_post_json(fx.dstack_sock, "/Info", "{}", &r) && r.status == 200);
    j = json_parse(r.body, strlen(r.body), 0, NULL);
    for (size_t i = 0; i < sizeof info / sizeof info[0]; i++) {
        CHECK_STR(json_str(json_get(j, info[i].field)), info[i].want);
    }
    const char *kp = json_str(json_get(j, "key_provider_info"));
    CHECK(kp != NULL && strncmp(kp, "{\"name\":\"kms\",\"id\":\"3059", 22) == 0);
    cJSON *tcb = json_parse_str(json_str(json_get(j, "tcb_info")), 0, NULL);
    CHECK_STR(json_str(json_get(tcb, "rtmr3")),
              "f28a1490ee924e9396c2ccf2d93ad536b83cbe159a1d45024d1fd7acdcc102145efcfcd0cfa2094164"
              "46c70226affadf");
    json_free(tcb);
    json_free(j);
    http_reply_free(&r);
    CHECK(sim_stop(&fx) == 0);
}

int main(void)
{
    if (!sim_start(&sim, NULL)) {
        return 1;
    }
    root_pem = sim_quote_root(&sim);
    CHECK(root_pem != NULL && strstr(root_pem, "BEGIN CERTIFICATE") != NULL);
    if (root_pem != NULL) {
        test_basic();
        test_concurrency();
        test_crash_during_emit();
    }
    CHECK(sim_stop(&sim) == 0);
    free(root_pem);
    test_fixture_mode();
    return check_exit();
}
