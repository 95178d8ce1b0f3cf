/* srv_listen_stop_new (internal/server/srv_listen.c), on real sockets: after it, a new client is
 * kept out while the connection already queued is still accepted with its request; on Unix the
 * newcomer is refused at once, on TCP its SYN is dropped (the shutdown path of srv_core.c then
 * closes the socket, which the client's retry meets). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "srv.h"

/* The queued connection sent "hi" before the stop: it is accepted and its bytes are there. */
static void check_queued_served(int listener, int queued)
{
    struct pollfd p = {.fd = listener, .events = POLLIN};
    CHECK(poll(&p, 1, 2000) == 1);
    int s = accept(listener, NULL, NULL);
    CHECK(s >= 0);
    char buf[4] = {0};
    CHECK(s >= 0 && read(s, buf, 2) == 2 && strcmp(buf, "hi") == 0);
    if (s >= 0) {
        close(s);
    }
    close(queued);
}

static void test_unix(void)
{
    char path[] = "/tmp/dstack-stop-XXXXXX";
    int tmp = mkstemp(path);
    CHECK(tmp >= 0);
    close(tmp);
    unlink(path);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(l, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(l, 8) == 0);
    int queued = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(queued, (struct sockaddr *)&sa, sizeof sa) == 0 && write(queued, "hi", 2) == 2);

    bool pending = true;
    CHECK(srv_listen_stop_new(l, &pending));
    CHECK(!pending); /* nothing to wait for: a Unix connect completes at once or not at all */
    int late = socket(AF_UNIX, SOCK_STREAM, 0);
    errno = 0;
    CHECK(connect(late, (struct sockaddr *)&sa, sizeof sa) != 0 && errno == ECONNREFUSED);
    check_queued_served(l, queued);
    close(late);
    close(l);
    unlink(path);
}

static void test_tcp(void)
{
    int l = srv_listen_tcp("127.0.0.1", 0);
    CHECK(l >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    sa.sin_port = htons(srv_socket_port(l));
    int queued = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(queued, (struct sockaddr *)&sa, sizeof sa) == 0 && write(queued, "hi", 2) == 2);

    bool pending = false;
    CHECK(srv_listen_stop_new(l, &pending));
    CHECK(pending);
    int late = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK(connect(late, (struct sockaddr *)&sa, sizeof sa) != 0 && errno == EINPROGRESS);
    struct pollfd p = {.fd = late, .events = POLLOUT};
    CHECK(poll(&p, 1, 300) == 0); /* its SYN was dropped: no handshake, no reset */
    check_queued_served(l, queued);
    close(late);
    close(l);
}

static void test_other_sockets(void)
{
    bool pending = true;
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(!srv_listen_stop_new(udp, &pending) && !pending); /* not a listener of ours */
    close(udp);
    CHECK(!srv_listen_stop_new(-1, &pending) && !pending);
}

int main(void)
{
    test_unix();
    test_tcp();
    test_other_sockets();
    return check_exit();
}
