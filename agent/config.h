/* Agent configuration: a JSON file following upstream's dstack.json key names where they
 * overlap, then command-line flags over it. See docs/configuration.md. */
#ifndef DSTACK_AGENT_CONFIG_H
#define DSTACK_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_LISTENERS 8
#define CONFIG_MAX_METHODS 32

enum listener_api {
    API_DSTACK, /* /<Method>                        (dstack.sock) */
    API_TAPPD,  /* /prpc/[Tappd.]<Method>           (tappd.sock)  */
    API_WORKER, /* /prpc/[Worker.]<Method>          (external, TCP 8090 upstream) */
};

struct listener_config {
    char address[256]; /* "unix:/path" or "host:port" */
    enum listener_api api;
    unsigned mode;    /* socket file mode for unix listeners */
    bool restricted;  /* a method list was given: only those are served (config_check.c) */
    size_t n_methods; /* without `restricted`, every method of the API */
    char methods[CONFIG_MAX_METHODS][32];
};

/* The tdx backend's kernel interfaces and quote queue (docs/tdx.md). Empty paths take upstream's
 * environment overrides (DCAP_TDX_QUOTE_CONFIGFS_PATH, DCAP_TDX_RTMR_SYSFS_PATH,
 * DSTACK_CCEL_FILE), then upstream's defaults; zero numbers take the defaults of tdx_paths.h. */
struct tdx_config {
    char configfs_dir[1024];   /* configfs-tsm report directory */
    char rtmr_sysfs_dir[1024]; /* .../tdx_guest/measurements */
    char ccel_file[1024];
    char runtime_log_dir[1024];     /* /run/log/dstack: runtime_events.log, lock, version */
    char device[256];               /* /dev/tdx_guest */
    char attest_config[256];        /* /etc/tdx-attest.conf (QGS vsock port) */
    unsigned quote_queue;           /* GetQuote requests allowed to wait for the device */
    unsigned quote_timeout_ms;      /* how long one of them may wait */
    unsigned generation_timeout_ms; /* configfs: wait for `generation` to move */
};

struct agent_config {
    char backend[32]; /* "simulator" or "tdx" */
    char keys_file[1024];
    char compose_file[1024];
    char sys_config_file[1024];
    char gpu_attestation_file[1024];
    char sim_dir[1024];          /* simulator: folder of its state files */
    char sim_seed[128];          /* simulator: development seed (hex or text) */
    char attestation_file[1024]; /* simulator fixture mode (--attestation) */
    char server_ident[64];       /* Server: header */
    unsigned threads;            /* 0 = number of cores */
    unsigned idle_timeout;       /* seconds */
    unsigned request_timeout;    /* seconds for a whole request (internal/server/srv.h); 0 = none */
    unsigned min_rate;           /* body bytes per second; 0 = none */
    size_t n_allowed_hosts;      /* Host names TCP listeners accept besides IP literals */
    char allowed_hosts[8][256];
    size_t max_body; /* bytes */
    int log_level;   /* log.h levels */
    bool watchdog;
    bool thread_per_connection; /* a slow handler (a real quote) never delays other requests */
    struct tdx_config tdx;
    size_t n_listeners;
    struct listener_config listeners[CONFIG_MAX_LISTENERS];
};

#endif

#define CONFIG_ERROR_MAX 512

/* "dstack", "tappd" or "worker". */
const char *config_api_name(enum listener_api api);

/* Defaults of the real agent (upstream's paths) or of the simulator (files in sim_dir). */
void config_defaults(struct agent_config *cfg, bool simulator);

/* Applies a JSON config file (upstream dstack.json profile layout, docs/configuration.md). */
int config_load_file(struct agent_config *cfg, const char *path, char err[CONFIG_ERROR_MAX]);

/* Parses the command line over the defaults and the -c file. Returns 0 to run, 1 when --help
 * or --version was answered, -1 on a usage error (message in err). */
int config_parse_args(struct agent_config *cfg, bool simulator, int argc, char **argv,
                      char err[CONFIG_ERROR_MAX]);

/* Fills the file paths left empty from sim_dir (simulator) and checks consistency. */
int config_finish(struct agent_config *cfg, bool simulator, char err[CONFIG_ERROR_MAX]);
