/* The watchdog's self-probe (agent/self_probe.c) against a scripted server on a Unix and a TCP
 * socket: a 2xx answers true; other statuses, a closed connection, garbage, silence (timeout)
 * and a socket that is not listening answer false. */
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "self_probe.h"

struct script {
    int listen_fd;
    const char *reply; /* NULL: close at once; "" : say nothing until the client gives up */
    char request[512];
};

static void *serve_one(void *arg)
{
    struct script *s = arg;
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0) {
        return NULL;
    }
    ssize_t n = recv(fd, s->request, sizeof s->request - 1, 0);
    s->request[n > 0 ? n : 0] = '\0';
    if (s->reply != NULL && s->reply[0] != '\0') {
        (void)!send(fd, s->reply, strlen(s->reply), MSG_NOSIGNAL);
    } else if (s->reply != NULL) {
        char sink[64];
        (void)!recv(fd, sink, sizeof sink, 0); /* until the probe closes */
    }
    close(fd);
    return NULL;
}

static bool probe_with(int listen_fd, const char *reply, const char *path, char *request_out)
{
    struct script s = {.listen_fd = listen_fd, .reply = reply};
    pthread_t t;
    pthread_create(&t, NULL, serve_one, &s);
    bool ok = self_probe(listen_fd, path, 300);
    pthread_join(t, NULL);
    if (request_out != NULL) {
        memcpy(request_out, s.request, sizeof s.request);
    }
    return ok;
}

static const struct {
    const char *reply;
    bool want;
} cases[] = {
    {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true},
    {"HTTP/1.1 204 No Content\r\n\r\n", true},
    {"HTTP/1.0 200 OK\r\n\r\n", true},
    {"HTTP/1.1 400 Bad Request\r\n\r\n", false},
    {"HTTP/1.1 500 Internal Server Error\r\n\r\n", false},
    {"HTTP/1.1 2", false},              /* cut short */
    {"SSH-2.0-OpenSSH_9.6\r\n", false}, /* not HTTP */
    {"HTTP/1.1 2xx OK\r\n\r\n", false},
    {NULL, false}, /* closed without a word */
    {"", false},   /* silent: the timeout */
};

static void run_cases(int fd, const char *what)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool got = probe_with(fd, cases[i].reply, "/Version", NULL);
        if (got != cases[i].want) {
            fprintf(stderr, "%s case %zu\n", what, i);
        }
        CHECK(got == cases[i].want);
    }
}

int main(void)
{
    /* Unix */
    char dir[] = "/tmp/selfprobe_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/s.sock", dir);
    int ufd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(ufd >= 0 && bind(ufd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(ufd, 4) == 0);
    run_cases(ufd, "unix");
    char req[512];
    CHECK(probe_with(ufd, "HTTP/1.1 200 OK\r\n\r\n", "/prpc/Version", req));
    CHECK(strncmp(req, "HEAD /prpc/Version HTTP/1.1\r\nHost: localhost\r\n", 46) == 0);
    CHECK(strstr(req, "\r\nConnection: close\r\n\r\n") != NULL);
    close(ufd);
    unlink(sa.sun_path);
    rmdir(dir);

    /* TCP on the wildcard address, as a "0.0.0.0:port" listener is bound */
    int tfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = 0, .sin_addr = {INADDR_ANY}};
    CHECK(tfd >= 0 && bind(tfd, (struct sockaddr *)&in, sizeof in) == 0 && listen(tfd, 4) == 0);
    run_cases(tfd, "tcp");
    close(tfd);

    /* not a socket, a socket that does not listen, a closed descriptor */
    CHECK(!self_probe(0, "/Version", 100));
    int idle = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(!self_probe(idle, "/Version", 100));
    close(idle);
    CHECK(!self_probe(idle, "/Version", 100));
    /* a path too long for the request line is refused, not truncated */
    char long_path[300];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[sizeof long_path - 1] = '\0';
    CHECK(!self_probe(0, long_path, 100));
    return check_exit();
}
