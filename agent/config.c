#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_check.h"
#include "log.h"
#include "routes.h"
#include "srv.h"

#define DEFAULT_MAX_BODY (10u * 1024 * 1024) /* upstream's per-method default limit */
#define DEFAULT_IDLE_TIMEOUT 15              /* Rocket's header-read/idle timeout */

static int copy_field(char *dst, size_t cap, const char *src, const char *what,
                      char err[CONFIG_ERROR_MAX])
{
    size_t n = strlen(src);
    if (n >= cap) {
        snprintf(err, CONFIG_ERROR_MAX, "%s is too long (%zu bytes, max %zu)", what, n, cap - 1);
        return -1;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

#define COPY(dst, src, what) copy_field((dst), sizeof(dst), (src), (what), err)

static struct listener_config *add_listener(struct agent_config *cfg, const char *address,
                                            enum listener_api api, char err[CONFIG_ERROR_MAX])
{
    if (cfg->n_listeners == CONFIG_MAX_LISTENERS) {
        snprintf(err, CONFIG_ERROR_MAX, "too many listeners (max %d)", CONFIG_MAX_LISTENERS);
        return NULL;
    }
    struct listener_config *l = &cfg->listeners[cfg->n_listeners];
    memset(l, 0, sizeof *l);
    if (copy_field(l->address, sizeof l->address, address, "listener address", err) != 0) {
        return NULL;
    }
    l->api = api;
    l->mode = 0777; /* upstream's socket unit: SocketMode=0777 */
    cfg->n_listeners++;
    return l;
}

void config_defaults(struct agent_config *cfg, bool simulator)
{
    memset(cfg, 0, sizeof *cfg);
    char ignored[CONFIG_ERROR_MAX];
    cfg->idle_timeout = DEFAULT_IDLE_TIMEOUT;
    cfg->request_timeout = SRV_DEFAULT_REQUEST_TIMEOUT_S;
    cfg->min_rate = SRV_DEFAULT_MIN_RATE;
    cfg->max_body = DEFAULT_MAX_BODY;
    cfg->log_level = LOG_INFO;
    if (simulator) {
        snprintf(cfg->backend, sizeof cfg->backend, "simulator");
        snprintf(cfg->server_ident, sizeof cfg->server_ident, "dstack Simulator");
        snprintf(cfg->sim_dir, sizeof cfg->sim_dir, ".");
        add_listener(cfg, "unix:./dstack.sock", API_DSTACK, ignored);
        add_listener(cfg, "unix:./tappd.sock", API_TAPPD, ignored);
        add_listener(cfg, "unix:./external.sock", API_WORKER, ignored); /* as upstream's */
        return;
    }
    snprintf(cfg->backend, sizeof cfg->backend, "tdx");
    cfg->thread_per_connection = true;
    snprintf(cfg->server_ident, sizeof cfg->server_ident, "dstack guest agent");
    snprintf(cfg->keys_file, sizeof cfg->keys_file, "/dstack/.host-shared/.appkeys.json");
    snprintf(cfg->compose_file, sizeof cfg->compose_file, "/dstack/.host-shared/app-compose.json");
    snprintf(cfg->sys_config_file, sizeof cfg->sys_config_file,
             "/dstack/.host-shared/.sys-config.json");
    add_listener(cfg, "unix:/var/run/dstack/dstack.sock", API_DSTACK, ignored);
    add_listener(cfg, "unix:/var/run/dstack/tappd.sock", API_TAPPD, ignored);
    add_listener(cfg, "0.0.0.0:8090", API_WORKER, ignored); /* public: no key material */
}

/* ---- the JSON file ------------------------------------------------------------------------ */

static int get_string(const json_t *obj, const char *key, char *dst, size_t cap, const char *where,
                      char err[CONFIG_ERROR_MAX])
{
    const json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        return 0;
    }
    if (!json_is_string(v)) {
        snprintf(err, CONFIG_ERROR_MAX, "%s.%s must be a string", where, key);
        return -1;
    }
    char what[128];
    snprintf(what, sizeof what, "%s.%s", where, key);
    return copy_field(dst, cap, json_string_value(v), what, err);
}

static int get_uint(const json_t *obj, const char *key, unsigned long long max,
                    unsigned long long *out, const char *where, char err[CONFIG_ERROR_MAX])
{
    const json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (unsigned long long)json_integer_value(v) > max) {
        snprintf(err, CONFIG_ERROR_MAX, "%s.%s must be an integer between 0 and %llu", where, key,
                 max);
        return -1;
    }
    *out = (unsigned long long)json_integer_value(v);
    return 0;
}

