/* The direct GetQuote decoder (lib/client/quote_fast.c) against the jansson path it replaces:
 * hand-written edge cases, a few thousand seeded mutations of a realistic 29 KB answer (the fast
 * decoder must give the same result or hand the text back, and never accept what jansson
 * refuses), client_quote_from_http's status handling, and a timing of both paths. */
#include <dstack/client.h>

#include <time.h>

#include "check.h"
#include "client/client_internal.h"
#include "client/quote_fast.h"
#include "client/strbuf.h"
#include "util/hex.h"

/* The jansson path: parse, then copy the fields out (client_quote_from_json). */
static dstack_err general(const char *text, size_t len, struct dstack_get_quote_response **out)
{
    *out = NULL;
    json_error_t jerr;
    json_t *obj = json_loadb(text, len, 0, &jerr);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return DSTACK_EPROTO;
    }
    char *copy = malloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    dstack_err err = client_quote_from_json(obj, copy, out);
    json_decref(obj);
    return err;
}

static bool bytes_eq(const struct dstack_bytes *a, const struct dstack_bytes *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0) &&
           (a->len != 0 || (a->data == NULL && b->data == NULL));
}

static bool same(const struct dstack_get_quote_response *a,
                 const struct dstack_get_quote_response *b)
{
    return bytes_eq(&a->quote, &b->quote) && bytes_eq(&a->report_data, &b->report_data) &&
           bytes_eq(&a->attestation, &b->attestation) && strcmp(a->event_log, b->event_log) == 0 &&
           strcmp(a->vm_config, b->vm_config) == 0;
}

static void free_fields(struct dstack_get_quote_response *q)
{
    free(q->quote.data);
    free(q->event_log);
    free(q->report_data.data);
    free(q->vm_config);
    free(q->attestation.data);
}

/* Runs both decoders; returns the fast decoder's verdict. */
static enum qf_result compare(const char *text, size_t len)
{
    struct dstack_get_quote_response fast;
    struct dstack_get_quote_response *slow = NULL;
    enum qf_result r = quote_fast_decode(text, len, &fast);
    dstack_err err = general(text, len, &slow);
    if (r == QF_OK) {
        CHECK(err == DSTACK_OK); /* never accepts what jansson refuses */
        if (err == DSTACK_OK && !same(&fast, slow)) {
            CHECK(!"fast and general decoders differ");
            fprintf(stderr, "  input: %.*s\n", (int)(len < 300 ? len : 300), text);
        }
        free_fields(&fast);
    } else {
        static const struct dstack_get_quote_response zero;
        CHECK(memcmp(&fast, &zero, sizeof fast) == 0);
    }
    dstack_get_quote_response_free(slow);
    return r;
}

