/* RA-TLS verification (include/dstack/ratls.h): the report-data vector of tests/vectors/keys.md, a
 * good certificate accepted, and tampered ones refused (attestation of another key, corrupted
 * attestation, foreign CA, garbage input). */
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <dstack/ratls.h>

#include "attest/versioned.h"
#include "check.h"
#include "util/hex.h"
#include "x509/cert.h"
#include "util/error.h"

static struct x509_ca *ca;
static char *ca_pem;

/* A leaf for `key` carrying `att` (NULL: none), chained with the CA PEM. */
static char *chain_for(const struct p256_key *key, const uint8_t *att, size_t att_len)
{
    struct x509_leaf_req req = {.subject = "t",
                                .not_before = 0,
                                .not_after = 2000000000,
                                .usage = X509_USAGE_APP_CUSTOM,
                                .attestation = att,
                                .attestation_len = att_len};
    char *leaf = NULL;
    CHECK(x509_leaf_issue(ca, &req, key->point, &leaf) == DSTACK_OK);
    size_t n = strlen(leaf) + strlen(ca_pem) + 1;
    char *chain = malloc(n);
    snprintf(chain, n, "%s%s", leaf, ca_pem);
    free(leaf);
    return chain;
}

/* The stripped attestation binding `key`, from the fixture. */
static dstack_err attestation_for(const struct versioned_attestation *fx,
                                  const struct p256_key *key, uint8_t **out, size_t *out_len)
{
    uint8_t spki[P256_SPKI_LEN], rd[DSTACK_REPORT_DATA_LEN];
    struct versioned_attestation a;
    p256_spki(key->point, spki);
    CHECK(dstack_ratls_report_data(spki, sizeof spki, rd) == DSTACK_OK);
    dstack_err e = versioned_copy(fx, &a);
    if (e == DSTACK_OK) {
        e = versioned_set_report_data(&a, rd);
    }
    if (e == DSTACK_OK) {
        e = versioned_encode_v0_stripped(&a, out, out_len);
    }
    versioned_free(&a);
    return e;
}

