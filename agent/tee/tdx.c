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

#include "log.h"
#include "tee/backends.h"
#include "tee/tdx_configfs.h"
#include "tee/tdx_gate.h"
#include "tee/tdx_paths.h"
#include "tee/tdx_qgs.h"
#include "tee/tdx_report.h"
#include "tee/tdx_rtmr.h"
#include "tee/tdx_runtime.h"
#include "util/file.h"

enum quote_method { QUOTE_NONE, QUOTE_CONFIGFS, QUOTE_QGS };

struct tdx_backend {
    struct tdx_paths paths;
    enum quote_method method;
    bool configfs_ready; /* the report directory exists and is TDX's; under the gate */
    char configfs_dir[TDX_PATH_MAX];
    unsigned qgs_port;
    char unavailable[TDX_WHY_MAX]; /* why there is no quote method */
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

/* Every hook reports failure through the calling thread's error text (util/error.h). A quote is
 * taken on the requesting thread itself (the gate only admits it), so the text set by the gate,
 * configfs or QGS is the one the RPC handler reads right after the call. */

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

/* A quote through whichever kernel path exists, after waiting for a turn in the queue. A
 * configfs report directory that could not be prepared (no provider yet: ENXIO) is tried again
 * here, so a driver that registers late is picked up. */
static dstack_err quote_gated(struct tdx_backend *b, const uint8_t rd[DSTACK_REPORT_DATA_LEN],
                              uint8_t **quote, size_t *quote_len)
{
    *quote = NULL;
    *quote_len = 0;
    if (b->method == QUOTE_NONE) {
        return err_set(DSTACK_EUNSUPPORTED, "quotes unavailable: %s", b->unavailable);
    }
    dstack_err e = tdx_gate_enter(&b->gate);
    if (e != DSTACK_OK) {
        return e;
    }
    if (b->method == QUOTE_CONFIGFS && !b->configfs_ready) {
        e = tdx_configfs_prepare(&b->paths, b->configfs_dir);
        b->configfs_ready = e == DSTACK_OK;
        if (e != DSTACK_OK) {
            e = err_wrap(DSTACK_ETEE, "quotes unavailable");
        }
    }
    if (e == DSTACK_OK && b->method == QUOTE_CONFIGFS) {
        e = tdx_configfs_quote(b->configfs_dir, b->paths.generation_timeout_ms, rd, quote,
                               quote_len);
    } else if (e == DSTACK_OK) {
        e = tdx_qgs_quote(&b->paths, b->qgs_port, rd, quote, quote_len);
    }
    tdx_gate_leave(&b->gate);
    return e;
}

/* MRTD and RTMRs: sysfs when it has them (Linux >= 6.16), else a local TDREPORT (one TDCALL, no
 * host), else, when allow_quote, a fresh quote over zero report data as upstream's
 * Attestation::local() does (docs/api/Info.md). Start-up never takes that last path: a host
 * quote must not be needed just to start. */
static dstack_err read_registers(struct tdx_backend *b, struct tee_measurements *m,
                                 bool allow_quote)
{
    if (b->sysfs_registers) {
        return tdx_rtmr_read_all(&b->paths, m);
    }
    dstack_err e = tdx_report_read_registers(b->paths.device, m);
    if (e == DSTACK_OK || !allow_quote) {
        return e == DSTACK_OK ? e : err_wrap(e, "no sysfs registers and no TDREPORT");
    }
    static const uint8_t zero[DSTACK_REPORT_DATA_LEN];
    uint8_t *q = NULL;
    size_t qlen = 0;
    struct dstack_quote parsed;
    if ((e = quote_gated(b, zero, &q, &qlen)) != DSTACK_OK) {
        return e;
    }
    e = dstack_quote_parse(q, qlen, &parsed);
    if (e == DSTACK_OK) {
        tee_measurements_from_report(&parsed.report, m);
    } else {
        e = err_set(e, "the platform's quote does not parse (%zu bytes)", qlen);
    }
    free(q);
    return e;
}

struct rtmr3_reader {
    struct tdx_backend *b;
    bool allow_quote;
};

static dstack_err read_rtmr3(void *ctx, uint8_t rtmr3[DSTACK_MR_LEN])
{
    const struct rtmr3_reader *r = ctx;
    struct tee_measurements m;
    dstack_err e = read_registers(r->b, &m, r->allow_quote);
    if (e == DSTACK_OK) {
        memcpy(rtmr3, m.rtmr[3], DSTACK_MR_LEN);
    }
    return e;
}

/* The runtime log must replay to RTMR3 before any key is served or event emitted
 * (docs/api/EmitEvent.md). Tried at start without quotes, then by the first call that needs it. */
static dstack_err ensure_checked(struct tdx_backend *b, bool allow_quote)
{
    if (atomic_load(&b->checked)) {
        return DSTACK_OK;
    }
    dstack_err e = DSTACK_OK;
    pthread_mutex_lock(&b->mu);
    if (!atomic_load(&b->checked)) {
        struct rtmr3_reader r = {b, allow_quote};
        e = tdx_runtime_check(&b->rt, read_rtmr3, &r);
        if (e == DSTACK_OK) {
            atomic_store(&b->checked, true);
        } else {
            e = err_wrap(e, "cannot check RTMR3 against the runtime event log yet");
        }
    }
    pthread_mutex_unlock(&b->mu);
    return e;
}

static dstack_err load_ccel(struct tdx_backend *b)
{
    char *data = NULL;
    size_t len = 0;
    if (b->paths.ccel_bad[0] != '\0') {
        return err_set(DSTACK_ETEE, "boot event log: %s", b->paths.ccel_bad);
    }
    dstack_err e = file_read_all(b->paths.ccel_file, DSTACK_CCEL_MAX_LEN, &data, &len, NULL);
    if (e != DSTACK_OK) {
        return err_wrap(e, "boot event log");
    }
    err_clear();
    e = dstack_ccel_parse((const uint8_t *)data, len, &b->boot);
    free(data);
    if (e == DSTACK_OK) {
        e = dstack_event_log_label_acpi(&b->boot);
    }
    if (e != DSTACK_OK) {
        dstack_event_log_free(&b->boot);
        if (err_text()[0] == '\0') {
            (void)err_set(e, "%s", dstack_err_str(e));
        }
        return err_wrap(e, "boot event log %s", b->paths.ccel_file);
    }
    return e;
}

/* The CCEL, read when a caller first needs it (a quote's event log, Info), not at start; a
 * failure is reported to that caller and tried again by the next. */
static dstack_err boot_log(struct tdx_backend *b)
{
    pthread_mutex_lock(&b->mu);
    dstack_err e = b->boot_loaded ? DSTACK_OK : load_ccel(b);
    b->boot_loaded = e == DSTACK_OK;
    pthread_mutex_unlock(&b->mu);
    return e;
}

/* configfs-tsm when present, else QGS on vsock, else none (docs/tdx.md). A configfs that
 * is present but not usable yet (no provider: ENXIO) stays the method; quotes say why. */
static void pick_quote_method(struct tdx_backend *b)
{
    char why_cfs[TDX_WHY_MAX] = "";
    dstack_err e = tdx_configfs_prepare(&b->paths, b->configfs_dir);
    if (e != DSTACK_EUNSUPPORTED) {
        b->method = QUOTE_CONFIGFS;
        b->configfs_ready = e == DSTACK_OK;
        if (e == DSTACK_OK) {
            log_info("tdx: quotes through configfs-tsm %s", b->configfs_dir);
        } else {
            log_warn("tdx: quotes through configfs-tsm, not usable yet: %s", err_text());
        }
        return;
    }
    snprintf(why_cfs, sizeof why_cfs, "%s", err_text());
    if (tdx_qgs_available(&b->paths, &b->qgs_port) == DSTACK_OK) {
        b->method = QUOTE_QGS;
        log_info("tdx: quotes through QGS on vsock port %u (no configfs-tsm)", b->qgs_port);
        return;
    }
    b->method = QUOTE_NONE;
    snprintf(b->unavailable, sizeof b->unavailable, "%.120s, and %.120s", why_cfs, err_text());
    log_warn("tdx: quotes unavailable: %s", b->unavailable);
}

static dstack_err tdx_open(const struct agent_config *cfg, void **state)
{
    struct tdx_backend *b = calloc(1, sizeof *b);
    dstack_err e;
    *state = NULL;
    if (b == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    dstack_event_log_init(&b->boot);
    atomic_init(&b->checked, false);
    if ((e = tdx_paths_resolve(cfg, &b->paths)) != DSTACK_OK) {
        goto fail; /* a configured path that does not fit: the config is wrong, not the device */
    }
    b->mu_ready = pthread_mutex_init(&b->mu, NULL) == 0;
    /* One quote on the device at a time: configfs serialises them anyway (and flock keeps
     * other processes out); QGS on the host has one queue per guest. */
    b->gate_ready = b->mu_ready && tdx_gate_init(&b->gate, 1, b->paths.quote_queue,
                                                 b->paths.quote_timeout_ms) == DSTACK_OK;
    if (!b->gate_ready) {
        e = err_set(DSTACK_ENOMEM, "out of memory");
        goto fail;
    }
    if ((e = tdx_runtime_init(&b->rt, &b->paths)) != DSTACK_OK) {
        goto fail;
    }
    b->rt_ready = true;
    pick_quote_method(b);
    struct tee_measurements regs;
    b->sysfs_registers = tdx_rtmr_read_all(&b->paths, &regs) == DSTACK_OK;
    if (!b->sysfs_registers) {
        log_info("tdx: registers read from TDREPORTs (%s)", err_text());
    }
    if (ensure_checked(b, false) != DSTACK_OK) {
        log_warn("tdx: %s; keys and EmitEvent wait for it", err_text());
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
    dstack_err e = boot_log(b);
    for (size_t i = 0; i < b->boot.count && e == DSTACK_OK; i++) {
        const struct dstack_event *ev = &b->boot.events[i];
        e = dstack_event_log_push(out, ev->imr, ev->event_type, ev->digest, ev->event, ev->payload,
                                  ev->payload_len, ev->version);
        if (e != DSTACK_OK) {
            e = err_set(e, "copying the boot event log: %s", dstack_err_str(e));
        }
    }
    if (e == DSTACK_OK) {
        e = tdx_runtime_read(&b->rt, out);
    }
    if (e != DSTACK_OK) {
        log_error("tdx: %s", err_text());
    }
    return e;
}

static dstack_err tdx_measurements(void *state, struct tee_measurements *out)
{
    dstack_err e = read_registers(state, out, true);
    if (e != DSTACK_OK) {
        log_warn("tdx: reading the registers: %s", err_text());
    }
    return e;
}

static dstack_err tdx_quote(void *state, const uint8_t report_data[DSTACK_REPORT_DATA_LEN],
                            uint8_t **quote, size_t *quote_len)
{
    dstack_err e = quote_gated(state, report_data, quote, quote_len);
    if (e != DSTACK_OK) {
        log_warn("tdx: quote failed: %s", err_text());
    }
    return e;
}

static dstack_err tdx_emit_event(void *state, const char *name, const uint8_t *payload, size_t len)
{
    struct tdx_backend *b = state;
    dstack_err e = ensure_checked(b, true);
    return e == DSTACK_OK ? tdx_runtime_emit(&b->rt, name, payload, len) : DSTACK_ETEE;
}

static dstack_err tdx_keys_ready(void *state)
{
    struct tdx_backend *b = state;
    dstack_err e = ensure_checked(b, true);
    return e == DSTACK_OK ? tdx_runtime_consistent(&b->rt) : DSTACK_ETEE;
}

const struct tee_backend tee_tdx = {
    .name = "tdx",
    .open = tdx_open,
    .close = tdx_close,
    .event_log = tdx_event_log,
    .measurements = tdx_measurements,
    .quote = tdx_quote,
    .emit_event = tdx_emit_event,
    .keys_ready = tdx_keys_ready,
};
