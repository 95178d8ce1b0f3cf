/* Upstream's configuration files over the agent's configuration: the profiles ([default],
 * [internal], [internal-v0], [external], [guest-api]) and their keys, as
 * dstack/guest-agent/dstack.toml and dstack/guest-agent-simulator/dstack.toml write them, plus
 * our own keys (docs/configuration.md). A key nobody reads is warned about by name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_file.h"
#include "cfg_get.h"
#include "config.h"
#include "log.h"
#include "routes.h"
#include "util/error.h"

#define DEFAULT_PORT 8000 /* Rocket's default port */

/* Upstream keys read by Rocket or the Rust runtime, which mean nothing here. */
static const struct {
    const char *key, *why;
} not_used[] = {
    {"max_blocking", "the size of Rocket's blocking thread pool"},
    {"temp_dir", "Rocket's folder for uploaded files"},
    {"cli_colors", "Rocket's coloured output"},
    {"secret_key", "Rocket's cookie key"},
    {"shutdown", "Rocket's shutdown policy (SIGTERM stops the agent after its answers here)"},
    /* Upstream's main installs its tracing subscriber first, so Rocket's logger, the only
     * reader of log_level, is never set (rocket core/lib/src/log.rs, init): upstream's
     * simulator folder says "debug" and logs at info. Read here, it would do otherwise. */
    {"log_level", "the level of Rocket's own logger, which upstream never installs: the level "
                  "is --log-level, else RUST_LOG, else info, as upstream's"},
};

static void warn_unused(void *ctx, const char *path, const struct cfg_node *n)
{
    const char *file = ctx;
    const char *leaf = strrchr(path, '.') ? strrchr(path, '.') + 1 : path;
    char where[32] = "";
    if (n->line > 0) {
        snprintf(where, sizeof where, " (line %u)", n->line);
    }
    for (size_t i = 0; i < sizeof not_used / sizeof not_used[0]; i++) {
        if (strcmp(leaf, not_used[i].key) == 0) {
            log_warn("config file %s: %s%s is not used here: it sets %s", file, path, where,
                     not_used[i].why);
            return;
        }
    }
    log_warn("config file %s: unknown key %s%s is not used (docs/configuration.md lists the keys)",
             file, path, where);
}

/* limits = { Method = size, ... } into out; names checked against the API (any API when api is
 * NULL). Rocket's own names (json, form, ...) match no method and are warned about. */
static dstack_err read_limits(struct cfg_node *t, const enum listener_api *api, const char *where,
                              struct method_limit *out, size_t *n_out)
{
    struct cfg_node *limits = NULL;
    if (cfg_get_table(t, "limits", &limits, where) != DSTACK_OK) {
        return DSTACK_EINVAL;
    }
    if (limits == NULL) {
        return DSTACK_OK;
    }
    for (size_t i = 0; i < limits->n_items; i++) {
        struct cfg_node *n = limits->items[i];
        uint64_t bytes = 0;
        if (cfg_parse_size(n, 1ull << 30, &bytes) != 0) {
            return err_set(DSTACK_EINVAL,
                           "%s.limits.%.60s must be a size up to 1GiB: bytes, or a string such as "
                           "\"1MiB\" or \"512 KiB\"",
                           where, n->key);
        }
        bool known = api != NULL
                         ? routes_find(*api, n->key) != NULL
                         : routes_find(API_DSTACK, n->key) || routes_find(API_TAPPD, n->key) ||
                               routes_find(API_WORKER, n->key);
        if (!known || strlen(n->key) >= sizeof out[0].method) {
            continue; /* left unused, so warned by name (Rocket's json, form, ... too) */
        }
        if (*n_out == CONFIG_MAX_LIMITS) {
            return err_set(DSTACK_EINVAL, "%s.limits: more than %d methods", where,
                           CONFIG_MAX_LIMITS);
        }
        n->used = true;
        snprintf(out[*n_out].method, sizeof out[0].method, "%s", n->key);
        out[(*n_out)++].bytes = (size_t)bytes;
    }
    return DSTACK_OK;
}

