/* The Info RPC's AppInfo (docs/api/Info.md), for every backend.
 *
 * info_build turns measurements + event log + the agent's files into the response object;
 * struct info_cache keeps the last one and rebuilds it only when RTMR3 moved (an emitted
 * event), so a request costs one register read, not a replay and a 30 KB JSON dump. */
#ifndef DSTACK_AGENT_INFO_H
#define DSTACK_AGENT_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/json.h"

#include <dstack/attest.h>

struct agent;

/* SHA-256("") in hex: the guest's device_id (attestation.rs build_app_info). */
#define INFO_DEVICE_ID "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct info_inputs {
    const uint8_t *mrtd;                  /* 48 bytes */
    const uint8_t (*rtmr)[DSTACK_MR_LEN]; /* RTMR0-3 as the TD report has them */
    const uint8_t *mr_config_id;          /* NULL = zero */
    const uint8_t *mr_owner;              /* NULL = zero */
    const uint8_t *mr_owner_config;       /* NULL = zero */
    const struct dstack_event_log *log;   /* full log, boot + runtime */
    const char *compose_text;             /* app-compose.json verbatim */
    size_t compose_len;
    const char *app_name;
    const char *vm_config;          /* sys-config vm_config string */
    const char *attested_vm_config; /* os_image_hash source when it differs; NULL = vm_config */
    const char *app_cert;           /* "" until the demo cert exists */
    const char *cloud_vendor;
    const char *cloud_product;
    bool hide_tcb_info; /* external listener, !public_tcbinfo */
};

/* The AppInfo object, fields in proto order. DSTACK_EFORMAT when the log does not replay. */
dstack_err info_build(const struct info_inputs *in, cJSON **out);

struct info_cache;

/* The functions below report failure through the calling thread's error text (util/error.h). */

/* Reads what does not change while the agent runs (DMI strings, compose public_tcbinfo) and
 * builds the first response from the agent's backend. */
dstack_err info_cache_new(struct agent *a, struct info_cache **out);
void info_cache_free(struct info_cache *c); /* NULL ok */

/* Info.app_cert, once the demo certificate is issued (tls_demo_cert). Copied. */
dstack_err info_cache_set_app_cert(struct info_cache *c, const char *pem);

/* The response (new reference, the caller's to change or free). c may be NULL: the response is
 * then built from scratch. external: the Worker listener, which hides tcb_info and vm_config
 * unless the compose says "public_tcbinfo": true (the default). */
dstack_err info_get(struct info_cache *c, struct agent *a, bool external, cJSON **out);

/* info_get's answer already encoded as compact JSON (what the server would send), *out malloc'd
 * (*len bytes + NUL). With a cache the encoding is kept until RTMR3 or app_cert change. */
dstack_err info_get_text(struct info_cache *c, struct agent *a, bool external, char **out,
                         size_t *len);

#endif
