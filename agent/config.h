/* Agent configuration: built-in defaults, then upstream's configuration files (dstack.toml or
 * dstack.json, its profiles and keys, found as upstream finds them), then command-line flags.
 * See docs/configuration.md. */
#ifndef DSTACK_AGENT_CONFIG_H
#define DSTACK_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#define CONFIG_MAX_LISTENERS 8
#define CONFIG_MAX_METHODS 32
#define CONFIG_MAX_LIMITS 32
#define CONFIG_MAX_DATA_DISKS 16
#define CONFIG_MAX_POWEROFF_ARGS 8

enum listener_api {
    API_DSTACK, /* /<Method>                        (dstack.sock) */
    API_TAPPD,  /* /prpc/[Tappd.]<Method>           (tappd.sock)  */
    API_WORKER, /* /prpc/[Worker.]<Method>          (external, TCP 8090 upstream) */
    API_GUEST,  /* /api/<Method>                    (guest-api: the host's, vsock 8000) */
};

/* limits.<Method> = "1MiB": the body cap of one method (upstream ra-rpc limit_for_method). */
struct method_limit {
    char method[32];
    size_t bytes;
};

struct listener_config {
    /* "unix:PATH", "HOST:PORT", "[V6ADDR]:PORT" or "vsock:CID:PORT" (CID in decimal). */
    char address[256];
    enum listener_api api;
    unsigned mode;       /* socket file mode for unix listeners */
    bool reuse;          /* Rocket's `reuse` (default true): replace a stale socket file */
    unsigned keep_alive; /* seconds a connection may idle; 0 = the agent's idle_timeout */
    bool no_keep_alive;  /* keep_alive = 0 (Rocket: keep-alive off): every answer closes */
    size_t n_limits;     /* this profile's limits, over the [default] ones */
    struct method_limit limits[CONFIG_MAX_LIMITS];
    bool restricted;  /* a method list was given: only those are served (config_check.c) */
    size_t n_methods; /* without `restricted`, every method of the API */
    char methods[CONFIG_MAX_METHODS][32];
};

/* The tdx backend's kernel interfaces and quote queue (docs/tdx.md). Empty paths take upstream's
 * environment overrides (DCAP_TDX_QUOTE_CONFIGFS_PATH, DCAP_TDX_RTMR_SYSFS_PATH,
 * DSTACK_CCEL_FILE), then upstream's defaults; zero numbers take the defaults of tdx_paths.h. */
struct tdx_config {
    char configfs_dir[1024];   /* configfs-tsm report directory */
    char configfs_base[1024];  /* where the default report directory is made (tests) */
    char rtmr_sysfs_dir[1024]; /* .../tdx_guest/measurements */
    char ccel_file[1024];
    char runtime_log_dir[1024];     /* /run/log/dstack: runtime_events.log, lock, version */
    char device[256];               /* /dev/tdx_guest */
    char attest_config[256];        /* /etc/tdx-attest.conf (QGS vsock port) */
    unsigned quote_queue;           /* GetQuote requests allowed to wait for the device */
    unsigned quote_timeout_ms;      /* how long one of them may wait */
    unsigned generation_timeout_ms; /* configfs: wait for `generation` to move */
};

/* The KMS client (key_provider Kms, docs/kms.md): upstream's 5 s / 60 s unless configured. */
struct kms_config {
    unsigned connect_timeout_ms;
    unsigned timeout_ms;
};

