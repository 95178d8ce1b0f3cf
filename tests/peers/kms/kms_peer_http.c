/* The test KMS's TLS server: OpenSSL, one thread per connection, one request per connection.
 * A client certificate signed by the KMS's temporary CA is required; when it carries an RA-TLS
 * attestation that is verified too, as ra-rpc's server does ("invalid quote",
 * ra-rpc/src/rocket_helper.rs handle_prpc_impl). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include <dstack/ratls.h>

#include "kms_peer.h"
#include "util/error.h"

#define HTTP_HEAD_MAX 8192
#define HTTP_BODY_MAX (4u << 20)

struct conn {
    struct peer *peer;
    int fd;
};

/* Reads head and body; false on a broken or oversized request. */
static bool read_request(SSL *ssl, char *head, char **body, size_t *body_len)
{
    size_t used = 0;
    char *end = NULL;
    while (end == NULL) {
        if (used + 1 >= HTTP_HEAD_MAX) {
            return false;
        }
        int n = SSL_read(ssl, head + used, (int)(HTTP_HEAD_MAX - 1 - used));
        if (n <= 0) {
            return false;
        }
        used += (size_t)n;
        head[used] = '\0';
        end = strstr(head, "\r\n\r\n");
    }
    size_t head_len = (size_t)(end - head) + 4, clen = 0;
    for (char *h = strchr(head, '\n'); h != NULL && h < end; h = strchr(h + 1, '\n')) {
        if (strncasecmp(h + 1, "Content-Length:", 15) == 0) {
            clen = strtoul(h + 16, NULL, 10);
        }
    }
    if (clen > HTTP_BODY_MAX || (*body = malloc(clen + 1)) == NULL) {
        return false;
    }
    size_t have = used - head_len;
    memcpy(*body, head + head_len, have);
    while (have < clen) {
        int n = SSL_read(ssl, *body + have, (int)(clen - have));
        if (n <= 0) {
            return false;
        }
        have += (size_t)n;
    }
    (*body)[clen] = '\0';
    *body_len = clen;
    *end = '\0';
    return true;
}

static void send_answer(SSL *ssl, int status, const char *body, bool truncate)
{
    char head[256];
    size_t len = strlen(body);
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: "
                     "%zu\r\nConnection: close\r\n\r\n",
                     status,
                     status == 200   ? "OK"
                     : status == 503 ? "Service Unavailable"
                                     : "Bad Request",
                     len);
    SSL_write(ssl, head, n);
    SSL_write(ssl, body, (int)(truncate ? len / 2 : len));
}

/* The client certificate's RA-TLS attestation, when it has one. NULL = fine. */
static char *check_client(const struct peer *p, SSL *ssl)
{
    X509 *x = SSL_get1_peer_certificate(ssl);
    unsigned char *der = NULL;
    int n = x != NULL ? i2d_X509(x, &der) : -1;
    struct dstack_ratls_cert *c = NULL;
    char *err = NULL;
    const uint8_t *att;
    size_t att_len;
    if (n <= 0 || dstack_ratls_cert_parse(der, (size_t)n, &c) != DSTACK_OK) {
        err = json_error("failed to construct call: bad client certificate");
    } else if (dstack_ratls_cert_attestation(c, &att, &att_len) == DSTACK_OK &&
               dstack_ratls_check_binding(c, p->quote_root_pem, strlen(p->quote_root_pem)) !=
                   DSTACK_OK) {
        err = json_error("invalid quote: %s", err_text());
    }
    dstack_ratls_cert_free(c);
    OPENSSL_free(der);
    X509_free(x);
    return err;
}

static void dispatch(struct peer *p, SSL *ssl, const char *head, const char *body, size_t len)
{
    char *answer = NULL;
    int status = 400;
    char method[16] = "", path[512] = "";
    const char *sp = strchr(head, ' ');
    const char *sp2 = sp != NULL ? strchr(sp + 1, ' ') : NULL;
    if (sp != NULL && sp2 != NULL && (size_t)(sp - head) < sizeof method &&
        (size_t)(sp2 - sp - 1) < sizeof path) {
        memcpy(method, head, (size_t)(sp - head));
        memcpy(path, sp + 1, (size_t)(sp2 - sp - 1));
    }
    /* Mounted at /prpc; the method may carry the service name, which is trimmed ("KMS."). */
    const char *m = strncmp(path, "/prpc/", 6) == 0 ? path + 6 : "";
    if (strncmp(m, "KMS.", 4) == 0) {
        m += 4;
    }
    if ((answer = check_client(p, ssl)) != NULL) {
        status = 400;
    } else if (strcmp(method, "POST") == 0 && strcmp(m, "SignCert?json") == 0) {
        unsigned left = atomic_load(&p->refuse_first);
        while (left > 0 && !atomic_compare_exchange_weak(&p->refuse_first, &left, left - 1)) {
        }
        if (left > 0) {
            answer = json_error("KMS is not ready (test: %u more refusals)", left - 1);
            status = 503;
        } else {
            sign_cert_handle(p, body, len, &status, &answer);
        }
    } else if (strncmp(m, "GetMeta", 7) == 0 && (m[7] == '\0' || m[7] == '?')) {
        get_meta_handle(p, &status, &answer);
    } else {
        answer = json_error("Method not found: %.100s", m);
        status = 404;
    }
    if (p->delay_ms > 0) {
        struct timespec d = {(time_t)(p->delay_ms / 1000), (long)(p->delay_ms % 1000) * 1000000L};
        nanosleep(&d, NULL);
    }
    if (p->answer == ANSWER_GARBAGE && status == 200) {
        send_answer(ssl, 200, "<html>this is not the KMS you are looking for</html>", false);
    } else {
        send_answer(ssl, status, answer != NULL ? answer : "{}",
                    p->answer == ANSWER_TRUNCATED && status == 200);
    }
    fprintf(stderr, "test-kms: %s %s -> %d\n", method, path, status);
    free(answer);
}

static void *serve_conn(void *arg)
{
    struct conn *c = arg;
    SSL *ssl = SSL_new(c->peer->ssl);
    char head[HTTP_HEAD_MAX];
    char *body = NULL;
    size_t len = 0;
    if (ssl != NULL && SSL_set_fd(ssl, c->fd) == 1 && SSL_accept(ssl) == 1 &&
        read_request(ssl, head, &body, &len)) {
        dispatch(c->peer, ssl, head, body, len);
        SSL_shutdown(ssl);
    } else {
        fprintf(stderr, "test-kms: connection refused: %s\n",
                ERR_reason_error_string(ERR_peek_last_error()));
    }
    ERR_clear_error();
    free(body);
    SSL_free(ssl);
    close(c->fd);
    free(c);
    return NULL;
}

void http_serve(struct peer *p, int listen_fd)
{
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        struct conn *c = malloc(sizeof *c);
        pthread_t t;
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->peer = p;
        c->fd = fd;
        if (pthread_create(&t, NULL, serve_conn, c) != 0) {
            close(fd);
            free(c);
            continue;
        }
        pthread_detach(t);
    }
}
