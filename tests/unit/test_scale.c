/* SCALE compact integers and the V0 VersionedAttestation codec, against the upstream
 * simulator's attestation.bin (docs/simulator.md, docs/wire.md). */
#include <openssl/evp.h>

#include <dstack/attest.h>
#include <dstack/quote.h>

#include "attest/scale.h"
#include "attest/versioned.h"
#include "check.h"
#include "util/error.h"
#include "util/hex.h"

static const struct {
    uint64_t value;
    const char *hex;
} compact_cases[] = {
    {0, "00"},
    {1, "04"},
    {63, "fc"},
    {64, "0101"},
    {5010, "494e"}, /* the fixture's quote length (docs/wire.md) */
    {33, "84"},     /* the fixture's event count */
    {16383, "fdff"},
    {16384, "02000100"},
    {(1u << 30) - 1, "feffffff"},
    {1u << 30, "0300000040"},
    {0xffffffffu, "03ffffffff"},
    {0x100000000ull, "070000000001"},
    {UINT64_MAX, "13ffffffffffffffff"},
};

/* Encodings the decoder must refuse: truncated or not in shortest form. */
static const char *bad_compacts[] = {
    "",
    "01",
    "0300",
    "02000000",
    "0100",
    "fd00" /* 63 in 2 bytes */,
    "03ffffff3f" /* < 2^30 */,
    "07ffffffff00" /* top byte zero */,
    "070000000000",
    "17ffffffffffffffffff" /* 9-byte int */,
};

static void test_compact(void)
{
    for (size_t i = 0; i < sizeof compact_cases / sizeof compact_cases[0]; i++) {
        struct scale_buf b = {0};
        uint8_t *out;
        size_t n;
        scale_put_compact(&b, compact_cases[i].value);
        CHECK(scale_buf_finish(&b, &out, &n) == DSTACK_OK);
        CHECK_HEX(out, n, compact_cases[i].hex);
        struct scale_rd r = {out, n, 0};
        uint64_t v = 0;
        CHECK(scale_read_compact(&r, &v) == DSTACK_OK);
        CHECK(v == compact_cases[i].value);
        CHECK(r.pos == n);
        free(out);
    }
    for (size_t i = 0; i < sizeof bad_compacts / sizeof bad_compacts[0]; i++) {
        uint8_t in[16];
        size_t n = 0;
        CHECK(hex_decode(bad_compacts[i], strlen(bad_compacts[i]), in, sizeof in, &n) == DSTACK_OK);
        struct scale_rd r = {in, n, 0};
        uint64_t v;
        dstack_err err = scale_read_compact(&r, &v);
        if (err != DSTACK_EFORMAT) {
            fprintf(stderr, "bad compact %s accepted\n", bad_compacts[i]);
        }
        CHECK(err == DSTACK_EFORMAT);
    }
    /* A byte string whose length runs past the end. */
    const uint8_t short_vec[] = {0x10, 1, 2, 3};
    struct scale_rd r = {short_vec, sizeof short_vec, 0};
    const uint8_t *p;
    size_t n;
    CHECK(scale_read_bytes(&r, &p, &n) == DSTACK_EFORMAT);
}

static void sha384(const void *a, size_t an, const void *b, size_t bn, uint8_t out[48])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha384(), NULL);
    EVP_DigestUpdate(c, a, an);
    EVP_DigestUpdate(c, b, bn);
    EVP_DigestFinal_ex(c, out, NULL);
    EVP_MD_CTX_free(c);
}

