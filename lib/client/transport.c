/* HTTP/1.1 over a Unix socket or TCP with libcurl. Each client owns a pool of easy handles; a
 * call borrows one, so threads never share a handle (libcurl's rule) and a handle returned to
 * the pool keeps its keep-alive connection for the next call (sdk-and-sidecar.md §8.2). */
#include "client/client_internal.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

struct client_conn {
    CURL *h;
    struct client_conn *next;
};

struct body_buf {
    char *data;
    size_t len, cap;
    bool too_large;
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
        return client_fail(DSTACK_ETRANSPORT, "libcurl initialisation failed: %s",
                           curl_easy_strerror(curl_init_rc));
    }
    return DSTACK_OK;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *user)
{
    struct body_buf *b = user;
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
        conn->h = curl_easy_init();
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
    const char *base = c->kind == DSTACK_ENDPOINT_UNIX ? "http://localhost" : c->endpoint;
    size_t n = strlen(base) + strlen(c->path_prefix) + strlen(method) + 1;
    char *url = malloc(n);
    if (url != NULL) {
        (void)snprintf(url, n, "%s%s%s", base, c->path_prefix, method);
    }
    return url;
}

dstack_err transport_post(struct dstack_client *c, const char *method, const char *body,
                          unsigned timeout_ms, struct client_http_result *out)
{
    dstack_err err = DSTACK_OK;
    struct client_conn *conn = NULL;
    struct curl_slist *headers = NULL;
    struct body_buf buf = {0};
    char errbuf[CURL_ERROR_SIZE] = "";
    char ua[256];
    char *url = NULL;

    memset(out, 0, sizeof *out);
    if (timeout_ms == 0) {
        timeout_ms = c->timeout_ms;
    }
    url = build_url(c, method);
    conn = pool_take(c);
    (void)snprintf(ua, sizeof ua, "User-Agent: %s", c->user_agent);
    headers = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *h2 = headers ? curl_slist_append(headers, ua) : NULL;
    /* "Expect: 100-continue" would cost a round trip on bodies over 1 KiB. */
    struct curl_slist *h3 = h2 ? curl_slist_append(h2, "Expect:") : NULL;
    if (url == NULL || conn == NULL || h3 == NULL) {
        err = client_fail(DSTACK_ENOMEM, "out of memory");
        goto out;
    }
    headers = h3;

    CURL *h = conn->h;
    curl_easy_reset(h); /* keeps the connection cache; clears options of the previous call */
    curl_easy_setopt(h, CURLOPT_URL, url);
    if (c->kind == DSTACK_ENDPOINT_UNIX) {
        curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->endpoint);
    }
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &buf);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM in a multi-threaded app */
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");

    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        if (buf.too_large) {
            err = client_fail(DSTACK_EPROTO, "%s response exceeds %u bytes", method,
                              CLIENT_MAX_RESPONSE);
        } else if (rc == CURLE_OPERATION_TIMEDOUT) {
            err = client_fail(DSTACK_ETRANSPORT, "%s: request timed out after %u ms (%s)", method,
                              timeout_ms, c->endpoint);
        } else {
            err = client_fail(DSTACK_ETRANSPORT, "%s: cannot reach the agent at %s: %s", method,
                              c->endpoint, errbuf[0] ? errbuf : curl_easy_strerror(rc));
        }
        goto out;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    out->status = status;
    if (buf.data == NULL) {
        buf.data = calloc(1, 1);
        if (buf.data == NULL) {
            err = client_fail(DSTACK_ENOMEM, "out of memory");
            goto out;
        }
    }
    out->body = buf.data;
    out->body_len = buf.len;
    buf.data = NULL;
out:
    if (conn != NULL) {
        /* Drop options pointing at our stack before the handle waits in the pool. */
        curl_easy_setopt(conn->h, CURLOPT_HTTPHEADER, NULL);
        curl_easy_setopt(conn->h, CURLOPT_ERRORBUFFER, NULL);
        pool_give(c, conn);
    }
    curl_slist_free_all(headers);
    free(buf.data);
    free(url);
    return err;
}
