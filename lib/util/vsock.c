#include "util/vsock.h"

#include <errno.h>
#include <linux/vm_sockets.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* n bytes at s as a u32, decimal or 0x hex, nothing else. Copied out because strtoull reads
 * up to a NUL, and the number ends at ':' or '/'. */
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
    unsigned long long v = strtoull(buf, &end, 0);
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
        (path != NULL && strlen(p) >= path_cap)) {
        return false;
    }
    if (path != NULL) {
        memcpy(path, p, strlen(p) + 1);
    }
    return true;
}

static curl_socket_t open_vsock(void *user, curlsocktype purpose, struct curl_sockaddr *addr)
{
    (void)purpose;
    (void)addr;
    struct vsock_peer *peer = user;
    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        peer->connect_errno = errno;
        return CURL_SOCKET_BAD;
    }
    struct sockaddr_vm sa = {.svm_family = AF_VSOCK, .svm_cid = peer->cid, .svm_port = peer->port};
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        peer->connect_errno = errno;
        close(fd);
        return CURL_SOCKET_BAD;
    }
    peer->connect_errno = 0;
    return fd;
}

static int already_connected(void *user, curl_socket_t fd, curlsocktype purpose)
{
    (void)user;
    (void)fd;
    (void)purpose;
    return CURL_SOCKOPT_ALREADY_CONNECTED;
}

void vsock_curl_attach(CURL *h, struct vsock_peer *peer)
{
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_vsock);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, peer);
    curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, already_connected);
}

void vsock_curl_detach(CURL *h)
{
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, NULL);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, NULL);
    curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, NULL);
}
