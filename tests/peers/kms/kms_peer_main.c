/* dstack-test-kms: see kms_peer.h and docs/kms.md "The test KMS".
 *
 * dstack-test-kms --quote-root PEM --allow-app-id HEX [--allow-app-id HEX...]
 *                 --keys-out FILE [--root-out FILE] [--port N] [--wrong-ca-in-keys]
 *                 [--expired-server-cert] [--delay-ms N] [--refuse-first N]
 *                 [--answer normal|garbage|truncated|wrong-shape|wrong-key|tamper-signature]
 *
 * Binds 127.0.0.1 (port 0 = any), writes a keys file whose key_provider is Kms and points at
 * it, prints "listening <url>" on stdout and serves until killed. */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kms_peer.h"
#include "util/error.h"
#include "util/file.h"
#include "util/hex.h"

static const char *const answer_names[] = {
    [ANSWER_NORMAL] = "normal",       [ANSWER_GARBAGE] = "garbage",
    [ANSWER_TRUNCATED] = "truncated", [ANSWER_WRONG_SHAPE] = "wrong-shape",
    [ANSWER_WRONG_KEY] = "wrong-key", [ANSWER_TAMPER_SIG] = "tamper-signature",
};

static int usage(const char *msg)
{
    fprintf(stderr, "dstack-test-kms: %s\n", msg);
    return 2;
}

static SSL_CTX *server_ctx(struct peer *p)
{
    struct p256_key key;
    EVP_PKEY *pk = NULL;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    X509 *cert = p256_generate(&key) == DSTACK_OK
                     ? pki_make_cert(NULL, "test-kms", &key, p->root_cert, &p->root_key, -1,
                                     p->expired_server_cert, NULL, NULL)
                     : NULL;
    X509_STORE *store = ctx != NULL ? SSL_CTX_get_cert_store(ctx) : NULL;
    bool ok = cert != NULL && store != NULL && p256_to_evp(&key, &pk) == DSTACK_OK &&
              SSL_CTX_use_certificate(ctx, cert) == 1 && SSL_CTX_use_PrivateKey(ctx, pk) == 1 &&
              X509_STORE_add_cert(store, p->tmp_cert) == 1;
    /* Client certificates: required, and issued by the temporary CA (ra-rpc's mTLS). */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    X509_free(cert);
    EVP_PKEY_free(pk);
    if (!ok) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static int parse_args(struct peer *p, int argc, char **argv, const char **keys_out,
                      const char **root_out, unsigned *port, bool *wrong_ca)
{
    static const struct option opts[] = {
        {"quote-root", required_argument, NULL, 'q'},
        {"allow-app-id", required_argument, NULL, 'a'},
        {"keys-out", required_argument, NULL, 'k'},
        {"root-out", required_argument, NULL, 'r'},
        {"port", required_argument, NULL, 'p'},
        {"wrong-ca-in-keys", no_argument, NULL, 'w'},
        {"expired-server-cert", no_argument, NULL, 'e'},
        {"delay-ms", required_argument, NULL, 'd'},
        {"refuse-first", required_argument, NULL, 'R'},
        {"answer", required_argument, NULL, 'A'},
        {NULL, 0, NULL, 0},
    };
    int c;
    size_t n, len;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'q':
            if (file_read_all(optarg, 1u << 20, &p->quote_root_pem, &len, NULL) != DSTACK_OK) {
                return usage(err_text());
            }
            break;
        case 'a':
            if (p->n_apps == PEER_MAX_APPS ||
                hex_decode(optarg, strlen(optarg), p->apps[p->n_apps], DSTACK_APP_ID_LEN, &n) !=
                    DSTACK_OK ||
                n != DSTACK_APP_ID_LEN) {
                return usage("--allow-app-id: 20 bytes of hex");
            }
            p->n_apps++;
            break;
        case 'k':
            *keys_out = optarg;
            break;
        case 'r':
            *root_out = optarg;
            break;
        case 'p':
            *port = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'w':
            *wrong_ca = true;
            break;
        case 'e':
            p->expired_server_cert = true;
            break;
        case 'd':
            p->delay_ms = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'R':
            atomic_store(&p->refuse_first, (unsigned)strtoul(optarg, NULL, 10));
            break;
        case 'A':
            for (n = 0; n < sizeof answer_names / sizeof answer_names[0]; n++) {
                if (strcmp(optarg, answer_names[n]) == 0) {
                    p->answer = (enum peer_answer)n;
                    break;
                }
            }
            if (n == sizeof answer_names / sizeof answer_names[0]) {
                return usage("--answer: unknown behaviour");
            }
            break;
        default:
            return usage("unknown option");
        }
    }
    if (p->quote_root_pem == NULL || p->n_apps == 0 || *keys_out == NULL) {
        return usage("--quote-root, --allow-app-id and --keys-out are required");
    }
    return 0;
}

static int listen_loopback(unsigned port, unsigned *bound)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    socklen_t sl = sizeof sa;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 128) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        return -1;
    }
    *bound = ntohs(sa.sin_port);
    return fd;
}

int main(int argc, char **argv)
{
    static struct peer p;
    const char *keys_out = NULL, *root_out = NULL;
    unsigned port = 0, bound = 0;
    bool wrong_ca = false;
    char url[128];

    signal(SIGPIPE, SIG_IGN);
    int rc = parse_args(&p, argc, argv, &keys_out, &root_out, &port, &wrong_ca);
    if (rc != 0) {
        return rc;
    }
    err_clear();
    if (pki_setup(&p) != DSTACK_OK || (p.ssl = server_ctx(&p)) == NULL) {
        return usage(err_text()[0] ? err_text() : "cannot set up TLS");
    }
    int fd = listen_loopback(port, &bound);
    if (fd < 0) {
        return usage("cannot listen on 127.0.0.1");
    }
    snprintf(url, sizeof url, "https://127.0.0.1:%u/prpc", bound);
    if (pki_write_keys_file(&p, keys_out, url, wrong_ca) != DSTACK_OK) {
        return usage(err_text());
    }
    if (root_out != NULL) {
        FILE *f = fopen(root_out, "w");
        if (f == NULL || fputs(p.root_pem, f) < 0 || fclose(f) != 0) {
            return usage("--root-out: cannot write");
        }
    }
    printf("listening %s\n", url);
    fflush(stdout);
    http_serve(&p, fd);
    return 1;
}
