/* The memory floor beside figure 4: a program that links the daemon's libraries and uses each
 * once, the way any daemon built on them must, then waits to be measured. What it costs is what
 * the libraries themselves cost (relocations, their init's heap, the code pages their first use
 * touches); the daemon's figure minus this one is what dstack-c itself adds.
 * Usage: memory_floor (prints "ready" once initialised, exits on SIGTERM). */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <secp256k1.h>
#include <systemd/sd-daemon.h>

static enum MHD_Result refuse(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *size, void **state)
{
    (void)cls, (void)c, (void)url, (void)method, (void)version, (void)data, (void)size;
    (void)state;
    return MHD_NO;
}

int main(void)
{
    /* OpenSSL: one digest and one P-256 key, as the daemon's first quote or certificate does */
    unsigned char digest[32];
    unsigned len = 0;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    bool ok = EVP_Digest("x", 1, digest, &len, EVP_sha256(), NULL) == 1 && key != NULL;
    EVP_PKEY_free(key);
    /* libsecp256k1: a randomised context, as lib/crypto/k256.c makes */
    secp256k1_context *k256 = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    ok = ok && k256 != NULL && secp256k1_context_randomize(k256, digest) == 1;
    /* libcurl, cJSON, libsystemd's service calls: initialised and used once */
    ok = ok && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    cJSON *json = cJSON_Parse("{\"a\":[1,\"b\"]}");
    ok = ok && json != NULL;
    cJSON_Delete(json);
    ok = ok && sd_listen_fds(0) >= 0;
    (void)sd_notify(0, "READY=1");
    /* libmicrohttpd: a daemon with its polling thread (initialising it initialises GnuTLS) */
    struct MHD_Daemon *mhd =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_NO_LISTEN_SOCKET,
                         0, NULL, NULL, refuse, NULL, MHD_OPTION_END);
    ok = ok && mhd != NULL;
    if (!ok) {
        fprintf(stderr, "memory_floor: a library failed to initialise\n");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, NULL);
    int sig = 0;
    sigwait(&term, &sig);
    MHD_stop_daemon(mhd);
    secp256k1_context_destroy(k256);
    curl_global_cleanup();
    return 0;
}
