/* A real TLS handshake with what GetTlsKey issues: an OpenSSL server on 127.0.0.1 presents the
 * key and chain from the running simulator, a client verifies the chain against the app CA of the
 * simulator's keys file (hostname and IP SANs included), then runs libdstack's RA-TLS
 * verification (include/dstack/ratls.h) on the peer certificate: the attestation extension binds
 * the leaf key (report data = SHA-512("ratls-cert:" || SPKI), docs/api/GetTlsKey.md) and its quote
 * verifies under the simulator's tdx-root-ca.pem (docs/attestation.md). Mutual TLS with a client
 * certificate, a foreign CA, a wrong host name and a certificate without attestation are refused
 * where they must be. */
#include <arpa/inet.h>
#include "json/json.h"
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <dstack/client.h>
#include <dstack/quote.h>
#include <dstack/ratls.h>

#include "attest/versioned.h"
#include "check.h"
#include "harness.h"
#include "util/error.h"

static struct sim sim;
static char *root_pem; /* quote root: <dir>/tdx-root-ca.pem */
static char *app_ca;   /* app CA: appkeys.json ca_cert */

static struct dstack_get_tls_key_response *tls_key(struct dstack_client *c, bool ra_tls,
                                                   bool client_auth)
{
    static const char *const alt[] = {"localhost", "127.0.0.1"};
    struct dstack_tls_key_options o;
    dstack_tls_key_options_init(&o);
    o.subject = "localhost";
    o.alt_names = alt;
    o.n_alt_names = 2;
    o.usage_ra_tls = ra_tls;
    o.usage_client_auth = client_auth;
    o.has_with_app_info = true;
    o.with_app_info = ra_tls;
    struct dstack_get_tls_key_response *t = NULL;
    dstack_err err = dstack_get_tls_key(c, &o, &t);
    if (err != DSTACK_OK) {
        fprintf(stderr, "get_tls_key: %s\n", dstack_last_error());
    }
    CHECK(err == DSTACK_OK && t != NULL && t->certificate_chain_len == 2);
    return t;
}

static X509 *pem_x509(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    return x;
}

static X509_STORE *store_of(const char *ca_pem)
{
    X509_STORE *s = X509_STORE_new();
    X509 *ca = pem_x509(ca_pem);
    CHECK(s != NULL && ca != NULL && X509_STORE_add_cert(s, ca) == 1);
    X509_free(ca);
    return s;
}

/* An SSL_CTX presenting the GetTlsKey leaf, the app CA as extra chain certificate, the key. */
static SSL_CTX *ctx_with_key(const SSL_METHOD *m, const struct dstack_get_tls_key_response *t)
{
    SSL_CTX *ctx = SSL_CTX_new(m);
    X509 *leaf = pem_x509(t->certificate_chain[0]);
    X509 *ca = pem_x509(t->certificate_chain[1]);
    BIO *kb = BIO_new_mem_buf(t->key, -1);
    EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    bool ok = ctx != NULL && leaf != NULL && ca != NULL && k != NULL &&
              SSL_CTX_use_certificate(ctx, leaf) == 1 && SSL_CTX_add1_chain_cert(ctx, ca) == 1 &&
              SSL_CTX_use_PrivateKey(ctx, k) == 1 && SSL_CTX_check_private_key(ctx) == 1;
    CHECK(ok);
    X509_free(leaf);
    X509_free(ca);
    EVP_PKEY_free(k);
    BIO_free(kb);
    return ctx;
}

struct server {
    int listen_fd;
    SSL_CTX *ctx;
    bool handshake_ok;
    char client_chain[16384]; /* PEM of the client's chain when it sent one */
};

static void chain_pem(STACK_OF(X509) * sk, X509 *first, char *out, size_t cap)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (first != NULL) {
        PEM_write_bio_X509(b, first);
    }
    for (int i = 0; i < sk_X509_num(sk); i++) {
        X509 *x = sk_X509_value(sk, i);
        if (x != first && (first == NULL || X509_cmp(x, first) != 0)) {
            PEM_write_bio_X509(b, x);
        }
    }
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    size_t len = n > 0 ? (size_t)n : 0;
    if (len >= cap) {
        len = 0;
    }
    memcpy(out, p, len);
    out[len] = '\0';
    BIO_free(b);
}

