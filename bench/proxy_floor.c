/* The proxy floor of figure 9: the least a quote proxy can cost on this machine. For each GET on a
 * keep-alive TCP connection it sends one fixed POST /GetQuote to the agent over its Unix socket
 * and relays the answer's body: blocking sockets, a thread per client, no HTTP library, no JSON,
 * no checks. bench_sdk measures its CPU per request beside the sidecar's (docs/performance.md).
 *   bench_proxy_floor <agent socket> <port>
 * Serves until killed. Not a server for anything else: it trusts both peers completely. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_ANSWER (256 * 1024)
#define WORKERS 4 /* concurrent clients served (bench_sdk uses 2) */

static const char *g_agent;
static char g_request[512];
static size_t g_request_len;

static int agent_connect(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(g_agent);
    int fd = n < sizeof sa.sun_path ? socket(AF_UNIX, SOCK_STREAM, 0) : -1;
    if (fd < 0) {
        return -1;
    }
    memcpy(sa.sun_path, g_agent, n + 1);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) {
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* One agent answer into buf (Content-Length framed); the body's offset and length. */
static bool read_answer(int agent, char *buf, size_t cap, size_t *body, size_t *body_len)
{
    size_t got = 0;
    const char *end = NULL;
    unsigned long clen = 0;
    while (end == NULL || got < (size_t)(end - buf) + 4 + clen) {
        ssize_t r = recv(agent, buf + got, cap - 1 - got, 0);
        if (r <= 0) {
            return false;
        }
        got += (size_t)r;
        buf[got] = '\0';
        if (end == NULL && (end = strstr(buf, "\r\n\r\n")) != NULL) {
            const char *cl = strcasestr(buf, "\r\ncontent-length:");
            if (cl == NULL || cl > end) {
                return false;
            }
            clen = strtoul(cl + 17, NULL, 10);
            if (clen > cap - 1 - (size_t)(end - buf) - 4) {
                return false;
            }
        }
    }
    *body = (size_t)(end - buf) + 4;
    *body_len = clen;
    return true;
}

/* Serves one client connection until it closes; false when the agent connection broke. */
static bool serve(int client, int agent, char *in, char *out)
{
    char req[4096];
    int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* curl sends a GET in one segment; a request is complete when its blank line arrived */
    for (size_t have = 0;;) {
        ssize_t r = recv(client, req + have, sizeof req - 1 - have, 0);
        if (r <= 0) {
            return true;
        }
        have += (size_t)r;
        req[have] = '\0';
        if (strstr(req, "\r\n\r\n") == NULL) {
            if (have == sizeof req - 1) {
                return true;
            }
            continue;
        }
        have = 0;
        size_t body = 0, len = 0;
        if (!send_all(agent, g_request, g_request_len) ||
            !read_answer(agent, in, MAX_ANSWER, &body, &len)) {
            return false;
        }
        int head = snprintf(out, 256,
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            "Content-Length: %zu\r\n\r\n",
                            len);
        memcpy(out + head, in + body, len);
        if (!send_all(client, out, (size_t)head + len)) {
            return true;
        }
    }
}

/* A fixed set of these threads take turns accepting, so that the process's per-thread CPU
 * counters (what bench_sdk reads) keep every request's time. */
static void *worker(void *arg)
{
    int ls = (int)(intptr_t)arg, agent = agent_connect();
    char *in = malloc(MAX_ANSWER), *out = malloc(MAX_ANSWER + 256);
    while (agent >= 0 && in != NULL && out != NULL) {
        int c = accept(ls, NULL, NULL);
        if (c < 0) {
            continue;
        }
        bool agent_ok = serve(c, agent, in, out);
        close(c);
        if (!agent_ok) {
            close(agent);
            agent = agent_connect();
        }
    }
    fprintf(stderr, "proxy_floor: cannot reach the agent at %s\n", g_agent);
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s <agent socket> <port>\n", argv[0]);
        return 2;
    }
    g_agent = argv[1];
    static const char body[] =
        "{\"report_data\":"
        "\"0707070707070707070707070707070707070707070707070707070707070707\"}";
    g_request_len = (size_t)snprintf(g_request, sizeof g_request,
                                     "POST /GetQuote HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                                     "application/json\r\nContent-Length: %zu\r\n\r\n%s",
                                     sizeof body - 1, body);
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)strtoul(argv[2], NULL, 10)),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 64) != 0) {
        perror("bench_proxy_floor: listen");
        return 1;
    }
    pthread_t t[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)ls) != 0) {
            return 1;
        }
    }
    pthread_join(t[0], NULL);
    return 1;
}
