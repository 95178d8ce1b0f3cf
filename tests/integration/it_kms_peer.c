/* The test KMS itself (tests/peers/kms), driven directly with libcurl: it must refuse what
 * upstream's KMS refuses, with upstream's messages: no client certificate, an unsupported
 * api_version, an undecodable CSR, a CSR key that does not parse, a bad signature, a wrong
 * confirm word, an attestation that does not verify, an unknown method. GetMeta answers the
 * root. (The agent's own calls are it_kms and it_kms_faults.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "check.h"
#include "json/json.h"
#include "kms_env.h"
#include "x509/p256.h"

static struct kms_env env;
static char *client_cert, *client_key;

struct buf {
    char *p;
    size_t len;
};

static size_t on_data(char *d, size_t size, size_t n, void *user)
{
    struct buf *b = user;
    char *g = realloc(b->p, b->len + size * n + 1);
    if (g == NULL) {
        return 0;
    }
    memcpy(g + b->len, d, size * n);
    b->p = g;
    b->len += size * n;
    b->p[b->len] = '\0';
    return size * n;
}

/* POST <url>/<method>; *status 0 when TLS or the connection failed. Body malloc'd. */
static char *post(const char *method, const char *body, bool with_cert, long *status)
{
    char url[400];
    struct buf b = {0};
    CURL *c = curl_easy_init();
    struct curl_blob ca = {env.root_pem, strlen(env.root_pem), CURL_BLOB_COPY};
    struct curl_blob cert = {client_cert, strlen(client_cert), CURL_BLOB_COPY};
    struct curl_blob key = {client_key, strlen(client_key), CURL_BLOB_COPY};
    snprintf(url, sizeof url, "%s/%s", env.url, method);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
    curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
    if (with_cert) {
        curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
        curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
    }
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    *status = 0;
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    }
    curl_easy_cleanup(c);
    return b.p;
}

/* A client certificate from the keys file's temporary CA (no attestation: the KMS then has
 * none to check, as for any plain mTLS client). */
static bool make_client_identity(void)
{
    char path[450];
    size_t len;
    snprintf(path, sizeof path, "%s/appkeys.json", env.sim.dir);
    char *text = check_read_file(path, &len);
    cJSON *doc = text != NULL ? json_parse(text, strlen(text), 0, NULL) : NULL;
    const cJSON *kms = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(doc, "key_provider"), "Kms");
    const char *ca_key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(kms, "tmp_ca_key"));
    const char *ca_cert =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(kms, "tmp_ca_cert"));
    struct p256_key k;
    EVP_PKEY *pub = NULL, *signer = NULL;
    X509 *issuer = NULL, *x = X509_new();
    BIO *b1 = ca_key ? BIO_new_mem_buf(ca_key, -1) : NULL;
    BIO *b2 = ca_cert ? BIO_new_mem_buf(ca_cert, -1) : NULL;
    BIO *out = BIO_new(BIO_s_mem());
    char pem[P256_PKCS8_PEM_MAX], *data;
    bool ok = b1 != NULL && b2 != NULL && (signer = PEM_read_bio_PrivateKey(b1, 0, 0, 0)) &&
              (issuer = PEM_read_bio_X509(b2, 0, 0, 0)) && p256_generate(&k) == DSTACK_OK &&
              p256_to_evp(&k, &pub) == DSTACK_OK && X509_set_version(x, X509_VERSION_3) &&
              ASN1_INTEGER_set(X509_get_serialNumber(x), 7) &&
              X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
                                         (const unsigned char *)"test-client", -1, -1, 0) &&
              X509_set_issuer_name(x, X509_get_subject_name(issuer)) &&
              X509_gmtime_adj(X509_getm_notBefore(x), -60) &&
              X509_gmtime_adj(X509_getm_notAfter(x), 3600) && X509_set_pubkey(x, pub) &&
              X509_sign(x, signer, EVP_sha256()) > 0 && PEM_write_bio_X509(out, x);
    long n = ok ? BIO_get_mem_data(out, &data) : 0;
    if (n > 0) {
        client_cert = strndup(data, (size_t)n);
        p256_pkcs8_pem(&k, pem);
        client_key = strdup(pem);
    }
    BIO_free(b1);
    BIO_free(b2);
    BIO_free(out);
    X509_free(x);
    X509_free(issuer);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(signer);
    cJSON_Delete(doc);
    free(text);
    return client_cert != NULL && client_key != NULL;
}

/* CertSigningRequestV2 bytes with the given confirm word and SPKI, empty V0 attestation. */
static size_t csr_bytes(const char *confirm, const uint8_t *spki, size_t spki_len, uint8_t *out)
{
    size_t n = 0;
    out[n++] = (uint8_t)(strlen(confirm) << 2);
    memcpy(out + n, confirm, strlen(confirm));
    n += strlen(confirm);
    if (spki_len < 64) { /* compact: single-byte mode below 64, two-byte mode above */
        out[n++] = (uint8_t)(spki_len << 2);
    } else {
        out[n++] = (uint8_t)((spki_len << 2) | 1);
        out[n++] = (uint8_t)(spki_len >> 6);
    }
    memcpy(out + n, spki, spki_len);
    n += spki_len;
    static const uint8_t config[] = {0x00, 0x04, 'a', 0x00, 1, 0, 0, 0, 0, 0};
    memcpy(out + n, config, sizeof config);
    n += sizeof config;
    memset(out + n, 0, 5 + 64 + 1); /* V0, DstackTdx, no quote/events/runtime, rd, "" */
    return n + 5 + 64 + 1;
}

