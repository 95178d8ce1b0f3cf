/* The watchdog's self-probe (see self_probe.h). */
#include "self_probe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

bool self_probe(int listen_fd, const char *path, unsigned timeout_ms)
{
    struct sockaddr_storage addr;
    socklen_t alen = sizeof addr;
    if (getsockname(listen_fd, (struct sockaddr *)&addr, &alen) != 0 || alen > sizeof addr) {
        return false;
    }
    char req[256];
    int n = snprintf(req, sizeof req,
                     "HEAD %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: dstack-watchdog\r\n"
                     "Connection: close\r\n\r\n",
                     path);
    if (n <= 0 || (size_t)n >= sizeof req) {
        return false;
    }
    int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    /* SO_SNDTIMEO bounds connect(2) too (socket(7)). */
    struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000};
    bool ok = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0 &&
              setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0 &&
              connect(fd, (struct sockaddr *)&addr, alen) == 0 &&
              send(fd, req, (size_t)n, MSG_NOSIGNAL) == n;
    /* "HTTP/1.x NNN": the first 12 bytes say it all. */
    char status[13];
    size_t got = 0;
    while (ok && got < sizeof status - 1) {
        ssize_t r = recv(fd, status + got, sizeof status - 1 - got, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        ok = r > 0;
        got += ok ? (size_t)r : 0;
    }
    close(fd);
    if (!ok) {
        return false;
    }
    status[got] = '\0';
    return strncmp(status, "HTTP/1.", 7) == 0 && status[8] == ' ' && status[9] == '2' &&
           status[10] >= '0' && status[10] <= '9' && status[11] >= '0' && status[11] <= '9';
}
