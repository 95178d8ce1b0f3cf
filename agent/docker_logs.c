/* Streaming GET /containers/<name>/logs (docker.h). libcurl's multi interface is pumped only
 * when the caller asks for the next message, so Docker is read no faster than the client of
 * /logs takes the data: a huge log never piles up in the agent (TCP back-pressure reaches
 * Docker), and a paused transfer (CURL_WRITEFUNC_PAUSE) is resumed once there is room again.
 *
 * Wire formats (Docker Engine API, "Attach/Logs stream format"): without a TTY every message is
 * a frame of an 8-byte header [stream, 0, 0, 0, size as 32-bit big-endian] and size bytes of
 * output; with a TTY the output is one raw stream, which we cut at newlines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docker_internal.h"
#include "util/error.h"

#define FRAME_HEADER 8
#define RAW_CAP (DOCKER_FRAME_MAX + FRAME_HEADER + CURL_MAX_WRITE_SIZE)
/* Bytes of a refusing answer's body read for its {"message"}: an input cap, not a text size. */
#define REFUSAL_BODY_READ_MAX 4096
#define POLL_SLICE_MS 1000

struct docker_log_stream {
    CURLM *multi;
    CURL *easy;
    char errbuf[CURL_ERROR_SIZE];
    const char *socket_path;
    bool tty;
    uint8_t *raw; /* unread output is raw[start, start + len) */
    size_t start, len;
    size_t handed_out; /* bytes of the last message, dropped at the next call */
    bool paused;       /* the write callback refused a chunk for lack of room */
    bool done;
    CURLcode result;
    long status;
    struct docker_buf error_body; /* a non-200 answer's body, for its message */
    size_t frame_left;            /* payload of the current frame not handed out yet */
    enum docker_channel frame_channel;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user)
{
    struct docker_log_stream *s = user;
    size_t n = size * nmemb;
    if (s->status == 0) {
        curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &s->status);
    }
    if (s->status != 200) { /* keep the start of the error answer */
        size_t room = s->error_body.cap - s->error_body.len;
        size_t keep = n < room ? n : room;
        memcpy(s->error_body.data + s->error_body.len, ptr, keep);
        s->error_body.len += keep;
        return n;
    }
    if (n > RAW_CAP - s->start - s->len && s->start > 0) {
        memmove(s->raw, s->raw + s->start, s->len);
        s->start = 0;
    }
    if (n > RAW_CAP - s->start - s->len) {
        s->paused = true;
        return CURL_WRITEFUNC_PAUSE; /* delivered again after curl_easy_pause(CONT) */
    }
    memcpy(s->raw + s->start + s->len, ptr, n);
    s->len += n;
    return n;
}

/* A TTY container's output up to and with a newline, or DOCKER_FRAME_MAX bytes. */
static bool next_console(struct docker_log_stream *s, size_t *piece)
{
    size_t scan = s->len < DOCKER_FRAME_MAX ? s->len : DOCKER_FRAME_MAX;
    const uint8_t *nl = memchr(s->raw + s->start, '\n', scan);
    if (nl != NULL) {
        *piece = (size_t)(nl - (s->raw + s->start)) + 1;
    } else if (s->len >= DOCKER_FRAME_MAX || (s->done && s->len > 0)) {
        *piece = scan;
    } else {
        return false;
    }
    s->frame_channel = DOCKER_CONSOLE;
    return true;
}

/* The next piece of a multiplexed frame; -1 on a malformed header. */
static int next_frame(struct docker_log_stream *s, size_t *piece)
{
    while (s->frame_left == 0) {
        if (s->len < FRAME_HEADER) {
            return 0;
        }
        const uint8_t *h = s->raw + s->start;
        if (h[0] > DOCKER_STDERR || h[1] != 0 || h[2] != 0 || h[3] != 0) {
            return -1;
        }
        s->frame_channel = (enum docker_channel)h[0];
        s->frame_left = (size_t)h[4] << 24 | (size_t)h[5] << 16 | (size_t)h[6] << 8 | h[7];
        s->start += FRAME_HEADER;
        s->len -= FRAME_HEADER;
    }
    size_t want = s->frame_left < DOCKER_FRAME_MAX ? s->frame_left : DOCKER_FRAME_MAX;
    if (s->len < want) {
        return 0;
    }
    *piece = want;
    s->frame_left -= want;
    return 1;
}

static void pump(struct docker_log_stream *s)
{
    if (s->paused && RAW_CAP - s->len >= CURL_MAX_WRITE_SIZE) {
        s->paused = false;
        curl_easy_pause(s->easy, CURLPAUSE_CONT);
    }
    int running = 0;
    curl_multi_perform(s->multi, &running);
    int left = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(s->multi, &left)) != NULL) {
        if (msg->msg == CURLMSG_DONE) {
            s->done = true;
            s->result = msg->data.result;
        }
    }
    if (s->status == 0) {
        curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &s->status);
    }
}

/* The end of the stream; on an error the error text says why. */
static enum docker_read finished(struct docker_log_stream *s)
{
    if (s->status != 0 && s->status != 200) {
        docker_refused(s->status, s->error_body.data, s->error_body.len);
        return DOCKER_READ_ERROR;
    }
    if (s->result != CURLE_OK) {
        docker_transfer_failed(s->result, s->socket_path, s->errbuf);
        return DOCKER_READ_ERROR;
    }
    return DOCKER_READ_END;
}

