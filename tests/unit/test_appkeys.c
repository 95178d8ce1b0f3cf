/* The keys file: upstream's simulator appkeys.json loads with the values of docs/wire.md
 * and tests/vectors/keys.md; malformed files are refused with the file and the field named; the
 * development generator issues keys the way upstream's KMS does (upstream dstack/ra-tls/src/kdf.rs,
 * docs/simulator.md). */
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <dstack/crypto.h>

#include "appkeys.h"
#include "tee/sim_appkeys.h"
#include "check.h"
#include "util/error.h"
#include "crypto/hash.h"
#include "util/hex.h"
#include "x509/cert.h"
#include "util/error.h"

#define SIM_K256 "d6e88992cdeeee35fe70b5db61ab66cdb191fb9b6ec9313757ef162dd7214d5d"
#define SIM_SIG                                                                                    \
    "9e618603e72d01fedb82deff6daf2d62a572becf0059eec3f89c1ab40e1f2e594d2a283f843f34e8f39e4cc"      \
    "49a612496ce67223a12ac923f8efe330346dfc6c500"

static void test_fixture(void)
{
    const char *path = check_fixture("upstream/simulator/appkeys.json");
    struct app_keys *k = NULL;
    CHECK(appkeys_load(path, &k) == DSTACK_OK);
    if (k == NULL) {
        fprintf(stderr, "load: %s\n", err_text());
        check_failed++;
        return;
    }
    CHECK_HEX(k->k256_key, k->k256_key_len, SIM_K256);
    CHECK_HEX(k->k256_scalar.b, 32, SIM_K256);
    CHECK_HEX(k->k256_pubkey, 33,
              "02818494263695e8839122dbd88e281d7380622999df4e60a14befa0f2d096fc7c");
    CHECK_HEX(k->k256_signature, k->k256_signature_len, SIM_SIG);
    CHECK_HEX(k->disk_crypt_key.p, k->disk_crypt_key.len,
              "2cbc10ccbed084b91af2ceff8400e6082402367f18a2c6248bac17d2fc951607");
    CHECK_HEX(k->env_crypt_key.p, k->env_crypt_key.len,
              "4f3cf0a19a0444674c8e51222afd395b8df9fad2ba3cd7956f640a4b3c046db6");
    CHECK_STR(k->gateway_app_id, "any");
    CHECK(k->provider == KEY_PROVIDER_NONE);
    CHECK(strncmp(k->ca_cert, "-----BEGIN CERTIFICATE-----\nMIIBmzCCAUCg", 40) == 0);
    CHECK(strncmp(k->ca_key, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
    CHECK(k->kms_url == NULL && k->mr.p == NULL && k->pubkey.len == 0);
    /* Sign's key, precomputed: tests/vectors/keys.md "vms"/"signing" rows */
    CHECK_HEX(k->vms_key.b, 32, "1091a4d6721f6a719ca57320e4975f7e237649131111ee1c5032f661dc1cfef2");
    CHECK_HEX(k->vms_k256.pub, k->vms_k256.pub_len,
              "036105f01d1fd781568f7c208b087b1c4f522601410ed7e9c7870d573de7c46d54");
    CHECK_HEX(k->vms_k256.sig0, 65,
              "51ec279eb0da3fb45335c2fd6badaf701905bf35f229912976c4ae3c9d649cf97f964473f2dce7118743"
              "bad84a6df707d11c9b5f0b38379204e14fd2c7baddba01");
    CHECK_HEX(k->vms_ed25519.pub, k->vms_ed25519.pub_len,
              "698f56bd587d8ce3ca8db0e1c361ba9d190089f98dc4d9df800ff92ed073a65d");
    CHECK_HEX(k->vms_ed25519.sig0, 65,
              "d61ff204728dae76ba4e29313003433d533d069f9c98ebb3382104145f1c664c59fac4326a86420ec3f4"
              "50303d3a675d595f546448076a464343bcc25143c4a300");
    /* the CA pair is usable by the certificate issuer */
    struct x509_ca *ca = NULL;
    CHECK(x509_ca_load(k->ca_cert, strlen(k->ca_cert), k->ca_key, strlen(k->ca_key), &ca) ==
          DSTACK_OK);
    x509_ca_free(ca);
    appkeys_free(k);

    /* missing file */
    CHECK(appkeys_load("/nonexistent/appkeys.json", &k) == DSTACK_EIO);
    CHECK(k == NULL && strstr(err_text(), "/nonexistent/appkeys.json") != NULL);
}

/* A keys document with one field replaced: every %s is filled from the case. */
static char *doc(const char *disk, const char *k256, const char *sig, const char *kp)
{
    static char buf[4096];
    snprintf(buf, sizeof buf,
             "{\"disk_crypt_key\": %s, \"k256_key\": %s, \"k256_signature\": %s,"
             " \"gateway_app_id\": \"any\", \"ca_cert\": \"PEM\", \"key_provider\": %s}",
             disk, k256, sig, kp);
    return buf;
}

static void test_bad_files(void)
{
    static const char *good_k256 = "\"" SIM_K256 "\"";
    static const char *good_sig = "\"" SIM_SIG "\"";
    static const char *good_kp = "{\"None\": {\"key\": \"KEYPEM\"}}";
    static const struct {
        const char *disk, *k256, *sig, *kp;
        const char *want; /* substring of the message; NULL: loads */
    } cases[] = {
        {"\"00\"", NULL, NULL, NULL, NULL},
        {"\"0x00\"", NULL, NULL, NULL, NULL},
        /* left-padded 24-byte key (elliptic-curve from_slice MIN_SIZE) */
        {"\"00\"",
         "\""
         "ee35fe70b5db61ab66cdb191fb9b6ec9313757ef162dd721"
         "\"",
         NULL, NULL, NULL},
        {"1", NULL, NULL, NULL, "disk_crypt_key: expected a hex string"},
        {"\"0\"", NULL, NULL, NULL, "disk_crypt_key: odd number of hex digits"},
        {"\"zz\"", NULL, NULL, NULL, "disk_crypt_key: invalid hex character"},
        {"\"00\"", "\"" SIM_K256 "0\"", NULL, NULL, "k256_key: odd number"},
        {"\"00\"", "\"00112233445566778899aabbccddeeff\"", NULL, NULL,
         "k256_key: expected 24 to 32 bytes (a secp256k1 private key), got 16"},
        {"\"00\"", "\"" SIM_K256 "00\"", NULL, NULL, "k256_key: expected 24 to 32 bytes"},
        {"\"00\"", "\"0000000000000000000000000000000000000000000000000000000000000000\"", NULL,
         NULL, "k256_key: not a valid secp256k1 private key"},
        {"\"00\"", "\"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141\"", NULL,
         NULL, "k256_key: not a valid secp256k1 private key"},
        {"\"00\"", "null", NULL, NULL, "k256_key: expected a hex string"},
        {"\"00\"", NULL, "[]", NULL, "k256_signature: expected a hex string"},
        {"\"00\"", NULL, "\"" SIM_SIG SIM_SIG "\"", NULL, "k256_signature: longer than 128"},
        {"\"00\"", NULL, NULL, "\"None\"", "key_provider: expected an object with one of"},
        {"\"00\"", NULL, NULL, "{}", "key_provider: expected an object with one of"},
        {"\"00\"", NULL, NULL, "{\"None\": {\"key\": \"k\"}, \"Local\": {}}",
         "key_provider: expected an object"},
        {"\"00\"", NULL, NULL, "{\"Foo\": {}}", "key_provider: unknown variant `Foo`"},
        {"\"00\"", NULL, NULL, "{\"None\": 1}", "key_provider.None: expected an object"},
        {"\"00\"", NULL, NULL, "{\"None\": {}}", "missing field `key_provider.None.key`"},
        {"\"00\"", NULL, NULL, "{\"Local\": {\"key\": \"k\"}}",
         "missing field `key_provider.Local.mr`"},
        {"\"00\"", NULL, NULL, "{\"Local\": {\"key\": \"k\", \"mr\": \"0g\"}}",
         "key_provider.Local.mr: invalid hex character"},
        {"\"00\"", NULL, NULL, "{\"Kms\": {\"url\": \"u\", \"pubkey\": \"00\", \"tmp_ca_key\": 1}}",
         "key_provider.Kms.tmp_ca_key: expected a JSON string"},
    };
    struct app_keys *k;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *text =
            doc(cases[i].disk, cases[i].k256 ? cases[i].k256 : good_k256,
                cases[i].sig ? cases[i].sig : good_sig, cases[i].kp ? cases[i].kp : good_kp);
        err_clear();
        k = (struct app_keys *)1;
        dstack_err e = appkeys_parse("keys.json", text, strlen(text), &k);
        if (cases[i].want == NULL) {
            CHECK(e == DSTACK_OK && k != NULL);
            if (e != DSTACK_OK) {
                fprintf(stderr, "case %zu: %s\n", i, err_text());
            }
            appkeys_free(k);
            continue;
        }
        CHECK(e != DSTACK_OK && k == NULL);
        CHECK(strncmp(err_text(), "keys.json: ", 11) == 0);
        if (strstr(err_text(), cases[i].want) == NULL) {
            fprintf(stderr, "case %zu: got \"%s\", want \"%s\"\n", i, err_text(), cases[i].want);
            check_failed++;
        }
        CHECK(strstr(err_text(), "d6e88992") == NULL); /* never echoes key material */
    }

    /* the 24-byte key is the HKDF IKM as is, and the scalar left-padded */
    const char *t24 =
        doc("\"00\"", "\"ee35fe70b5db61ab66cdb191fb9b6ec9313757ef162dd721\"", good_sig, good_kp);
    CHECK(appkeys_parse("k", t24, strlen(t24), &k) == DSTACK_OK);
    if (k != NULL) {
        CHECK(k->k256_key_len == 24);
        CHECK_HEX(k->k256_scalar.b, 32,
                  "0000000000000000ee35fe70b5db61ab66cdb191fb9b6ec9313757ef162dd721");
        appkeys_free(k);
    }
    /* not JSON, not an object, a duplicate key, a missing field */
    static const struct {
        const char *text, *want;
    } raw[] = {
        {"{\"k256_key\": \"" SIM_K256, "keys.json: invalid JSON at line"},
        {"[]", "keys.json: expected a JSON object"},
        {"{\"a\": 1, \"a\": 2}", "keys.json: invalid JSON"},
        {"{}", "keys.json: missing field `key_provider`"},
        {"{\"key_provider\": {\"None\": {\"key\": \"k\"}}}",
         "keys.json: missing field `disk_crypt_key`"},
    };
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
        CHECK(appkeys_parse("keys.json", raw[i].text, strlen(raw[i].text), &k) != DSTACK_OK);
        if (strstr(err_text(), raw[i].want) == NULL) {
            fprintf(stderr, "raw %zu: got \"%s\", want \"%s\"\n", i, err_text(), raw[i].want);
            check_failed++;
        }
        CHECK(strstr(err_text(), "d6e88992") == NULL);
    }
    /* every key provider variant */
    const char *kms = doc("\"00\"", good_k256, good_sig,
                          "{\"Kms\": {\"url\": \"https://kms\", \"pubkey\": \"0102\","
                          " \"tmp_ca_key\": \"K\", \"tmp_ca_cert\": \"C\"}}");
    CHECK(appkeys_parse("k", kms, strlen(kms), &k) == DSTACK_OK);
    if (k != NULL) {
        CHECK(k->provider == KEY_PROVIDER_KMS && k->ca_key == NULL);
        CHECK_STR(k->kms_url, "https://kms");
        CHECK_HEX(k->pubkey.p, k->pubkey.len, "0102");
        CHECK_STR(k->tmp_ca_key, "K");
        CHECK_STR(k->tmp_ca_cert, "C");
        CHECK(k->env_crypt_key.len == 0);
        appkeys_free(k);
    }
    const char *tpm =
        doc("\"00\"", good_k256, good_sig, "{\"Tpm\": {\"key\": \"K\", \"pubkey\": \"ff\"}}");
    CHECK(appkeys_parse("k", tpm, strlen(tpm), &k) == DSTACK_OK);
    if (k != NULL) {
        CHECK(k->provider == KEY_PROVIDER_TPM);
        CHECK_STR(k->ca_key, "K");
        CHECK_HEX(k->pubkey.p, k->pubkey.len, "ff");
        appkeys_free(k);
    }
    appkeys_free(NULL);
}

