/* TDX quote parser: the real v4 quote fixture, synthetic v5 quotes (TD10 and TD15 bodies) made
 * from it, and hostile inputs (docs/attestation.md). */
#include <dstack/quote.h>

#include "check.h"

static const char want_mrtd[] = "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407"
                                "de03ae6dc5f87f27428b2538873118b7";
static const char want_rtmr0[] = "4edda8aee0f2c19361be87a0b5849145b7548c84cb6c774634482b8260eed534"
                                 "3b2c56845f48c202ecd3506d6ca4b59f";

static void check_common(const struct dstack_quote *q)
{
    CHECK(q->header.att_key_type == 2 && q->header.tee_type == 0x81);
    CHECK_HEX(q->header.qe_vendor_id, 16, "939a7233f79c4ca9940a0db3957f0607");
    CHECK_HEX(q->report.mr_td, 48, want_mrtd);
    CHECK_HEX(q->report.rtmr[0], 48, want_rtmr0);
    CHECK_HEX(q->report.td_attributes, 8, "0000001000000000");
    CHECK_HEX(q->report.xfam, 8, "e702060000000000");
    CHECK_HEX(q->report.tee_tcb_svn, 16, "05010200000000000000000000000000");
    CHECK(q->sig_data_len == 4300);
    CHECK(q->qe_auth_len == 32);
    CHECK(q->pck_cert_type == 5 && q->pck_chain_len == 3678);
    CHECK(q->pck_chain_len > 27 && memcmp(q->pck_chain, "-----BEGIN CERTIFICATE-----", 27) == 0);
}

/* Makes a v5 quote from a v4 one: version 5, a (type, size) descriptor, and for TD15 the 64
 * extra body bytes filled with a pattern. */
static uint8_t *make_v5(const uint8_t *v4, size_t len, bool td15, size_t *out_len)
{
    size_t extra = td15 ? 64 : 0;
    uint8_t *q = malloc(len + 6 + extra);
    memcpy(q, v4, 48);
    q[0] = 5;
    q[48] = td15 ? 3 : 2;
    q[49] = 0;
    uint32_t size = td15 ? 648 : 584;
    q[50] = (uint8_t)size;
    q[51] = (uint8_t)(size >> 8);
    q[52] = q[53] = 0;
    memcpy(q + 54, v4 + 48, 584);
    for (size_t i = 0; i < extra; i++) {
        q[54 + 584 + i] = (uint8_t)(0x70 + i);
    }
    memcpy(q + 54 + 584 + extra, v4 + 632, len - 632);
    *out_len = len + 6 + extra;
    return q;
}

static void test_v4_fixture(const uint8_t *q4, size_t len)
{
    struct dstack_quote q;
    CHECK(dstack_quote_parse(q4, len, &q) == DSTACK_OK);
    CHECK(q.header.version == 4);
    CHECK(q.body_type == DSTACK_QUOTE_BODY_TD10 && q.body_offset == 48 && q.body_len == 584);
    CHECK(q.signed_len == 632);
    CHECK(q.end == 4936); /* then 70 bytes of QGS padding, ignored */
    CHECK(q.signature == q4 + 636 && q.attest_key == q4 + 700 && q.qe_report == q4 + 770);
    CHECK(memcmp(q.report.report_data, q4 + 568, 64) == 0);
    check_common(&q);
    size_t off = 0;
    CHECK(dstack_quote_report_data_offset(q4, len, &off) == DSTACK_OK && off == 568);

    /* Every prefix shorter than the signature data fails; longer ones parse. */
    size_t ok_short = 0;
    for (size_t n = 0; n < q.end; n++) {
        struct dstack_quote t;
        ok_short += dstack_quote_parse(q4, n, &t) == DSTACK_OK;
    }
    CHECK(ok_short == 0);
    struct dstack_quote t;
    CHECK(dstack_quote_parse(q4, q.end, &t) == DSTACK_OK);
    CHECK(dstack_quote_report_data_offset(q4, 631, &off) == DSTACK_EFORMAT);
    CHECK(dstack_quote_report_data_offset(q4, 632, &off) == DSTACK_OK);
}

