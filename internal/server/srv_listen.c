/* Listening sockets: Unix (stale files removed, mode set), TCP and AF_VSOCK. The rest of the
 * core takes any listening fd. */
#include "srv.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/vm_sockets.h>

#include "util/error.h"

#define SRV_LISTEN_BACKLOG 1024

const char *srv_listen_unix_path(const char *address)
{
    if (strncmp(address, "unix:", 5) == 0) {
        return address + 5;
    }
    if (address[0] == '/' || address[0] == '.') {
        return address;
    }
    return NULL;
}

/* reuse (Rocket's `reuse`, default true): a socket file left by a previous run is removed; one
 * that still answers belongs to a live process and is left alone (Rocket tells the two apart with
 * a lock file). Without reuse any file at the path stops the bind, as Rocket's bind does then
 * (EADDRINUSE). */
static int clear_stale(const char *path, bool reuse)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) {
            return 0;
        }
        (void)err_set(DSTACK_EIO, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!reuse) {
        (void)err_set(DSTACK_EIO,
                      "cannot listen on %s: the file exists and reuse = false (set reuse = true to "
                      "replace a stale socket, or remove the file)",
                      path);
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        (void)err_set(DSTACK_EIO, "%s exists and is not a socket; refusing to replace it", path);
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
        (void)err_set(DSTACK_EIO, "%s is served by another running process", path);
        return -1;
    }
    if (unlink(path) != 0) {
        (void)err_set(DSTACK_EIO, "cannot remove stale socket %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int listen_unix(const char *path, unsigned mode, bool reuse)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path || path[0] == '\0') {
        (void)err_set(DSTACK_EIO, "unix socket path \"%s\" is empty or too long (max %zu bytes)",
                      path, sizeof sa.sun_path - 1);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (clear_stale(path, reuse) != 0) {
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        (void)err_set(DSTACK_EIO, "socket: %s", strerror(errno));
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || chmod(path, (mode_t)mode) != 0 ||
        listen(fd, SRV_LISTEN_BACKLOG) != 0) {
        (void)err_set(DSTACK_EIO, "cannot listen on %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    return fd;
}

int srv_listen_tcp(const char *host, uint16_t port)
{
    char port_s[8];
    snprintf(port_s, sizeof port_s, "%u", (unsigned)port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, port_s, &hints, &res);
    if (rc != 0) {
        (void)err_set(DSTACK_EIO, "invalid host \"%s\": %s", host ? host : "*", gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    int last_errno = 0;
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        if (fd < 0) {
            last_errno = errno;
        } else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
                   bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
                   listen(fd, SRV_LISTEN_BACKLOG) != 0) {
            last_errno = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        (void)err_set(DSTACK_EIO, "cannot listen on %s:%u: %s", host ? host : "*", (unsigned)port,
                      strerror(last_errno));
    }
    return fd;
}

/* "host:port" or "[v6]:port", port 1-65535. */
static int listen_host_port(const char *address)
{
    char host[256];
    const char *colon = strrchr(address, ':');
    if (colon == NULL || colon == address || colon[1] == '\0' ||
        (size_t)(colon - address) >= sizeof host) {
        (void)err_set(DSTACK_EIO, "invalid listen address \"%s\" (want unix:/path or host:port)",
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
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (*end != '\0' || p < 1 || p > 65535) {
        (void)err_set(DSTACK_EIO, "invalid port \"%s\" in listen address \"%s\"", colon + 1,
                      address);
        return -1;
    }
    return srv_listen_tcp(host, (uint16_t)p);
}

/* "vsock:CID:PORT", CID and PORT decimal or 0x-hex (upstream writes the any-CID as
 * 0xffffffff). The host reaches the guest at its CID; binding VMADDR_CID_ANY takes every one. */
static int listen_vsock(const char *address)
{
    unsigned long long v[2];
    const char *p = address + 6;
    for (size_t i = 0; i < 2; i++) {
        char *end = NULL;
        errno = 0;
        v[i] = strtoull(p, &end, 0);
        if (errno != 0 || end == p || *p == '-' || v[i] > UINT32_MAX ||
            (i == 1 ? *end != '\0' : *end != ':')) {
            (void)err_set(DSTACK_EIO, "invalid vsock address \"%s\" (want vsock:CID:PORT)",
                          address);
            return -1;
        }
        p = end + 1;
    }
    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_vm sa = {
        .svm_family = AF_VSOCK, .svm_cid = (unsigned)v[0], .svm_port = (unsigned)v[1]};
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(fd, SRV_LISTEN_BACKLOG) != 0) {
        (void)err_set(DSTACK_EIO, "cannot listen on %s: %s", address, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

int srv_listen_open(const char *address, unsigned mode, bool reuse, enum srv_socket_kind *kind)
{
    if (strncmp(address, "vsock:", 6) == 0) {
        *kind = SRV_SOCKET_VSOCK;
        return listen_vsock(address);
    }
    const char *path = srv_listen_unix_path(address);
    *kind = path != NULL ? SRV_SOCKET_UNIX : SRV_SOCKET_TCP;
    return path != NULL ? listen_unix(path, mode, reuse) : listen_host_port(address);
}

uint16_t srv_socket_port(int fd)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        return 0;
    }
    if (sa.ss_family == AF_INET) {
        return ntohs(((struct sockaddr_in *)&sa)->sin_port);
    }
    if (sa.ss_family == AF_INET6) {
        return ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
    }
    return 0;
}

/* A Unix listener shut for reading refuses connect() (unix_stream_connect in the kernel) and
 * keeps its queue. On TCP that shutdown would reset the queue (tcp_disconnect), so a classic BPF
 * socket filter is used instead: it runs on each TCP segment with the TCP header at offset 0
 * (tcp_v4_rcv/tcp_v6_rcv; for the final ACK of a handshake too, with the listener's filter).
 * Byte 13 holds the flags. */
bool srv_listen_stop_new(int fd, bool *handshakes_pending)
{
    *handshakes_pending = false;
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    int listening = 0;
    socklen_t listening_len = sizeof listening;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0 ||
        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &listening_len) != 0 || !listening) {
        return false;
    }
    if (sa.ss_family == AF_UNIX) {
        return shutdown(fd, SHUT_RD) == 0;
    }
    if (sa.ss_family != AF_INET && sa.ss_family != AF_INET6) {
        return false;
    }
    enum { TCP_FLAGS_OFFSET = 13, TCP_SYN = 0x02, TCP_ACK = 0x10 };
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, TCP_FLAGS_OFFSET),
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, TCP_SYN | TCP_ACK),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TCP_SYN, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0),           /* a bare SYN: dropped */
        BPF_STMT(BPF_RET | BPF_K, 0xffffffffu), /* everything else: kept whole */
    };
    struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
    *handshakes_pending = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) == 0;
    return *handshakes_pending;
}
