/* The SDK client against a scripted fake agent (tests/unit/fake_agent.h) over a Unix socket and
 * over TCP: exact request bodies, version gating, client-side checks, 400 mapping, keep-alive
 * reuse, timeouts, an agent that is down, 8 threads sharing one client. */
#include <dstack/client.h>

#include <time.h>

#include "check.h"
#include "fake_agent.h"

static struct fake_agent fa;

static const char *log_path(int i)
{
    return i < fa.n_log ? fa.log_path[i] : "(none)";
}
static const char *log_body(int i)
{
    return i < fa.n_log ? fa.log_body[i] : "(none)";
}

static struct dstack_client *new_client(unsigned timeout_ms)
{
    struct dstack_client *c = NULL;
    struct dstack_client_options o = {.timeout_ms = timeout_ms};
    CHECK(dstack_client_new(fake_endpoint(&fa), &o, &c) == DSTACK_OK);
    return c;
}

static void test_get_key(struct dstack_client *c)
{
    struct dstack_get_key_response *k = NULL;
    fake_agent_clear_log(&fa);
    CHECK(dstack_get_key(c, "wallet", "eth", NULL, &k) == DSTACK_OK);
    CHECK(fa.n_log == 1); /* secp256k1: no Version probe */
    CHECK_STR(log_path(0), "/GetKey");
    CHECK_STR(log_body(0), "{\"path\":\"wallet\",\"purpose\":\"eth\",\"algorithm\":\"secp256k1\"}");
    CHECK(k != NULL && k->key_len == 6 && memcmp(k->key, "wallet", 6) == 0);
    CHECK(k != NULL && k->signature_chain_len == 2 && k->signature_chain[0].len == 2 &&
          k->signature_chain[0].data[1] == 0x0b);
    dstack_get_key_response_free(k);

    /* NULL path/purpose -> "" ; k256 alias needs no probe */
    fake_agent_clear_log(&fa);
    CHECK(dstack_get_key(c, NULL, NULL, "k256", &k) == DSTACK_OK);
    CHECK(fa.n_log == 1);
    CHECK_STR(log_body(0), "{\"path\":\"\",\"purpose\":\"\",\"algorithm\":\"k256\"}");
    dstack_get_key_response_free(k);

    /* ed25519: Version first (Python/JS) */
    fake_agent_clear_log(&fa);
    CHECK(dstack_get_key(c, "p", "", "ed25519", &k) == DSTACK_OK);
    CHECK(fa.n_log == 2);
    CHECK_STR(log_path(0), "/Version");
    CHECK_STR(log_path(1), "/GetKey");
    dstack_get_key_response_free(k);

    /* old OS: the Python/JS message, and no GetKey sent */
    atomic_store(&fa.version_fails, true);
    fake_agent_clear_log(&fa);
    k = NULL;
    CHECK(dstack_get_key(c, "p", "", "ed25519", &k) == DSTACK_EUNSUPPORTED);
    CHECK_STR(dstack_last_error(), "algorithm \"ed25519\" is not supported: OS version too old "
                                   "(Version RPC unavailable)");
    CHECK(k == NULL && fa.n_log == 1);
    atomic_store(&fa.version_fails, false);

    /* the agent's 400 text comes through */
    CHECK(dstack_get_key(c, "p", "", "rsa", &k) == DSTACK_ESERVER);
    CHECK(strstr(dstack_last_error(), "Unsupported algorithm") != NULL);
    CHECK(strstr(dstack_last_error(), "400") != NULL);
}