/* A vsock CID: decimal or 0x hex, 32 bits (upstream writes vsock:0xffffffff, VMADDR_CID_ANY). */
static int parse_cid(const char *s, unsigned long *cid)
{
    char *end = NULL;
    bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    unsigned long long v = strtoull(hex ? s + 2 : s, &end, hex ? 16 : 10);
    if ((hex ? s[2] : s[0]) == '\0' || *end != '\0' || v > 0xffffffffull || s[0] == '-' ||
        s[0] == '+' || s[hex ? 2 : 0] == ' ') {
        return -1;
    }
    *cid = (unsigned long)v;
    return 0;
}

/* address (+ port) of a profile into the canonical form of listener_config.address. */
static dstack_err join_address(const char *address, uint64_t port, char out[256], const char *where)
{
    int n;
    if (strncmp(address, "unix:", 5) == 0) {
        n = snprintf(out, 256, "%s", address);
    } else if (strncmp(address, "vsock:", 6) == 0) {
        unsigned long cid;
        if (parse_cid(address + 6, &cid) != 0) {
            return err_set(DSTACK_EINVAL,
                           "%s.address: \"%.100s\": expected vsock:CID with CID a 32-bit number "
                           "(decimal or 0x hex)",
                           where, address);
        }
        n = snprintf(out, 256, "vsock:%lu:%llu", cid, (unsigned long long)port);
    } else if (strchr(address, ':') != NULL && address[0] != '[' &&
               strchr(address, ':') == strrchr(address, ':')) {
        n = snprintf(out, 256, "%s", address); /* our own host:port form */
    } else if (strchr(address, ':') != NULL && address[0] != '[') {
        n = snprintf(out, 256, "[%s]:%llu", address, (unsigned long long)port); /* IPv6 */
    } else {
        n = snprintf(out, 256, "%s:%llu", address, (unsigned long long)port);
    }
    if (n < 0 || n >= 256 || address[0] == '\0') {
        return err_set(DSTACK_EINVAL, "%s.address: empty or too long", where);
    }
    return DSTACK_OK;
}

/* The port of an existing TCP address, to keep it when a profile only changes the host. */
static uint64_t current_port(const char *address)
{
    const char *colon = strrchr(address, ':');
    if (strncmp(address, "unix:", 5) == 0 || colon == NULL) {
        return DEFAULT_PORT;
    }
    return strtoull(colon + 1, NULL, 10);
}

/* address, port and reuse of a profile. */
static dstack_err read_address(struct cfg_node *t, struct listener_config *l, const char *where)
{
    char address[256] = "";
    uint64_t port = 0;
    bool has_port = cfg_table_find(t, "port", 4) != NULL;
    if (cfg_get_string(t, "address", address, sizeof address, where) != 0 ||
        cfg_get_uint(t, "port", 65535, &port, where) != 0 ||
        cfg_get_bool(t, "reuse", &l->reuse, where) != 0) {
        return DSTACK_EINVAL;
    }
    if (address[0] == '\0' && !has_port) {
        return DSTACK_OK;
    }
    if (!has_port) {
        port = current_port(l->address);
    }
    if (address[0] == '\0') { /* only the port: keep the host */
        const char *colon = strrchr(l->address, ':');
        if (strncmp(l->address, "unix:", 5) == 0 || colon == NULL) {
            return err_set(DSTACK_EINVAL, "%s.port needs an address (an IP or vsock:CID)", where);
        }
        snprintf(address, sizeof address, "%.*s", (int)(colon - l->address), l->address);
        if (address[0] == '[') { /* [v6] back to v6 for join_address */
            memmove(address, address + 1, strlen(address));
            address[strlen(address) - 1] = '\0';
        }
    }
    return join_address(address, port, l->address, where);
}

