/* Where the tdx backend finds the kernel's interfaces: config value, else upstream's environment
 * override (which must be absolute, as upstream requires: tdx-attest/src/linux.rs
 * absolute_env_path, cc-eventlog/src/tcg.rs ccel_file_path), else upstream's default
 * (docs/tdx.md). Tests point every one of them into a temporary tree. */
#ifndef DSTACK_AGENT_TEE_TDX_PATHS_H
#define DSTACK_AGENT_TEE_TDX_PATHS_H

#include <stdbool.h>

#include "config.h"
#include "tee/tee.h"

#define TDX_PATH_MAX 1024
#define TDX_WHY_MAX 256 /* a reason kept for later calls (an unusable override, a mismatch) */

#define TDX_CONFIGFS_BASE "/sys/kernel/config/tsm/report"
#define TDX_CONFIGFS_NAME "com.intel.dcap"
#define TDX_CONFIGFS_DEFAULT TDX_CONFIGFS_BASE "/" TDX_CONFIGFS_NAME
#define TDX_CONFIGFS_ENV "DCAP_TDX_QUOTE_CONFIGFS_PATH"
#define TDX_RTMR_SYSFS_DEFAULT "/sys/devices/virtual/misc/tdx_guest/measurements"
#define TDX_RTMR_SYSFS_ENV "DCAP_TDX_RTMR_SYSFS_PATH"
#define TDX_RUNTIME_LOG_DIR_DEFAULT "/run/log/dstack"
#define TDX_DEVICE_DEFAULT "/dev/tdx_guest"
#define TDX_ATTEST_CONFIG_DEFAULT "/etc/tdx-attest.conf"

/* Upstream keeps configfs/sysfs override paths under 240 bytes (linux.rs prepare_configfs). */
#define TDX_OVERRIDE_PATH_MAX 240

/* Quote timings (docs/tdx.md "Timings"). The kernel gives one quote up to 30 s
 * (drivers/virt/coco/tdx-guest/tdx-guest.c getquote_timeout) and a quote usually takes a few
 * seconds, so no wait of ours is shorter than 30 s plus 5 s for the round trip through configfs
 * or vsock. One quote runs (the device serialises them anyway); 64 may wait, enough for every
 * container of a CVM asking at boot, and a waiter gives up only after 35 s in which no quote
 * finished. Beyond 64 waiting, requests are refused at once. */
#define TDX_KERNEL_QUOTE_TIMEOUT_MS 30000u
#define TDX_QUOTE_WAIT_MS (TDX_KERNEL_QUOTE_TIMEOUT_MS + 5000u)
#define TDX_QUOTE_QUEUE_DEFAULT 64u
#define TDX_QUOTE_TIMEOUT_MS_DEFAULT TDX_QUOTE_WAIT_MS /* no progress for this long: give up */
/* configfs: the wait for `generation` to move and for another process's flock on inblob.
 * Upstream waits 5 s for the generation (linux.rs CONFIGFS_GEN_WAIT_TIMEOUT_SECS) and forever
 * for the flock; another process holds the flock for a whole quote. */
#define TDX_GENERATION_TIMEOUT_MS_DEFAULT TDX_QUOTE_WAIT_MS

struct tdx_paths {
    char configfs_dir[TDX_PATH_MAX];
    bool configfs_explicit; /* set by config or env: used as is, never created, no fallback */
    char configfs_base[TDX_PATH_MAX];
    char rtmr_dir[TDX_PATH_MAX];
    bool rtmr_explicit; /* must exist when set */
    char ccel_file[TDX_PATH_MAX];
    /* Why an environment override is unusable ("" when it is fine). Upstream reports these on
     * the call that needs the path (a quote, an extension, the event log), not at start. */
    char configfs_bad[TDX_WHY_MAX];
    char rtmr_bad[TDX_WHY_MAX];
    char ccel_bad[TDX_WHY_MAX];
    char log_dir[TDX_PATH_MAX];
    char device[TDX_PATH_MAX];
    char attest_config[TDX_PATH_MAX];
    unsigned quote_queue;
    unsigned quote_timeout_ms;
    unsigned generation_timeout_ms;
};

/* Resolves every path. A relative, empty or too long environment override leaves its path
 * empty and says why in its *_bad field. DSTACK_EINVAL (the error text says which) only for a
 * configured value that does not fit. */
dstack_err tdx_paths_resolve(const struct agent_config *cfg, struct tdx_paths *out);

/* dir "/" name into out; false when it does not fit. */
bool tdx_path_join(char out[TDX_PATH_MAX], const char *dir, const char *name);

#endif
