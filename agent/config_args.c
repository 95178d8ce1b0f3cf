/* The agent's and the simulator's command line, over the defaults and the configuration files:
 * upstream's files first (config_load_search), then the -c file, then every other flag, whatever
 * their order. */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_file.h"
#include "config.h"
#include "config_check.h"
#include "log.h"
#include "util/error.h"

enum {
    OPT_KEYS = 256,
    OPT_COMPOSE,
    OPT_SYS_CONFIG,
    OPT_GPU_FILE,
    OPT_BACKEND,
    OPT_SEED,
    OPT_DIR,
    OPT_ATTESTATION,
    OPT_IDENT,
    OPT_LISTEN,
    OPT_TAPPD_LISTEN,
    OPT_WORKER_LISTEN,
    OPT_GUEST_LISTEN,
    OPT_METHODS,
    OPT_SOCKET_MODE,
    OPT_NO_DEFAULT,
    OPT_THREADS,
    OPT_IDLE,
    OPT_MAX_BODY,
    OPT_LOG_LEVEL,
    OPT_WATCHDOG,
};

static const struct option long_options[] = {
    {"config", required_argument, NULL, 'c'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"keys", required_argument, NULL, OPT_KEYS},
    {"compose", required_argument, NULL, OPT_COMPOSE},
    {"sys-config", required_argument, NULL, OPT_SYS_CONFIG},
    {"gpu-attestation", required_argument, NULL, OPT_GPU_FILE},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"listen-tappd", required_argument, NULL, OPT_TAPPD_LISTEN},
    {"listen-worker", required_argument, NULL, OPT_WORKER_LISTEN},
    {"listen-guest", required_argument, NULL, OPT_GUEST_LISTEN},
    {"methods", required_argument, NULL, OPT_METHODS},
    {"socket-mode", required_argument, NULL, OPT_SOCKET_MODE},
    {"no-default-listeners", no_argument, NULL, OPT_NO_DEFAULT},
    {"seed", required_argument, NULL, OPT_SEED},
    {"dir", required_argument, NULL, OPT_DIR},
    {"attestation", required_argument, NULL, OPT_ATTESTATION},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"idle-timeout", required_argument, NULL, OPT_IDLE},
    {"max-body", required_argument, NULL, OPT_MAX_BODY},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"watchdog", no_argument, NULL, OPT_WATCHDOG},
    {"ident", required_argument, NULL, OPT_IDENT},
    {"request-timeout", required_argument, NULL, CONFIG_OPT_REQUEST_TIMEOUT},
    {"min-rate", required_argument, NULL, CONFIG_OPT_MIN_RATE},
    {"allow-host", required_argument, NULL, CONFIG_OPT_ALLOW_HOST},
    {NULL, 0, NULL, 0},
};

#define FIELD(name) offsetof(struct agent_config, name), sizeof(((struct agent_config *)0)->name)

/* Flags that set one text field. */
static const struct {
    int code;
    size_t offset, cap;
    const char *flag;
} text_options[] = {
    {OPT_KEYS, FIELD(keys_file), "--keys"},
    {OPT_COMPOSE, FIELD(compose_file), "--compose"},
    {OPT_SYS_CONFIG, FIELD(sys_config_file), "--sys-config"},
    {OPT_GPU_FILE, FIELD(gpu_attestation_file), "--gpu-attestation"},
    {OPT_BACKEND, FIELD(backend), "--backend"},
    {OPT_SEED, FIELD(sim_seed), "--seed"},
    {OPT_DIR, FIELD(sim_dir), "--dir"},
    {OPT_ATTESTATION, FIELD(attestation_file), "--attestation"},
    {OPT_IDENT, FIELD(server_ident), "--ident"},
};

struct args {
    struct agent_config *cfg;
    bool simulator;
    bool replaced;                /* --no-default-listeners seen */
    struct listener_config *last; /* the listener --methods and --socket-mode apply to */
    /* A --socket-mode before any --listen*: every listener's mode, applied once the whole line
     * is read (finish_modes), so it reaches listeners added later and the guest-api one. */
    bool all_mode_set;
    unsigned all_mode;
    bool mode_given[CONFIG_MAX_LISTENERS]; /* a --socket-mode right after this --listen* */
};

