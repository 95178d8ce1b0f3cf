/* Integration harness: runs the real dstack-simulator in a temporary folder and talks to it
 * over its Unix sockets with libcurl. */
#ifndef DSTACK_TEST_HARNESS_H
#define DSTACK_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct sim {
    char dir[256];
    char dstack_sock[300];
    char tappd_sock[300];
    pid_t pid;
    bool upstream; /* started on upstream's simulator files */
};

/* Starts the simulator with extra arguments (NULL-terminated, may be NULL) in a new temporary
 * folder; waits until dstack.sock answers. Set DSTACK_TEST_WRAPPER (e.g. "valgrind -q
 * --error-exitcode=99") to run it under a tool. Returns false with a message on stderr. */
bool sim_start(struct sim *s, const char *const *extra_args);

/* Like sim_start, on upstream's simulator files in tests/fixtures/upstream/simulator (exits 1
 * when they are missing). */
bool sim_start_upstream(struct sim *s, const char *const *extra_args);

/* Every simulator started after this runs with RLIMIT_NOFILE n (soft and hard, as `ulimit -n`
 * sets them); 0 = the test's own limits. */
void sim_set_nofile(unsigned long n);

/* Sends sig (SIGTERM or SIGKILL), waits, and starts the simulator again in the same folder
 * with the same files and extra arguments. Returns false when the new one does not start. */
bool sim_restart(struct sim *s, int sig, const char *const *extra_args);

/* SIGTERM, then waits; returns the exit status (0 = clean shutdown; 98 when any key of the keys
 * file appears in the daemon's log, which runs at debug level) and removes the folder. */
int sim_stop(struct sim *s);

/* The root certificate the simulator signs its quotes under (<dir>/tdx-root-ca.pem), and the
 * app CA certificate of its keys file; malloc'd PEM, NULL when unreadable. */
char *sim_quote_root(const struct sim *s);
char *sim_app_ca(const struct sim *s);

struct sockaddr_un;
/* Fills a Unix socket address; false when the path does not fit. */
bool unix_addr(struct sockaddr_un *sa, const char *path);

struct http_reply {
    long status;
    char *body; /* NUL-terminated, malloc'd */
    size_t body_len;
    char *headers; /* raw response headers */
};

/* One HTTP request over a Unix socket. content_type NULL = no header; body NULL = no body.
 * Returns false on a transport failure. */
bool http_unix(const char *sock, const char *method, const char *path, const char *content_type,
               const char *body, struct http_reply *out);
/* POST path with a JSON body and Content-Type: application/json. */
bool http_post_json(const char *sock, const char *path, const char *json, struct http_reply *out);
void http_reply_free(struct http_reply *r);

/* Sends raw bytes on a new connection and reads what comes back until the server closes or
 * timeout_ms passes. Returns the number of bytes read (-1 on connect failure). */
long raw_exchange(const char *sock, const char *data, size_t len, char *out, size_t cap,
                  int timeout_ms);

#endif
