/* HTTP/1.1 over a Unix socket, TCP or vsock (util/vsock.h) with libcurl. Each client owns a
 * pool of easy handles; a call borrows one, so threads never share a handle (libcurl's rule) and
 * a handle returned to the pool keeps its keep-alive connection for the next call
 * (docs/sdk.md). */
#include "client/client_internal.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "util/secret.h"

/* libcurl's receive buffer per transfer (its default is 16 KiB). */
#define CLIENT_RECV_BUFFER (64 * 1024)

struct client_conn {
    CURL *h;
    struct client_conn *next;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;

static void curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

dstack_err transport_global_init(void)
{
    (void)pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK) {
        return err_set(DSTACK_ETRANSPORT, "libcurl initialisation failed: %s",
                       curl_easy_strerror(curl_init_rc));
    }
    return DSTACK_OK;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *user)
{
    struct transport_body *b = user;
    size_t n = size * nmemb;
    if (n > CLIENT_MAX_RESPONSE - b->len) {
        b->too_large = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        char *d = realloc(b->data, cap);
        if (d == NULL) {
            return 0;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

static struct client_conn *pool_take(struct dstack_client *c)
{
    pthread_mutex_lock(&c->pool_lock);
    struct client_conn *conn = c->idle;
    if (conn != NULL) {
        c->idle = conn->next;
    }
    pthread_mutex_unlock(&c->pool_lock);
    if (conn == NULL) {
        conn = calloc(1, sizeof *conn);
        if (conn == NULL) {
            return NULL;
        }
        conn->h = transport_handle_new(c);
        if (conn->h == NULL) {
            free(conn);
            return NULL;
        }
    }
    return conn;
}

static void pool_give(struct dstack_client *c, struct client_conn *conn)
{
    pthread_mutex_lock(&c->pool_lock);
    conn->next = c->idle;
    c->idle = conn;
    pthread_mutex_unlock(&c->pool_lock);
}

void transport_pool_free(struct dstack_client *c)
{
    struct client_conn *conn = c->idle;
    while (conn != NULL) {
        struct client_conn *next = conn->next;
        curl_easy_cleanup(conn->h);
        free(conn);
        conn = next;
    }
    c->idle = NULL;
}

void transport_result_free(struct client_http_result *r)
{
    if (r != NULL) {
        free(r->body);
        r->body = NULL;
        r->body_len = 0;
    }
}

static char *build_url(const struct dstack_client *c, const char *method)
{
    const char *base = c->kind == DSTACK_ENDPOINT_HTTP ? c->endpoint : "http://localhost";
    size_t n = strlen(base) + strlen(c->path_prefix) + strlen(method) + 1;
    char *url = malloc(n);
    if (url != NULL) {
        (void)snprintf(url, n, "%s%s%s", base, c->path_prefix, method);
    }
    return url;
}

void transport_xfer_release(CURL *h, struct transport_xfer *x)
{
    if (h != NULL) {
        /* Drop options pointing at x before the handle is reused or pooled. */
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
        vsock_curl_detach(h);
    }
    if (x->buf.data != NULL) { /* a cut-off answer may still hold key material */
        secret_wipe(x->buf.data, x->buf.len);
    }
    free(x->buf.data);
    x->buf.data = NULL;
    x->buf.len = x->buf.cap = 0;
    free(x->url);
    x->url = NULL;
}

struct curl_slist *transport_headers_new(const char *user_agent)
{
    char ua[256];
    (void)snprintf(ua, sizeof ua, "User-Agent: %s", user_agent);
    struct curl_slist *h1 = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *h2 = h1 ? curl_slist_append(h1, ua) : NULL;
    /* "Expect: 100-continue" would cost a round trip on bodies over 1 KiB. */
    struct curl_slist *h3 = h2 ? curl_slist_append(h2, "Expect:") : NULL;
    if (h3 == NULL) {
        curl_slist_free_all(h1);
    }
    return h3;
}

void transport_headers_free(struct curl_slist *headers)
{
    curl_slist_free_all(headers);
}

/* The options that stay the same for every call a handle makes (a handle serves one client). */
static void handle_configure(struct dstack_client *c, CURL *h)
{
    if (c->kind == DSTACK_ENDPOINT_UNIX) {
        curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->endpoint);
    }
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
    /* One read for a whole quote (~29 KB): with libcurl's default 16 KiB it took three reads
     * and four polls. */
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, (long)CLIENT_RECV_BUFFER);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM in a multi-threaded app */
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
}

CURL *transport_handle_new(struct dstack_client *c)
{
    CURL *h = curl_easy_init();
    if (h != NULL) {
        handle_configure(c, h);
    }
    return h;
}

dstack_err transport_prepare(struct dstack_client *c, CURL *h, const char *method, const char *body,
                             unsigned timeout_ms, struct transport_xfer *x)
{
    memset(x, 0, sizeof *x);
    x->timeout_ms = timeout_ms != 0 ? timeout_ms : c->timeout_ms;
    x->url = build_url(c, method);
    if (x->url == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    /* Only what changes per call is set: the handle keeps handle_configure's options, and
     * curl_easy_reset would drop its 64 KiB buffer, which the next call allocates again. */
    curl_easy_setopt(h, CURLOPT_URL, x->url);
    if (c->kind == DSTACK_ENDPOINT_VSOCK) {
        /* Per transfer, so that concurrent calls on one client each keep their own errno. */
        x->vsock = (struct vsock_peer){.cid = c->vsock_cid, .port = c->vsock_port};
        vsock_curl_attach(h, &x->vsock);
    }
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body); /* not copied: body outlives the transfer */
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x->buf);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)x->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)x->timeout_ms);
    return DSTACK_OK;
}

