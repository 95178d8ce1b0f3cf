#include "sc_app.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "util/error.h"

static void on_sdk_log(enum dstack_log_level level, const char *msg, void *user)
{
    (void)user;
    log_msg(level == DSTACK_LOG_WARN ? LOG_WARN : LOG_INFO, "dstack sdk: %s", msg);
}

/* Caller holds client_lock. */
static struct dstack_client *client_create(struct sidecar *sc)
{
    struct dstack_client_options opts = {
        .timeout_ms = sc->cfg->timeout_s * 1000u,
        .user_agent = "dstack-quote-sidecar",
    };
    struct dstack_client *c = NULL;
    const char *ep = sc->cfg->endpoint[0] != '\0' ? sc->cfg->endpoint : NULL;
    if (dstack_client_new(ep, &opts, &c) != DSTACK_OK) {
        return NULL;
    }
    dstack_client_set_log(c, on_sdk_log, NULL);
    log_info("agent endpoint: %s", dstack_client_endpoint(c));
    return c;
}

dstack_err sc_app_init(struct sidecar *sc, const struct sc_config *cfg)
{
    memset(sc, 0, sizeof *sc);
    sc->cfg = cfg;
    atomic_init(&sc->shutting_down, false);
    if (sc_gate_init(&sc->gate, cfg->agent_concurrency) != 0) {
        return err_set(DSTACK_ENOMEM, "cannot create the agent gate");
    }
    if (pthread_mutex_init(&sc->client_lock, NULL) != 0) {
        sc_gate_destroy(&sc->gate);
        return err_set(DSTACK_ENOMEM, "cannot create a mutex");
    }
    if (sc_evlog_cache_init(&sc->evlog) != 0) {
        pthread_mutex_destroy(&sc->client_lock);
        sc_gate_destroy(&sc->gate);
        return err_set(DSTACK_ENOMEM, "cannot create a mutex");
    }
    sc->client = client_create(sc);
    if (sc->client == NULL) {
        /* Not fatal: the agent's socket may appear later; /ready answers 503 until then. */
        log_warn("agent not available yet: %s (will retry on each request)", dstack_last_error());
    }
    return DSTACK_OK;
}

void sc_app_free(struct sidecar *sc)
{
    dstack_client_free(sc->client);
    sc->client = NULL;
    sc_evlog_cache_free(&sc->evlog);
    pthread_mutex_destroy(&sc->client_lock);
    sc_gate_destroy(&sc->gate);
}

struct dstack_client *sc_app_client(struct sidecar *sc)
{
    pthread_mutex_lock(&sc->client_lock);
    if (sc->client == NULL) {
        sc->client = client_create(sc);
    }
    struct dstack_client *c = sc->client;
    pthread_mutex_unlock(&sc->client_lock);
    return c;
}

enum sc_agent_status sc_agent_begin(struct sidecar *sc, unsigned wait_ms,
                                    struct dstack_client **out)
{
    *out = NULL;
    if (!sc_gate_acquire(&sc->gate, wait_ms)) {
        return SC_AGENT_BUSY;
    }
    struct dstack_client *c = sc_app_client(sc);
    if (c == NULL) {
        sc_gate_release(&sc->gate);
        return SC_AGENT_UNAVAILABLE;
    }
    *out = c;
    return SC_AGENT_OK;
}

void sc_agent_end(struct sidecar *sc)
{
    sc_gate_release(&sc->gate);
}
