/* Secrets on the heap are wiped before they are freed (docs/security.md, "Secrets on the heap").
 *
 * The real simulator runs under tests/integration/heap_scan (LD_PRELOAD), which scans every block
 * the daemon frees for key material and reports each hit with a backtrace. Driven through the
 * daemon's sockets: GetKey (secp256k1 and ed25519), Sign, DeriveK256Key, GetTlsKey (local CA,
 * with and without RA-TLS), DeriveKey (derived and random seed), Info; then the same key paths
 * with key_provider Kms against the test KMS (the client key, curl and OpenSSL on the mutual-TLS
 * path, SignCert answers, Info.app_cert). The known secrets are the upstream fixture keys, the
 * scalar of its CA key and the keys these requests derive from them (checked against the
 * answers, so a wrong pattern cannot make the test pass); random keys are caught by shape (PEM,
 * PKCS#8 and SEC1 DER). The report must say the scanner was loaded and list no leak.
 *
 * `it_heap_wipe canary` is the scanner's own check: a block holding a secret freed unwiped must
 * be reported (run by main first, so the test cannot pass with a scanner that finds nothing). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "crypto/kdf.h"
#include "json/json.h"
#include "kms_env.h"
#include "util/hex.h"
#include "util/secret.h"
#include "x509/p256.h"

#define SECRETS_MAX 16
#define CANARY_SECRET "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7"

static char report_path[300];
static char secrets[SECRETS_MAX * 65];
static char wrapper[2048];

static void add_secret(const uint8_t *b, size_t len)
{
    char hex[65];
    if (len == 32) {
        hex_encode(b, len, hex);
        size_t used = strlen(secrets);
        snprintf(secrets + used, sizeof secrets - used, "%s%s", used > 0 ? "," : "", hex);
    }
}

static void use_scanner(void)
{
    snprintf(wrapper, sizeof wrapper,
             "env LD_PRELOAD=%s DSTACK_HEAP_SCAN_REPORT=%s DSTACK_HEAP_SCAN_SECRETS=%s",
             DSTACK_HEAP_SCAN_LIB, report_path, secrets);
    setenv("DSTACK_TEST_WRAPPER", wrapper, 1);
    unlink(report_path);
}

/* What the scanner wrote: it was loaded, and every LEAK line with its backtrace is shown. */
static int report_leaks(bool *loaded, bool show)
{
    size_t len = 0;
    char *text = check_read_file(report_path, &len);
    int leaks = 0;
    *loaded = text != NULL && strstr(text, "heap_scan: active") != NULL;
    for (const char *p = text; p != NULL && (p = strstr(p, "LEAK: ")) != NULL; p++) {
        leaks++;
    }
    if (leaks > 0 && show) {
        fprintf(stderr, "%s", text);
    }
    free(text);
    return leaks;
}

/* A GetKey-style answer: field `field` must be want_hex (the secret the scanner looks for). */
static void expect_key(const char *sock, const char *path, const char *body, const char *field,
                       const char *want_hex)
{
    struct http_reply r = {0};
    CHECK(http_post_json(sock, path, body, &r) && r.status == 200);
    cJSON *doc = r.body != NULL ? json_parse(r.body, r.body_len, 0, NULL) : NULL;
    CHECK_STR(json_get_str(doc, field), want_hex);
    json_free(doc);
    http_reply_free(&r);
}

/* POST that must answer 200; returns the answer's "key" (malloc'd) when it has one. */
static char *expect_ok(const char *sock, const char *path, const char *body)
{
    struct http_reply r = {0};
    bool ok = http_post_json(sock, path, body, &r) && r.status == 200;
    if (!ok) {
        fprintf(stderr, "%s %s -> %ld %s\n", path, body, r.status, r.body ? r.body : "");
    }
    CHECK(ok);
    cJSON *doc = r.body != NULL ? json_parse(r.body, r.body_len, 0, NULL) : NULL;
    const char *key = json_get_str(doc, "key");
    char *copy = key != NULL ? strdup(key) : NULL;
    json_free(doc);
    http_reply_free(&r);
    return copy;
}

