/* A fake TDX kernel in a temporary directory, for tests of the tdx backend (unit and
 * integration) without hardware. One thread plays the kernel:
 *
 *   <root>/report/com.intel.dcap/   configfs-tsm report directory: provider "tdx_guest",
 *                                   generation, inblob, outblob. When a writer closes inblob
 *                                   holding 64 bytes, the kernel signs a v4 quote over them with
 *                                   a seeded PCK chain (agent/tee/sim_pck.h, so
 *                                   dstack_quote_verify accepts it against fake_tdx_root_pem),
 *                                   writes outblob, then bumps generation.
 *   <root>/measurements/rtmr3:sha384  a FIFO: every 48 bytes written to it extend RTMR3. A FIFO
 *                                   because a regular file cannot compute SHA384(old || new) on
 *                                   write; reading it back is what a FIFO cannot do, so the
 *                                   backend takes the registers from quotes here (it reads
 *                                   sysfs only from regular files), which the kernel fills with
 *                                   its current RTMRs. Pending extensions are applied before
 *                                   every quote, so a write that returned is always in the next
 *                                   quote, as with the real register.
 *   <root>/log/                     the runtime log directory (/run/log/dstack).
 *
 * RTMR0-2 are the replay of the CCEL file given to fake_tdx_start, MRTD a fixed pattern, so the
 * CCEL replays to the quotes' RTMRs. Modes reproduce kernel-side trouble. Functions are static
 * inline so each test includes what it uses. */
#ifndef DSTACK_TEST_FAKE_TDX_H
#define DSTACK_TEST_FAKE_TDX_H

#include <dstack/attest.h>
#include <dstack/ccel.h>
#include <dstack/quote.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tee/sim_pck.h"

enum fake_mode {
    FAKE_NORMAL,
    FAKE_RACE_ONCE,   /* the next quote: generation jumps by 2 (another writer), then normal */
    FAKE_RACE_ALWAYS, /* every quote: generation jumps by 2 */
    FAKE_STUCK,       /* generation never moves (the kernel ignores inblob) */
    FAKE_STALE,       /* generation moves but outblob keeps the previous quote */
    FAKE_V5,          /* quotes in the v5 layout (report data at 574) */
};

/* How the fake /dev/tdx_guest answers TDX_CMD_EXTEND_RTMR (fake_tdx_syscalls.h). */
enum fake_ioctl_mode {
    FAKE_IOCTL_IOR,        /* dstack's module: _IOR('T', 3, ...) only, the _IOW number is ENOTTY */
    FAKE_IOCTL_IOW,        /* a patch set that defines it _IOW: the _IOR number is ENOTTY */
    FAKE_IOCTL_RAW_STATUS, /* v0.5: a TDCALL failure status whose low 32 bits are 0 reads as
                              success through glibc's int return; nothing is extended */
};

struct fake_tdx {
    char root[128];
    char report_dir[256];
    char rtmr_dir[256];
    char log_dir[256];
    char device[300];   /* /dev/tdx_guest: a plain file; fake_tdx_syscalls.h answers its ioctls */
    char tsm_base[256]; /* /sys/kernel/config/tsm/report, empty until something mkdirs in it */
    char fifo[300];
    struct quote_pki *pki;
    pthread_t thread;
    bool running;
    int stop_pipe[2];
    int ino, fifo_fd;
    pthread_mutex_t mu;
    uint8_t mrtd[DSTACK_MR_LEN];
    uint8_t rtmr[4][DSTACK_MR_LEN];
    unsigned long long generation;
    atomic_int mode;
    atomic_uint delay_ms;        /* how long a quote takes (the real kernel: a few seconds) */
    atomic_uint delay_jitter_ms; /* plus up to this much, varying from quote to quote */
    uint32_t rng;                /* xorshift state of the jitter (the kernel thread only) */
    atomic_uint quotes, extends, reports; /* reports: TDX_CMD_GET_REPORT0 calls */
    atomic_int ioctl_mode;                /* enum fake_ioctl_mode */
    atomic_bool no_provider;              /* configfs-tsm without a provider: mkdir gets ENXIO */
};

static inline bool fake_write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char tmp[400], path[400];
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    bool ok = fd >= 0 && write(fd, data, len) == (ssize_t)len;
    if (fd >= 0) {
        close(fd);
    }
    return ok && rename(tmp, path) == 0; /* readers see the old or the new file, whole */
}

static inline void fake_apply_extends(struct fake_tdx *f)
{
    uint8_t buf[48 * 64];
    /* Read and apply under the lock: two readers must not reorder extensions. */
    pthread_mutex_lock(&f->mu);
    for (;;) {
        ssize_t n = read(f->fifo_fd, buf, sizeof buf);
        if (n <= 0) {
            break;
        }
        for (ssize_t off = 0; off + 48 <= n; off += 48) { /* pipe writes of 48 are atomic */
            dstack_rtmr_extend(f->rtmr[3], buf + off);
            atomic_fetch_add(&f->extends, 1);
        }
    }
    pthread_mutex_unlock(&f->mu);
}

