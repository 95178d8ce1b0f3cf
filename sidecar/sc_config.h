/* Configuration of dstack-quote-sidecar: defaults, then the environment, then flags.
 *
 * Environment (docs/sidecar.md "Configuration"):
 *   QUOTE_SIDECAR__SERVER__HOST / __PORT   the names the seed README documents;
 *   QUOTE_SIDECAR_SERVER__HOST / __PORT    the names upstream's code really reads (config-rs with
 *                                          prefix_separator "_" and separator "__", config.rs).
 * Both spellings are read; when both are set they must agree. An empty variable counts as unset.
 * RUST_LOG sets the log level. The agent endpoint is resolved as the SDK does (--endpoint, else
 * DSTACK_SIMULATOR_ENDPOINT, else the dstack.sock paths; include/dstack/client.h).
 * Nothing here touches the network or prints: errors come back in err_text() for main to show. */
#ifndef DSTACK_SIDECAR_CONFIG_H
#define DSTACK_SIDECAR_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include <dstack/common.h>

#include "log.h"

/* The crate name of upstream's sidecar: the RUST_LOG target of its lines. */
#define SC_LOG_TARGET "dstack_quote_sidecar"

#define SC_LOG_WARNING_MAX 512
#define SC_HOST_MAX 256
#define SC_ENDPOINT_MAX 1024

#define SC_DEFAULT_HOST "0.0.0.0"
#define SC_DEFAULT_PORT 9999u
#define SC_DEFAULT_THREADS 16u /* MHD worker threads (each serves one request at a time) */
#define SC_DEFAULT_AGENT_CONCURRENCY 16u /* agent calls in flight at most (= agent connections) */
#define SC_DEFAULT_TIMEOUT_S 30u         /* per agent call, also the wait for a free agent slot */
#define SC_DEFAULT_IDLE_TIMEOUT_S 60u    /* idle client connections are closed after this */
#define SC_DEFAULT_REQUEST_TIMEOUT_S 30u /* a request's headers complete within this */
#define SC_DEFAULT_MIN_RATE 4096u        /* body bytes/s (internal/server/srv.h) */
#define SC_MAX_MIN_RATE (1u << 30)
#define SC_MAX_THREADS 1024u
#define SC_MAX_AGENT_CONCURRENCY 1024u
#define SC_MAX_TIMEOUT_S 3600u

struct sc_config {
    char host[SC_HOST_MAX];         /* bind address: IPv4/IPv6 literal or a name ("[::1]" ok) */
    uint16_t port;                  /* 0 = an ephemeral port, logged at start-up */
    char endpoint[SC_ENDPOINT_MAX]; /* "" = resolve like the SDK */
    unsigned threads;
    unsigned agent_concurrency;
    unsigned timeout_s;
    unsigned idle_timeout_s;
    unsigned request_timeout_s; /* whole-request deadline (docs/sidecar.md, "Limits") */
    unsigned min_rate;          /* 0 = none */
    enum log_level log_level;
    char log_warning[SC_LOG_WARNING_MAX]; /* a RUST_LOG value we could not read ("" = none) */
};

void sc_config_defaults(struct sc_config *cfg);

/* Applies the environment `envp` (NAME=value strings, NULL-terminated, like environ).
 * DSTACK_OK, or DSTACK_EINVAL with a message naming the variable and its value in err_text()
 * (e.g. `QUOTE_SIDECAR__SERVER__PORT: invalid port "99999" (expected 0-65535)`). An unreadable
 * RUST_LOG is not fatal: the level stays and log_warning says why. */
dstack_err sc_config_from_env(struct sc_config *cfg, char *const *envp);

enum sc_config_args { SC_ARGS_RUN = 0, SC_ARGS_HELP = 1, SC_ARGS_VERSION = 2, SC_ARGS_ERROR = -1 };

/* Applies command-line flags (over the environment); SC_ARGS_ERROR with the reason in
 * err_text(). */
enum sc_config_args sc_config_parse_args(struct sc_config *cfg, int argc, char **argv);

/* Checks one port value ("8080"): decimal digits only, 0-65535. */
int sc_config_parse_port(const char *s, uint16_t *out);

/* Checks a host's syntax (non-empty, short, no whitespace, control characters or '/'); whether
 * it resolves is checked when binding. Copies it into out (brackets of "[::1]" removed). */
int sc_config_parse_host(const char *s, char out[SC_HOST_MAX]);

/* The --help text. */
const char *sc_config_usage(void);

#endif
