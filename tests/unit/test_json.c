/* lib/json: the four strictness points (UTF-8, U+0000, integers, duplicate keys), the grammar
 * cJSON leaves open, error positions, and the writer's bytes (jansson's layout). */
#include "check.h"
#include "json/json.h"
#include "util/utf8.h"

static const struct {
    const char *text;
    unsigned flags;
    const char *err; /* NULL: parses; else the start of the message */
} parse_cases[] = {
    {"{}", 0, NULL},
    {" [1, -0, 1.5e3, \"x\", true, false, null] ", 0, NULL},
    {"\"top\"", 0, NULL},
    /* 1. UTF-8 */
    {"{\"a\":\"\xc3\xa9\xf0\x9f\x98\x80\"}", 0, NULL},
    {"{\"a\":\"\xff\"}", 0, "unable to decode byte 0xff"},
    {"{\"a\":\"\xc0\x80\"}", 0, "unable to decode byte 0xc0"},         /* overlong NUL */
    {"{\"a\":\"\xed\xa0\x80\"}", 0, "unable to decode byte 0xed"},     /* surrogate D800 */
    {"{\"a\":\"\xf4\x90\x80\x80\"}", 0, "unable to decode byte 0xf4"}, /* > U+10FFFF */
    {"{\"a\":\"\xe2\x82\"}", 0, "unable to decode byte 0xe2"},         /* truncated */
    {"{\"\xfe\":1}", 0, "unable to decode byte 0xfe"},                 /* in a key */
    {"\xef\xbb\xbf{}", 0, "invalid token"},                            /* BOM */
    {"{\"a\":\"\\ud800\"}", 0, "invalid Unicode escape: lone high"},
    {"{\"a\":\"\\udc00\"}", 0, "invalid Unicode escape: lone low"},
    {"{\"a\":\"\\ud83d\\ude00\"}", 0, NULL},
    {"{\"a\":\"tab\there\"}", 0, "control character 0x09"},
    {"{\"a\":\"\\x\"}", 0, "invalid escape"},
    /* 2. U+0000 */
    {"{\"a\":\"x\\u0000y\"}", 0, "\\u0000 is not allowed"},
    {"{\"a\":\"x\\u0000y\"}", JSON_KEEP_NUL, NULL},
    {"{\"a\\u0000b\":1}", JSON_KEEP_NUL, "\\u0000 is not allowed"},
    /* 3. numbers */
    {"[01]", 0, "invalid number"},
    {"[1.]", 0, "invalid number"},
    {"[.5]", 0, "invalid token"},
    {"[+1]", 0, "invalid token"},
    {"[1e]", 0, "invalid number"},
    {"[-]", 0, "invalid number"},
    {"[0x10]", 0, "invalid token"},
    {"[NaN]", 0, "invalid token"},
    {"[1e400]", 0, "number out of range"},
    {"[-1e400]", JSON_HUGE_INF, NULL},
    {"[1000000000000000000000000000000000000000000000000000000000000000]", 0, NULL},
    {"[1.00000000000000000000000000000000000000000000000000000000000000000000000001]", 0, NULL},
    /* 4. duplicate keys */
    {"{\"path\":\"a\",\"path\":\"b\"}", 0, "duplicate object key near '\"path\"'"},
    {"{\"path\":\"a\",\"path\":\"b\"}", JSON_DUPS_LAST, NULL},
    {"{\"o\":{\"k\":1,\"k\":2}}", 0, "duplicate object key near '\"k\"'"},
    /* grammar */
    {"", 0, "premature end of input"},
    {"   ", 0, "premature end of input"},
    {"{\"a\":", 0, "'}' expected near end of file"},
    {"[1,", 0, "']' expected near end of file"},
    {"{} {}", 0, "end of file expected"},
    {"{\"a\":1,}", 0, "invalid JSON"},
    {"[1,]", 0, "invalid JSON"},
    {"{'a':1}", 0, "invalid token"},
    {"[tru]", 0, "invalid token"},
    {"{\"a\":1}\x01", 0, "invalid token"},
    {"\x0c{}", 0, "invalid token"},
};

