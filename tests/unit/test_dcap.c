/* DCAP verification (lib/verify): dcap-qvl's real samples give the verdicts @phala/dcap-qvl
 * 0.3.9 gives at three times (inside validity, before issueDate, after nextUpdate; the same
 * verdicts are checked against the npm package itself by tests/verifier/samples.test.mjs), and
 * the parsers under it refuse malformed input. */
#include <stdlib.h>
#include <string.h>

#include <dstack/verify.h>

#include "check.h"
#include "verify/dcap.h"
#include "verify/pccs.h"

#define FIX DSTACK_SOURCE_DIR "/tests/fixtures/dcap-qvl/"

static char *fixture(const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, FIX "%s", name);
    char *b = check_read_file(path, len);
    if (b == NULL) {
        fprintf(stderr, "FAIL: fixture %s is missing\n", path);
        exit(1);
    }
    return b;
}

static const struct {
    const char *quote, *collateral;
    uint64_t now;
    const char *want_status; /* NULL: verification fails */
    const char *want_advisories;
    const char *want_reason;
} samples[] = {
    {"tdx_quote", "tdx_quote_collateral.json", 1751328000, "UpToDate", "", NULL},
    {"tdx_quote", "tdx_quote_collateral.json", 1748736000, NULL, NULL,
     "TCBInfo issue date is in the future"},
    {"tdx_quote", "tdx_quote_collateral.json", 1754006400, NULL, NULL, "TCBInfo expired"},
    {"sgx_quote", "sgx_quote_collateral.json", 1751328000, "ConfigurationAndSWHardeningNeeded",
     "INTEL-SA-00289,INTEL-SA-00615", NULL},
    {"sgx_quote", "sgx_quote_collateral.json", 1748736000, NULL, NULL,
     "TCBInfo issue date is in the future"},
    {"sgx_quote", "sgx_quote_collateral.json", 1754006400, NULL, NULL, "TCBInfo expired"},
    {"tdx_quote_outdated", "tdx_quote_outdated_collateral.json", 1772323200, NULL, NULL,
     "No matching TCB level found"},
    {"tdx_quote_outdated", "tdx_quote_outdated_collateral.json", 1769904000, NULL, NULL,
     "TCBInfo issue date is in the future"},
    {"tdx_quote_outdated", "tdx_quote_outdated_collateral.json", 1775001600, NULL, NULL,
     "TCBInfo expired"},
    /* a quote under another platform's collateral */
    {"tdx_quote", "sgx_quote_collateral.json", 1751328000, NULL, NULL, NULL},
    {"sgx_quote", "tdx_quote_collateral.json", 1751328000, NULL, NULL, NULL},
};

static void join_advisories(const struct dstack_dcap_report *r, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < r->advisory_count; i++) {
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%s%s", i ? "," : "", r->advisory_ids[i]);
    }
}

static void test_samples(void)
{
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        size_t qlen, clen;
        char *q = fixture(samples[i].quote, &qlen), *cj = fixture(samples[i].collateral, &clen);
        struct dstack_collateral *col = NULL;
        struct dstack_dcap_report rep;
        char adv[4096];
        CHECK(dstack_collateral_from_json(cj, clen, &col) == DSTACK_OK);
        dstack_err err = dstack_dcap_verify((uint8_t *)q, qlen, col, samples[i].now, NULL, &rep);
        if (samples[i].want_status != NULL) {
            CHECK(err == DSTACK_OK);
            CHECK_STR(rep.status, samples[i].want_status);
            join_advisories(&rep, adv, sizeof adv);
            CHECK_STR(adv, samples[i].want_advisories);
            char *json = NULL;
            CHECK(dstack_dcap_report_to_json(&rep, &json) == DSTACK_OK);
            CHECK(json != NULL && strstr(json, samples[i].want_status) != NULL);
            free(json);
        } else {
            CHECK(err == DSTACK_EVERIFY);
            if (samples[i].want_reason != NULL) {
                CHECK_STR(dstack_last_error(), samples[i].want_reason);
            }
        }
        dstack_collateral_free(col);
        free(q);
        free(cj);
    }
}

