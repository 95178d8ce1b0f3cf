/* The async interface against the real simulator: 100 requests in flight at once (over the Unix
 * socket and TCP, with and without a connection cap), every typed request beside its blocking
 * twin, the Version probe chained inside GetKey/GetTlsKey (and its failure on a listener without
 * Version), client-side refusals, agent 400s, cancellation, free with pending requests, an agent
 * that is down, a timeout, and the event-loop hooks driven by an epoll loop. */
#include <dstack/client.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"

#define N_FLIGHT 100

static struct sim sim;
static char tcp_url[64];
static char limited_sock[400];

struct key_slot {
    int calls;
    dstack_err err;
    uint8_t key[32];
    size_t chain_len;
    size_t pending_at_call; /* dstack_async_pending() seen from inside the callback */
    struct dstack_async *a;
};

static void on_key(dstack_err err, struct dstack_get_key_response *k, void *user)
{
    struct key_slot *s = user;
    s->calls++;
    s->err = err;
    s->pending_at_call = dstack_async_pending(s->a);
    if (k != NULL) {
        memcpy(s->key, k->key, sizeof s->key);
        s->chain_len = k->signature_chain_len;
    }
    dstack_get_key_response_free(k);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* 100 GetKey requests submitted before any is driven; each key equals the blocking call's. */
static void test_hundred_in_flight(const char *endpoint, unsigned max_conn)
{
    struct dstack_client *c = NULL;
    struct dstack_async *a = NULL;
    CHECK(dstack_client_new(endpoint, NULL, &c) == DSTACK_OK);
    CHECK(dstack_async_new(c, max_conn, &a) == DSTACK_OK);
    if (a == NULL) {
        dstack_client_free(c);
        return;
    }
    static struct key_slot slots[N_FLIGHT];
    memset(slots, 0, sizeof slots);
    dstack_async_id ids[N_FLIGHT];
    for (int i = 0; i < N_FLIGHT; i++) {
        char path[32];
        snprintf(path, sizeof path, "async/%d", i);
        slots[i].a = a;
        CHECK(dstack_async_get_key(a, path, "p", NULL, on_key, &slots[i], &ids[i]) == DSTACK_OK);
        CHECK(ids[i] != 0 && (i == 0 || ids[i] != ids[i - 1]));
    }
    CHECK(dstack_async_pending(a) == N_FLIGHT); /* all in flight, none completed yet */
    double t0 = now_ms();
    CHECK(dstack_async_run(a) == DSTACK_OK);
    double dt = now_ms() - t0;
    CHECK(dstack_async_pending(a) == 0);
    int ok = 0;
    size_t min_pending = N_FLIGHT;
    for (int i = 0; i < N_FLIGHT; i++) {
        ok += slots[i].calls == 1 && slots[i].err == DSTACK_OK && slots[i].chain_len == 2;
        if (slots[i].pending_at_call < min_pending) {
            min_pending = slots[i].pending_at_call;
        }
    }
    CHECK(ok == N_FLIGHT);
    CHECK(min_pending == 0); /* the last callback sees nothing pending */
    /* spot-check against the blocking call */
    for (int i = 0; i < N_FLIGHT; i += 33) {
        char path[32];
        snprintf(path, sizeof path, "async/%d", i);
        struct dstack_get_key_response *k = NULL;
        CHECK(dstack_get_key(c, path, "p", NULL, &k) == DSTACK_OK);
        CHECK(k != NULL && memcmp(k->key, slots[i].key, 32) == 0);
        dstack_get_key_response_free(k);
    }
    printf("async: %d GetKey in flight over %s (max_connections %u): %.1f ms\n", N_FLIGHT,
           strncmp(endpoint, "http", 4) == 0 ? "TCP" : "Unix socket", max_conn, dt);
    dstack_async_free(a);
    dstack_client_free(c);
}

/* ---- every kind of request ---- */

struct results {
    int n;
    dstack_err quote_err, attest_err, info_err, version_err, sign_err, verify_err, emit_err,
        tls_err, ed_err, call_err;
    size_t quote_len, rd_len, attest_len, tls_chain;
    char app_id[80], version[40], call_text[200];
    bool valid;
    uint8_t sig[128], pub[64];
    size_t sig_len, pub_len;
    uint8_t ed_key[32];
};

static void on_quote(dstack_err err, struct dstack_get_quote_response *q, void *u)
{
    struct results *r = u;
    r->n++;
    r->quote_err = err;
    if (q != NULL) {
        r->quote_len = q->quote.len;
        r->rd_len = q->report_data.len;
        CHECK(q->report_data.len == 64 && memcmp(q->report_data.data, "async", 5) == 0);
    }
    dstack_get_quote_response_free(q);
}

static void on_attest(dstack_err err, struct dstack_attest_response *at, void *u)
{
    struct results *r = u;
    r->n++;
    r->attest_err = err;
    r->attest_len = at != NULL ? at->attestation.len : 0;
    dstack_attest_response_free(at);
}

static void on_info(dstack_err err, struct dstack_info_response *i, void *u)
{
    struct results *r = u;
    r->n++;
    r->info_err = err;
    if (i != NULL) {
        snprintf(r->app_id, sizeof r->app_id, "%s", i->app_id);
        const struct dstack_info_tcb *tcb = NULL;
        CHECK(dstack_info_tcb_info(i, &tcb) == DSTACK_OK && tcb != NULL);
    }
    dstack_info_response_free(i);
}

static void on_version(dstack_err err, struct dstack_version_response *v, void *u)
{
    struct results *r = u;
    r->n++;
    r->version_err = err;
    if (v != NULL) {
        snprintf(r->version, sizeof r->version, "%s", v->version);
    }
    dstack_version_response_free(v);
}

static void on_sign(dstack_err err, struct dstack_sign_response *s, void *u)
{
    struct results *r = u;
    r->n++;
    r->sign_err = err;
    if (s != NULL && s->signature.len <= sizeof r->sig && s->public_key.len <= sizeof r->pub) {
        memcpy(r->sig, s->signature.data, s->signature.len);
        r->sig_len = s->signature.len;
        memcpy(r->pub, s->public_key.data, s->public_key.len);
        r->pub_len = s->public_key.len;
    }
    dstack_sign_response_free(s);
}

static void on_verify(dstack_err err, bool valid, void *u)
{
    struct results *r = u;
    r->n++;
    r->verify_err = err;
    r->valid = valid;
}

static void on_emit(dstack_err err, void *u)
{
    struct results *r = u;
    r->n++;
    r->emit_err = err;
}

static void on_tls(dstack_err err, struct dstack_get_tls_key_response *t, void *u)
{
    struct results *r = u;
    r->n++;
    r->tls_err = err;
    if (t != NULL) {
        r->tls_chain = t->certificate_chain_len;
        CHECK(strstr(t->key, "BEGIN PRIVATE KEY") != NULL);
    }
    dstack_get_tls_key_response_free(t);
}

static void on_ed(dstack_err err, struct dstack_get_key_response *k, void *u)
{
    struct results *r = u;
    r->n++;
    r->ed_err = err;
    if (k != NULL) {
        memcpy(r->ed_key, k->key, 32);
    }
    dstack_get_key_response_free(k);
}

static void on_call(dstack_err err, char *text, void *u)
{
    struct results *r = u;
    r->n++;
    r->call_err = err;
    if (text != NULL) {
        snprintf(r->call_text, sizeof r->call_text, "%s", text);
    }
    free(text);
}

static void test_every_kind(void)
{
    struct dstack_client *c = NULL;
    struct dstack_async *a = NULL;
    CHECK(dstack_client_new(sim.dstack_sock, NULL, &c) == DSTACK_OK);
    CHECK(dstack_async_new(c, 4, &a) == DSTACK_OK);
    if (a == NULL) {
        dstack_client_free(c);
        return;
    }
    struct results r = {0};
    struct dstack_tls_key_options o;
    dstack_tls_key_options_init(&o);
    o.subject = "async.example";
    o.has_with_app_info = true; /* 0.5.7 option: Version probed first, then GetTlsKey */
    o.with_app_info = true;
    CHECK(dstack_async_get_quote(a, (const uint8_t *)"async", 5, on_quote, &r, NULL) == DSTACK_OK);
    CHECK(dstack_async_attest(a, (const uint8_t *)"x", 1, on_attest, &r, NULL) == DSTACK_OK);
    CHECK(dstack_async_info(a, on_info, &r, NULL) == DSTACK_OK);
    CHECK(dstack_async_version(a, on_version, &r, NULL) == DSTACK_OK);
    CHECK(dstack_async_sign(a, "ed25519", (const uint8_t *)"msg", 3, on_sign, &r, NULL) ==
          DSTACK_OK);
    CHECK(dstack_async_emit_event(a, "async-event", (const uint8_t *)"p", 1, on_emit, &r, NULL) ==
          DSTACK_OK);
    CHECK(dstack_async_get_tls_key(a, &o, on_tls, &r, NULL) == DSTACK_OK);
    CHECK(dstack_async_get_key(a, "ed/path", "", "ed25519", on_ed, &r, NULL) == DSTACK_OK);
    CHECK(dstack_async_call(a, "Version", NULL, on_call, &r, NULL) == DSTACK_OK);
    CHECK(dstack_async_pending(a) == 9);
    CHECK(dstack_async_run(a) == DSTACK_OK);
    CHECK(r.n == 9);
    CHECK(r.quote_err == DSTACK_OK && r.quote_len > 600 && r.rd_len == 64);
    CHECK(r.attest_err == DSTACK_OK && r.attest_len > 0);
    CHECK(r.info_err == DSTACK_OK && strlen(r.app_id) == 40);
    CHECK(r.version_err == DSTACK_OK && r.version[0] != '\0');
    CHECK(r.sign_err == DSTACK_OK && r.sig_len == 64 && r.pub_len == 32);
    CHECK(r.emit_err == DSTACK_OK);
    CHECK(r.tls_err == DSTACK_OK && r.tls_chain >= 2);
    CHECK(r.ed_err == DSTACK_OK);
    CHECK(r.call_err == DSTACK_OK && strstr(r.call_text, "\"version\"") != NULL);

    /* beside the blocking calls */
    struct dstack_get_key_response *k = NULL;
    CHECK(dstack_get_key(c, "ed/path", "", "ed25519", &k) == DSTACK_OK);
    CHECK(k != NULL && memcmp(k->key, r.ed_key, 32) == 0);
    dstack_get_key_response_free(k);
    struct dstack_info_response *info = NULL;
    CHECK(dstack_info(c, &info) == DSTACK_OK);
    CHECK(info != NULL && strcmp(info->app_id, r.app_id) == 0);
    dstack_info_response_free(info);

    /* Verify the async signature asynchronously; then a flipped one */
    r.n = 0;
    CHECK(dstack_async_verify(a, "ed25519", (const uint8_t *)"msg", 3, r.sig, r.sig_len, r.pub,
                              r.pub_len, on_verify, &r, NULL) == DSTACK_OK);
    CHECK(dstack_async_run(a) == DSTACK_OK);
    CHECK(r.n == 1 && r.verify_err == DSTACK_OK && r.valid);
    r.sig[0] ^= 1;
    CHECK(dstack_async_verify(a, "ed25519", (const uint8_t *)"msg", 3, r.sig, r.sig_len, r.pub,
                              r.pub_len, on_verify, &r, NULL) == DSTACK_OK);
    CHECK(dstack_async_run(a) == DSTACK_OK);
    CHECK(r.n == 2 && r.verify_err == DSTACK_OK && !r.valid);

    /* agent 400: its error text reaches the callback through dstack_last_error() */
    struct key_slot bad = {.a = a};
    CHECK(dstack_async_get_key(a, "x", "", "secp256k1_prehashed", on_key, &bad, NULL) == DSTACK_OK);
    CHECK(dstack_async_run(a) == DSTACK_OK);
    CHECK(bad.calls == 1 && bad.err == DSTACK_ESERVER);
    r.n = 0;
    CHECK(dstack_async_call(a, "NoSuchMethod", "{}", on_call, &r, NULL) == DSTACK_OK);
    CHECK(dstack_async_run(a) == DSTACK_OK);
    CHECK(r.n == 1 && r.call_err == DSTACK_ESERVER);

    /* client-side refusals: no request, no callback, the blocking calls' texts */
    uint8_t big[65] = {0};
    dstack_async_id id = 77;
    CHECK(dstack_async_get_quote(a, big, 65, on_quote, &r, &id) == DSTACK_EINVAL);
    CHECK(id == 0);
    CHECK_STR(dstack_last_error(), "report_data must be at most 64 bytes, got 65");
    CHECK(dstack_async_emit_event(a, "", NULL, 0, on_emit, &r, NULL) == DSTACK_EINVAL);
    CHECK_STR(dstack_last_error(), "event name cannot be empty");
    CHECK(dstack_async_sign(a, "secp256k1_prehashed", big, 9, on_sign, &r, NULL) == DSTACK_EINVAL);
    CHECK(strstr(dstack_last_error(), "32-byte digest") != NULL);
    CHECK(dstack_async_call(a, "Version", "[1]", on_call, &r, NULL) == DSTACK_EINVAL);
    CHECK(dstack_async_info(a, NULL, &r, NULL) == DSTACK_EINVAL);
    CHECK(dstack_async_info(NULL, on_info, &r, NULL) == DSTACK_EINVAL);
    CHECK(dstack_async_pending(a) == 0);
    dstack_async_free(a);
    dstack_client_free(c);
}

/* ---- cancellation ---- */

struct cancel_ctx {
    struct dstack_async *a;
    dstack_async_id victim;
    int canceled, ok, other;
    dstack_err victim_cancel_rc;
    char msg[64];
};

static void on_cancel_key(dstack_err err, struct dstack_get_key_response *k, void *u)
{
    struct cancel_ctx *x = u;
    if (err == DSTACK_ECANCELED) {
        x->canceled++;
        snprintf(x->msg, sizeof x->msg, "%s", dstack_last_error());
    } else if (err == DSTACK_OK) {
        x->ok++;
    } else {
        x->other++;
        snprintf(x->msg, sizeof x->msg, "%s: %s", dstack_err_str(err), dstack_last_error());
    }
    dstack_get_key_response_free(k);
}

/* The first callback to run cancels another pending request from inside the callback. */
static void on_cancel_from_cb(dstack_err err, struct dstack_get_key_response *k, void *u)
{
    struct cancel_ctx *x = u;
    on_cancel_key(err, k, u);
    if (x->victim != 0) {
        x->victim_cancel_rc = dstack_async_cancel(x->a, x->victim);
        x->victim = 0;
    }
}

static void test_cancel(void)
{
    struct dstack_client *c = NULL;
    struct dstack_async *a = NULL;
    CHECK(dstack_client_new(sim.dstack_sock, NULL, &c) == DSTACK_OK);
    CHECK(dstack_async_new(c, 2, &a) == DSTACK_OK);
    if (a == NULL) {
        dstack_client_free(c);
        return;
    }
    struct cancel_ctx x = {.a = a};
    dstack_async_id ids[10];
    for (int i = 0; i < 10; i++) {
        CHECK(dstack_async_get_key(a, "c", "", NULL, on_cancel_key, &x, &ids[i]) == DSTACK_OK);
    }
    /* cancel before anything ran: the callback runs inside dstack_async_cancel */
    CHECK(dstack_async_cancel(a, ids[3]) == DSTACK_OK);
    CHECK(x.canceled == 1 && dstack_async_pending(a) == 9);
    CHECK_STR(x.msg, "request cancelled");
    CHECK(dstack_async_cancel(a, ids[3]) == DSTACK_EINVAL); /* gone */
    CHECK(dstack_async_cancel(a, 999999) == DSTACK_EINVAL);
    /* start the transfers, then cancel one mid-flight */
    CHECK(dstack_async_perform(a, NULL) == DSTACK_OK);
    size_t before = dstack_async_pending(a);
    dstack_err rc = dstack_async_cancel(a, ids[9]);
    CHECK(rc == DSTACK_OK || before < 9); /* unless it already completed */
    CHECK(dstack_async_run(a) == DSTACK_OK);
    CHECK(x.canceled + x.ok == 10 && x.other == 0);
    CHECK(x.canceled >= 1);

    /* cancel from inside a callback */
    struct cancel_ctx y = {.a = a};
    dstack_async_id first = 0;
    CHECK(dstack_async_get_key(a, "c", "", NULL, on_cancel_from_cb, &y, &first) == DSTACK_OK);
    CHECK(dstack_async_get_key(a, "c", "", NULL, on_cancel_key, &y, &y.victim) == DSTACK_OK);
    y.victim_cancel_rc = DSTACK_EIO;
    /* max_connections 2 lets both run; whichever order, exactly one callback per request */
    CHECK(dstack_async_run(a) == DSTACK_OK);
    CHECK(y.canceled + y.ok == 2 && y.other == 0);
    CHECK(y.victim_cancel_rc == DSTACK_OK || y.victim_cancel_rc == DSTACK_EINVAL);

    /* free with requests pending: each callback runs once with DSTACK_ECANCELED */
    struct cancel_ctx z = {.a = a};
    for (int i = 0; i < 20; i++) {
        CHECK(dstack_async_get_key(a, "z", "", NULL, on_cancel_key, &z, NULL) == DSTACK_OK);
    }
    CHECK(dstack_async_perform(a, NULL) == DSTACK_OK);
    dstack_async_free(a);
    if (!(z.canceled + z.ok == 20 && z.canceled > 0 && z.other == 0)) {
        fprintf(stderr, "free with 20 pending: %d cancelled, %d ok, %d other (last: %s)\n",
                z.canceled, z.ok, z.other, z.msg);
    }
    CHECK(z.canceled + z.ok == 20 && z.canceled > 0 && z.other == 0);
    dstack_client_free(c);
}

/* ---- failures of the transport and the Version probe ---- */

struct err_ctx {
    int n;
    dstack_err err;
    char msg[300];
};

static void on_err_key(dstack_err err, struct dstack_get_key_response *k, void *u)
{
    struct err_ctx *e = u;
    e->n++;
    e->err = err;
    snprintf(e->msg, sizeof e->msg, "%s", dstack_last_error());
    dstack_get_key_response_free(k);
}

static void on_err_tls(dstack_err err, struct dstack_get_tls_key_response *t, void *u)
{
    struct err_ctx *e = u;
    e->n++;
    e->err = err;
    snprintf(e->msg, sizeof e->msg, "%s", dstack_last_error());
    dstack_get_tls_key_response_free(t);
}

static void expect_key_error(const char *endpoint, unsigned timeout_ms, const char *alg,
                             dstack_err want, const char *want_text)
{
    struct dstack_client_options o = {.timeout_ms = timeout_ms};
    struct dstack_client *c = NULL;
    struct dstack_async *a = NULL;
    CHECK(dstack_client_new(endpoint, &o, &c) == DSTACK_OK);
    CHECK(c != NULL && dstack_async_new(c, 0, &a) == DSTACK_OK);
    if (a == NULL) {
        dstack_client_free(c);
        return;
    }
    struct err_ctx e = {0};
    CHECK(dstack_async_get_key(a, "k", "", alg, on_err_key, &e, NULL) == DSTACK_OK);
    CHECK(dstack_async_run(a) == DSTACK_OK);
    CHECK(e.n == 1 && e.err == want);
    if (strstr(e.msg, want_text) == NULL) {
        fprintf(stderr, "  message: %s\n  wanted:  %s\n", e.msg, want_text);
        CHECK(!"message");
    }
    dstack_async_free(a);
    dstack_client_free(c);
}

static void test_failures(void)
{
    /* agent down: nothing listens on port 1 */
    expect_key_error("http://127.0.0.1:1", 0, NULL, DSTACK_ETRANSPORT, "cannot reach the agent");

    /* timeout: a listener that accepts (backlog) and never answers */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 8) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0) {
        char url[64];
        snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(sa.sin_port));
        double t0 = now_ms();
        expect_key_error(url, 300, NULL, DSTACK_ETRANSPORT, "request timed out after 300 ms");
        double dt = now_ms() - t0;
        CHECK(dt >= 250 && dt < 3000);
    } else {
        CHECK(!"listener");
    }
    if (fd >= 0) {
        close(fd);
    }

    /* a listener without Version: the probe fails with the SDKs' text, no GetKey sent */
    expect_key_error(limited_sock, 0, "ed25519", DSTACK_EUNSUPPORTED,
                     "algorithm \"ed25519\" is not supported: OS version too old (Version RPC "
                     "unavailable)");
    /* ... while secp256k1 needs no probe and works there */
    expect_key_error(limited_sock, 0, "secp256k1", DSTACK_OK, "");

    struct dstack_client *c = NULL;
    struct dstack_async *a = NULL;
    CHECK(dstack_client_new(limited_sock, NULL, &c) == DSTACK_OK);
    CHECK(c != NULL && dstack_async_new(c, 0, &a) == DSTACK_OK);
    if (a != NULL) {
        struct dstack_tls_key_options o;
        dstack_tls_key_options_init(&o);
        o.has_not_before = true;
        o.has_not_after = true;
        o.not_after = 2000000000;
        struct err_ctx e = {0};
        CHECK(dstack_async_get_tls_key(a, &o, on_err_tls, &e, NULL) == DSTACK_OK);
        CHECK(dstack_async_run(a) == DSTACK_OK);
        CHECK(e.n == 1 && e.err == DSTACK_EUNSUPPORTED);
        CHECK_STR(e.msg, "TLS key options [not_before, not_after] are not supported: OS version "
                         "too old (Version RPC unavailable)");
    }
    dstack_async_free(a);
    dstack_client_free(c);
}

