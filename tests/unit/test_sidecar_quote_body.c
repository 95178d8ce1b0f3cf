/* The /quote answer written directly (sidecar/sc_quote_body.c) against the JSON tree and
 * json_dump (compact) that sc_h_quote used before, byte for byte: event names and vm_config
 * with quotes, backslashes, control characters, U+2028 and non-ASCII; the event-log cache hit,
 * a new log replacing the entry, and logs that cannot be replayed. */
#include <stdlib.h>
#include <string.h>

#include "json/json.h"

#include <dstack/attest.h>
#include <dstack/client.h>

#include "check.h"
#include "sc_evlog_cache.h"
#include "sc_quote_body.h"
#include "util/hex.h"

static cJSON *hex_json(const uint8_t *b, size_t len)
{
    char *h = hex_encode_alloc(b, len);
    cJSON *s = cJSON_CreateString(h);
    free(h);
    return s;
}

/* The previous encoding: object in upstream's field order, then ours, dumped compact. */
static char *old_body(const struct dstack_get_quote_response *q)
{
    uint8_t rt[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
    if (dstack_get_quote_response_replay_rtmrs(q, rt) != DSTACK_OK) {
        return NULL;
    }
    cJSON *rtmrs = cJSON_CreateObject();
    for (int i = 0; i < DSTACK_RTMR_COUNT; i++) {
        char key[8] = "rtmr0";
        key[4] = (char)('0' + i);
        json_set(rtmrs, key, hex_json(rt[i], DSTACK_MR_LEN));
    }
    cJSON *body = cJSON_CreateObject();
    json_set(body, "quote", hex_json(q->quote.data, q->quote.len));
    json_set(body, "event_log", cJSON_CreateString(q->event_log));
    json_set(body, "vm_config", cJSON_CreateString(q->vm_config));
    json_set(body, "report_data", hex_json(q->report_data.data, q->report_data.len));
    json_set(body, "rtmrs", rtmrs);
    char *s = json_dump(body, 0, NULL);
    json_free(body);
    return s;
}

static char *log_text(const char *const *names, size_t n)
{
    struct dstack_event_log log;
    uint8_t dg[DSTACK_SHA384_LEN];
    memset(dg, 0x5a, sizeof dg);
    dstack_event_log_init(&log);
    CHECK(dstack_event_log_push(&log, 0, 10, dg, "acpi-loader", (const uint8_t *)"ACPI", 4, 1) ==
          DSTACK_OK);
    for (size_t i = 0; i < n; i++) {
        CHECK(dstack_event_log_push_runtime(&log, names[i], (const uint8_t *)"\x01\x02", 2,
                                            i % 2 ? 2 : 1) == DSTACK_OK);
    }
    char *s = NULL;
    CHECK(dstack_event_log_format(&log, DSTACK_EVLOG_JSON_COMPACT, &s) == DSTACK_OK);
    dstack_event_log_free(&log);
    return s;
}

static void check_same(struct sc_evlog_cache *cache, struct dstack_get_quote_response *q)
{
    char *want = old_body(q);
    CHECK(want != NULL);
    for (int round = 0; round < 2; round++) { /* a miss, then a hit */
        char *got = NULL;
        size_t len = 0;
        bool replay_failed = true;
        CHECK(sc_quote_body(cache, q, &got, &len, &replay_failed) == DSTACK_OK);
        CHECK(!replay_failed);
        CHECK(got != NULL && len == strlen(got));
        CHECK_STR(got, want);
        free(got);
    }
    free(want);
}

int main(void)
{
    struct sc_evlog_cache cache;
    CHECK(sc_evlog_cache_init(&cache) == 0);
    uint8_t quote[600], rd[64];
    for (size_t i = 0; i < sizeof quote; i++) {
        quote[i] = (uint8_t)(i * 7);
    }
    memset(rd, 0xc3, sizeof rd);
    static const char *const names[] = {"compose-hash", "quote\"back\\slash", "ctl\x01\x1f\t\n",
                                        "line\xe2\x80\xa8sep caf\xc3\xa9 \xf0\x9f\x98\x80", "/"};
    static const char *const vm_configs[] = {"", "{\"spec_version\":1,\"cpu_count\":2}",
                                             "a\"b\\c\x7f\xe2\x80\xa9\x02"};
    struct dstack_get_quote_response q = {0};
    q.quote.data = quote;
    q.quote.len = sizeof quote;
    q.report_data.data = rd;
    q.report_data.len = sizeof rd;
    for (size_t n = 0; n <= sizeof names / sizeof names[0]; n++) { /* each a new log */
        q.event_log = log_text(names, n);
        q.vm_config = (char *)vm_configs[n % 3];
        check_same(&cache, &q);
        free(q.event_log);
    }
    /* empty quote and report data (non-TDX platforms, old agents) */
    q.quote.data = NULL;
    q.quote.len = 0;
    q.report_data.data = NULL;
    q.report_data.len = 0;
    q.event_log = (char *)"[]";
    q.vm_config = (char *)"";
    check_same(&cache, &q);
    /* logs that cannot be replayed: reported as such, the cached entry untouched */
    static const char *const bad[] = {"", "[", "{}", "[{\"imr\":9,\"event_type\":1}]",
                                      "[{\"imr\":0,\"event_type\":1,\"digest\":\"zz\"}]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        q.event_log = (char *)bad[i];
        char *got = NULL;
        size_t len = 0;
        bool replay_failed = false;
        CHECK(sc_quote_body(&cache, &q, &got, &len, &replay_failed) != DSTACK_OK);
        CHECK(replay_failed);
        CHECK(got == NULL && len == 0);
    }
    q.event_log = (char *)"[]";
    check_same(&cache, &q);
    sc_evlog_cache_free(&cache);
    return check_exit();
}
