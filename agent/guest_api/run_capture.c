#include "guest_api/run_capture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ERR_KEEP 512

extern char **environ;

struct sink {
    char *buf;
    size_t len, cap; /* cap: the most kept */
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what is there; false at end of file. Bytes past the cap are read and dropped. */
static bool drain(int fd, struct sink *s)
{
    char chunk[4096];
    ssize_t r = read(fd, chunk, sizeof chunk);
    if (r < 0) {
        return errno == EINTR || errno == EAGAIN;
    }
    if (r == 0) {
        return false;
    }
    size_t n = (size_t)r;
    size_t room = s->cap - s->len;
    memcpy(s->buf + s->len, chunk, n < room ? n : room);
    s->len += n < room ? n : room;
    return true;
}

/* Collects both pipes until they close or the deadline passes; true when they closed. */
static bool collect(int out_fd, int err_fd, struct sink *out, struct sink *err, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    bool out_open = true, err_open = true;
    while (out_open || err_open) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            return false;
        }
        struct pollfd p[2] = {{.fd = out_open ? out_fd : -1, .events = POLLIN},
                              {.fd = err_open ? err_fd : -1, .events = POLLIN}};
        int rc = poll(p, 2, (int)left);
        if (rc < 0 && errno != EINTR) {
            return false;
        }
        if (out_open && p[0].revents != 0) {
            out_open = drain(out_fd, out);
        }
        if (err_open && p[1].revents != 0) {
            err_open = drain(err_fd, err);
        }
    }
    return true;
}

static char *finish(const char *const *argv, int status, bool done, int spawn_err, struct sink *out,
                    struct sink *err)
{
    char *text = NULL;
    if (spawn_err != 0) {
        size_t n = strlen(argv[0]) + 64;
        text = malloc(n);
        if (text != NULL) {
            snprintf(text, n, "%s: %s", argv[0],
                     spawn_err == ENOENT ? "command not found" : strerror(spawn_err));
        }
    } else if (done && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        while (out->len > 0 && out->buf[out->len - 1] == '\n') {
            out->len--;
        }
        out->buf[out->len] = '\0';
        text = out->buf;
        out->buf = NULL;
    } else {
        while (err->len > 0 && err->buf[err->len - 1] == '\n') {
            err->len--;
        }
        size_t n = strlen(argv[0]) + err->len + 96;
        text = malloc(n);
        if (text != NULL && !done) {
            snprintf(text, n, "%s: timed out, killed", argv[0]);
        } else if (text != NULL && WIFEXITED(status)) {
            snprintf(text, n, "%s exited with status %d: %.*s", argv[0], WEXITSTATUS(status),
                     (int)err->len, err->buf);
        } else if (text != NULL) {
            snprintf(text, n, "%s ended by signal %d", argv[0],
                     WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        }
    }
    return text;
}

char *run_capture(const char *const *argv, size_t max, int timeout_ms)
{
    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    struct sink out = {.buf = malloc(max + 1), .cap = max};
    struct sink err = {.buf = malloc(ERR_KEEP), .cap = ERR_KEEP};
    posix_spawn_file_actions_t fa;
    bool fa_ready = false, done = false;
    int status = 0, spawn_err = 0;
    pid_t pid = -1;
    char *text = NULL;
    if (out.buf == NULL || err.buf == NULL) {
        goto out;
    }
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0 ||
        posix_spawn_file_actions_init(&fa) != 0) {
        spawn_err = errno;
        goto report;
    }
    fa_ready = true;
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    spawn_err = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    close(out_pipe[1]);
    close(err_pipe[1]);
    out_pipe[1] = err_pipe[1] = -1;
    if (spawn_err != 0) {
        goto report;
    }
    done = collect(out_pipe[0], err_pipe[0], &out, &err, timeout_ms);
    if (!done) {
        kill(pid, SIGKILL);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
report:
    text = finish(argv, status, done, spawn_err, &out, &err);
out:
    if (fa_ready) {
        posix_spawn_file_actions_destroy(&fa);
    }
    for (size_t i = 0; i < 2; i++) {
        if (out_pipe[i] >= 0) {
            close(out_pipe[i]);
        }
        if (err_pipe[i] >= 0) {
            close(err_pipe[i]);
        }
    }
    free(out.buf);
    free(err.buf);
    return text;
}

int run_wait(const char *const *argv)
{
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0) {
        return -1;
    }
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        return -1;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
