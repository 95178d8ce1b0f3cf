/* Quote RPC handlers over two backends: a test backend driving the real quote builder (signed
 * quotes, emit_event, and an EmitEvent racing between quote and event log), and the
 * simulator's fixture mode on upstream's attestation.bin. */
#include <pthread.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <dstack/attest.h>
#include <dstack/quote.h>

#include "agent.h"
#include "tee/sim_pck.h"
#include "attest/versioned.h"
#include "check.h"
#include "util/error.h"
#include "handlers.h"
#include "quote_answer.h"
#include "tee/sim_quote.h"
#include "util/hex.h"

/* ---- a measured backend: state = boot log + runtime events, quotes from quote_build ---- */
struct test_tee {
    pthread_mutex_t lock;
    struct quote_pki *pki;
    struct dstack_event_log log;
    uint8_t mrtd[DSTACK_MR_LEN];
    uint8_t rtmr[4][DSTACK_MR_LEN];
    int race; /* emit this many events inside the next event_log call */
};

static dstack_err tt_emit_locked(struct test_tee *t, const char *name, const uint8_t *p, size_t n)
{
    uint8_t d[DSTACK_SHA384_LEN];
    dstack_err e = dstack_runtime_event_digest(DSTACK_EVENT_V1, name, p, n, d);
    if (e == DSTACK_OK) {
        dstack_rtmr_extend(t->rtmr[3], d);
        e = dstack_event_log_push_runtime(&t->log, name, p, n, DSTACK_EVENT_V1);
    }
    return e;
}

static dstack_err tt_emit(void *st, const char *name, const uint8_t *p, size_t n)
{
    struct test_tee *t = st;
    pthread_mutex_lock(&t->lock);
    dstack_err e = tt_emit_locked(t, name, p, n);
    pthread_mutex_unlock(&t->lock);
    return e;
}

static dstack_err tt_event_log(void *st, struct dstack_event_log *out)
{
    struct test_tee *t = st;
    dstack_err e = DSTACK_OK;
    pthread_mutex_lock(&t->lock);
    for (; t->race > 0; t->race--) {
        tt_emit_locked(t, "racer", (const uint8_t *)"x", 1);
    }
    for (size_t i = 0; i < t->log.count && e == DSTACK_OK; i++) {
        const struct dstack_event *ev = &t->log.events[i];
        e = dstack_event_log_push(out, ev->imr, ev->event_type, ev->has_digest ? ev->digest : NULL,
                                  ev->event, ev->payload, ev->payload_len, ev->version);
    }
    pthread_mutex_unlock(&t->lock);
    return e;
}

/* The cache key of quote bytes (false when they do not parse). */
static bool key_of(const uint8_t *q, size_t len, uint8_t key[QUOTE_ANSWER_KEY_LEN])
{
    struct dstack_quote pq;
    if (q == NULL || dstack_quote_parse(q, len, &pq) != DSTACK_OK) {
        return false;
    }
    quote_answer_key(&pq.report, key);
    return true;
}

static dstack_err tt_quote(void *st, const uint8_t rd[DSTACK_REPORT_DATA_LEN], uint8_t **q,
                           size_t *n)
{
    struct test_tee *t = st;
    struct quote_td td;
    quote_td_defaults(&td);
    pthread_mutex_lock(&t->lock);
    memcpy(td.mr_td, t->mrtd, DSTACK_MR_LEN);
    memcpy(td.rtmr, t->rtmr, sizeof td.rtmr);
    pthread_mutex_unlock(&t->lock);
    return quote_build_v4(t->pki, &td, rd, q, n);
}

static const struct tee_backend test_backend = {
    .name = "test",
    .event_log = tt_event_log,
    .quote = tt_quote,
    .emit_event = tt_emit,
};

static void tt_init(struct test_tee *t)
{
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
    uint8_t seed[QUOTE_SEED_LEN];
    memset(seed, 0x31, sizeof seed);
    CHECK(quote_pki_new(seed, &t->pki) == DSTACK_OK);
    memset(t->mrtd, 0x11, sizeof t->mrtd);
    /* two boot events in IMR 0 and 1 */
    uint8_t d[DSTACK_SHA384_LEN];
    for (uint32_t imr = 0; imr < 2; imr++) {
        memset(d, (int)(0xa0 + imr), sizeof d);
        CHECK(dstack_event_log_push(&t->log, imr, 0x80000001u, d, "", (const uint8_t *)"fw", 2,
                                    DSTACK_EVENT_V1) == DSTACK_OK);
        dstack_rtmr_extend(t->rtmr[imr], d);
    }
    tt_emit_locked(t, "system-preparing", NULL, 0);
    tt_emit_locked(t, "app-id", (const uint8_t *)"\xde\xad\xbe\xef", 4);
}

static void tt_free(struct test_tee *t)
{
    quote_pki_free(t->pki);
    dstack_event_log_free(&t->log);
    pthread_mutex_destroy(&t->lock);
}

