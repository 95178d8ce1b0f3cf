/* lib/json's four rules (UTF-8, U+0000, integers, duplicate keys) on the paths that read JSON
 * outside the agent's requests and configuration (test_request.c, test_config.c): the SDK's
 * answers (JSON.parse's reading, as the JS SDK), the event log (serde's TdxEvent), the compose
 * hash (JSON.parse + sortObject + JSON.stringify). */
#include <dstack/attest.h>
#include <dstack/client.h>
#include <dstack/helpers.h>

#include "check.h"
#include "util/error.h"

static void test_sdk_answers(void)
{
    struct dstack_get_key_response *k = NULL;
    /* a repeated key keeps its last value, as JSON.parse in the JS SDK */
    CHECK(dstack_get_key_response_decode("{\"key\":\"00\",\"signature_chain\":[],\"key\":\"0102\"}",
                                         &k) == DSTACK_OK);
    CHECK(k != NULL && k->key_len == 2 && k->key[0] == 1 && k->key[1] == 2);
    dstack_get_key_response_free(k);
    k = NULL;
    /* never a truncated string, never bytes that are not UTF-8 */
    CHECK(dstack_get_key_response_decode("{\"key\":\"01\\u000002\"}", &k) != DSTACK_OK);
    CHECK(strstr(dstack_last_error(), "\\u0000 is not allowed") != NULL);
    CHECK(dstack_get_key_response_decode("{\"key\":\"01\",\"x\":\"\xfe\"}", &k) != DSTACK_OK);
    CHECK(strstr(dstack_last_error(), "unable to decode byte 0xfe") != NULL);
    CHECK(k == NULL);

    struct dstack_info_response *info = NULL;
    CHECK(dstack_info_response_decode("{\"app_id\":\"a\",\"app_id\":\"b\"}", &info) == DSTACK_OK);
    CHECK(info != NULL && strcmp(info->app_id, "b") == 0);
    dstack_info_response_free(info);
    info = NULL;
    /* tcb_info, a JSON text inside the answer, is read the same way */
    CHECK(dstack_info_response_decode("{\"tcb_info\":\"{\\\"mrtd\\\":\\\"\\\\u0000\\\"}\"}",
                                      &info) != DSTACK_OK);
    CHECK(info == NULL);
}

static void test_event_log(void)
{
    static const struct {
        const char *json;
        dstack_err want;
    } cases[] = {
        {"[{\"imr\":3,\"event_type\":4294967295,\"digest\":\"\",\"event\":\"e\","
         "\"event_payload\":\"\"}]",
         DSTACK_OK},
        {"[{\"imr\":3.0,\"event_type\":1,\"event\":\"e\",\"event_payload\":\"\"}]", DSTACK_EFORMAT},
        {"[{\"imr\":3,\"event_type\":4294967296,\"event\":\"e\",\"event_payload\":\"\"}]",
         DSTACK_EFORMAT},
        {"[{\"imr\":3,\"event_type\":1,\"event\":\"e\\u0000\",\"event_payload\":\"\"}]",
         DSTACK_EFORMAT},
        {"[{\"imr\":3,\"imr\":2,\"event_type\":1,\"event\":\"e\",\"event_payload\":\"\"}]",
         DSTACK_EFORMAT}, /* serde's derived struct: duplicate field */
        {"[{\"imr\":3,\"event_type\":1,\"event\":\"\xc0\xae\",\"event_payload\":\"\"}]",
         DSTACK_EFORMAT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct dstack_event_log log;
        err_clear();
        dstack_err e = dstack_event_log_parse(cases[i].json, strlen(cases[i].json), &log);
        CHECK(e == cases[i].want);
        if (e != cases[i].want) {
            fprintf(stderr, "  event log case %zu: %s\n", i, err_text());
        }
        if (e == DSTACK_OK) {
            CHECK(log.count == 1 && log.events[0].event_type == 4294967295u);
        }
        dstack_event_log_free(&log);
    }
}

static void expect_canonical(const char *in, const char *want)
{
    char *out = NULL;
    dstack_err e = dstack_compose_canonical_json(in, strlen(in), false, &out);
    CHECK(e == DSTACK_OK);
    CHECK_STR(out, want);
    free(out);
}

static void test_compose(void)
{
    /* JSON.parse: the last value, at the first key's position ("constructor" keeps the order) */
    expect_canonical("{\"constructor\":1,\"b\":1,\"a\":2,\"b\":3}",
                     "{\"constructor\":1,\"b\":3,\"a\":2}");
    expect_canonical("{\"b\":1,\"a\":2,\"b\":3}", "{\"a\":2,\"b\":3}");
    /* U+0000 is a character like any other, carried whole */
    expect_canonical("{\"s\":\"a\\u0000b\"}", "{\"s\":\"a\\u0000b\"}");
    /* integers are doubles: 2^53 + 1 rounds as in JavaScript; 1e400 is Infinity -> null */
    expect_canonical("{\"n\":9007199254740993,\"m\":1e400}", "{\"m\":null,\"n\":9007199254740992}");
    char *out = NULL;
    CHECK(dstack_compose_canonical_json("{\"s\":\"\xff\"}", 8, false, &out) == DSTACK_EFORMAT);
    CHECK(strstr(dstack_last_error(), "unable to decode byte 0xff") != NULL);
    CHECK(dstack_compose_canonical_json("{\"k\\u0000\":1}", 13, false, &out) == DSTACK_EFORMAT);
    CHECK(out == NULL);
}

int main(void)
{
    test_sdk_answers();
    test_event_log();
    test_compose();
    return check_exit();
}
