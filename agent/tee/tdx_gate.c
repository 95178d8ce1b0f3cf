/* Bounded quote admission (tdx_gate.h). */
#include "tee/tdx_gate.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

dstack_err tdx_gate_init(struct tdx_gate *g, unsigned max_running, unsigned max_waiting,
                         unsigned timeout_ms)
{
    pthread_condattr_t attr;
    *g = (struct tdx_gate){.max_running = max_running ? max_running : 1,
                           .max_waiting = max_waiting,
                           .timeout_ms = timeout_ms};
    if (pthread_mutex_init(&g->mu, NULL) != 0) {
        return DSTACK_ENOMEM;
    }
    if (pthread_condattr_init(&attr) != 0 ||
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&g->cv, &attr) != 0) {
        pthread_mutex_destroy(&g->mu);
        return DSTACK_ENOMEM;
    }
    pthread_condattr_destroy(&attr);
    return DSTACK_OK;
}

void tdx_gate_destroy(struct tdx_gate *g)
{
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}

dstack_err tdx_gate_enter(struct tdx_gate *g, char *err, size_t err_cap)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += (time_t)(g->timeout_ms / 1000);
    deadline.tv_nsec += (long)(g->timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }

    pthread_mutex_lock(&g->mu);
    if (g->running >= g->max_running && g->waiting >= g->max_waiting) {
        g->refused_full++;
        unsigned w = g->waiting;
        pthread_mutex_unlock(&g->mu);
        snprintf(err, err_cap, "quote device busy: %u requests already waiting, try again later",
                 w);
        return DSTACK_ETEE;
    }
    g->waiting++;
    int rc = 0;
    while (g->running >= g->max_running && rc != ETIMEDOUT) {
        rc = pthread_cond_timedwait(&g->cv, &g->mu, &deadline);
    }
    g->waiting--;
    if (g->running >= g->max_running) {
        g->refused_timeout++;
        pthread_mutex_unlock(&g->mu);
        snprintf(err, err_cap, "quote device busy: no turn within %u ms, try again later",
                 g->timeout_ms);
        return DSTACK_ETEE;
    }
    g->running++;
    g->admitted++;
    pthread_mutex_unlock(&g->mu);
    return DSTACK_OK;
}

void tdx_gate_leave(struct tdx_gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->running--;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
}
