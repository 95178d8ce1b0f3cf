/* dstack-quote-sidecar: an HTTP service in front of the dstack guest agent
 * (docs/sidecar.md). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "sc_app.h"
#include "sc_config.h"
#include "log.h"
#include "sc_server.h"
#include "util/error.h"

extern char **environ;

/* Requests in flight at shutdown get this much past the agent timeout to finish. */
#define SC_SHUTDOWN_SLACK_MS 2000u

int main(int argc, char **argv)
{
    struct sc_config cfg;
    sc_config_defaults(&cfg);
    if (sc_config_from_env(&cfg, environ) != DSTACK_OK) {
        fprintf(stderr, "dstack-quote-sidecar: %s\n", err_text());
        return 2;
    }
    switch (sc_config_parse_args(&cfg, argc, argv)) {
    case SC_ARGS_HELP:
        fputs(sc_config_usage(), stdout);
        return 0;
    case SC_ARGS_VERSION:
        printf("dstack-quote-sidecar %s\n", SC_VERSION);
        return 0;
    case SC_ARGS_ERROR:
        fprintf(stderr, "dstack-quote-sidecar: %s\n", err_text());
        return 2;
    case SC_ARGS_RUN:
        break;
    }
    log_init(SC_LOG_TARGET);
    log_set_level(cfg.log_level);
    if (cfg.log_warning[0] != '\0') {
        log_warn("%s", cfg.log_warning);
    }

    /* Signals are taken synchronously by this thread only: block them before any worker starts
     * so every thread inherits the mask. SIGPIPE would kill us on a client that hung up. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct sidecar app;
    if (sc_app_init(&app, &cfg) != DSTACK_OK) {
        fprintf(stderr, "dstack-quote-sidecar: %s\n", err_text());
        return 1;
    }
    struct sc_server server;
    if (sc_server_start(&server, &app) != DSTACK_OK) {
        log_error("%s", err_text());
        fprintf(stderr, "dstack-quote-sidecar: %s\n", err_text());
        sc_app_free(&app);
        return 1;
    }
    log_info("dstack-quote-sidecar %s listening on %s:%u (%u workers, %u agent connections)",
             SC_VERSION, cfg.host, (unsigned)server.port, cfg.threads, cfg.agent_concurrency);

    int sig = 0;
    sigwait(&stop_signals, &sig);
    log_info("received %s, shutting down gracefully", sig == SIGINT ? "SIGINT" : "SIGTERM");
    unsigned left = sc_server_stop(&server, cfg.timeout_s * 1000u + SC_SHUTDOWN_SLACK_MS);
    if (left > 0) {
        log_warn("%u requests were still running at the deadline", left);
    }
    sc_app_free(&app);
    log_info("shutdown complete");
    return 0;
}