static void print_help(bool simulator)
{
    const char *prog = simulator ? "dstack-simulator" : "dstack-guest-agent";
    printf("Usage: %s [options]\n\n", prog);
    if (simulator) {
        printf("Serves the dstack guest API on ./dstack.sock and ./tappd.sock with a simulated\n"
               "TEE. Missing appkeys.json, app-compose.json and sys-config.json are created.\n\n");
    } else {
        printf("The dstack guest agent: serves the guest API of a confidential VM.\n\n");
    }
    printf("Configuration files, as upstream reads them: /etc/dstack/dstack.{toml,json},\n"
           "then ./dstack.{toml,json}, then -c FILE; flags override them.\n\n"
           "  -c, --config FILE        configuration file, TOML or JSON (upstream's dstack.toml)\n"
           "      --keys FILE          app keys file (appkeys.json)\n"
           "      --compose FILE       app-compose.json\n"
           "      --sys-config FILE    sys-config.json\n"
           "      --gpu-attestation F  file served by GpuInfo\n"
           "      --backend NAME       TEE backend: simulator or tdx\n"
           "      --listen ADDR        add a dstack-API listener: unix:/path or host:port\n"
           "      --listen-tappd ADDR  add a tappd-API listener\n"
           "      --listen-worker ADDR add a Worker-API (public: Info, Version,\n"
           "                           GetAttestationForAppKey) listener\n"
           "      --listen-guest ADDR  add a Guest-API listener for the host (unix:/path or\n"
           "                           vsock:CID:PORT; upstream's is vsock:0xffffffff:8000)\n"
           "      --methods A,B,...    restrict the last listener to these methods\n"
           "      --socket-mode MODE   file mode (octal) of the unix listener given just before;\n"
           "                           before any --listen*: of every unix listener\n"
           "      --no-default-listeners  serve only the listeners given with --listen*\n"
           "      --seed SEED          simulator: development seed for generated identities\n"
           "      --dir DIR            simulator: folder of its files and sockets (default .),\n"
           "                           created when missing\n"
           "      --attestation FILE   simulator: serve an upstream attestation.bin\n"
           "      --threads N          worker threads per listener (default: cores)\n"
           "      --idle-timeout SEC   close idle connections after SEC seconds (default 15)\n"
           "      --request-timeout SEC  headers and body of a request within SEC (default 30)\n"
           "      --min-rate BYTES     bytes per second a body must average, 0 = any (4096)\n"
           "      --allow-host NAME    a Host name TCP listeners accept besides IP addresses\n"
           "      --max-body BYTES     request body cap (default 10485760)\n"
           "      --log-level LEVEL    off, error, warn, info, debug or trace (default info;\n"
           "                           without it RUST_LOG is read: level or target=level,...)\n"
           "      --watchdog           systemd watchdog pings (with WATCHDOG_USEC)\n"
           "      --ident TEXT         Server: header\n"
           "  -V, --version            print the version\n");
}

static dstack_err parse_uint(const char *s, unsigned long long min, unsigned long long max,
                             unsigned long long *out, const char *what)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v > max || v < min) {
        return err_set(DSTACK_EINVAL, "%s: invalid value \"%s\" (%llu..%llu)", what, s, min, max);
    }
    *out = v;
    return DSTACK_OK;
}

static dstack_err methods_csv(struct listener_config *l, const char *csv)
{
    char name[64];
    while (*csv != '\0') {
        size_t n = strcspn(csv, ",");
        if (n == 0 || n >= sizeof name) {
            return err_set(DSTACK_EINVAL, "invalid method list \"%s\"", csv);
        }
        memcpy(name, csv, n);
        name[n] = '\0';
        if (config_allow_method(l, name) != 0) {
            return DSTACK_EINVAL;
        }
        csv += n + (csv[n] == ',');
    }
    return DSTACK_OK;
}

/* --listen*, --methods, --socket-mode, --no-default-listeners. */
static dstack_err listener_option(struct args *a, int code, const char *arg)
{
    struct agent_config *cfg = a->cfg;
    switch (code) {
    case OPT_NO_DEFAULT:
        if (!a->replaced) {
            cfg->n_listeners = 0;
            cfg->guest_api_configured = false; /* the default guest-api listener too */
            memset(a->mode_given, 0, sizeof a->mode_given);
            a->replaced = true;
        }
        return DSTACK_OK;
    case OPT_LISTEN:
    case OPT_TAPPD_LISTEN:
    case OPT_WORKER_LISTEN:
    case OPT_GUEST_LISTEN:
        a->last = config_add_listener(cfg, arg,
                                      code == OPT_LISTEN          ? API_DSTACK
                                      : code == OPT_TAPPD_LISTEN  ? API_TAPPD
                                      : code == OPT_WORKER_LISTEN ? API_WORKER
                                                                  : API_GUEST);
        return a->last != NULL ? DSTACK_OK : DSTACK_EINVAL;
    case OPT_METHODS:
        if (a->last == NULL) {
            return err_set(DSTACK_EINVAL, "--methods must follow --listen");
        }
        a->last->restricted = true; /* even when empty: config_check refuses that */
        return methods_csv(a->last, arg);
    default: /* OPT_SOCKET_MODE */
        if (a->last != NULL) {
            a->mode_given[a->last - cfg->listeners] = true;
            return config_parse_mode(arg, &a->last->mode);
        }
        a->all_mode_set = true;
        return config_parse_mode(arg, &a->all_mode);
    }
}