static size_t sign(const struct p256_key *k, const uint8_t *msg, size_t len, uint8_t sig[80])
{
    EVP_PKEY *pk = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t n = 80;
    if (p256_to_evp(k, &pk) != DSTACK_OK ||
        EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) != 1 ||
        EVP_DigestSign(md, sig, &n, msg, len) != 1) {
        n = 0;
    }
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    return n;
}

static char *request(const uint8_t *csr, size_t csr_len, const uint8_t *sig, size_t sig_len,
                     int version)
{
    char *csr_hex = malloc(2 * csr_len + 1), *sig_hex = malloc(2 * sig_len + 1);
    hex_encode(csr, csr_len, csr_hex);
    hex_encode(sig, sig_len, sig_hex);
    size_t cap = 2 * (csr_len + sig_len) + 128;
    char *body = malloc(cap);
    snprintf(body, cap,
             "{\"api_version\":%d,\"csr\":\"%s\",\"signature\":\"%s\",\"vm_config\":\"\"}", version,
             csr_hex, sig_hex);
    free(csr_hex);
    free(sig_hex);
    return body;
}

/* SignCert with body; the 400 error must contain want. */
static void expect_refusal(const char *name, const char *body, const char *want)
{
    long status;
    char *answer = post("SignCert?json", body, true, &status);
    cJSON *doc = answer != NULL ? json_parse(answer, strlen(answer), 0, NULL) : NULL;
    const char *err = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "error"));
    printf("   %s: %ld %s\n", name, status, err != NULL ? err : "(none)");
    CHECK(status == 400);
    CHECK(err != NULL && strstr(err, want) != NULL);
    cJSON_Delete(doc);
    free(answer);
}

/* What upstream's KMS refuses, and the words its error must contain. A case sends `body` as
 * it is, or else a CSR made with `confirm`, the key's SPKI (or bytes that are none) and signed
 * by the key (or by another one). */
static const struct refusal {
    const char *name;
    const char *body;
    const char *confirm;
    bool bad_spki;
    bool other_signer;
    const char *want;
} refusals[] = {
    {"api_version 1", "{\"api_version\":1,\"csr\":\"\",\"signature\":\"\"}", NULL, false, false,
     "Unsupported API version: 1"},
    {"not JSON", "csr=1", NULL, false, false, "failed to decode the request"},
    {"CSR of one byte", "{\"api_version\":2,\"csr\":\"00\",\"signature\":\"\",\"vm_config\":\"\"}",
     NULL, false, false, "Failed to parse csr"},
    {"CSR key not an SPKI", NULL, "please sign cert:", true, false,
     "Failed to verify csr signature: Failed to parse pubkey"},
    {"signed by another key", NULL, "please sign cert:", false, true,
     "Failed to verify csr signature: Invalid signature"},
    {"wrong confirm word", NULL, "please sign it:  ", false, false,
     "Failed to verify csr signature: Invalid confirm word"},
    {"empty attestation", NULL, "please sign cert:", false, false, "Quote verification failed: "},
};

static void test_refusals(void)
{
    struct p256_key k, other;
    uint8_t spki[P256_SPKI_LEN], csr[512], sig[80];
    static const uint8_t bad_key[] = {1, 2, 3};
    CHECK(p256_generate(&k) == DSTACK_OK && p256_generate(&other) == DSTACK_OK);
    p256_spki(k.point, spki);

    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        const struct refusal *r = &refusals[i];
        if (r->body != NULL) {
            expect_refusal(r->name, r->body, r->want);
            continue;
        }
        size_t n = r->bad_spki ? csr_bytes(r->confirm, bad_key, sizeof bad_key, csr)
                               : csr_bytes(r->confirm, spki, sizeof spki, csr);
        size_t s = sign(r->other_signer ? &other : &k, csr, n, sig);
        CHECK(s > 0);
        char *body = request(csr, n, sig, s, 2);
        expect_refusal(r->name, body, r->want);
        free(body);
    }
}

/* Calls whose answer is only a status (and maybe a word of the body). */
static const struct {
    const char *method;
    const char *body;
    bool with_cert;
    long status; /* 0: no TLS session at all */
    const char *want;
} calls[] = {
    {"KMS.GetMeta?json", "", true, 200, NULL}, /* the service prefix is trimmed */
    {"GetAppKey?json", "{}", true, 404, "Method not found"},
    {"GetMeta?json", "", false, 0, NULL}, /* no client certificate: no TLS */
};

static void test_meta_and_methods(void)
{
    long status;
    char *answer = post("GetMeta?json", "", true, &status);
    cJSON *doc = answer != NULL ? json_parse(answer, strlen(answer), 0, NULL) : NULL;
    const char *ca = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "ca_cert"));
    const char *k256 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "k256_pubkey"));
    CHECK(status == 200);
    CHECK(ca != NULL && strcmp(ca, env.root_pem) == 0);
    CHECK(k256 != NULL && strlen(k256) == 66);
    cJSON_Delete(doc);
    free(answer);

    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        answer = post(calls[i].method, calls[i].body, calls[i].with_cert, &status);
        printf("   %s%s: %ld\n", calls[i].method, calls[i].with_cert ? "" : " (no certificate)",
               status);
        CHECK(status == calls[i].status);
        CHECK(calls[i].want == NULL || (answer != NULL && strstr(answer, calls[i].want) != NULL));
        free(answer);
    }
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!kms_env_start(&env, NULL, false, 0, 0) || !make_client_identity()) {
        fprintf(stderr, "FAIL: cannot start the test KMS or make a client certificate\n");
        return 1;
    }
    test_meta_and_methods();
    test_refusals();
    CHECK(kms_env_stop(&env) == 0);
    free(client_cert);
    free(client_key);
    curl_global_cleanup();
    return check_exit();
}
