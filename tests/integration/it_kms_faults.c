/* key_provider Kms when the KMS fails: down, slow (the timeout fires while other calls keep
 * answering), a keys file trusting the wrong CA, an expired server certificate, the KMS
 * refusing (bad CSR signature, app not allowed), a garbage, truncated or wrongly shaped answer,
 * a leaf for another key. Each GetTlsKey gets HTTP 400 naming the KMS URL and the cause; the
 * agent stays up, leaks no connection, and (sim_stop) logs no key. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "json/json.h"
#include "kms_env.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The "error" of a 400 answer, malloc'd; NULL when the status is not 400. */
static char *error_of(const char *sock, const char *path, const char *body)
{
    struct http_reply r = {0};
    char *err = NULL;
    if (http_post_json(sock, path, body, &r) && r.status == 400) {
        cJSON *doc = json_parse(r.body, strlen(r.body), 0, NULL);
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "error");
        err = cJSON_IsString(e) ? strdup(e->valuestring) : NULL;
        cJSON_Delete(doc);
    } else {
        fprintf(stderr, "%s: expected 400, got %ld %s\n", path, r.status, r.body ? r.body : "");
    }
    http_reply_free(&r);
    return err;
}

static bool info_answers(struct kms_env *e, bool *app_cert_empty)
{
    struct http_reply r = {0};
    bool ok = http_post_json(e->sim.dstack_sock, "/Info", "{}", &r) && r.status == 200;
    if (ok && app_cert_empty != NULL) {
        cJSON *doc = json_parse(r.body, strlen(r.body), 0, NULL);
        const cJSON *ac = cJSON_GetObjectItemCaseSensitive(doc, "app_cert");
        *app_cert_empty = cJSON_IsString(ac) && ac->valuestring[0] == '\0';
        cJSON_Delete(doc);
    }
    http_reply_free(&r);
    return ok;
}

struct fault {
    const char *name;
    const char *kms_args[4];
    bool allow_other;
    bool kill_kms;
    const char *cause; /* must appear in the error */
};

static const struct fault faults[] = {
    {"KMS down", {NULL}, false, true, "SignCert: cannot connect: "},
    {"wrong CA in the keys file",
     {"--wrong-ca-in-keys", NULL},
     false,
     false,
     "SignCert: TLS: the server certificate is not trusted by the keys file's ca_cert"},
    {"expired server certificate",
     {"--expired-server-cert", NULL},
     false,
     false,
     "certificate has expired"},
    {"KMS refuses: bad signature",
     {"--answer", "tamper-signature", NULL},
     false,
     false,
     "SignCert: the KMS refused (HTTP 400): Failed to verify csr signature: Invalid signature"},
    {"KMS refuses: wrong app id",
     {NULL},
     true,
     false,
     "SignCert: the KMS refused (HTTP 400): Boot denied: app "},
    {"garbage answer",
     {"--answer", "garbage", NULL},
     false,
     false,
     "SignCert: bad answer: not a JSON object"},
    {"truncated answer",
     {"--answer", "truncated", NULL},
     false,
     false,
     "SignCert: truncated answer"},
    {"chain of the wrong shape",
     {"--answer", "wrong-shape", NULL},
     false,
     false,
     "SignCert: bad answer: certificate_chain must be [leaf, app CA, root] (2 elements)"},
    {"leaf for another key",
     {"--answer", "wrong-key", NULL},
     false,
     false,
     "SignCert: bad answer: the leaf certificate is not for the requested key"},
};

static void run_fault(const struct fault *f)
{
    struct kms_env e;
    bool empty = false;
    printf("-- %s\n", f->name);
    if (!kms_env_start(&e, f->kms_args, f->allow_other, 0, 0)) {
        CHECK(!"environment starts");
        kms_env_stop(&e);
        return;
    }
    if (f->kill_kms) {
        kms_env_kill_kms(&e);
    }
    char *err = error_of(e.sim.dstack_sock, "/GetTlsKey", "{\"usage_ra_tls\":true}");
    char *err2 = error_of(e.sim.tappd_sock, "/prpc/Tappd.DeriveKey", "{\"path\":\"/a\"}");
    printf("   GetTlsKey: %s\n", err != NULL ? err : "(none)");
    CHECK(err != NULL && strncmp(err, "Failed to sign the CSR: KMS ", 28) == 0);
    CHECK(err != NULL && strstr(err, e.url) != NULL);
    CHECK(err != NULL && strstr(err, f->cause) != NULL);
    CHECK(err2 != NULL && strstr(err2, f->cause) != NULL);
    /* Up, and app_cert still "" (unless the KMS issued it before it was killed). */
    CHECK(info_answers(&e, &empty) && (empty || f->kill_kms));
    int open_conns = -1;
    for (int i = 0; i < 50 && open_conns != 0; i++) { /* up to 5 s: valgrind is slow to close */
        usleep(100000);
        open_conns = kms_env_sim_tcp(&e);
    }
    CHECK(open_conns == 0); /* no KMS connection left open */
    free(err);
    free(err2);
    CHECK(kms_env_stop(&e) == 0);
}

