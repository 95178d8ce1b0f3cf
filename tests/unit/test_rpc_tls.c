/* GetTlsKey / Tappd.DeriveKey / demo cert through the handlers, with the simulator keys file and
 * a TEE backend serving the simulator's attestation fixture (report data patched, as upstream's
 * simulator does). Checks TBS_B (tests/vectors/keys.md), the DeriveKey PEM vectors, chains under
 * OpenSSL verification plus our RA-TLS check, and upstream's error texts. */
#include "json/json.h"
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <dstack/ratls.h>

#include "agent.h"
#include "appkeys.h"
#include "attest/versioned.h"
#include "check.h"
#include "util/error.h"
#include "crypto/hash.h"
#include "handlers.h"
#include "tls.h"
#include "util/secret.h"
#include "x509/appinfo_ext.h"
#include "util/error.h"

static struct versioned_attestation fixture;

static dstack_err fake_quote(void *st, const uint8_t rd[DSTACK_REPORT_DATA_LEN], uint8_t **q,
                             size_t *q_len)
{
    (void)st;
    struct versioned_attestation copy;
    dstack_err e = versioned_copy(&fixture, &copy);
    if (e == DSTACK_OK) {
        e = versioned_set_report_data(&copy, rd);
    }
    if (e == DSTACK_OK) {
        *q = copy.quote;
        *q_len = copy.quote_len;
        copy.quote = NULL;
    }
    versioned_free(&copy);
    return e;
}

static dstack_err fake_event_log(void *st, struct dstack_event_log *out)
{
    (void)st;
    return versioned_event_log(&fixture, out);
}

static const struct tee_backend fake_tee = {
    .name = "fixture",
    .quote = fake_quote,
    .event_log = fake_event_log,
};

static struct agent agent;
static const char *ca_pem;

static void setup(void)
{
    size_t n = 0;
    char *keys = check_read_file(check_fixture("upstream/simulator/appkeys.json"), &n);
    CHECK(appkeys_parse("appkeys.json", keys, n, &agent.keys) == DSTACK_OK);
    free(keys);
    char *att = check_read_file(check_fixture("upstream/simulator/attestation.bin"), &n);
    CHECK(versioned_decode((const uint8_t *)att, n, &fixture) == DSTACK_OK);
    free(att);
    agent.tee = &fake_tee;
    agent.vm_config = fixture.config; /* upstream's simulator keeps the fixture's config */
    ca_pem = agent.keys->ca_cert;
}

/* Room for a copy of the handler's error text (util/error.h). */
#define TEST_ERROR_MAX 512

static cJSON *call(rpc_handler h, const char *args_json, char *err_out)
{
    struct rpc_call c = {.agent = &agent};
    cJSON *args = json_parse(args_json, strlen(args_json), 0, NULL);
    CHECK(args != NULL); /* a test whose JSON does not parse would pass vacuously */
    c.args = args;
    err_clear();
    bool ok = h(&c) == DSTACK_OK;
    json_free(args);
    if (err_out != NULL) {
        snprintf(err_out, TEST_ERROR_MAX, "%s", ok ? "" : err_text());
    }
    if (!ok) {
        return NULL;
    }
    if (c.result_text != NULL) { /* the key answers come encoded (rpc_tls.c respond_chain) */
        cJSON *res = json_parse(c.result_text, c.result_text_len, 0, NULL);
        CHECK(res != NULL && c.result == NULL);
        secret_wipe(c.result_text, c.result_text_len);
        free(c.result_text);
        return res;
    }
    return c.result;
}

