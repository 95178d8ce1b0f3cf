/* A small HTTP/1.1 load generator over a Unix socket: one thread, epoll, one request in flight
 * per connection. It only parses what it needs to count responses: the status code and
 * Content-Length (every agent response carries one). */
#ifndef DSTACK_BENCH_LOADGEN_H
#define DSTACK_BENCH_LOADGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A request as raw bytes (see lg_format). */
struct lg_request {
    char *data;
    size_t len;
};

struct lg_config {
    const char *sock;              /* Unix socket path */
    const struct lg_request *reqs; /* sent in turn (a mix), each connection taking the next */
    size_t n_reqs;
    unsigned conns;    /* concurrent connections, 1..4096 */
    bool new_conn;     /* a new connection per request (send Connection: close) */
    uint64_t requests; /* stop after this many responses (0 = no cap) */
    double seconds;    /* and/or after this long (0 = no cap); one must be set */
    bool latencies;    /* record each request's latency */
};

struct lg_result {
    uint64_t ok;     /* 200 responses */
    uint64_t failed; /* other statuses, broken connections, connect failures */
    double seconds;  /* wall time from the first request to the last response */
    double *lat_us;  /* latencies in microseconds (n_lat of them) when asked */
    size_t n_lat;
};

/* Runs the load; returns false when nothing could be sent (message on stderr). */
bool lg_run(const struct lg_config *cfg, struct lg_result *out);
void lg_result_free(struct lg_result *r);

/* Builds "<method> <path> HTTP/1.1" with Host, User-Agent, and for a body Content-Type
 * application/json and Content-Length; close = "Connection: close". Returns false when out of
 * memory. Free data with free(). */
bool lg_format(struct lg_request *r, const char *method, const char *path, const char *json,
               bool close);

/* One request on a new connection; the 200 body as a malloc'd string (NULL on failure). */
char *lg_fetch(const char *sock, const char *method, const char *path, const char *json);

#endif
