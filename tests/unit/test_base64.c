#include "check.h"
#include "util/base64.h"

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

int main(void)
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
    }
    return check_exit();
}