static void test_v5(const uint8_t *q4, size_t len)
{
    for (int td15 = 0; td15 <= 1; td15++) {
        size_t n5;
        uint8_t *q5 = make_v5(q4, len, td15, &n5);
        struct dstack_quote q;
        CHECK(dstack_quote_parse(q5, n5, &q) == DSTACK_OK);
        CHECK(q.header.version == 5);
        CHECK(q.body_offset == 54);
        CHECK(q.body_len == (td15 ? 648u : 584u));
        CHECK(q.signed_len == 54 + q.body_len);
        CHECK(q.report.td15 == (bool)td15);
        check_common(&q);
        CHECK(memcmp(q.report.report_data, q4 + 568, 64) == 0);
        if (td15) {
            CHECK_HEX(q.report.tee_tcb_svn2, 16, "707172737475767778797a7b7c7d7e7f");
            CHECK(q.report.mr_service_td[0] == 0x80 && q.report.mr_service_td[47] == 0xaf);
        }
        size_t off = 0;
        CHECK(dstack_quote_report_data_offset(q5, n5, &off) == DSTACK_OK && off == 574);

        /* Descriptor errors: SGX body, size that disagrees with the type. */
        q5[48] = 1;
        CHECK(dstack_quote_parse(q5, n5, &q) == DSTACK_EFORMAT);
        q5[48] = td15 ? 2 : 3;
        CHECK(dstack_quote_parse(q5, n5, &q) == DSTACK_EFORMAT);
        CHECK(dstack_quote_report_data_offset(q5, n5, &off) == DSTACK_EFORMAT);
        CHECK(dstack_quote_parse(q5, 53, &q) == DSTACK_EFORMAT);
        free(q5);
    }
}

/* Single-field corruptions of the v4 fixture and what the parser must say. */
static void test_bad(const uint8_t *q4, size_t len)
{
    static const struct {
        size_t off;
        uint8_t val;
        dstack_err want;
    } cases[] = {
        {0, 3, DSTACK_EFORMAT},       /* version 3 (SGX-era) */
        {0, 6, DSTACK_EFORMAT},       /* version 6 */
        {1, 1, DSTACK_EFORMAT},       /* version 0x0104 */
        {2, 3, DSTACK_EFORMAT},       /* attestation key type 3 (P-384) */
        {4, 0x00, DSTACK_EFORMAT},    /* TEE type SGX */
        {635, 0x01, DSTACK_EFORMAT},  /* sig_data_len 16 MiB + ...: past the end */
        {764, 5, DSTACK_EFORMAT},     /* outer certification type 5 instead of 6 */
        {769, 0x01, DSTACK_EFORMAT},  /* certification data size past the end */
        {1219, 0xff, DSTACK_EFORMAT}, /* QE auth data size past the end */
        {1255, 0xff, DSTACK_EFORMAT}, /* PCK chain size past the end */
        {8, 7, DSTACK_OK},            /* qe_svn is not checked by the parser */
    };
    uint8_t *q = malloc(len);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(q, q4, len);
        q[cases[i].off] = cases[i].val;
        struct dstack_quote p;
        dstack_err err = dstack_quote_parse(q, len, &p);
        if (err != cases[i].want) {
            fprintf(stderr, "case %zu (offset %zu): got %d\n", i, cases[i].off, (int)err);
        }
        CHECK(err == cases[i].want);
    }
    free(q);
    struct dstack_quote p;
    CHECK(dstack_quote_parse(NULL, 10, &p) == DSTACK_EINVAL);
    CHECK(dstack_quote_parse(q4, len, NULL) == DSTACK_EINVAL);
}

int main(void)
{
    size_t len = 0;
    uint8_t *q4 = (uint8_t *)check_read_file(check_fixture("upstream/tdx/tdx_quote.bin"), &len);
    CHECK(q4 != NULL && len == 5006);
    test_v4_fixture(q4, len);
    test_v5(q4, len);
    test_bad(q4, len);
    free(q4);
    return check_exit();
}
