/* configfs-tsm quotes (tdx_configfs.h). */
#include "tee/tdx_configfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dstack/quote.h>

#define POLL_MS 10     /* linux.rs CONFIGFS_GEN_POLL_INTERVAL_MS */
#define MKDIR_POLLS 50 /* configfs fills a new directory at once; allow 50 ms anyway */

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A small text attribute (provider, generation), NUL-terminated. On failure errno is the
 * kernel's. */
static dstack_err read_attr(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int saved = errno;
        err_set(DSTACK_ETEE, "cannot open %.100s: %.100s", path, strerror(saved));
        errno = saved;
        return DSTACK_ETEE;
    }
    size_t n = 0;
    while (n < cap - 1) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            int saved = errno;
            err_set(DSTACK_ETEE, "cannot read %.100s: %.100s", path, strerror(saved));
            close(fd);
            errno = saved;
            return DSTACK_ETEE;
        }
        if (r == 0) {
            break;
        }
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    return DSTACK_OK;
}

static dstack_err check_provider(const char *dir)
{
    char path[TDX_PATH_MAX], text[64];
    if (!tdx_path_join(path, dir, "provider")) {
        return err_set(DSTACK_ETEE, "configfs path too long: %.200s", dir);
    }
    dstack_err e = read_attr(path, text, sizeof text);
    if (e != DSTACK_OK) {
        if (errno == ENXIO) { /* report.c provider_show: the provider went away */
            err_set(DSTACK_ETEE, "%.100s: no TSM provider registered (%.60s)", path,
                    strerror(ENXIO));
        }
        return e;
    }
    const char *p = text;
    while (*p == ' ' || *p == '\t' || *p == '\n') {
        p++;
    }
    if (strncmp(p, TDX_PROVIDER_PREFIX, strlen(TDX_PROVIDER_PREFIX)) != 0) {
        text[strcspn(text, "\n")] = '\0';
        return err_set(DSTACK_ETEE, "%.100s: provider is \"%.40s\", not a TDX guest (%.100s)", dir,
                       p, TDX_PROVIDER_PREFIX);
    }
    return DSTACK_OK;
}

dstack_err tdx_configfs_prepare(const struct tdx_paths *p, char dir[TDX_PATH_MAX])
{
    if (p->configfs_bad[0] != '\0') { /* an unusable override: upstream fails the quote */
        return err_set(DSTACK_ETEE, "%.200s", p->configfs_bad);
    }
    if (p->configfs_explicit) {
        /* An override is authoritative: report it broken rather than fall back (linux.rs
         * should_try_configfs). */
        if (!is_dir(p->configfs_dir)) {
            return err_set(DSTACK_ETEE, "configfs report directory %.100s does not exist",
                           p->configfs_dir);
        }
        memcpy(dir, p->configfs_dir, strlen(p->configfs_dir) + 1);
        return check_provider(dir);
    }
    if (!is_dir(p->configfs_dir) && !is_dir(p->configfs_base)) {
        return err_set(DSTACK_EUNSUPPORTED, "no configfs-tsm (%.100s is absent)", p->configfs_base);
    }
    if (!is_dir(p->configfs_dir) && mkdir(p->configfs_dir, 0700) != 0 && errno != EEXIST) {
        /* ENXIO: configfs-tsm is there but no provider registered (report.c
         * tsm_report_make_item), e.g. the tdx_guest driver is not loaded yet. */
        return err_set(DSTACK_ETEE, "cannot create %.100s: %.60s%.60s", p->configfs_dir,
                       strerror(errno), errno == ENXIO ? " (no TSM provider registered)" : "");
    }
    /* configfs populates a new report directory itself; give it a moment (linux.rs polls). */
    char provider[TDX_PATH_MAX];
    if (!tdx_path_join(provider, p->configfs_dir, "provider")) {
        return err_set(DSTACK_ETEE, "configfs path too long");
    }
    for (int i = 0; i < MKDIR_POLLS && access(provider, F_OK) != 0; i++) {
        sleep_ms(1);
    }
    memcpy(dir, p->configfs_dir, strlen(p->configfs_dir) + 1);
    return check_provider(dir);
}