/* A profile over its listener: address, port, reuse, keep_alive, limits; ours: mode, methods. */
static dstack_err read_listener(struct cfg_node *t, struct listener_config *l, const char *where)
{
    char mode[16] = "";
    uint64_t keep_alive = l->keep_alive;
    if (t->type != CFG_TABLE) {
        return err_set(DSTACK_EINVAL, "%s must be a table", where);
    }
    if (read_address(t, l, where) != 0 ||
        cfg_get_uint(t, "keep_alive", 3600, &keep_alive, where) != 0 ||
        cfg_get_string(t, "mode", mode, sizeof mode, where) != 0 ||
        read_limits(t, &l->api, where, l->limits, &l->n_limits) != 0) {
        return DSTACK_EINVAL;
    }
    if (cfg_table_find(t, "keep_alive", 10) != NULL) {
        /* Rocket's keep_alive = 0 turns keep-alive off: each connection serves one request. */
        l->no_keep_alive = keep_alive == 0;
        l->keep_alive = (unsigned)keep_alive;
    }
    if (mode[0] != '\0' && config_parse_mode(mode, &l->mode) != 0) {
        return DSTACK_EINVAL;
    }
    struct cfg_node *methods = cfg_get(t, "methods");
    if (methods == NULL) {
        return DSTACK_OK;
    }
    if (methods->type != CFG_ARRAY) {
        return err_set(DSTACK_EINVAL, "%s.methods must be an array of method names", where);
    }
    l->n_methods = 0;
    l->restricted = true; /* even when empty: config_check refuses that, naming the listener */
    for (size_t i = 0; i < methods->n_items; i++) {
        const struct cfg_node *m = methods->items[i];
        if (m->type != CFG_STRING) {
            return err_set(DSTACK_EINVAL, "%s.methods[%zu] must be a string", where, i);
        }
        if (config_allow_method(l, m->str) != 0) {
            return DSTACK_EINVAL;
        }
    }
    return DSTACK_OK;
}

/* Rocket 0.5's level names, which upstream files may still carry. */
static bool rocket_level(const char *name, enum log_level *out)
{
    if (strcmp(name, "critical") == 0) {
        *out = LOG_ERROR;
        return true;
    }
    if (strcmp(name, "normal") == 0) {
        *out = LOG_INFO;
        return true;
    }
    return false;
}

/* default.core.tdx (docs/tdx.md). */
static dstack_err read_tdx(struct cfg_node *core, struct tdx_config *t)
{
    const char *w = "default.core.tdx";
    struct cfg_node *tdx = NULL;
    uint64_t queue = t->quote_queue, timeout = t->quote_timeout_ms, gen = t->generation_timeout_ms;
    if (cfg_get_table(core, "tdx", &tdx, "default.core") != 0) {
        return DSTACK_EINVAL;
    }
    if (tdx == NULL) {
        return DSTACK_OK;
    }
    if (cfg_get_string(tdx, "configfs_dir", t->configfs_dir, sizeof t->configfs_dir, w) ||
        cfg_get_string(tdx, "configfs_base", t->configfs_base, sizeof t->configfs_base, w) ||
        cfg_get_string(tdx, "rtmr_sysfs_dir", t->rtmr_sysfs_dir, sizeof t->rtmr_sysfs_dir, w) ||
        cfg_get_string(tdx, "ccel_file", t->ccel_file, sizeof t->ccel_file, w) ||
        cfg_get_string(tdx, "runtime_log_dir", t->runtime_log_dir, sizeof t->runtime_log_dir, w) ||
        cfg_get_string(tdx, "device", t->device, sizeof t->device, w) ||
        cfg_get_string(tdx, "attest_config", t->attest_config, sizeof t->attest_config, w) ||
        cfg_get_uint(tdx, "quote_queue", 4096, &queue, w) ||
        cfg_get_uint(tdx, "quote_timeout_ms", 600000, &timeout, w) ||
        cfg_get_uint(tdx, "generation_timeout_ms", 600000, &gen, w)) {
        return DSTACK_EINVAL;
    }
    t->quote_queue = (unsigned)queue;
    t->quote_timeout_ms = (unsigned)timeout;
    t->generation_timeout_ms = (unsigned)gen;
    return DSTACK_OK;
}

/* default.core.kms (docs/kms.md): how long a call to the KMS may take. */
static dstack_err read_kms(struct cfg_node *core, struct kms_config *k)
{
    const char *w = "default.core.kms";
    struct cfg_node *kms = NULL;
    uint64_t connect = k->connect_timeout_ms, total = k->timeout_ms;
    if (cfg_get_table(core, "kms", &kms, "default.core") != 0) {
        return DSTACK_EINVAL;
    }
    if (kms == NULL) {
        return DSTACK_OK;
    }
    if (cfg_get_uint(kms, "connect_timeout_ms", 600000, &connect, w) ||
        cfg_get_uint(kms, "timeout_ms", 600000, &total, w)) {
        return DSTACK_EINVAL;
    }
    if (connect == 0 || total == 0) {
        return err_set(DSTACK_EINVAL, "%s: timeouts must be at least 1 ms", w);
    }
    k->connect_timeout_ms = (unsigned)connect;
    k->timeout_ms = (unsigned)total;
    return DSTACK_OK;
}

