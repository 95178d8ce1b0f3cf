#include "sc_config.h"

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

void sc_config_defaults(struct sc_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->host, sizeof cfg->host, "%s", SC_DEFAULT_HOST);
    cfg->port = SC_DEFAULT_PORT;
    cfg->threads = SC_DEFAULT_THREADS;
    cfg->agent_concurrency = SC_DEFAULT_AGENT_CONCURRENCY;
    cfg->timeout_s = SC_DEFAULT_TIMEOUT_S;
    cfg->idle_timeout_s = SC_DEFAULT_IDLE_TIMEOUT_S;
    cfg->request_timeout_s = SC_DEFAULT_REQUEST_TIMEOUT_S;
    cfg->min_rate = SC_DEFAULT_MIN_RATE;
    cfg->log_level = LOG_INFO;
}

int sc_config_parse_port(const char *s, uint16_t *out)
{
    if (s == NULL || s[0] == '\0' || strlen(s) > 5) {
        return -1;
    }
    unsigned long v = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v > 65535) {
        return -1;
    }
    *out = (uint16_t)v;
    return 0;
}

int sc_config_parse_host(const char *s, char out[SC_HOST_MAX])
{
    if (s == NULL) {
        return -1;
    }
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') { /* "[::1]", as in a URL */
        s++;
        n -= 2;
    }
    if (n == 0 || n >= SC_HOST_MAX) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 0x7f || c == '/' || c == '[' || c == ']' || c == '@' || c == '?' ||
            c == '#') {
            return -1;
        }
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

/* The value of `name` in envp; NULL when unset or empty (an empty value counts as unset). */
static const char *env_get(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; envp != NULL && envp[i] != NULL; i++) {
        if (strncmp(envp[i], name, n) == 0 && envp[i][n] == '=') {
            return envp[i][n + 1] != '\0' ? envp[i] + n + 1 : NULL;
        }
    }
    return NULL;
}

/* The value of a setting under the README's and the code's spellings, refusing a disagreement. */
static dstack_err env_pair(char *const *envp, const char *seed_name, const char *code_name,
                           const char **value, const char **from)
{
    const char *a = env_get(envp, seed_name);
    const char *b = env_get(envp, code_name);
    if (a != NULL && b != NULL && strcmp(a, b) != 0) {
        return err_set(DSTACK_EINVAL,
                       "%s=\"%.100s\" and %s=\"%.100s\" disagree; set only one of them", seed_name,
                       a, code_name, b);
    }
    *value = a != NULL ? a : b;
    *from = a != NULL ? seed_name : code_name;
    return DSTACK_OK;
}

