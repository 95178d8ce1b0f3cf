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

dstack_err vsock_http_post(uint32_t cid, uint32_t port, const char *path, const char *body,
                           long timeout_ms)
{
    struct vsock_target t = {.cid = cid, .port = port};
    char url[512];
    char errbuf[CURL_ERROR_SIZE] = "";
    snprintf(url, sizeof url, "http://localhost%s", path);
    CURL *h = curl_easy_init();
    if (h == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_vsock);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &t);
    curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, already_connected);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK) {
        return err_set(DSTACK_ETRANSPORT, "vsock %u:%u: %s", cid, port,
                       t.connect_errno ? strerror(t.connect_errno)
                       : errbuf[0]     ? errbuf
                                       : curl_easy_strerror(rc));
    }
    if (status < 200 || status >= 300) {
        return err_set(DSTACK_EPROTO, "vsock %u:%u answered HTTP %ld", cid, port, status);
    }
    return DSTACK_OK;
}
