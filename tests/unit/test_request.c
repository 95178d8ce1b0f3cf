#include "check.h"
#include "request.h"
#include "rpc.h"
#include "util/error.h"

static const struct {
    const char *body;
    bool ok;
    const char *err_prefix; /* NULL: any message */
} json_cases[] = {
    {"", true, NULL},
    {"  \n", true, NULL},
    {"{}", true, NULL},
    {"{\"path\":\"a\",\"x\":[1,{\"y\":null}]}", true, NULL}, /* unknown fields pass through */
    {"{\"a\":1,\"a\":2}", false, "duplicate object key"},
    {"{\"a\":", false, NULL},
    {"{} {}", false, "end of file expected"},
    {"null", false, "invalid type: null, expected a JSON object"},
    {"[]", false, "invalid type: sequence, expected a JSON object"},
    {"\"s\"", false, "invalid type: string, expected a JSON object"},
    {"12", false, "invalid type: integer, expected a JSON object"},
    {"{\"a\":\"\xff\"}", false, NULL}, /* not UTF-8 */
    {"{\"a\":\"\\u0000\"}", false, "\\u0000 is not allowed in a string at line 1 column 7"},
    /* lib/json's rules on the request path: UTF-8 anywhere, NUL never, duplicates refused */
    {"{\"path\":\"k\xc3\"}", false, "unable to decode byte 0xc3 at line 1 column 11"},
    {"{\"x\":{\"\xed\xa0\x80\":1}}", false, "unable to decode byte 0xed"}, /* surrogate */
    {"{\"path\":\"a\\u0000b\"}", false, "\\u0000 is not allowed in a string"},
    {"{\"x\":{\"a\":1,\"a\":1}}", false, "duplicate object key near '\"a\"'"},
    {"{\"path\":\"a\"} ", true, NULL},
    {"{\"n\":01}", false, "invalid number"},
    {"{\"n\":1e400}", false, "number out of range"},
};

static void test_json(void)
{
    for (size_t i = 0; i < sizeof json_cases / sizeof json_cases[0]; i++) {
        cJSON *out = NULL;
        bool ok =
            request_decode_json(json_cases[i].body, strlen(json_cases[i].body), &out) == DSTACK_OK;
        CHECK(ok == json_cases[i].ok);
        if (ok) {
            CHECK(cJSON_IsObject(out));
        } else {
            CHECK(out == NULL && err_text()[0] != '\0');
            if (json_cases[i].err_prefix != NULL) {
                CHECK(strncmp(err_text(), json_cases[i].err_prefix,
                              strlen(json_cases[i].err_prefix)) == 0);
            }
        }
        json_free(out);
    }
}

static void test_query(void)
{
    cJSON *q = request_query_new();
    CHECK(request_query_add(q, "path", "a/b c", 5) == DSTACK_OK);
    CHECK(request_query_add(q, "alt_names[]", "x", 1) == DSTACK_OK);
    CHECK(request_query_add(q, "alt_names[]", "y", 1) == DSTACK_OK);
    CHECK(request_query_add(q, "list[0]", "p", 1) == DSTACK_OK);
    CHECK(request_query_add(q, "list[1]", "q", 1) == DSTACK_OK);
    char *dump = json_dump(q, 0, NULL);
    CHECK_STR(dump, "{\"path\":\"a/b c\",\"alt_names\":[\"x\",\"y\"],\"list\":[\"p\",\"q\"]}");
    free(dump);

    /* errors */
    CHECK(request_query_add(q, "path", "again", 5) != DSTACK_OK);
    CHECK_STR(err_text(), "Multiple values for one key: \"path\"");
    CHECK(request_query_add(q, "list[5]", "z", 1) != DSTACK_OK); /* not the next index */
    CHECK(request_query_add(q, "list[x]", "z", 1) != DSTACK_OK);
    CHECK(request_query_add(q, "[0]", "z", 1) != DSTACK_OK);
    CHECK(request_query_add(q, "bad[", "z", 1) != DSTACK_OK);
    CHECK(request_query_add(q, "path[]", "z", 1) != DSTACK_OK); /* scalar then array */
    CHECK(request_query_add(q, "bin", "\xff\xfe", 2) != DSTACK_OK);
    CHECK_STR(err_text(), "bin: query value is not valid UTF-8");
    json_free(q);
}

/* u64 fields (GetTlsKey not_before/not_after) as serde's typed field reads them. */
static void test_u64(void)
{
    static const struct {
        const char *body;
        bool ok, present;
        uint64_t want;
        const char *err;
    } cases[] = {
        {"{}", true, false, 0, NULL},
        {"{\"n\":null}", true, false, 0, NULL},
        {"{\"n\":0}", true, true, 0, NULL},
        {"{\"n\":9007199254740993}", true, true, 9007199254740993ull, NULL}, /* 2^53 + 1 */
        {"{\"n\":18446744073709551615}", true, true, UINT64_MAX, NULL},
        {"{\"n\":18446744073709551616}", false, false, 0,
         "n: invalid value: integer `18446744073709551616`, expected u64"},
        {"{\"n\":-1}", false, false, 0, "n: invalid value: integer `-1`, expected u64"},
        {"{\"n\":1.0}", false, false, 0, "n: invalid type: floating point `1.0`, expected u64"},
        {"{\"n\":1e2}", false, false, 0, "n: invalid type: floating point `100.0`, expected u64"},
        {"{\"n\":1.5}", false, false, 0, "n: invalid type: floating point `1.5`, expected u64"},
        {"{\"n\":\"5\"}", false, false, 0, "n: invalid type: string \"5\", expected u64"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *args = NULL;
        CHECK(request_decode_json(cases[i].body, strlen(cases[i].body), &args) == DSTACK_OK);
        struct rpc_call call = {.args = args};
        bool present = true;
        uint64_t n = 1;
        bool ok = rpc_arg_u64_opt(&call, "n", &present, &n) == DSTACK_OK;
        CHECK(ok == cases[i].ok);
        if (ok) {
            CHECK(present == cases[i].present && n == cases[i].want);
        } else {
            CHECK_STR(err_text(), cases[i].err);
        }
        json_free(args);
    }
}

/* Control characters in the raw URI, escaped or not, found in the path or the query. */
static void test_uri_control(void)
{
    static const struct {
        const char *uri;
        bool in_path, in_query;
    } cases[] = {
        {"/logs/abc", false, false},
        {"/logs/abc%00def", true, false},
        {"/logs/abc%00", true, false},
        {"/logs/a%0Ab", true, false},
        {"/logs/a%7fb", true, false},
        {"/logs/a%1Fb", true, false},
        {"/logs/a%20b%41%2e", false, false}, /* printable escapes are fine */
        {"/logs/a%2", false, false},         /* an incomplete escape is no control */
        {"/logs/a%g0", false, false},
        {"/logs/abc?tail=1%00x", false, true},
        {"/logs/a%00?tail=%1b", true, true},
        {"/GetKey%00x", true, false},
        {"/x\x01y", true, false}, /* raw */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct request_uri_control c;
        request_uri_control_scan(cases[i].uri, &c);
        if (c.in_path != cases[i].in_path || c.in_query != cases[i].in_query) {
            fprintf(stderr, "uri case %zu (%s): %d %d\n", i, cases[i].uri, c.in_path, c.in_query);
        }
        CHECK(c.in_path == cases[i].in_path && c.in_query == cases[i].in_query);
    }
}

int main(void)
{
    test_uri_control();
    test_json();
    test_u64();
    test_query();
    return check_exit();
}
