/* P-256 keys, PKCS#8 PEM vectors and leaf certificates (upstream dstack/ra-tls/src/cert.rs) against
 * upstream's values:
 * TBS_A byte for byte, serials, the DeriveKey PEMs; OpenSSL decodes SAN/KU/EKU and verifies the
 * signature under the simulator CA; validity edges and bad inputs. */
#include "json/json.h"
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "util/hex.h"
#include "x509/cert.h"
#include "x509/der.h"
#include "x509/p256.h"
#include "x509/pem.h"
#include "util/error.h"

static const char *TBS_A =
    "30820149a0030201020214449aa0488531e18749bdc444f5f30e3743293073300a06082a8648ce3d040302"
    "3029310f300d060355040a0c0644737461636b3116301406035504030c0d44737461636b204b4d53204341"
    "301e170d3735303130313030303030305a170d3336303130313030303030305a30163114301206035504030c"
    "0b6578616d706c652e636f6d3059301306072a8648ce3d020106082a8648ce3d030107034200048ab237a97a"
    "45886ade7429b272c8eb874b7e9ae2dd11a4e1d295b3486f457f1e2648c41c7d95ea78ddfd1700b357933d72"
    "860c980cd872e8ba8555a03d5a49fca3623060301c0603551d1104153013820b6578616d706c652e636f6d87"
    "047f000001300f0603551d0f0101ff0405030307800030130603551d25040c300a06082b06010505070301"
    "301a060a2b0601040183e73d0104040c040a6170703a637573746f6d";

static const char *PEM_PATH_EMPTY =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgqiIa5Ui1qPUvy4aH\n"
    "z9hzcS9qEjKycX5e49WKt08hkFuhRANCAASKsjepekWIat50KbJyyOuHS36a4t0R\n"
    "pOHSlbNIb0V/HiZIxBx9lep43f0XALNXkz1yhgyYDNhy6LqFVaA9Wkn8\n"
    "-----END PRIVATE KEY-----\n";

/* docs/api/DeriveKey.md simulator vector, path "my/key/path". */
static const char *PEM_MY_KEY_PATH =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQghm0IhGhuWv29qs6L\n"
    "13wLT2mjDb6VBtaScKB78kfI9PChRANCAARQhuTCryErug6+Jl59luRyed9p0z8i\n"
    "OowGEk28my5xIPeV30UJZY3LVjagyXLvlqg7qh4ISaFx0+V0lvJ7UMo8\n"
    "-----END PRIVATE KEY-----\n";

static uint8_t k256_key[32];
static struct x509_ca *ca;
static char *ca_pem_text;

static void load_simulator_keys(void)
{
    const char *path = check_fixture("upstream/simulator/appkeys.json");
    struct json_error jerr;
    cJSON *root = json_parse_file(path, 1u << 20, 0, &jerr);
    CHECK(root != NULL);
    const char *k = json_str(json_get(root, "k256_key"));
    const char *cert = json_str(json_get(root, "ca_cert"));
    const char *key = json_str(json_get(json_get(json_get(root, "key_provider"), "None"), "key"));
    size_t n = 0;
    CHECK(k != NULL && hex_decode(k, strlen(k), k256_key, sizeof k256_key, &n) == DSTACK_OK);
    CHECK(n == 32);
    CHECK(x509_ca_load(cert, strlen(cert), key, strlen(key), &ca) == DSTACK_OK);
    ca_pem_text = strdup(cert);
    /* The CA key must match the certificate; another valid P-256 key is refused. */
    struct x509_ca *bad = NULL;
    CHECK(x509_ca_load(cert, strlen(cert), PEM_PATH_EMPTY, strlen(PEM_PATH_EMPTY), &bad) ==
          DSTACK_EFORMAT);
    CHECK_STR(err_text(), "CA certificate does not match private key");
    CHECK(x509_ca_load("junk", 4, key, strlen(key), &bad) == DSTACK_EFORMAT);
    CHECK_STR(err_text(), "Failed to parse cert PEM");
    CHECK(x509_ca_load(cert, strlen(cert), "junk", 4, &bad) == DSTACK_EFORMAT);
    CHECK_STR(err_text(), "Failed to parse key");
    CHECK(bad == NULL);
    json_free(root);
}