static inline void fake_make_quote(struct fake_tdx *f)
{
    char path[400];
    uint8_t rd[DSTACK_REPORT_DATA_LEN + 1];
    snprintf(path, sizeof path, "%s/inblob", f->report_dir);
    int fd = open(path, O_RDWR);
    ssize_t n = fd >= 0 ? read(fd, rd, sizeof rd) : -1;
    if (fd >= 0) {
        if (n == DSTACK_REPORT_DATA_LEN && ftruncate(fd, 0) != 0) {
            n = -1;
        }
        close(fd);
    }
    if (n != DSTACK_REPORT_DATA_LEN) {
        return; /* a close without a write (the writer's lock descriptor) */
    }
    fake_apply_extends(f);
    unsigned delay = atomic_load(&f->delay_ms), jitter = atomic_load(&f->delay_jitter_ms);
    if (jitter > 0) {
        f->rng ^= f->rng << 13;
        f->rng ^= f->rng >> 17;
        f->rng ^= f->rng << 5;
        delay += f->rng % (jitter + 1);
    }
    if (delay > 0) {
        struct timespec ts = {(time_t)(delay / 1000), (long)(delay % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    int mode = atomic_load(&f->mode);
    struct quote_td td;
    quote_td_defaults(&td);
    pthread_mutex_lock(&f->mu);
    memcpy(td.mr_td, f->mrtd, DSTACK_MR_LEN);
    memcpy(td.rtmr, f->rtmr, sizeof td.rtmr);
    pthread_mutex_unlock(&f->mu);
    uint8_t *q = NULL;
    size_t qlen = 0;
    if (mode != FAKE_STALE && mode != FAKE_STUCK &&
        quote_build_v4(f->pki, &td, rd, &q, &qlen) == DSTACK_OK) {
        if (mode == FAKE_V5) { /* v5: version 5 and a 6-byte body descriptor after the header */
            uint8_t *v5 = malloc(qlen + 6);
            memcpy(v5, q, 48);
            v5[0] = 5;
            v5[48] = 2, v5[49] = 0;                               /* body type TD10 */
            v5[50] = 0x48, v5[51] = 0x02, v5[52] = 0, v5[53] = 0; /* 584 */
            memcpy(v5 + 54, q + 48, qlen - 48);
            free(q);
            q = v5;
            qlen += 6;
        }
        fake_write_file(f->report_dir, "outblob", q, qlen);
    }
    free(q);
    atomic_fetch_add(&f->quotes, 1); /* counted before the generation tells the reader */
    if (mode != FAKE_STUCK) {
        f->generation += mode == FAKE_RACE_ONCE || mode == FAKE_RACE_ALWAYS ? 2 : 1;
        if (mode == FAKE_RACE_ONCE) {
            atomic_store(&f->mode, FAKE_NORMAL);
        }
        char text[32];
        int len = snprintf(text, sizeof text, "%llu\n", f->generation);
        fake_write_file(f->report_dir, "generation", text, (size_t)len);
    }
}

static inline void *fake_kernel(void *arg)
{
    struct fake_tdx *f = arg;
    for (;;) {
        struct pollfd p[3] = {
            {f->stop_pipe[0], POLLIN, 0}, {f->ino, POLLIN, 0}, {f->fifo_fd, POLLIN, 0}};
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        if (p[0].revents) {
            break;
        }
        if (p[2].revents & POLLIN) {
            fake_apply_extends(f);
        }
        if (p[1].revents & POLLIN) {
            char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
            ssize_t n = read(f->ino, buf, sizeof buf);
            bool inblob = false;
            for (ssize_t off = 0; off < n;) {
                const struct inotify_event *ev = (const struct inotify_event *)(buf + off);
                inblob |= ev->len > 0 && strcmp(ev->name, "inblob") == 0;
                off += (ssize_t)(sizeof *ev + ev->len);
            }
            if (inblob) {
                fake_make_quote(f);
            }
        }
    }
    return NULL;
}

/* RTMR3 as the fake kernel holds it, extensions still in the FIFO applied first. */
static inline void fake_tdx_rtmr3(struct fake_tdx *f, uint8_t out[DSTACK_MR_LEN])
{
    fake_apply_extends(f);
    /* fake_apply_extends released the lock; take it again for a consistent copy. */
    pthread_mutex_lock(&f->mu);
    memcpy(out, f->rtmr[3], DSTACK_MR_LEN);
    pthread_mutex_unlock(&f->mu);
}

/* A new boot: RTMR3 back to zero, the runtime log directory (a tmpfs under /run) emptied and
 * the event-log version written again by system setup. */
static inline void fake_tdx_reboot(struct fake_tdx *f)
{
    fake_apply_extends(f);
    pthread_mutex_lock(&f->mu);
    memset(f->rtmr[3], 0, DSTACK_MR_LEN);
    pthread_mutex_unlock(&f->mu);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -f '%s'/*", f->log_dir);
    (void)!system(cmd);
    fake_write_file(f->log_dir, "runtime_event_version", "1", 1);
}

static inline const char *fake_tdx_root_pem(const struct fake_tdx *f)
{
    return quote_pki_root_pem(f->pki);
}

static inline bool fake_tdx_start(struct fake_tdx *f, const char *ccel_path)
{
    memset(f, 0, sizeof *f);
    snprintf(f->root, sizeof f->root, "/tmp/fake-tdx-XXXXXX");
    if (mkdtemp(f->root) == NULL) {
        return false;
    }
    char dir[160];
    snprintf(dir, sizeof dir, "%.128s/report", f->root);
    snprintf(f->report_dir, sizeof f->report_dir, "%s/com.intel.dcap", dir);
    snprintf(f->rtmr_dir, sizeof f->rtmr_dir, "%.128s/measurements", f->root);
    snprintf(f->log_dir, sizeof f->log_dir, "%.128s/log", f->root);
    snprintf(f->fifo, sizeof f->fifo, "%.256s/rtmr3:sha384", f->rtmr_dir);
    snprintf(f->device, sizeof f->device, "%.128s/tdx_guest", f->root);
    snprintf(f->tsm_base, sizeof f->tsm_base, "%.128s/tsm-report", f->root);
    if (mkdir(dir, 0755) != 0 || mkdir(f->report_dir, 0755) != 0 || mkdir(f->rtmr_dir, 0755) != 0 ||
        mkfifo(f->fifo, 0600) != 0 || mkdir(f->log_dir, 0755) != 0 ||
        mkdir(f->tsm_base, 0755) != 0 || !fake_write_file(f->root, "tdx_guest", "", 0) ||
        /* dstack-util's system setup writes the event-log version before anything emits */
        !fake_write_file(f->log_dir, "runtime_event_version", "1", 1) ||
        !fake_write_file(f->report_dir, "provider", "tdx_guest\n", 10) ||
        !fake_write_file(f->report_dir, "generation", "0\n", 2) ||
        !fake_write_file(f->report_dir, "inblob", "", 0) ||
        !fake_write_file(f->report_dir, "outblob", "", 0)) {
        return false;
    }
    uint8_t seed[QUOTE_SEED_LEN];
    memset(seed, 0x5e, sizeof seed);
    if (quote_pki_new(seed, &f->pki) != DSTACK_OK) {
        return false;
    }
    memset(f->mrtd, 0x11, sizeof f->mrtd);
    f->rng = 0x2545F491u;
    /* RTMR0-2: the CCEL's replay. */
    FILE *cf = fopen(ccel_path, "rb");
    static uint8_t ccel[1u << 20];
    size_t clen = cf != NULL ? fread(ccel, 1, sizeof ccel, cf) : 0;
    if (cf != NULL) {
        fclose(cf);
    }
    struct dstack_event_log log;
    dstack_event_log_init(&log);
    if (dstack_ccel_parse(ccel, clen, &log) != DSTACK_OK ||
        dstack_replay_rtmrs(&log, f->rtmr) != DSTACK_OK) {
        dstack_event_log_free(&log);
        return false;
    }
    dstack_event_log_free(&log);
    pthread_mutex_init(&f->mu, NULL);
    f->fifo_fd = open(f->fifo, O_RDWR | O_NONBLOCK); /* never EOF, never blocks the writer */
    f->ino = inotify_init1(IN_NONBLOCK);
    if (f->fifo_fd < 0 || f->ino < 0 || pipe(f->stop_pipe) != 0 ||
        inotify_add_watch(f->ino, f->report_dir, IN_CLOSE_WRITE) < 0) {
        return false;
    }
    f->running = pthread_create(&f->thread, NULL, fake_kernel, f) == 0;
    return f->running;
}

static inline void fake_tdx_stop(struct fake_tdx *f)
{
    if (f->running) {
        (void)!write(f->stop_pipe[1], "x", 1);
        pthread_join(f->thread, NULL);
        f->running = false;
    }
    if (f->fifo_fd > 0) {
        close(f->fifo_fd);
    }
    if (f->ino > 0) {
        close(f->ino);
    }
    if (f->stop_pipe[0] > 0) {
        close(f->stop_pipe[0]);
        close(f->stop_pipe[1]);
    }
    quote_pki_free(f->pki);
    f->pki = NULL;
    pthread_mutex_destroy(&f->mu);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
    (void)!system(cmd);
}

#endif