static int parse_mode(const char *s, unsigned *mode, char err[CONFIG_ERROR_MAX])
{
    char *end = NULL;
    errno = 0;
    unsigned long m = strtoul(s, &end, 8);
    if (s[0] == '\0' || *end != '\0' || errno != 0 || m > 07777) {
        snprintf(err, CONFIG_ERROR_MAX, "invalid socket mode \"%s\" (octal, e.g. 0660)", s);
        return -1;
    }
    *mode = (unsigned)m;
    return 0;
}

static const char *const api_names[] = {
    [API_DSTACK] = "dstack", [API_TAPPD] = "tappd", [API_WORKER] = "worker"};

const char *config_api_name(enum listener_api api)
{
    return api_names[api];
}

static int parse_api(const char *s, enum listener_api *api, char err[CONFIG_ERROR_MAX])
{
    for (size_t i = 0; i < sizeof api_names / sizeof api_names[0]; i++) {
        if (strcmp(s, api_names[i]) == 0) {
            *api = (enum listener_api)i;
            return 0;
        }
    }
    snprintf(err, CONFIG_ERROR_MAX, "unknown API \"%.40s\" (dstack, tappd or worker)", s);
    return -1;
}

/* Adds one method to a listener's allow-list, checking that the API has it. */
static int allow_method(struct listener_config *l, const char *name, char err[CONFIG_ERROR_MAX])
{
    if (routes_find(l->api, name) == NULL) {
        snprintf(err, CONFIG_ERROR_MAX, "listener %s: unknown method \"%s\"", l->address, name);
        return -1;
    }
    if (l->n_methods == CONFIG_MAX_METHODS) {
        snprintf(err, CONFIG_ERROR_MAX, "listener %s: too many methods", l->address);
        return -1;
    }
    snprintf(l->methods[l->n_methods++], sizeof l->methods[0], "%s", name);
    return 0;
}

static int allow_methods_csv(struct listener_config *l, const char *csv, char err[CONFIG_ERROR_MAX])
{
    char name[64];
    while (*csv != '\0') {
        size_t n = strcspn(csv, ",");
        if (n == 0 || n >= sizeof name) {
            snprintf(err, CONFIG_ERROR_MAX, "invalid method list \"%s\"", csv);
            return -1;
        }
        memcpy(name, csv, n);
        name[n] = '\0';
        if (allow_method(l, name, err) != 0) {
            return -1;
        }
        csv += n + (csv[n] == ',');
    }
    return 0;
}