dstack_err transport_complete(struct dstack_client *c, CURL *h, const char *method, CURLcode rc,
                              struct transport_xfer *x, struct client_http_result *out)
{
    memset(out, 0, sizeof *out);
    if (rc != CURLE_OK) {
        if (x->buf.too_large) {
            return err_set(DSTACK_EPROTO, "%s response exceeds %u bytes", method,
                           CLIENT_MAX_RESPONSE);
        }
        if (rc == CURLE_OPERATION_TIMEDOUT) {
            return err_set(DSTACK_ETRANSPORT, "%s: request timed out after %u ms (%s)", method,
                           x->timeout_ms, c->endpoint);
        }
        return err_set(DSTACK_ETRANSPORT, "%s: cannot reach the agent at %s: %s", method,
                       c->endpoint,
                       x->vsock.connect_errno ? strerror(x->vsock.connect_errno)
                       : x->errbuf[0]         ? x->errbuf
                                              : curl_easy_strerror(rc));
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (x->buf.data == NULL) {
        x->buf.data = calloc(1, 1);
        if (x->buf.data == NULL) {
            return err_set(DSTACK_ENOMEM, "out of memory");
        }
    }
    out->status = status;
    out->endpoint = c->endpoint;
    out->body = x->buf.data;
    out->body_len = x->buf.len;
    x->buf.data = NULL;
    x->buf.len = x->buf.cap = 0;
    return DSTACK_OK;
}

dstack_err transport_post(struct dstack_client *c, const char *method, const char *body,
                          unsigned timeout_ms, struct client_http_result *out)
{
    struct transport_xfer x;
    memset(out, 0, sizeof *out);
    struct client_conn *conn = pool_take(c);
    if (conn == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    dstack_err err = transport_prepare(c, conn->h, method, body, timeout_ms, &x);
    if (err == DSTACK_OK) {
        CURLcode rc = curl_easy_perform(conn->h);
        err = transport_complete(c, conn->h, method, rc, &x, out);
        transport_xfer_release(conn->h, &x);
    }
    pool_give(c, conn);
    return err;
}