static void test_fixture(void)
{
    size_t len = 0;
    uint8_t *bin =
        (uint8_t *)check_read_file(check_fixture("upstream/simulator/attestation.bin"), &len);
    CHECK(bin != NULL && len == 9504);
    struct versioned_attestation a;
    CHECK(versioned_decode(bin, len, &a) == DSTACK_OK);
    CHECK(a.quote_kind == VERSIONED_QUOTE_DSTACK_TDX);
    CHECK(a.quote_len == 5010);
    CHECK(memcmp(a.quote, bin + 4, 5010) == 0); /* quote = file[4..5014] */
    CHECK(a.n_events == 33);
    CHECK(a.n_runtime == 9);
    CHECK(a.config_len == 9504 - 8951);
    CHECK(memcmp(a.config, bin + 8951, a.config_len) == 0); /* config = file[8951..9504] */
    static const uint8_t zero[64];
    CHECK(memcmp(a.report_data, zero, 64) == 0);

    /* First event: 00000000 0b000080 c0 <48B digest> 00 a8 <42B payload> (docs/wire.md). */
    CHECK(a.events[0].imr == 0 && a.events[0].event_type == 0x8000000bu);
    CHECK(a.events[0].digest_len == 48 && a.events[0].event_len == 0);
    CHECK(a.events[0].payload_len == 42);
    CHECK_HEX(a.events[0].digest, 48,
              "cd2312a0d87ef3c4a928df87088969a80b33d7bf3fc584bdde637b09ed808a8d821a56b78a13a6eb"
              "506db7578444abbe");
    CHECK_STR(a.runtime[0].event, "system-preparing");
    CHECK_STR(a.runtime[1].event, "app-id");
    CHECK_HEX(a.runtime[1].payload, a.runtime[1].payload_len,
              "5bb4ff9a3837357f19dc176407a5709c62eb6c56");
    CHECK_STR(a.runtime[8].event, "system-ready");

    /* Replaying the IMR 3 digests gives the quote's RTMR3 (tests/vectors/keys.md). */
    uint8_t mr[48] = {0};
    for (size_t i = 0; i < a.n_events; i++) {
        if (a.events[i].imr == 3) {
            sha384(mr, 48, a.events[i].digest, a.events[i].digest_len, mr);
        }
    }
    CHECK_HEX(mr, 48,
              "f28a1490ee924e9396c2ccf2d93ad536b83cbe159a1d45024d1fd7acdcc102145efcfcd0cfa20941"
              "6446c70226affadf");
    struct dstack_quote q;
    CHECK(dstack_quote_parse(a.quote, a.quote_len, &q) == DSTACK_OK);
    CHECK(memcmp(q.report.rtmr[3], mr, 48) == 0);

    /* Byte-identical re-encoding. */
    uint8_t *enc = NULL;
    size_t enc_len = 0;
    CHECK(versioned_encode_v0(&a, &enc, &enc_len) == DSTACK_OK);
    CHECK(enc_len == len && memcmp(enc, bin, len) == 0);
    free(enc);

    /* Patching report data touches exactly file[572..636] and file[8885..8949]. */
    uint8_t rd[64];
    for (size_t i = 0; i < 64; i++) {
        rd[i] = (uint8_t)(0xa0 + i);
    }
    CHECK(versioned_set_report_data(&a, rd) == DSTACK_OK);
    CHECK(versioned_encode_v0(&a, &enc, &enc_len) == DSTACK_OK);
    CHECK(enc_len == len);
    size_t diffs = 0;
    for (size_t i = 0; i < len && enc_len == len; i++) {
        bool in_quote = i >= 572 && i < 636, in_field = i >= 8885 && i < 8949;
        if (in_quote || in_field) {
            CHECK(enc[i] == rd[in_quote ? i - 572 : i - 8885]);
        } else {
            diffs += enc[i] != bin[i];
        }
    }
    CHECK(diffs == 0);
    free(enc);

    /* Stripped form (docs/api/GetTlsKey.md): 3 ACPI DATA + 9 IMR-3 events. */
    CHECK(versioned_encode_v0_stripped(&a, &enc, &enc_len) == DSTACK_OK);
    struct versioned_attestation s;
    CHECK(versioned_decode(enc, enc_len, &s) == DSTACK_OK);
    CHECK(s.n_events == 12 && s.n_runtime == 9);
    for (size_t i = 0; i < s.n_events; i++) {
        if (s.events[i].imr == 0) {
            CHECK(s.events[i].digest_len == 48);
            CHECK(s.events[i].payload_len == 9 && memcmp(s.events[i].payload, "ACPI DATA", 9) == 0);
        } else {
            CHECK(s.events[i].imr == 3 && s.events[i].digest_len == 0);
        }
    }
    CHECK(memcmp(s.report_data, rd, 64) == 0);
    versioned_free(&s);
    free(enc);

    /* Event log JSON (docs/wire.md example). */
    cJSON *log = versioned_event_log_json(&a);
    CHECK(log != NULL && (size_t)cJSON_GetArraySize(log) == 33);
    char *first = json_dump(json_at(log, 0), 0, NULL);
    CHECK_STR(first,
              "{\"imr\":0,\"event_type\":2147483659,\"digest\":\"cd2312a0d87ef3c4a928df87088969a8"
              "0b33d7bf3fc584bdde637b09ed808a8d821a56b78a13a6eb506db7578444abbe\",\"event\":\"\","
              "\"event_payload\":\"095464785461626c65000100000000000000af96bb93f2b9b84e9462e0ba74"
              "5642360090800000000000\"}");
    free(first);
    /* The structured log (what the simulator backend hands out) encodes to the same text. */
    struct dstack_event_log ev;
    dstack_event_log_init(&ev);
    char *from_json = json_dump(log, 0, NULL), *from_log = NULL;
    CHECK(versioned_event_log(&a, &ev) == DSTACK_OK && ev.count == 33);
    CHECK(dstack_event_log_format(&ev, DSTACK_EVLOG_JSON_COMPACT, &from_log) == DSTACK_OK);
    CHECK(from_json != NULL && from_log != NULL && strcmp(from_json, from_log) == 0);
    free(from_json);
    free(from_log);
    dstack_event_log_free(&ev);
    json_free(log);
    /* A digest that is neither empty nor 48 bytes is refused, with the event named. */
    size_t saved_len = a.events[5].digest_len;
    a.events[5].digest_len = 5;
    CHECK(versioned_event_log(&a, &ev) == DSTACK_EFORMAT && ev.count == 0);
    CHECK(strstr(err_text(), "event_log[5]: digest of 5 bytes") != NULL);
    a.events[5].digest_len = saved_len;

    struct versioned_attestation c;
    CHECK(versioned_copy(&a, &c) == DSTACK_OK);
    CHECK(c.quote_len == a.quote_len && memcmp(c.quote, a.quote, a.quote_len) == 0);
    versioned_free(&c);
    versioned_free(&a);

    /* Every strict prefix is truncated input; trailing bytes are refused. */
    size_t prefix_ok = 0;
    for (size_t n = 0; n < len; n += (n < 64 || n > len - 64) ? 1 : 37) {
        prefix_ok += versioned_decode(bin, n, &a) == DSTACK_OK;
    }
    CHECK(prefix_ok == 0);
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, bin, len);
    longer[len] = 0;
    CHECK(versioned_decode(longer, len + 1, &a) == DSTACK_EFORMAT);
    /* Wrong version byte, V1 msgpack, other platform variants, huge counts. */
    longer[0] = 0x01;
    CHECK(versioned_decode(longer, len, &a) == DSTACK_EFORMAT);
    longer[0] = 0x83;
    CHECK(versioned_decode(longer, len, &a) == DSTACK_EUNSUPPORTED);
    longer[0] = 0x00;
    longer[1] = 0x03;
    CHECK(versioned_decode(longer, len, &a) == DSTACK_EUNSUPPORTED);
    longer[1] = 0x09;
    CHECK(versioned_decode(longer, len, &a) == DSTACK_EFORMAT);
    longer[1] = 0x00;
    longer[5014] = 0x03; /* event count 2^32-ish in big-int mode */
    CHECK(versioned_decode(longer, len, &a) == DSTACK_EFORMAT);
    free(longer);
    free(bin);
}