/* default.core.data_disks: mount points, reported by the Guest API's SysInfo. */
static dstack_err read_data_disks(struct cfg_node *core, struct agent_config *cfg)
{
    struct cfg_node *disks = cfg_get(core, "data_disks");
    if (disks == NULL) {
        return DSTACK_OK;
    }
    if (disks->type != CFG_ARRAY || disks->n_items > CONFIG_MAX_DATA_DISKS) {
        return err_set(DSTACK_EINVAL,
                       "default.core.data_disks must be an array of at most %d paths",
                       CONFIG_MAX_DATA_DISKS);
    }
    cfg->n_data_disks = 0;
    for (size_t i = 0; i < disks->n_items; i++) {
        const struct cfg_node *d = disks->items[i];
        if (d->type != CFG_STRING || d->str[0] != '/' || d->str_len >= sizeof cfg->data_disks[0] ||
            strlen(d->str) != d->str_len) {
            return err_set(
                DSTACK_EINVAL,
                "default.core.data_disks[%zu] must be an absolute path (at most %zu bytes)", i,
                sizeof cfg->data_disks[0] - 1);
        }
        bool dup = false; /* upstream keeps a HashSet */
        for (size_t j = 0; j < cfg->n_data_disks; j++) {
            dup = dup || strcmp(cfg->data_disks[j], d->str) == 0;
        }
        if (!dup) {
            memcpy(cfg->data_disks[cfg->n_data_disks++], d->str, d->str_len + 1);
        }
    }
    return DSTACK_OK;
}

/* default.core.simulator: upstream's attestation_file, patch_report_data,
 * mock_attestation_seed; ours: dir, seed. */
static dstack_err read_simulator(struct cfg_node *core, struct agent_config *cfg)
{
    const char *w = "default.core.simulator";
    struct cfg_node *sim = NULL;
    if (cfg_get_table(core, "simulator", &sim, "default.core") != 0) {
        return DSTACK_EINVAL;
    }
    if (sim == NULL) {
        return DSTACK_OK;
    }
    bool patch = !cfg->keep_report_data;
    if (cfg_get_bool(sim, "patch_report_data", &patch, w) != 0) {
        return DSTACK_EINVAL;
    }
    cfg->keep_report_data = !patch;
    return cfg_get_string(sim, "attestation_file", cfg->attestation_file,
                          sizeof cfg->attestation_file, w) ||
                   cfg_get_string(sim, "mock_attestation_seed", cfg->mock_attestation_seed,
                                  sizeof cfg->mock_attestation_seed, w) ||
                   cfg_get_string(sim, "seed", cfg->sim_seed, sizeof cfg->sim_seed, w) ||
                   cfg_get_string(sim, "dir", cfg->sim_dir, sizeof cfg->sim_dir, w)
               ? -1
               : 0;
}

static dstack_err read_core(struct cfg_node *def, struct agent_config *cfg)
{
    const char *w = "default.core";
    struct cfg_node *core = NULL;
    if (cfg_get_table(def, "core", &core, "default") != 0) {
        return DSTACK_EINVAL;
    }
    if (core == NULL) {
        return DSTACK_OK;
    }
    if (cfg_get_string(core, "keys_file", cfg->keys_file, sizeof cfg->keys_file, w) ||
        cfg_get_string(core, "compose_file", cfg->compose_file, sizeof cfg->compose_file, w) ||
        cfg_get_string(core, "sys_config_file", cfg->sys_config_file, sizeof cfg->sys_config_file,
                       w) ||
        cfg_get_string(core, "gpu_attestation_file", cfg->gpu_attestation_file,
                       sizeof cfg->gpu_attestation_file, w) ||
        cfg_get_string(core, "backend", cfg->backend, sizeof cfg->backend, w)) {
        return DSTACK_EINVAL;
    }
    return read_data_disks(core, cfg) || read_tdx(core, &cfg->tdx) || read_kms(core, &cfg->kms) ||
                   read_simulator(core, cfg)
               ? -1
               : 0;
}

