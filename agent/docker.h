/* A Docker Engine API client over the daemon's Unix socket, with libcurl: the container list
 * (GuestApi.ListContainers, the dashboard) and container logs with follow (the public /logs).
 *
 * The socket is $DOCKER_HOST when it is unix://<path> (what upstream's bollard honours), else
 * /var/run/docker.sock. Every wait is bounded: DOCKER_TIMEOUT_MS for a whole request and for
 * the answer's headers of a log stream, so a stuck daemon costs a caller seconds, not a
 * thread. Failures set the error text (util/error.h), which says what failed ("Docker is not
 * running: ...", "No such container: x"); it is never sent to Docker's own output. */
#ifndef DSTACK_AGENT_DOCKER_H
#define DSTACK_AGENT_DOCKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#define DOCKER_TIMEOUT_MS 5000
#define DOCKER_NAME_MAX 128
/* One log message handed to the caller at most; a longer Docker frame comes in pieces. */
#define DOCKER_FRAME_MAX (64u * 1024u)

struct docker_container {
    char *id;
    char **names; /* as Docker gives them: "/name" */
    size_t n_names;
    char *image;
    char *image_id;
    int64_t created; /* Unix seconds */
    char *state;     /* "running", "exited", ... */
    char *status;    /* "Up 3 minutes", ... */
};

struct docker_containers {
    struct docker_container *items;
    size_t n;
};

/* GET /containers/json?all=1. */
dstack_err docker_list_containers(struct docker_containers *out);
void docker_containers_free(struct docker_containers *c);

/* True when name can only be a container name or id ([A-Za-z0-9][A-Za-z0-9_.-]*, at most
 * DOCKER_NAME_MAX): nothing in it needs escaping in a URL, and no '/' or '%' can reach Docker. */
bool docker_name_valid(const char *name);

/* ---- logs ---- */

struct docker_logs_options {
    int64_t since, until; /* Unix seconds, 0 = unset */
    bool follow, timestamps;
    char tail[24]; /* "all" or a count; "" = "all" */
};

enum docker_channel {
    DOCKER_STDIN = 0,
    DOCKER_STDOUT = 1,
    DOCKER_STDERR = 2,
    DOCKER_CONSOLE = 3, /* a TTY container: one stream, not multiplexed */
};

enum docker_read {
    DOCKER_READ_MESSAGE, /* data and len hold the next message (borrowed until the next call) */
    DOCKER_READ_IDLE,    /* nothing arrived within wait_ms */
    DOCKER_READ_END,     /* Docker ended the stream */
    DOCKER_READ_ERROR,   /* the error text says why */
};

struct docker_log_stream;

/* Inspects the container (TTY or multiplexed output) and starts GET /containers/<name>/logs
 * with stdout and stderr. Waits for Docker's answer at most DOCKER_TIMEOUT_MS. */
dstack_err docker_logs_open(const char *name, const struct docker_logs_options *opt,
                            struct docker_log_stream **out);

/* The next message, waiting at most wait_ms for it. Memory stays bounded: at most
 * DOCKER_FRAME_MAX plus one libcurl buffer is held whatever the log's size. */
enum docker_read docker_logs_next(struct docker_log_stream *s, int wait_ms,
                                  enum docker_channel *channel, const uint8_t **data, size_t *len);

/* Ends the request and frees everything. NULL ok. */
void docker_logs_close(struct docker_log_stream *s);

/* ---- shared by docker.c and docker_logs.c ---- */

/* The daemon's socket path ($DOCKER_HOST unix://..., else /var/run/docker.sock); NULL with the
 * error text set when DOCKER_HOST names something else. */
const char *docker_socket_path(void);

/* Sets the error text of an error answer: its {"message": "..."}, or the start of its body.
 * Returns DSTACK_EPROTO. */
dstack_err docker_refused(long status, const char *body, size_t len);

#endif
