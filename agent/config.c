/* The agent's configuration: defaults, the helpers the file and command-line readers share, and
 * the checks once everything is read. The file is read by config_file.c, the command line by
 * config_args.c. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_check.h"
#include "log.h"
#include "routes.h"
#include "srv.h"
#include "util/error.h"

#define DEFAULT_MAX_BODY (10u * 1024 * 1024) /* upstream's per-method default limit */
#define DEFAULT_IDLE_TIMEOUT 15              /* Rocket's header-read/idle timeout */
#define DEFAULT_LOGS_IDLE_TIMEOUT 600        /* http_routes.rs get_logs: 600 s without a line */

dstack_err config_copy(char *dst, size_t cap, const char *src, const char *what)
{
    size_t n = strlen(src);
    if (n >= cap) {
        return err_set(DSTACK_EINVAL, "%s is too long (%zu bytes, max %zu)", what, n, cap - 1);
    }
    memcpy(dst, src, n + 1);
    return DSTACK_OK;
}

struct listener_config *config_add_listener(struct agent_config *cfg, const char *address,
                                            enum listener_api api)
{
    if (cfg->n_listeners == CONFIG_MAX_LISTENERS) {
        (void)err_set(DSTACK_EINVAL, "too many listeners (max %d)", CONFIG_MAX_LISTENERS);
        return NULL;
    }
    struct listener_config *l = &cfg->listeners[cfg->n_listeners];
    memset(l, 0, sizeof *l);
    if (config_copy(l->address, sizeof l->address, address, "listener address") != 0) {
        return NULL;
    }
    l->api = api;
    l->mode = 0777; /* upstream's socket unit: SocketMode=0777 */
    l->reuse = true;
    cfg->n_listeners++;
    return l;
}

static void guest_api_default(struct agent_config *cfg, const char *address)
{
    struct listener_config *l = &cfg->guest_api;
    memset(l, 0, sizeof *l);
    snprintf(l->address, sizeof l->address, "%s", address);
    l->api = API_GUEST;
    l->mode = 0777;
    l->reuse = true; /* Rocket's default */
    cfg->guest_api_configured = true;
}

void config_defaults(struct agent_config *cfg, bool simulator)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->idle_timeout = DEFAULT_IDLE_TIMEOUT;
    cfg->request_timeout = SRV_DEFAULT_REQUEST_TIMEOUT_S;
    cfg->min_rate = SRV_DEFAULT_MIN_RATE;
    cfg->max_body = DEFAULT_MAX_BODY;
    cfg->log_level = LOG_INFO;
    /* reqwest's limits as ra-rpc's client sets them (ra-rpc/src/client.rs into_client). */
    cfg->kms.connect_timeout_ms = 5000;
    cfg->kms.timeout_ms = 60000;
    cfg->logs_idle_timeout = DEFAULT_LOGS_IDLE_TIMEOUT;
    if (simulator) {
        snprintf(cfg->backend, sizeof cfg->backend, "simulator");
        snprintf(cfg->server_ident, sizeof cfg->server_ident, "dstack Simulator");
        snprintf(cfg->sim_dir, sizeof cfg->sim_dir, ".");
        (void)config_add_listener(cfg, "unix:./dstack.sock", API_DSTACK);
        (void)config_add_listener(cfg, "unix:./tappd.sock", API_TAPPD);
        (void)config_add_listener(cfg, "unix:./external.sock", API_WORKER); /* as upstream's */
        snprintf(cfg->data_disks[cfg->n_data_disks++], sizeof cfg->data_disks[0], "/");
        guest_api_default(cfg, "unix:./guest.sock"); /* as upstream's simulator */
        cfg->guest_allow_shutdown = false; /* a host's Shutdown would stop the simulator */
        return;
    }
    snprintf(cfg->backend, sizeof cfg->backend, "tdx");
    cfg->thread_per_connection = true;
    snprintf(cfg->server_ident, sizeof cfg->server_ident, "dstack guest agent");
    snprintf(cfg->keys_file, sizeof cfg->keys_file, "/dstack/.host-shared/.appkeys.json");
    snprintf(cfg->compose_file, sizeof cfg->compose_file, "/dstack/.host-shared/app-compose.json");
    snprintf(cfg->sys_config_file, sizeof cfg->sys_config_file,
             "/dstack/.host-shared/.sys-config.json");
    snprintf(cfg->data_disks[cfg->n_data_disks++], sizeof cfg->data_disks[0], "/");
    (void)config_add_listener(cfg, "unix:/var/run/dstack/dstack.sock", API_DSTACK);
    (void)config_add_listener(cfg, "unix:/var/run/dstack/tappd.sock", API_TAPPD);
    (void)config_add_listener(cfg, "0.0.0.0:8090", API_WORKER); /* public: no key material */
    /* upstream's [guest-api] address = "vsock:0xffffffff", port = 8000: any CID, for the VMM */
    guest_api_default(cfg, "vsock:4294967295:8000");
    cfg->guest_allow_shutdown = true;
    snprintf(cfg->poweroff_argv[0], sizeof cfg->poweroff_argv[0], "systemctl"); /* upstream's */
    snprintf(cfg->poweroff_argv[1], sizeof cfg->poweroff_argv[1], "poweroff");
    cfg->n_poweroff = 2;
}

dstack_err config_parse_mode(const char *s, unsigned *mode)
{
    char *end = NULL;
    errno = 0;
    unsigned long m = strtoul(s, &end, 8);
    if (s[0] == '\0' || *end != '\0' || errno != 0 || m > 07777) {
        return err_set(DSTACK_EINVAL, "invalid socket mode \"%s\" (octal, e.g. 0660)", s);
    }
    *mode = (unsigned)m;
    return DSTACK_OK;
}

