/* Compose hash: JSON.stringify number formatting, sortObject key order, normalisation, and the
 * golden vectors of docs/sdk.md and vectors computed with upstream's code. */
#include <dstack/client.h>
#include <dstack/helpers.h>

#include "check.h"
#include "helpers/js_json.h"

static void test_js_number(void)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {1.0, "1"},
        {1.5, "1.5"},
        {-0.0, "0"},
        {0.0, "0"},
        {-42, "-42"},
        {3.14159, "3.14159"},
        {1e10, "10000000000"},
        {1e20, "100000000000000000000"},
        {1e21, "1e+21"},
        {1.5e21, "1.5e+21"},
        {123456789012345680000.0, "123456789012345680000"},
        {0.1, "0.1"},
        {0.1 + 0.2, "0.30000000000000004"},
        {0.000001, "0.000001"},
        {1e-7, "1e-7"},
        {-1.5e-7, "-1.5e-7"},
        {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {9007199254740993.0, "9007199254740992"}, /* 2^53 + 1 rounds to 2^53 */
        {100, "100"},
        {0.5, "0.5"},
        {123.456, "123.456"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[40];
        js_number(cases[i].v, buf, sizeof buf);
        CHECK_STR(buf, cases[i].want);
    }
}

static void test_canonical(void)
{
    static const struct {
        const char *in;
        bool normalize;
        const char *want;
    } cases[] = {
        /* computed with upstream's code */
        {"{\"runner\":\"docker-compose\",\"docker_compose_file\":\"services: {}\","
         "\"manifest_version\":2,\"name\":\"demo\",\"kms_enabled\":true,\"gateway_enabled\":false,"
         "\"allowed_envs\":[\"FOO\"]}",
         false,
         "{\"allowed_envs\":[\"FOO\"],\"docker_compose_file\":\"services: {}\","
         "\"gateway_enabled\":false,\"kms_enabled\":true,\"manifest_version\":2,\"name\":\"demo\","
         "\"runner\":\"docker-compose\"}"},
        /* nested objects (also inside arrays) sorted, arrays kept in order */
        {"{\"z\":{\"b\":1,\"a\":[{\"y\":1,\"x\":2}]},\"a\":[3,1,2]}", false,
         "{\"a\":[3,1,2],\"z\":{\"a\":[{\"x\":2,\"y\":1}],\"b\":1}}"},
        /* JS objects list integer-like keys first, numerically; "01" is not one */
        {"{\"b\":1,\"10\":2,\"9\":3,\"01\":4,\"a\":5}", false,
         "{\"9\":3,\"10\":2,\"01\":4,\"a\":5,\"b\":1}"},
        /* 4294967295 is not an array index: a string key */
        {"{\"4294967295\":1,\"4294967294\":2,\"5\":3}", false,
         "{\"5\":3,\"4294967294\":2,\"4294967295\":1}"},
        /* UTF-16 code-unit order: U+1F600 (D83D..) sorts before U+FF61 */
        {"{\"\xef\xbd\xa1\":1,\"\xf0\x9f\x98\x80\":2}", false,
         "{\"\xf0\x9f\x98\x80\":2,\"\xef\xbd\xa1\":1}"},
        /* __proto__ never reaches the output of sortObject */
        {"{\"__proto__\":{\"a\":1},\"b\":2}", false, "{\"b\":2}"},
        /* numbers as JavaScript writes them; escapes as JSON.stringify */
        {"{\"a\":1.0,\"b\":1e21,\"c\":-0,\"d\":1E-7,\"e\":12345678901234567890}", false,
         "{\"a\":1,\"b\":1e+21,\"c\":0,\"d\":1e-7,\"e\":12345678901234567000}"},
        {"{\"s\":\"\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\/<>&\\u2028\\u00e9\"}", false,
         "{\"s\":\"\\u0001\\u001f\\b\\f\\n\\r\\t\\\"\\\\/<>&\xe2\x80\xa8\xc3\xa9\"}"},
        /* normalize */
        {"{\"runner\":\"bash\",\"docker_compose_file\":\"x\",\"bash_script\":\"y\"}", true,
         "{\"bash_script\":\"y\",\"runner\":\"bash\"}"},
        {"{\"runner\":\"docker-compose\",\"docker_compose_file\":\"x\",\"bash_script\":\"y\"}",
         true, "{\"docker_compose_file\":\"x\",\"runner\":\"docker-compose\"}"},
        {"{\"runner\":\"nerdctl-compose\",\"bash_script\":\"y\",\"pre_launch_script\":\"\"}", true,
         "{\"runner\":\"nerdctl-compose\"}"},
        {"{\"runner\":\"x\",\"pre_launch_script\":\"echo\"}", true,
         "{\"pre_launch_script\":\"echo\",\"runner\":\"x\"}"},
        {"{\"runner\":\"x\",\"pre_launch_script\":0}", true, "{\"runner\":\"x\"}"},
        {"{\"runner\":\"x\",\"pre_launch_script\":null}", true, "{\"runner\":\"x\"}"},
        /* without normalize nothing is dropped */
        {"{\"runner\":\"bash\",\"docker_compose_file\":\"x\",\"pre_launch_script\":\"\"}", false,
         "{\"docker_compose_file\":\"x\",\"pre_launch_script\":\"\",\"runner\":\"bash\"}"},
        {"{}", false, "{}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL;
        dstack_err err = dstack_compose_canonical_json(cases[i].in, strlen(cases[i].in),
                                                       cases[i].normalize, &out);
        CHECK(err == DSTACK_OK);
        CHECK_STR(out, cases[i].want);
        free(out);
    }
}

static void test_hash_vectors(void)
{
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        /* docs/sdk.md (the \\n are literal backslash-n in the JSON text) */
        {"{\"manifest_version\":1,\"name\":\"test-app\",\"runner\":\"docker-compose\","
         "\"docker_compose_file\":\"services:\\\\n  app:\\\\n    image: test\\\\n    ports:\\\\n"
         "      - 8080:8080\"}",
         "988a2e3448a69facce5c9a9a91f9335f485bb0a996ddd06897a388a1340fafdd"},
        {"{\"manifest_version\":1,\"name\":\"another-app\",\"runner\":\"docker-compose\","
         "\"docker_compose_file\":\"services:\\\\n  web:\\\\n    build: .\\\\n    environment:\\\\n"
         "      - NODE_ENV=production\"}",
         "bb05251a8326f16fea9635efd05b9c019533570a5e1549a5da2a33fbf315b438"},
        {"{\"runner\":\"docker-compose\",\"name\":"
         "\"\xe6\xb5\x8b\xe8\xaf\x95\xe5\xba\x94\xe7\x94\xa8\","
         "\"bash_script\":\"echo '\xf0\x9f\x9a\x80 Deploy'\"}",
         "b5a696948a9454f4d234ee6d5f1fd3f43e3a34be1133a3a50cde3c543fbc955a"},
        /* computed with upstream's code */
        {"{\"runner\":\"docker-compose\",\"docker_compose_file\":\"services: {}\","
         "\"manifest_version\":2,\"name\":\"demo\",\"kms_enabled\":true,\"gateway_enabled\":false,"
         "\"allowed_envs\":[\"FOO\"]}",
         "5d85deaaf474ce72fa9ea4d0241696db195d98f20ac7e6f6ec331879c9225545"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char hex[DSTACK_COMPOSE_HASH_HEX_LEN + 1] = "";
        CHECK(dstack_compose_hash(cases[i].in, strlen(cases[i].in), false, hex) == DSTACK_OK);
        CHECK_STR(hex, cases[i].want);
    }
    /* The JS/Python divergence example (docs/sdk.md): JS gives 4d2a3c0d...1385. */
    const char *div =
        "{\"runner\":\"docker-compose\",\"w\":\"<a&b>\",\"x\":1.0,\"y\":1.5,\"z\":1e21}";
    char hex[DSTACK_COMPOSE_HASH_HEX_LEN + 1] = "";
    CHECK(dstack_compose_hash(div, strlen(div), false, hex) == DSTACK_OK);
    CHECK(strncmp(hex, "4d2a3c0d", 8) == 0 && strcmp(hex + 60, "1385") == 0);
    /* key order does not matter */
    char h1[65], h2[65];
    CHECK(dstack_compose_hash("{\"a\":1,\"b\":{\"c\":1,\"d\":2}}", 25, false, h1) == DSTACK_OK);
    CHECK(dstack_compose_hash("{\"b\":{\"d\":2,\"c\":1},\"a\":1}", 25, false, h2) == DSTACK_OK);
    CHECK_STR(h1, h2);
}

static void test_fixture(void)
{
    const char *path = check_fixture("upstream/simulator/app-compose.json");
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (f == NULL) {
        return;
    }
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    char hex[65];
    CHECK(dstack_compose_hash(buf, n, false, hex) == DSTACK_OK);
    /* computed with upstream's code: SDK canonical hash of sdk/simulator/app-compose.json */
    CHECK_STR(hex, "84d4e7a031ef7d048d1492ca00b754c32513934e53f62b2dcf84b3e440656f61");
}

static void test_bad_inputs(void)
{
    static const char *bad[] = {"", "[]", "\"x\"", "{", "{\"a\":}", "1", "{\"a\":1}x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char hex[65] = "";
        CHECK(dstack_compose_hash(bad[i], strlen(bad[i]), false, hex) == DSTACK_EFORMAT);
        CHECK(dstack_last_error()[0] != '\0');
    }
    /* nesting bomb: refused, not a stack overflow */
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 16);
    size_t o = 0;
    deep[o++] = '{';
    deep[o++] = '"';
    deep[o++] = 'a';
    deep[o++] = '"';
    deep[o++] = ':';
    for (size_t i = 0; i < depth; i++) {
        deep[o++] = '[';
    }
    for (size_t i = 0; i < depth; i++) {
        deep[o++] = ']';
    }
    deep[o++] = '}';
    char hex[65];
    CHECK(dstack_compose_hash(deep, o, false, hex) != DSTACK_OK);
    free(deep);
    CHECK(dstack_compose_hash(NULL, 0, false, hex) == DSTACK_EINVAL);
}

