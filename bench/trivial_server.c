#include "trivial_server.h"

#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "srv.h"
#include "util/error.h"

static struct MHD_Response *g_resp;
static const int g_marker;

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload_data;
    if (*con_cls == NULL) {
        *con_cls = (void *)&g_marker;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    return MHD_queue_response(conn, MHD_HTTP_OK, g_resp);
}

static void serve(int fd, const char *body, size_t len)
{
    g_resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(g_resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(g_resp, MHD_HTTP_HEADER_SERVER, "dstack-guest-agent");
    MHD_add_response_header(g_resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(g_resp, "X-Frame-Options", "SAMEORIGIN");
    MHD_add_response_header(g_resp, "Permissions-Policy", "interest-cohort=()");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO | MHD_USE_ITC, 0, NULL,
        NULL, answer, NULL, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)(cores > 0 ? cores : 2), MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(16u * 1024u) /* as agent/server.c SERVER_CONN_POOL */, MHD_OPTION_END);
    if (d == NULL) {
        _exit(1);
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    _exit(0);
}

bool trivial_server_start(struct trivial_server *t, const char *dir, const char *name,
                          const char *body, size_t len)
{
    snprintf(t->sock, sizeof t->sock, "%s/%s.sock", dir, name);
    char addr[320];
    snprintf(addr, sizeof addr, "unix:%s", t->sock);
    enum srv_socket_kind kind;
    int fd = srv_listen_open(addr, 0600, true, &kind);
    if (fd < 0) {
        fprintf(stderr, "bench: trivial responder: %s\n", err_text());
        return false;
    }
    /* SIGTERM blocked before fork: the child's pool threads inherit the mask, sigwait takes it */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, &old);
    t->pid = fork();
    if (t->pid == 0) {
        serve(fd, body, len);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(fd);
    if (t->pid < 0) {
        perror("fork");
        return false;
    }
    usleep(20000); /* the child's threads are up once it answers; the listen fd already accepts */
    return true;
}

void trivial_server_stop(struct trivial_server *t)
{
    if (t->pid > 0) {
        kill(t->pid, SIGTERM);
        waitpid(t->pid, NULL, 0);
        t->pid = -1;
        unlink(t->sock);
    }
}