static void test_tls_key(struct dstack_client *c)
{
    struct dstack_get_tls_key_response *t = NULL;
    fake_agent_clear_log(&fa);
    CHECK(dstack_get_tls_key(c, NULL, &t) == DSTACK_OK);
    CHECK(fa.n_log == 1);
    CHECK_STR(log_body(0), "{\"subject\":\"\",\"usage_ra_tls\":false,\"usage_server_auth\":true,"
                           "\"usage_client_auth\":false}");
    CHECK(t != NULL && t->certificate_chain_len == 2);
    CHECK_STR(t ? t->certificate_chain[1] : NULL, "C2");
    struct dstack_bytes der = {0};
    CHECK(dstack_get_tls_key_response_der(t, 0, &der) == DSTACK_OK);
    CHECK_HEX(der.data, der.len, "0001020304050607"); /* AAECAwQF Bgc= */
    dstack_bytes_wipe_free(&der);
    CHECK(dstack_get_tls_key_response_der(t, 4, &der) == DSTACK_OK);
    CHECK_HEX(der.data, der.len, "00010203");
    dstack_bytes_wipe_free(&der);
    CHECK(dstack_get_tls_key_response_der(t, 9, &der) == DSTACK_OK); /* zero-padded */
    CHECK_HEX(der.data, der.len, "000102030405060700");
    dstack_bytes_wipe_free(&der);
    dstack_get_tls_key_response_free(t);

    struct dstack_tls_key_options o;
    dstack_tls_key_options_init(&o);
    const char *names[] = {"localhost", "example.com"};
    o.subject = "api";
    o.alt_names = names;
    o.n_alt_names = 2;
    o.usage_client_auth = true;
    o.has_not_before = true;
    o.not_before = 1700000000;
    o.has_not_after = true;
    o.not_after = 1800000000;
    o.has_with_app_info = true;
    o.with_app_info = true;
    fake_agent_clear_log(&fa);
    CHECK(dstack_get_tls_key(c, &o, &t) == DSTACK_OK);
    CHECK(fa.n_log == 2);
    CHECK_STR(log_path(0), "/Version");
    CHECK_STR(log_body(1),
              "{\"subject\":\"api\",\"usage_ra_tls\":false,\"usage_server_auth\":true,"
              "\"usage_client_auth\":true,\"alt_names\":[\"localhost\",\"example.com\"],"
              "\"not_before\":1700000000,\"not_after\":1800000000,\"with_app_info\":true}");
    dstack_get_tls_key_response_free(t);

    atomic_store(&fa.version_fails, true);
    o.has_not_after = false;
    t = NULL;
    CHECK(dstack_get_tls_key(c, &o, &t) == DSTACK_EUNSUPPORTED);
    CHECK_STR(dstack_last_error(), "TLS key options [not_before, with_app_info] are not "
                                   "supported: OS version too old (Version RPC unavailable)");
    CHECK(t == NULL);
    atomic_store(&fa.version_fails, false);
}

static void test_quote_and_checks(struct dstack_client *c)
{
    struct dstack_get_quote_response *q = NULL;
    fake_agent_clear_log(&fa);
    CHECK(dstack_get_quote(c, (const uint8_t *)"test", 4, &q) == DSTACK_OK);
    CHECK_STR(log_body(0), "{\"report_data\":\"74657374\"}");
    CHECK(q != NULL && q->quote.len == 2 && q->quote.data[0] == 4);
    CHECK_STR(q ? q->event_log : NULL, "[{\"imr\":0}]");
    CHECK_STR(q ? q->vm_config : NULL, "{}");
    CHECK(q != NULL && q->attestation.len == 0 && q->attestation.data == NULL);
    dstack_get_quote_response_free(q);
    /* empty report data is allowed (the agent pads) */
    CHECK(dstack_get_quote(c, NULL, 0, &q) == DSTACK_OK);
    dstack_get_quote_response_free(q);

    /* client-side checks: nothing is sent */
    uint8_t big[65] = {0};
    fake_agent_clear_log(&fa);
    q = NULL;
    CHECK(dstack_get_quote(c, big, 65, &q) == DSTACK_EINVAL && q == NULL);
    CHECK_STR(dstack_last_error(), "report_data must be at most 64 bytes, got 65");
    struct dstack_attest_response *a = NULL;
    CHECK(dstack_attest(c, big, 65, &a) == DSTACK_EINVAL && a == NULL);
    CHECK(dstack_emit_event(c, "", big, 1) == DSTACK_EINVAL);
    CHECK_STR(dstack_last_error(), "event name cannot be empty");
    CHECK(dstack_emit_event(c, NULL, NULL, 0) == DSTACK_EINVAL);
    struct dstack_sign_response *s = NULL;
    CHECK(dstack_sign(c, "secp256k1_prehashed", (const uint8_t *)"too short", 9, &s) ==
          DSTACK_EINVAL);
    CHECK_STR(dstack_last_error(),
              "Pre-hashed signing requires a 32-byte digest, but received 9 bytes");
    CHECK(fa.n_log == 0);

    CHECK(dstack_attest(c, big, 64, &a) == DSTACK_OK);
    CHECK(a != NULL && a->attestation.len == 2 && a->attestation.data[1] == 0xff);
    dstack_attest_response_free(a);

    fake_agent_clear_log(&fa);
    CHECK(dstack_emit_event(c, "config_loaded", (const uint8_t *)"prod", 4) == DSTACK_OK);
    CHECK_STR(log_body(0), "{\"event\":\"config_loaded\",\"payload\":\"70726f64\"}");
}

