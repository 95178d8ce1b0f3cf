/* dstack-quote-sidecar query handling: strict form-urlencoded decoding, data/hex report data,
 * the 64-byte limit, and every refusal with its HTTP status and text. */
#include "check.h"
#include "sc_query.h"
#include "util/error.h"

static const struct {
    const char *in;
    int rc;
    const char *out; /* decoded bytes as hex */
} pct_cases[] = {
    {"", 0, ""},           {"abc", 0, "616263"},       {"a+b", 0, "612062"},
    {"%41%62", 0, "4162"}, {"%e2%82%AC", 0, "e282ac"}, {"%00", 0, "00"},
    {"%2B", 0, "2b"},      {"100%25", 0, "31303025"},  {"%", -1, NULL},
    {"%4", -1, NULL},      {"a%", -1, NULL},           {"%zz", -1, NULL},
    {"%4g", -1, NULL},     {"%%41", -1, NULL},
};

static void test_percent(void)
{
    for (size_t i = 0; i < sizeof pct_cases / sizeof pct_cases[0]; i++) {
        uint8_t out[64];
        size_t n = 0;
        int rc = sc_percent_decode(pct_cases[i].in, strlen(pct_cases[i].in), out, sizeof out, &n);
        CHECK(rc == pct_cases[i].rc);
        if (rc == 0 && pct_cases[i].out != NULL) {
            CHECK_HEX(out, n, pct_cases[i].out);
        }
    }
    /* The output cap is honoured. */
    uint8_t small[2];
    size_t n = 0;
    CHECK(sc_percent_decode("abc", 3, small, sizeof small, &n) == -1);
}

#define X64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct {
    const char *query; /* NULL = no query string at all */
    unsigned status;
    const char *want; /* hex of the report data, or the error text */
} rd_cases[] = {
    /* Upstream's default (handlers.rs) and the sidecar README's examples. */
    {NULL, 0, "68656c6c6f20776f726c64"},
    {"", 0, "68656c6c6f20776f726c64"},
    {"data=user:alice:nonce123", 0, "757365723a616c6963653a6e6f6e6365313233"},
    {"data=test123", 0, "74657374313233"},
    {"data=my-app-state", 0, "6d792d6170702d7374617465"},
    {"data=hello+world", 0, "68656c6c6f20776f726c64"},
    {"data=hello%20world", 0, "68656c6c6f20776f726c64"},
    {"data=%E2%82%AC", 0, "e282ac"},
    {"data=", 0, ""},
    {"data", 0, ""},
    {"&data=a&", 0, "61"},
    {"data=" X64, 0,
     "3031323334353637383961626364656630313233343536373839616263646566"
     "3031323334353637383961626364656630313233343536373839616263646566"},
    {"hex=00ff", 0, "00ff"},
    {"hex=00FF", 0, "00ff"},
    {"hex=0x00ff", 0, "00ff"},
    {"hex=", 0, ""},
    {"hex=" X64 X64, 0, X64 X64},
    /* Refusals. */
    {"data=" X64 "x", 400, "data must be at most 64 bytes, got 65"},
    {"data=%zz", 400,
     "invalid percent-encoding in the query string ('%' must be followed by two hex digits)"},
    {"data=abc%", 400,
     "invalid percent-encoding in the query string ('%' must be followed by two hex digits)"},
    {"%zz=1", 400,
     "invalid percent-encoding in the query string ('%' must be followed by two hex digits)"},
    {"data=%ff", 400, "data is not valid UTF-8; send binary report data as hex="},
    {"data=%c0%80", 400, "data is not valid UTF-8; send binary report data as hex="},
    {"data=%ed%a0%80", 400, "data is not valid UTF-8; send binary report data as hex="},
    {"data=a&foo=1", 400, "unknown query parameter \"foo\" (expected data or hex)"},
    {"Data=a", 400, "unknown query parameter \"Data\" (expected data or hex)"},
    {"%ff%00=1", 400, "unknown query parameter \"??\" (expected data or hex)"},
    {"data=a&data=b", 400, "query parameter \"data\" given more than once"},
    {"hex=00&hex=01", 400, "query parameter \"hex\" given more than once"},
    {"data=a&hex=00", 400, "give either data or hex, not both"},
    {"hex=abc", 400, "hex must be an even number of hex digits (0-9, a-f)"},
    {"hex=zz", 400, "hex must be an even number of hex digits (0-9, a-f)"},
    {"hex=" X64 X64 "00", 400, "hex must be at most 64 bytes, got 65"},
};

static void test_report_data(void)
{
    for (size_t i = 0; i < sizeof rd_cases / sizeof rd_cases[0]; i++) {
        struct sc_report_data rd;
        const char *q = rd_cases[i].query;
        unsigned st = sc_query_report_data(q, q != NULL ? strlen(q) : 0, &rd);
        if (st != rd_cases[i].status) {
            fprintf(stderr, "case %zu (%s): status %u (%s)\n", i, q ? q : "(null)", st, err_text());
        }
        CHECK(st == rd_cases[i].status);
        if (st == 0 && rd_cases[i].status == 0) {
            CHECK_HEX(rd.b, rd.len, rd_cases[i].want);
        } else if (st != 0) {
            CHECK_STR(err_text(), rd_cases[i].want);
        }
    }
}

static void test_long_query(void)
{
    /* Longer than SC_QUERY_MAX: 414 before any decoding. */
    size_t n = SC_QUERY_MAX + 1;
    char *q = malloc(n + 1);
    memcpy(q, "data=", 5);
    memset(q + 5, 'a', n - 5);
    q[n] = '\0';
    struct sc_report_data rd;
    CHECK(sc_query_report_data(q, n, &rd) == 414);
    CHECK_STR(err_text(), "query string too long (4097 bytes, at most 4096)");
    /* Exactly SC_QUERY_MAX: decoded, then refused for its length (400, not 414). */
    CHECK(sc_query_report_data(q, SC_QUERY_MAX, &rd) == 400);
    CHECK_STR(err_text(), "data must be at most 64 bytes, got 4091");
    /* A long but legal query: many empty pairs around a short value. */
    memset(q, '&', n);
    memcpy(q + 100, "data=ok", 7);
    CHECK(sc_query_report_data(q, SC_QUERY_MAX, &rd) == 0);
    CHECK_HEX(rd.b, rd.len, "6f6b");
    free(q);
}

int main(void)
{
    test_percent();
    test_report_data();
    test_long_query();
    return check_exit();
}
