/* The quote queue: bounded admission to the quote device.
 *
 * A real quote takes up to a second and the device serves one at a time; upstream serialises
 * callers on a mutex with no bound, so a burst of GetQuote piles up until the agent is killed
 * (upstream issues #1256, #1095). Here at most `running` callers use the device, at most
 * `waiting` more wait for it, each no longer than `timeout_ms`; anyone else is turned away at
 * once. Both refusals carry a message the client sees. */
#ifndef DSTACK_AGENT_TEE_TDX_GATE_H
#define DSTACK_AGENT_TEE_TDX_GATE_H

#include <pthread.h>
#include <stdint.h>

#include <dstack/common.h>

struct tdx_gate {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    unsigned running, waiting;
    unsigned max_running, max_waiting, timeout_ms;
    uint64_t admitted, refused_full, refused_timeout; /* counters, for logs and tests */
};

dstack_err tdx_gate_init(struct tdx_gate *g, unsigned max_running, unsigned max_waiting,
                         unsigned timeout_ms);
void tdx_gate_destroy(struct tdx_gate *g);

/* DSTACK_OK: the caller holds a slot and must call tdx_gate_leave. DSTACK_ETEE: refused (queue
 * full, or the wait passed its deadline), with the reason in err. */
dstack_err tdx_gate_enter(struct tdx_gate *g, char *err, size_t err_cap);
void tdx_gate_leave(struct tdx_gate *g);

#endif
