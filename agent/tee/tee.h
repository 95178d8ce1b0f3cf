/* TEE backends: where quotes, measurements and the event log come from. One backend per file
 * (sim.c, tdx.c). Each program lists the backends it carries in tee_backends: main_agent.c
 * (dstack-guest-agent: tdx only) and sim_registry.c (dstack-simulator and the tests:
 * simulator, tdx),
 * so the production agent links no simulator code. */
#ifndef DSTACK_AGENT_TEE_H
#define DSTACK_AGENT_TEE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#include "util/error.h"

struct agent_config;
struct dstack_event_log;

/* The TD's measurement registers, as a TD report carries them. */
struct tee_measurements {
    uint8_t mrtd[DSTACK_MR_LEN];
    uint8_t mr_config_id[DSTACK_MR_LEN]; /* set by the VMM (dstack: compose binding) */
    uint8_t mr_owner[DSTACK_MR_LEN];
    uint8_t mr_owner_config[DSTACK_MR_LEN];
    uint8_t rtmr[4][DSTACK_MR_LEN];
};

/* Errors: every hook that can fail returns a dstack_err and, when that is not DSTACK_OK, has
 * set the calling thread's error text (util/error.h err_set) saying why, in words the client may
 * read ("quote device busy: ...", "boot event log ...: ..."). The text is set on the thread
 * that called the hook; a backend that does work on another thread carries its text back and
 * sets it on the caller's. */
struct tee_backend {
    const char *name; /* "simulator", "tdx" */
    /* Optional: runs before the agent reads the compose, sys-config and keys files (the
     * simulator creates the ones that are missing). */
    dstack_err (*prepare)(const struct agent_config *cfg);
    /* Opens the backend; a failure's text names the file or device. */
    dstack_err (*open)(const struct agent_config *cfg, void **state);
    void (*close)(void *state);
    /* The full event log (boot events IMR 0-2, then runtime events IMR 3) appended to *out,
     * which the caller initialised (dstack_event_log_init) and frees, on failure too. Structured:
     * the consumers encode JSON at their edge (docs/wire.md), once. */
    dstack_err (*event_log)(void *state, struct dstack_event_log *out);
    /* The registers as the platform reports them (mr_aggregated needs all of them). */
    dstack_err (*measurements)(void *state, struct tee_measurements *out);
    /* A quote over report data; malloc'd. */
    dstack_err (*quote)(void *state, const uint8_t report_data[DSTACK_REPORT_DATA_LEN],
                        uint8_t **quote, size_t *quote_len);
    /* Extends RTMR3 with a runtime event and records it in the log (NULL: unsupported). */
    dstack_err (*emit_event)(void *state, const char *name, const uint8_t *payload, size_t len);
    /* Optional: DSTACK_OK when app keys may be served; otherwise the reason (tdx: the runtime
     * event log does not replay to RTMR3, so the measurements the keys stand for are unknown). */
    dstack_err (*keys_ready)(void *state);
    /* Optional: the vm_config string embedded in the attestation when it differs from
     * sys-config's (simulator fixture mode); Info's os_image_hash comes from it, as upstream's
     * decode_app_info reads the attested config (docs/api/Info.md). NULL: sys-config's. */
    const char *(*attested_vm_config)(void *state);
};

struct dstack_td_report;
/* The registers of a parsed TD report. */
void tee_measurements_from_report(const struct dstack_td_report *r, struct tee_measurements *out);

/* The backends of this program, NULL-terminated; defined once per program (see the top). */
extern const struct tee_backend *const tee_backends[];

/* NULL when no backend of this program has that name. */
const struct tee_backend *tee_backend_find(const char *name);

#endif