static void test_parse_cases(void)
{
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        struct json_error err;
        const char *t = parse_cases[i].text;
        cJSON *v = json_parse(t, strlen(t), parse_cases[i].flags, &err);
        if (parse_cases[i].err == NULL) {
            CHECK(v != NULL);
            if (v == NULL) {
                fprintf(stderr, "  case %zu: %s\n", i, err.text);
            }
        } else {
            CHECK(v == NULL &&
                  strncmp(err.text, parse_cases[i].err, strlen(parse_cases[i].err)) == 0);
            if (v != NULL || strncmp(err.text, parse_cases[i].err, strlen(parse_cases[i].err))) {
                fprintf(stderr, "  case %zu: got \"%s\"\n", i, v ? "(parsed)" : err.text);
            }
        }
        json_free(v);
    }
}

static void test_positions(void)
{
    struct json_error err;
    const char *t = "{\"path\":\"a\",\"path\":\"b\"}";
    CHECK(json_parse(t, strlen(t), 0, &err) == NULL);
    CHECK(err.line == 1 && err.column == 18); /* the closing quote of the second key */
    t = "{\n  \"a\": \"\xc3\xa9\",\n  \"b\": \"\xff\"}";
    CHECK(json_parse(t, strlen(t), 0, &err) == NULL);
    CHECK(err.line == 3 && err.column == 9);
    /* the duplicate is found in a large object too (sorted path), at the first repeat */
    char big[2048] = "{";
    size_t n = 1;
    for (int k = 0; k < 40; k++) {
        n += (size_t)snprintf(big + n, sizeof big - n, "\"k%d\":%d,", k == 30 ? 3 : k, k);
    }
    big[n - 1] = '}';
    cJSON *v = json_parse(big, n, 0, &err);
    CHECK(v == NULL && strstr(err.text, "'\"k3\"'") != NULL);
    v = json_parse(big, n, JSON_DUPS_LAST, &err);
    CHECK(v != NULL && cJSON_GetArraySize(v) == 39);
    uint64_t u = 0;
    CHECK(json_u64(json_get(v, "k3"), &u) && u == 30);          /* last value ... */
    CHECK(strcmp(cJSON_GetArrayItem(v, 3)->string, "k3") == 0); /* ... first position */
    json_free(v);
}

static void test_nul(void)
{
    const char *t = "{\"a\":\"x\\u0000y\",\"b\":\"\\u0000\",\"c\":\"plain\"}";
    cJSON *v = json_parse(t, strlen(t), JSON_KEEP_NUL, NULL);
    CHECK(v != NULL);
    CHECK(json_str_len(json_get(v, "a")) == 3 && memcmp(json_get_str(v, "a"), "x\0y", 3) == 0);
    CHECK(json_str_len(json_get(v, "b")) == 1);
    CHECK(json_str_len(json_get(v, "c")) == 5);
    CHECK(!json_str_eq(json_get(v, "a"), "x")); /* never truncated into "x" */
    char *out = json_dump(v, 0, NULL);
    CHECK_STR(out, "{\"a\":\"x\\u0000y\",\"b\":\"\\u0000\",\"c\":\"plain\"}");
    free(out);
    json_free(v);
    cJSON *s = json_string_len("a\0b", 3);
    CHECK(json_str_len(s) == 3);
    json_free(s);
}

