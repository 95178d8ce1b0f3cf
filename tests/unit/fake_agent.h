/* A scripted stand-in for the guest agent, for client tests that must not depend on the real
 * server: HTTP/1.1 with keep-alive on a Unix socket or loopback TCP, one thread per connection.
 * It records every request (path and body) and answers from a small table. */
#ifndef DSTACK_TEST_FAKE_AGENT_H
#define DSTACK_TEST_FAKE_AGENT_H

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define FAKE_MAX_LOG 64

struct fake_agent {
    int listen_fd;
    char sock_path[108];
    char url[64];
    pthread_t thread;
    atomic_int connections;
    atomic_int requests;
    atomic_bool stop;
    /* behaviour switches */
    atomic_bool version_fails; /* /Version -> 400 as on OS < 0.5.7 */
    atomic_int slow_ms;        /* delay before every answer */
    atomic_bool bad_tcb_info;  /* /Info's tcb_info is not JSON (decoded lazily by the client) */
    /* request log (first FAKE_MAX_LOG requests) */
    pthread_mutex_t lock;
    int n_log;
    char *log_path[FAKE_MAX_LOG];
    char *log_body[FAKE_MAX_LOG];
};

static void fake_reply(int fd, int status, const char *body)
{
    /* one send: head and body in separate segments would meet Nagle + delayed ACK on TCP */
    char msg[8192];
    int n = snprintf(msg, sizeof msg,
                     "HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: "
                     "%zu\r\n\r\n%s",
                     status,
                     status == 200   ? "OK"
                     : status == 404 ? "Not Found"
                                     : "Bad Request",
                     strlen(body), body);
    (void)!send(fd, msg, (size_t)n, MSG_NOSIGNAL);
}

/* The value of a JSON string member in a flat request body (good enough for our requests). */
static void fake_field(const char *body, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(body, pat);
    out[0] = '\0';
    if (p == NULL) {
        return;
    }
    p += strlen(pat);
    size_t i = 0;
    while (*p && *p != '"' && i + 1 < cap) {
        out[i++] = *p++;
    }
    out[i] = '\0';
}