/* The report fields of the TDX sample (its RTMR0 and report data, as the quote holds them). */
static void test_report_fields(void)
{
    size_t qlen, clen;
    char *q = fixture("tdx_quote", &qlen), *cj = fixture("tdx_quote_collateral.json", &clen);
    struct dstack_collateral *col = NULL;
    struct dstack_dcap_report rep;
    CHECK(dstack_collateral_from_json(cj, clen, &col) == DSTACK_OK);
    CHECK(dstack_dcap_verify((uint8_t *)q, qlen, col, 1751328000, NULL, &rep) == DSTACK_OK);
    CHECK(rep.kind == DSTACK_REPORT_TD10 && rep.version == 4 && rep.tee_type == 0x81);
    CHECK_HEX(rep.td.rtmr[0], 48,
              "44c0197b39157fdd7a4dcc44767f9d6b0bb3977c7a8e347b8492f827fe9d9e5c48aca29b220b80b6a5"
              "40cf994b9bc9c0");
    CHECK_HEX(rep.fmspc, 6, "b0c06f000000");
    CHECK(memcmp(rep.td.report_data, q + 568, 64) == 0);
    /* every signed byte matters: one flip in the TD report fails the quote signature */
    q[200] ^= 1;
    CHECK(dstack_dcap_verify((uint8_t *)q, qlen, col, 1751328000, NULL, &rep) == DSTACK_EVERIFY);
    CHECK_STR(dstack_last_error(), "ISV enclave report signature is invalid");
    /* a truncated quote is malformed, not a crash */
    CHECK(dstack_dcap_verify((uint8_t *)q, 1000, col, 1751328000, NULL, &rep) == DSTACK_EFORMAT);
    dstack_collateral_free(col);
    free(q);
    free(cj);
}

static void test_pinned_root(void)
{
    size_t len, pinned_len;
    char *der = fixture("TrustedRootCA.der", &len);
    const uint8_t *pinned = dstack_intel_root_ca_der(&pinned_len);
    CHECK(pinned_len == len && memcmp(pinned, der, len) == 0);
    free(der);
}

static void test_collateral_json(void)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{}",
        "{\"pck_crl_issuer_chain\": 1}",
        "{\"pck_crl_issuer_chain\":\"\",\"root_ca_crl\":\"zz\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct dstack_collateral *c = NULL;
        CHECK(dstack_collateral_from_json(bad[i], strlen(bad[i]), &c) == DSTACK_EFORMAT);
        CHECK(c == NULL && dstack_last_error()[0] != '\0');
    }
    /* round trip: to_json then from_json gives the same bundle */
    size_t clen;
    char *cj = fixture("sgx_quote_collateral.json", &clen), *again = NULL;
    struct dstack_collateral *a = NULL, *b = NULL;
    CHECK(dstack_collateral_from_json(cj, clen, &a) == DSTACK_OK);
    CHECK(dstack_collateral_to_json(a, &again) == DSTACK_OK);
    CHECK(dstack_collateral_from_json(again, strlen(again), &b) == DSTACK_OK);
    CHECK(b != NULL && strcmp(a->tcb_info, b->tcb_info) == 0 && a->pck_crl_len == b->pck_crl_len &&
          memcmp(a->pck_crl, b->pck_crl, a->pck_crl_len) == 0);
    dstack_collateral_free(a);
    dstack_collateral_free(b);
    free(again);
    free(cj);
}

static void test_time(void)
{
    static const struct {
        const char *in;
        bool ok;
        int64_t want;
    } cases[] = {
        {"2025-06-19T10:16:03Z", true, 1750328163},
        {"1970-01-01T00:00:00Z", true, 0},
        {"2024-02-29T00:00:00Z", true, 1709164800},
        {"2025-06-19T10:16:03.123Z", true, 1750328163},
        {"2025-06-19T12:16:03+02:00", true, 1750328163},
        {"2023-02-29T00:00:00Z", false, 0},
        {"2025-06-19 10:16:03Z", false, 0},
        {"2025-06-19T10:16:03", false, 0},
        {"2025-13-01T00:00:00Z", false, 0},
        {"garbage", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t t = -1;
        CHECK(dcap_time_parse(cases[i].in, &t) == cases[i].ok);
        if (cases[i].ok) {
            CHECK(t == cases[i].want);
        }
    }
}

static void test_raw_value(void)
{
    static const char doc[] = "{ \"a\" : [1,{\"x\":\"}\"}], \"tcbInfo\":{\"id\":\"T\\\"X\"},"
                              "\"signature\":\"ab\"}";
    const char *at = NULL;
    size_t n = 0;
    CHECK(pccs_json_raw_value(doc, strlen(doc), "tcbInfo", &at, &n));
    static const char want[] = "{\"id\":\"T\\\"X\"}";
    CHECK(n == strlen(want) && memcmp(at, want, n) == 0);
    CHECK(pccs_json_raw_value(doc, strlen(doc), "signature", &at, &n));
    CHECK(n == 4 && memcmp(at, "\"ab\"", 4) == 0);
    CHECK(!pccs_json_raw_value(doc, strlen(doc), "missing", &at, &n));
    CHECK(!pccs_json_raw_value("[1]", 3, "a", &at, &n));
}

int main(void)
{
    test_samples();
    test_report_fields();
    test_pinned_root();
    test_collateral_json();
    test_time();
    test_raw_value();
    return check_exit();
}
