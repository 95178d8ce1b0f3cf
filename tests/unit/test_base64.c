#include "check.h"
#include "util/base64.h"
#include "util/error.h"

/* RFC 4648 §10 test vectors, and the URL-safe alphabet on bytes that hit its two letters. */
static const struct {
    const char *in;
    const char *std;
    const char *url;
} cases[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
    {"\xfb\xff\xbf", "+/+/", "-_-_"},
};

static void test_encode(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const uint8_t *in = (const uint8_t *)cases[i].in;
        size_t len = strlen(cases[i].in);
        char out[32];
        CHECK(base64_encoded_len(len, false) == strlen(cases[i].std));
        base64_encode(in, len, false, out);
        CHECK_STR(out, cases[i].std);
        CHECK(base64_encoded_len(len, true) == strlen(cases[i].url));
        base64_encode(in, len, true, out);
        CHECK_STR(out, cases[i].url);
        char *a = base64_encode_alloc(in, len, false);
        CHECK_STR(a, cases[i].std);
        free(a);
        a = base64_encode_alloc(in, len, true);
        CHECK_STR(a, cases[i].url);
        free(a);
    }
    CHECK(base64_encode_alloc(NULL, SIZE_MAX, false) == NULL); /* the length would overflow */
}

/* The §10 vectors decode back; the URL-safe forms are not the standard alphabet. */
static void test_decode_vectors(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *std = cases[i].std;
        uint8_t out[32];
        size_t n = 99;
        CHECK(base64_decoded_max(strlen(std)) >= strlen(cases[i].in));
        CHECK(base64_decode(std, strlen(std), out, &n) == DSTACK_OK);
        CHECK(n == strlen(cases[i].in) && memcmp(out, cases[i].in, n) == 0);
        uint8_t *a = NULL;
        CHECK(base64_decode_alloc(std, strlen(std), &a, &n) == DSTACK_OK);
        CHECK(n == strlen(cases[i].in) && (n == 0 ? a == NULL : memcmp(a, cases[i].in, n) == 0));
        free(a);
    }
}

/* What the strict decoder refuses, with the error text it gives. */
static void test_decode_refused(void)
{
    static const struct {
        const char *in;
        const char *err;
    } bad[] = {
        /* bad padding */
        {"Zg=", "base64: length 3 is not a multiple of 4"},
        {"Zg", "base64: length 2 is not a multiple of 4"},
        {"Z===", "base64: padding before the end at offset 1"},
        {"====", "base64: padding before the end at offset 0"},
        {"=Zg=", "base64: padding before the end at offset 0"},
        {"Zg=a", "base64: padding before the end at offset 2"},
        {"Zg==Zg==", "base64: padding before the end at offset 2"},
        {"Zh==", "base64: non-zero bits after the last byte at offset 1"}, /* "f" is Zg== */
        {"Zm9=", "base64: non-zero bits after the last byte at offset 2"}, /* "fo" is Zm8= */
        /* bad characters: the URL-safe letters, whitespace, line breaks, NUL, high bytes */
        {"-_-_", "base64: invalid character at offset 0"},
        {"Zm9v Zg==", "base64: length 9 is not a multiple of 4"},
        {"Zm9\n", "base64: invalid character at offset 3"},
        {"Zm 9", "base64: invalid character at offset 2"},
        {"Zm9v\r\nZg", "base64: invalid character at offset 4"},
        {"Zm9\xc3", "base64: invalid character at offset 3"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t out[32];
        size_t n = 99;
        err_clear();
        CHECK(base64_decode(bad[i].in, strlen(bad[i].in), out, &n) == DSTACK_EFORMAT);
        CHECK(n == 0);
        CHECK_STR(err_text(), bad[i].err);
        uint8_t *a = (uint8_t *)"untouched";
        CHECK(base64_decode_alloc(bad[i].in, strlen(bad[i].in), &a, &n) == DSTACK_EFORMAT);
        CHECK(a == NULL && n == 0);
    }
    /* A NUL inside the length given is a character like any other. */
    uint8_t out[8];
    size_t n = 0;
    CHECK(base64_decode("Zg\0=", 4, out, &n) == DSTACK_EFORMAT);
    CHECK_STR(err_text(), "base64: invalid character at offset 2");
}

int main(void)
{
    test_encode();
    test_decode_vectors();
    test_decode_refused();
    return check_exit();
}
