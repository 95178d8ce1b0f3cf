/* dstack-quote-sidecar pieces without a network: the RFC 3339 timestamp of GET /, the route
 * table, error bodies, and the gate that bounds agent calls. */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "sc_gate.h"
#include "sc_handler.h"
#include "sc_routes.h"
#include "sc_time.h"

static void test_rfc3339(void)
{
    static const struct {
        time_t sec;
        long nsec;
        int rc;
        const char *want;
    } cases[] = {
        {0, 0, 0, "1970-01-01T00:00:00.000000Z"},
        /* The sidecar README's example instant. */
        {1770888645, 123456000, 0, "2026-02-12T09:30:45.123456Z"},
        {1770888645, 123456999, 0, "2026-02-12T09:30:45.123456Z"}, /* truncated, not rounded */
        {951782400, 999999999, 0, "2000-02-29T00:00:00.999999Z"},
        {253402300799, 1000, 0, "9999-12-31T23:59:59.000001Z"},
        {253402300800, 0, -1, NULL}, /* year 10000 */
        {0, 1000000000, -1, NULL},
        {0, -1, -1, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct timespec ts = {.tv_sec = cases[i].sec, .tv_nsec = cases[i].nsec};
        char out[SC_RFC3339_LEN];
        int rc = sc_rfc3339_utc(&ts, out);
        CHECK(rc == cases[i].rc);
        if (rc == 0 && cases[i].want != NULL) {
            CHECK_STR(out, cases[i].want);
        }
    }
}

static void test_routes(void)
{
    static const struct {
        const char *path;
        sc_handler_fn fn;
    } cases[] = {
        {"/", sc_h_root},       {"/health", sc_h_health}, {"/ready", sc_h_ready},
        {"/quote", sc_h_quote}, {"/attest", sc_h_attest}, {"/info", sc_h_info},
        {"/quote/", NULL},      {"/Quote", NULL},         {"", NULL},
        {"/healthz", NULL},     {"//quote", NULL},        {"/quote?data=x", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct sc_route *r = sc_route_find(cases[i].path);
        CHECK(cases[i].fn == NULL ? r == NULL : (r != NULL && r->fn == cases[i].fn));
    }
}

static void test_handlers_without_agent(void)
{
    struct sc_response resp = {0};
    struct sc_request req = {0};
    sc_h_health(NULL, &req, &resp);
    CHECK(resp.status == 200);
    char *s = json_dump(resp.body, 0, NULL);
    CHECK_STR(s, "{\"status\":\"ok\"}");
    free(s);

    sc_h_root(NULL, &req, &resp);
    CHECK(resp.status == 200);
    CHECK_STR(json_str(json_get(resp.body, "service")), "dstack-quote-sidecar");
    const char *ts = json_str(json_get(resp.body, "timestamp"));
    CHECK(ts != NULL && strlen(ts) == SC_RFC3339_LEN - 1 && ts[10] == 'T' && ts[19] == '.' &&
          ts[26] == 'Z');

    /* Error texts from outside are made printable ASCII so that JSON and log lines hold. */
    sc_response_error(&resp, 502, "Failed to get quote", "agent said: %s",
                      "bad\n\xff\x01"
                      "end");
    CHECK(resp.status == 502);
    s = json_dump(resp.body, 0, NULL);
    CHECK_STR(s, "{\"error\":\"Failed to get quote: agent said: bad ??end\"}");
    free(s);
    json_free(resp.body);
}

struct gate_worker {
    struct sc_gate *g;
    int ok;
};

static void *gate_hold(void *arg)
{
    struct gate_worker *w = arg;
    if (sc_gate_acquire(w->g, 5000)) {
        usleep(20000);
        sc_gate_release(w->g);
        w->ok = 1;
    }
    return NULL;
}

static void test_gate(void)
{
    struct sc_gate g;
    CHECK(sc_gate_init(&g, 2) == 0);
    CHECK(sc_gate_acquire(&g, 0));
    CHECK(sc_gate_acquire(&g, 0));
    /* Full: a third holder times out, after about the time asked for. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(!sc_gate_acquire(&g, 50));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK(ms >= 45 && ms < 2000);
    sc_gate_release(&g);
    CHECK(sc_gate_acquire(&g, 0));
    sc_gate_release(&g);
    sc_gate_release(&g);

    /* 16 threads through the gate of 2: all get through, never more than 2 at once. */
    enum { N = 16 };
    pthread_t th[N];
    struct gate_worker w[N];
    for (int i = 0; i < N; i++) {
        w[i] = (struct gate_worker){.g = &g, .ok = 0};
        pthread_create(&th[i], NULL, gate_hold, &w[i]);
    }
    int ok = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ok += w[i].ok;
    }
    CHECK(ok == N);
    CHECK(sc_gate_peak(&g) == 2);
    sc_gate_destroy(&g);
}

int main(void)
{
    test_rfc3339();
    test_routes();
    test_handlers_without_agent();
    test_gate();
    return check_exit();
}