/* The fixture's keys: the scanner's secrets, and the keys GetKey and DeriveKey derive. */
struct fixture_keys {
    uint8_t k256[32];
    char getkey_hex[65];                    /* GetKey / DeriveK256Key of "wipe/getkey" */
    char derivekey_pem[P256_PKCS8_PEM_MAX]; /* DeriveKey of "wipe/derivekey" */
};

static bool hex32(const cJSON *doc, const char *field, uint8_t out[32])
{
    const char *s = json_get_str(doc, field);
    size_t n = 0;
    return s != NULL && hex_decode(s, strlen(s), out, 32, &n) == DSTACK_OK && n == 32;
}

static bool load_fixture_keys(struct fixture_keys *fk)
{
    size_t len = 0;
    char *text = check_read_file(check_fixture("upstream/simulator/appkeys.json"), &len);
    cJSON *doc = text != NULL ? json_parse(text, len, 0, NULL) : NULL;
    uint8_t disk[32], env_key[32], okm[32];
    struct p256_key ca, dk;
    const char *ca_pem = json_get_str(json_get(json_get(doc, "key_provider"), "None"), "key");
    bool ok = hex32(doc, "k256_key", fk->k256) && hex32(doc, "disk_crypt_key", disk) &&
              hex32(doc, "env_crypt_key", env_key) && ca_pem != NULL &&
              p256_from_pem(ca_pem, strlen(ca_pem), &ca) == DSTACK_OK;
    struct kdf_slice info = {"wipe/getkey", strlen("wipe/getkey")};
    ok = ok && kdf_derive(fk->k256, 32, &info, 1, okm, sizeof okm) == DSTACK_OK &&
         p256_derive(fk->k256, 32, "wipe/derivekey", strlen("wipe/derivekey"), &dk) == DSTACK_OK;
    if (ok) {
        add_secret(fk->k256, 32);
        add_secret(disk, 32);
        add_secret(env_key, 32);
        add_secret(ca.d.b, 32);
        add_secret(okm, 32);
        add_secret(dk.d.b, 32);
        hex_encode(okm, 32, fk->getkey_hex);
        p256_pkcs8_pem(&dk, fk->derivekey_pem);
    }
    json_free(doc);
    free(text);
    return ok;
}

static void test_local_ca(const struct fixture_keys *fk)
{
    struct sim s;
    bool loaded = false;
    use_scanner();
    if (!sim_start_upstream(&s, NULL)) {
        CHECK(!"the simulator starts under the scanner");
        return;
    }
    static const char *const get_key[] = {
        "{\"path\":\"wipe/getkey\",\"purpose\":\"p\",\"algorithm\":\"secp256k1\"}",
        "{\"path\":\"wipe/getkey\",\"purpose\":\"p\",\"algorithm\":\"ed25519\"}",
    };
    for (size_t i = 0; i < sizeof get_key / sizeof get_key[0]; i++) {
        expect_key(s.dstack_sock, "/GetKey", get_key[i], "key", fk->getkey_hex);
    }
    expect_key(s.tappd_sock, "/prpc/Tappd.DeriveK256Key", "{\"path\":\"wipe/getkey\"}", "k256_key",
               fk->getkey_hex);
    free(expect_ok(s.dstack_sock, "/Sign", "{\"algorithm\":\"secp256k1\",\"data\":\"00\"}"));
    free(expect_ok(s.dstack_sock, "/Sign", "{\"algorithm\":\"ed25519\",\"data\":\"00\"}"));
    for (int i = 0; i < 2; i++) {
        char *key = expect_ok(s.dstack_sock, "/GetTlsKey",
                              i == 0 ? "{}" : "{\"usage_ra_tls\":true,\"with_app_info\":true}");
        CHECK(key != NULL && strstr(key, "-----BEGIN PRIVATE KEY-----") == key);
        free(key);
    }
    char *key = expect_ok(s.tappd_sock, "/prpc/Tappd.DeriveKey", "{\"path\":\"wipe/derivekey\"}");
    CHECK_STR(key, fk->derivekey_pem);
    free(key);
    free(expect_ok(s.tappd_sock, "/prpc/Tappd.DeriveKey", "{\"random_seed\":true}"));
    free(expect_ok(s.dstack_sock, "/Info", "{}"));
    CHECK(sim_stop(&s) == 0);
    int leaks = report_leaks(&loaded, true);
    printf("-- local CA: scanner %s, %d leaks\n", loaded ? "loaded" : "NOT loaded", leaks);
    CHECK(loaded);
    CHECK(leaks == 0);
}