static dstack_err read_default(struct cfg_node *def, struct agent_config *cfg)
{
    const char *w = "default";
    char level[16] = "";
    uint64_t workers = cfg->threads, keep_alive = cfg->idle_timeout, max_body = cfg->max_body;
    if (def->type != CFG_TABLE) {
        return err_set(DSTACK_EINVAL, "default must be a table");
    }
    if (cfg_get_string(def, "ident", cfg->server_ident, sizeof cfg->server_ident, w) ||
        cfg_get_string(def, "log_level", level, sizeof level, w) ||
        cfg_get_uint(def, "workers", 1024, &workers, w) ||
        cfg_get_uint(def, "keep_alive", 3600, &keep_alive, w) ||
        cfg_get_uint(def, "max_body", 1ull << 30, &max_body, w) ||
        cfg_get_bool(def, "thread_per_connection", &cfg->thread_per_connection, w) ||
        read_limits(def, NULL, w, cfg->limits, &cfg->n_limits) || read_core(def, cfg)) {
        return DSTACK_EINVAL;
    }
    cfg->threads = (unsigned)workers;
    if (cfg_table_find(def, "keep_alive", 10) != NULL) {
        cfg->no_keep_alive = keep_alive == 0; /* Rocket: keep-alive off; the idle limit stays */
        cfg->idle_timeout = keep_alive != 0 ? (unsigned)keep_alive : cfg->idle_timeout;
    }
    cfg->max_body = (size_t)max_body;
    if (level[0] != '\0') {
        /* Checked as Rocket checks it (a typo stops upstream too), then left unused so that
         * the warning of not_used names it. */
        enum log_level lv;
        if (!log_level_parse(level, &lv) && !rocket_level(level, &lv)) {
            return err_set(
                DSTACK_EINVAL,
                "default.log_level: unknown level \"%s\" (off, error, warn, info, debug, "
                "trace; Rocket's critical and normal)",
                level);
        }
        cfg_table_find(def, "log_level", 9)->used = false;
    }
    return DSTACK_OK;
}

/* The first listener serving api: the default one a profile configures. */
static struct listener_config *profile_listener(struct agent_config *cfg, enum listener_api api)
{
    for (size_t i = 0; i < cfg->n_listeners; i++) {
        if (cfg->listeners[i].api == api) {
            return &cfg->listeners[i];
        }
    }
    return config_add_listener(cfg, "127.0.0.1:8000", api);
}

/* Our own "listeners" array: more listeners, each with its "api". */
static dstack_err read_listeners(struct cfg_node *arr, struct agent_config *cfg)
{
    if (arr->type != CFG_ARRAY) {
        return err_set(DSTACK_EINVAL, "\"listeners\" must be an array");
    }
    for (size_t i = 0; i < arr->n_items; i++) {
        struct cfg_node *t = arr->items[i];
        char where[32], api_name[16] = "";
        snprintf(where, sizeof where, "listeners[%zu]", i);
        enum listener_api api = API_DSTACK;
        if (t->type != CFG_TABLE) {
            return err_set(DSTACK_EINVAL, "%s must be a table", where);
        }
        if (cfg_get_string(t, "api", api_name, sizeof api_name, where) != 0 ||
            (api_name[0] != '\0' && config_parse_api(api_name, &api) != 0)) {
            return DSTACK_EINVAL;
        }
        if (cfg_table_find(t, "address", 7) == NULL) {
            return err_set(DSTACK_EINVAL, "%s.address is required", where);
        }
        struct listener_config *l = config_add_listener(cfg, "127.0.0.1:8000", api);
        if (l == NULL || read_listener(t, l, where) != 0) {
            return DSTACK_EINVAL;
        }
        t->used = true;
    }
    return DSTACK_OK;
}