static void *serve_one(void *arg)
{
    struct server *s = arg;
    int fd = accept(s->listen_fd, NULL, NULL);
    SSL *ssl = fd >= 0 ? SSL_new(s->ctx) : NULL;
    if (ssl != NULL && SSL_set_fd(ssl, fd) == 1 && SSL_accept(ssl) == 1) {
        char buf[16] = "";
        int n = SSL_read(ssl, buf, sizeof buf - 1);
        s->handshake_ok = n == 4 && memcmp(buf, "ping", 4) == 0 && SSL_write(ssl, "pong", 4) == 4;
        X509 *peer = SSL_get1_peer_certificate(ssl);
        if (peer != NULL) { /* server side: the chain excludes the leaf */
            chain_pem(SSL_get_peer_cert_chain(ssl), peer, s->client_chain, sizeof s->client_chain);
            X509_free(peer);
        }
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    if (fd >= 0) {
        close(fd);
    }
    ERR_clear_error();
    return NULL;
}

struct outcome {
    bool connected;     /* handshake and ping/pong completed */
    long verify_result; /* SSL_get_verify_result */
    char peer_chain[16384];
};

/* One connection: server_ctx on an ephemeral 127.0.0.1 port, a client trusting ca_pem and
 * checking `host` (DNS) or `ip`. client_key: a client certificate for mutual TLS, or NULL. */
static void handshake(SSL_CTX *server_ctx, const char *ca_pem, const char *host, const char *ip,
                      const struct dstack_get_tls_key_response *client_key, struct outcome *out,
                      struct server *srv)
{
    memset(out, 0, sizeof *out);
    memset(srv, 0, sizeof *srv);
    srv->ctx = server_ctx;
    srv->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    CHECK(bind(srv->listen_fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
          listen(srv->listen_fd, 1) == 0 &&
          getsockname(srv->listen_fd, (struct sockaddr *)&sa, &sl) == 0);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, serve_one, srv) == 0);

    SSL_CTX *cctx = client_key ? ctx_with_key(TLS_client_method(), client_key)
                               : SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_cert_store(cctx, store_of(ca_pem));
    SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
    SSL *ssl = SSL_new(cctx);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (host != NULL) {
        SSL_set1_host(ssl, host);
        SSL_set_tlsext_host_name(ssl, host);
    } else {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip);
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && SSL_set_fd(ssl, fd) == 1 &&
        SSL_connect(ssl) == 1) {
        char buf[8] = "";
        out->connected = SSL_write(ssl, "ping", 4) == 4 && SSL_read(ssl, buf, 4) == 4 &&
                         memcmp(buf, "pong", 4) == 0;
        /* client side: the peer chain starts with the leaf */
        chain_pem(SSL_get_peer_cert_chain(ssl), NULL, out->peer_chain, sizeof out->peer_chain);
        SSL_shutdown(ssl);
    }
    out->verify_result = SSL_get_verify_result(ssl);
    SSL_free(ssl);
    SSL_CTX_free(cctx);
    close(fd); /* the server's accept/handshake ends either way */
    pthread_join(th, NULL);
    close(srv->listen_fd);
    ERR_clear_error();
}

/* RA-TLS verification of a peer chain, plus the binding spelled out by hand. */
static dstack_err ratls_check(const char *chain, const char *ca)
{
    struct dstack_ratls_cert *leaf = NULL;
    dstack_err err = dstack_ratls_verify_chain(chain, strlen(chain), ca, strlen(ca), root_pem,
                                               strlen(root_pem), &leaf);
    /* The library must leave the caller's OpenSSL error queue as it found it: TLS code on the
     * same thread reads it through SSL_get_error. */
    if (ERR_peek_error() != 0) {
        ERR_print_errors_fp(stderr); /* prints and empties the queue */
        CHECK(0);
    }
    if (err == DSTACK_OK) {
        const uint8_t *att = NULL, *spki = NULL;
        size_t att_len = 0, spki_len = 0;
        uint8_t want[DSTACK_REPORT_DATA_LEN];
        struct versioned_attestation a = {0};
        struct dstack_quote q;
        spki = dstack_ratls_cert_spki(leaf, &spki_len);
        CHECK(dstack_ratls_report_data(spki, spki_len, want) == DSTACK_OK);
        CHECK(dstack_ratls_cert_attestation(leaf, &att, &att_len) == DSTACK_OK);
        CHECK(versioned_decode(att, att_len, &a) == DSTACK_OK);
        CHECK(dstack_quote_parse(a.quote, a.quote_len, &q) == DSTACK_OK);
        CHECK(memcmp(q.report.report_data, want, sizeof want) == 0);
        versioned_free(&a);
    }
    dstack_ratls_cert_free(leaf);
    return err;
}

/* A self-signed CA of a fresh key: a trust anchor that issued nothing we see. */
static char *foreign_ca(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    char *pem = NULL;
    if (k != NULL && x != NULL) {
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
        X509_gmtime_adj(X509_getm_notBefore(x), -3600);
        X509_gmtime_adj(X509_getm_notAfter(x), 3600);
        X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                   (const unsigned char *)"Dstack KMS CA", -1, -1, 0);
        X509_set_issuer_name(x, X509_get_subject_name(x));
        X509_set_pubkey(x, k);
        X509_sign(x, k, EVP_sha256());
        BIO *b = BIO_new(BIO_s_mem());
        PEM_write_bio_X509(b, x);
        char *p = NULL;
        long n = BIO_get_mem_data(b, &p);
        pem = calloc(1, (size_t)n + 1);
        if (pem != NULL) {
            memcpy(pem, p, (size_t)n);
        }
        BIO_free(b);
    }
    X509_free(x);
    EVP_PKEY_free(k);
    return pem;
}

