#include "sc_gate.h"

#include <errno.h>
#include <time.h>

int sc_gate_init(struct sc_gate *g, unsigned limit)
{
    g->limit = limit > 0 ? limit : 1;
    g->held = 0;
    g->peak = 0;
    g->waits = 0;
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0) {
        return -1;
    }
    /* Deadlines on the monotonic clock: a wall-clock step must not stretch or cut a wait. */
    int rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0) {
        rc = pthread_cond_init(&g->freed, &attr);
    }
    pthread_condattr_destroy(&attr);
    if (rc != 0) {
        return -1;
    }
    if (pthread_mutex_init(&g->lock, NULL) != 0) {
        pthread_cond_destroy(&g->freed);
        return -1;
    }
    return 0;
}

void sc_gate_destroy(struct sc_gate *g)
{
    pthread_cond_destroy(&g->freed);
    pthread_mutex_destroy(&g->lock);
}

bool sc_gate_acquire(struct sc_gate *g, unsigned timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += (time_t)(timeout_ms / 1000u);
    deadline.tv_nsec += (long)(timeout_ms % 1000u) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    bool ok = true;
    pthread_mutex_lock(&g->lock);
    if (g->held >= g->limit) {
        g->waits++;
    }
    while (g->held >= g->limit) {
        int rc = pthread_cond_timedwait(&g->freed, &g->lock, &deadline);
        if (rc == ETIMEDOUT && g->held >= g->limit) {
            ok = false;
            break;
        }
    }
    if (ok) {
        g->held++;
        if (g->held > g->peak) {
            g->peak = g->held;
        }
    }
    pthread_mutex_unlock(&g->lock);
    return ok;
}

void sc_gate_release(struct sc_gate *g)
{
    pthread_mutex_lock(&g->lock);
    if (g->held > 0) {
        g->held--;
    }
    pthread_cond_signal(&g->freed);
    pthread_mutex_unlock(&g->lock);
}

unsigned sc_gate_peak(struct sc_gate *g)
{
    pthread_mutex_lock(&g->lock);
    unsigned p = g->peak;
    pthread_mutex_unlock(&g->lock);
    return p;
}