static const char *const api_names[] = {
    [API_DSTACK] = "dstack", [API_TAPPD] = "tappd", [API_WORKER] = "worker", [API_GUEST] = "guest"};

const char *config_api_name(enum listener_api api)
{
    return api_names[api];
}

dstack_err config_parse_api(const char *s, enum listener_api *api)
{
    for (size_t i = 0; i < sizeof api_names / sizeof api_names[0]; i++) {
        if (strcmp(s, api_names[i]) == 0) {
            *api = (enum listener_api)i;
            return DSTACK_OK;
        }
    }
    return err_set(DSTACK_EINVAL, "unknown API \"%.40s\" (dstack, tappd, worker or guest)", s);
}

dstack_err config_allow_method(struct listener_config *l, const char *name)
{
    if (routes_find(l->api, name) == NULL) {
        return err_set(DSTACK_EINVAL, "listener %s: unknown method \"%s\"", l->address, name);
    }
    if (l->n_methods == CONFIG_MAX_METHODS) {
        return err_set(DSTACK_EINVAL, "listener %s: too many methods", l->address);
    }
    snprintf(l->methods[l->n_methods++], sizeof l->methods[0], "%s", name);
    return DSTACK_OK;
}

static const struct method_limit *find_limit(const struct method_limit *limits, size_t n,
                                             const char *method)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(limits[i].method, method) == 0) {
            return &limits[i];
        }
    }
    return NULL;
}

size_t config_body_limit(const struct agent_config *cfg, const struct listener_config *l,
                         const char *method)
{
    const struct method_limit *m = method ? find_limit(l->limits, l->n_limits, method) : NULL;
    if (m == NULL && method != NULL) {
        m = find_limit(cfg->limits, cfg->n_limits, method);
    }
    return m != NULL ? m->bytes : cfg->max_body;
}

/* dir/name into dst, when dst is still empty. */
static dstack_err default_path(char *dst, size_t cap, const char *dir, const char *name)
{
    if (dst[0] != '\0') {
        return DSTACK_OK;
    }
    int n = snprintf(dst, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap) {
        return err_set(DSTACK_EINVAL, "path %.200s/%.100s is too long", dir, name);
    }
    return DSTACK_OK;
}

/* The simulator's files and default sockets live in its folder. */
static dstack_err finish_simulator(struct agent_config *cfg)
{
    const char *dir = cfg->sim_dir[0] ? cfg->sim_dir : ".";
    if (default_path(cfg->keys_file, sizeof cfg->keys_file, dir, "appkeys.json") ||
        default_path(cfg->compose_file, sizeof cfg->compose_file, dir, "app-compose.json") ||
        default_path(cfg->sys_config_file, sizeof cfg->sys_config_file, dir, "sys-config.json")) {
        return DSTACK_EINVAL;
    }
    for (size_t i = 0; i < cfg->n_listeners; i++) {
        struct listener_config *l = &cfg->listeners[i];
        if (strncmp(l->address, "unix:./", 7) == 0 && strcmp(dir, ".") != 0) {
            char joined[sizeof l->address];
            int n = snprintf(joined, sizeof joined, "unix:%s/%s", dir, l->address + 7);
            if (n < 0 || (size_t)n >= sizeof joined) {
                return err_set(DSTACK_EINVAL, "socket path in %.300s is too long", dir);
            }
            memcpy(l->address, joined, sizeof joined);
        }
    }
    return DSTACK_OK;
}

dstack_err config_finish(struct agent_config *cfg, bool simulator)
{
    /* The host's listener joins the others (last, so listener indexes stay as configured). */
    if (cfg->guest_api_configured) {
        if (cfg->n_listeners == CONFIG_MAX_LISTENERS) {
            return err_set(DSTACK_EINVAL, "too many listeners (max %d)", CONFIG_MAX_LISTENERS);
        }
        cfg->listeners[cfg->n_listeners++] = cfg->guest_api;
        cfg->guest_api_configured = false; /* appended once, even if called again */
    }
    if ((simulator || strcmp(cfg->backend, "simulator") == 0) && finish_simulator(cfg) != 0) {
        return DSTACK_EINVAL;
    }
    if (cfg->n_listeners == 0) {
        return err_set(DSTACK_EINVAL, "no listener configured (use --listen)");
    }
    if (cfg->max_body == 0) {
        return err_set(DSTACK_EINVAL, "max_body must be at least 1 byte");
    }
    /* [default] keep_alive = 0 reaches every listener that has no keep_alive of its own. */
    for (size_t i = 0; i < cfg->n_listeners; i++) {
        struct listener_config *l = &cfg->listeners[i];
        l->no_keep_alive = l->no_keep_alive || (cfg->no_keep_alive && l->keep_alive == 0);
    }
    /* upstream's mock_attestation::parse_seed: hex of exactly 32 bytes */
    size_t seed_len = strlen(cfg->mock_attestation_seed);
    if (seed_len != 0 &&
        (seed_len != 64 || strspn(cfg->mock_attestation_seed, "0123456789abcdefABCDEF") != 64)) {
        return err_set(DSTACK_EINVAL,
                       "core.simulator.mock_attestation_seed must be 64 hex digits (32 bytes), as "
                       "upstream's; got %zu characters",
                       seed_len);
    }
    for (size_t i = 0; i < cfg->n_listeners; i++) {
        if (strncmp(cfg->listeners[i].address, "vsock:", 6) == 0 &&
            cfg->listeners[i].api != API_GUEST) {
            return err_set(DSTACK_EINVAL, "listener %s: vsock listeners serve only the Guest API",
                           cfg->listeners[i].address);
        }
    }
    return config_check_listeners(cfg);
}
