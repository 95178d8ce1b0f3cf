#include "check.h"
#include "request.h"

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
    {"{\"a\":\"\\u0000\"}", false, NULL},
};

static void test_json(void)
{
    for (size_t i = 0; i < sizeof json_cases / sizeof json_cases[0]; i++) {
        cJSON *out = NULL;
        char err[REQUEST_ERROR_MAX] = "";
        bool ok = request_decode_json(json_cases[i].body, strlen(json_cases[i].body), &out, err);
        CHECK(ok == json_cases[i].ok);
        if (ok) {
            CHECK(cJSON_IsObject(out));
        } else {
            CHECK(out == NULL && err[0] != '\0');
            if (json_cases[i].err_prefix != NULL) {
                CHECK(strncmp(err, json_cases[i].err_prefix, strlen(json_cases[i].err_prefix)) ==
                      0);
            }
        }
        json_free(out);
    }
}

static void test_query(void)
{
    char err[REQUEST_ERROR_MAX];
    cJSON *q = request_query_new();
    CHECK(request_query_add(q, "path", "a/b c", 5, err));
    CHECK(request_query_add(q, "alt_names[]", "x", 1, err));
    CHECK(request_query_add(q, "alt_names[]", "y", 1, err));
    CHECK(request_query_add(q, "list[0]", "p", 1, err));
    CHECK(request_query_add(q, "list[1]", "q", 1, err));
    char *dump = json_dump(q, 0, NULL);
    CHECK_STR(dump, "{\"path\":\"a/b c\",\"alt_names\":[\"x\",\"y\"],\"list\":[\"p\",\"q\"]}");
    free(dump);

    /* errors */
    CHECK(!request_query_add(q, "path", "again", 5, err));
    CHECK_STR(err, "Multiple values for one key: \"path\"");
    CHECK(!request_query_add(q, "list[5]", "z", 1, err)); /* not the next index */
    CHECK(!request_query_add(q, "list[x]", "z", 1, err));
    CHECK(!request_query_add(q, "[0]", "z", 1, err));
    CHECK(!request_query_add(q, "bad[", "z", 1, err));
    CHECK(!request_query_add(q, "path[]", "z", 1, err)); /* scalar then array */
    CHECK(!request_query_add(q, "bin", "\xff\xfe", 2, err));
    CHECK_STR(err, "bin: query value is not valid UTF-8");
    json_free(q);
}

int main(void)
{
    test_json();
    test_query();
    return check_exit();
}
