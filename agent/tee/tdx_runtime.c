/* Runtime events and RTMR3 (tdx_runtime.h). */
#include "tee/tdx_runtime.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attest/runtime_log.h"
#include "log.h"
#include "tee/event_limits.h"
#include "tee/tdx_rtmr.h"
#include "util/error.h"
#include "util/file.h"
#include "util/hex.h"

/* Enters the mismatch state with the reason (printf-style), logs it and returns DSTACK_ETEE with
 * the same text set for the caller. */
static dstack_err set_mismatch(struct tdx_runtime *rt, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static dstack_err set_mismatch(struct tdx_runtime *rt, const char *fmt, ...)
{
    char why[TDX_WHY_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&rt->why_mu);
    memcpy(rt->why, why, sizeof why);
    atomic_store(&rt->mismatch, true);
    pthread_mutex_unlock(&rt->why_mu);
    log_error("%s", why);
    return err_set(DSTACK_ETEE, "%s", why);
}

dstack_err tdx_runtime_consistent(struct tdx_runtime *rt)
{
    if (!atomic_load(&rt->mismatch)) {
        return DSTACK_OK;
    }
    char why[TDX_WHY_MAX];
    pthread_mutex_lock(&rt->why_mu);
    memcpy(why, rt->why, sizeof why);
    pthread_mutex_unlock(&rt->why_mu);
    return err_set(DSTACK_ETEE, "%s", why);
}

dstack_err tdx_runtime_init(struct tdx_runtime *rt, const struct tdx_paths *p)
{
    memset(rt, 0, sizeof *rt);
    rt->paths = p;
    atomic_init(&rt->mismatch, false);
    if (!tdx_path_join(rt->log_path, p->log_dir, TDX_RUNTIME_LOG_NAME) ||
        !tdx_path_join(rt->lock_path, p->log_dir, TDX_RUNTIME_LOCK_NAME) ||
        !tdx_path_join(rt->version_path, p->log_dir, TDX_RUNTIME_VERSION_NAME) ||
        !tdx_path_join(rt->pending_path, p->log_dir, TDX_RUNTIME_PENDING_NAME)) {
        return err_set(DSTACK_EINVAL, "runtime log directory path too long");
    }
    if (pthread_mutex_init(&rt->why_mu, NULL) != 0) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    return DSTACK_OK;
}

void tdx_runtime_destroy(struct tdx_runtime *rt)
{
    pthread_mutex_destroy(&rt->why_mu);
}

/* The lock file, flocked `op` within TDX_RUNTIME_LOCK_TIMEOUT_MS; -1 with the text set. A blocking
 * flock would let a stuck emitter in another process hang every request behind it. */
static int take_lock(struct tdx_runtime *rt, int op)
{
    /* Shared with every emitter (dstack-util creates it too), so not exclusive; never a
     * symlink planted in the directory. */
    int fd = open(rt->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno == ENOENT) {
        /* dstack-util creates the directory at boot; create it when we come first (docs/tdx.md).
         * A failure here is the caller's error (keys wait, the emission fails), never
         * start-up's. */
        if (mkdir(rt->paths->log_dir, 0755) == 0 || errno == EEXIST) {
            fd = open(rt->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        }
    }
    if (fd < 0) {
        err_set(DSTACK_ETEE, "cannot open %.100s: %.100s", rt->lock_path, strerror(errno));
        return -1;
    }
    for (unsigned waited = 0; flock(fd, op | LOCK_NB) != 0; waited += 2) {
        if ((errno != EWOULDBLOCK && errno != EINTR) || waited >= TDX_RUNTIME_LOCK_TIMEOUT_MS) {
            err_set(DSTACK_ETEE, "cannot lock %.100s: %.100s", rt->lock_path,
                    errno == EWOULDBLOCK ? "held too long by another emitter" : strerror(errno));
            close(fd);
            return -1;
        }
        struct timespec ts = {0, 2 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return fd;
}

/* A whole file (NUL-terminated); missing = empty when missing_ok. */
static dstack_err slurp(const char *path, bool missing_ok, char **out, size_t *len)
{
    bool missing = false;
    dstack_err e = file_read_all(path, TDX_RUNTIME_LOG_MAX, out, len, missing_ok ? &missing : NULL);
    if (e == DSTACK_OK && missing) {
        *out = calloc(1, 1);
        return *out != NULL ? DSTACK_OK : err_set(DSTACK_ENOMEM, "out of memory");
    }
    return e;
}

/* *torn (may be NULL) receives the length of whole lines when a torn last line follows them,
 * SIZE_MAX otherwise. */
static dstack_err parse_file(const char *path, bool missing_ok, struct dstack_event_log *out,
                             size_t *torn)
{
    char *text = NULL;
    size_t len = 0, valid = 0;
    dstack_err e = slurp(path, missing_ok, &text, &len);
    if (e != DSTACK_OK) {
        return e;
    }
    e = runtime_log_parse(text, len, out, &valid);
    free(text);
    if (torn != NULL) {
        *torn = e == DSTACK_OK && valid < len ? valid : SIZE_MAX;
    }
    if (e != DSTACK_OK) {
        err_wrap(DSTACK_ETEE, "%.100s", path);
    }
    return e;
}

static void replay_rtmr3(const struct dstack_event_log *log, uint8_t mr[DSTACK_MR_LEN])
{
    memset(mr, 0, DSTACK_MR_LEN);
    for (size_t i = 0; i < log->count; i++) {
        uint8_t d[DSTACK_SHA384_LEN];
        if (log->events[i].imr == 3 && dstack_event_digest(&log->events[i], d) == DSTACK_OK) {
            dstack_rtmr_extend(mr, d);
        }
    }
}

static dstack_err write_all(const char *path, int flags, const char *data, size_t len)
{
    int fd = open(path, flags | O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return err_set(DSTACK_EIO, "cannot open %.100s: %.100s", path, strerror(errno));
    }
    /* One write(2) with O_APPEND: a line lands whole or not at all in practice. */
    ssize_t n;
    do {
        n = write(fd, data, len);
    } while (n < 0 && errno == EINTR);
    int saved = errno;
    if (close(fd) != 0 && n == (ssize_t)len) {
        n = -1;
        saved = errno;
    }
    if (n != (ssize_t)len) {
        return err_set(DSTACK_EIO, "cannot write %.100s: %.100s", path,
                       n < 0 ? strerror(saved) : "short write");
    }
    return DSTACK_OK;
}

static dstack_err log_end_line(struct tdx_runtime *rt, bool *torn_cut);

dstack_err tdx_runtime_check(struct tdx_runtime *rt, tdx_read_rtmr3_fn read_rtmr3, void *ctx)
{
    int lock = take_lock(rt, LOCK_EX);
    if (lock < 0) {
        return DSTACK_EIO;
    }
    struct dstack_event_log log, pending;
    dstack_event_log_init(&log);
    dstack_event_log_init(&pending);
    uint8_t reg[DSTACK_MR_LEN], replayed[DSTACK_MR_LEN];
    char *line = NULL;
    size_t line_len = 0;
    dstack_err e = read_rtmr3(ctx, reg);
    if (e != DSTACK_OK) {
        goto out;
    }
    /* A crash mid-append: a torn partial line is cut (the pending file below still holds the
     * whole event), a whole entry missing its newline gets one, so the repair below and every
     * later line start on their own line. */
    bool torn_cut = false;
    e = log_end_line(rt, &torn_cut);
    if (e == DSTACK_OK) {
        e = parse_file(rt->log_path, true, &log, NULL);
    }
    if (e != DSTACK_OK) {
        char cause[TDX_WHY_MAX];
        snprintf(cause, sizeof cause, "%s", err_text());
        (void)set_mismatch(rt, "runtime event log unreadable, refusing to serve keys: %.150s",
                           cause);
        e = DSTACK_OK;
        goto out;
    }
    replay_rtmr3(&log, replayed);
    if (memcmp(replayed, reg, DSTACK_MR_LEN) == 0) {
        unlink(rt->pending_path); /* an emission that never reached the register */
        log_info("runtime event log %s (%zu events) replays to RTMR3", rt->log_path, log.count);
        goto out;
    }
    /* A crash between extend and append leaves the line in the pending file. */
    uint8_t d[DSTACK_SHA384_LEN];
    if (parse_file(rt->pending_path, false, &pending, NULL) == DSTACK_OK && pending.count == 1 &&
        dstack_event_digest(&pending.events[0], d) == DSTACK_OK) {
        dstack_rtmr_extend(replayed, d);
        if (memcmp(replayed, reg, DSTACK_MR_LEN) == 0 &&
            slurp(rt->pending_path, false, &line, &line_len) == DSTACK_OK &&
            write_all(rt->log_path, O_APPEND, line, line_len) == DSTACK_OK) {
            unlink(rt->pending_path);
            log_warn("runtime event log %s: recovered event \"%s\" that reached RTMR3 before a "
                     "crash",
                     rt->log_path, pending.events[0].event);
            goto out;
        }
    }
    char hreg[2 * DSTACK_MR_LEN + 1], hlog[2 * DSTACK_MR_LEN + 1];
    replay_rtmr3(&log, replayed);
    hex_encode(reg, DSTACK_MR_LEN, hreg);
    hex_encode(replayed, DSTACK_MR_LEN, hlog);
    (void)set_mismatch(rt,
                       "measurement mismatch, refusing to serve keys: %.100s (%zu events) replays "
                       "to RTMR3 %.16s..., the register holds %.16s...",
                       rt->log_path, log.count, hlog, hreg);
out:
    free(line);
    dstack_event_log_free(&log);
    dstack_event_log_free(&pending);
    close(lock);
    return e;
}

dstack_err tdx_runtime_read(struct tdx_runtime *rt, struct dstack_event_log *out)
{
    int lock = take_lock(rt, LOCK_SH);
    if (lock < 0) {
        return DSTACK_EIO;
    }
    dstack_err e = parse_file(rt->log_path, true, out, NULL);
    close(lock);
    return e;
}

/* runtime_event_version: "1" or "2", written by dstack-util during system setup. Missing or
 * anything else refuses the emission, as upstream's runtime_event_version_file does
 * (dstack-attest/src/lib.rs): guessing a version would extend RTMR3 with a digest the rest of the
 * boot did not agree on. */
static dstack_err read_version(struct tdx_runtime *rt, unsigned *version)
{
    char *text = NULL;
    size_t len = 0;
    bool missing = false;
    dstack_err e = file_read_all(rt->version_path, 64, &text, &len, &missing);
    if (e != DSTACK_OK) {
        return e;
    }
    if (missing) {
        return err_set(DSTACK_ETEE,
                       "runtime event version is not configured (%.100s is missing); complete "
                       "dstack system setup before emitting events",
                       rt->version_path);
    }
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' ' || text[len - 1] == '\r')) {
        text[--len] = '\0';
    }
    if (strcmp(text, "1") == 0) {
        *version = DSTACK_EVENT_V1;
    } else if (strcmp(text, "2") == 0) {
        *version = DSTACK_EVENT_V2;
    } else {
        e = err_set(DSTACK_EFORMAT, "%.100s: \"%.20s\" is not a runtime event version (1 or 2)",
                    rt->version_path, text);
    }
    free(text);
    return e;
}

/* Before anything is appended, the log must end in '\n'. Upstream's dstack-util writes the JSON
 * and its newline in two write_all calls (cc-eventlog/src/runtime_events.rs), so a crash
 * between them leaves a whole entry without its newline; our next line would be glued onto it
 * and the file would never parse again. A whole last entry gets its newline; a torn one (not
 * JSON) is cut off. Called under the exclusive lock. *torn_cut is set when a torn line was cut:
 * its event may have reached RTMR3 already. */
static dstack_err log_end_line(struct tdx_runtime *rt, bool *torn_cut)
{
    *torn_cut = false;
    int fd = open(rt->log_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT) {
            return DSTACK_OK;
        }
        return err_set(DSTACK_EIO, "cannot open %.100s: %.100s", rt->log_path, strerror(errno));
    }
    struct stat st;
    char last = '\n';
    bool ok = fstat(fd, &st) == 0 && (st.st_size == 0 || pread(fd, &last, 1, st.st_size - 1) == 1);
    close(fd);
    if (!ok) {
        return err_set(DSTACK_EIO, "cannot read %.100s", rt->log_path);
    }
    if (last == '\n') {
        return DSTACK_OK; /* the common case: one byte read */
    }
    struct dstack_event_log log;
    size_t torn = SIZE_MAX;
    dstack_event_log_init(&log);
    dstack_err e = parse_file(rt->log_path, true, &log, &torn);
    dstack_event_log_free(&log);
    if (e != DSTACK_OK) {
        return e;
    }
    if (torn != SIZE_MAX) {
        if (truncate(rt->log_path, (off_t)torn) != 0) {
            return err_set(DSTACK_EIO, "cannot cut the torn last line of %.100s: %.100s",
                           rt->log_path, strerror(errno));
        }
        *torn_cut = true;
        log_warn("runtime event log %s: dropped a torn last line", rt->log_path);
        return DSTACK_OK;
    }
    e = write_all(rt->log_path, O_APPEND, "\n", 1);
    if (e == DSTACK_OK) {
        log_warn("runtime event log %s: added the newline missing after the last entry",
                 rt->log_path);
    }
    return e;
}

/* The log's bytes and lines against tee/event_limits.h, under the emitters' lock: every
 * emitter appends, so the file itself is counted (at most EVENT_LOG_BYTES_MAX to read). */
static dstack_err check_log_bounds(struct tdx_runtime *rt, size_t line_len)
{
    int fd = open(rt->log_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT) {
            return DSTACK_OK; /* the first event */
        }
        return err_set(DSTACK_EIO, "cannot open %.100s: %.100s", rt->log_path, strerror(errno));
    }
    size_t bytes = 0, lines = 0;
    char buf[65536];
    ssize_t n;
    while (bytes <= EVENT_LOG_BYTES_MAX && (n = read(fd, buf, sizeof buf)) > 0) {
        bytes += (size_t)n;
        for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + n - p))) != NULL; p++) {
            lines++;
        }
    }
    close(fd);
    if (bytes > EVENT_LOG_BYTES_MAX || line_len > EVENT_LOG_BYTES_MAX - bytes) {
        return err_set(DSTACK_EINVAL,
                       "the runtime event log would grow past its limit of %u bytes (%zu now, %zu "
                       "more)",
                       EVENT_LOG_BYTES_MAX, bytes, line_len);
    }
    if (lines >= EVENT_RUNTIME_COUNT_MAX) {
        return err_set(DSTACK_EINVAL, "the runtime event log holds %u events, its limit",
                       EVENT_RUNTIME_COUNT_MAX);
    }
    return DSTACK_OK;
}