static void fake_answer(struct fake_agent *fa, int fd, const char *path, const char *body)
{
    char v[512], resp[4096];
    if (atomic_load(&fa->slow_ms) > 0) {
        usleep((useconds_t)atomic_load(&fa->slow_ms) * 1000u);
    }
    if (strcmp(path, "/Version") == 0 || strcmp(path, "/prpc/Tappd.Version") == 0) {
        if (atomic_load(&fa->version_fails)) {
            fake_reply(fd, 400, "{\n  \"error\": \"Service not found: Version\"\n}");
        } else {
            fake_reply(fd, 200, "{\"version\":\"0.6.0\",\"rev\":\"git:test\"}");
        }
    } else if (strcmp(path, "/GetKey") == 0) {
        fake_field(body, "algorithm", v, sizeof v);
        if (strcmp(v, "rsa") == 0) {
            fake_reply(fd, 400, "{\n  \"error\": \"Unsupported algorithm\"\n}");
            return;
        }
        /* key = the path bytes (<= 32), so a test can tell which request was answered */
        fake_field(body, "path", v, 33);
        char hex[65] = "";
        for (size_t i = 0; v[i]; i++) {
            snprintf(hex + 2 * i, 3, "%02x", (unsigned char)v[i]);
        }
        snprintf(resp, sizeof resp, "{\"key\":\"%s\",\"signature_chain\":[\"0a0b\",\"0c\"]}", hex);
        fake_reply(fd, 200, resp);
    } else if (strcmp(path, "/GetQuote") == 0 || strcmp(path, "/prpc/Tappd.TdxQuote") == 0 ||
               strcmp(path, "/prpc/Tappd.RawQuote") == 0) {
        fake_field(body, "report_data", v, sizeof v);
        snprintf(resp, sizeof resp,
                 "{\"quote\":\"0405\",\"event_log\":\"[{\\\"imr\\\":0}]\",\"report_data\":\"%s\","
                 "\"vm_config\":\"{}\"}",
                 v);
        fake_reply(fd, 200, resp);
    } else if (strcmp(path, "/Attest") == 0) {
        fake_reply(fd, 200, "{\"attestation\":\"00ff\"}");
    } else if (strcmp(path, "/Info") == 0 && atomic_load(&fa->bad_tcb_info)) {
        fake_reply(fd, 200, "{\"app_id\":\"5bb4\",\"tcb_info\":\"{nope\"}");
    } else if (strcmp(path, "/Info") == 0 || strcmp(path, "/prpc/Tappd.Info") == 0) {
        fake_reply(fd, 200,
                   "{\"app_id\":\"5bb4\",\"instance_id\":\"1691\",\"app_cert\":\"PEM\","
                   "\"tcb_info\":\"{\\\"mrtd\\\":\\\"aa\\\",\\\"rtmr0\\\":\\\"r0\\\",\\\"rtmr3\\\":"
                   "\\\"r3\\\",\\\"compose_hash\\\":\\\"ch\\\",\\\"event_log\\\":[{\\\"imr\\\":3}],"
                   "\\\"app_compose\\\":\\\"{}\\\"}\",\"app_name\":\"app\",\"device_id\":\"dev\","
                   "\"key_provider_info\":\"kp\",\"compose_hash\":\"ch\"}");
    } else if (strcmp(path, "/GetTlsKey") == 0 || strcmp(path, "/prpc/Tappd.DeriveKey") == 0) {
        fake_reply(fd, 200,
                   "{\"key\":\"-----BEGIN PRIVATE KEY-----\\nAAECAwQF\\nBgc=\\n-----END PRIVATE "
                   "KEY-----\\n\",\"certificate_chain\":[\"C1\",\"C2\"]}");
    } else if (strcmp(path, "/Sign") == 0) {
        fake_reply(fd, 200,
                   "{\"signature\":\"01\",\"signature_chain\":[\"01\",\"02\",\"03\"],"
                   "\"public_key\":\"0203\"}");
    } else if (strcmp(path, "/Verify") == 0) {
        fake_field(body, "signature", v, sizeof v);
        fake_reply(fd, 200, strcmp(v, "01") == 0 ? "{\"valid\":true}" : "{}");
    } else if (strcmp(path, "/EmitEvent") == 0 || strcmp(path, "/GpuInfo") == 0) {
        fake_reply(fd, 200, strcmp(path, "/GpuInfo") == 0 ? "{\"attestation\":\"\"}" : "{}");
    } else if (strcmp(path, "/Html") == 0) {
        fake_reply(fd, 404, "<html>not found</html>");
    } else {
        snprintf(resp, sizeof resp, "{\n  \"error\": \"Service not found: %s\"\n}", path + 1);
        fake_reply(fd, 400, resp);
    }
}

struct fake_conn {
    struct fake_agent *fa;
    int fd;
};

