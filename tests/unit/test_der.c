/* DER writer: lengths, INTEGER minimality, BIT STRING, OIDs, time switch at 2050, nesting,
 * sticky errors and the size cap. */
#include "check.h"
#include "x509/der.h"

static void check_output(struct der_writer *w, const char *want_hex)
{
    uint8_t *out = NULL;
    size_t n = 0;
    CHECK(der_finish(w, &out, &n) == DSTACK_OK);
    CHECK_HEX(out, n, want_hex);
    free(out);
}

static void test_uint(void)
{
    static const struct {
        uint64_t v;
        const char *want;
    } cases[] = {
        {0, "020100"},     {1, "020101"},     {2, "020102"},
        {127, "02017f"},   {128, "02020080"}, /* top bit set: a 00 pad keeps it positive */
        {255, "020200ff"}, {256, "02020100"}, {0xffffffffffffffffull, "020900ffffffffffffffff"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct der_writer w;
        der_init(&w, 0);
        der_uint(&w, cases[i].v);
        check_output(&w, cases[i].want);
    }
    /* Leading zero bytes dropped (yasna write_bigint_bytes), like serial numbers with 00 head. */
    static const uint8_t lead0[] = {0x00, 0x00, 0x12, 0x34};
    static const uint8_t zeros[] = {0x00, 0x00};
    static const uint8_t high[] = {0x00, 0x80, 0x01};
    struct der_writer w;
    der_init(&w, 0);
    der_uint_bytes(&w, lead0, sizeof lead0);
    der_uint_bytes(&w, zeros, sizeof zeros);
    der_uint_bytes(&w, high, sizeof high);
    check_output(&w, "0202123402010002030080"
                     "01");
}

static void test_lengths(void)
{
    static const struct {
        size_t len;
        const char *header;
    } cases[] = {
        {0, "0400"},       {127, "047f"},       {128, "048180"},       {255, "0481ff"},
        {256, "04820100"}, {65535, "0482ffff"}, {65536, "0483010000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *payload = calloc(1, cases[i].len + 1);
        struct der_writer w;
        uint8_t *out = NULL;
        size_t n = 0;
        der_init(&w, 0);
        der_tlv(&w, DER_OCTET_STRING, payload, cases[i].len);
        CHECK(der_finish(&w, &out, &n) == DSTACK_OK);
        size_t h = strlen(cases[i].header) / 2;
        CHECK(n == h + cases[i].len);
        CHECK(der_header_len(cases[i].len) == h);
        CHECK_HEX(out, h, cases[i].header);
        free(out);
        free(payload);
    }
    /* Nested constructed values whose lengths cross the short-form boundary on closing. */
    struct der_writer w;
    uint8_t big[200] = {0};
    uint8_t *out = NULL;
    size_t n = 0;
    der_init(&w, 0);
    der_begin(&w, DER_SEQUENCE);
    der_begin(&w, DER_CONTEXT | DER_CONSTRUCTED | 3);
    der_tlv(&w, DER_OCTET_STRING, big, sizeof big);
    der_end(&w);
    der_bool(&w, true);
    der_end(&w);
    CHECK(der_finish(&w, &out, &n) == DSTACK_OK);
    /* 30 81 d1 | a3 81 cb | 04 81 c8 <200> | 01 01 ff */
    CHECK(n == 3 + 3 + 3 + 200 + 3);
    CHECK_HEX(out, 9, "3081d1a381cb0481c8");
    CHECK_HEX(out + n - 3, 3, "0101ff");
    free(out);
}

static void test_bits_and_oids(void)
{
    struct der_writer w;
    static const uint8_t ku[] = {0x80, 0x00};
    der_init(&w, 0);
    der_bit_string(&w, 7, ku, sizeof ku); /* rcgen's 9-bit KeyUsage */
    der_bit_string(&w, 0, NULL, 0);
    static const uint32_t ecdsa_sha256[] = {1, 2, 840, 10045, 4, 3, 2};
    static const uint32_t phala_attestation[] = {1, 3, 6, 1, 4, 1, 62397, 1, 8};
    static const uint32_t cn[] = {2, 5, 4, 3};
    static const uint32_t joint_big[] = {2, 999, 3};
    der_oid(&w, ecdsa_sha256, 7);
    der_oid(&w, phala_attestation, 9);
    der_oid(&w, cn, 4);
    der_oid(&w, joint_big, 3);
    check_output(&w, "0303078000"
                     "030100"
                     "06082a8648ce3d040302"
                     "060a2b0601040183e73d0108"
                     "0603550403"
                     "0603883703");

    static const uint32_t bad_first[] = {3, 1};
    static const uint32_t bad_second[] = {1, 40};
    static const uint32_t one_arc[] = {1};
    const uint32_t *bad[] = {bad_first, bad_second, one_arc};
    size_t bad_n[] = {2, 2, 1};
    for (size_t i = 0; i < 3; i++) {
        uint8_t *out = NULL;
        size_t n = 0;
        der_init(&w, 0);
        der_oid(&w, bad[i], bad_n[i]);
        CHECK(der_finish(&w, &out, &n) == DSTACK_EINVAL);
        CHECK(out == NULL);
    }
    uint8_t *out = NULL;
    size_t n = 0;
    der_init(&w, 0);
    der_bit_string(&w, 8, ku, sizeof ku); /* unused bits must be 0..7 */
    CHECK(der_finish(&w, &out, &n) == DSTACK_EINVAL);
}

static void test_time(void)
{
    static const struct {
        uint64_t t;
        const char *want; /* tag + length + ASCII, as hex */
    } cases[] = {
        {0, "170d3730303130313030303030305a"},                   /* 700101000000Z */
        {157766400, "170d3735303130313030303030305a"},           /* rcgen default 1975-01-01 */
        {2082758400, "170d3336303130313030303030305a"},          /* 2036-01-01 (TBS_A) */
        {2524607999, "170d3439313233313233353935395a"},          /* 2049-12-31T23:59:59 UTCTime */
        {2524608000, "180f32303530303130313030303030305a"},      /* 2050-01-01 GeneralizedTime */
        {2556143999, "180f32303530313233313233353935395a"},      /* 2050-12-31T23:59:59 */
        {2556144000, "180f32303531303130313030303030305a"},      /* 2051-01-01 */
        {951782400, "170d3030303232393030303030305a"},           /* 2000-02-29 leap day */
        {253402300799ull, "180f39393939313233313233353935395a"}, /* 9999-12-31T23:59:59 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct der_writer w;
        der_init(&w, 0);
        der_time(&w, cases[i].t);
        check_output(&w, cases[i].want);
    }
    uint64_t bad[] = {253402300800ull, 0xffffffffffffffffull};
    for (size_t i = 0; i < 2; i++) {
        struct der_writer w;
        uint8_t *out = NULL;
        size_t n = 0;
        der_init(&w, 0);
        der_time(&w, bad[i]);
        CHECK(der_finish(&w, &out, &n) == DSTACK_EINVAL);
    }
    unsigned y, mo, d, h, mi, s;
    der_civil_time(1700000000, &y, &mo, &d, &h, &mi, &s); /* 2023-11-14T22:13:20Z */
    CHECK(y == 2023 && mo == 11 && d == 14 && h == 22 && mi == 13 && s == 20);
}

static void test_errors(void)
{
    struct der_writer w;
    uint8_t *out = NULL;
    size_t n = 0;
    uint8_t buf[64] = {0};

    /* The cap is enforced and the error is sticky. */
    der_init(&w, 40);
    der_begin(&w, DER_SEQUENCE);
    der_tlv(&w, DER_OCTET_STRING, buf, sizeof buf);
    der_end(&w);
    der_bool(&w, true);
    CHECK(der_finish(&w, &out, &n) == DSTACK_EINVAL);
    CHECK(out == NULL && n == 0);

    /* A cap that fits exactly. */
    der_init(&w, 66);
    der_tlv(&w, DER_OCTET_STRING, buf, sizeof buf);
    CHECK(der_finish(&w, &out, &n) == DSTACK_OK && n == 66);
    free(out);

    /* The closing header must fit under the cap too. */
    der_init(&w, 66);
    der_begin(&w, DER_SEQUENCE);
    der_tlv(&w, DER_OCTET_STRING, buf, sizeof buf);
    der_end(&w);
    CHECK(der_finish(&w, &out, &n) == DSTACK_EINVAL);

    /* Unbalanced nesting. */
    der_init(&w, 0);
    der_begin(&w, DER_SEQUENCE);
    CHECK(der_finish(&w, &out, &n) == DSTACK_EINVAL);
    der_init(&w, 0);
    der_end(&w);
    CHECK(der_finish(&w, &out, &n) == DSTACK_EINVAL);
    der_init(&w, 0);
    for (int i = 0; i < DER_MAX_DEPTH + 1; i++) {
        der_begin(&w, DER_SEQUENCE);
    }
    CHECK(der_finish(&w, &out, &n) == DSTACK_EINVAL);

    /* An empty document is a valid (empty) result. */
    der_init(&w, 0);
    CHECK(der_finish(&w, &out, &n) == DSTACK_OK && out != NULL && n == 0);
    free(out);
    der_free(NULL);
}

int main(void)
{
    test_uint();
    test_lengths();
    test_bits_and_oids();
    test_time();
    test_errors();
    return check_exit();
}
