/* key_provider Kms against the test KMS (tests/peers/kms), good paths: GetTlsKey with every
 * option, Tappd.DeriveKey and Info.app_cert each give [leaf, app CA, KMS root] that
 * `openssl verify` accepts under the KMS root and, for RA-TLS leaves, our RA-TLS verifier
 * accepts under the simulator's quote root; 32 concurrent GetTlsKey calls all succeed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <dstack/ratls.h>

#include "check.h"
#include "json/json.h"
#include "kms_env.h"
#include "util/error.h"

static struct kms_env env;

struct chain {
    char *pem[3];
    int n;
};

static void chain_free(struct chain *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->pem[i]);
    }
    memset(c, 0, sizeof *c);
}

/* POSTs and returns the certificate_chain of a 200 answer (n = 0 otherwise). */
static struct chain call_chain(const char *sock, const char *path, const char *body, char **key)
{
    struct http_reply r = {0};
    struct chain c = {0};
    if (!http_post_json(sock, path, body, &r) || r.status != 200) {
        fprintf(stderr, "%s %s -> %ld %s\n", path, body, r.status, r.body ? r.body : "");
        http_reply_free(&r);
        return c;
    }
    cJSON *doc = json_parse(r.body, strlen(r.body), 0, NULL);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "certificate_chain");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(doc, "key");
    for (int i = 0; cJSON_IsArray(arr) && i < cJSON_GetArraySize(arr) && i < 3; i++) {
        c.pem[c.n++] = strdup(cJSON_GetArrayItem(arr, i)->valuestring);
    }
    if (key != NULL) {
        *key = cJSON_IsString(k) ? strdup(k->valuestring) : NULL;
    }
    cJSON_Delete(doc);
    http_reply_free(&r);
    return c;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
}

/* `openssl verify -CAfile <KMS root> -untrusted <app CA> <leaf>`, the chain's own root equal
 * to the KMS's. */
static bool openssl_verifies(const struct chain *c)
{
    char leaf[450], ca[450], cmd[1600];
    snprintf(leaf, sizeof leaf, "%s/leaf.pem", env.sim.dir);
    snprintf(ca, sizeof ca, "%s/app-ca.pem", env.sim.dir);
    write_file(leaf, c->pem[0]);
    write_file(ca, c->pem[1]);
    snprintf(cmd, sizeof cmd, "openssl verify -CAfile %s -untrusted %s %s >/dev/null",
             env.root_path, ca, leaf);
    return c->n == 3 && strcmp(c->pem[2], env.root_pem) == 0 && system(cmd) == 0;
}

static X509 *leaf_of(const struct chain *c)
{
    BIO *b = BIO_new_mem_buf(c->pem[0], -1);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    return x;
}

/* Our RA-TLS verifier: chain to the KMS root, the quote under the simulator's root, bound to
 * the leaf key. */
static bool ratls_verifies(const struct chain *c, bool want_app_info)
{
    char joined[16384];
    err_clear();
    struct dstack_ratls_cert *leaf = NULL;
    const uint8_t *b;
    size_t n;
    snprintf(joined, sizeof joined, "%s%s", c->pem[0], c->pem[1]);
    bool ok = dstack_ratls_verify_chain(joined, strlen(joined), env.root_pem, strlen(env.root_pem),
                                        env.quote_root_pem, strlen(env.quote_root_pem),
                                        &leaf) == DSTACK_OK;
    if (!ok) {
        fprintf(stderr, "RA-TLS verification failed: %s\n", err_text());
    }
    ok = ok && (dstack_ratls_cert_app_info(leaf, &b, &n) == DSTACK_OK) == want_app_info;
    ok = ok && dstack_ratls_cert_usage(leaf, &b, &n) == DSTACK_OK && n == 10 &&
         memcmp(b, "app:custom", 10) == 0;
    dstack_ratls_cert_free(leaf);
    return ok;
}

static void test_get_tls_key(void)
{
    static const struct {
        const char *body;
        bool ra_tls, app_info, server, client;
        int n_san;
    } cases[] = {
        {"{}", false, false, false, false, 0},
        {"{\"subject\":\"plain\",\"usage_ra_tls\":true}", true, false, false, false, 0},
        {"{\"subject\":\"info\",\"usage_ra_tls\":true,\"with_app_info\":true}", true, true, false,
         false, 0},
        {"{\"subject\":\"app.example\",\"alt_names\":[\"app.example\",\"127.0.0.1\",\"::1\"],"
         "\"usage_server_auth\":true,\"usage_client_auth\":true,\"usage_ra_tls\":true,"
         "\"not_before\":1700000000,\"not_after\":1900000000}",
         true, false, true, true, 3},
        {"{\"subject\":\"noquote\",\"with_app_info\":true,\"usage_server_auth\":true}", false, true,
         true, false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *key = NULL;
        struct chain c = call_chain(env.sim.dstack_sock, "/GetTlsKey", cases[i].body, &key);
        CHECK(c.n == 3);
        CHECK(key != NULL && strstr(key, "BEGIN PRIVATE KEY") != NULL);
        CHECK(c.n == 3 && openssl_verifies(&c));
        X509 *x = c.n == 3 ? leaf_of(&c) : NULL;
        CHECK(x != NULL);
        if (x != NULL) {
            /* No EKU extension reads as "any usage" in OpenSSL: count it as none here. */
            uint32_t xku = X509_get_ext_by_NID(x, NID_ext_key_usage, -1) >= 0
                               ? X509_get_extended_key_usage(x)
                               : 0;
            GENERAL_NAMES *san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
            CHECK(((xku & XKU_SSL_SERVER) != 0) == cases[i].server);
            CHECK(((xku & XKU_SSL_CLIENT) != 0) == cases[i].client);
            CHECK((san != NULL ? sk_GENERAL_NAME_num(san) : 0) == cases[i].n_san);
            GENERAL_NAMES_free(san);
            /* The KMS names the app in every leaf (APP_ID, 1.3.6.1.4.1.62397.1.3). */
            ASN1_OBJECT *app_id = OBJ_txt2obj("1.3.6.1.4.1.62397.1.3", 1);
            CHECK(X509_get_ext_by_OBJ(x, app_id, -1) >= 0);
            ASN1_OBJECT_free(app_id);
            if (cases[i].n_san > 0) {
                CHECK(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), 1700000000) == 0);
                CHECK(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), 1900000000) == 0);
            }
            X509_free(x);
        }
        if (cases[i].ra_tls) {
            CHECK(ratls_verifies(&c, cases[i].app_info));
        } else if (c.n == 3) {
            struct dstack_ratls_cert *leaf = NULL;
            const uint8_t *b;
            size_t n;
            CHECK(dstack_ratls_cert_parse(c.pem[0], strlen(c.pem[0]), &leaf) == DSTACK_OK);
            CHECK(leaf != NULL && dstack_ratls_cert_attestation(leaf, &b, &n) != DSTACK_OK);
            CHECK(leaf != NULL &&
                  (dstack_ratls_cert_app_info(leaf, &b, &n) == DSTACK_OK) == cases[i].app_info);
            dstack_ratls_cert_free(leaf);
        }
        free(key);
        chain_free(&c);
    }
}

