/* The quote queue: bounded admission to the quote device.
 *
 * The device serves one quote at a time, and a quote takes seconds: the kernel polls the host
 * once a second and gives up after 30 s (drivers/virt/coco/tdx-guest/tdx-guest.c,
 * wait_for_quote_completion and getquote_timeout). Upstream serialises callers on a mutex with
 * no bound, so a burst of GetQuote piles up until the agent is killed (upstream issues #1256,
 * #1095). Here at most `running` callers use the device and at most `waiting` more wait for it;
 * anyone else is turned away at once (a true flood). A waiter gives up only when the device made
 * no progress, i.e. no quote finished, for `stall_ms`: a deep queue of slow but working quotes
 * (containers asking together at boot) is served in full, a wedged device frees its waiters.
 * Both refusals carry a message the client sees. */
#ifndef DSTACK_AGENT_TEE_TDX_GATE_H
#define DSTACK_AGENT_TEE_TDX_GATE_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <dstack/common.h>

struct tdx_gate {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    unsigned running, waiting;
    unsigned max_running, max_waiting, stall_ms;
    struct timespec last_progress; /* when a quote last finished (or the gate opened) */
    uint64_t admitted, refused_full, refused_stalled; /* counters, for logs and tests */
};

dstack_err tdx_gate_init(struct tdx_gate *g, unsigned max_running, unsigned max_waiting,
                         unsigned stall_ms);
void tdx_gate_destroy(struct tdx_gate *g);

/* DSTACK_OK: the caller holds a slot and must call tdx_gate_leave. DSTACK_ETEE: refused (queue
 * full, or no quote finished for stall_ms while waiting), with the reason as the calling thread's
 * error text (util/error.h): the caller is the requesting thread, so the text reaches its client.
 */
dstack_err tdx_gate_enter(struct tdx_gate *g);
void tdx_gate_leave(struct tdx_gate *g);

#endif