enum docker_read docker_logs_next(struct docker_log_stream *s, int wait_ms,
                                  enum docker_channel *channel, const uint8_t **data, size_t *len)
{
    s->start += s->handed_out;
    s->len -= s->handed_out;
    s->handed_out = 0;
    long long deadline = now_ms() + wait_ms;
    for (;;) {
        size_t piece = 0;
        int got = s->tty ? next_console(s, &piece) : next_frame(s, &piece);
        if (got < 0) {
            err_set(DSTACK_EPROTO, "Docker sent a malformed log frame");
            return DOCKER_READ_ERROR;
        }
        if (got > 0) {
            *channel = s->frame_channel;
            *data = s->raw + s->start;
            *len = piece;
            s->handed_out = piece;
            return DOCKER_READ_MESSAGE;
        }
        if (s->done) {
            return finished(s);
        }
        size_t before = s->len;
        pump(s);
        if (s->len != before || s->done) {
            continue;
        }
        long long left = deadline - now_ms();
        if (left <= 0) {
            return DOCKER_READ_IDLE;
        }
        curl_multi_poll(s->multi, NULL, 0, (int)(left < POLL_SLICE_MS ? left : POLL_SLICE_MS),
                        NULL);
    }
}

void docker_logs_close(struct docker_log_stream *s)
{
    if (s == NULL) {
        return;
    }
    if (s->multi != NULL && s->easy != NULL) {
        curl_multi_remove_handle(s->multi, s->easy);
    }
    curl_easy_cleanup(s->easy);
    curl_multi_cleanup(s->multi);
    free(s->raw);
    free(s->error_body.data);
    free(s);
}

/* Inspect: a missing container is reported before any stream starts, and TTY containers
 * are told apart (their logs are not multiplexed). */
static dstack_err inspect_tty(const char *name, bool *tty)
{
    char path[DOCKER_NAME_MAX + 32];
    snprintf(path, sizeof path, "/containers/%s/json", name);
    cJSON *doc = NULL;
    long status = 0;
    dstack_err e = docker_get_json(path, &doc, &status);
    if (e != DSTACK_OK) {
        return e;
    }
    const cJSON *config = cJSON_GetObjectItemCaseSensitive(doc, "Config");
    *tty = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(config, "Tty"));
    cJSON_Delete(doc);
    return DSTACK_OK;
}

static bool tail_valid(const char *tail)
{
    if (strcmp(tail, "all") == 0 || tail[0] == '\0') {
        return true;
    }
    for (const char *p = tail; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return false;
        }
    }
    return true;
}

/* Starts the transfer and waits for Docker's status line (bounded). */
static dstack_err start_transfer(struct docker_log_stream *s, const char *query)
{
    s->easy = docker_curl_new(s->socket_path, query, s->errbuf);
    s->multi = curl_multi_init();
    if (s->easy == NULL || s->multi == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
    curl_multi_add_handle(s->multi, s->easy);
    long long deadline = now_ms() + DOCKER_TIMEOUT_MS;
    while (s->status == 0 && !s->done) {
        pump(s);
        long long left = deadline - now_ms();
        if (s->status != 0 || s->done) {
            break;
        }
        if (left <= 0) {
            return docker_transfer_failed(CURLE_OPERATION_TIMEDOUT, s->socket_path, "");
        }
        curl_multi_poll(s->multi, NULL, 0, (int)(left < POLL_SLICE_MS ? left : POLL_SLICE_MS),
                        NULL);
    }
    /* An error answer is short: read it whole (still bounded) for its message. */
    while (s->status != 200 && !s->done && now_ms() < deadline) {
        pump(s);
        if (!s->done) {
            curl_multi_poll(s->multi, NULL, 0, 100, NULL);
        }
    }
    if (s->status != 200) {
        if (s->done || s->status != 0) {
            s->done = true;
            finished(s);
            return DSTACK_EPROTO;
        }
        return docker_transfer_failed(CURLE_OPERATION_TIMEDOUT, s->socket_path, "");
    }
    return DSTACK_OK;
}

dstack_err docker_logs_open(const char *name, const struct docker_logs_options *opt,
                            struct docker_log_stream **out)
{
    *out = NULL;
    if (!docker_name_valid(name)) {
        return err_set(DSTACK_EINVAL, "invalid container name: use the name or id Docker shows "
                                      "([A-Za-z0-9_.-])");
    }
    if (!tail_valid(opt->tail)) {
        return err_set(DSTACK_EINVAL, "invalid tail: use a number of lines or \"all\"");
    }
    struct docker_log_stream *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    dstack_err e = DSTACK_EUNSUPPORTED;
    s->socket_path = docker_socket_path();
    s->raw = malloc(RAW_CAP);
    s->error_body.data = malloc(REFUSAL_BODY_READ_MAX);
    s->error_body.cap = REFUSAL_BODY_READ_MAX;
    if (s->socket_path != NULL && (s->raw == NULL || s->error_body.data == NULL)) {
        e = err_set(DSTACK_ENOMEM, "out of memory");
    } else if (s->socket_path != NULL) {
        e = inspect_tty(name, &s->tty);
    }
    if (e != DSTACK_OK) {
        docker_logs_close(s);
        return e;
    }
    char query[DOCKER_NAME_MAX + 256];
    snprintf(query, sizeof query,
             "/containers/%s/logs?stdout=1&stderr=1&follow=%d&timestamps=%d&since=%lld"
             "&until=%lld&tail=%s",
             name, opt->follow, opt->timestamps, (long long)opt->since, (long long)opt->until,
             opt->tail[0] ? opt->tail : "all");
    if ((e = start_transfer(s, query)) != DSTACK_OK) {
        docker_logs_close(s);
        return e;
    }
    *out = s;
    return DSTACK_OK;
}