static void test_dh_secret(void)
{
    uint8_t root[32], out[32], app[20], inst[20];
    /* [repo-test] kdf.rs:L118-147 (computed with upstream's code) */
    check_unhex("f57527cea4ab7ffb49af99b158cdc0e3ec06398f528349ea236b7d2afe19cec1", root,
                sizeof root);
    const void *c1[] = {"context one", "context two"};
    const size_t l1[] = {11, 11};
    CHECK(appkeys_dh_secret(root, c1, l1, 2, out) == DSTACK_OK);
    CHECK_HEX(out, 32, "663afd58820be8ad645f9c035e93199d114ab16f738db62393bc1d7d623e8813");
    /* [repo-data] the previous simulator keys (computed with upstream's code): env and disk keys of
     * app ea549f02 */
    check_unhex("d4f60214a61f0e651fbf97e4b2da696ac7f898f1aa9f3d1f1282c49c6c7c0a72", root,
                sizeof root);
    check_unhex("ea549f02e1a25fabd1cb788380e033ec5461b2ff", app, sizeof app);
    check_unhex("59df8036b824b0aac54f8998b9e1fb2a0cfc5d3a", inst, sizeof inst);
    const void *env[] = {app, "env-encrypt-key"};
    const size_t env_len[] = {20, 15};
    CHECK(appkeys_dh_secret(root, env, env_len, 2, out) == DSTACK_OK);
    CHECK_HEX(out, 32, "ca1a3895d9d613287fc14034d0ec60abb5089896e7c8fd7c2f02bd91fa0076aa");
    const void *disk[] = {app, inst, "app-disk-crypt-key"};
    const size_t disk_len[] = {20, 20, 18};
    CHECK(appkeys_dh_secret(root, disk, disk_len, 3, out) == DSTACK_OK);
    CHECK_HEX(out, 32, "1122e1f340c19407adc5ec531ac98d72bcf702bf7858f6fa49b5be79b61e4d5b");
}