static void test_tbs_b(void)
{
    struct p256_key k;
    CHECK(p256_derive(agent.keys->k256_key, agent.keys->k256_key_len, "", 0, &k) == DSTACK_OK);
    uint8_t spki[P256_SPKI_LEN];
    p256_spki(k.point, spki);
    struct tls_evidence ev;
    CHECK(tls_cert_evidence(&agent, spki, TLS_EVIDENCE_QUOTE | TLS_EVIDENCE_APP_INFO, &ev) ==
          DSTACK_OK);
    uint8_t h[32];
    CHECK(ev.attestation_len == 6788);
    hash_sha256(ev.attestation, ev.attestation_len, h);
    CHECK_HEX(h, 32, "94818a1edd2b016bcf2c155bca605174a078ef2cb23206725104334a294c1f3c");
    CHECK_HEX(ev.attestation, 11, "0000494e04000200810000");
    CHECK(ev.app_info_len == 422);
    struct appinfo ai;
    CHECK(appinfo_decode(ev.app_info, ev.app_info_len, &ai) == DSTACK_OK);
    CHECK_HEX(ai.app_id.p, ai.app_id.len, "5bb4ff9a3837357f19dc176407a5709c62eb6c56");
    CHECK_HEX(ai.mr_aggregated, 32,
              "85334a62c97d0f8bf82d0245d31b539d17a2d7c258e2a13efc928aaea0e107cb");
    CHECK_HEX(ai.mr_system, 32, "51ea38f8eee6dc72dbae9b74531ae6d6204295d265dabb4e6c34621a2a1a1197");
    CHECK(ai.has_init_script_hashes && ai.n_init_script_hashes == 0);
    /* Re-encoding the decoded AppInfo gives the same bytes. */
    uint8_t *re = NULL;
    size_t re_len = 0;
    CHECK(appinfo_encode(&ai, &re, &re_len) == DSTACK_OK);
    CHECK(re_len == ev.app_info_len && memcmp(re, ev.app_info, re_len) == 0);
    free(re);

    const char *alt[] = {"example.com"};
    struct x509_leaf_req req = {
        .subject = "example.com",
        .alt_names = alt,
        .n_alt_names = 1,
        .server_auth = true,
        .client_auth = true,
        .not_before = X509_DEFAULT_NOT_BEFORE,
        .not_after = 2082758400,
        .usage = X509_USAGE_APP_CUSTOM,
        .app_info = ev.app_info,
        .app_info_len = ev.app_info_len,
        .attestation = ev.attestation,
        .attestation_len = ev.attestation_len,
    };
    struct x509_ca *ca = NULL;
    CHECK(x509_ca_load(ca_pem, strlen(ca_pem), agent.keys->ca_key, strlen(agent.keys->ca_key),
                       &ca) == DSTACK_OK);
    size_t name_len = 0;
    const uint8_t *name = x509_ca_name(ca, &name_len);
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    CHECK(x509_leaf_tbs(&req, k.point, name, name_len, &tbs, &tbs_len) == DSTACK_OK);
    CHECK(tbs_len == 7599);
    hash_sha256(tbs, tbs_len, h);
    CHECK_HEX(h, 32, "5d791e5f512b231d2ea8ab8012b548f5f9617654b9952f35505e174e3dfbd77d");
    free(tbs);
    x509_ca_free(ca);
    tls_evidence_free(&ev);
}

/* Checks one {"key","certificate_chain"} answer; returns the leaf SPKI's first bytes for
 * comparing keys between calls. */