static void *fake_conn_main(void *arg)
{
    struct fake_conn *fc = arg;
    struct fake_agent *fa = fc->fa;
    int fd = fc->fd;
    free(fc);
    char *buf = malloc(1 << 20);
    size_t len = 0;
    for (;;) {
        char *end = NULL;
        while ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL) {
            ssize_t r = read(fd, buf + len, (1 << 20) - 1 - len);
            if (r <= 0) {
                goto done;
            }
            len += (size_t)r;
        }
        size_t head_len = (size_t)(end - buf) + 4;
        size_t clen = 0;
        for (char *p = buf; p < end; p++) {
            if (strncasecmp(p, "\ncontent-length:", 16) == 0) {
                clen = strtoul(p + 16, NULL, 10);
            }
        }
        while (len < head_len + clen) {
            ssize_t r = read(fd, buf + len, (1 << 20) - 1 - len);
            if (r <= 0) {
                goto done;
            }
            len += (size_t)r;
        }
        char path[256] = "";
        const char *sp = memchr(buf, ' ', head_len);
        if (sp != NULL) {
            size_t i = 0;
            for (sp++; *sp != ' ' && i + 1 < sizeof path; sp++) {
                path[i++] = *sp;
            }
            path[i] = '\0';
        }
        char *body = strndup(buf + head_len, clen);
        atomic_fetch_add(&fa->requests, 1);
        pthread_mutex_lock(&fa->lock);
        if (fa->n_log < FAKE_MAX_LOG) {
            fa->log_path[fa->n_log] = strdup(path);
            fa->log_body[fa->n_log] = strdup(body);
            fa->n_log++;
        }
        pthread_mutex_unlock(&fa->lock);
        fake_answer(fa, fd, path, body);
        free(body);
        memmove(buf, buf + head_len + clen, len - head_len - clen);
        len -= head_len + clen;
    }
done:
    free(buf);
    close(fd);
    return NULL;
}

static void *fake_accept_main(void *arg)
{
    struct fake_agent *fa = arg;
    while (!atomic_load(&fa->stop)) {
        int fd = accept(fa->listen_fd, NULL, NULL);
        if (fd < 0) {
            if (atomic_load(&fa->stop)) {
                break;
            }
            continue;
        }
        atomic_fetch_add(&fa->connections, 1);
        struct fake_conn *fc = malloc(sizeof *fc);
        fc->fa = fa;
        fc->fd = fd;
        pthread_t t;
        pthread_create(&t, NULL, fake_conn_main, fc);
        pthread_detach(t);
    }
    return NULL;
}

/* tcp false: Unix socket at a fresh temporary path (fa->sock_path); true: 127.0.0.1:<free port>
 * (fa->url). */
static void fake_agent_start(struct fake_agent *fa, bool tcp)
{
    memset(fa, 0, sizeof *fa);
    pthread_mutex_init(&fa->lock, NULL);
    if (tcp) {
        fa->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t al = sizeof a;
        bind(fa->listen_fd, (struct sockaddr *)&a, sizeof a);
        getsockname(fa->listen_fd, (struct sockaddr *)&a, &al);
        snprintf(fa->url, sizeof fa->url, "http://127.0.0.1:%u", ntohs(a.sin_port));
    } else {
        char dir[] = "/tmp/dstack-fake-XXXXXX";
        if (mkdtemp(dir) == NULL) {
            perror("mkdtemp");
            exit(2);
        }
        snprintf(fa->sock_path, sizeof fa->sock_path, "%s/dstack.sock", dir);
        fa->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof a.sun_path, "%s", fa->sock_path);
        bind(fa->listen_fd, (struct sockaddr *)&a, sizeof a);
    }
    listen(fa->listen_fd, 64);
    pthread_create(&fa->thread, NULL, fake_accept_main, fa);
}

static const char *fake_endpoint(const struct fake_agent *fa)
{
    return fa->url[0] ? fa->url : fa->sock_path;
}

static void fake_agent_clear_log(struct fake_agent *fa)
{
    pthread_mutex_lock(&fa->lock);
    for (int i = 0; i < fa->n_log; i++) {
        free(fa->log_path[i]);
        free(fa->log_body[i]);
    }
    fa->n_log = 0;
    pthread_mutex_unlock(&fa->lock);
}

static void fake_agent_stop(struct fake_agent *fa)
{
    atomic_store(&fa->stop, true);
    shutdown(fa->listen_fd, SHUT_RDWR);
    close(fa->listen_fd);
    pthread_join(fa->thread, NULL);
    if (fa->sock_path[0]) {
        unlink(fa->sock_path);
        char dir[108];
        snprintf(dir, sizeof dir, "%s", fa->sock_path);
        char *slash = strrchr(dir, '/');
        *slash = '\0';
        rmdir(dir);
    }
    fake_agent_clear_log(fa);
}

#endif
