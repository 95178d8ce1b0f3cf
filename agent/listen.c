#include "listen.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LISTEN_BACKLOG 1024

const char *listen_unix_path(const char *address)
{
    if (strncmp(address, "unix:", 5) == 0) {
        return address + 5;
    }
    if (address[0] == '/' || address[0] == '.') {
        return address;
    }
    return NULL;
}

/* A socket file left by a previous run is removed; one that still answers belongs to a live
 * process and is left alone (Rocket's `reuse` does the same with a lock file). */
static int clear_stale(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1);
    }
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "%s exists and is not a socket; refusing to replace it", path);
        return -1;
    }
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int live = probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (probe >= 0) {
        close(probe);
    }
    if (live) {
        snprintf(err, errlen, "%s is served by another running process", path);
        return -1;
    }
    if (unlink(path) != 0) {
        snprintf(err, errlen, "cannot remove stale socket %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int listen_unix(const char *path, unsigned mode, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path || path[0] == '\0') {
        snprintf(err, errlen, "unix socket path \"%s\" is empty or too long (max %zu bytes)", path,
                 sizeof sa.sun_path - 1);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (clear_stale(path, err, errlen) != 0) {
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || chmod(path, (mode_t)mode) != 0 ||
        listen(fd, LISTEN_BACKLOG) != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    return fd;
}

static int listen_tcp(const char *address, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(address, ':');
    if (colon == NULL || colon == address || colon[1] == '\0' ||
        (size_t)(colon - address) >= sizeof host) {
        snprintf(err, errlen, "invalid listen address \"%s\" (want unix:/path or host:port)",
                 address);
        return -1;
    }
    const char *h = address;
    size_t hlen = (size_t)(colon - address);
    if (h[0] == '[' && h[hlen - 1] == ']') { /* [::1]:8090 */
        h++;
        hlen -= 2;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    const char *port = colon + 1;
    char *end = NULL;
    long p = strtol(port, &end, 10);
    if (*end != '\0' || p < 1 || p > 65535) {
        snprintf(err, errlen, "invalid port \"%s\" in listen address \"%s\"", port, address);
        return -1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve \"%s\": %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", address, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

int listen_open(const char *address, unsigned mode, int *is_unix, char *err, size_t errlen)
{
    const char *path = listen_unix_path(address);
    *is_unix = path != NULL;
    return path != NULL ? listen_unix(path, mode, err, errlen) : listen_tcp(address, err, errlen);
}