static void test_cases(void)
{
    static const struct {
        const char *text;
        enum qf_result want;
    } cases[] = {
        {"{}", QF_OK},
        {" \t\r\n{ } \n", QF_OK},
        {"{\"quote\":\"00ff\",\"event_log\":\"[]\",\"report_data\":\"\",\"vm_config\":\"\","
         "\"attestation\":\"AbCd\"}",
         QF_OK},
        {"{\"quote\":null,\"event_log\":null}", QF_OK},
        {"{\"event_log\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u4e2d\\ud83d\\ude00\"}", QF_OK},
        {"{\"event_log\":\"raw é 中 😀\"}", QF_OK},
        {"{\"vm_config\":\"{\\\"cpu_count\\\":2}\" , \"quote\" : \"01\"}", QF_OK},
        /* handed back: the general decoder settles them */
        {"{\"quote\":\"0x00\"}", QF_FALLBACK}, /* prefix: jf_hex accepts it */
        {"{\"quote\":\"0\"}", QF_FALLBACK},    /* odd length: an error there */
        {"{\"quote\":\"zz\"}", QF_FALLBACK},   /* not hex */
        {"{\"quote\":\"\\u0030\\u0030\"}", QF_FALLBACK},
        {"{\"quote\":1}", QF_FALLBACK},
        {"{\"quote\":\"00\",\"quote\":\"01\"}", QF_FALLBACK}, /* duplicate: jansson keeps last */
        {"{\"extra\":1,\"quote\":\"00\"}", QF_FALLBACK},
        {"{\"q\\u0075ote\":\"00\"}", QF_FALLBACK},
        {"{\"event_log\":\"\\u0000\"}", QF_FALLBACK},
        {"{\"event_log\":\"\\ud800\"}", QF_FALLBACK},
        {"{\"event_log\":\"\\udc00\\ud800\"}", QF_FALLBACK},
        {"{\"event_log\":\"\\x\"}", QF_FALLBACK},
        {"{\"event_log\":\"tab\there\"}", QF_FALLBACK},
        {"{\"event_log\":\"\xc3\x28\"}", QF_FALLBACK},     /* invalid UTF-8 */
        {"{\"event_log\":\"\xe0\x80\xaf\"}", QF_FALLBACK}, /* overlong */
        {"{\"event_log\":\"\xed\xa0\x80\"}", QF_FALLBACK}, /* encoded surrogate */
        {"{\"quote\":\"00\"} x", QF_FALLBACK},
        {"{\"quote\":\"00\",}", QF_FALLBACK},
        {"{\"quote\":\"00\"", QF_FALLBACK},
        {"{\"quote\":\"00", QF_FALLBACK},
        {"{\"quote\" \"00\"}", QF_FALLBACK},
        {"[]", QF_FALLBACK},
        {"", QF_FALLBACK},
        {"{\"event_log\":\"\\", QF_FALLBACK},
        {"{\"event_log\":\"\\u12\"}", QF_FALLBACK},
        {"{\"quote\":nul}", QF_FALLBACK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum qf_result r = compare(cases[i].text, strlen(cases[i].text));
        if (r != cases[i].want) {
            fprintf(stderr, "case %zu: got %d want %d: %s\n", i, r, cases[i].want, cases[i].text);
            CHECK(!"verdict");
        }
    }
    /* a NUL byte inside the text */
    CHECK(compare("{\"event_log\":\"a\0b\"}", 18) == QF_FALLBACK);
}

/* A GetQuote answer shaped like the simulator's (29 KB: quote, escaped event log, attestation). */
static char *realistic(size_t *len)
{
    struct strbuf b = {0};
    uint8_t raw[7168];
    for (size_t i = 0; i < sizeof raw; i++) {
        raw[i] = (uint8_t)(i * 131 + 7);
    }
    char *h = hex_encode_alloc(raw, 3624);
    strbuf_puts(&b, "{\"quote\":\"");
    strbuf_puts(&b, h);
    free(h);
    strbuf_puts(&b, "\",\"event_log\":\"[");
    for (int i = 0; i < 30; i++) {
        char ev[400];
        snprintf(ev, sizeof ev,
                 "%s{\\\"imr\\\":%d,\\\"event_type\\\":%u,\\\"digest\\\":\\\"90623919ebfca4315ca0e7"
                 "b313473ffc9258441b18577113cd02db67744da27975bea46e50012cff56d19786bd7255b0\\\","
                 "\\\"event\\\":\\\"ev-\\u00e9-%d\\\",\\\"event_payload\\\":\\\"095464785461626c65"
                 "000100000000000000af96bb93f2b9b84e94\\\"}",
                 i ? "," : "", i % 4, 2147483659u, i);
        strbuf_puts(&b, ev);
    }
    strbuf_puts(&b, "]\",\"report_data\":\"");
    h = hex_encode_alloc(raw, 64);
    strbuf_puts(&b, h);
    free(h);
    strbuf_puts(&b,
                "\",\"vm_config\":\"{\\\"os_image_hash\\\":\\\"88ae94\\\",\\\"cpu_count\\\":2}\","
                "\"attestation\":\"");
    h = hex_encode_alloc(raw, 7150);
    strbuf_puts(&b, h);
    free(h);
    strbuf_puts(&b, "\"}");
    *len = b.len;
    return b.data;
}

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void test_mutations(void)
{
    size_t len = 0;
    char *base = realistic(&len);
    CHECK(len > 28000);
    CHECK(compare(base, len) == QF_OK);
    static const char tokens[] = "\"\\u{}[],:0aZ \x01\xc3\xff";
    int ok = 0, fallback = 0;
    char *m = malloc(len + 16);
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(m, base, len);
        size_t n = len;
        int edits = 1 + (int)(rng() % 3);
        for (int e = 0; e < edits; e++) {
            size_t at = rng() % n;
            switch (rng() % 4) {
            case 0: /* replace a byte */
                m[at] = tokens[rng() % (sizeof tokens - 1)];
                break;
            case 1: /* truncate */
                n = at;
                break;
            case 2: /* insert an escape */
                if (n + 2 < len + 16) {
                    memmove(m + at + 2, m + at, n - at);
                    m[at] = '\\';
                    m[at + 1] = "nu\"/t"[rng() % 5];
                    n += 2;
                }
                break;
            default: /* drop a byte */
                memmove(m + at, m + at + 1, n - at - 1);
                n--;
                break;
            }
            if (n == 0) {
                break;
            }
        }
        enum qf_result r = compare(m, n);
        ok += r == QF_OK;
        fallback += r == QF_FALLBACK;
    }
    CHECK(ok > 0 && fallback > 0);
    printf("mutations: %d decoded directly (equal to jansson's), %d handed back\n", ok, fallback);
    free(m);
    free(base);
}