static void test_info_sign_misc(struct dstack_client *c)
{
    struct dstack_info_response *i = NULL;
    CHECK(dstack_info(c, &i) == DSTACK_OK);
    if (i != NULL) {
        CHECK_STR(i->app_id, "5bb4");
        CHECK_STR(i->cloud_vendor, ""); /* absent -> "" */
        const struct dstack_info_tcb *tcb = NULL, *again = NULL;
        CHECK(dstack_info_tcb_info(i, &tcb) == DSTACK_OK && tcb != NULL);
        if (tcb != NULL) {
            CHECK_STR(tcb->mrtd, "aa");
            CHECK_STR(tcb->rtmr[0], "r0");
            CHECK_STR(tcb->rtmr[1], "");
            CHECK_STR(tcb->rtmr[3], "r3");
            CHECK_STR(tcb->event_log, "[{\"imr\":3}]");
            CHECK_STR(tcb->app_compose, "{}");
        }
        /* decoded once, kept with the response */
        CHECK(dstack_info_tcb_info(i, &again) == DSTACK_OK && again == tcb);
    }
    dstack_info_response_free(i);
    /* hidden tcb_info */
    CHECK(dstack_info_response_decode("{\"app_id\":\"x\",\"tcb_info\":\"\"}", &i) == DSTACK_OK);
    const struct dstack_info_tcb *hidden = &(struct dstack_info_tcb){0};
    CHECK(i != NULL && dstack_info_tcb_info(i, &hidden) == DSTACK_OK && hidden == NULL);
    dstack_info_response_free(i);
    CHECK(dstack_info_response_decode("{\"tcb_info\":\"{nope\"}", &i) == DSTACK_EPROTO);
    /* dstack_info leaves tcb_info to its first access: the call succeeds, the access fails */
    atomic_store(&fa.bad_tcb_info, true);
    CHECK(dstack_info(c, &i) == DSTACK_OK);
    atomic_store(&fa.bad_tcb_info, false);
    if (i != NULL) {
        CHECK_STR(i->app_id, "5bb4");
        const struct dstack_info_tcb *bad = NULL;
        CHECK(dstack_info_tcb_info(i, &bad) == DSTACK_EPROTO && bad == NULL);
        CHECK(strncmp(dstack_last_error(), "tcb_info is not a JSON object", 29) == 0);
    }
    dstack_info_response_free(i);
    i = NULL;
    CHECK(dstack_info_response_decode("{\"app_id\":5}", &i) == DSTACK_EPROTO);
    CHECK(dstack_info_response_decode("[]", &i) == DSTACK_EFORMAT);

    struct dstack_sign_response *s = NULL;
    fake_agent_clear_log(&fa);
    CHECK(dstack_sign(c, "ed25519", (const uint8_t *)"msg", 3, &s) == DSTACK_OK);
    CHECK_STR(log_body(0), "{\"algorithm\":\"ed25519\",\"data\":\"6d7367\"}");
    CHECK(s != NULL && s->signature_chain_len == 3 && s->public_key.len == 2);
    bool valid = false;
    CHECK(dstack_verify(c, "ed25519", (const uint8_t *)"msg", 3, s->signature.data,
                        s->signature.len, s->public_key.data, s->public_key.len,
                        &valid) == DSTACK_OK);
    CHECK(valid);
    CHECK_STR(log_body(1), "{\"algorithm\":\"ed25519\",\"data\":\"6d7367\",\"signature\":\"01\","
                           "\"public_key\":\"0203\"}");
    uint8_t bad = 2;
    CHECK(dstack_verify(c, "ed25519", (const uint8_t *)"msg", 3, &bad, 1, s->public_key.data,
                        s->public_key.len, &valid) == DSTACK_OK);
    CHECK(!valid);
    dstack_sign_response_free(s);

    struct dstack_version_response *v = NULL;
    CHECK(dstack_version(c, &v) == DSTACK_OK);
    CHECK_STR(v ? v->version : NULL, "0.6.0");
    CHECK_STR(v ? v->rev : NULL, "git:test");
    dstack_version_response_free(v);
    struct dstack_gpu_info_response *g = NULL;
    CHECK(dstack_gpu_info(c, &g) == DSTACK_OK);
    CHECK_STR(g ? g->attestation : NULL, "");
    dstack_gpu_info_response_free(g);
    CHECK(dstack_is_reachable(c));

    /* raw calls and error shapes */
    char *resp = NULL;
    CHECK(dstack_call(c, "Version", NULL, &resp) == DSTACK_OK);
    CHECK_STR(resp, "{\"version\":\"0.6.0\",\"rev\":\"git:test\"}");
    free(resp);
    CHECK(dstack_call(c, "GetFoo", "{}", &resp) == DSTACK_ESERVER);
    CHECK_STR(dstack_last_error(), "GetFoo failed (HTTP 400): Service not found: GetFoo");
    CHECK(dstack_call(c, "Html", NULL, &resp) == DSTACK_ESERVER);
    /* Not the dstack API: the endpoint, the status and the likely cause, then a short excerpt. */
    CHECK(strstr(dstack_last_error(), "Html: ") == dstack_last_error());
    CHECK(strstr(dstack_last_error(), " answered HTTP 404 with a body that is not JSON, not a "
                                      "dstack API answer: is it the dstack socket?") != NULL);
    CHECK(strstr(dstack_last_error(), "[<html>not found</html>]") != NULL);
    CHECK(dstack_call(c, "Version", "[1]", &resp) == DSTACK_EINVAL);
}