static void test_keys(void)
{
    static const struct {
        const char *path;
        const char *scalar; /* hex, or NULL */
        const char *serial;
    } cases[] = {
        {"", "aa221ae548b5a8f52fcb8687cfd873712f6a1232b2717e5ee3d58ab74f21905b",
         "449aa0488531e18749bdc444f5f30e3743293073"},
        {"/", "f6c1ed94488394d78e0a4e5ab75d62e9f085d73b0b555d0614fb90ca13d9464d",
         "673b6ffc6b7ed60f3387db077fef0dcfc1fbbda5"},
        {"test", "133e8ca6e532ead3e38f00347408771da296e9c70e8e3e362f485154e64ef4e8",
         "752f5d779e7ee4fa54f46a2e81255ab5f646bfbe"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct p256_key k;
        CHECK(p256_derive(k256_key, sizeof k256_key, cases[i].path, strlen(cases[i].path), &k) ==
              DSTACK_OK);
        CHECK_HEX(k.d.b, 32, cases[i].scalar);
        /* The serial is the INTEGER after the version in any TBS for this key. */
        struct x509_leaf_req req = {.subject = "s", .not_before = 0, .not_after = 1};
        uint8_t *tbs = NULL;
        size_t tbs_len = 0;
        size_t name_len = 0;
        const uint8_t *name = x509_ca_name(ca, &name_len);
        CHECK(x509_leaf_tbs(&req, k.point, name, name_len, &tbs, &tbs_len) == DSTACK_OK);
        size_t at = 2 + ((tbs[1] & 0x80) ? (size_t)(tbs[1] & 0x7f) : 0) + 5; /* after [0] */
        CHECK(tbs_len > at + 22 && tbs[at] == 0x02 && tbs[at + 1] == 20);
        CHECK_HEX(tbs + at + 2, 20, cases[i].serial);
        free(tbs);
    }

    struct p256_key k;
    char pem[P256_PKCS8_PEM_MAX];
    uint8_t spki[P256_SPKI_LEN];
    CHECK(p256_derive(k256_key, sizeof k256_key, "", 0, &k) == DSTACK_OK);
    p256_pkcs8_pem(&k, pem);
    CHECK_STR(pem, PEM_PATH_EMPTY);
    CHECK(pem_encoded_len("PRIVATE KEY", P256_PKCS8_LEN) < P256_PKCS8_PEM_MAX);
    p256_spki(k.point, spki);
    CHECK_HEX(spki, sizeof spki,
              "3059301306072a8648ce3d020106082a8648ce3d030107034200048ab237a97a45886ade7429b272c8"
              "eb874b7e9ae2dd11a4e1d295b3486f457f1e2648c41c7d95ea78ddfd1700b357933d72860c980cd872"
              "e8ba8555a03d5a49fc");
    CHECK(p256_derive(k256_key, sizeof k256_key, "my/key/path", 11, &k) == DSTACK_OK);
    p256_pkcs8_pem(&k, pem);
    CHECK_STR(pem, PEM_MY_KEY_PATH);

    /* PEM round trip through OpenSSL: it reads our PKCS#8 and finds the same scalar. */
    struct p256_key back;
    CHECK(p256_from_pem(pem, strlen(pem), &back) == DSTACK_OK);
    CHECK(memcmp(back.d.b, k.d.b, 32) == 0 && memcmp(back.point, k.point, 65) == 0);

    /* [computed] HKDF("RATLS", 00..1f, "") and the kdf.rs derived key vector. */
    uint8_t ikm[32];
    for (size_t i = 0; i < 32; i++) {
        ikm[i] = (uint8_t)i;
    }
    CHECK(p256_derive(ikm, sizeof ikm, NULL, 0, &k) == DSTACK_OK);
    CHECK_HEX(k.d.b, 32, "8d48a799fe1f635d802f1aeeded950ca3b387f7b4eadfc7c98af4186190b9449");

    /* Scalar range: 0 and n refused, n-1 and 1 accepted. */
    static const struct {
        const char *d;
        dstack_err want;
    } range[] = {
        {"0000000000000000000000000000000000000000000000000000000000000000", DSTACK_EINVAL},
        {"ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", DSTACK_EINVAL},
        {"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", DSTACK_EINVAL},
        {"ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550", DSTACK_OK},
        {"0000000000000000000000000000000000000000000000000000000000000001", DSTACK_OK},
    };
    for (size_t i = 0; i < sizeof range / sizeof range[0]; i++) {
        uint8_t d[32];
        size_t n = 0;
        CHECK(hex_decode(range[i].d, 64, d, sizeof d, &n) == DSTACK_OK);
        CHECK(p256_from_scalar(d, &k) == range[i].want);
    }
    /* d = 1 gives the generator. */
    CHECK_HEX(k.point, 65,
              "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
              "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");

    /* Two fresh keys differ. */
    struct p256_key a, b;
    CHECK(p256_generate(&a) == DSTACK_OK && p256_generate(&b) == DSTACK_OK);
    CHECK(memcmp(a.d.b, b.d.b, 32) != 0);
    CHECK(p256_from_pem("nope", 4, &a) == DSTACK_EFORMAT);
}

static void test_tbs_a(void)
{
    struct p256_key k;
    CHECK(p256_derive(k256_key, sizeof k256_key, "", 0, &k) == DSTACK_OK);
    const char *alt[] = {"example.com", "127.0.0.1"};
    struct x509_leaf_req req = {
        .subject = "example.com",
        .alt_names = alt,
        .n_alt_names = 2,
        .server_auth = true,
        .not_before = X509_DEFAULT_NOT_BEFORE,
        .not_after = 2082758400,
        .usage = X509_USAGE_APP_CUSTOM,
    };
    size_t name_len = 0;
    const uint8_t *name = x509_ca_name(ca, &name_len);
    CHECK_HEX(name, name_len,
              "3029310f300d060355040a0c0644737461636b3116301406035504030c0d44737461636b204b4d53"
              "204341");
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    CHECK(x509_leaf_tbs(&req, k.point, name, name_len, &tbs, &tbs_len) == DSTACK_OK);
    CHECK(tbs_len == 333);
    CHECK_HEX(tbs, tbs_len, TBS_A);
    free(tbs);
}

/* Issues a leaf and parses it back with OpenSSL. */
static X509 *issue(const struct x509_leaf_req *req, const struct p256_key *k)
{
    char *pem = NULL;
    if (x509_leaf_issue(ca, req, k->point, &pem) != DSTACK_OK) {
        fprintf(stderr, "issue failed: %s\n", err_text());
        return NULL;
    }
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    free(pem);
    return x;
}

static void test_openssl_decodes(void)
{
    struct p256_key k;
    CHECK(p256_generate(&k) == DSTACK_OK);
    const char *alt[] = {"www.example.com", "10.0.0.1", "::1", "1.2.3", "*.example.org"};
    uint8_t app_info[] = {0x91, 0xc0};
    uint8_t att[] = {0x00, 0x00, 0x01};
    struct x509_leaf_req req = {
        .subject = "demo",
        .alt_names = alt,
        .n_alt_names = 5,
        .server_auth = true,
        .client_auth = true,
        .not_before = 1700000000,
        .not_after = 2556144000, /* 2051: GeneralizedTime */
        .usage = X509_USAGE_APP_CUSTOM,
        .app_info = app_info,
        .app_info_len = sizeof app_info,
        .attestation = att,
        .attestation_len = sizeof att,
    };
    X509 *x = issue(&req, &k);
    CHECK(x != NULL);
    if (x == NULL) {
        return;
    }
    /* Signed by the CA key; the leaf key is ours. */
    BIO *bio = BIO_new_mem_buf(ca_pem_text, -1);
    X509 *cax = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    CHECK(X509_verify(x, X509_get0_pubkey(cax)) == 1);
    CHECK(X509_check_issued(cax, x) == X509_V_OK);
    unsigned char *spki = NULL;
    int spki_len = i2d_PUBKEY(X509_get0_pubkey(x), &spki);
    uint8_t want_spki[P256_SPKI_LEN];
    p256_spki(k.point, want_spki);
    CHECK(spki_len == P256_SPKI_LEN && memcmp(spki, want_spki, P256_SPKI_LEN) == 0);
    OPENSSL_free(spki);

    char cn[64] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
    CHECK_STR(cn, "demo");
    CHECK(X509_get_version(x) == 2);

    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    CHECK(gens != NULL && sk_GENERAL_NAME_num(gens) == 5);
    static const int want_type[] = {GEN_DNS, GEN_IPADD, GEN_IPADD, GEN_DNS, GEN_DNS};
    static const int want_len[] = {15, 4, 16, 5, 13};
    for (int i = 0; gens != NULL && i < 5; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        CHECK(g->type == want_type[i]);
        const ASN1_STRING *s = g->type == GEN_DNS ? g->d.dNSName : g->d.iPAddress;
        CHECK(ASN1_STRING_length(s) == want_len[i]);
    }
    GENERAL_NAMES_free(gens);

    CHECK((X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE) != 0);
    CHECK((X509_get_key_usage(x) & ~(uint32_t)KU_DIGITAL_SIGNATURE) == 0);
    CHECK(X509_get_extended_key_usage(x) == (XKU_SSL_SERVER | XKU_SSL_CLIENT));
    int ku_crit = -1;
    ASN1_BIT_STRING *ku = X509_get_ext_d2i(x, NID_key_usage, &ku_crit, NULL);
    CHECK(ku != NULL && ku_crit == 1);
    ASN1_BIT_STRING_free(ku);
    CHECK(X509_check_ca(x) == 0);

    /* Custom extensions in upstream's order: app-info, cert-usage, attestation; double OCTET. */
    static const char *oids[] = {"1.3.6.1.4.1.62397.1.9", "1.3.6.1.4.1.62397.1.4",
                                 "1.3.6.1.4.1.62397.1.8"};
    static const char *values[] = {"040291c0", "040a6170703a637573746f6d", "0403000001"};
    int last = -1;
    for (int i = 0; i < 3; i++) {
        ASN1_OBJECT *o = OBJ_txt2obj(oids[i], 1);
        int at = X509_get_ext_by_OBJ(x, o, -1);
        CHECK(at > last);
        last = at;
        X509_EXTENSION *ext = X509_get_ext(x, at);
        const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(ext);
        CHECK(X509_EXTENSION_get_critical(ext) == 0);
        CHECK_HEX(ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v), values[i]);
        ASN1_OBJECT_free(o);
    }
    /* Validity: notBefore UTCTime, notAfter GeneralizedTime (2051). */
    CHECK(ASN1_STRING_type(X509_get0_notBefore(x)) == V_ASN1_UTCTIME);
    CHECK(ASN1_STRING_type(X509_get0_notAfter(x)) == V_ASN1_GENERALIZEDTIME);
    X509_free(x);
    X509_free(cax);

    /* Without alt names or EKU flags: no SAN and no EKU extension. */
    struct x509_leaf_req bare = {
        .subject = "", .not_before = 0, .not_after = 1, .usage = X509_USAGE_APP_CUSTOM};
    x = issue(&bare, &k);
    CHECK(x != NULL);
    if (x != NULL) {
        CHECK(X509_get_ext_by_NID(x, NID_subject_alt_name, -1) < 0);
        CHECK(X509_get_ext_by_NID(x, NID_ext_key_usage, -1) < 0);
        CHECK(X509_get_ext_count(x) == 2);
        X509_free(x);
    }
}