int main(void)
{
    size_t n = 0;
    char *keys_text = check_read_file(check_fixture("upstream/simulator/appkeys.json"), &n);
    cJSON *keys = json_parse(keys_text, strlen(keys_text), 0, NULL);
    free(keys_text);
    const char *cert = json_str(json_get(keys, "ca_cert"));
    const char *cakey = json_str(json_get(json_get(json_get(keys, "key_provider"), "None"), "key"));
    CHECK(x509_ca_load(cert, strlen(cert), cakey, strlen(cakey), &ca) == DSTACK_OK);
    ca_pem = strdup(cert);
    uint8_t k256[32];
    const char *k = json_str(json_get(keys, "k256_key"));
    CHECK(hex_decode(k, strlen(k), k256, sizeof k256, &n) == DSTACK_OK);
    json_free(keys);

    char *att_bin = check_read_file(check_fixture("upstream/simulator/attestation.bin"), &n);
    struct versioned_attestation fx;
    CHECK(versioned_decode((const uint8_t *)att_bin, n, &fx) == DSTACK_OK);
    free(att_bin);

    /* report data of the path "" key. */
    struct p256_key a, b;
    CHECK(p256_derive(k256, sizeof k256, "", 0, &a) == DSTACK_OK);
    CHECK(p256_generate(&b) == DSTACK_OK);
    uint8_t spki[P256_SPKI_LEN], rd[DSTACK_REPORT_DATA_LEN];
    p256_spki(a.point, spki);
    CHECK(dstack_ratls_report_data(spki, sizeof spki, rd) == DSTACK_OK);
    CHECK_HEX(rd, sizeof rd,
              "f49dfd58fa5d790e3c9181c8e1b8d3c69623aad729d4449a18dd3a190b11b0e538d39690a1766175d8"
              "5f52a04f9477e092d3421fc8a901a77d210a447b0ae58f");

    uint8_t *att = NULL;
    size_t att_len = 0;
    CHECK(attestation_for(&fx, &a, &att, &att_len) == DSTACK_OK);
    err_clear();

    /* Good: chain verifies, binding holds, the extension round-trips. */
    char *good = chain_for(&a, att, att_len);
    struct dstack_ratls_cert *leaf = NULL;
    CHECK(dstack_ratls_verify_chain(good, strlen(good), ca_pem, strlen(ca_pem), NULL, 0, &leaf) ==
          DSTACK_OK);
    const uint8_t *got = NULL;
    size_t got_len = 0;
    CHECK(leaf != NULL && dstack_ratls_cert_attestation(leaf, &got, &got_len) == DSTACK_OK);
    CHECK(got_len == att_len && memcmp(got, att, att_len) == 0);
    dstack_ratls_cert_free(leaf);

    /* DER input parses too. */
    BIO *bio = BIO_new_mem_buf(good, -1);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    unsigned char *der = NULL;
    int der_len = i2d_X509(x, &der);
    CHECK(dstack_ratls_cert_parse(der, (size_t)der_len, &leaf) == DSTACK_OK);
    CHECK(dstack_ratls_check_binding(leaf, NULL, 0) == DSTACK_OK);
    dstack_ratls_cert_free(leaf);
    CHECK(dstack_ratls_cert_parse(der, (size_t)der_len - 1, &leaf) == DSTACK_EFORMAT);
    OPENSSL_free(der);
    X509_free(x);
    BIO_free(bio);

    /* Tampered: key b presenting a's attestation. */
    char *swapped = chain_for(&b, att, att_len);
    CHECK(dstack_ratls_verify_chain(swapped, strlen(swapped), ca_pem, strlen(ca_pem), NULL, 0,
                                    NULL) == DSTACK_EVERIFY);
    CHECK_STR(err_text(), "quote report data does not bind the certificate key");

    /* Tampered: one byte of the quote's REPORTDATA flipped. */
    att[2 + 2 + 568] ^= 0x55; /* 00 00 | compact(5010) = 2 bytes | quote[568] = REPORTDATA[0] */
    char *flipped = chain_for(&a, att, att_len);
    CHECK(dstack_ratls_verify_chain(flipped, strlen(flipped), ca_pem, strlen(ca_pem), NULL, 0,
                                    NULL) == DSTACK_EVERIFY);
    CHECK_STR(err_text(), "quote report data does not bind the certificate key");

    /* Tampered: truncated attestation. */
    char *cut = chain_for(&a, att, 40);
    CHECK(dstack_ratls_verify_chain(cut, strlen(cut), ca_pem, strlen(ca_pem), NULL, 0, NULL) ==
          DSTACK_EVERIFY);
    CHECK_STR(err_text(), "attestation extension does not decode");

    /* Foreign trust anchor: a certificate that did not issue the leaf. */
    char *foreign = chain_for(&b, NULL, 0);
    char *end = strstr(foreign, "-----END CERTIFICATE-----\n");
    end[strlen("-----END CERTIFICATE-----\n")] = '\0'; /* keep only the leaf PEM block */
    CHECK(dstack_ratls_verify_chain(good, strlen(good), foreign, strlen(foreign), NULL, 0, NULL) ==
          DSTACK_EVERIFY);
    CHECK(strncmp(err_text(), "certificate chain: ", 19) == 0);
    free(foreign);

    /* Garbage. */
    CHECK(dstack_ratls_cert_parse("-----BEGIN CERTIFICATE-----\nAAAA\n", 33, &leaf) ==
          DSTACK_EFORMAT);
    CHECK(dstack_ratls_cert_parse("", 0, &leaf) == DSTACK_EFORMAT);
    CHECK(dstack_ratls_verify_chain("", 0, ca_pem, strlen(ca_pem), NULL, 0, NULL) ==
          DSTACK_EFORMAT);

    free(good);
    free(swapped);
    free(flipped);
    free(cut);
    free(att);
    versioned_free(&fx);
    x509_ca_free(ca);
    free(ca_pem);
    return check_exit();
}