struct agent_config {
    char backend[32]; /* "simulator" or "tdx" */
    char keys_file[1024];
    char compose_file[1024];
    char sys_config_file[1024];
    char gpu_attestation_file[1024];
    char sim_dir[1024];              /* simulator: folder of its state files */
    char sim_seed[128];              /* simulator: development seed (hex or text) */
    char attestation_file[1024];     /* simulator fixture mode (--attestation) */
    bool keep_report_data;           /* fixture mode: keep the file's report_data (upstream's
                                        patch_report_data = false); zero: the caller's */
    char mock_attestation_seed[128]; /* upstream's: 64 hex digits; the PCK chain's seed, which
                                        re-signs the attestation file's quotes (sim_quote.h) */
    char server_ident[64];           /* Server: header */
    unsigned threads;                /* 0 = number of cores */
    unsigned idle_timeout;           /* seconds; listeners' keep_alive overrides it */
    bool no_keep_alive; /* [default] keep_alive = 0: for listeners without a keep_alive of theirs */
    unsigned request_timeout; /* seconds for a whole request (internal/server/srv.h); 0 = none */
    unsigned min_rate;        /* body bytes per second; 0 = none */
    size_t n_allowed_hosts;   /* Host names TCP listeners accept besides IP literals */
    char allowed_hosts[8][256];
    size_t max_body; /* bytes: the cap of methods without a limit */
    size_t n_limits; /* [default] limits.<Method> */
    struct method_limit limits[CONFIG_MAX_LIMITS];
    int log_level;       /* enum log_level (internal/log/log.h) */
    bool log_level_flag; /* --log-level given: RUST_LOG is not read then */
    bool watchdog;
    bool thread_per_connection; /* a slow handler (a real quote) never delays other requests */
    size_t n_data_disks;        /* core.data_disks: the mount points SysInfo reports */
    char data_disks[CONFIG_MAX_DATA_DISKS][256];
    struct tdx_config tdx;
    struct kms_config kms;
    size_t n_listeners;
    struct listener_config listeners[CONFIG_MAX_LISTENERS];
    /* The [guest-api] profile: the host-facing Guest API (vsock:CID:PORT in a CVM,
     * unix:./guest.sock in upstream's simulator); config_finish appends it to listeners. */
    bool guest_api_configured;
    struct listener_config guest_api;
    bool guest_allow_shutdown; /* [guest-api] allow_shutdown: true in a CVM, false simulated */
    /* [guest-api] poweroff_command (ours): what Shutdown runs after notifying the host;
     * upstream's `systemctl poweroff` on the agent; none in the simulator (it stops itself). */
    size_t n_poweroff;
    char poweroff_argv[CONFIG_MAX_POWEROFF_ARGS][256];
    unsigned logs_idle_timeout; /* [external] seconds a /logs follow may idle (upstream 600) */
};

/* "dstack", "tappd", "worker" or "guest". */
const char *config_api_name(enum listener_api api);

/* Defaults of the real agent (upstream's paths) or of the simulator (files in sim_dir). */
void config_defaults(struct agent_config *cfg, bool simulator);

/* Applies one configuration file (TOML or JSON, told by its content) over cfg: upstream's
 * profiles and keys (config_file.c). Keys it does not use are warned about by name. */
dstack_err config_load_file(struct agent_config *cfg, const char *path);

/* Applies every dstack.toml and dstack.json of dirs (NULL-terminated; upstream's are
 * cfg_search_dirs: /etc/dstack then the working folder), in upstream's order. */
dstack_err config_load_search(struct agent_config *cfg, const char *const dirs[]);

/* Parses the command line over the defaults, the files upstream's search finds
 * (config_load_search over cfg_search_dirs) and the -c file. Returns 0 to run, 1 when --help or
 * --version was answered, -1 on a usage error (the reason in err_text()). */
int config_parse_args(struct agent_config *cfg, bool simulator, int argc, char **argv);

/* Fills the file paths left empty from sim_dir (simulator) and checks consistency. */
dstack_err config_finish(struct agent_config *cfg, bool simulator);

/* The body cap of method on listener l: its profile's limit, else the [default] one, else
 * max_body. */
size_t config_body_limit(const struct agent_config *cfg, const struct listener_config *l,
                         const char *method);

/* Helpers shared by the file and command-line readers (config.c). */
dstack_err config_copy(char *dst, size_t cap, const char *src, const char *what);
struct listener_config *config_add_listener(struct agent_config *cfg, const char *address,
                                            enum listener_api api);
dstack_err config_parse_mode(const char *s, unsigned *mode);
dstack_err config_parse_api(const char *s, enum listener_api *api);
dstack_err config_allow_method(struct listener_config *l, const char *name);

#endif
