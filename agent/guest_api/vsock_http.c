#include "guest_api/vsock_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

static size_t discard(char *ptr, size_t size, size_t nmemb, void *user)
{
    (void)ptr;
    (void)user;
    return size * nmemb;
}

/* POSTs body to url: over vsock when vs is set, over the unix socket unix_path when set, else
 * over TCP. Only Host and Content-Length go with it, as upstream's hyper client sends: libcurl's
 * default Content-Type and Accept are removed. peer names the target in errors. */
static dstack_err post(const struct vsock_peer *vs, const char *unix_path, const char *url,
                       const char *body, long timeout_ms, const char *peer)
{
    struct vsock_peer t = vs != NULL ? *vs : (struct vsock_peer){0};
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *h = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type:");
    struct curl_slist *more = headers != NULL ? curl_slist_append(headers, "Accept:") : NULL;
    if (h == NULL || more == NULL) {
        curl_easy_cleanup(h);
        curl_slist_free_all(headers);
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    headers = more;
    curl_easy_setopt(h, CURLOPT_URL, url);
    if (vs != NULL) {
        vsock_curl_attach(h, &t);
    } else if (unix_path != NULL) {
        curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, unix_path);
    }
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
        return err_set(DSTACK_ETRANSPORT, "%s: %s", peer,
                       t.connect_errno ? strerror(t.connect_errno)
                       : errbuf[0]     ? errbuf
                                       : curl_easy_strerror(rc));
    }
    if (status < 200 || status >= 300) {
        return err_set(DSTACK_EPROTO, "%s answered HTTP %ld", peer, status);
    }
    return DSTACK_OK;
}

dstack_err vsock_http_post(uint32_t cid, uint32_t port, const char *path, const char *body,
                           long timeout_ms)
{
    struct vsock_peer t = {.cid = cid, .port = port};
    char url[512], peer[48];
    int n = snprintf(url, sizeof url, "http://localhost%s", path);
    if (n < 0 || (size_t)n >= sizeof url) {
        return err_set(DSTACK_EINVAL, "vsock %u:%u: path too long (%zu bytes)", cid, port,
                       strlen(path));
    }
    snprintf(peer, sizeof peer, "vsock %u:%u", cid, port);
    return post(&t, NULL, url, body, timeout_ms, peer);
}

dstack_err host_http_post(const char *base, const char *path, const char *body, long timeout_ms)
{
    uint32_t cid, port;
    char vpath[256], url[1024];
    if (strncmp(base, "vsock://", 8) == 0) {
        if (!vsock_url_parse(base, &cid, &port, vpath, sizeof vpath)) {
            return err_set(DSTACK_EINVAL,
                           "invalid vsock URL \"%.100s\" (want vsock://CID:PORT[/path])", base);
        }
        size_t n = strlen(vpath);
        while (n > 0 && vpath[n - 1] == '/') {
            vpath[--n] = '\0'; /* http-client's mk_url: base without trailing '/', then '/' */
        }
        snprintf(url, sizeof url, "%s/%s", vpath, path);
        return vsock_http_post(cid, port, url, body, timeout_ms);
    }
    if (strncmp(base, "unix:", 5) == 0 && base[5] != '\0') {
        snprintf(url, sizeof url, "http://localhost/%s", path); /* the socket's path is all */
        return post(NULL, base + 5, url, body, timeout_ms, base);
    }
    if (strncmp(base, "http://", 7) == 0 || strncmp(base, "https://", 8) == 0) {
        size_t n = strlen(base);
        while (n > 0 && base[n - 1] == '/') {
            n--;
        }
        if (n > sizeof url - strlen(path) - 2) {
            return err_set(DSTACK_EINVAL, "host API URL is too long");
        }
        snprintf(url, sizeof url, "%.*s/%s", (int)n, base, path);
        return post(NULL, NULL, url, body, timeout_ms, base);
    }
    return err_set(DSTACK_EINVAL,
                   "host_api_url \"%.100s\" is none of vsock://CID:PORT/path, unix:PATH, "
                   "http(s)://",
                   base);
}