static void check_answer(cJSON *res, bool ra_tls, uint8_t spki_out[P256_SPKI_LEN])
{
    CHECK(res != NULL);
    if (res == NULL) {
        return;
    }
    const char *key = json_str(json_get(res, "key"));
    const cJSON *chain = json_get(res, "certificate_chain");
    CHECK(key != NULL && strncmp(key, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
    CHECK(strchr(key, '\r') == NULL);
    CHECK((size_t)cJSON_GetArraySize(chain) == 2);
    const char *leaf = json_str(json_at(chain, 0));
    CHECK_STR(json_str(json_at(chain, 1)), ca_pem); /* CA verbatim */
    CHECK(leaf != NULL);
    if (key == NULL || leaf == NULL) {
        return;
    }
    /* The leaf's key is the returned private key. */
    struct p256_key k;
    CHECK(p256_from_pem(key, strlen(key), &k) == DSTACK_OK);
    p256_spki(k.point, spki_out);
    struct dstack_ratls_cert *c = NULL;
    CHECK(dstack_ratls_cert_parse(leaf, strlen(leaf), &c) == DSTACK_OK);
    size_t n = 0;
    const uint8_t *spki = c != NULL ? dstack_ratls_cert_spki(c, &n) : NULL;
    CHECK(n == P256_SPKI_LEN && spki != NULL && memcmp(spki, spki_out, n) == 0);
    dstack_ratls_cert_free(c);

    /* The chain verifies under the CA, and with usage_ra_tls the quote binds the key. */
    char chain_text[32768];
    snprintf(chain_text, sizeof chain_text, "%s%s", leaf, ca_pem);
    err_clear();
    dstack_err e = dstack_ratls_verify_chain(chain_text, strlen(chain_text), ca_pem, strlen(ca_pem),
                                             NULL, 0, NULL);
    CHECK(e == (ra_tls ? DSTACK_OK : DSTACK_EVERIFY));
    if (!ra_tls) {
        CHECK_STR(err_text(), "certificate has no attestation extension");
    }
}

static void test_get_tls_key(void)
{
    uint8_t a[P256_SPKI_LEN], b[P256_SPKI_LEN];
    char err[TEST_ERROR_MAX];
    cJSON *r = call(h_get_tls_key,
                    "{\"subject\":\"example.com\",\"alt_names\":[\"www.example.com\","
                    "\"127.0.0.1\",\"::1\"],\"usage_ra_tls\":true,\"usage_server_auth\":true,"
                    "\"usage_client_auth\":true,\"with_app_info\":true,\"not_before\":1700000000,"
                    "\"not_after\":2556144000}",
                    err);
    CHECK_STR(err, "");
    check_answer(r, true, a);
    json_free(r);
    r = call(h_get_tls_key, "{}", err);
    check_answer(r, false, b);
    json_free(r);
    CHECK(memcmp(a, b, sizeof a) != 0); /* a fresh key every call */

    static const struct {
        const char *args;
        const char *err;
    } bad[] = {
        {"{\"not_before\":10,\"not_after\":10}", "not_before must be earlier than not_after"},
        {"{\"not_before\":11,\"not_after\":10}", "not_before must be earlier than not_after"},
        {"{\"not_after\":253402300800}", "not_after is out of range (after 9999-12-31T23:59:59Z)"},
        {"{\"not_before\":9223372036854775807}",
         "not_before is out of range (after 9999-12-31T23:59:59Z)"},
        {"{\"alt_names\":[\"ok\",\"b\\u00fccher.de\"]}",
         "Failed to sign the CSR: Failed to sign certificate: Failed to sign certificate: "
         "Invalid IA5String: 'b\xc3\xbc"
         "cher.de'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(call(h_get_tls_key, bad[i].args, err) == NULL);
        CHECK_STR(err, bad[i].err);
    }
    /* Non-boolean flags fail in argument decoding (message owned by rpc.c). */
    CHECK(call(h_get_tls_key, "{\"usage_ra_tls\":\"yes\"}", err) == NULL);
    CHECK(strstr(err, "usage_ra_tls") != NULL);
    CHECK(call(h_get_tls_key, "{\"with_app_info\":1}", err) == NULL);
    CHECK(call(h_get_tls_key, "{\"alt_names\":\"x\"}", err) == NULL);
    /* A not_after alone (upstream accepts any order check only with both) and an IP look-alike. */
    r = call(h_get_tls_key, "{\"not_after\":1,\"alt_names\":[\"1.2.3\"]}", err);
    CHECK(r != NULL);
    json_free(r);
}

static void test_derive_key(void)
{
    static const struct {
        const char *args;
        const char *pem;
    } cases[] = {
        {"{\"path\":\"\"}", "-----BEGIN PRIVATE KEY-----\n"
                            "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgqiIa5Ui1qPUvy4aH\n"
                            "z9hzcS9qEjKycX5e49WKt08hkFuhRANCAASKsjepekWIat50KbJyyOuHS36a4t0R\n"
                            "pOHSlbNIb0V/HiZIxBx9lep43f0XALNXkz1yhgyYDNhy6LqFVaA9Wkn8\n"
                            "-----END PRIVATE KEY-----\n"},
        {"{\"path\":\"my/key/path\",\"subject\":\"my/key/path\",\"usage_ra_tls\":true}",
         "-----BEGIN PRIVATE KEY-----\n"
         "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQghm0IhGhuWv29qs6L\n"
         "13wLT2mjDb6VBtaScKB78kfI9PChRANCAARQhuTCryErug6+Jl59luRyed9p0z8i\n"
         "OowGEk28my5xIPeV30UJZY3LVjagyXLvlqg7qh4ISaFx0+V0lvJ7UMo8\n"
         "-----END PRIVATE KEY-----\n"},
    };
    char err[TEST_ERROR_MAX];
    uint8_t spki[P256_SPKI_LEN], spki2[P256_SPKI_LEN];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *r = call(h_derive_key, cases[i].args, err);
        CHECK_STR(json_str(json_get(r, "key")), cases[i].pem);
        check_answer(r, i == 1, spki);
        json_free(r);
    }
    cJSON *r = call(h_derive_key, "{\"path\":\"\",\"random_seed\":true}", err);
    check_answer(r, false, spki);
    CHECK(strcmp(json_str(json_get(r, "key")), cases[0].pem) != 0);
    json_free(r);
    r = call(h_derive_key, "{\"path\":\"\",\"random_seed\":true}", err);
    check_answer(r, false, spki2);
    CHECK(memcmp(spki, spki2, sizeof spki) != 0);
    json_free(r);
    CHECK(call(h_derive_key, "{\"random_seed\":\"true\"}", err) == NULL);
}

static void test_demo_cert(void)
{
    char *pem = NULL;
    CHECK(tls_demo_cert(&agent, &pem) == DSTACK_OK);
    CHECK(pem != NULL && strstr(pem, "-----END CERTIFICATE-----\n\n-----BEGIN CERTIFICATE-----"));
    if (pem == NULL) {
        return;
    }
    struct dstack_ratls_cert *leaf = NULL;
    CHECK(dstack_ratls_verify_chain(pem, strlen(pem), ca_pem, strlen(ca_pem), NULL, 0, &leaf) ==
          DSTACK_OK);
    const uint8_t *usage = NULL;
    size_t n = 0;
    CHECK(leaf != NULL && dstack_ratls_cert_usage(leaf, &usage, &n) == DSTACK_OK);
    CHECK(n == 10 && memcmp(usage, "app:custom", 10) == 0);
    CHECK(dstack_ratls_cert_app_info(leaf, &usage, &n) == DSTACK_EFORMAT); /* none */
    dstack_ratls_cert_free(leaf);
    X509 *x = NULL;
    BIO *bio = BIO_new_mem_buf(pem, -1);
    x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    char cn[32] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
    CHECK_STR(cn, "demo-cert");
    X509_free(x);
    BIO_free(bio);
    free(pem);
}

int main(void)
{
    setup();
    if (agent.keys == NULL || fixture.quote == NULL) {
        return check_exit();
    }
    test_tbs_b();
    test_get_tls_key();
    test_derive_key();
    test_demo_cert();
    appkeys_free(agent.keys);
    versioned_free(&fixture);
    return check_exit();
}