/* ---- helpers ---- */
static char *g_last_text; /* the last successful answer as the handler wrote it */

/* The quote handlers answer with pre-encoded JSON (rpc_call.result_text). It must be exactly
 * what the server's json_dump (compact) makes of the same object - the encoding these
 * responses had before - so every answer is parsed back and dumped again for comparison, and
 * the parsed object goes to c->result for the field checks. */
static bool call(rpc_handler h, struct agent *a, const char *args_json, struct rpc_call *c)
{
    memset(c, 0, sizeof *c);
    cJSON *args = json_parse(args_json, strlen(args_json), 0, NULL);
    c->agent = a;
    c->args = args;
    err_clear();
    bool ok = h(c) == DSTACK_OK;
    json_free(args);
    free(g_last_text);
    g_last_text = NULL;
    if (ok && c->result_text != NULL) {
        CHECK(c->result == NULL);
        CHECK(strlen(c->result_text) == c->result_text_len);
        struct json_error jerr;
        c->result = json_parse(c->result_text, c->result_text_len, 0, &jerr);
        CHECK(cJSON_IsObject(c->result));
        char *again = json_dump(c->result, 0, NULL);
        CHECK(again != NULL && strcmp(again, c->result_text) == 0);
        free(again);
        g_last_text = c->result_text;
        c->result_text = NULL;
    }
    CHECK(ok || (c->result == NULL && c->result_text == NULL && err_text()[0] != '\0'));
    return ok;
}

/* The GetQuote answer as the handler built it before it wrote JSON itself: a JSON tree of
 * the quote, the backend's whole event log as compact text, report data, vm_config and the V0
 * attestation from versioned_encode_v0, dumped like the server does. Independent of
 * quote_answer.c: the event log comes from the test backend's own list. */
static char *old_get_quote_text(const struct dstack_event_log *log, const uint8_t *quote,
                                size_t quote_len, const uint8_t rd[64], const char *vm_config)
{
    struct versioned_attestation va;
    memset(&va, 0, sizeof va);
    va.events = calloc(log->count + 1, sizeof *va.events);
    va.runtime = calloc(log->count + 1, sizeof *va.runtime);
    va.quote = (uint8_t *)quote;
    va.quote_len = quote_len;
    for (size_t i = 0; i < log->count; i++) {
        const struct dstack_event *e = &log->events[i];
        struct versioned_event *v = &va.events[va.n_events++];
        v->imr = e->imr;
        v->event_type = e->event_type;
        v->digest = (uint8_t *)e->digest;
        v->digest_len = DSTACK_SHA384_LEN;
        v->event = e->event;
        v->event_len = strlen(e->event);
        v->payload = e->payload;
        v->payload_len = e->payload_len;
        if (e->event_type == DSTACK_RUNTIME_EVENT_TYPE) {
            struct versioned_runtime_event *r = &va.runtime[va.n_runtime++];
            r->event = e->event;
            r->event_len = v->event_len;
            r->payload = e->payload;
            r->payload_len = e->payload_len;
        }
    }
    memcpy(va.report_data, rd, 64);
    va.config = (char *)vm_config;
    va.config_len = strlen(vm_config);
    uint8_t *att = NULL;
    size_t att_len = 0;
    char *log_text = NULL;
    CHECK(versioned_encode_v0(&va, &att, &att_len) == DSTACK_OK);
    CHECK(dstack_event_log_format(log, DSTACK_EVLOG_JSON_COMPACT, &log_text) == DSTACK_OK);
    char *qh = hex_encode_alloc(quote, quote_len), *ah = hex_encode_alloc(att, att_len);
    char rh[129];
    hex_encode(rd, 64, rh);
    cJSON *o = json_object_of_strings("quote", qh, "event_log", log_text, "report_data", rh,
                                      "vm_config", vm_config, "attestation", ah, NULL);
    char *text = o != NULL ? json_dump(o, 0, NULL) : NULL;
    json_free(o);
    free(qh);
    free(ah);
    free(att);
    free(log_text);
    free(va.events);
    free(va.runtime);
    return text;
}

