/* The simulator's synthetic boot: a TDX-like boot event log for IMR 0-2, MRTD, and the runtime
 * events a dstack OS emits into IMR 3 while it boots (docs/simulator-measurements.md). Every value
 * is deterministic from the simulator seed and the simulator's files;
 * docs/simulator-measurements.md explains each event. */
#ifndef DSTACK_AGENT_TEE_SIM_BOOT_H
#define DSTACK_AGENT_TEE_SIM_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/attest.h>

#define SIM_HASH_LEN DSTACK_SHA384_LEN

/* SHA-384("dstack-c simulator v1" NUL label NUL seed): the stand-in for every measured blob
 * the simulator does not have (firmware volume, kernel image, initrd, ACPI tables, MRTD). */
void sim_seed_hash(const char *seed, const char *label, uint8_t out[SIM_HASH_LEN]);

/* Appends the 20 boot events of a dstack TDX guest (OVMF + Linux EFI stub) to log, in the order
 * a real CCEL shows them, and writes the synthetic MRTD. */
dstack_err sim_boot_firmware_events(const char *seed, struct dstack_event_log *log,
                                    uint8_t mrtd[DSTACK_MR_LEN]);

/* What the system runtime events are computed from. */
struct sim_boot_inputs {
    const char *seed;
    const uint8_t *compose; /* app-compose.json, raw bytes */
    size_t compose_len;
    const char *vm_config;  /* sys-config vm_config string (may be NULL) */
    const uint8_t *ca_spki; /* DER SubjectPublicKeyInfo of the CA key, NULL if unknown */
    size_t ca_spki_len;
};

/* Parsed bits of the compose that shape the boot (dstack-types AppCompose). */
struct sim_compose_info {
    unsigned event_log_version; /* 1 or 2 ("event_log_version") */
    bool no_instance_id;
    char storage_fs[16]; /* "storage_fs", default "zfs" like dstack-util */
};

/* Reads the fields above; DSTACK_EFORMAT with the error text set (util/error.h) when the compose
 * is not a JSON object or a field has the wrong type. */
dstack_err sim_compose_parse(const uint8_t *compose, size_t len, struct sim_compose_info *out);

/* The app identity a dstack boot derives: app_id = SHA-256(compose bytes)[..20] (docs/sdk.md),
 * instance_id = SHA-256(instance_id_seed || app_id)[..20] (system_setup.rs measure_app_info)
 * with instance_id_seed = sim_seed_hash(seed, "instance-id-seed")[..20]. */
dstack_err sim_boot_identity(const char *seed, const uint8_t *compose, size_t compose_len,
                             uint8_t compose_hash[DSTACK_SHA256_LEN],
                             uint8_t instance_id[DSTACK_APP_ID_LEN]);

/* Appends system-preparing, app-id, compose-hash, init-script-hash..., instance-id,
 * boot-mr-done, os-image-hash, key-provider, storage-fs, system-ready (dstack-util
 * system_setup.rs:L2650-2830 order) as runtime events of the compose's event-log version. On
 * failure the error text says why. */
dstack_err sim_boot_runtime_events(const struct sim_boot_inputs *in, struct dstack_event_log *log);

#endif
