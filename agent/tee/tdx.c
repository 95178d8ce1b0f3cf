/* The real TDX backend (docs/tdx.md): quotes from configfs-tsm or QGS through the bounded quote
 * queue, RTMR3 and the runtime event log kept in step, the boot log from the CCEL table.
 *
 *   tdx_paths.c     where the kernel interfaces are (config, upstream's env overrides, defaults)
 *   tdx_gate.c      the quote queue: one quote at a time, a bounded line with a deadline
 *   tdx_configfs.c  quotes through configfs-tsm
 *   tdx_qgs.c       quotes through QGS on vsock
 *   tdx_rtmr.c      RTMR extension and register reads
 *   tdx_report.c    the local TDREPORT: registers without sysfs, without the host
 *   tdx_runtime.c   runtime_events.log, the emitter lock, the start-up consistency check
 *   lib/attest/ccel.c  the CCEL parser (docs/tdx.md covers them all)
 *
 * Start-up never fails on the device (docs/tdx.md "Start-up"): upstream's agent starts without
 * touching TDX, and an agent that exits here is restarted in a loop while docker waits for its
 * sockets, leaving the CVM unusable. Whatever needs the device (a quote, the boot log, the
 * RTMR3 check that keys wait for) is tried when it is needed and fails there, with the cause. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dstack/ccel.h>
#include <dstack/quote.h>

#include "attest/evlog_internal.h"
#include "log.h"
#include "startup.h"
#include "tee/backends.h"
#include "tee/tdx_configfs.h"
#include "tee/tdx_gate.h"
#include "tee/tdx_paths.h"
#include "tee/tdx_qgs.h"
#include "tee/tdx_report.h"
#include "tee/tdx_rtmr.h"
#include "tee/tdx_runtime.h"

enum quote_method { QUOTE_NONE, QUOTE_CONFIGFS, QUOTE_QGS };

struct tdx_backend {
    struct tdx_paths paths;
    enum quote_method method;
    bool configfs_ready; /* the report directory exists and is TDX's; under the gate */
    char configfs_dir[TDX_PATH_MAX];
    unsigned qgs_port;
    char unavailable[TEE_ERROR_MAX]; /* why there is no quote method */
    struct tdx_gate gate;
    bool gate_ready;
    struct tdx_runtime rt;
    bool rt_ready;
    bool sysfs_registers; /* MRTD and RTMRs readable from sysfs */
    pthread_mutex_t mu;   /* the boot log's loading and the RTMR3 check */
    bool mu_ready;
    bool boot_loaded;             /* under mu; boot is immutable once set */
    struct dstack_event_log boot; /* CCEL events, labelled */
    atomic_bool checked;          /* the runtime log was checked against RTMR3 */
};

/* The backend interface has no error text for quote(), measurements() and event_log();
 * quote_error() hands it to the caller on the same thread (the RPC handler that just called). */
static _Thread_local char call_err[TEE_ERROR_MAX];

static void tdx_close(void *state)
{
    struct tdx_backend *b = state;
    if (b == NULL) {
        return;
    }
    if (b->gate_ready) {
        tdx_gate_destroy(&b->gate);
    }
    if (b->rt_ready) {
        tdx_runtime_destroy(&b->rt);
    }
    if (b->mu_ready) {
        pthread_mutex_destroy(&b->mu);
    }
    dstack_event_log_free(&b->boot);
    free(b);
}

static void prefix_err(char err[TEE_ERROR_MAX], const char *what)
{
    char inner[TEE_ERROR_MAX];
    memcpy(inner, err, sizeof inner);
    snprintf(err, TEE_ERROR_MAX, "%s: %.200s", what, inner);
}

/* A quote through whichever kernel path exists, after waiting for a turn in the queue. A
 * configfs report directory that could not be prepared (no provider yet: ENXIO) is tried again
 * here, so a driver that registers late is picked up. */
