/* The real TDX backend (docs/tdx.md): quotes from configfs-tsm or QGS through the bounded quote
 * queue, RTMR3 and the runtime event log kept in step, the boot log from the CCEL table.
 *
 *   tdx_paths.c     where the kernel interfaces are (config, upstream's env overrides, defaults)
 *   tdx_gate.c      the quote queue: one quote at a time, a bounded line with a deadline
 *   tdx_configfs.c  quotes through configfs-tsm (docs/tdx.md)
 *   tdx_qgs.c       quotes through QGS on vsock
 *   tdx_rtmr.c      RTMR extension and register reads
 *   tdx_runtime.c   runtime_events.log, the emitter lock, the start-up consistency check
 *   lib/attest/ccel.c  the CCEL parser (docs/tdx.md covers them all) */
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
#include "tee/tdx_rtmr.h"
#include "tee/tdx_runtime.h"

enum quote_method { QUOTE_NONE, QUOTE_CONFIGFS, QUOTE_QGS };

struct tdx_backend {
    struct tdx_paths paths;
    enum quote_method method;
    char configfs_dir[TDX_PATH_MAX];
    unsigned qgs_port;
    char unavailable[TEE_ERROR_MAX]; /* why there is no quote method */
    struct tdx_gate gate;
    bool gate_ready;
    struct tdx_runtime rt;
    bool rt_ready;
    bool sysfs_registers;         /* MRTD and RTMRs readable from sysfs */
    struct dstack_event_log boot; /* CCEL events, labelled; immutable after open */
};

/* quote() has no error text in the backend interface; quote_error() hands it to the caller
 * on the same thread (the RPC handler that just called quote()). */
static _Thread_local char quote_err[TEE_ERROR_MAX];

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
    dstack_event_log_free(&b->boot);
    free(b);
}

/* A quote through whichever kernel path exists, after waiting for a turn in the queue. */
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
    if (b->method == QUOTE_CONFIGFS) {
        e = tdx_configfs_quote(b->configfs_dir, b->paths.generation_timeout_ms, rd, quote,
                               quote_len, err);
    } else {
        e = tdx_qgs_quote(&b->paths, b->qgs_port, rd, quote, quote_len, err);
    }
    tdx_gate_leave(&b->gate);
    return e;
}

/* MRTD and RTMRs: sysfs when it has them (cheap), else a fresh quote over zero report data,
 * as upstream's Attestation::local() does for Info (docs/api/Info.md). */
static dstack_err read_registers(struct tdx_backend *b, struct tee_measurements *m,
                                 char err[TEE_ERROR_MAX])
{
    if (b->sysfs_registers) {
        return tdx_rtmr_read_all(&b->paths, m, err);
    }
    static const uint8_t zero[DSTACK_REPORT_DATA_LEN];
    uint8_t *q = NULL;
    size_t qlen = 0;
    struct dstack_quote parsed;
    dstack_err e = quote_gated(b, zero, &q, &qlen, err);
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

static dstack_err read_rtmr3(void *ctx, uint8_t rtmr3[DSTACK_MR_LEN], char err[TEE_ERROR_MAX])
{
    struct tee_measurements m;
    dstack_err e = read_registers(ctx, &m, err);
    if (e == DSTACK_OK) {
        memcpy(rtmr3, m.rtmr[3], DSTACK_MR_LEN);
    }
    return e;
}

static dstack_err load_ccel(struct tdx_backend *b, char err[TEE_ERROR_MAX])
{
    char rerr[STARTUP_ERROR_MAX] = "", perr[200] = "";
    char *data = NULL;
    size_t len = 0;
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
        snprintf(err, TEE_ERROR_MAX, "%.100s: %.150s", b->paths.ccel_file,
                 perr[0] ? perr : dstack_err_str(e));
    }
    return e;
}