static void test_integers(void)
{
    static const struct {
        const char *text;
        bool u64_ok;
        uint64_t u;
        bool is_int;
    } cases[] = {
        {"0", true, 0, true},
        {"4294967295", true, 4294967295u, true},
        {"9007199254740993", true, 9007199254740993ull, true}, /* 2^53 + 1: not a double */
        {"18446744073709551615", true, UINT64_MAX, true},
        {"18446744073709551616", false, 0, true},
        {"-1", false, 0, true},
        {"1.0", false, 0, false}, /* serde: floating point, expected u64 */
        {"1e2", false, 0, false},
        {"1.5", false, 0, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *v = json_parse(cases[i].text, strlen(cases[i].text), 0, NULL);
        uint64_t u = 12345;
        CHECK(v != NULL);
        CHECK(json_u64(v, &u) == cases[i].u64_ok);
        if (cases[i].u64_ok) {
            CHECK(u == cases[i].u);
        }
        CHECK(json_is_int(v) == cases[i].is_int);
        CHECK_STR(json_kind(v), cases[i].is_int ? "integer" : "floating point");
        json_free(v);
    }
    /* longer than cJSON's 63 characters: read whole, the literal kept */
    const char *longer = "123456789012345678901234567890123456789012345678901234567890123456789";
    cJSON *l = json_parse(longer, strlen(longer), 0, NULL);
    uint64_t u = 0;
    CHECK(l != NULL && l->valuedouble > 1.2e68 && l->valuedouble < 1.3e68 && !json_u64(l, &u));
    CHECK_STR(json_number_text(l), longer);
    json_free(l);
    int64_t s = 0;
    cJSON *v = json_parse("-9223372036854775808", 20, 0, NULL);
    CHECK(json_i64(v, &s) && s == INT64_MIN);
    char *out = json_dump(v, 0, NULL); /* the literal comes back as written */
    CHECK_STR(out, "-9223372036854775808");
    free(out);
    json_free(v);
}

static void test_writer(void)
{
    const char *t = "{\"a\":[1,\"x\\n\\u001f\\\"\",{}],\"b\":{\"c\":true,\"d\":null},\"e\":[],"
                    "\"f\":2.5,\"g\":\"\xc3\xa9\"}";
    cJSON *v = json_parse(t, strlen(t), 0, NULL);
    CHECK(v != NULL);
    char *out = json_dump(v, 0, NULL);
    CHECK_STR(out, "{\"a\":[1,\"x\\n\\u001F\\\"\",{}],\"b\":{\"c\":true,\"d\":null},\"e\":[],"
                   "\"f\":2.5,\"g\":\"\xc3\xa9\"}");
    free(out);
    out = json_dump(v, 2, NULL);
    CHECK_STR(out, "{\n  \"a\": [\n    1,\n    \"x\\n\\u001F\\\"\",\n    {}\n  ],\n  \"b\": {\n"
                   "    \"c\": true,\n    \"d\": null\n  },\n  \"e\": [],\n  \"f\": 2.5,\n"
                   "  \"g\": \"\xc3\xa9\"\n}");
    free(out);
    json_free(v);

    cJSON *o = cJSON_CreateObject();
    static const uint8_t b[] = {0x00, 0xab, 0xff};
    CHECK(json_set(o, "h", json_hex_string(b, sizeof b)));
    CHECK(json_set(o, "n", cJSON_CreateNumber(1.0)));
    CHECK(json_set(o, "h", json_hex_string(b, 1))); /* replaces, keeps the place */
    CHECK(json_set_hex(o, "e", NULL, 0));
    CHECK(json_set_hex(o, "n", b, sizeof b)); /* replaces, keeps the place */
    out = json_dump(o, 0, NULL);
    CHECK_STR(out, "{\"h\":\"00\",\"n\":\"00abff\",\"e\":\"\"}");
    free(out);
    out = cJSON_PrintUnformatted(o); /* cJSON's own printer reads the same node */
    CHECK_STR(out, "{\"h\":\"00\",\"n\":\"00abff\",\"e\":\"\"}");
    free(out);
    CHECK(!json_set_hex(NULL, "x", b, 1));
    json_free(o);

    struct json_out w = {.max = 8};
    json_out_hex(&w, b, 3); /* 8 bytes: fits exactly */
    CHECK(!w.failed && w.len == 8);
    json_out_raw(&w, "x", 1); /* over the cap */
    CHECK(w.failed && json_out_take(&w, NULL) == NULL);
}

static void test_utf8(void)
{
    CHECK(utf8_valid("", 0));
    CHECK(utf8_valid("plain ascii text, longer than a word", 36));
    CHECK(utf8_valid("\xf0\x9f\x98\x80\xe2\x82\xac\xc3\xa9", 9));
    CHECK(utf8_valid("a\0b", 3));
    CHECK(!utf8_valid("\x80", 1));
    CHECK(!utf8_valid("\xc1\xbf", 2));
    CHECK(!utf8_valid("\xe0\x9f\xbf", 3));     /* overlong */
    CHECK(!utf8_valid("\xed\xbf\xbf", 3));     /* surrogate */
    CHECK(!utf8_valid("\xf5\x80\x80\x80", 4)); /* > U+10FFFF */
    CHECK(utf8_valid_prefix("abcdefgh\xffz", 10) == 8);
}

/* The text need not end in NUL: an error message quotes only bytes inside it (found by
 * fuzz_kms_answer; ASan reports the over-read this guards against). */
static void test_unterminated(void)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"{\"a\"}", "invalid JSON near '}'"},
        {"{}{}", "end of file expected near '{}'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].text);
        char *buf = malloc(n); /* no room for a NUL */
        struct json_error err;
        memcpy(buf, cases[i].text, n);
        CHECK(json_parse(buf, n, 0, &err) == NULL);
        CHECK_STR(err.text, cases[i].want);
        free(buf);
    }
}