static dstack_err quote_gated(struct tdx_backend *b, const uint8_t rd[DSTACK_REPORT_DATA_LEN],
                              uint8_t **quote, size_t *quote_len, char err[TEE_ERROR_MAX])
{
    *quote = NULL;
    *quote_len = 0;
    if (b->method == QUOTE_NONE) {
        snprintf(err, TEE_ERROR_MAX, "quotes unavailable: %.230s", b->unavailable);
        return DSTACK_EUNSUPPORTED;
    }
    dstack_err e = tdx_gate_enter(&b->gate, err, TEE_ERROR_MAX);
    if (e != DSTACK_OK) {
        return e;
    }
    if (b->method == QUOTE_CONFIGFS && !b->configfs_ready) {
        e = tdx_configfs_prepare(&b->paths, b->configfs_dir, err);
        b->configfs_ready = e == DSTACK_OK;
        if (e != DSTACK_OK) {
            prefix_err(err, "quotes unavailable");
            e = DSTACK_ETEE;
        }
    }
    if (e == DSTACK_OK && b->method == QUOTE_CONFIGFS) {
        e = tdx_configfs_quote(b->configfs_dir, b->paths.generation_timeout_ms, rd, quote,
                               quote_len, err);
    } else if (e == DSTACK_OK) {
        e = tdx_qgs_quote(&b->paths, b->qgs_port, rd, quote, quote_len, err);
    }
    tdx_gate_leave(&b->gate);
    return e;
}

/* MRTD and RTMRs: sysfs when it has them (Linux >= 6.16), else a local TDREPORT (one TDCALL, no
 * host), else, when allow_quote, a fresh quote over zero report data as upstream's
 * Attestation::local() does (docs/api/Info.md). Start-up never takes that last path: a host
 * quote must not be needed just to start. */
static dstack_err read_registers(struct tdx_backend *b, struct tee_measurements *m,
                                 bool allow_quote, char err[TEE_ERROR_MAX])
{
    if (b->sysfs_registers) {
        return tdx_rtmr_read_all(&b->paths, m, err);
    }
    char why[TEE_ERROR_MAX];
    dstack_err e = tdx_report_read_registers(b->paths.device, m, why);
    if (e == DSTACK_OK || !allow_quote) {
        if (e != DSTACK_OK) {
            snprintf(err, TEE_ERROR_MAX, "no sysfs registers and no TDREPORT: %.200s", why);
        }
        return e;
    }
    static const uint8_t zero[DSTACK_REPORT_DATA_LEN];
    uint8_t *q = NULL;
    size_t qlen = 0;
    struct dstack_quote parsed;
    e = quote_gated(b, zero, &q, &qlen, err);
    if (e != DSTACK_OK) {
        return e;
    }
    e = dstack_quote_parse(q, qlen, &parsed);
    if (e == DSTACK_OK) {
        tee_measurements_from_report(&parsed.report, m);
    } else {
        snprintf(err, TEE_ERROR_MAX, "the platform's quote does not parse (%zu bytes)", qlen);
    }
    free(q);
    return e;
}

struct rtmr3_reader {
    struct tdx_backend *b;
    bool allow_quote;
};

static dstack_err read_rtmr3(void *ctx, uint8_t rtmr3[DSTACK_MR_LEN], char err[TEE_ERROR_MAX])
{
    const struct rtmr3_reader *r = ctx;
    struct tee_measurements m;
    dstack_err e = read_registers(r->b, &m, r->allow_quote, err);
    if (e == DSTACK_OK) {
        memcpy(rtmr3, m.rtmr[3], DSTACK_MR_LEN);
    }
    return e;
}

/* The runtime log must replay to RTMR3 before any key is served or event emitted
 * (docs/api/EmitEvent.md). Tried at start without quotes, then by the first call that needs it. */
static dstack_err ensure_checked(struct tdx_backend *b, bool allow_quote, char err[TEE_ERROR_MAX])
{
    if (atomic_load(&b->checked)) {
        return DSTACK_OK;
    }
    dstack_err e = DSTACK_OK;
    pthread_mutex_lock(&b->mu);
    if (!atomic_load(&b->checked)) {
        struct rtmr3_reader r = {b, allow_quote};
        e = tdx_runtime_check(&b->rt, read_rtmr3, &r, err);
        if (e == DSTACK_OK) {
            atomic_store(&b->checked, true);
        } else {
            prefix_err(err, "cannot check RTMR3 against the runtime event log yet");
        }
    }
    pthread_mutex_unlock(&b->mu);
    return e;
}

