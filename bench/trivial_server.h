/* The transport floor: a trivial libmicrohttpd responder in a child process, answering every
 * request with one fixed body and the agent's response headers, configured like the agent's
 * server (internal epoll thread pool of one thread per core, agent/server.c). */
#ifndef DSTACK_BENCH_TRIVIAL_SERVER_H
#define DSTACK_BENCH_TRIVIAL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct trivial_server {
    char sock[300];
    pid_t pid;
};

/* Forks the responder on a new socket in dir; returns once it accepts connections. Call it
 * before this process starts threads. */
bool trivial_server_start(struct trivial_server *t, const char *dir, const char *name,
                          const char *body, size_t len);
void trivial_server_stop(struct trivial_server *t);

#endif