/* A leading --socket-mode over every listener that has no --socket-mode of its own: the
 * defaults, the files' profiles, the --listen* ones given after it and the guest-api listener
 * (which config_finish appends later). */
static void finish_modes(const struct args *a)
{
    if (!a->all_mode_set) {
        return;
    }
    for (size_t i = 0; i < a->cfg->n_listeners; i++) {
        if (!a->mode_given[i]) {
            a->cfg->listeners[i].mode = a->all_mode;
        }
    }
    a->cfg->guest_api.mode = a->all_mode;
}

/* --threads, --idle-timeout, --max-body, --log-level, --watchdog. */
static dstack_err number_option(struct args *a, int code, const char *arg)
{
    unsigned long long n = 0;
    enum log_level level;
    switch (code) {
    case OPT_THREADS:
        if (parse_uint(arg, 0, 1024, &n, "--threads") != 0) {
            return DSTACK_EINVAL;
        }
        a->cfg->threads = (unsigned)n;
        return DSTACK_OK;
    case OPT_IDLE:
        if (parse_uint(arg, 1, 3600, &n, "--idle-timeout") != 0) {
            return err_set(DSTACK_EINVAL,
                           "--idle-timeout: invalid value \"%s\" (at least 1 second, at most 3600)",
                           arg);
        }
        a->cfg->idle_timeout = (unsigned)n;
        return DSTACK_OK;
    case OPT_MAX_BODY:
        if (parse_uint(arg, 1, 1ull << 30, &n, "--max-body") != 0) {
            return DSTACK_EINVAL;
        }
        a->cfg->max_body = (size_t)n;
        return DSTACK_OK;
    case OPT_LOG_LEVEL:
        if (!log_level_parse(arg, &level)) {
            return err_set(
                DSTACK_EINVAL,
                "--log-level: unknown level \"%s\" (off, error, warn, info, debug, trace)", arg);
        }
        a->cfg->log_level = (int)level;
        a->cfg->log_level_flag = true;
        return DSTACK_OK;
    default: /* OPT_WATCHDOG */
        a->cfg->watchdog = true;
        return DSTACK_OK;
    }
}

static dstack_err apply_option(struct args *a, int code, const char *arg, const char *as_written)
{
    for (size_t i = 0; i < sizeof text_options / sizeof text_options[0]; i++) {
        if (text_options[i].code == code) {
            char *field = (char *)a->cfg + text_options[i].offset;
            return config_copy(field, text_options[i].cap, arg, text_options[i].flag);
        }
    }
    if (code >= OPT_LISTEN && code <= OPT_NO_DEFAULT) {
        return listener_option(a, code, arg);
    }
    if (code >= OPT_THREADS && code <= OPT_WATCHDOG) {
        return number_option(a, code, arg);
    }
    if (code >= CONFIG_OPT_REQUEST_TIMEOUT && code <= CONFIG_OPT_ALLOW_HOST) {
        return config_server_option(a->cfg, code, arg);
    }
    return err_set(DSTACK_EINVAL, "unknown or incomplete option \"%s\" (see --help)", as_written);
}

/* Upstream's search, then every -c file in the order given. */
static dstack_err load_files(struct agent_config *cfg, int argc, char **argv)
{
    if (config_load_search(cfg, cfg_search_dirs) != 0) {
        return DSTACK_EINVAL;
    }
    opterr = 0;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "c:hV", long_options, NULL)) != -1) {
        if (c == 'c' && config_load_file(cfg, optarg) != 0) {
            return DSTACK_EINVAL;
        }
    }
    return DSTACK_OK;
}

int config_parse_args(struct agent_config *cfg, bool simulator, int argc, char **argv)
{
    struct args a = {.cfg = cfg, .simulator = simulator};
    /* --help and --version answer before any file is read. */
    opterr = 0;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "c:hV", long_options, NULL)) != -1) {
        if (c == 'h') {
            print_help(simulator);
            return 1;
        }
        if (c == 'V') {
            printf("%s %s (%s)\n", simulator ? "dstack-simulator" : "dstack-guest-agent",
                   DSTACK_WIRE_VERSION, DSTACK_GIT_REV);
            return 1;
        }
    }
    if (load_files(cfg, argc, argv) != 0) {
        return -1;
    }
    optind = 0;
    while ((c = getopt_long(argc, argv, "c:hV", long_options, NULL)) != -1) {
        if (c != 'c' && apply_option(&a, c, optarg, argv[optind - 1]) != 0) {
            return -1;
        }
    }
    if (optind < argc) {
        (void)err_set(DSTACK_EINVAL, "unexpected argument \"%s\" (see --help)", argv[optind]);
        return -1;
    }
    finish_modes(&a);
    return 0;
}