/* A listener object: {"address": ..., "api": ..., "mode": "0660", "methods": [...]} */
static int load_listener(struct agent_config *cfg, const json_t *obj, enum listener_api api,
                         struct listener_config *existing, const char *where,
                         char err[CONFIG_ERROR_MAX])
{
    if (!json_is_object(obj)) {
        snprintf(err, CONFIG_ERROR_MAX, "%s must be an object", where);
        return -1;
    }
    char address[256] = "";
    char api_name[16] = "";
    char mode[16] = "";
    if (get_string(obj, "address", address, sizeof address, where, err) != 0 ||
        get_string(obj, "api", api_name, sizeof api_name, where, err) != 0 ||
        get_string(obj, "mode", mode, sizeof mode, where, err) != 0) {
        return -1;
    }
    if (api_name[0] != '\0' && parse_api(api_name, &api, err) != 0) {
        return -1;
    }
    /* Rocket style: "address": "0.0.0.0", "port": 8090. */
    unsigned long long port = 0;
    if (get_uint(obj, "port", 65535, &port, where, err) != 0) {
        return -1;
    }
    if (port != 0 && strncmp(address, "unix:", 5) != 0 && strchr(address, ':') == NULL) {
        char joined[sizeof address];
        snprintf(joined, sizeof joined, "%.200s:%llu", address, port);
        memcpy(address, joined, sizeof address);
    }
    struct listener_config *l = existing;
    if (l == NULL || address[0] != '\0') {
        if (l == NULL && address[0] == '\0') {
            snprintf(err, CONFIG_ERROR_MAX, "%s.address is required", where);
            return -1;
        }
        if (l == NULL) {
            l = add_listener(cfg, address, api, err);
            if (l == NULL) {
                return -1;
            }
        } else if (COPY(l->address, address, "listener address") != 0) {
            return -1;
        }
    }
    l->api = api;
    if (mode[0] != '\0' && parse_mode(mode, &l->mode, err) != 0) {
        return -1;
    }
    const json_t *methods = json_object_get(obj, "methods");
    if (methods != NULL) {
        if (!json_is_array(methods)) {
            snprintf(err, CONFIG_ERROR_MAX, "%s.methods must be an array of method names", where);
            return -1;
        }
        l->n_methods = 0;
        l->restricted = true; /* even when empty: config_check refuses that */
        size_t i;
        const json_t *m;
        json_array_foreach(methods, i, m)
        {
            if (!json_is_string(m)) {
                snprintf(err, CONFIG_ERROR_MAX, "%s.methods[%zu] must be a string", where, i);
                return -1;
            }
            if (allow_method(l, json_string_value(m), err) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* default.core.tdx (docs/tdx.md). */
static int load_tdx(struct agent_config *cfg, const json_t *tdx, char err[CONFIG_ERROR_MAX])
{
    const char *w = "default.core.tdx";
    struct tdx_config *t = &cfg->tdx;
    unsigned long long queue = t->quote_queue, timeout = t->quote_timeout_ms,
                       gen = t->generation_timeout_ms;
    if (tdx == NULL) {
        return 0;
    }
    if (!json_is_object(tdx)) {
        snprintf(err, CONFIG_ERROR_MAX, "%s must be an object", w);
        return -1;
    }
    if (get_string(tdx, "configfs_dir", t->configfs_dir, sizeof t->configfs_dir, w, err) ||
        get_string(tdx, "rtmr_sysfs_dir", t->rtmr_sysfs_dir, sizeof t->rtmr_sysfs_dir, w, err) ||
        get_string(tdx, "ccel_file", t->ccel_file, sizeof t->ccel_file, w, err) ||
        get_string(tdx, "runtime_log_dir", t->runtime_log_dir, sizeof t->runtime_log_dir, w, err) ||
        get_string(tdx, "device", t->device, sizeof t->device, w, err) ||
        get_string(tdx, "attest_config", t->attest_config, sizeof t->attest_config, w, err) ||
        get_uint(tdx, "quote_queue", 4096, &queue, w, err) ||
        get_uint(tdx, "quote_timeout_ms", 600000, &timeout, w, err) ||
        get_uint(tdx, "generation_timeout_ms", 600000, &gen, w, err)) {
        return -1;
    }
    t->quote_queue = (unsigned)queue;
    t->quote_timeout_ms = (unsigned)timeout;
    t->generation_timeout_ms = (unsigned)gen;
    return 0;
}

static int load_default_profile(struct agent_config *cfg, const json_t *def,
                                char err[CONFIG_ERROR_MAX])
{
    if (!json_is_object(def)) {
        snprintf(err, CONFIG_ERROR_MAX, "\"default\" must be an object");
        return -1;
    }
    char level[16] = "";
    unsigned long long workers = cfg->threads, keep_alive = cfg->idle_timeout,
                       max_body = cfg->max_body;
    if (get_string(def, "ident", cfg->server_ident, sizeof cfg->server_ident, "default", err) ||
        get_string(def, "log_level", level, sizeof level, "default", err) ||
        get_uint(def, "workers", 1024, &workers, "default", err) ||
        get_uint(def, "keep_alive", 3600, &keep_alive, "default", err) ||
        get_uint(def, "max_body", 1ull << 30, &max_body, "default", err)) {
        return -1;
    }
    cfg->threads = (unsigned)workers;
    cfg->idle_timeout = (unsigned)keep_alive;
    cfg->max_body = (size_t)max_body;
    if (level[0] != '\0') {
        int lv = log_level_parse(level);
        if (lv < 0) {
            snprintf(err, CONFIG_ERROR_MAX, "default.log_level: unknown level \"%s\"", level);
            return -1;
        }
        cfg->log_level = lv;
    }
    const json_t *tpc = json_object_get(def, "thread_per_connection");
    if (tpc != NULL && !json_is_boolean(tpc)) {
        snprintf(err, CONFIG_ERROR_MAX, "default.thread_per_connection must be true or false");
        return -1;
    }
    if (tpc != NULL) {
        cfg->thread_per_connection = json_is_true(tpc);
    }
    const json_t *core = json_object_get(def, "core");
    if (core == NULL) {
        return 0;
    }
    if (!json_is_object(core)) {
        snprintf(err, CONFIG_ERROR_MAX, "default.core must be an object");
        return -1;
    }
    const char *w = "default.core";
    if (get_string(core, "keys_file", cfg->keys_file, sizeof cfg->keys_file, w, err) ||
        get_string(core, "compose_file", cfg->compose_file, sizeof cfg->compose_file, w, err) ||
        get_string(core, "sys_config_file", cfg->sys_config_file, sizeof cfg->sys_config_file, w,
                   err) ||
        get_string(core, "gpu_attestation_file", cfg->gpu_attestation_file,
                   sizeof cfg->gpu_attestation_file, w, err) ||
        get_string(core, "backend", cfg->backend, sizeof cfg->backend, w, err)) {
        return -1;
    }
    if (load_tdx(cfg, json_object_get(core, "tdx"), err) != 0) {
        return -1;
    }
    const json_t *sim = json_object_get(core, "simulator");
    if (sim != NULL) {
        w = "default.core.simulator";
        if (!json_is_object(sim) ||
            get_string(sim, "attestation_file", cfg->attestation_file, sizeof cfg->attestation_file,
                       w, err) ||
            get_string(sim, "seed", cfg->sim_seed, sizeof cfg->sim_seed, w, err) ||
            get_string(sim, "dir", cfg->sim_dir, sizeof cfg->sim_dir, w, err)) {
            if (!json_is_object(sim)) {
                snprintf(err, CONFIG_ERROR_MAX, "%s must be an object", w);
            }
            return -1;
        }
    }
    return 0;
}

int config_load_file(struct agent_config *cfg, const char *path, char err[CONFIG_ERROR_MAX])
{
    char inner[CONFIG_ERROR_MAX] = "";
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    int rc = -1;
    if (root == NULL) {
        snprintf(err, CONFIG_ERROR_MAX, "config file %.200s: %.200s (line %d, column %d)", path,
                 jerr.text, jerr.line, jerr.column);
        return -1;
    }
    if (!json_is_object(root)) {
        snprintf(inner, sizeof inner, "the top level must be an object of profiles");
        goto out;
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value)
    {
        if (strcmp(key, "default") == 0) {
            if (load_default_profile(cfg, value, inner) != 0) {
                goto out;
            }
        } else if (strcmp(key, "internal") == 0) {
            if (load_listener(cfg, value, API_DSTACK, &cfg->listeners[0], key, inner) != 0) {
                goto out;
            }
        } else if (strcmp(key, "internal-v0") == 0) {
            if (load_listener(cfg, value, API_TAPPD, &cfg->listeners[1], key, inner) != 0) {
                goto out;
            }
        } else if (strcmp(key, "external") == 0) {
            if (load_listener(cfg, value, API_WORKER, &cfg->listeners[2], key, inner) != 0) {
                goto out;
            }
        } else if (strcmp(key, "listeners") == 0) {
            if (!json_is_array(value)) {
                snprintf(inner, sizeof inner, "\"listeners\" must be an array");
                goto out;
            }
            size_t i;
            json_t *l;
            json_array_foreach(value, i, l)
            {
                char where[32];
                snprintf(where, sizeof where, "listeners[%zu]", i);
                if (load_listener(cfg, l, API_DSTACK, NULL, where, inner) != 0) {
                    goto out;
                }
            }
        } else {
            /* Upstream profiles we do not serve (guest-api) and unknown keys. */
            log_warn("config file %s: ignoring \"%s\"", path, key);
        }
    }
    rc = 0;
out:
    if (rc != 0) {
        snprintf(err, CONFIG_ERROR_MAX, "config file %.200s: %.290s", path, inner);
    }
    json_decref(root);
    return rc;
}

/* ---- the command line --------------------------------------------------------------------- */

enum {
    OPT_KEYS = 256,
    OPT_COMPOSE,
    OPT_SYS_CONFIG,
    OPT_GPU_FILE,
    OPT_BACKEND,
    OPT_LISTEN,
    OPT_TAPPD_LISTEN,
    OPT_WORKER_LISTEN,
    OPT_METHODS,
    OPT_SOCKET_MODE,
    OPT_NO_DEFAULT,
    OPT_SEED,
    OPT_DIR,
    OPT_ATTESTATION,
    OPT_THREADS,
    OPT_IDLE,
    OPT_MAX_BODY,
    OPT_LOG_LEVEL,
    OPT_WATCHDOG,
    OPT_IDENT,
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
    {NULL, 0, NULL, 0},
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
    printf("  -c, --config FILE        JSON config (upstream dstack.json layout)\n"
           "      --keys FILE          app keys file (appkeys.json)\n"
           "      --compose FILE       app-compose.json\n"
           "      --sys-config FILE    sys-config.json\n"
           "      --gpu-attestation F  file served by GpuInfo\n"
           "      --backend NAME       TEE backend: simulator or tdx\n"
           "      --listen ADDR        add a dstack-API listener: unix:/path or host:port\n"
           "      --listen-tappd ADDR  add a tappd-API listener\n"
           "      --listen-worker ADDR add a Worker-API (public: Info, Version,\n"
           "                           GetAttestationForAppKey) listener\n"
           "      --methods A,B,...    restrict the last listener to these methods\n"
           "      --socket-mode MODE   file mode of the last unix listener (octal)\n"
           "      --no-default-listeners  serve only the listeners given with --listen*\n"
           "      --seed SEED          simulator: development seed for generated identities\n"
           "      --dir DIR            simulator: folder of its files and sockets (default .)\n"
           "      --attestation FILE   simulator: serve an upstream attestation.bin\n"
           "      --threads N          worker threads per listener (default: cores)\n"
           "      --idle-timeout SEC   close idle connections after SEC seconds (default %d)\n"
           "      --max-body BYTES     request body cap (default %u)\n"
           "      --log-level LEVEL    error, warn, info, debug or trace\n"
           "      --watchdog           systemd watchdog pings (with WATCHDOG_USEC)\n"
           "      --ident TEXT         Server: header\n"
           "  -V, --version            print the version\n",
           DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_BODY);
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out,
                      const char *what, char err[CONFIG_ERROR_MAX])
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v > max) {
        snprintf(err, CONFIG_ERROR_MAX, "%s: invalid value \"%s\" (0..%llu)", what, s, max);
        return -1;
    }
    *out = v;
    return 0;
}

int config_parse_args(struct agent_config *cfg, bool simulator, int argc, char **argv,
                      char err[CONFIG_ERROR_MAX])
{
    /* First pass: only the config file, so that flags override it whatever their order. */
    opterr = 0;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "c:hV", long_options, NULL)) != -1) {
        if (c == 'c' && config_load_file(cfg, optarg, err) != 0) {
            return -1;
        }
    }
    optind = 0;
    bool replaced = false;
    struct listener_config *last = NULL;
    while ((c = getopt_long(argc, argv, "c:hV", long_options, NULL)) != -1) {
        unsigned long long n = 0;
        switch (c) {
        case 'c':
            break;
        case 'h':
            print_help(simulator);
            return 1;
        case 'V':
            printf("%s %s (%s)\n", simulator ? "dstack-simulator" : "dstack-guest-agent",
                   DSTACK_WIRE_VERSION, DSTACK_GIT_REV);
            return 1;
        case OPT_KEYS:
            if (COPY(cfg->keys_file, optarg, "--keys") != 0) {
                return -1;
            }
            break;
        case OPT_COMPOSE:
            if (COPY(cfg->compose_file, optarg, "--compose") != 0) {
                return -1;
            }
            break;
        case OPT_SYS_CONFIG:
            if (COPY(cfg->sys_config_file, optarg, "--sys-config") != 0) {
                return -1;
            }
            break;
        case OPT_GPU_FILE:
            if (COPY(cfg->gpu_attestation_file, optarg, "--gpu-attestation") != 0) {
                return -1;
            }
            break;
        case OPT_BACKEND:
            if (COPY(cfg->backend, optarg, "--backend") != 0) {
                return -1;
            }
            break;
        case OPT_NO_DEFAULT:
            if (!replaced) {
                cfg->n_listeners = 0;
                replaced = true;
            }
            break;
        case OPT_LISTEN:
        case OPT_TAPPD_LISTEN:
        case OPT_WORKER_LISTEN:
            last = add_listener(cfg, optarg,
                                c == OPT_LISTEN         ? API_DSTACK
                                : c == OPT_TAPPD_LISTEN ? API_TAPPD
                                                        : API_WORKER,
                                err);
            if (last == NULL) {
                return -1;
            }
            break;
        case OPT_METHODS:
            if (last == NULL) {
                snprintf(err, CONFIG_ERROR_MAX, "--methods must follow --listen");
                return -1;
            }
            last->restricted = true; /* even when empty: config_check refuses that */
            if (allow_methods_csv(last, optarg, err) != 0) {
                return -1;
            }
            break;
        case OPT_SOCKET_MODE: {
            struct listener_config *target = last;
            if (target == NULL) { /* before any --listen: applies to every default listener */
                for (size_t i = 0; i < cfg->n_listeners; i++) {
                    if (parse_mode(optarg, &cfg->listeners[i].mode, err) != 0) {
                        return -1;
                    }
                }
            } else if (parse_mode(optarg, &target->mode, err) != 0) {
                return -1;
            }
            break;
        }
        case OPT_SEED:
            if (COPY(cfg->sim_seed, optarg, "--seed") != 0) {
                return -1;
            }
            break;
        case OPT_DIR:
            if (COPY(cfg->sim_dir, optarg, "--dir") != 0) {
                return -1;
            }
            break;
        case OPT_ATTESTATION:
            if (COPY(cfg->attestation_file, optarg, "--attestation") != 0) {
                return -1;
            }
            break;
        case OPT_THREADS:
            if (parse_uint(optarg, 1024, &n, "--threads", err) != 0) {
                return -1;
            }
            cfg->threads = (unsigned)n;
            break;
        case OPT_IDLE:
            if (parse_uint(optarg, 3600, &n, "--idle-timeout", err) != 0 || n == 0) {
                if (n == 0) {
                    snprintf(err, CONFIG_ERROR_MAX, "--idle-timeout must be at least 1 second");
                }
                return -1;
            }
            cfg->idle_timeout = (unsigned)n;
            break;
        case OPT_MAX_BODY:
            if (parse_uint(optarg, 1ull << 30, &n, "--max-body", err) != 0) {
                return -1;
            }
            cfg->max_body = (size_t)n;
            break;
        case OPT_LOG_LEVEL: {
            int lv = log_level_parse(optarg);
            if (lv < 0) {
                snprintf(err, CONFIG_ERROR_MAX, "--log-level: unknown level \"%s\"", optarg);
                return -1;
            }
            cfg->log_level = lv;
            break;
        }
        case OPT_WATCHDOG:
            cfg->watchdog = true;
            break;
        case OPT_IDENT:
            if (COPY(cfg->server_ident, optarg, "--ident") != 0) {
                return -1;
            }
            break;
        default:
            snprintf(err, CONFIG_ERROR_MAX, "unknown or incomplete option \"%s\" (see --help)",
                     argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        snprintf(err, CONFIG_ERROR_MAX, "unexpected argument \"%s\" (see --help)", argv[optind]);
        return -1;
    }
    return 0;
}

/* dir/name into dst, when dst is still empty. */
static int default_path(char *dst, size_t cap, const char *dir, const char *name,
                        char err[CONFIG_ERROR_MAX])
{
    if (dst[0] != '\0') {
        return 0;
    }
    int n = snprintf(dst, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap) {
        snprintf(err, CONFIG_ERROR_MAX, "path %.200s/%.100s is too long", dir, name);
        return -1;
    }
    return 0;
}

int config_finish(struct agent_config *cfg, bool simulator, char err[CONFIG_ERROR_MAX])
{
    if (simulator || strcmp(cfg->backend, "simulator") == 0) {
        const char *dir = cfg->sim_dir[0] ? cfg->sim_dir : ".";
        if (default_path(cfg->keys_file, sizeof cfg->keys_file, dir, "appkeys.json", err) ||
            default_path(cfg->compose_file, sizeof cfg->compose_file, dir, "app-compose.json",
                         err) ||
            default_path(cfg->sys_config_file, sizeof cfg->sys_config_file, dir, "sys-config.json",
                         err)) {
            return -1;
        }
        /* The default sockets live in the simulator's folder too. */
        for (size_t i = 0; i < cfg->n_listeners; i++) {
            struct listener_config *l = &cfg->listeners[i];
            if (strncmp(l->address, "unix:./", 7) == 0 && strcmp(dir, ".") != 0) {
                char joined[sizeof l->address];
                int n = snprintf(joined, sizeof joined, "unix:%s/%s", dir, l->address + 7);
                if (n < 0 || (size_t)n >= sizeof joined) {
                    snprintf(err, CONFIG_ERROR_MAX, "socket path in %.300s is too long", dir);
                    return -1;
                }
                memcpy(l->address, joined, sizeof joined);
            }
        }
    }
    if (cfg->n_listeners == 0) {
        snprintf(err, CONFIG_ERROR_MAX, "no listener configured (use --listen)");
        return -1;
    }
    if (cfg->max_body == 0) {
        snprintf(err, CONFIG_ERROR_MAX, "max_body must be at least 1 byte");
        return -1;
    }
    return config_check_listeners(cfg, err);
}