/* The last answer equals, byte for byte, the old encoding of the same quote over log. */
static void check_old_encoding(const cJSON *result, const struct dstack_event_log *log,
                               const char *vm_config)
{
    size_t qlen = 0;
    const char *qh = json_str(json_get(result, "quote"));
    const char *rh = json_str(json_get(result, "report_data"));
    uint8_t *q = NULL, rd[64];
    size_t rlen = 0;
    CHECK(qh != NULL && hex_decode_alloc(qh, strlen(qh), &q, &qlen) == DSTACK_OK);
    CHECK(rh != NULL && hex_decode(rh, strlen(rh), rd, sizeof rd, &rlen) == DSTACK_OK &&
          rlen == 64);
    char *want = q != NULL ? old_get_quote_text(log, q, qlen, rd, vm_config) : NULL;
    CHECK(want != NULL && g_last_text != NULL && strcmp(want, g_last_text) == 0);
    free(want);
    free(q);
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

/* The event_log string of a response replays to the RTMRs of its quote. */
static void check_replay(const cJSON *result, const struct dstack_quote *q, size_t *n_events)
{
    const char *text = json_str(json_get(result, "event_log"));
    struct dstack_event_log log;
    uint8_t rt[4][DSTACK_MR_LEN];
    CHECK(text != NULL && dstack_event_log_parse(text, strlen(text), &log) == DSTACK_OK);
    CHECK(dstack_replay_rtmrs(&log, rt) == DSTACK_OK);
    CHECK(memcmp(rt, q->report.rtmr, sizeof rt) == 0);
    *n_events = log.count;
    dstack_event_log_free(&log);
}

static void test_get_quote(struct agent *a, const char *root)
{
    struct rpc_call c;
    CHECK(call(h_get_quote, a, "{\"report_data\":\"74657374\"}", &c));
    const char *keys[] = {"quote", "event_log", "report_data", "vm_config", "attestation"};
    size_t k = 0;
    const char *key;
    cJSON *v;
    cJSON_ArrayForEach(v, c.result)
    {
        key = v->string;
        CHECK(k < 5 && strcmp(key, keys[k]) == 0); /* field order (docs/api/GetQuote.md) */
        k++;
    }
    CHECK(k == 5);
    CHECK_STR(json_str(json_get(c.result, "report_data")),
              "74657374000000000000000000000000000000000000000000000000000000000000000000000000"
              "000000000000000000000000000000000000000000000000");
    CHECK_STR(json_str(json_get(c.result, "vm_config")), "{\"cpu_count\":1}");
    size_t qlen;
    uint8_t *q = hex_field(c.result, "quote", &qlen);
    struct dstack_quote pq;
    CHECK(q != NULL && dstack_quote_parse(q, qlen, &pq) == DSTACK_OK);
    CHECK(memcmp(pq.report.report_data, "test\0\0\0", 8) == 0);
    CHECK(dstack_quote_verify(q, qlen, root, strlen(root)) == DSTACK_OK);
    size_t n;
    check_replay(c.result, &pq, &n);
    CHECK(n == 4);
    check_old_encoding(c.result, &((struct test_tee *)a->tee_state)->log, "{\"cpu_count\":1}");

    /* attestation: V0 with the same quote, report data and config */
    size_t alen;
    uint8_t *att = hex_field(c.result, "attestation", &alen);
    struct versioned_attestation va;
    CHECK(att != NULL && versioned_decode(att, alen, &va) == DSTACK_OK);
    CHECK(va.quote_len == qlen && memcmp(va.quote, q, qlen) == 0);
    CHECK(va.n_events == 4 && va.n_runtime == 2);
    CHECK_STR(va.runtime[1].event, "app-id");
    CHECK(memcmp(va.report_data, pq.report.report_data, 64) == 0);
    CHECK_STR(va.config, "{\"cpu_count\":1}");
    versioned_free(&va);
    free(att);
    free(q);
    json_free(c.result);

    /* 64 bytes fit; 65 do not; bad hex is refused */
    char args[300];
    snprintf(args, sizeof args, "{\"report_data\":\"%0128d\"}", 0);
    CHECK(call(h_get_quote, a, args, &c));
    json_free(c.result);
    snprintf(args, sizeof args, "{\"report_data\":\"%0130d\"}", 0);
    CHECK(!call(h_get_quote, a, args, &c));
    CHECK_STR(err_text(), "Report data is too long");
    CHECK(!call(h_get_quote, a, "{\"report_data\":\"zz\"}", &c));
    CHECK(!call(h_get_quote, a, "{\"report_data\":\"abc\"}", &c));
    CHECK(call(h_get_quote, a, "{}", &c)); /* empty: 64 zero bytes */
    CHECK_STR(json_str(json_get(c.result, "report_data")),
              "0000000000000000000000000000000000000000000000000000000000000000"
              "0000000000000000000000000000000000000000000000000000000000000000");
    json_free(c.result);
}

static void test_attest(struct agent *a)
{
    struct rpc_call c;
    CHECK(call(h_attest, a, "{\"report_data\":\"0102\"}", &c));
    CHECK((size_t)cJSON_GetArraySize(c.result) == 1);
    size_t alen;
    uint8_t *att = hex_field(c.result, "attestation", &alen);
    struct versioned_attestation va;
    CHECK(att != NULL && att[0] == 0x00 && versioned_decode(att, alen, &va) == DSTACK_OK);
    CHECK(va.report_data[0] == 1 && va.report_data[1] == 2 && va.report_data[2] == 0);
    struct dstack_quote pq;
    CHECK(dstack_quote_parse(va.quote, va.quote_len, &pq) == DSTACK_OK);
    CHECK(memcmp(pq.report.report_data, va.report_data, 64) == 0);
    versioned_free(&va);
    free(att);
    json_free(c.result);
    char args[300];
    snprintf(args, sizeof args, "{\"report_data\":\"%0130d\"}", 0);
    CHECK(!call(h_attest, a, args, &c));
    CHECK_STR(err_text(), "Report data is too long");
}

/* computed with upstream's code: content "test", tag "app-data". */
static const struct {
    const char *alg;
    const char *rd_hex; /* NULL: computed here with OpenSSL */
} tdx_cases[] = {
    {"sha512", "1864e059be7e1ec12d9fe9da903d3711e0d72edab19f044cc9d6ac90c32b996b545a9979309bd19c3"
               "6b803941e8e3485115e9b794001f2b9f367f6e03c52e532"},
    {"", "1864e059be7e1ec12d9fe9da903d3711e0d72edab19f044cc9d6ac90c32b996b545a9979309bd19c36b8039"
         "41e8e3485115e9b794001f2b9f367f6e03c52e532"},
    {"sha3-256", "893acdd0162e33594df56553bea2079b99d7d562284f9eb7fd9458e2add81fe80000000000000000"
                 "000000000000000000000000000000000000000000000000"},
    {"keccak256", "b877945563d5025eec520b6bb150efcf4c368c491ff1947529be3125d4e5ecb6000000000000000"
                  "0000000000000000000000000000000000000000000000000"},
    {"keccak384", "a551aba3b52b345ceeaba78660e95318fd404f947efa8ce16134a9d7dd370248c7a8cf4711dce74"
                  "e8c4feb01abb45ea900000000000000000000000000000000"},
    {"keccak512", "6dd564fe70580e2476e2ecb78ba5f994b83f8178064257bba498dcab267c5c75135c6b8f268d934"
                  "15ac8662db5104abccd51d30c0500da684a7550ae3f3b71c7"},
    {"sha256", NULL},
    {"sha384", NULL},
    {"sha3-384", NULL},
    {"sha3-512", NULL},
};

static void openssl_rd(const char *alg, uint8_t rd[64])
{
    const char *name = strcmp(alg, "sha256") == 0     ? "SHA256"
                       : strcmp(alg, "sha384") == 0   ? "SHA384"
                       : strcmp(alg, "sha3-384") == 0 ? "SHA3-384"
                                                      : "SHA3-512";
    unsigned int n = 0;
    memset(rd, 0, 64);
    EVP_Digest("app-data:test", 13, rd, &n, EVP_get_digestbyname(name), NULL);
}

static void test_tdx_quote(struct agent *a)
{
    for (size_t i = 0; i < sizeof tdx_cases / sizeof tdx_cases[0]; i++) {
        struct rpc_call c;
        char args[128];
        snprintf(args, sizeof args, "{\"report_data\":\"74657374\",\"hash_algorithm\":\"%s\"}",
                 tdx_cases[i].alg);
        CHECK(call(h_tdx_quote, a, args, &c));
        if (c.result == NULL) {
            continue;
        }
        const char *want_alg = tdx_cases[i].alg[0] ? tdx_cases[i].alg : "sha512";
        CHECK_STR(json_str(json_get(c.result, "hash_algorithm")), want_alg);
        CHECK_STR(json_str(json_get(c.result, "prefix")), "app-data");
        CHECK((size_t)cJSON_GetArraySize(c.result) == 4);
        size_t qlen;
        uint8_t *q = hex_field(c.result, "quote", &qlen);
        struct dstack_quote pq;
        CHECK(q != NULL && dstack_quote_parse(q, qlen, &pq) == DSTACK_OK);
        if (tdx_cases[i].rd_hex) {
            CHECK_HEX(pq.report.report_data, 64, tdx_cases[i].rd_hex);
        } else {
            uint8_t want[64];
            openssl_rd(tdx_cases[i].alg, want);
            CHECK(memcmp(pq.report.report_data, want, 64) == 0);
        }
        size_t n;
        check_replay(c.result, &pq, &n);
        free(q);
        json_free(c.result);
    }
    struct rpc_call c;
    /* custom prefix is echoed without the colon; unknown algorithm; raw length */
    CHECK(call(h_tdx_quote, a,
               "{\"report_data\":\"74657374\",\"hash_algorithm\":\"sha256\",\"prefix\":\"mine\"}",
               &c));
    CHECK_STR(json_str(json_get(c.result, "prefix")), "mine");
    json_free(c.result);
    CHECK(!call(h_tdx_quote, a, "{\"report_data\":\"74\",\"hash_algorithm\":\"md5\"}", &c));
    CHECK_STR(err_text(), "invalid hash algorithm");
    CHECK(!call(h_tdx_quote, a, "{\"report_data\":\"74\",\"hash_algorithm\":\"SHA256\"}", &c));
    CHECK_STR(err_text(), "invalid hash algorithm");
    CHECK(!call(h_tdx_quote, a, "{\"report_data\":\"74\",\"hash_algorithm\":\"raw\"}", &c));
    CHECK_STR(err_text(), "invalid content length");

    char args[300];
    snprintf(args, sizeof args, "{\"report_data\":\"%0128x\"}", 0xabc);
    CHECK(call(h_raw_quote, a, args, &c));
    if (c.result != NULL) {
        CHECK_STR(json_str(json_get(c.result, "hash_algorithm")), "raw");
        CHECK_STR(json_str(json_get(c.result, "prefix")), "");
        size_t qlen;
        uint8_t *q = hex_field(c.result, "quote", &qlen);
        CHECK(q != NULL && qlen > 632 && q[630] == 0x0a && q[631] == 0xbc);
        free(q);
        json_free(c.result);
    }
    snprintf(args, sizeof args, "{\"report_data\":\"%0126d\"}", 0);
    CHECK(!call(h_raw_quote, a, args, &c));
    CHECK_STR(err_text(), "invalid content length");
    snprintf(args, sizeof args, "{\"report_data\":\"%0130d\"}", 0);
    CHECK(!call(h_raw_quote, a, args, &c));
    CHECK_STR(err_text(), "invalid content length");
}

static void test_emit_event(struct agent *a, struct test_tee *t)
{
    struct rpc_call c;
    CHECK(!call(h_emit_event, a, "{\"event\":\"\",\"payload\":\"00\"}", &c));
    CHECK_STR(err_text(), "event name is required");
    CHECK(!call(h_emit_event, a, "{\"payload\":\"00\"}", &c));
    CHECK(!call(h_emit_event, a, "{\"event\":\"x\",\"payload\":\"0g\"}", &c));
    CHECK(!call(h_emit_event, a, "{\"event\":5}", &c));
    CHECK(t->log.count == 4);

    CHECK(call(h_emit_event, a, "{\"event\":\"app-id\",\"payload\":\"deadbeef\"}", &c));
    CHECK(c.result == NULL); /* Empty: the server answers `null`, as upstream's prpc */
    CHECK(t->log.count == 5);
    /* The V1 digest vector of docs/api/EmitEvent.md. */
    CHECK_HEX(t->log.events[4].digest, 48,
              "67b4be4efed0893cfa2bb1d35dca209ad8348b4c97f980807bcde8b9a0f26398dd0923d6eccb5aa2"
              "096d98046da8740f");

    /* GetQuote afterwards reflects it: RTMR3 moved and still replays. */
    CHECK(call(h_get_quote, a, "{}", &c));
    size_t qlen, n;
    uint8_t *q = hex_field(c.result, "quote", &qlen);
    struct dstack_quote pq;
    CHECK(q != NULL && dstack_quote_parse(q, qlen, &pq) == DSTACK_OK);
    CHECK(memcmp(pq.report.rtmr[3], t->rtmr[3], 48) == 0);
    check_replay(c.result, &pq, &n);
    CHECK(n == 5);
    free(q);
    json_free(c.result);

    /* An EmitEvent landing between the quote and the event log: the log returned with the
     * quote is cut back to the quote's RTMR3. (Without the cache: with it, the registers have
     * not moved since the last call and the log is not read at all.) */
    struct quote_answer_cache *cache = a->quotes;
    a->quotes = NULL;
    t->race = 3;
    CHECK(call(h_get_quote, a, "{}", &c));
    a->quotes = cache;
    q = hex_field(c.result, "quote", &qlen);
    CHECK(q != NULL && dstack_quote_parse(q, qlen, &pq) == DSTACK_OK);
    check_replay(c.result, &pq, &n);
    CHECK(n == 5);
    CHECK(t->log.count == 8);
    size_t alen;
    uint8_t *att = hex_field(c.result, "attestation", &alen);
    struct versioned_attestation va;
    CHECK(att != NULL && versioned_decode(att, alen, &va) == DSTACK_OK);
    CHECK(va.n_events == 5 && va.n_runtime == 3);
    versioned_free(&va);
    free(att);
    free(q);
    json_free(c.result);
    /* the next quote includes them */
    CHECK(call(h_get_quote, a, "{}", &c));
    q = hex_field(c.result, "quote", &qlen);
    CHECK(q != NULL && dstack_quote_parse(q, qlen, &pq) == DSTACK_OK);
    check_replay(c.result, &pq, &n);
    CHECK(n == 8);
    free(q);
    json_free(c.result);

    /* A V2 runtime event (compose event_log_version 2): V0 cannot carry it, so Attest and
     * GetQuote's attestation switch to V1 msgpack, and the log carries version + preimage. */
    uint8_t d[DSTACK_SHA384_LEN];
    CHECK(dstack_runtime_event_digest(DSTACK_EVENT_V2, "compose-hash", (const uint8_t *)"\xab\xcd",
                                      2, d) == DSTACK_OK);
    dstack_rtmr_extend(t->rtmr[3], d);
    CHECK(dstack_event_log_push_runtime(&t->log, "compose-hash", (const uint8_t *)"\xab\xcd", 2,
                                        DSTACK_EVENT_V2) == DSTACK_OK);
    CHECK(call(h_attest, a, "{}", &c));
    att = hex_field(c.result, "attestation", &alen);
    CHECK(att != NULL && alen > 1 && att[0] == 0x83); /* msgpack map of 3 */
    CHECK(att != NULL && versioned_decode(att, alen, &va) == DSTACK_EUNSUPPORTED);
    free(att);
    json_free(c.result);
    CHECK(call(h_get_quote, a, "{}", &c));
    att = hex_field(c.result, "attestation", &alen);
    CHECK(att != NULL && att[0] == 0x83);
    free(att);
    const char *text = json_str(json_get(c.result, "event_log"));
    CHECK(text != NULL &&
          strstr(text, "\"version\":2,\"preimage\":"
                       "\"7b226e616d65223a22636f6d706f73652d68617368222c227061796c6f6164223a2261626"
                       "364222c2274797065223a3133343231373732397d\"") != NULL);
    q = hex_field(c.result, "quote", &qlen);
    CHECK(q != NULL && dstack_quote_parse(q, qlen, &pq) == DSTACK_OK);
    check_replay(c.result, &pq, &n);
    CHECK(n == 9);
    free(q);
    json_free(c.result);
}

/* Escaping: an event name and a vm_config holding every kind of character JSON escapes (quote,
 * backslash, control characters, slash, non-ASCII) come out exactly as json_dump writes them;
 * and the cache: one entry per quote registers, moved on by EmitEvent, never kept for a log
 * that does not replay to the quote. */
static void test_escaping_and_cache(void)
{
    struct test_tee t;
    tt_init(&t);
    if (t.pki == NULL) {
        tt_free(&t);
        return;
    }
    static char vm[] = "{\"q\":\"a\\\"b\\\\c/d\\u0001\\t\u00e9\u2028\"}\x7f\x01\n";
    struct agent a = {.tee = &test_backend, .tee_state = &t, .vm_config = vm};
    CHECK(quote_answer_cache_new(&a.quotes) == DSTACK_OK);
    pthread_mutex_lock(&t.lock);
    tt_emit_locked(&t, "we\"ird\\name/\t\x01\xc3\xa9\xe2\x80\xa8", (const uint8_t *)"\0\1", 2);
    pthread_mutex_unlock(&t.lock);

    struct rpc_call c;
    for (int round = 0; round < 2; round++) { /* the second answer comes from the cache */
        CHECK(call(h_get_quote, &a, "{\"report_data\":\"ff00\"}", &c));
        CHECK_STR(json_str(json_get(c.result, "vm_config")), vm);
        check_old_encoding(c.result, &t.log, vm);
        size_t qlen;
        uint8_t *q = hex_field(c.result, "quote", &qlen);
        uint8_t key[QUOTE_ANSWER_KEY_LEN];
        CHECK(q != NULL && key_of(q, qlen, key));
        struct quote_answer_log *ev = quote_answer_cache_get(a.quotes, key);
        CHECK(ev != NULL && ev->att_v0 && ev->log.count == 5);
        quote_answer_log_unref(ev);
        free(q);
        json_free(c.result);
    }
    /* Attest and TdxQuote from the same entry, in their old encodings too */
    CHECK(call(h_attest, &a, "{\"report_data\":\"ff00\"}", &c));
    CHECK((size_t)cJSON_GetArraySize(c.result) == 1);
    json_free(c.result);
    CHECK(call(h_tdx_quote, &a, "{\"report_data\":\"00\",\"prefix\":\"p\\\"\\u00e9\"}", &c));
    CHECK_STR(json_str(json_get(c.result, "prefix")), "p\"\u00e9");
    json_free(c.result);

    /* EmitEvent: the next quote misses the old entry and the cache moves on */
    CHECK(call(h_emit_event, &a, "{\"event\":\"next\",\"payload\":\"01\"}", &c));
    json_free(c.result);
    CHECK(call(h_get_quote, &a, "{}", &c));
    check_old_encoding(c.result, &t.log, vm);
    size_t qlen, n;
    uint8_t *q = hex_field(c.result, "quote", &qlen);
    struct dstack_quote pq;
    CHECK(q != NULL && dstack_quote_parse(q, qlen, &pq) == DSTACK_OK);
    check_replay(c.result, &pq, &n);
    CHECK(n == 6);
    free(q);
    json_free(c.result);

    /* RTMR3 that no prefix of the log replays to: the whole log, every time, nothing cached */
    pthread_mutex_lock(&t.lock);
    uint8_t saved[DSTACK_MR_LEN];
    memcpy(saved, t.rtmr[3], DSTACK_MR_LEN);
    memset(t.rtmr[3], 0x5a, DSTACK_MR_LEN);
    pthread_mutex_unlock(&t.lock);
    for (int round = 0; round < 2; round++) {
        CHECK(call(h_get_quote, &a, "{}", &c));
        check_old_encoding(c.result, &t.log, vm);
        q = hex_field(c.result, "quote", &qlen);
        uint8_t key[QUOTE_ANSWER_KEY_LEN];
        CHECK(q != NULL && key_of(q, qlen, key) && quote_answer_cache_get(a.quotes, key) == NULL);
        free(q);
        json_free(c.result);
    }
    memcpy(t.rtmr[3], saved, DSTACK_MR_LEN);
    quote_answer_cache_free(a.quotes);
    tt_free(&t);
}

/* ---- fixture mode: upstream's attestation.bin through sim_quoter ---- */
static const struct versioned_attestation *g_fixture;
static const struct sim_quoter *g_quoter;

static dstack_err fx_event_log(void *st, struct dstack_event_log *out)
{
    (void)st;
    return versioned_event_log(g_fixture, out);
}

static dstack_err fx_quote(void *st, const uint8_t rd[DSTACK_REPORT_DATA_LEN], uint8_t **q,
                           size_t *n)
{
    (void)st;
    return sim_quoter_quote(g_quoter, NULL, rd, q, n);
}

static const struct tee_backend fixture_backend = {
    .name = "fixture", .event_log = fx_event_log, .quote = fx_quote};

static void test_fixture_mode(void)
{
    const char *path = check_fixture("upstream/simulator/attestation.bin");
    struct agent_config cfg;
    memset(&cfg, 0, sizeof cfg);
    CHECK(strlen(path) < sizeof cfg.attestation_file);
    memcpy(cfg.attestation_file, path, strlen(path) + 1);
    struct sim_quoter *sq = NULL;
    CHECK(sim_quoter_open(&cfg, &sq) == DSTACK_OK);
    if (sq == NULL) {
        fprintf(stderr, "%s\n", err_text());
        return;
    }
    g_quoter = sq;
    g_fixture = sim_quoter_fixture(sq);
    CHECK(g_fixture != NULL && sim_quoter_pki(sq) == NULL);
    struct agent a = {.tee = &fixture_backend, .vm_config = g_fixture->config};
    CHECK(quote_answer_cache_new(&a.quotes) ==
          DSTACK_OK); /* its log replays: Attest fills the cache */

    struct rpc_call c;
    char args[300];
    uint8_t rd[64];
    for (size_t i = 0; i < 64; i++) {
        rd[i] = (uint8_t)(i * 3);
    }
    char rd_hex[129];
    hex_encode(rd, 64, rd_hex);
    snprintf(args, sizeof args, "{\"report_data\":\"%s\"}", rd_hex);
    CHECK(call(h_attest, &a, args, &c));
    size_t alen, flen;
    uint8_t *att = hex_field(c.result, "attestation", &alen);
    uint8_t *bin = (uint8_t *)check_read_file(path, &flen);
    /* upstream's bytes with report data at file[572..636] and [8885..8949] (docs/simulator.md) */
    memcpy(bin + 572, rd, 64);
    memcpy(bin + 8885, rd, 64);
    CHECK(att != NULL && alen == flen && memcmp(att, bin, flen) == 0);
    free(att);
    free(bin);
    json_free(c.result);

    CHECK(call(h_get_quote, &a, args, &c));
    /* its attestation field is upstream's file too */
    att = hex_field(c.result, "attestation", &alen);
    bin = (uint8_t *)check_read_file(path, &flen);
    memcpy(bin + 572, rd, 64);
    memcpy(bin + 8885, rd, 64);
    CHECK(att != NULL && alen == flen && memcmp(att, bin, flen) == 0);
    free(att);
    free(bin);
    size_t qlen, n;
    uint8_t *q = hex_field(c.result, "quote", &qlen);
    struct dstack_quote pq;
    CHECK(q != NULL && qlen == 5010 && dstack_quote_parse(q, qlen, &pq) == DSTACK_OK);
    CHECK(memcmp(q + 568, rd, 64) == 0);
    CHECK_HEX(pq.report.rtmr[3], 48,
              "f28a1490ee924e9396c2ccf2d93ad536b83cbe159a1d45024d1fd7acdcc102145efcfcd0cfa20941"
              "6446c70226affadf");
    check_replay(c.result, &pq, &n);
    CHECK(n == 33);
    free(q);
    json_free(c.result);
    uint8_t key[QUOTE_ANSWER_KEY_LEN];
    struct quote_answer_log *ev = NULL;
    CHECK(key_of(g_fixture->quote, g_fixture->quote_len, key) &&
          (ev = quote_answer_cache_get(a.quotes, key)) != NULL && ev->att_v0);
    quote_answer_log_unref(ev);
    quote_answer_cache_free(a.quotes);

    /* A v5 fixture (the v4 quote with a TD10 body descriptor): report data goes to 574. */
    struct versioned_attestation v5;
    CHECK(versioned_copy(g_fixture, &v5) == DSTACK_OK);
    sim_quoter_close(sq);
    uint8_t *q5 = malloc(v5.quote_len + 6);
    memcpy(q5, v5.quote, 48);
    q5[0] = 5;
    memcpy(q5 + 48, "\x02\x00\x48\x02\x00\x00", 6); /* type 2, size 584 */
    memcpy(q5 + 54, v5.quote + 48, v5.quote_len - 48);
    free(v5.quote);
    v5.quote = q5;
    v5.quote_len += 6;
    char tmp5[] = "/tmp/rpcquote_v5_XXXXXX";
    int fd5 = mkstemp(tmp5);
    uint8_t *b5 = NULL;
    size_t b5len = 0;
    CHECK(versioned_encode_v0(&v5, &b5, &b5len) == DSTACK_OK);
    CHECK(write(fd5, b5, b5len) == (ssize_t)b5len);
    close(fd5);
    free(b5);
    snprintf(cfg.attestation_file, sizeof cfg.attestation_file, "%s", tmp5);
    sq = NULL;
    CHECK(sim_quoter_open(&cfg, &sq) == DSTACK_OK);
    uint8_t *out5 = NULL;
    size_t out5_len = 0;
    CHECK(sq != NULL && sim_quoter_quote(sq, NULL, rd, &out5, &out5_len) == DSTACK_OK);
    CHECK(out5 != NULL && out5_len == v5.quote_len && memcmp(out5 + 574, rd, 64) == 0);
    CHECK(out5 != NULL && memcmp(out5 + 568, v5.quote + 568, 6) == 0); /* RTMR3 tail intact */
    CHECK(dstack_quote_parse(out5, out5_len, &pq) == DSTACK_OK &&
          memcmp(pq.report.report_data, rd, 64) == 0);
    free(out5);
    sim_quoter_close(sq);
    /* patch_report_data = false (upstream's simulator setting): the file's report_data stays. */
    cfg.keep_report_data = true;
    sq = NULL;
    CHECK(sim_quoter_open(&cfg, &sq) == DSTACK_OK);
    out5 = NULL;
    CHECK(sq != NULL && sim_quoter_quote(sq, NULL, rd, &out5, &out5_len) == DSTACK_OK);
    CHECK(out5 != NULL && out5_len == v5.quote_len && memcmp(out5, v5.quote, v5.quote_len) == 0);
    free(out5);
    sim_quoter_close(sq);
    cfg.keep_report_data = false;
    unlink(tmp5);

    /* bad files: missing, truncated, wrong quote version */
    static const char *const bad_names[] = {"missing", "truncated", "v3quote", "v1msgpack"};
    for (size_t i = 0; i < 4; i++) {
        char tmp[] = "/tmp/rpcquote_XXXXXX";
        int fd = mkstemp(tmp);
        uint8_t *bytes = NULL;
        size_t blen = 0;
        CHECK(versioned_encode_v0(&v5, &bytes, &blen) == DSTACK_OK);
        if (i == 1) {
            blen -= 10;
        } else if (i == 2) {
            bytes[4] = 3; /* quote version 3 (first quote byte at file offset 4) */
        } else if (i == 3) {
            bytes[0] = 0x83;
        }
        CHECK(write(fd, bytes, blen) == (ssize_t)blen);
        close(fd);
        memset(&cfg, 0, sizeof cfg);
        snprintf(cfg.attestation_file, sizeof cfg.attestation_file, "%s",
                 i == 0 ? "/nonexistent/attestation.bin" : tmp);
        err_clear();
        sq = NULL;
        CHECK(sim_quoter_open(&cfg, &sq) != DSTACK_OK && sq == NULL);
        CHECK(strstr(err_text(), cfg.attestation_file) != NULL);
        if (getenv("VERBOSE")) {
            fprintf(stderr, "%s: %s\n", bad_names[i], err_text());
        }
        unlink(tmp);
        free(bytes);
    }
    versioned_free(&v5);
}

static void test_no_backend(void)
{
    struct agent a = {0};
    struct rpc_call c;
    CHECK(!call(h_get_quote, &a, "{}", &c));
    CHECK(!call(h_emit_event, &a, "{\"event\":\"x\"}", &c));
    CHECK_STR(err_text(), "runtime event emission is not supported by this TEE backend");
}

int main(void)
{
    struct test_tee t;
    tt_init(&t);
    struct agent a = {.tee = &test_backend, .tee_state = &t, .vm_config = "{\"cpu_count\":1}"};
    if (t.pki != NULL) {
        const char *root = quote_pki_root_pem(t.pki);
        test_get_quote(&a, root); /* no cache: the log is encoded per call */
        CHECK(quote_answer_cache_new(&a.quotes) == DSTACK_OK);
        test_get_quote(&a, root);
        test_get_quote(&a, root); /* from the cache */
        test_attest(&a);
        test_tdx_quote(&a);
        test_emit_event(&a, &t);
        quote_answer_cache_free(a.quotes);
    }
    tt_free(&t);
    test_escaping_and_cache();
    test_no_backend();
    test_fixture_mode();
    free(g_last_text);
    return check_exit();
}
