#include "guest_api/vsock_http.h"

#include <curl/curl.h>
#include <errno.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/error.h"

static bool parse_u32(const char *s, size_t n, uint32_t *out)
{
    char buf[16];
    if (n == 0 || n >= sizeof buf) {
        return false;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 0); /* decimal or 0x... like upstream's CIDs */
    if (errno != 0 || *end != '\0' || v > UINT32_MAX || buf[0] == '-') {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

bool vsock_url_parse(const char *url, uint32_t *cid, uint32_t *port, char *path, size_t path_cap)
{
    if (strncmp(url, "vsock://", 8) != 0) {
        return false;
    }
    const char *host = url + 8;
    const char *colon = strchr(host, ':');
    if (colon == NULL) {
        return false;
    }
    const char *slash = strchr(colon, '/');
    size_t port_len = slash != NULL ? (size_t)(slash - colon - 1) : strlen(colon + 1);
    const char *p = slash != NULL ? slash : "";
    if (!parse_u32(host, (size_t)(colon - host), cid) || !parse_u32(colon + 1, port_len, port) ||
        strlen(p) >= path_cap) {
        return false;
    }
    memcpy(path, p, strlen(p) + 1);
    return true;
}

struct vsock_target {
    uint32_t cid, port;
    int connect_errno;
};

static curl_socket_t open_vsock(void *user, curlsocktype purpose, struct curl_sockaddr *addr)
{
    (void)purpose;
    (void)addr;
    struct vsock_target *t = user;
    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        t->connect_errno = errno;
        return CURL_SOCKET_BAD;
    }
    struct sockaddr_vm sa = {.svm_family = AF_VSOCK, .svm_cid = t->cid, .svm_port = t->port};
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        t->connect_errno = errno;
        close(fd);
        return CURL_SOCKET_BAD;
    }
    return fd;
}

static int already_connected(void *user, curl_socket_t fd, curlsocktype purpose)
{
    (void)user;
    (void)fd;
    (void)purpose;
    return CURL_SOCKOPT_ALREADY_CONNECTED;
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *user)
{
    (void)ptr;
    (void)user;
    return size * nmemb;
}

/* POSTs body to url: over vsock when vs is set, over the unix socket unix_path when set, else
 * over TCP. Only Host and Content-Length go with it, as upstream's hyper client sends: libcurl's
 * default Content-Type and Accept are removed. peer names the target in errors. */
static dstack_err post(const struct vsock_target *vs, const char *unix_path, const char *url,
                       const char *body, long timeout_ms, const char *peer)
{
    struct vsock_target t = vs != NULL ? *vs : (struct vsock_target){0};
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
        curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_vsock);
        curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &t);
        curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, already_connected);
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
    struct vsock_target t = {.cid = cid, .port = port};
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