/* Long strings without escapes are copied whole past cJSON: values, keys, in arrays, beside long
 * number literals, and errors still point into the caller's text. */
static void test_plain_strings(void)
{
    char big[300], text[2048];
    memset(big, 'h', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    snprintf(text, sizeof text, "{\"%s\":[\"%s\",\"x\"],\"v\":\"%s\",\"n\":1%s,\"e\":\"a\\n%s\"}",
             big, big, big, "000000000000000000000000000000000000000000000000000000000000000000",
             big);
    cJSON *v = json_parse(text, strlen(text), 0, NULL);
    CHECK(v != NULL);
    const cJSON *arr = json_get(v, big);
    CHECK(cJSON_GetArraySize(arr) == 2);
    CHECK_STR(json_str(json_at(arr, 0)), big);
    CHECK_STR(json_str(json_at(arr, 1)), "x");
    CHECK_STR(json_get_str(v, "v"), big);
    CHECK(json_str_len(json_get(v, "e")) == 2 + strlen(big));
    CHECK(json_get(v, "n")->valuedouble > 9.9e65);
    char *out = json_dump(v, 0, NULL);
    cJSON *again = out != NULL ? json_parse(out, strlen(out), 0, NULL) : NULL;
    CHECK(cJSON_Compare(v, again, true));
    free(out);
    json_free(again);
    json_free(v);
    /* a duplicate long key, and a grammar error after a long string */
    snprintf(text, sizeof text, "{\"%s\":1,\"%s\":2}", big, big);
    struct json_error err;
    CHECK(json_parse(text, strlen(text), 0, &err) == NULL && err.kind == JSON_E_DUP);
    snprintf(text, sizeof text, "[\"%s\" 1]", big);
    CHECK(json_parse(text, strlen(text), 0, &err) == NULL && err.column == 304);
}

static void test_member_compact(void)
{
    const char *t =
        "{\n  \"a\": \"x\",\n  \"event_log\": [\n    {\n      \"imr\": 3,\n"
        "      \"event\": \"a b\\\" ]}\"\n    },\n    []\n  ],\n  \"z\": {\"event_log\": 1}\n}";
    size_t n = 0;
    char *out = json_member_compact(t, strlen(t), "event_log", &n);
    CHECK_STR(out, "[{\"imr\":3,\"event\":\"a b\\\" ]}\"},[]]");
    CHECK(out != NULL && n == strlen(out));
    free(out);
    out = json_member_compact(t, strlen(t), "a", &n);
    CHECK_STR(out, "\"x\"");
    free(out);
    CHECK(json_member_compact(t, strlen(t), "imr", &n) == NULL); /* top level only */
    t = "{\"k\":1,\"k\":[2, 3]}";
    out = json_member_compact(t, strlen(t), "k", &n);
    CHECK_STR(out, "[2,3]"); /* the last, as JSON.parse */
    free(out);
}

int main(void)
{
    test_unterminated();
    test_member_compact();
    test_plain_strings();
    test_parse_cases();
    test_positions();
    test_nul();
    test_integers();
    test_writer();
    test_utf8();
    return check_exit();
}
