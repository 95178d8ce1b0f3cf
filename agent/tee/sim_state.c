/* The simulator's measurement state (see sim_state.h). */
#include "tee/sim_state.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/evlog_internal.h"
#include "attest/runtime_log.h"
#include "tee/sim_boot.h"
#include "tee/event_limits.h"
#include "util/error.h"
#include "util/file.h"
#include "util/secret.h"
#include "util/utf8.h"

#define SIM_INPUT_MAX (1u << 20) /* compose, sys-config, keys: far above any real one */

struct sim_state {
    pthread_mutex_t lock;
    struct sim_measurements m;
    struct dstack_event_log log; /* boot events, then runtime events */
    size_t n_boot;
    unsigned event_version;
    int log_fd; /* runtime_events.log, O_APPEND */
    char log_path[1100];
};

/* DER SPKI of the keys file's ca_cert (public; the CA key itself is never touched here). The
 * file holds secrets too, so its text is wiped once the certificate is copied out. An absent
 * file gives no SPKI (key-provider "none"). */
static dstack_err read_ca_spki(const char *path, uint8_t **spki, size_t *spki_len)
{
    char *text = NULL;
    size_t len = 0;
    bool missing = false;
    dstack_err e = file_read_all(path, SIM_INPUT_MAX, &text, &len, &missing);
    cJSON *doc = NULL;
    BIO *bio = NULL;
    X509 *x = NULL;

    *spki = NULL;
    *spki_len = 0;
    if (e != DSTACK_OK || missing) {
        return e;
    }
    struct json_error jerr;
    doc = json_parse(text, len, 0, &jerr);
    const char *pem = json_str(json_get(doc, "ca_cert"));
    e = DSTACK_EFORMAT;
    if (pem == NULL) {
        err_set(DSTACK_EIO, "%s: no \"ca_cert\" string", path);
        goto out;
    }
    bio = BIO_new_mem_buf(pem, -1);
    x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    int n = x != NULL ? i2d_PUBKEY(X509_get0_pubkey(x), spki) : -1;
    if (n <= 0) {
        err_set(DSTACK_EIO, "%s: \"ca_cert\" is not a PEM certificate", path);
        goto out;
    }
    *spki_len = (size_t)n;
    e = DSTACK_OK;
out:
    X509_free(x);
    BIO_free(bio);
    json_free(doc);
    secret_wipe(text, len);
    free(text);
    return e;
}

static dstack_err read_vm_config(const char *path, char **vm_config)
{
    char *text = NULL;
    size_t len = 0;
    dstack_err e = file_read_all(path, SIM_INPUT_MAX, &text, &len, NULL);
    if (e != DSTACK_OK) {
        return e;
    }
    struct json_error jerr;
    cJSON *doc = json_parse(text, len, 0, &jerr);
    free(text);
    const char *vm = json_str(json_get(doc, "vm_config"));
    if (vm == NULL) {
        err_set(DSTACK_EFORMAT, "%s: \"vm_config\" (a JSON string) is required", path);
        json_free(doc);
        return DSTACK_EFORMAT;
    }
    *vm_config = strdup(vm);
    json_free(doc);
    return *vm_config != NULL ? DSTACK_OK : DSTACK_ENOMEM;
}

static bool same_runtime_event(const struct dstack_event *a, const struct dstack_event *b)
{
    return strcmp(a->event, b->event) == 0 && a->version == b->version &&
           a->payload_len == b->payload_len &&
           (a->payload_len == 0 || memcmp(a->payload, b->payload, a->payload_len) == 0);
}

static dstack_err write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return DSTACK_EIO;
        }
        p += w;
        len -= (size_t)w;
    }
    return DSTACK_OK;
}

/* Replaces the runtime log with `events` (a fresh boot): temporary file, fsync, rename. */
static dstack_err rewrite_runtime_log(const char *path, const struct dstack_event_log *events)
{
    char tmp[FILE_TEMP_PATH_MAX];
    int fd = file_temp_create(path, 0600, tmp); /* never a planted name (util/file.h) */
    if (fd < 0) {
        return DSTACK_EIO;
    }
    dstack_err e = DSTACK_OK;
    for (size_t i = 0; i < events->count && e == DSTACK_OK; i++) {
        const struct dstack_event *ev = &events->events[i];
        char *line = NULL;
        size_t n = 0;
        e = runtime_log_format_line(ev->event, ev->payload, ev->payload_len, ev->version, &line,
                                    &n);
        if (e == DSTACK_OK) {
            e = write_all(fd, line, n);
        }
        free(line);
    }
    if (e != DSTACK_OK) {
        err_set(DSTACK_EIO, "cannot write %s: %s", tmp, strerror(errno));
        file_temp_abort(fd, tmp);
        return DSTACK_EIO;
    }
    e = file_temp_commit(fd, tmp, path, true);
    return e;
}

/* Loads the stored runtime events when they continue this boot, else starts a fresh one. On
 * return st->log holds boot events + runtime events and st->log_fd is open for appending. */