static dstack_err load_ccel(struct tdx_backend *b, char err[TEE_ERROR_MAX])
{
    char rerr[STARTUP_ERROR_MAX] = "", perr[200] = "";
    char *data = NULL;
    size_t len = 0;
    if (b->paths.ccel_bad[0] != '\0') {
        snprintf(err, TEE_ERROR_MAX, "boot event log: %.200s", b->paths.ccel_bad);
        return DSTACK_ETEE;
    }
    dstack_err e = read_file_limited(b->paths.ccel_file, DSTACK_CCEL_MAX_LEN, &data, &len, rerr);
    if (e != DSTACK_OK) {
        snprintf(err, TEE_ERROR_MAX, "boot event log: %.200s", rerr);
        return e;
    }
    e = dstack_ccel_parse((const uint8_t *)data, len, &b->boot, perr, sizeof perr);
    free(data);
    if (e == DSTACK_OK) {
        e = dstack_event_log_label_acpi(&b->boot);
    }
    if (e != DSTACK_OK) {
        dstack_event_log_free(&b->boot);
        snprintf(err, TEE_ERROR_MAX, "boot event log %.80s: %.140s", b->paths.ccel_file,
                 perr[0] ? perr : dstack_err_str(e));
    }
    return e;
}

/* The CCEL, read when a caller first needs it (a quote's event log, Info), not at start; a
 * failure is reported to that caller and tried again by the next. */
static dstack_err boot_log(struct tdx_backend *b, char err[TEE_ERROR_MAX])
{
    pthread_mutex_lock(&b->mu);
    dstack_err e = b->boot_loaded ? DSTACK_OK : load_ccel(b, err);
    b->boot_loaded = e == DSTACK_OK;
    pthread_mutex_unlock(&b->mu);
    return e;
}

/* configfs-tsm when present, else QGS on vsock, else none (docs/tdx.md). A configfs that
 * is present but not usable yet (no provider: ENXIO) stays the method; quotes say why. */
static void pick_quote_method(struct tdx_backend *b)
{
    char why_cfs[TEE_ERROR_MAX] = "", why_qgs[TEE_ERROR_MAX] = "";
    dstack_err e = tdx_configfs_prepare(&b->paths, b->configfs_dir, why_cfs);
    if (e != DSTACK_EUNSUPPORTED) {
        b->method = QUOTE_CONFIGFS;
        b->configfs_ready = e == DSTACK_OK;
        if (e == DSTACK_OK) {
            log_info("tdx: quotes through configfs-tsm %s", b->configfs_dir);
        } else {
            log_warn("tdx: quotes through configfs-tsm, not usable yet: %s", why_cfs);
        }
        return;
    }
    if (tdx_qgs_available(&b->paths, &b->qgs_port, why_qgs) == DSTACK_OK) {
        b->method = QUOTE_QGS;
        log_info("tdx: quotes through QGS on vsock port %u (no configfs-tsm)", b->qgs_port);
        return;
    }
    b->method = QUOTE_NONE;
    snprintf(b->unavailable, sizeof b->unavailable, "%.120s, and %.120s", why_cfs, why_qgs);
    log_warn("tdx: quotes unavailable: %s", b->unavailable);
}

