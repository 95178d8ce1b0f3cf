/* GET /logs/<container>: Docker's logs of one container, streamed (chunked) as upstream's
 * get_logs does (http_routes.rs): one JSON line per message, or bare messages; errors in the
 * stream as {"error": "..."}; a follow ends after logs_idle_timeout without a message (600 s).
 *
 * The Worker listener runs a thread per connection (server.c), so the content callback may
 * block on Docker. It waits in slices of STREAM_SLICE_MS, and between slices ends the stream
 * when the agent stops or the client has gone (its socket reports a hang-up), so a cut client
 * frees its Docker connection within a slice, not after the idle timeout. */
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "docker.h"
#include "log.h"
#include "public/logs_format.h"
#include "public/public.h"
#include "server.h"
#include "srv.h"
#include "util/error.h"

#define STREAM_SLICE_MS 250
#define BATCH_MAX (32u * 1024u) /* answer bytes gathered before handing them to the client */
#define TEXT_PLAIN "text/plain; charset=utf-8"

struct log_job {
    struct listener *listener;
    int client_fd;
    struct docker_log_stream *stream;
    struct logs_format fmt;
    unsigned idle_ms;
    struct strbuf out;
    size_t sent; /* bytes of out already handed to libmicrohttpd */
    bool finished, aborted;
};

static bool client_gone(int fd)
{
    if (fd < 0) {
        return false;
    }
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/* Waits for Docker's next messages and formats them into job->out, or finishes the job. */
static void fill(struct log_job *job)
{
    unsigned idle = 0;
    while (!job->finished && job->out.len == 0) {
        if (srv_listener_closing(job->listener->srv) || client_gone(job->client_fd)) {
            job->finished = job->aborted = true;
            return;
        }
        enum docker_channel ch;
        const uint8_t *data;
        size_t len;
        /* After the first message, take what is already there without waiting. */
        int wait = STREAM_SLICE_MS;
        for (;;) {
            enum docker_read r = docker_logs_next(job->stream, wait, &ch, &data, &len);
            if (r == DOCKER_READ_MESSAGE) {
                logs_format_entry(&job->fmt, ch, data, len, &job->out);
                wait = 0;
                if (job->out.len < BATCH_MAX && !job->out.failed) {
                    continue;
                }
            } else if (r == DOCKER_READ_END) {
                job->finished = true;
            } else if (r == DOCKER_READ_ERROR) {
                logs_format_error(err_text(), &job->out);
                job->finished = true;
            } else if (job->out.len == 0) {
                idle += STREAM_SLICE_MS;
                job->finished = idle >= job->idle_ms; /* upstream: 600 s without a line */
            }
            break;
        }
        if (job->out.failed) {
            job->finished = job->aborted = true;
        }
    }
}

static ssize_t on_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct log_job *job = cls;
    if (job->sent == job->out.len) {
        strbuf_free(&job->out);
        job->sent = 0;
        fill(job);
        if (job->aborted) {
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (job->out.len == 0) {
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
    }
    size_t n = job->out.len - job->sent;
    n = n < max ? n : max;
    memcpy(buf, job->out.data + job->sent, n);
    job->sent += n;
    return (ssize_t)n;
}

static void on_free(void *cls)
{
    struct log_job *job = cls;
    docker_logs_close(job->stream);
    strbuf_free(&job->out);
    free(job);
}

static enum MHD_Result send_json_error(struct listener *l, struct MHD_Connection *conn,
                                       unsigned status, const char *msg)
{
    struct strbuf b = {0};
    logs_format_error(msg, &b);
    if (b.failed || b.data == NULL) {
        strbuf_free(&b);
        return MHD_NO;
    }
    return server_send(l, conn, status, TEXT_PLAIN, b.data, b.len);
}

static bool arg(struct MHD_Connection *conn, const char *key, const char **value)
{
    size_t len = 0;
    *value = NULL;
    return MHD_lookup_connection_value_n(conn, MHD_GET_ARGUMENT_KIND, key, strlen(key), value,
                                         &len) == MHD_YES;
}

/* The query: since, until, follow, text, timestamps, bare, tail (default "1000"), ansi. A bad
 * flag is Rocket's 422; a bad duration is upstream's in-stream error. The error text says what
 * is wrong. */
static dstack_err read_query(struct MHD_Connection *conn, struct docker_logs_options *o,
                             struct logs_format *f, unsigned *status)
{
    static const char *const names[] = {"follow", "text", "timestamps", "bare", "ansi"};
    bool *dst[] = {&o->follow, &f->text, &o->timestamps, &f->bare, &f->ansi};
    const char *v;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        bool present = arg(conn, names[i], &v);
        if (!logs_parse_flag(present, v, dst[i])) {
            *status = 422u; /* Rocket: a query guard that does not parse */
            return err_set(DSTACK_EINVAL, "query parameter %s: \"%.40s\" is not a boolean",
                           names[i], v);
        }
    }
    *status = MHD_HTTP_OK;
    time_t now = time(NULL);
    if (arg(conn, "since", &v) && !logs_parse_duration(v != NULL ? v : "", now, &o->since)) {
        return err_set(DSTACK_EINVAL, "Invalid since");
    }
    if (arg(conn, "until", &v) && !logs_parse_duration(v != NULL ? v : "", now, &o->until)) {
        return err_set(DSTACK_EINVAL, "Invalid until");
    }
    bool has_tail = arg(conn, "tail", &v);
    const char *tail = has_tail ? (v != NULL ? v : "") : "1000";
    if (strlen(tail) >= sizeof o->tail) {
        return err_set(DSTACK_EINVAL, "invalid tail: use a number of lines or \"all\"");
    }
    memcpy(o->tail, tail, strlen(tail) + 1);
    return DSTACK_OK;
}

enum MHD_Result public_logs(struct listener *l, struct MHD_Connection *conn, const char *name,
                            bool raw_control)
{
    if (raw_control) {
        /* libmicrohttpd decoded %00 and cut the name there: `abc%00def` would ask for `abc`. */
        return send_json_error(l, conn, MHD_HTTP_BAD_REQUEST,
                               "invalid request: the container name or a query parameter holds "
                               "a control character (%00-%1F or %7F); container names never do");
    }
    if (!docker_name_valid(name)) {
        /* '/', '..', '%' and the like never reach Docker, escaped or not. */
        return send_json_error(l, conn, MHD_HTTP_BAD_REQUEST,
                               "invalid container name: use the name or id Docker shows "
                               "([A-Za-z0-9][A-Za-z0-9_.-]*)");
    }
    struct docker_logs_options opt = {0};
    struct log_job *job = calloc(1, sizeof *job);
    unsigned status = MHD_HTTP_OK;
    if (job == NULL) {
        return MHD_NO;
    }
    if (read_query(conn, &opt, &job->fmt, &status) != DSTACK_OK ||
        docker_logs_open(name, &opt, &job->stream) != DSTACK_OK) {
        free(job);
        return send_json_error(l, conn, status, err_text());
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    job->client_fd = ci != NULL ? ci->connect_fd : -1;
    job->listener = l;
    job->idle_ms = l->agent->cfg->logs_idle_timeout * 1000u;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, on_read, job, on_free);
    if (resp == NULL) {
        on_free(job);
        return MHD_NO;
    }
    server_add_headers(l, resp, TEXT_PLAIN);
    /* The stream's own idle rule applies, not the listener's keep-alive timeout. */
    MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
    srv_connection_streams(conn); /* nor the core's request deadline */
    enum MHD_Result r = MHD_queue_response(conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    log_debug("logs: streaming %s (follow %d)", name, opt.follow);
    return r;
}