static dstack_err load_runtime_events(struct sim_state *st, const struct dstack_event_log *fresh)
{
    char *text = NULL;
    size_t len = 0, valid = 0;
    bool missing = false, keep = false;
    struct dstack_event_log stored;
    dstack_err e;

    dstack_event_log_init(&stored);
    e = file_read_all(st->log_path, SIM_RUNTIME_LOG_MAX, &text, &len, &missing);
    if (e != DSTACK_OK) {
        goto out;
    }
    if (!missing) {
        e = runtime_log_parse(text, len, &stored, &valid);
        if (e != DSTACK_OK) {
            char perr[200];
            snprintf(perr, sizeof perr, "%s", err_text()); /* err_set must not read its own text */
            err_set(DSTACK_EIO, "%s: %s (remove the file to restart the simulated boot)",
                    st->log_path, perr);
            goto out;
        }
        keep = stored.count >= fresh->count;
        for (size_t i = 0; keep && i < fresh->count; i++) {
            keep = same_runtime_event(&stored.events[i], &fresh->events[i]);
        }
    }
    const struct dstack_event_log *use = keep ? &stored : fresh;
    if (!keep) {
        if ((e = rewrite_runtime_log(st->log_path, fresh)) != DSTACK_OK) {
            goto out;
        }
    }
    st->log_fd = open(st->log_path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (st->log_fd < 0) {
        e = err_set(DSTACK_EIO, "cannot open %s: %s", st->log_path, strerror(errno));
        goto out;
    }
    if (keep && valid < len) {
        /* A torn last entry (crash mid-append): drop it, it was never acknowledged. */
        if (ftruncate(st->log_fd, (off_t)valid) != 0) {
            e = err_set(DSTACK_EIO, "cannot truncate %s: %s", st->log_path, strerror(errno));
            goto out;
        }
        len = valid;
    }
    if (keep && len > 0 && text[len - 1] != '\n' && write_all(st->log_fd, "\n", 1) != DSTACK_OK) {
        e = err_set(DSTACK_EIO, "cannot write %s: %s", st->log_path, strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < use->count && e == DSTACK_OK; i++) {
        const struct dstack_event *ev = &use->events[i];
        e = dstack_event_log_push(&st->log, ev->imr, ev->event_type,
                                  ev->has_digest ? ev->digest : NULL, ev->event, ev->payload,
                                  ev->payload_len, ev->version);
    }
    if (e != DSTACK_OK) {
        err_set(DSTACK_EIO, "%s: %s", st->log_path, dstack_err_str(e));
    }
out:
    dstack_event_log_free(&stored);
    free(text);
    return e;
}

dstack_err sim_state_open(const struct agent_config *cfg, struct sim_state **out)
{
    struct sim_state *st = calloc(1, sizeof *st);
    char *compose = NULL, *vm_config = NULL;
    size_t compose_len = 0;
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    struct dstack_event_log fresh;
    dstack_err e;

    *out = NULL;
    dstack_event_log_init(&fresh);
    if (st == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    st->log_fd = -1;
    dstack_event_log_init(&st->log);
    if (pthread_mutex_init(&st->lock, NULL) != 0) {
        free(st);
        return err_set(DSTACK_ENOMEM, "cannot create a mutex");
    }
    int n = snprintf(st->log_path, sizeof st->log_path, "%s/%s",
                     cfg->sim_dir[0] ? cfg->sim_dir : ".", SIM_RUNTIME_LOG_NAME);
    if (n < 0 || (size_t)n >= sizeof st->log_path) {
        e = err_set(DSTACK_EINVAL, "simulator folder path too long");
        goto out;
    }
    if ((e = file_read_all(cfg->compose_file, SIM_INPUT_MAX, &compose, &compose_len, NULL)) !=
        DSTACK_OK) {
        goto out;
    }
    if ((e = read_vm_config(cfg->sys_config_file, &vm_config)) != DSTACK_OK ||
        (e = read_ca_spki(cfg->keys_file, &spki, &spki_len)) != DSTACK_OK) {
        goto out;
    }
    struct sim_compose_info ci;
    if ((e = sim_compose_parse((const uint8_t *)compose, compose_len, &ci)) != DSTACK_OK) {
        err_wrap(e, "%s", cfg->compose_file);
        goto out;
    }
    st->event_version = ci.event_log_version;

    if ((e = sim_boot_firmware_events(cfg->sim_seed, &st->log, st->m.mrtd)) != DSTACK_OK) {
        err_set(DSTACK_EIO, "building the boot event log: %s", dstack_err_str(e));
        goto out;
    }
    st->n_boot = st->log.count;
    struct sim_boot_inputs in = {
        .seed = cfg->sim_seed,
        .compose = (const uint8_t *)compose,
        .compose_len = compose_len,
        .vm_config = vm_config,
        .ca_spki = spki,
        .ca_spki_len = spki_len,
    };
    if ((e = sim_boot_runtime_events(&in, &fresh)) != DSTACK_OK) {
        err_wrap(e, "%s", cfg->compose_file);
        goto out;
    }
    if ((e = load_runtime_events(st, &fresh)) != DSTACK_OK) {
        goto out;
    }
    if ((e = dstack_replay_rtmrs(&st->log, st->m.rtmr)) != DSTACK_OK) {
        err_set(DSTACK_EIO, "replaying the event log: %s", dstack_err_str(e));
        goto out;
    }
    *out = st;
    st = NULL;
out:
    sim_state_free(st);
    dstack_event_log_free(&fresh);
    free(compose);
    free(vm_config);
    OPENSSL_free(spki);
    return e;
}

void sim_state_free(struct sim_state *st)
{
    if (st == NULL) {
        return;
    }
    if (st->log_fd >= 0) {
        close(st->log_fd);
    }
    dstack_event_log_free(&st->log);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

void sim_state_snapshot(struct sim_state *st, struct sim_measurements *m)
{
    pthread_mutex_lock(&st->lock);
    *m = st->m;
    pthread_mutex_unlock(&st->lock);
}

dstack_err sim_state_copy_log(struct sim_state *st, struct sim_measurements *m,
                              struct dstack_event_log *out)
{
    dstack_err e = DSTACK_OK;
    dstack_event_log_init(out);
    pthread_mutex_lock(&st->lock);
    if (m != NULL) {
        *m = st->m;
    }
    for (size_t i = 0; i < st->log.count && e == DSTACK_OK; i++) {
        const struct dstack_event *ev = &st->log.events[i];
        e = dstack_event_log_push(out, ev->imr, ev->event_type, ev->has_digest ? ev->digest : NULL,
                                  ev->event, ev->payload, ev->payload_len, ev->version);
    }
    pthread_mutex_unlock(&st->lock);
    if (e != DSTACK_OK) {
        dstack_event_log_free(out);
        return err_set(e, "copying the event log: %s", dstack_err_str(e));
    }
    return e;
}

unsigned sim_state_event_version(const struct sim_state *st)
{
    return st->event_version;
}

dstack_err sim_state_emit(struct sim_state *st, const char *name, const uint8_t *payload,
                          size_t payload_len)
{
    char *line = NULL;
    size_t line_len = 0;
    dstack_err e;

    if (name == NULL || name[0] == '\0' || !utf8_valid(name, strlen(name))) {
        return err_set(DSTACK_EINVAL, "event name must be a non-empty UTF-8 string");
    }
    e = runtime_log_format_line(name, payload, payload_len, st->event_version, &line, &line_len);
    if (e != DSTACK_OK) {
        return err_set(e, "cannot encode the event: %s", dstack_err_str(e));
    }
    pthread_mutex_lock(&st->lock);
    /* The bounds hold before anything moves (tee/event_limits.h). */
    if (st->log.count - st->n_boot >= EVENT_RUNTIME_COUNT_MAX) {
        e = err_set(DSTACK_EINVAL, "the runtime event log holds %u events, its limit",
                    EVENT_RUNTIME_COUNT_MAX);
        goto out;
    }
    /* Persist first: the file is what a restart replays. If the write is short, cut the file
     * back so no torn entry is left behind for the next start to trip over. */
    struct stat fst;
    off_t before = fstat(st->log_fd, &fst) == 0 ? fst.st_size : -1;
    if (before < 0 || (size_t)before > EVENT_LOG_BYTES_MAX ||
        line_len > EVENT_LOG_BYTES_MAX - (size_t)before) {
        err_set(DSTACK_EIO,
                "the runtime event log would grow past its limit of %u bytes (%lld now, %zu "
                "more)",
                EVENT_LOG_BYTES_MAX, (long long)before, line_len);
        e = DSTACK_EINVAL;
        goto out;
    }
    if (write_all(st->log_fd, line, line_len) != DSTACK_OK) {
        int saved = errno;
        if (before >= 0 && ftruncate(st->log_fd, before) != 0) {
            /* nothing more to do: the next start drops the torn tail */
        }
        e = err_set(DSTACK_EIO, "cannot append to %s: %s", st->log_path, strerror(saved));
        goto out;
    }
    e = dstack_event_log_push_runtime(&st->log, name, payload, payload_len, st->event_version);
    if (e != DSTACK_OK) {
        /* Out of memory after the line reached the file: cut it back to stay consistent. */
        if (before >= 0 && ftruncate(st->log_fd, before) != 0) {
            /* the next start replays the file, which then includes this event */
        }
        err_set(DSTACK_EIO, "cannot record the event: %s", dstack_err_str(e));
        goto out;
    }
    dstack_rtmr_extend(st->m.rtmr[3], st->log.events[st->log.count - 1].digest);
    st->m.generation++;
out:
    pthread_mutex_unlock(&st->lock);
    free(line);
    return e;
}