dstack_err sc_config_from_env(struct sc_config *cfg, char *const *envp)
{
    const char *v = NULL, *from = NULL;
    dstack_err e =
        env_pair(envp, "QUOTE_SIDECAR__SERVER__HOST", "QUOTE_SIDECAR_SERVER__HOST", &v, &from);
    if (e != DSTACK_OK) {
        return e;
    }
    if (v != NULL && sc_config_parse_host(v, cfg->host) != 0) {
        return err_set(DSTACK_EINVAL,
                       "%s: invalid host \"%.100s\" (expected an IP address or a host name)", from,
                       v);
    }
    e = env_pair(envp, "QUOTE_SIDECAR__SERVER__PORT", "QUOTE_SIDECAR_SERVER__PORT", &v, &from);
    if (e != DSTACK_OK) {
        return e;
    }
    if (v != NULL && sc_config_parse_port(v, &cfg->port) != 0) {
        return err_set(DSTACK_EINVAL, "%s: invalid port \"%.100s\" (expected 0-65535)", from, v);
    }
    v = env_get(envp, "RUST_LOG");
    if (v != NULL && log_filter_level(v, SC_LOG_TARGET, &cfg->log_level) != DSTACK_OK) {
        snprintf(cfg->log_warning, sizeof cfg->log_warning,
                 "RUST_LOG: cannot read \"%.100s\" (%.200s); logging at the default level", v,
                 err_text());
    }
    return DSTACK_OK;
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
    char *end = NULL;
    errno = 0;
    if (s == NULL || s[0] < '0' || s[0] > '9') {
        return -1;
    }
    unsigned long v = strtoul(s, &end, 10);
    if (*end != '\0' || errno != 0 || v < min || v > max) {
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

enum {
    OPT_HOST = 1000,
    OPT_PORT,
    OPT_ENDPOINT,
    OPT_THREADS,
    OPT_AGENT_CONC,
    OPT_TIMEOUT,
    OPT_IDLE,
    OPT_REQUEST_TIMEOUT,
    OPT_MIN_RATE,
    OPT_LOG_LEVEL,
};

static const struct option long_options[] = {
    {"host", required_argument, NULL, OPT_HOST},
    {"port", required_argument, NULL, OPT_PORT},
    {"endpoint", required_argument, NULL, OPT_ENDPOINT},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"agent-concurrency", required_argument, NULL, OPT_AGENT_CONC},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"idle-timeout", required_argument, NULL, OPT_IDLE},
    {"request-timeout", required_argument, NULL, OPT_REQUEST_TIMEOUT},
    {"min-rate", required_argument, NULL, OPT_MIN_RATE},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

const char *sc_config_usage(void)
{
    return "Usage: dstack-quote-sidecar [options]\n"
           "\n"
           "HTTP sidecar for dstack quotes and attestations (GET /, /health, /ready, /quote,\n"
           "/attest, /info). Environment: QUOTE_SIDECAR__SERVER__HOST, "
           "QUOTE_SIDECAR__SERVER__PORT\n"
           "(or QUOTE_SIDECAR_SERVER__HOST/PORT), RUST_LOG, DSTACK_SIMULATOR_ENDPOINT.\n"
           "\n"
           "  -H, --host ADDR            bind address (default 0.0.0.0)\n"
           "  -p, --port PORT            port, 0 = any free one (default 9999)\n"
           "  -e, --endpoint EP          agent: socket path or http(s):// URL (default: as the "
           "SDK)\n"
           "      --threads N            worker threads (default 16)\n"
           "      --agent-concurrency N  agent calls in flight at most (default 16)\n"
           "      --timeout SEC          per agent call and wait for a free slot (default 30)\n"
           "      --idle-timeout SEC     close idle client connections (default 60)\n"
           "      --request-timeout SEC  a request's headers and body within SEC (default 30)\n"
           "      --min-rate BYTES       a body's bytes per second at least, 0 = any (default "
           "4096)\n"
           "      --log-level LEVEL      off, error, warn, info, debug or trace (over RUST_LOG)\n"
           "  -h, --help                 this text\n"
           "  -V, --version              print the version\n";
}

/* The options that take an unsigned number: its range and field. */
static const struct uint_option {
    int code;
    const char *flag;
    unsigned min, max;
    size_t offset;
} uint_options[] = {
    {OPT_THREADS, "--threads", 1, SC_MAX_THREADS, offsetof(struct sc_config, threads)},
    {OPT_AGENT_CONC, "--agent-concurrency", 1, SC_MAX_AGENT_CONCURRENCY,
     offsetof(struct sc_config, agent_concurrency)},
    {OPT_TIMEOUT, "--timeout", 1, SC_MAX_TIMEOUT_S, offsetof(struct sc_config, timeout_s)},
    {OPT_IDLE, "--idle-timeout", 1, SC_MAX_TIMEOUT_S, offsetof(struct sc_config, idle_timeout_s)},
    {OPT_REQUEST_TIMEOUT, "--request-timeout", 1, SC_MAX_TIMEOUT_S,
     offsetof(struct sc_config, request_timeout_s)},
    {OPT_MIN_RATE, "--min-rate", 0, SC_MAX_MIN_RATE, offsetof(struct sc_config, min_rate)},
};

/* One option that takes a value (getopt's code c, its value arg). */
static dstack_err apply_option(struct sc_config *cfg, int c, const char *arg)
{
    for (size_t i = 0; i < sizeof uint_options / sizeof uint_options[0]; i++) {
        const struct uint_option *o = &uint_options[i];
        if (o->code == c) {
            unsigned *field = (unsigned *)((char *)cfg + o->offset);
            if (parse_uint(arg, o->min, o->max, field) != 0) {
                return err_set(DSTACK_EINVAL, "%s: invalid value \"%.100s\" (%u-%u)", o->flag, arg,
                               o->min, o->max);
            }
            return DSTACK_OK;
        }
    }
    switch (c) {
    case 'H':
    case OPT_HOST:
        if (sc_config_parse_host(arg, cfg->host) != 0) {
            return err_set(DSTACK_EINVAL,
                           "--host: invalid host \"%.100s\" (expected an IP address or a host "
                           "name)",
                           arg);
        }
        return DSTACK_OK;
    case 'p':
    case OPT_PORT:
        if (sc_config_parse_port(arg, &cfg->port) != 0) {
            return err_set(DSTACK_EINVAL, "--port: invalid port \"%.100s\" (expected 0-65535)",
                           arg);
        }
        return DSTACK_OK;
    case 'e':
    case OPT_ENDPOINT:
        if (strlen(arg) >= sizeof cfg->endpoint) {
            return err_set(DSTACK_EINVAL, "--endpoint: longer than %zu bytes",
                           sizeof cfg->endpoint - 1);
        }
        snprintf(cfg->endpoint, sizeof cfg->endpoint, "%s", arg);
        return DSTACK_OK;
    default: /* OPT_LOG_LEVEL */
        if (!log_level_parse(arg, &cfg->log_level)) {
            return err_set(DSTACK_EINVAL,
                           "--log-level: unknown level \"%.100s\" (off, error, warn, info, "
                           "debug, trace)",
                           arg);
        }
        cfg->log_warning[0] = '\0'; /* the flag replaces an unreadable RUST_LOG */
        return DSTACK_OK;
    }
}

enum sc_config_args sc_config_parse_args(struct sc_config *cfg, int argc, char **argv)
{
    opterr = 0;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":H:p:e:hV", long_options, NULL)) != -1) {
        switch (c) {
        case 'h':
            return SC_ARGS_HELP;
        case 'V':
            return SC_ARGS_VERSION;
        case ':':
            (void)err_set(DSTACK_EINVAL, "%.100s needs a value", argv[optind - 1]);
            return SC_ARGS_ERROR;
        case '?':
            (void)err_set(DSTACK_EINVAL, "unknown option %.100s (see --help)", argv[optind - 1]);
            return SC_ARGS_ERROR;
        default:
            if (apply_option(cfg, c, optarg) != DSTACK_OK) {
                return SC_ARGS_ERROR;
            }
        }
    }
    if (optind < argc) {
        (void)err_set(DSTACK_EINVAL, "unexpected argument \"%.100s\" (see --help)", argv[optind]);
        return SC_ARGS_ERROR;
    }
    return SC_ARGS_RUN;
}
