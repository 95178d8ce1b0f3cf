/* The PHALA_RATLS_APP_INFO extension payload (1.3.6.1.4.1.62397.1.9): upstream's AppInfo
 * serialized by rmp_serde::to_vec, i.e. a msgpack array of 9 (compact struct), byte fields as
 * bin, init_script_hashes as nil or an array of bin (upstream dstack/ra-tls/src/cert.rs;
 * dstack/dstack-attest/src/attestation.rs:L2574-2608, dstack/ra-tls/src/cert.rs:L384-388). */
#ifndef DSTACK_X509_APPINFO_EXT_H
#define DSTACK_X509_APPINFO_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/common.h>

#define APPINFO_MAX_SCRIPTS 256

struct appinfo_bytes {
    const uint8_t *p; /* borrowed */
    size_t len;
};

struct appinfo {
    struct appinfo_bytes app_id;
    struct appinfo_bytes compose_hash;
    struct appinfo_bytes instance_id;
    struct appinfo_bytes device_id;
    uint8_t mr_system[DSTACK_SHA256_LEN];
    uint8_t mr_aggregated[DSTACK_SHA256_LEN];
    struct appinfo_bytes os_image_hash;
    struct appinfo_bytes key_provider_info;
    bool has_init_script_hashes; /* None -> nil */
    size_t n_init_script_hashes;
    struct appinfo_bytes init_script_hashes[APPINFO_MAX_SCRIPTS];
};

/* msgpack bytes, malloc'd into *out. */
dstack_err appinfo_encode(const struct appinfo *ai, uint8_t **out, size_t *out_len);

/* Parses those bytes; every appinfo_bytes points into `buf`, which must outlive *out.
 * DSTACK_EFORMAT for anything but the 9-element layout (fixed 32-byte mr_system/mr_aggregated,
 * trailing bytes refused). */
dstack_err appinfo_decode(const uint8_t *buf, size_t len, struct appinfo *out);

struct dstack_event_log;

/* The AppInfo of a TDX quote and its event log, msgpack-encoded into *out (malloc'd):
 * app-id/compose-hash/instance-id/key-provider payloads, mr_system and mr_aggregated with RTMR3
 * replayed from the log, os_image_hash from vm_config (may be NULL), the init-script hashes.
 * On failure the error text (util/error.h) names the step. */
dstack_err appinfo_build(const uint8_t *quote, size_t quote_len, const struct dstack_event_log *log,
                         const char *vm_config, uint8_t **out, size_t *out_len);

#endif
