/* Bounded quote admission (tdx_gate.h). */
#include "tee/tdx_gate.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "util/error.h"

dstack_err tdx_gate_init(struct tdx_gate *g, unsigned max_running, unsigned max_waiting,
                         unsigned stall_ms)
{
    pthread_condattr_t attr;
    *g = (struct tdx_gate){.max_running = max_running ? max_running : 1,
                           .max_waiting = max_waiting,
                           .stall_ms = stall_ms};
    clock_gettime(CLOCK_MONOTONIC, &g->last_progress);
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

static struct timespec add_ms(struct timespec t, unsigned ms)
{
    t.tv_sec += (time_t)(ms / 1000);
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static bool before(struct timespec a, struct timespec b)
{
    return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

dstack_err tdx_gate_enter(struct tdx_gate *g)
{
    pthread_mutex_lock(&g->mu);
    if (g->running >= g->max_running && g->waiting >= g->max_waiting) {
        g->refused_full++;
        unsigned w = g->waiting;
        pthread_mutex_unlock(&g->mu);
        return err_set(DSTACK_ETEE,
                       "quote device busy: %u requests already waiting, try again later", w);
    }
    g->waiting++;
    struct timespec since; /* the stall is measured from our arrival or the last progress */
    clock_gettime(CLOCK_MONOTONIC, &since);
    while (g->running >= g->max_running) {
        if (before(since, g->last_progress)) {
            since = g->last_progress;
        }
        struct timespec deadline = add_ms(since, g->stall_ms);
        int rc = pthread_cond_timedwait(&g->cv, &g->mu, &deadline);
        /* Signalled or not, a quote that finished meanwhile moves the deadline on. */
        if (rc == ETIMEDOUT && !before(since, g->last_progress)) {
            break;
        }
    }
    g->waiting--;
    if (g->running >= g->max_running) {
        g->refused_stalled++;
        pthread_mutex_unlock(&g->mu);
        return err_set(DSTACK_ETEE,
                       "quote device busy: no quote finished in the last %u ms, try again later",
                       g->stall_ms);
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
    clock_gettime(CLOCK_MONOTONIC, &g->last_progress);
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
}