struct slow_call {
    char *err;
    bool done;
};

static void *slow_get_tls_key(void *arg)
{
    struct slow_call *c = arg;
    extern struct kms_env slow_env;
    c->err = error_of(slow_env.sim.dstack_sock, "/GetTlsKey", "{}");
    __atomic_store_n(&c->done, true, __ATOMIC_SEQ_CST);
    return NULL;
}

struct kms_env slow_env;

/* The KMS answers after 30 s, the agent waits 3 s: the call ends with a timeout, long before
 * the KMS would answer (with room for valgrind's slowness), while GetKey and Info answer
 * meanwhile. */
static void test_slow(void)
{
    static const char *const args[] = {"--delay-ms", "30000", NULL};
    struct slow_call c = {0};
    pthread_t t;
    printf("-- KMS slow\n");
    if (!kms_env_start(&slow_env, args, false, 3000, 3000)) {
        CHECK(!"environment starts");
        kms_env_stop(&slow_env);
        return;
    }
    double t0 = now_s();
    CHECK(pthread_create(&t, NULL, slow_get_tls_key, &c) == 0);
    usleep(200000);
    struct http_reply r = {0};
    CHECK(http_post_json(slow_env.sim.dstack_sock, "/GetKey", "{\"path\":\"/x\"}", &r) &&
          r.status == 200);
    http_reply_free(&r);
    CHECK(info_answers(&slow_env, NULL));
    CHECK(!__atomic_load_n(&c.done, __ATOMIC_SEQ_CST)); /* answered while the KMS call waits */
    pthread_join(t, NULL);
    double took = now_s() - t0;
    printf("   GetTlsKey after %.1f s: %s\n", took, c.err != NULL ? c.err : "(none)");
    CHECK(c.err != NULL && strstr(c.err, "SignCert: timed out (connect limit 3000 ms, total "
                                         "limit 3000 ms)") != NULL);
    /* Ended by the configured limit, not by the KMS's answer after 30 s. */
    CHECK(took < 20);
    free(c.err);
    CHECK(kms_env_stop(&slow_env) == 0);
}

/* Info.app_cert when the KMS refuses the first two calls (503): start-up is not held up, the
 * background task logs each failure and retries (1 s, then 2 s), and the chain arrives. */
static void test_app_cert_retry(void)
{
    /* Under valgrind (DSTACK_TEST_WRAPPER) start-up alone can take the 3 s that two refusals
     * last, so there the KMS refuses four times (15 s of retries). */
    static const char *const args[] = {"--refuse-first", "2", NULL};
    static const char *const slow_args[] = {"--refuse-first", "4", NULL};
    const char *wrapper = getenv("DSTACK_TEST_WRAPPER");
    bool slow = wrapper != NULL && wrapper[0] != '\0';
    struct kms_env e;
    bool empty = true;
    printf("-- KMS not ready at start-up\n");
    if (!kms_env_start(&e, slow ? slow_args : args, false, 0, 0)) {
        CHECK(!"environment starts");
        kms_env_stop(&e);
        return;
    }
    CHECK(info_answers(&e, &empty) && empty); /* serving while the KMS refuses */
    for (int i = 0; i < 400 && empty; i++) {
        usleep(100000);
        CHECK(info_answers(&e, &empty));
    }
    CHECK(!empty);
    char path[450];
    size_t len;
    snprintf(path, sizeof path, "%s/simulator.log", e.sim.dir);
    char *log = check_read_file(path, &len);
    CHECK(log != NULL &&
          strstr(log, "Info.app_cert not issued (Failed to sign the CSR: KMS ") != NULL);
    CHECK(log != NULL && strstr(log, "the KMS refused (HTTP 503)") != NULL);
    CHECK(log != NULL && strstr(log, "retrying in 2 s") != NULL);
    CHECK(log != NULL && strstr(log, "Info.app_cert issued by the KMS") != NULL);
    free(log);
    CHECK(kms_env_stop(&e) == 0);
}

int main(void)
{
    test_app_cert_retry();
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        run_fault(&faults[i]);
    }
    test_slow();
    return check_exit();
}