static void test_keepalive(void)
{
    struct dstack_client *c = new_client(0);
    int before = atomic_load(&fa.connections);
    for (int i = 0; i < 20; i++) {
        struct dstack_version_response *v = NULL;
        CHECK(dstack_version(c, &v) == DSTACK_OK);
        dstack_version_response_free(v);
    }
    CHECK(atomic_load(&fa.connections) - before == 1);
    dstack_client_free(c);
}

#define N_THREADS 8
#define CALLS_PER_THREAD 1250 /* 10,000 calls in all */

struct worker {
    struct dstack_client *c;
    int id;
    int failures;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < CALLS_PER_THREAD; i++) {
        char path[32];
        snprintf(path, sizeof path, "t%d/%d", w->id, i);
        struct dstack_get_key_response *k = NULL;
        if (dstack_get_key(w->c, path, "x", NULL, &k) != DSTACK_OK || k->key_len != strlen(path) ||
            memcmp(k->key, path, k->key_len) != 0) {
            w->failures++;
        }
        dstack_get_key_response_free(k);
    }
    return NULL;
}

static void test_threads(void)
{
    struct dstack_client *c = new_client(10000);
    struct worker w[N_THREADS];
    pthread_t t[N_THREADS];
    int before_conn = atomic_load(&fa.connections);
    int before_req = atomic_load(&fa.requests);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < N_THREADS; i++) {
        w[i] = (struct worker){c, i, 0};
        pthread_create(&t[i], NULL, worker_main, &w[i]);
    }
    int failures = 0;
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(t[i], NULL);
        failures += w[i].failures;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(failures == 0);
    CHECK(atomic_load(&fa.requests) - before_req == N_THREADS * CALLS_PER_THREAD);
    /* the pool never holds more connections than threads */
    int conns = atomic_load(&fa.connections) - before_conn;
    CHECK(conns >= 1 && conns <= N_THREADS);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("threads: %d calls in %.2f s over %d connections (%s)\n", N_THREADS * CALLS_PER_THREAD,
           secs, conns, fa.url[0] ? "tcp" : "unix");
    dstack_client_free(c);
}

static void test_timeout(void)
{
    struct dstack_client *c = new_client(200);
    atomic_store(&fa.slow_ms, 700);
    struct dstack_version_response *v = NULL;
    CHECK(dstack_version(c, &v) == DSTACK_ETRANSPORT);
    CHECK(strstr(dstack_last_error(), "timed out after 200 ms") != NULL);
    dstack_client_free(c);
    c = new_client(0); /* 3 s default, but the probe waits 500 ms at most */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(!dstack_is_reachable(c));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK(ms >= 450 && ms < 690);
    atomic_store(&fa.slow_ms, 0);
    usleep(800000); /* let the slow answers drain */
    dstack_client_free(c);
}

static void tappd_log(enum dstack_log_level level, const char *msg, void *user)
{
    char *buf = user;
    (void)level;
    size_t n = strlen(buf);
    snprintf(buf + n, 1024 - n, "%s\n", msg);
}