/* [guest-api] poweroff_command: a non-empty array of strings, argv of the power-off. */
static dstack_err read_poweroff(struct cfg_node *t, struct agent_config *cfg)
{
    struct cfg_node *cmd = cfg_get(t, "poweroff_command");
    if (cmd == NULL) {
        return DSTACK_OK;
    }
    bool ok =
        cmd->type == CFG_ARRAY && cmd->n_items > 0 && cmd->n_items <= CONFIG_MAX_POWEROFF_ARGS;
    for (size_t i = 0; ok && i < cmd->n_items; i++) {
        const struct cfg_node *a = cmd->items[i];
        ok = a->type == CFG_STRING && a->str_len > 0 && a->str_len < sizeof cfg->poweroff_argv[0] &&
             strlen(a->str) == a->str_len;
    }
    if (!ok) {
        return err_set(DSTACK_EINVAL,
                       "guest-api.poweroff_command must be an array of 1 to %d non-empty strings "
                       "(the program and its arguments), each under %zu bytes",
                       CONFIG_MAX_POWEROFF_ARGS, sizeof cfg->poweroff_argv[0]);
    }
    for (size_t i = 0; i < cmd->n_items; i++) {
        memcpy(cfg->poweroff_argv[i], cmd->items[i]->str, cmd->items[i]->str_len + 1);
    }
    cfg->n_poweroff = cmd->n_items;
    return DSTACK_OK;
}

/* [guest-api]: cfg->guest_api (config_finish serves it) and ours: allow_shutdown,
 * poweroff_command. */
static dstack_err read_guest_api(struct cfg_node *t, struct agent_config *cfg)
{
    struct listener_config *l = &cfg->guest_api;
    if (!cfg->guest_api_configured) {
        memset(l, 0, sizeof *l);
        snprintf(l->address, sizeof l->address, "127.0.0.1:%d", DEFAULT_PORT);
        l->mode = 0777;
    }
    l->api = API_GUEST;
    if (read_listener(t, l, "guest-api") != 0 ||
        cfg_get_bool(t, "allow_shutdown", &cfg->guest_allow_shutdown, "guest-api") != 0 ||
        read_poweroff(t, cfg) != 0) {
        return DSTACK_EINVAL;
    }
    cfg->guest_api_configured = true;
    return DSTACK_OK;
}

static dstack_err apply_tree(struct agent_config *cfg, struct cfg_node *root)
{
    static const struct {
        const char *name;
        enum listener_api api;
    } profiles[] = {{"internal", API_DSTACK}, {"internal-v0", API_TAPPD}, {"external", API_WORKER}};
    struct cfg_node *n = cfg_get(root, "default");
    if (n != NULL && read_default(n, cfg) != 0) {
        return DSTACK_EINVAL;
    }
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
        n = cfg_get(root, profiles[i].name);
        if (n == NULL) {
            continue;
        }
        struct listener_config *l = profile_listener(cfg, profiles[i].api);
        if (l == NULL || read_listener(n, l, profiles[i].name) != 0) {
            return DSTACK_EINVAL;
        }
        uint64_t idle = cfg->logs_idle_timeout;
        if (profiles[i].api == API_WORKER) { /* ours: how long a /logs follow may idle */
            if (cfg_get_uint(n, "logs_idle_timeout", 86400, &idle, "external") != 0) {
                return DSTACK_EINVAL;
            }
            cfg->logs_idle_timeout = idle > 0 ? (unsigned)idle : 1;
        }
    }
    if ((n = cfg_get(root, "guest-api")) != NULL && read_guest_api(n, cfg) != 0) {
        return DSTACK_EINVAL;
    }
    if ((n = cfg_get(root, "listeners")) != NULL && read_listeners(n, cfg) != 0) {
        return DSTACK_EINVAL;
    }
    return DSTACK_OK;
}

dstack_err config_load_file(struct agent_config *cfg, const char *path)
{
    struct cfg_node *root = NULL;
    dstack_err rc = cfg_file_read(path, &root, NULL);
    if (rc != DSTACK_OK) {
        return rc;
    }
    rc = apply_tree(cfg, root);
    if (rc != DSTACK_OK) {
        (void)err_wrap(rc, "config file %.200s", path);
    } else {
        log_info("loaded config file %s", path);
        cfg_tree_unused(root, warn_unused, (void *)path);
    }
    cfg_node_free(root);
    return rc;
}

static int load_found(void *ctx, const char *path)
{
    return config_load_file(ctx, path) == DSTACK_OK ? 0 : -1;
}

dstack_err config_load_search(struct agent_config *cfg, const char *const dirs[])
{
    return cfg_search(dirs, "dstack", load_found, cfg) == 0 ? DSTACK_OK : DSTACK_EINVAL;
}