int main(void)
{
    if (!sim_start(&sim, NULL)) {
        return 1;
    }
    root_pem = sim_quote_root(&sim);
    app_ca = sim_app_ca(&sim);
    char *other_ca = foreign_ca();
    struct dstack_client *c = NULL;
    CHECK(root_pem != NULL && app_ca != NULL && other_ca != NULL);
    CHECK(dstack_client_new(sim.dstack_sock, NULL, &c) == DSTACK_OK);
    struct dstack_get_tls_key_response *srv_key = tls_key(c, true, false);
    struct dstack_get_tls_key_response *cli_key = tls_key(c, true, true);
    struct dstack_get_tls_key_response *plain_key = tls_key(c, false, false);
    static struct outcome o;
    static struct server s;
    err_clear();
    if (root_pem == NULL || app_ca == NULL || other_ca == NULL || srv_key == NULL ||
        cli_key == NULL || plain_key == NULL) {
        goto out;
    }

    /* 1. Server authentication by DNS name, then RA-TLS on the peer chain. */
    SSL_CTX *sctx = ctx_with_key(TLS_server_method(), srv_key);
    handshake(sctx, app_ca, "localhost", NULL, NULL, &o, &s);
    CHECK(o.connected && s.handshake_ok && o.verify_result == X509_V_OK);
    err_clear();
    dstack_err e = ratls_check(o.peer_chain, app_ca);
    if (e != DSTACK_OK) {
        fprintf(stderr, "ratls: %s\n", err_text());
    }
    CHECK(e == DSTACK_OK);
    /* The peer chain is the chain GetTlsKey returned (leaf, then the CA). */
    CHECK(strncmp(o.peer_chain, srv_key->certificate_chain[0],
                  strlen(srv_key->certificate_chain[0])) == 0);

    /* 2. By IP SAN. */
    handshake(sctx, app_ca, NULL, "127.0.0.1", NULL, &o, &s);
    CHECK(o.connected && o.verify_result == X509_V_OK);

    /* 3. A host name the certificate does not carry, and a CA that did not issue it. */
    handshake(sctx, app_ca, "other.example", NULL, NULL, &o, &s);
    CHECK(!o.connected && o.verify_result == X509_V_ERR_HOSTNAME_MISMATCH);
    handshake(sctx, other_ca, "localhost", NULL, NULL, &o, &s);
    CHECK(!o.connected && o.verify_result != X509_V_OK);
    SSL_CTX_free(sctx);

    /* 4. Mutual TLS: the server requires a client certificate issued by the app CA and checks
     * the client's RA-TLS binding too. */
    sctx = ctx_with_key(TLS_server_method(), srv_key);
    SSL_CTX_set_cert_store(sctx, store_of(app_ca));
    SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    handshake(sctx, app_ca, "localhost", NULL, cli_key, &o, &s);
    CHECK(o.connected && s.handshake_ok);
    CHECK(ratls_check(s.client_chain, app_ca) == DSTACK_OK);
    /* A client certificate without clientAuth in its EKU is refused by the server. */
    handshake(sctx, app_ca, "localhost", NULL, srv_key, &o, &s);
    CHECK(!s.handshake_ok);
    SSL_CTX_free(sctx);

    /* 5. A TLS-valid certificate without attestation: TLS succeeds, RA-TLS refuses it. */
    sctx = ctx_with_key(TLS_server_method(), plain_key);
    handshake(sctx, app_ca, "localhost", NULL, NULL, &o, &s);
    CHECK(o.connected && o.verify_result == X509_V_OK);
    err_clear();
    CHECK(ratls_check(o.peer_chain, app_ca) == DSTACK_EVERIFY);
    CHECK_STR(err_text(), "certificate has no attestation extension");
    SSL_CTX_free(sctx);

    /* 6. The RA-TLS check against a foreign quote root refuses the quote. */
    {
        struct dstack_get_tls_key_response *t = srv_key;
        size_t n = strlen(t->certificate_chain[0]) + strlen(t->certificate_chain[1]) + 1;
        char *chain = calloc(1, n);
        snprintf(chain, n, "%s%s", t->certificate_chain[0], t->certificate_chain[1]);
        err_clear();
        CHECK(dstack_ratls_verify_chain(chain, strlen(chain), app_ca, strlen(app_ca), other_ca,
                                        strlen(other_ca), NULL) == DSTACK_EVERIFY);
        CHECK(strncmp(err_text(), "quote verification failed: ", 27) == 0);
        CHECK(ERR_peek_error() == 0);
        free(chain);
    }
out:
    dstack_get_tls_key_response_free(srv_key);
    dstack_get_tls_key_response_free(cli_key);
    dstack_get_tls_key_response_free(plain_key);
    dstack_client_free(c);
    free(other_ca);
    free(root_pem);
    free(app_ca);
    CHECK(sim_stop(&sim) == 0);
    return check_exit();
}
