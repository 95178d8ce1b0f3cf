/* AppInfo of a TDX attestation (decode_app_info_ex, dstack/dstack-attest/src/attestation.rs:
 * L918-971): what the agent embeds when a certificate asks for the app info, and what a KMS
 * embeds when it signs a CSR whose config asks for it (cert.rs:L96-101). */
#include "x509/appinfo_ext.h"

#include <stdlib.h>
#include <string.h>

#include <dstack/attest.h>
#include <dstack/quote.h>

#include "crypto/hash.h"
#include "json/json.h"
#include "util/hex.h"
#include "util/error.h"

/* The hex os_image_hash of a VM config: the inner "vm_config" JSON string when present (older
 * sys-config shapes), else the object itself (attestation.rs:L410-427). No config or no field
 * gives an empty hash; a field that is not hex is an error. */
static dstack_err os_image_hash_of(const char *vm_config, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    cJSON *root = vm_config != NULL ? json_parse(vm_config, strlen(vm_config), 0, NULL) : NULL;
    cJSON *inner = NULL;
    const cJSON *obj = root;
    const char *nested = json_get_str(root, "vm_config");
    if (nested != NULL) {
        inner = json_parse(nested, strlen(nested), 0, NULL);
        obj = inner;
    }
    const char *h = json_get_str(obj, "os_image_hash");
    dstack_err e = DSTACK_OK;
    if (h != NULL) {
        e = hex_decode_alloc(h, strlen(h), out, out_len);
    }
    json_free(inner);
    json_free(root);
    return e;
}

static struct appinfo_bytes payload_of(const struct dstack_event_log *log, const char *name)
{
    const struct dstack_event *e = dstack_event_log_find_runtime(log, name);
    struct appinfo_bytes b = {NULL, 0};
    if (e != NULL) {
        b.p = e->payload;
        b.len = e->payload_len;
    }
    return b;
}

/* RTMR0-2 from the quote, RTMR3 replayed from the runtime events. */
static dstack_err replay_rtmrs(const struct dstack_quote *q, const struct dstack_event_log *log,
                               uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN])
{
    memcpy(rtmr, q->report.rtmr, DSTACK_RTMR_COUNT * DSTACK_MR_LEN);
    memset(rtmr[3], 0, DSTACK_MR_LEN);
    for (size_t i = 0; i < log->count; i++) {
        const struct dstack_event *ev = &log->events[i];
        uint8_t d[DSTACK_SHA384_LEN];
        if (ev->imr != 3 || ev->event_type != DSTACK_RUNTIME_EVENT_TYPE) {
            continue;
        }
        dstack_err e = dstack_event_digest(ev, d);
        if (e != DSTACK_OK) {
            return e;
        }
        dstack_rtmr_extend(rtmr[3], d);
    }
    return DSTACK_OK;
}

/* Some(the "init-script-hash" payloads before system-ready). */
static void init_script_hashes(const struct dstack_event_log *log, struct appinfo *p)
{
    p->has_init_script_hashes = true;
    for (size_t i = 0; i < log->count; i++) {
        const struct dstack_event *ev = &log->events[i];
        if (ev->event_type != DSTACK_RUNTIME_EVENT_TYPE) {
            continue;
        }
        if (strcmp(ev->event, "system-ready") == 0) {
            break;
        }
        if (strcmp(ev->event, "init-script-hash") == 0 &&
            p->n_init_script_hashes < APPINFO_MAX_SCRIPTS) {
            p->init_script_hashes[p->n_init_script_hashes].p = ev->payload;
            p->init_script_hashes[p->n_init_script_hashes].len = ev->payload_len;
            p->n_init_script_hashes++;
        }
    }
}

dstack_err appinfo_build(const uint8_t *quote, size_t quote_len, const struct dstack_event_log *log,
                         const char *vm_config, uint8_t **out, size_t *out_len)
{
    struct dstack_quote q;
    uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
    uint8_t device_id[DSTACK_SHA256_LEN];
    uint8_t *os_hash = NULL;
    size_t os_hash_len = 0;
    dstack_err e;
    struct appinfo *p = calloc(1, sizeof *p); /* large: the script table */

    if (p == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    if ((e = dstack_quote_parse(quote, quote_len, &q)) != DSTACK_OK) {
        (void)err_set(e, "cannot decode the quote for the app info");
        goto out;
    }
    if ((e = replay_rtmrs(&q, log, rtmr)) != DSTACK_OK) {
        (void)err_set(e, "cannot replay RTMR3");
        goto out;
    }
    p->app_id = payload_of(log, "app-id");
    p->compose_hash = payload_of(log, "compose-hash");
    p->instance_id = payload_of(log, "instance-id");
    p->key_provider_info = payload_of(log, "key-provider");
    if ((e = hash_sha256("", 0, device_id)) != DSTACK_OK ||
        (e = dstack_mr_system(q.report.mr_td, rtmr, p->key_provider_info.p,
                              p->key_provider_info.len, p->mr_system)) != DSTACK_OK ||
        (e = dstack_mr_aggregated(q.report.mr_td, rtmr, q.report.mr_config_id, q.report.mr_owner,
                                  q.report.mr_owner_config, p->mr_aggregated)) != DSTACK_OK) {
        (void)err_set(e, "cannot compute the measurements");
        goto out;
    }
    p->device_id.p = device_id;
    p->device_id.len = sizeof device_id;
    if (os_image_hash_of(vm_config, &os_hash, &os_hash_len) != DSTACK_OK) {
        e = err_set(DSTACK_EFORMAT, "bad os_image_hash in vm_config");
        goto out;
    }
    p->os_image_hash.p = os_hash;
    p->os_image_hash.len = os_hash_len;
    init_script_hashes(log, p);
    e = appinfo_encode(p, out, out_len);
    if (e != DSTACK_OK) {
        (void)err_set(e, "cannot encode the app info");
    }
out:
    free(os_hash);
    free(p);
    return e;
}