static dstack_err tdx_open(const struct agent_config *cfg, void **state, char err[TEE_ERROR_MAX])
{
    struct tdx_backend *b = calloc(1, sizeof *b);
    dstack_err e = DSTACK_ENOMEM;
    *state = NULL;
    if (b == NULL) {
        snprintf(err, TEE_ERROR_MAX, "out of memory");
        return e;
    }
    dstack_event_log_init(&b->boot);
    atomic_init(&b->checked, false);
    if ((e = tdx_paths_resolve(cfg, &b->paths, err)) != DSTACK_OK) {
        goto fail; /* a configured path that does not fit: the config is wrong, not the device */
    }
    b->mu_ready = pthread_mutex_init(&b->mu, NULL) == 0;
    /* One quote on the device at a time: configfs serialises them anyway (and flock keeps
     * other processes out); QGS on the host has one queue per guest. */
    b->gate_ready = b->mu_ready && tdx_gate_init(&b->gate, 1, b->paths.quote_queue,
                                                 b->paths.quote_timeout_ms) == DSTACK_OK;
    if (!b->gate_ready) {
        snprintf(err, TEE_ERROR_MAX, "out of memory");
        e = DSTACK_ENOMEM;
        goto fail;
    }
    if ((e = tdx_runtime_init(&b->rt, &b->paths, err)) != DSTACK_OK) {
        goto fail;
    }
    b->rt_ready = true;
    pick_quote_method(b);
    struct tee_measurements regs;
    char why[TEE_ERROR_MAX];
    b->sysfs_registers = tdx_rtmr_read_all(&b->paths, &regs, why) == DSTACK_OK;
    if (!b->sysfs_registers) {
        log_info("tdx: registers read from TDREPORTs (%s)", why);
    }
    if (ensure_checked(b, false, why) != DSTACK_OK) {
        log_warn("tdx: %s; keys and EmitEvent wait for it", why);
    }
    *state = b;
    return DSTACK_OK;
fail:
    tdx_close(b);
    return e;
}

static dstack_err tdx_event_log(void *state, struct dstack_event_log *out)
{
    struct tdx_backend *b = state;
    call_err[0] = '\0';
    dstack_err e = boot_log(b, call_err);
    for (size_t i = 0; i < b->boot.count && e == DSTACK_OK; i++) {
        const struct dstack_event *ev = &b->boot.events[i];
        e = dstack_event_log_push(out, ev->imr, ev->event_type, ev->digest, ev->event, ev->payload,
                                  ev->payload_len, ev->version);
    }
    if (e == DSTACK_OK) {
        e = tdx_runtime_read(&b->rt, out, call_err);
    }
    if (e != DSTACK_OK) {
        log_error("tdx: %s", call_err);
    }
    return e;
}

static dstack_err tdx_measurements(void *state, struct tee_measurements *out)
{
    call_err[0] = '\0';
    dstack_err e = read_registers(state, out, true, call_err);
    if (e != DSTACK_OK) {
        log_warn("tdx: reading the registers: %s", call_err);
    }
    return e;
}

static dstack_err tdx_quote(void *state, const uint8_t report_data[DSTACK_REPORT_DATA_LEN],
                            uint8_t **quote, size_t *quote_len)
{
    call_err[0] = '\0';
    dstack_err e = quote_gated(state, report_data, quote, quote_len, call_err);
    if (e != DSTACK_OK) {
        log_warn("tdx: quote failed: %s", call_err);
    }
    return e;
}

static const char *tdx_quote_error(void *state)
{
    (void)state;
    return call_err;
}

static dstack_err tdx_emit_event(void *state, const char *name, const uint8_t *payload, size_t len,
                                 char err[TEE_ERROR_MAX])
{
    struct tdx_backend *b = state;
    dstack_err e = ensure_checked(b, true, err);
    return e == DSTACK_OK ? tdx_runtime_emit(&b->rt, name, payload, len, err) : DSTACK_ETEE;
}

static bool tdx_keys_refused(void *state, char err[TEE_ERROR_MAX])
{
    struct tdx_backend *b = state;
    return ensure_checked(b, true, err) != DSTACK_OK || tdx_runtime_refused(&b->rt, err);
}

const struct tee_backend tee_tdx = {
    .name = "tdx",
    .open = tdx_open,
    .close = tdx_close,
    .event_log = tdx_event_log,
    .measurements = tdx_measurements,
    .quote = tdx_quote,
    .emit_event = tdx_emit_event,
    .quote_error = tdx_quote_error,
    .keys_refused = tdx_keys_refused,
};