/* JSON.parse reads literals beyond the double range as +-Infinity: written as null by the SDK's
 * replacer, truthy for normalisation (expected texts and hashes from the JS SDK 0.5.8). */
static void test_infinity(void)
{
    static const struct {
        const char *in;
        bool normalize;
        const char *want, *hash;
    } cases[] = {
        {"{\"a\":1e400}", false, "{\"a\":null}",
         "d091f9c83c091f79652fe8786375b3fe4ce0861a56f5bfbafedbe431877ff0e8"},
        {"{\"a\":-1e400,\"b\":[1e999,\"x\"],\"c\":{\"d\":1e400}}", false,
         "{\"a\":null,\"b\":[null,\"x\"],\"c\":{\"d\":null}}",
         "4cac7506b6e72f3e69a2ec3ae30b6e496275c006c33061682fe89410e2eb2b0f"},
        /* Infinity is truthy: normalize keeps pre_launch_script (as null) */
        {"{\"runner\":\"bash\",\"pre_launch_script\":1e400}", true,
         "{\"pre_launch_script\":null,\"runner\":\"bash\"}",
         "b78e513c75a937c775f9e0cc0775bb4676360cbd7b3c875f831339537a87f0bc"},
        /* a string that looks like one, the largest finite double, and underflow to 0 */
        {"{\"s\":\"1e400\",\"n\":1e308,\"u\":1e-400,\"e\":\"\\\"1e400\"}", false,
         "{\"e\":\"\\\"1e400\",\"n\":1e+308,\"s\":\"1e400\",\"u\":0}", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL;
        CHECK(dstack_compose_canonical_json(cases[i].in, strlen(cases[i].in), cases[i].normalize,
                                            &out) == DSTACK_OK);
        CHECK_STR(out, cases[i].want);
        free(out);
        if (cases[i].hash != NULL) {
            char hex[DSTACK_COMPOSE_HASH_HEX_LEN + 1];
            CHECK(dstack_compose_hash(cases[i].in, strlen(cases[i].in), cases[i].normalize, hex) ==
                  DSTACK_OK);
            CHECK_STR(hex, cases[i].hash);
        }
    }
    /* still refused: malformed numbers */
    char *out = NULL;
    CHECK(dstack_compose_canonical_json("{\"a\":1e}", 8, false, &out) == DSTACK_EFORMAT);
    CHECK(dstack_compose_canonical_json("{\"a\":--1e400}", 13, false, &out) == DSTACK_EFORMAT);
    CHECK(out == NULL);
}

/* sortObject skips objects with an own "constructor" key (obj.constructor !== Object): they and
 * their subtree keep JavaScript property order (index keys first) and their "__proto__" keys.
 * Expected texts from the JS SDK 0.5.8 (found by tests/compat/differential.test.mjs). */
static void test_constructor_key(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"{\"b\":1,\"constructor\":2,\"a\":3}", "{\"b\":1,\"constructor\":2,\"a\":3}"},
        {"{\"x\":{\"b\":1,\"constructor\":{\"z\":1,\"y\":2},\"a\":3,\"__proto__\":{\"q\":1},"
         "\"7\":1,\"3\":{\"b\":1,\"a\":2}}}",
         "{\"x\":{\"3\":{\"b\":1,\"a\":2},\"7\":1,\"b\":1,\"constructor\":{\"z\":1,\"y\":2},"
         "\"a\":3,\"__proto__\":{\"q\":1}}}"},
        {"{\"a\":[{\"constructor\":1,\"z\":{\"b\":1,\"a\":0}},{\"b\":1,\"a\":2}]}",
         "{\"a\":[{\"constructor\":1,\"z\":{\"b\":1,\"a\":0}},{\"a\":2,\"b\":1}]}"},
        /* "Constructor" and "constructor " are ordinary keys */
        {"{\"b\":1,\"Constructor\":2,\"constructor \":3}",
         "{\"Constructor\":2,\"b\":1,\"constructor \":3}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL;
        CHECK(dstack_compose_canonical_json(cases[i].in, strlen(cases[i].in), false, &out) ==
              DSTACK_OK);
        CHECK_STR(out, cases[i].want);
        free(out);
    }
}