/* Tappd.DeriveKey: the same chain shape; the key is a function of the path. */
static void test_derive_key(void)
{
    static const char body[] =
        "{\"path\":\"/kms/test\",\"subject\":\"derived\",\"alt_names\":[\"d.example\"],"
        "\"usage_ra_tls\":true,\"usage_server_auth\":true}";
    char *k1 = NULL, *k2 = NULL;
    struct chain a = call_chain(env.sim.tappd_sock, "/prpc/Tappd.DeriveKey", body, &k1);
    struct chain b = call_chain(env.sim.tappd_sock, "/prpc/Tappd.DeriveKey", body, &k2);
    CHECK(a.n == 3 && b.n == 3);
    CHECK(a.n == 3 && openssl_verifies(&a) && ratls_verifies(&a, false));
    CHECK(k1 != NULL && k2 != NULL && strcmp(k1, k2) == 0);
    free(k1);
    free(k2);
    chain_free(&a);
    chain_free(&b);
}

/* Info.app_cert: issued in the background after start-up; three PEMs joined by "\n". */
static void test_app_cert(void)
{
    char *cert = NULL;
    for (int i = 0; i < 300 && cert == NULL; i++) {
        struct http_reply r = {0};
        if (http_post_json(env.sim.dstack_sock, "/Info", "{}", &r) && r.status == 200) {
            cJSON *doc = json_parse(r.body, strlen(r.body), 0, NULL);
            const cJSON *ac = cJSON_GetObjectItemCaseSensitive(doc, "app_cert");
            if (cJSON_IsString(ac) && ac->valuestring[0] != '\0') {
                cert = strdup(ac->valuestring);
            }
            cJSON_Delete(doc);
        }
        http_reply_free(&r);
        if (cert == NULL) {
            usleep(100000);
        }
    }
    CHECK(cert != NULL);
    if (cert == NULL) {
        return;
    }
    struct chain c = {0};
    const char *end = "-----END CERTIFICATE-----\n";
    for (char *p = cert; c.n < 3 && (p = strstr(p, "-----BEGIN CERTIFICATE-----")) != NULL;) {
        char *e = strstr(p, end);
        if (e == NULL) {
            break;
        }
        e += strlen(end);
        c.pem[c.n++] = strndup(p, (size_t)(e - p));
        p = e;
    }
    CHECK(c.n == 3 && strstr(cert, "-----END CERTIFICATE-----\n\n-----BEGIN") != NULL);
    CHECK(c.n == 3 && openssl_verifies(&c) && ratls_verifies(&c, false));
    X509 *x = c.n == 3 ? leaf_of(&c) : NULL;
    char cn[64] = "";
    if (x != NULL) {
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
        CHECK((X509_get_extended_key_usage(x) & XKU_SSL_CLIENT) != 0);
    }
    CHECK_STR(cn, "demo-cert");
    X509_free(x);
    chain_free(&c);
    free(cert);
}

#define N_CONCURRENT 32
static void *one_call(void *arg)
{
    int *ok = arg;
    struct chain c = call_chain(env.sim.dstack_sock, "/GetTlsKey",
                                "{\"subject\":\"many\",\"usage_ra_tls\":true}", NULL);
    *ok = c.n == 3;
    chain_free(&c);
    return NULL;
}

static void test_concurrent(void)
{
    pthread_t t[N_CONCURRENT];
    int ok[N_CONCURRENT] = {0}, good = 0;
    for (int i = 0; i < N_CONCURRENT; i++) {
        CHECK(pthread_create(&t[i], NULL, one_call, &ok[i]) == 0);
    }
    for (int i = 0; i < N_CONCURRENT; i++) {
        pthread_join(t[i], NULL);
        good += ok[i];
    }
    CHECK(good == N_CONCURRENT);
    usleep(300000);
    CHECK(kms_env_sim_tcp(&env) == 0); /* every KMS connection closed */
}

int main(void)
{
    if (!kms_env_start(&env, NULL, false, 0, 0)) {
        fprintf(stderr, "FAIL: cannot start the simulator against the test KMS\n");
        return 1;
    }
    test_get_tls_key();
    test_derive_key();
    test_app_cert();
    test_concurrent();
    CHECK(kms_env_stop(&env) == 0);
    return check_exit();
}