/* V1 msgpack of a tiny attestation; expected bytes from an independent Python encoder of the
 * rmp_serde::to_vec_named shape (docs/wire.md). */
static void test_v1_msgpack(void)
{
    uint8_t quote[] = {9, 200}, d0[] = {0xaa, 0xaa}, d1[] = {0xbb, 0xbb}, p0[] = {1}, p1[] = {0xab};
    char empty[] = "", x[] = "x", pre[] = "7b7d", cfg[] = "c";
    struct versioned_event ev[2] = {
        {.imr = 0,
         .event_type = 0x8000000bu,
         .digest = d0,
         .digest_len = 2,
         .event = empty,
         .payload = p0,
         .payload_len = 1},
        {.imr = 3,
         .event_type = 0x08000001u,
         .digest = d1,
         .digest_len = 2,
         .event = x,
         .event_len = 1,
         .payload = p1,
         .payload_len = 1,
         .version = 2,
         .preimage = pre},
    };
    struct versioned_runtime_event rt = {
        .event = x, .event_len = 1, .payload = p1, .payload_len = 1, .version = 2};
    struct versioned_attestation a = {.quote = quote,
                                      .quote_len = 2,
                                      .events = ev,
                                      .n_events = 2,
                                      .runtime = &rt,
                                      .n_runtime = 1,
                                      .config = cfg,
                                      .config_len = 1};
    a.report_data[63] = 0xff;
    CHECK(!versioned_v0_ok(&a));
    uint8_t *out = NULL;
    size_t n = 0;
    CHECK(versioned_encode_v1(&a, &out, &n) == DSTACK_OK);
    CHECK_HEX(out, n,
              "83a776657273696f6e01a8706c6174666f726d82a46b696e64a3746478a46461746182a571756f74"
              "659209ccc8a96576656e745f6c6f679285a3696d7200aa6576656e745f74797065ce8000000ba664"
              "6967657374c402aaaaa56576656e74a0ad6576656e745f7061796c6f6164c4010187a3696d7203aa"
              "6576656e745f74797065ce08000001a6646967657374c402bbbba56576656e74a178ad6576656e74"
              "5f7061796c6f6164c401aba776657273696f6e02a8707265696d616765a437623764a5737461636b"
              "82a46b696e64a664737461636ba46461746183ab7265706f72745f64617461dc0040000000000000"
              "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
              "0000000000000000000000000000000000ccffae72756e74696d655f6576656e74739183a5657665"
              "6e74a178a77061796c6f6164c401aba776657273696f6e02a6636f6e666967a163");
    /* The V1 decoder path reports msgpack as unsupported rather than malformed. */
    struct versioned_attestation back;
    CHECK(out != NULL && versioned_decode(out, n, &back) == DSTACK_EUNSUPPORTED);
    free(out);
    ev[1].version = 0;
    rt.version = 1;
    CHECK(versioned_v0_ok(&a));
}

int main(void)
{
    test_compact();
    test_v1_msgpack();
    test_fixture();
    return check_exit();
}