dstack_err tdx_runtime_emit(struct tdx_runtime *rt, const char *name, const uint8_t *payload,
                            size_t len)
{
    unsigned version = DSTACK_EVENT_V1;
    uint8_t digest[DSTACK_SHA384_LEN];
    char *line = NULL;
    size_t line_len = 0;
    if (tdx_runtime_consistent(rt) != DSTACK_OK) {
        return DSTACK_ETEE;
    }
    int lock = take_lock(rt, LOCK_EX);
    if (lock < 0) {
        return DSTACK_EIO;
    }
    bool torn_cut = false;
    dstack_err e = read_version(rt, &version);
    if (e == DSTACK_OK) {
        e = log_end_line(rt, &torn_cut);
    }
    if (e != DSTACK_OK) {
        goto out;
    }
    if (torn_cut) {
        /* Another emitter died mid-append; its event may be in RTMR3 and now in no log. */
        e = set_mismatch(rt,
                         "measurement mismatch, refusing to serve keys: %.100s ended in a torn "
                         "line (an emitter crashed mid-append)",
                         rt->log_path);
        goto out;
    }
    if (runtime_log_format_line(name, payload, len, version, &line, &line_len) != DSTACK_OK ||
        dstack_runtime_event_digest(version, name, payload, len, digest) != DSTACK_OK) {
        e = err_set(DSTACK_EINVAL, "invalid event name (empty or not UTF-8)");
        goto out;
    }
    if ((e = check_log_bounds(rt, line_len)) != DSTACK_OK) {
        goto out; /* before RTMR3 moves */
    }
    /* The pending line: a new file, created exclusively and renamed into place. */
    if ((e = file_write_new(rt->pending_path, line, line_len, 0600, true)) != DSTACK_OK) {
        goto out;
    }
    e = tdx_rtmr_extend(rt->paths, 3, digest);
    if (e == DSTACK_EIO) { /* short write: the register may or may not have moved */
        char cause[TDX_WHY_MAX];
        snprintf(cause, sizeof cause, "%s", err_text());
        e = set_mismatch(rt,
                         "RTMR3 state unknown after a failed extension, refusing to serve keys: "
                         "%.150s",
                         cause);
        goto out; /* the pending line stays: the next start tells which it was */
    }
    if (e != DSTACK_OK) {
        unlink(rt->pending_path);
        goto out;
    }
    /* The register accepted it: only now does the line go into the log (docs/api/EmitEvent.md). */
    if ((e = write_all(rt->log_path, O_APPEND, line, line_len)) != DSTACK_OK) {
        char cause[TDX_WHY_MAX];
        snprintf(cause, sizeof cause, "%s", err_text());
        e = set_mismatch(rt,
                         "RTMR3 was extended with \"%.60s\" but the log could not follow, "
                         "refusing to serve keys: %.120s",
                         name, cause);
        goto out;
    }
    unlink(rt->pending_path);
out:
    free(line);
    close(lock);
    return e;
}