static void test_tappd(void)
{
    if (fa.url[0]) {
        return;
    }
    static char logbuf[1024];
    logbuf[0] = '\0';
    struct dstack_client *c = NULL;
    CHECK(dstack_tappd_client_new(fa.sock_path, NULL, NULL, NULL, &c) == DSTACK_OK);
    dstack_client_free(c);
    c = NULL;
    CHECK(dstack_tappd_client_new(fa.sock_path, NULL, tappd_log, logbuf, &c) == DSTACK_OK);
    CHECK(strstr(logbuf, "TappdClient is deprecated, please use DstackClient instead") != NULL);
    struct dstack_get_quote_response *q = NULL;
    fake_agent_clear_log(&fa);
    CHECK(dstack_tappd_tdx_quote(c, (const uint8_t *)"test", 4, NULL, &q) == DSTACK_OK);
    CHECK_STR(log_path(0), "/prpc/Tappd.TdxQuote");
    /* raw: left-padded to 64 bytes, as the SDKs do */
    char want[256];
    snprintf(want, sizeof want, "{\"hash_algorithm\":\"raw\",\"report_data\":\"%0120d74657374\"}",
             0);
    CHECK_STR(log_body(0), want);
    CHECK(strstr(logbuf, "tdx_quote is deprecated, please use get_quote instead") != NULL);
    dstack_get_quote_response_free(q);
    CHECK(dstack_tappd_tdx_quote(c, (const uint8_t *)"test", 4, "sha512", &q) == DSTACK_OK);
    CHECK_STR(log_body(1), "{\"hash_algorithm\":\"sha512\",\"report_data\":\"74657374\"}");
    dstack_get_quote_response_free(q);
    uint8_t big[65] = {0};
    CHECK(dstack_tappd_tdx_quote(c, big, 65, "raw", &q) == DSTACK_EINVAL);
    CHECK(dstack_tappd_raw_quote(c, big, &q) == DSTACK_OK);
    CHECK_STR(log_path(2), "/prpc/Tappd.RawQuote");
    dstack_get_quote_response_free(q);
    struct dstack_get_tls_key_response *t = NULL;
    CHECK(dstack_tappd_derive_key(c, "/", NULL, NULL, 0, &t) == DSTACK_OK);
    CHECK_STR(log_body(3), "{\"path\":\"/\",\"subject\":\"/\"}");
    CHECK(strstr(logbuf, "derive_key is deprecated, please use get_key instead") != NULL);
    dstack_get_tls_key_response_free(t);
    struct dstack_info_response *i = NULL;
    CHECK(dstack_tappd_info(c, &i) == DSTACK_OK);
    CHECK_STR(i ? i->app_id : NULL, "5bb4");
    dstack_info_response_free(i);
    CHECK(dstack_is_reachable(c));
    CHECK_STR(log_path(5), "/prpc/Tappd.Info");
    dstack_client_free(c);
    /* legacy calls on a current-API client are refused */
    c = new_client(0);
    CHECK(dstack_tappd_info(c, &i) == DSTACK_EINVAL);
    dstack_client_free(c);
}

static void run_suite(bool tcp)
{
    fake_agent_start(&fa, tcp);
    struct dstack_client *c = new_client(0);
    CHECK_STR(dstack_client_endpoint(c), fake_endpoint(&fa));
    test_get_key(c);
    test_tls_key(c);
    test_quote_and_checks(c);
    test_info_sign_misc(c);
    dstack_client_free(c);
    test_keepalive();
    test_threads();
    test_timeout();
    test_tappd();
    fake_agent_stop(&fa);
}

static void test_agent_down(void)
{
    /* a socket file nobody listens on */
    fake_agent_start(&fa, false);
    char path[108];
    snprintf(path, sizeof path, "%s", fa.sock_path);
    struct dstack_client *c = new_client(0);
    fake_agent_stop(&fa); /* removes the socket */
    struct dstack_version_response *v = NULL;
    CHECK(dstack_version(c, &v) == DSTACK_ETRANSPORT);
    CHECK(strstr(dstack_last_error(), "cannot reach the agent at") != NULL);
    CHECK(!dstack_is_reachable(c));
    dstack_client_free(c);
    /* closed TCP port */
    CHECK(dstack_client_new("http://127.0.0.1:1", NULL, &c) == DSTACK_OK);
    CHECK(dstack_version(c, &v) == DSTACK_ETRANSPORT);
    dstack_client_free(c);
}

int main(void)
{
    run_suite(false);
    run_suite(true);
    test_agent_down();
    return check_exit();
}
