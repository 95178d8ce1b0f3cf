/* State of one running sidecar, shared by every worker thread. */
#ifndef DSTACK_SIDECAR_APP_H
#define DSTACK_SIDECAR_APP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <dstack/client.h>

#include "sc_config.h"
#include "sc_evlog_cache.h"
#include "sc_gate.h"

struct sidecar {
    const struct sc_config *cfg;
    /* One SDK client for the whole process (thread-safe, pools keep-alive connections). It is
     * created at start-up, or on the first request after it when the agent's socket did not
     * exist yet (the sidecar may start before the agent). Never freed before shutdown. */
    pthread_mutex_t client_lock;
    struct dstack_client *client;
    struct sc_gate gate;         /* bounds agent calls in flight (cfg->agent_concurrency) */
    struct sc_evlog_cache evlog; /* /quote: RTMRs and string literal of the last event log */
    atomic_bool shutting_down;
};

/* DSTACK_OK, or an error with the reason in err_text(). */
dstack_err sc_app_init(struct sidecar *sc, const struct sc_config *cfg);
void sc_app_free(struct sidecar *sc);

/* The client, created now if needed. NULL when it cannot be created (endpoint missing); the
 * SDK's reason is then in dstack_last_error(). */
struct dstack_client *sc_app_client(struct sidecar *sc);

enum sc_agent_status { SC_AGENT_OK = 0, SC_AGENT_BUSY, SC_AGENT_UNAVAILABLE };

/* Takes one agent slot (waiting at most wait_ms) and returns the client. On SC_AGENT_OK the
 * caller must call sc_agent_end after its agent call. */
enum sc_agent_status sc_agent_begin(struct sidecar *sc, unsigned wait_ms,
                                    struct dstack_client **out);
void sc_agent_end(struct sidecar *sc);

#endif
