/* The runtime event log of a TDX guest and RTMR3, kept in step (docs/tdx.md).
 *
 * Files, in the runtime log directory (/run/log/dstack, shared with dstack-util and anything
 * else that emits events):
 *   runtime_events.log     one line per event, upstream's format (lib/attest/runtime_log.h)
 *   runtime_event.lock     flock: LOCK_EX around extend + append, by every emitter
 *   runtime_event_version  "1" or "2", written by dstack-util at boot (absent: 1)
 *   runtime_event.pending  ours: the line being emitted, written before RTMR3 is extended and
 *                          removed once it is in the log, so a crash between the two can be
 *                          repaired at the next start instead of leaving them apart for good
 *
 * Emission follows upstream's order (dstack-attest lib.rs:L173-216): the register first, the log
 * line only after the kernel accepted the extension. If the two ever disagree (a crash between
 * them without a pending line, a failed append, a register written by someone else) the backend
 * enters the mismatch state: keys are refused, since the register no longer says which code
 * asked for them. */
#ifndef DSTACK_AGENT_TEE_TDX_RUNTIME_H
#define DSTACK_AGENT_TEE_TDX_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <dstack/attest.h>

#include "tee/tdx_paths.h"

#define TDX_RUNTIME_LOG_NAME "runtime_events.log"
#define TDX_RUNTIME_LOCK_NAME "runtime_event.lock"
#define TDX_RUNTIME_VERSION_NAME "runtime_event_version"
#define TDX_RUNTIME_PENDING_NAME "runtime_event.pending"
#define TDX_RUNTIME_LOG_MAX (64u << 20)
#define TDX_RUNTIME_LOCK_TIMEOUT_MS 10000u

/* Reads the current RTMR3 for the start-up check (sysfs or a quote); called under the lock. */
typedef dstack_err (*tdx_read_rtmr3_fn)(void *ctx, uint8_t rtmr3[DSTACK_MR_LEN]);

struct tdx_runtime {
    const struct tdx_paths *paths;
    char log_path[TDX_PATH_MAX];
    char lock_path[TDX_PATH_MAX];
    char version_path[TDX_PATH_MAX];
    char pending_path[TDX_PATH_MAX];
    atomic_bool mismatch;
    pthread_mutex_t why_mu;
    char why[TDX_WHY_MAX];
};

dstack_err tdx_runtime_init(struct tdx_runtime *rt, const struct tdx_paths *p);
void tdx_runtime_destroy(struct tdx_runtime *rt);

/* Start-up check: replay of the log == RTMR3, repairing from the pending line when that makes
 * them agree. On disagreement the mismatch state is set and DSTACK_OK returned (the agent runs,
 * keys are refused); errors are for files that cannot be read at all. */
dstack_err tdx_runtime_check(struct tdx_runtime *rt, tdx_read_rtmr3_fn read_rtmr3, void *ctx);

/* Appends the runtime events of the log (IMR 3, digests computed) to out, read under a shared
 * lock so no half-done emission is seen. A torn last line is left out. */
dstack_err tdx_runtime_read(struct tdx_runtime *rt, struct dstack_event_log *out);

/* Emits one event: RTMR3 extended, then the line appended, under the exclusive lock.
 * DSTACK_EINVAL for a bad name; DSTACK_ETEE when refused or when the kernel or the file fails
 * (the error text says which; if the register moved but the log could not follow, the mismatch
 * state is set). */
dstack_err tdx_runtime_emit(struct tdx_runtime *rt, const char *name, const uint8_t *payload,
                            size_t len);

/* DSTACK_OK unless the log and the register are known to disagree; then DSTACK_ETEE with the
 * reason set (util/error.h). */
dstack_err tdx_runtime_consistent(struct tdx_runtime *rt);

#endif
