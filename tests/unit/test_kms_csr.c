/* The KMS CSR (agent/kms/kms_csr.c): byte-exact SCALE against upstream's own vectors and a
 * vector built here field by field, the signature verified with OpenSSL, and the URL redaction
 * of KMS messages. */
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "check.h"
#include "kms/kms_csr.h"
#include "kms/kms_http.h"
#include "x509/p256.h"

/* Upstream's vectors, dstack/ra-tls/src/cert.rs test_csr_v2_scale_encoding_stable and
 * test_csr_v2_scale_encoding_stable_with_tdx_quote: pubkey 010203, subject test.example.com, server
 * auth, an empty V0 TDX attestation (quote [] or [09]). */
static const char upstream_plain[] =
    "44706c65617365207369676e20636572743a0c0102030040746573742e6578616d706c652e636f6d000100000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000";
static const char upstream_quote[] =
    "44706c65617365207369676e20636572743a0c0102030040746573742e6578616d706c652e636f6d000100010000"
    "0000000409000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000";

static void test_upstream_vectors(void)
{
    static const uint8_t pubkey[] = {1, 2, 3};
    uint8_t att[80] = {0}; /* V0, DstackTdx, quote, events, runtime events, rd[64], config */
    uint8_t *out = NULL;
    size_t len = 0;
    struct tls_request req = {.subject = "test.example.com", .usage_server_auth = true};

    CHECK(kms_csr_encode(&req, pubkey, sizeof pubkey, att, 5 + 64 + 1, &out, &len) == DSTACK_OK);
    CHECK(len == 117);
    CHECK_HEX(out, len, upstream_plain);
    free(out);

    /* quote = [09]: 00 00 04 09 00 00 rd 00 */
    memset(att, 0, sizeof att);
    att[2] = 0x04;
    att[3] = 0x09;
    req.usage_ra_tls = true;
    CHECK(kms_csr_encode(&req, pubkey, sizeof pubkey, att, 6 + 64 + 1, &out, &len) == DSTACK_OK);
    CHECK(len == 118);
    CHECK_HEX(out, len, upstream_quote);
    free(out);
}

/* Every field set, the expected bytes put together by hand from the SCALE rules
 * (parity-scale-codec: compact lengths, bool 00/01, Option 00 | 01 value, u64 little-endian). */
static void test_all_fields(void)
{
    static const char *alt[] = {"a.example", "10.0.0.1"};
    static const uint8_t spki[] = {0x30, 0x59, 0xaa};
    static const uint8_t att[] = {0x00, 0x00, 0x04, 0x7f, 0x00, 0x00};
    struct tls_request req = {
        .subject = "app",
        .alt_names = alt,
        .n_alt_names = 2,
        .usage_ra_tls = true,
        .usage_server_auth = false,
        .usage_client_auth = true,
        .with_app_info = true,
        .has_not_before = true,
        .not_before = 0x0102030405060708ull,
        .has_not_after = false,
    };
    uint8_t want[256];
    size_t n = 0;
    want[n++] = 17 << 2; /* compact(17) */
    memcpy(want + n, "please sign cert:", 17);
    n += 17;
    want[n++] = 3 << 2;
    memcpy(want + n, spki, 3);
    n += 3;
    want[n++] = 0x00;   /* org_name: None */
    want[n++] = 3 << 2; /* subject */
    memcpy(want + n, "app", 3);
    n += 3;
    want[n++] = 2 << 2; /* two SANs */
    want[n++] = 9 << 2;
    memcpy(want + n, "a.example", 9);
    n += 9;
    want[n++] = 8 << 2;
    memcpy(want + n, "10.0.0.1", 8);
    n += 8;
    want[n++] = 0; /* server */
    want[n++] = 1; /* client */
    want[n++] = 1; /* ext_quote */
    want[n++] = 1; /* ext_app_info */
    want[n++] = 1; /* Some(not_before) */
    for (int i = 0; i < 8; i++) {
        want[n++] = (uint8_t)(8 - i); /* 08 07 ... 01 */
    }
    want[n++] = 0; /* not_after: None */
    memcpy(want + n, att, sizeof att);
    n += sizeof att;

    uint8_t *out = NULL;
    size_t len = 0;
    CHECK(kms_csr_encode(&req, spki, sizeof spki, att, sizeof att, &out, &len) == DSTACK_OK);
    CHECK(len == n && out != NULL && memcmp(out, want, n) == 0);
    free(out);
}

/* The signature is ECDSA-P256-SHA256 in DER over the exact CSR bytes, under the SPKI. */
static void test_signature(void)
{
    struct p256_key key;
    uint8_t spki[P256_SPKI_LEN], sig[KMS_CSR_SIG_MAX], *csr = NULL;
    size_t sig_len = 0, csr_len = 0;
    static const uint8_t att[70] = {0};
    struct tls_request req = {.subject = "s"};

    CHECK(p256_generate(&key) == DSTACK_OK);
    p256_spki(key.point, spki);
    CHECK(kms_csr_encode(&req, spki, sizeof spki, att, sizeof att, &csr, &csr_len) == DSTACK_OK);
    CHECK(kms_csr_sign(&key, csr, csr_len, sig, &sig_len) == DSTACK_OK);
    CHECK(sig_len > 8 && sig_len <= KMS_CSR_SIG_MAX && sig[0] == 0x30);

    const unsigned char *p = spki;
    EVP_PKEY *pub = d2i_PUBKEY(NULL, &p, sizeof spki);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    CHECK(pub != NULL && md != NULL);
    CHECK(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
          EVP_DigestVerify(md, sig, sig_len, csr, csr_len) == 1);
    csr[csr_len - 1] ^= 1; /* one bit of the attestation changed: the KMS must refuse */
    EVP_MD_CTX_reset(md);
    CHECK(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
          EVP_DigestVerify(md, sig, sig_len, csr, csr_len) != 1);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pub);
    free(csr);
}

static void test_url_for_log(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"https://kms.example:8000/prpc", "https://kms.example:8000/prpc"},
        {"https://user:token@kms.example/prpc", "https://***@kms.example/prpc"},
        {"https://kms.example/prpc/a@b", "https://kms.example/prpc/a@b"},
        {"kms@host", "***@host"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[128];
        kms_url_for_log(cases[i].in, out, sizeof out);
        CHECK_STR(out, cases[i].want);
    }
}

int main(void)
{
    test_upstream_vectors();
    test_all_fields();
    test_signature();
    test_url_for_log();
    return check_exit();
}