/* configfs-tsm when present, else QGS on vsock, else none (docs/tdx.md). */
static dstack_err pick_quote_method(struct tdx_backend *b, char err[TEE_ERROR_MAX])
{
    char why_cfs[TEE_ERROR_MAX] = "", why_qgs[TEE_ERROR_MAX] = "";
    dstack_err e = tdx_configfs_prepare(&b->paths, b->configfs_dir, why_cfs);
    if (e == DSTACK_OK) {
        b->method = QUOTE_CONFIGFS;
        log_info("tdx: quotes through configfs-tsm %s", b->configfs_dir);
        return DSTACK_OK;
    }
    if (e != DSTACK_EUNSUPPORTED) {
        snprintf(err, TEE_ERROR_MAX, "%.100s", why_cfs); /* configured but broken: say so now */
        return e;
    }
    if (tdx_qgs_available(&b->paths, &b->qgs_port, why_qgs) == DSTACK_OK) {
        b->method = QUOTE_QGS;
        log_info("tdx: quotes through QGS on vsock port %u (no configfs-tsm)", b->qgs_port);
        return DSTACK_OK;
    }
    b->method = QUOTE_NONE;
    snprintf(b->unavailable, sizeof b->unavailable, "%.120s, and %.120s", why_cfs, why_qgs);
    log_warn("tdx: quotes unavailable: %s", b->unavailable);
    return DSTACK_OK;
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
    if ((e = tdx_paths_resolve(cfg, &b->paths, err)) != DSTACK_OK ||
        (e = load_ccel(b, err)) != DSTACK_OK || (e = pick_quote_method(b, err)) != DSTACK_OK) {
        goto fail;
    }
    /* One quote on the device at a time: configfs serialises them anyway (and flock keeps
     * other processes out); QGS on the host has one queue per guest. */
    if ((e = tdx_gate_init(&b->gate, 1, b->paths.quote_queue, b->paths.quote_timeout_ms)) !=
        DSTACK_OK) {
        snprintf(err, TEE_ERROR_MAX, "out of memory");
        goto fail;
    }
    b->gate_ready = true;
    if ((e = tdx_runtime_init(&b->rt, &b->paths, err)) != DSTACK_OK) {
        goto fail;
    }
    b->rt_ready = true;
    struct tee_measurements regs;
    char serr[TEE_ERROR_MAX];
    b->sysfs_registers = tdx_rtmr_read_all(&b->paths, &regs, serr) == DSTACK_OK;
    if (!b->sysfs_registers) {
        log_info("tdx: registers read from quotes (%s)", serr);
    }
    /* The log must replay to the register before any key is served (docs/api/EmitEvent.md). */
    if ((e = tdx_runtime_check(&b->rt, read_rtmr3, b, err)) != DSTACK_OK) {
        char inner[TEE_ERROR_MAX];
        memcpy(inner, err, sizeof inner);
        snprintf(err, TEE_ERROR_MAX, "cannot check RTMR3 against the runtime event log: %.200s",
                 inner);
        goto fail;
    }
    *state = b;
    return DSTACK_OK;
fail:
    tdx_close(b);
    return e;
}

static dstack_err tdx_event_log(void *state, json_t **out)
{
    struct tdx_backend *b = state;
    struct dstack_event_log log;
    char err[TEE_ERROR_MAX] = "";
    dstack_event_log_init(&log);
    dstack_err e = DSTACK_OK;
    for (size_t i = 0; i < b->boot.count && e == DSTACK_OK; i++) {
        const struct dstack_event *ev = &b->boot.events[i];
        e = dstack_event_log_push(&log, ev->imr, ev->event_type, ev->digest, ev->event, ev->payload,
                                  ev->payload_len, ev->version);
    }
    if (e == DSTACK_OK) {
        e = tdx_runtime_read(&b->rt, &log, err);
        if (e != DSTACK_OK) {
            log_error("tdx: %s", err);
        }
    }
    if (e == DSTACK_OK) {
        e = evlog_to_json(&log, out);
    }
    dstack_event_log_free(&log);
    return e;
}

static dstack_err tdx_measurements(void *state, struct tee_measurements *out)
{
    char err[TEE_ERROR_MAX] = "";
    dstack_err e = read_registers(state, out, err);
    if (e != DSTACK_OK) {
        snprintf(quote_err, sizeof quote_err, "%.100s", err);
        log_warn("tdx: reading the registers: %s", err);
    }
    return e;
}

static dstack_err tdx_quote(void *state, const uint8_t report_data[DSTACK_REPORT_DATA_LEN],
                            uint8_t **quote, size_t *quote_len)
{
    quote_err[0] = '\0';
    dstack_err e = quote_gated(state, report_data, quote, quote_len, quote_err);
    if (e != DSTACK_OK) {
        log_warn("tdx: quote failed: %s", quote_err);
    }
    return e;
}

static const char *tdx_quote_error(void *state)
{
    (void)state;
    return quote_err;
}

static dstack_err tdx_emit_event(void *state, const char *name, const uint8_t *payload, size_t len,
                                 char err[TEE_ERROR_MAX])
{
    struct tdx_backend *b = state;
    return tdx_runtime_emit(&b->rt, name, payload, len, err);
}

static bool tdx_keys_refused(void *state, char err[TEE_ERROR_MAX])
{
    struct tdx_backend *b = state;
    return tdx_runtime_refused(&b->rt, err);
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
