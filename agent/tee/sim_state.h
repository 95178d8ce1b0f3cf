/* The simulator's measurement state, in one place: MRTD, the TD's config registers, RTMR0-3 and
 * the event log behind them (synthetic boot events for IMR 0-2, then the runtime events of IMR 3).
 * Quotes, Info and GetQuote's event log all read it through sim_state_snapshot and
 * sim_state_copy_log, which return registers and log from the same instant; EmitEvent goes through
 * sim_state_emit.
 *
 * Runtime events persist in <sim_dir>/runtime_events.log, in upstream's line format
 * (docs/tdx.md), so emitted events survive restarts. On open the system events of a
 * dstack boot are recomputed from the seed and the files; when the stored log starts with exactly
 * those events it is kept (with everything emitted after them), otherwise - first start, other
 * compose, other seed - it is rewritten as a fresh boot. RTMR3 is always the replay of the
 * stored log, so a crash can never make them disagree. See docs/simulator-measurements.md. */
#ifndef DSTACK_AGENT_TEE_SIM_STATE_H
#define DSTACK_AGENT_TEE_SIM_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/attest.h>

#include "config.h"

#define SIM_RUNTIME_LOG_NAME "runtime_events.log"
#define SIM_RUNTIME_LOG_MAX (64u << 20) /* bytes read back at start-up */

struct sim_state;

/* One consistent view of the registers (what a TD report would carry). */
struct sim_measurements {
    uint8_t mrtd[DSTACK_MR_LEN];
    uint8_t mr_config_id[DSTACK_MR_LEN];    /* zero: the simulated VMM sets none */
    uint8_t mr_owner[DSTACK_MR_LEN];        /* zero */
    uint8_t mr_owner_config[DSTACK_MR_LEN]; /* zero */
    uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
    uint64_t generation; /* bumps on every emitted event */
};

/* Builds the state from cfg (compose_file, sys_config_file, keys_file, sim_dir, sim_seed).
 * On failure the error text (util/error.h) names the file and the problem. */
dstack_err sim_state_open(const struct agent_config *cfg, struct sim_state **out);
void sim_state_free(struct sim_state *st); /* NULL ok */

/* The registers of this instant. */
void sim_state_snapshot(struct sim_state *st, struct sim_measurements *m);

/* Registers (m may be NULL) and a copy of the event log (caller frees with
 * dstack_event_log_free), both taken under the lock so that the log replays to exactly these
 * registers. */
dstack_err sim_state_copy_log(struct sim_state *st, struct sim_measurements *m,
                              struct dstack_event_log *out);

/* Appends a runtime event: the line is written to runtime_events.log first (one write(2) with
 * O_APPEND), then the in-memory log grows and RTMR3 is extended, all under the lock, so the log
 * order is the extend order under any concurrency and a failed write moves nothing.
 * DSTACK_EINVAL for an empty or non-UTF-8 name; DSTACK_EIO when the file cannot be written. */
dstack_err sim_state_emit(struct sim_state *st, const char *name, const uint8_t *payload,
                          size_t payload_len);

/* The runtime-event version of this boot (compose "event_log_version", 1 by default). */
unsigned sim_state_event_version(const struct sim_state *st);

#endif
