/* A counting gate: at most `limit` holders at once; others wait up to a deadline. The sidecar
 * passes every agent call through one, so a flood of /quote requests keeps at most `limit`
 * agent connections open (the SDK client pools one connection per concurrent call). */
#ifndef DSTACK_SIDECAR_GATE_H
#define DSTACK_SIDECAR_GATE_H

#include <pthread.h>
#include <stdbool.h>

struct sc_gate {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    unsigned limit;
    unsigned held;
    unsigned peak;       /* most holders seen at once (tests and the debug log read it) */
    unsigned long waits; /* acquisitions that had to wait */
};

int sc_gate_init(struct sc_gate *g, unsigned limit);
void sc_gate_destroy(struct sc_gate *g);

/* Takes a slot, waiting at most timeout_ms. false when none came free in time. */
bool sc_gate_acquire(struct sc_gate *g, unsigned timeout_ms);
void sc_gate_release(struct sc_gate *g);

unsigned sc_gate_peak(struct sc_gate *g);

#endif