/* `generation`: a decimal counter. */
static dstack_err read_generation(const char *path, unsigned long long *g)
{
    char text[32];
    dstack_err e = read_attr(path, text, sizeof text);
    if (e != DSTACK_OK) {
        return e;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    while (end != NULL && (*end == '\n' || *end == ' ')) {
        end++;
    }
    if (text[0] < '0' || text[0] > '9' || errno != 0 || end == NULL || *end != '\0') {
        return err_set(DSTACK_ETEE, "%.100s: not a generation counter", path);
    }
    *g = v;
    return DSTACK_OK;
}

/* One write, no retry. configfs keeps a binary attribute's bytes in a buffer and hands them to
 * the provider when the file is closed, and ->release's result is ignored
 * (fs/configfs/file.c configfs_release_bin_file), so write() never sees the kernel's EBUSY:
 * upstream's EBUSY retry (linux.rs write_inblob_with_retry) cannot fire. Whether the kernel
 * took the bytes shows in `generation`, which the caller waits for. */
static dstack_err write_inblob(const char *path, const uint8_t rd[DSTACK_REPORT_DATA_LEN])
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        return err_set(DSTACK_ETEE, "cannot open %.100s: %.100s", path, strerror(errno));
    }
    ssize_t n = write(fd, rd, DSTACK_REPORT_DATA_LEN);
    int saved = errno;
    close(fd);
    if (n == DSTACK_REPORT_DATA_LEN) {
        return DSTACK_OK;
    }
    if (n >= 0) {
        err_set(DSTACK_ETEE, "short write to %.100s (%zd of %d bytes)", path, n,
                DSTACK_REPORT_DATA_LEN);
    } else {
        err_set(DSTACK_ETEE, "cannot write %.100s: %.100s", path, strerror(saved));
    }
    return DSTACK_ETEE;
}

/* The quote, read whole. This read is where the kernel asks the host for the quote and waits for
 * it, up to 30 s (drivers/virt/coco/configfs-tsm report.c tsm_report_read ->
 * tdx-guest.c tdx_report_new -> wait_for_quote_completion). Its errors are not retried:
 *   ETIMEDOUT  the host did not answer in 30 s; the request stays in flight in the host,
 *   EINTR      a signal woke msleep_interruptible(); the request stays in flight too,
 *   EBUSY      the previous request is still in flight,
 * and a retry 100 ms later (on the same fd or a new one) only meets EBUSY until the host is done,
 * which may be another 30 s. The caller reports the error; the client may ask again. (The
 * agent blocks its signals in every thread, agent/daemon.c, so EINTR does not reach it.) */
static dstack_err read_outblob(const char *path, uint8_t **out, size_t *out_len)
{
    /* One byte more than the largest quote, so an oversized blob is seen as such. */
    uint8_t *buf = malloc(TDX_QUOTE_BUF_LEN + 1);
    if (buf == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err_set(DSTACK_ETEE, "cannot open %.100s: %.100s", path, strerror(errno));
        free(buf);
        return DSTACK_ETEE;
    }
    size_t n = 0;
    int saved = 0;
    while (n < TDX_QUOTE_BUF_LEN + 1) {
        ssize_t r = read(fd, buf + n, TDX_QUOTE_BUF_LEN + 1 - n);
        if (r <= 0) {
            saved = r < 0 ? errno : 0;
            break;
        }
        n += (size_t)r;
    }
    close(fd);
    if (saved != 0) {
        err_set(DSTACK_ETEE, "cannot read %.100s: %.100s", path, strerror(saved));
    } else if (n <= TDX_QUOTE_MIN_LEN || n >= TDX_QUOTE_BUF_LEN) {
        err_set(DSTACK_ETEE, "%.100s: %.100s (%zu bytes)", path,
                n == 0 ? "empty outblob" : "invalid quote size", n);
    } else {
        *out = buf;
        *out_len = n;
        return DSTACK_OK;
    }
    free(buf);
    return DSTACK_ETEE;
}

/* Takes the cross-process lock on inblob within timeout_ms (flock is per open file, so threads
 * of this process with their own descriptors exclude each other too). */
static int lock_inblob(const char *path, unsigned timeout_ms)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        err_set(DSTACK_ETEE, "cannot open %.100s: %.100s", path, strerror(errno));
        return -1;
    }
    long long until = now_ms() + timeout_ms;
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if ((errno != EWOULDBLOCK && errno != EINTR) || now_ms() >= until) {
            err_set(DSTACK_ETEE, "cannot lock %.100s: %.100s", path,
                    errno == EWOULDBLOCK ? "held by another process" : strerror(errno));
            close(fd);
            return -1;
        }
        sleep_ms(POLL_MS);
    }
    return fd;
}