static void test_validity(void)
{
    static const struct {
        bool has_nb;
        uint64_t nb;
        bool has_na;
        uint64_t na;
        dstack_err want;
        uint64_t want_nb, want_na;
        const char *msg;
    } cases[] = {
        {false, 0, false, 0, DSTACK_OK, X509_DEFAULT_NOT_BEFORE, 1000 + X509_DEFAULT_LIFETIME, ""},
        {true, 5, false, 0, DSTACK_OK, 5, 1000 + X509_DEFAULT_LIFETIME, ""},
        {false, 0, true, 7, DSTACK_OK, X509_DEFAULT_NOT_BEFORE, 7, ""}, /* upstream allows */
        {true, 5, true, 6, DSTACK_OK, 5, 6, ""},
        {true, 6, true, 6, DSTACK_EINVAL, 0, 0, "not_before must be earlier than not_after"},
        {true, 7, true, 6, DSTACK_EINVAL, 0, 0, "not_before must be earlier than not_after"},
        {true, 0, true, DER_TIME_MAX, DSTACK_OK, 0, DER_TIME_MAX, ""},
        {true, 0, true, DER_TIME_MAX + 1, DSTACK_EINVAL, 0, 0,
         "not_after is out of range (after 9999-12-31T23:59:59Z)"},
        {true, DER_TIME_MAX + 1, false, 0, DSTACK_EINVAL, 0, 0,
         "not_before is out of range (after 9999-12-31T23:59:59Z)"},
        {true, UINT64_MAX - 1, true, UINT64_MAX, DSTACK_EINVAL, 0, 0,
         "not_before is out of range (after 9999-12-31T23:59:59Z)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t nb = 0, na = 0;
        err_clear(); /* a success sets no text */
        dstack_err e = x509_validity(cases[i].has_nb, cases[i].nb, cases[i].has_na, cases[i].na,
                                     1000, &nb, &na);
        CHECK(e == cases[i].want);
        CHECK_STR(err_text(), cases[i].msg);
        if (e == DSTACK_OK) {
            CHECK(nb == cases[i].want_nb && na == cases[i].want_na);
        }
    }
}

static void test_bad_inputs(void)
{
    struct p256_key k;
    CHECK(p256_generate(&k) == DSTACK_OK);
    size_t name_len = 0;
    const uint8_t *name = x509_ca_name(ca, &name_len);
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;

    const char *nonascii[] = {"ok.example", "b\xc3\xbc"
                                            "cher.de"};
    struct x509_leaf_req req = {
        .subject = "x", .alt_names = nonascii, .n_alt_names = 2, .not_after = 1};
    CHECK(x509_leaf_tbs(&req, k.point, name, name_len, &tbs, &tbs_len) == DSTACK_EINVAL);
    CHECK_STR(err_text(), "Invalid IA5String: 'b\xc3\xbc"
                          "cher.de'");
    CHECK(tbs == NULL);

    /* Strings that look like IPs but are not (Rust IpAddr::from_str) stay DNS names. */
    static const struct {
        const char *s;
        size_t ip_len; /* 0 = not an IP */
    } ips[] = {
        {"127.0.0.1", 4}, {"0.0.0.0", 4},   {"255.255.255.255", 4},
        {"::", 16},       {"fe80::1", 16},  {"::ffff:1.2.3.4", 16},
        {"1.2.3", 0},     {"256.1.1.1", 0}, {"01.2.3.4", 0},
        {"1.2.3.4 ", 0},  {"[::1]", 0},     {"fe80::1%eth0", 0},
        {"1.2.3.4.5", 0}, {"", 0},          {"0x7f.0.0.1", 0},
    };
    for (size_t i = 0; i < sizeof ips / sizeof ips[0]; i++) {
        uint8_t out[16];
        size_t n = 0;
        bool is_ip = x509_parse_ip(ips[i].s, out, &n);
        CHECK(is_ip == (ips[i].ip_len != 0));
        if (is_ip) {
            CHECK(n == ips[i].ip_len);
        }
    }

    /* A 2,000-character subject and 10,000 alt names: accepted (rcgen does not limit them),
     * the DER stays well formed and OpenSSL parses it. */
    char *subject = malloc(2001);
    memset(subject, 'a', 2000);
    subject[2000] = '\0';
    const char **many = calloc(10000, sizeof *many);
    char(*names)[24] = calloc(10000, sizeof *names);
    for (size_t i = 0; i < 10000; i++) {
        snprintf(names[i], sizeof names[i], "h%zu.example.com", i);
        many[i] = names[i];
    }
    struct x509_leaf_req big = {.subject = subject,
                                .alt_names = many,
                                .n_alt_names = 10000,
                                .not_after = 1,
                                .usage = X509_USAGE_APP_CUSTOM};
    X509 *x = issue(&big, &k);
    CHECK(x != NULL);
    if (x != NULL) {
        GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
        CHECK(gens != NULL && sk_GENERAL_NAME_num(gens) == 10000);
        GENERAL_NAMES_free(gens);
        X509_free(x);
    }
    free(names);
    free(many);
    free(subject);

    /* Times beyond 9999 are refused inside the TBS writer too. */
    struct x509_leaf_req late = {.subject = "x", .not_after = DER_TIME_MAX + 1};
    CHECK(x509_leaf_tbs(&late, k.point, name, name_len, &tbs, &tbs_len) == DSTACK_EINVAL);
}

int main(void)
{
    load_simulator_keys();
    if (ca == NULL) {
        return check_exit();
    }
    test_keys();
    test_tbs_a();
    test_openssl_decodes();
    test_validity();
    test_bad_inputs();
    x509_ca_free(ca);
    free(ca_pem_text);
    return check_exit();
}