static void test_from_http(void)
{
    size_t len = 0;
    char *text = realistic(&len);
    struct client_http_result r = {.status = 200, .body = text, .body_len = len};
    struct dstack_get_quote_response *q = NULL;
    CHECK(client_quote_from_http(&r, &q) == DSTACK_OK);
    CHECK(q != NULL && q->json == text && q->quote.len == 3624 && q->report_data.len == 64);
    CHECK(r.body == NULL);
    dstack_get_quote_response_free(q);
    /* fallback: a 0x prefix decodes through jansson */
    static const char pre[] = "{\"quote\":\"0x0102\"}";
    r = (struct client_http_result){.status = 200, .body = strdup(pre), .body_len = strlen(pre)};
    CHECK(client_quote_from_http(&r, &q) == DSTACK_OK);
    CHECK(q != NULL && q->quote.len == 2 && q->quote.data[1] == 2);
    dstack_get_quote_response_free(q);
    transport_result_free(&r);
    /* a 400 carries the agent's text; a non-object 2xx is EPROTO */
    static const char e400[] = "{\"error\":\"bad report data\"}";
    r = (struct client_http_result){.status = 400, .body = strdup(e400), .body_len = strlen(e400)};
    q = NULL;
    CHECK(client_quote_from_http(&r, &q) == DSTACK_ESERVER && q == NULL);
    CHECK_STR(dstack_last_error(), "GetQuote failed (HTTP 400): bad report data");
    transport_result_free(&r);
    r = (struct client_http_result){.status = 200, .body = strdup("[1]"), .body_len = 3};
    CHECK(client_quote_from_http(&r, &q) == DSTACK_EPROTO && q == NULL);
    transport_result_free(&r);
    r = (struct client_http_result){
        .status = 200, .body = strdup("{\"quote\":\"0g\"}"), .body_len = 14};
    CHECK(client_quote_from_http(&r, &q) == DSTACK_EPROTO && q == NULL);
    CHECK_STR(dstack_last_error(), "response field quote is not valid hex");
    transport_result_free(&r);
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Not a pass/fail criterion (shared CPUs): prints both costs for the record. */
static void time_both(void)
{
    size_t len = 0;
    char *text = realistic(&len);
    enum { N = 500 };
    double t0 = now_us();
    for (int i = 0; i < N; i++) {
        struct dstack_get_quote_response *q = NULL;
        CHECK(general(text, len, &q) == DSTACK_OK);
        dstack_get_quote_response_free(q);
    }
    double t1 = now_us();
    for (int i = 0; i < N; i++) {
        struct dstack_get_quote_response q;
        CHECK(quote_fast_decode(text, len, &q) == QF_OK);
        free_fields(&q);
    }
    double t2 = now_us();
    printf("decode of a %zu-byte GetQuote answer: jansson %.1f us, direct %.1f us\n", len,
           (t1 - t0) / N, (t2 - t1) / N);
    free(text);
}

int main(void)
{
    test_cases();
    test_mutations();
    test_from_http();
    time_both();
    return check_exit();
}