enum attempt_result { ATTEMPT_OK, ATTEMPT_RETRY, ATTEMPT_FAIL };

static enum attempt_result attempt(const char *dir, unsigned gen_timeout_ms,
                                   const uint8_t rd[DSTACK_REPORT_DATA_LEN], uint8_t **quote,
                                   size_t *quote_len)
{
    char inblob[TDX_PATH_MAX], outblob[TDX_PATH_MAX], generation[TDX_PATH_MAX];
    if (!tdx_path_join(inblob, dir, "inblob") || !tdx_path_join(outblob, dir, "outblob") ||
        !tdx_path_join(generation, dir, "generation")) {
        err_set(DSTACK_ETEE, "configfs path too long");
        return ATTEMPT_FAIL;
    }
    int lock = lock_inblob(inblob, gen_timeout_ms);
    if (lock < 0) {
        return ATTEMPT_FAIL;
    }
    enum attempt_result res = ATTEMPT_FAIL;
    unsigned long long g1, g2, g3;
    uint8_t *q = NULL;
    size_t qlen = 0;
    if (read_generation(generation, &g1) != DSTACK_OK || write_inblob(inblob, rd) != DSTACK_OK) {
        goto out;
    }
    long long until = now_ms() + gen_timeout_ms;
    for (;;) {
        if (read_generation(generation, &g2) != DSTACK_OK) {
            goto out;
        }
        if (g2 != g1) {
            break;
        }
        if (now_ms() >= until) {
            err_set(DSTACK_ETEE,
                    "timed out after %u ms waiting for %.100s to advance (the kernel did not take "
                    "the report data)",
                    gen_timeout_ms, generation);
            goto out;
        }
        sleep_ms(POLL_MS);
    }
    if (g2 != g1 + 1) {
        err_set(DSTACK_ETEE, "another writer used %.100s (generation %llu -> %llu, want %llu)", dir,
                g1, g2, g1 + 1);
        res = ATTEMPT_RETRY;
        goto out;
    }
    if (read_outblob(outblob, &q, &qlen) != DSTACK_OK ||
        read_generation(generation, &g3) != DSTACK_OK) {
        goto out;
    }
    if (g3 != g2) {
        err_set(DSTACK_ETEE,
                "another writer used %.100s while the quote was read "
                "(generation %llu -> %llu)",
                dir, g2, g3);
        res = ATTEMPT_RETRY;
        goto out;
    }
    size_t off = 0;
    if (dstack_quote_report_data_offset(q, qlen, &off) != DSTACK_OK) {
        err_set(DSTACK_ETEE, "%.100s holds %zu bytes that are not a TDX quote", outblob, qlen);
        goto out;
    }
    if (memcmp(q + off, rd, DSTACK_REPORT_DATA_LEN) != 0) {
        err_set(DSTACK_ETEE,
                "the quote in %.100s is over other report data (a stale or foreign outblob)",
                outblob);
        res = ATTEMPT_RETRY;
        goto out;
    }
    *quote = q;
    *quote_len = qlen;
    q = NULL;
    res = ATTEMPT_OK;
out:
    free(q);
    close(lock); /* releases the flock */
    return res;
}

dstack_err tdx_configfs_quote(const char *dir, unsigned generation_timeout_ms,
                              const uint8_t report_data[DSTACK_REPORT_DATA_LEN], uint8_t **quote,
                              size_t *quote_len)
{
    *quote = NULL;
    *quote_len = 0;
    for (int i = 0; i < TDX_CONFIGFS_ATTEMPTS; i++) {
        switch (attempt(dir, generation_timeout_ms, report_data, quote, quote_len)) {
        case ATTEMPT_OK:
            return DSTACK_OK;
        case ATTEMPT_FAIL:
            return DSTACK_ETEE;
        case ATTEMPT_RETRY:
            break;
        }
    }
    char last[ERR_TEXT_MAX];
    snprintf(last, sizeof last, "%s", err_text());
    return err_set(DSTACK_ETEE, "%s (gave up after %d attempts)", last, TDX_CONFIGFS_ATTEMPTS);
}