static void test_kms(void)
{
    struct kms_env e;
    bool loaded = false;
    secrets[0] = '\0'; /* the KMS writes new keys: found by shape */
    use_scanner();
    unsetenv("DSTACK_TEST_WRAPPER"); /* the first start makes the keys the KMS replaces */
    if (!kms_env_start(&e, NULL, false, 0, 0)) {
        CHECK(!"the KMS environment starts");
        return;
    }
    use_scanner(); /* the agent on the KMS's keys file, under the scanner */
    char cfg[400];
    snprintf(cfg, sizeof cfg, "%s/kms-agent.json", e.sim.dir); /* kms_env_start's config */
    const char *extra[] = {"-c", cfg, NULL};
    if (!sim_restart(&e.sim, SIGTERM, extra)) {
        CHECK(!"the simulator restarts under the scanner");
        kms_env_stop(&e);
        return;
    }
    for (int i = 0; i < 2; i++) {
        char *key = expect_ok(e.sim.dstack_sock, "/GetTlsKey",
                              i == 0 ? "{}" : "{\"usage_ra_tls\":true,\"with_app_info\":true}");
        CHECK(key != NULL && strstr(key, "-----BEGIN PRIVATE KEY-----") == key);
        free(key);
    }
    free(expect_ok(e.sim.tappd_sock, "/prpc/Tappd.DeriveKey", "{\"path\":\"wipe/kms\"}"));
    free(expect_ok(e.sim.dstack_sock, "/Info", "{}"));
    CHECK(kms_env_stop(&e) == 0);
    int leaks = report_leaks(&loaded, true);
    printf("-- key provider Kms: scanner %s, %d leaks\n", loaded ? "loaded" : "NOT loaded", leaks);
    CHECK(loaded);
    CHECK(leaks == 0);
}

/* Under the scanner: a block holding CANARY_SECRET (hex) and a PEM key line, freed unwiped. */
static int canary(void)
{
    char *block = malloc(256);
    if (block == NULL) {
        return 1;
    }
    snprintf(block, 256, "{\"key\":\"%s\"}", CANARY_SECRET);
    printf("canary: %zu bytes\n", strlen(block)); /* used, so the block is really made */
    free(block);
    block = strdup("-----BEGIN PRIVATE KEY-----");
    printf("canary: %zu bytes\n", strlen(block));
    free(block);
    return 0;
}

static void test_canary(const char *self)
{
    char cmd[sizeof wrapper + 400];
    bool loaded = false;
    snprintf(secrets, sizeof secrets, "%s", CANARY_SECRET);
    use_scanner();
    snprintf(cmd, sizeof cmd, "%s %s canary", wrapper, self);
    CHECK(system(cmd) == 0);
    size_t len = 0;
    char *text = check_read_file(report_path, &len);
    CHECK(report_leaks(&loaded, false) >= 2);
    CHECK(loaded);
    CHECK(text != NULL && strstr(text, "LEAK: secret 0 (hex)") != NULL);
    CHECK(text != NULL && strstr(text, "LEAK: a PEM private key") != NULL);
    printf("-- canary: the scanner reports a secret freed unwiped\n");
    free(text);
    secrets[0] = '\0';
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "canary") == 0) {
        return canary();
    }
    struct fixture_keys fk;
    snprintf(report_path, sizeof report_path, "/tmp/it_heap_wipe.%d.report", (int)getpid());
    test_canary(argv[0]);
    if (!load_fixture_keys(&fk)) {
        fprintf(stderr, "FAIL: cannot read the fixture's keys (tests/fixtures/upstream)\n");
        return 1;
    }
    test_local_ca(&fk);
    secret_wipe(&fk, sizeof fk);
    test_kms();
    unlink(report_path);
    return check_exit();
}
