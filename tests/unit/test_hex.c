#include "check.h"
#include "util/hex.h"

static const struct {
    const char *in;
    dstack_err want;
    const char *bytes_hex; /* expected decode, re-encoded */
} cases[] = {
    {"", DSTACK_OK, ""},
    {"00ff", DSTACK_OK, "00ff"},
    {"DEADbeef", DSTACK_OK, "deadbeef"},
    {"0xdead", DSTACK_OK, "dead"},
    {"0x0Xbeef", DSTACK_OK, "beef"}, /* prefixes repeat, as upstream's trim_start_matches */
    {"0x", DSTACK_OK, ""},
    {"0", DSTACK_EFORMAT, NULL},  /* odd length */
    {"0g", DSTACK_EFORMAT, NULL}, /* not a digit */
    {"zz", DSTACK_EFORMAT, NULL},
    {"0x0", DSTACK_EFORMAT, NULL},
    {"ab:d", DSTACK_EFORMAT, NULL},
    {"00112233445566778899", DSTACK_EINVAL, NULL}, /* 10 bytes > cap 8 */
};

int main(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t out[8];
        size_t n = 0;
        dstack_err err = hex_decode(cases[i].in, strlen(cases[i].in), out, sizeof out, &n);
        CHECK(err == cases[i].want);
        if (err == DSTACK_OK) {
            char enc[17];
            hex_encode(out, n, enc);
            CHECK_STR(enc, cases[i].bytes_hex);
        }
    }
    uint8_t all[256];
    for (int i = 0; i < 256; i++) {
        all[i] = (uint8_t)i;
    }
    char *h = hex_encode_alloc(all, sizeof all);
    uint8_t *back = NULL;
    size_t back_len = 0;
    CHECK(hex_decode_alloc(h, strlen(h), &back, &back_len) == DSTACK_OK);
    CHECK(back_len == 256 && memcmp(back, all, 256) == 0);
    free(h);
    free(back);
    return check_exit();
}