/* JSON.stringify of strings: runs of plain bytes copied, escapes, non-ASCII kept as UTF-8
 * (U+D7FF and U+E000 sit beside the surrogate range the 0xED lead byte covers), and broken UTF-8
 * from caller text (env vars) never swallowing a following quote or backslash. */
static void test_js_string(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"", "\"\""},
        {"plain text", "\"plain text\""},
        {"a\"b\\c", "\"a\\\"b\\\\c\""},
        {"\n\r\t\b\f\x01\x1f\x7f", "\"\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\""},
        {"caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x80\xa8",
         "\"caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x80\xa8\""},
        {"\xed\x9f\xbf|\xee\x80\x80", "\"\xed\x9f\xbf|\xee\x80\x80\""},
        {"\xe0\"x", "\"\xe0\\\"x\""},
        {"\xed\"\\", "\"\xed\\\"\\\\\""},
        {"\xf0\x9f\n", "\"\xf0\x9f\\n\""},
        {"\xed\xa0\x80-\xed\xbf\xbf", "\"\\ud800-\\udfff\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct strbuf b = {0};
        js_string(&b, cases[i].in, strlen(cases[i].in));
        CHECK(!b.failed && b.data != NULL);
        CHECK_STR(b.data, cases[i].want);
        strbuf_free(&b);
    }
}

/* Overflow without an exponent: 2e308 (309 digits) is beyond the double range, 2e307 is not. */
static void test_long_integers(void)
{
    char in[400], want[400];
    for (int digits = 308; digits <= 309; digits++) {
        int n = snprintf(in, sizeof in, "{\"a\":2");
        for (int i = 1; i < digits; i++) {
            in[n++] = '0';
        }
        snprintf(in + n, sizeof in - (size_t)n, "}");
        snprintf(want, sizeof want, "{\"a\":%s}", digits == 308 ? "2e+307" : "null");
        char *out = NULL;
        CHECK(dstack_compose_canonical_json(in, strlen(in), false, &out) == DSTACK_OK);
        CHECK_STR(out, want);
        free(out);
    }
}

int main(void)
{
    test_js_number();
    test_canonical();
    test_hash_vectors();
    test_bad_inputs();
    test_fixture();
    test_infinity();
    test_constructor_key();
    test_js_string();
    test_long_integers();
    return check_exit();
}