static void test_generate(void)
{
    char dir[] = "/tmp/test_appkeys.XXXXXX", path[256];
    uint8_t app[20], inst[20], seed_check[32], kms_pub[33], app_pub[33], rec[33];
    struct app_keys *a = NULL, *b = NULL;

    /* the documented seed is what appkeys.h and docs/simulator.md say it is */
    CHECK(hash_sha256("dstack-c simulator development seed v1", 38, seed_check) == DSTACK_OK);
    CHECK(memcmp(seed_check, appkeys_dev_seed, 32) == 0);

    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/appkeys.json", dir);
    check_unhex("5bb4ff9a3837357f19dc176407a5709c62eb6c56", app, sizeof app);
    check_unhex("1691ed1b47506cad7d08834668691d88246f5b1f", inst, sizeof inst);

    CHECK(appkeys_generate(path, appkeys_dev_seed, app, inst) == DSTACK_OK);
    CHECK(appkeys_load(path, &a) == DSTACK_OK);
    CHECK(appkeys_generate(path, appkeys_dev_seed, app, inst) == DSTACK_OK);
    CHECK(appkeys_load(path, &b) == DSTACK_OK);
    if (a == NULL || b == NULL) {
        fprintf(stderr, "generate: %s\n", err_text());
        check_failed++;
        goto out;
    }
    /* deterministic keys */
    CHECK(a->k256_key_len == 32 && memcmp(a->k256_key, b->k256_key, 32) == 0);
    CHECK(a->k256_signature_len == 65 && memcmp(a->k256_signature, b->k256_signature, 65) == 0);
    CHECK(strcmp(a->ca_key, b->ca_key) == 0);
    CHECK(a->disk_crypt_key.len == 32 && a->env_crypt_key.len == 32);
    CHECK(memcmp(a->env_crypt_key.p, b->env_crypt_key.p, 32) == 0);
    CHECK(a->provider == KEY_PROVIDER_NONE);
    CHECK_STR(a->gateway_app_id, "any");

    /* the chain recovers to the seed's KMS root, as for a real KMS */
    CHECK(appkeys_dev_kms_pubkey(appkeys_dev_seed, kms_pub) == DSTACK_OK);
    CHECK(dstack_sig_chain_recover("signing", a->vms_k256.pub, a->vms_k256.pub_len,
                                   a->vms_k256.sig0, 65, a->k256_signature, 65, app, 20, app_pub,
                                   rec) == DSTACK_OK);
    CHECK(memcmp(app_pub, a->k256_pubkey, 33) == 0);
    CHECK(memcmp(rec, kms_pub, 33) == 0);
    /* another app id gives another key */
    app[0] ^= 1;
    CHECK(appkeys_generate(path, appkeys_dev_seed, app, inst) == DSTACK_OK);
    appkeys_free(b);
    b = NULL;
    CHECK(appkeys_load(path, &b) == DSTACK_OK);
    CHECK(b != NULL && memcmp(a->k256_key, b->k256_key, 32) != 0);

    /* the CA certificate matches its key and says what the simulator's says */
    struct x509_ca *ca = NULL;
    CHECK(x509_ca_load(a->ca_cert, strlen(a->ca_cert), a->ca_key, strlen(a->ca_key), &ca) ==
          DSTACK_OK);
    if (ca != NULL) {
        size_t nlen = 0;
        const uint8_t *name = x509_ca_name(ca, &nlen);
        /* SEQ { SET { O=Dstack }, SET { CN=Dstack KMS CA } } as UTF8Strings (upstream
         * dstack/ra-tls/src/cert.rs) */
        CHECK_HEX(name, nlen,
                  "3029310f300d060355040a0c0644737461636b3116301406035504030c0d44737461636b204b4d53"
                  "204341");
    } else {
        fprintf(stderr, "x509_ca_load: %s\n", err_text());
    }
    x509_ca_free(ca);

    /* an unwritable place */
    CHECK(appkeys_generate("/nonexistent/dir/appkeys.json", appkeys_dev_seed, app, inst) ==
          DSTACK_EIO);
    CHECK(strstr(err_text(), "/nonexistent/dir/appkeys.json") != NULL);
out:
    appkeys_free(a);
    appkeys_free(b);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    test_dh_secret();
    test_bad_files();
    test_generate();
    test_fixture();
    return check_exit();
}