/* ---- event-loop hooks under epoll ---- */

struct loop {
    int ep;
    long timer_ms; /* -1 = none */
    int watched;
    int max_watched;
};

static void loop_watch(int fd, int events, void *user)
{
    struct loop *l = user;
    struct epoll_event ev = {.data.fd = fd};
    ev.events =
        ((events & DSTACK_ASYNC_IN) ? EPOLLIN : 0u) | ((events & DSTACK_ASYNC_OUT) ? EPOLLOUT : 0u);
    if (events == 0) {
        if (epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL) == 0) {
            l->watched--;
        }
        return;
    }
    if (epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev) != 0) {
        CHECK(epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) == 0);
        l->watched++;
        if (l->watched > l->max_watched) {
            l->max_watched = l->watched;
        }
    }
}

static void loop_timer(long timeout_ms, void *user)
{
    struct loop *l = user;
    l->timer_ms = timeout_ms;
}

static void test_event_loop(void)
{
    struct dstack_client *c = NULL;
    struct dstack_async *a = NULL;
    CHECK(dstack_client_new(sim.dstack_sock, NULL, &c) == DSTACK_OK);
    CHECK(c != NULL && dstack_async_new(c, 0, &a) == DSTACK_OK);
    struct loop l = {.ep = epoll_create1(0), .timer_ms = -1};
    if (a == NULL || l.ep < 0) {
        dstack_async_free(a);
        dstack_client_free(c);
        return;
    }
    CHECK(dstack_async_set_loop(a, loop_watch, loop_timer, &l) == DSTACK_OK);
    static struct key_slot slots[N_FLIGHT];
    memset(slots, 0, sizeof slots);
    for (int i = 0; i < N_FLIGHT; i++) {
        char path[32];
        snprintf(path, sizeof path, "async/%d", i);
        slots[i].a = a;
        CHECK(dstack_async_get_key(a, path, "p", NULL, on_key, &slots[i], NULL) == DSTACK_OK);
    }
    CHECK(l.timer_ms >= 0); /* libcurl asked to be woken to start the transfers */
    double t0 = now_ms();
    int rounds = 0;
    while (dstack_async_pending(a) > 0 && now_ms() - t0 < 10000) {
        struct epoll_event evs[64];
        int wait = l.timer_ms < 0 ? 1000 : (int)l.timer_ms;
        int n = epoll_wait(l.ep, evs, 64, wait);
        rounds++;
        if (n == 0) {
            l.timer_ms = -1;
            CHECK(dstack_async_on_timeout(a) == DSTACK_OK);
            continue;
        }
        for (int i = 0; i < n; i++) {
            int e = ((evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ? DSTACK_ASYNC_IN : 0) |
                    ((evs[i].events & EPOLLOUT) ? DSTACK_ASYNC_OUT : 0);
            CHECK(dstack_async_on_socket(a, evs[i].data.fd, e) == DSTACK_OK);
        }
    }
    CHECK(dstack_async_pending(a) == 0);
    int ok = 0;
    for (int i = 0; i < N_FLIGHT; i++) {
        ok += slots[i].calls == 1 && slots[i].err == DSTACK_OK;
    }
    CHECK(ok == N_FLIGHT);
    CHECK(l.max_watched > 1); /* several connections were open at once */
    printf("async (epoll loop): %d GetKey, %d loop rounds, up to %d sockets watched, %.1f ms\n",
           N_FLIGHT, rounds, l.max_watched, now_ms() - t0);
    /* the same keys as the poll-driven run */
    struct dstack_get_key_response *k = NULL;
    CHECK(dstack_get_key(c, "async/42", "p", NULL, &k) == DSTACK_OK);
    CHECK(k != NULL && memcmp(k->key, slots[42].key, 32) == 0);
    dstack_get_key_response_free(k);
    dstack_async_free(a);
    close(l.ep);
    dstack_client_free(c);
}

static bool free_tcp_port(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
              getsockname(fd, (struct sockaddr *)&sa, &len) == 0;
    *port = ntohs(sa.sin_port);
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

int main(void)
{
    int port = 0;
    char listen_arg[64];
    CHECK(free_tcp_port(&port));
    snprintf(listen_arg, sizeof listen_arg, "127.0.0.1:%d", port);
    snprintf(tcp_url, sizeof tcp_url, "http://127.0.0.1:%d", port);
    char limited_arg[420];
    snprintf(limited_sock, sizeof limited_sock, "/tmp/dstack-it-async-%d.sock", (int)getpid());
    snprintf(limited_arg, sizeof limited_arg, "unix:%s", limited_sock);
    const char *extra[] = {"--listen",  listen_arg,    "--listen", limited_arg,
                           "--methods", "GetKey,Info", NULL};
    if (!sim_start(&sim, extra)) {
        return 1;
    }
    test_hundred_in_flight(sim.dstack_sock, 0);
    test_hundred_in_flight(sim.dstack_sock, 8);
    test_hundred_in_flight(tcp_url, 0);
    test_every_kind();
    test_cancel();
    test_failures();
    test_event_loop();
    CHECK(sim_stop(&sim) == 0);
    unlink(limited_sock);
    return check_exit();
}
