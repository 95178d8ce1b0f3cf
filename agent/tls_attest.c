/* The RA-TLS extension payloads of a certificate key, from the TEE backend: the stripped V0
 * attestation (docs/api/GetTlsKey.md) whose quote binds SHA-512("ratls-cert:" || SPKI), and the
 * msgpack AppInfo (upstream dstack/ra-tls/src/cert.rs) decoded from the same evidence, as
 * upstream's issue_cert -> certificate_attestation -> sign_csr (rpc_service.rs:L89-106,
 * cert.rs:L96-101). */
#include "tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dstack/attest.h>
#include <dstack/quote.h>
#include <dstack/ratls.h>

#include "agent.h"
#include "attest/versioned.h"
#include "crypto/hash.h"
#include "util/hex.h"
#include "x509/appinfo_ext.h"

static void tls_err(char err[X509_ERR_MAX], const char *msg, const char *detail)
{
    snprintf(err, X509_ERR_MAX, "Failed to get certificate attestation: %s%s%s", msg,
             detail != NULL && detail[0] != '\0' ? ": " : "", detail != NULL ? detail : "");
}

/* The backend's event log, parsed. */
static dstack_err load_event_log(struct agent *a, struct dstack_event_log *log,
                                 char err[X509_ERR_MAX])
{
    json_t *j = NULL;
    char *text = NULL;
    char why[128] = "";
    dstack_err e =
        a->tee->event_log != NULL ? a->tee->event_log(a->tee_state, &j) : DSTACK_EUNSUPPORTED;
    if (e != DSTACK_OK || j == NULL) {
        tls_err(err, "event log unavailable", NULL);
        json_decref(j);
        return e != DSTACK_OK ? e : DSTACK_ETEE;
    }
    text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (text == NULL) {
        return DSTACK_ENOMEM;
    }
    e = dstack_event_log_parse(text, strlen(text), log, why, sizeof why);
    free(text);
    if (e != DSTACK_OK) {
        tls_err(err, "bad event log", why);
    }
    return e;
}

/* The attestation upstream's platform builds: quote, the whole event log, the runtime events
 * (IMR 3, dstack type), the report data and the VM config (attestation.rs:L241-267). The
 * pointers are borrowed from log/quote; only the two arrays are ours. */
static dstack_err build_v0_stripped(struct agent *a, const uint8_t *quote, size_t quote_len,
                                    const struct dstack_event_log *log,
                                    const uint8_t rd[DSTACK_REPORT_DATA_LEN], uint8_t **out,
                                    size_t *out_len, char err[X509_ERR_MAX])
{
    struct versioned_attestation v = {0};
    dstack_err e = DSTACK_ENOMEM;

    v.quote_kind = VERSIONED_QUOTE_DSTACK_TDX;
    v.quote = (uint8_t *)quote;
    v.quote_len = quote_len;
    v.events = calloc(log->count + 1, sizeof *v.events);
    v.runtime = calloc(log->count + 1, sizeof *v.runtime);
    if (v.events == NULL || v.runtime == NULL) {
        goto out;
    }
    for (size_t i = 0; i < log->count; i++) {
        const struct dstack_event *ev = &log->events[i];
        struct versioned_event *ve = &v.events[v.n_events++];
        ve->imr = ev->imr;
        ve->event_type = ev->event_type;
        ve->digest = ev->has_digest ? (uint8_t *)ev->digest : NULL;
        ve->digest_len = ev->has_digest ? sizeof ev->digest : 0;
        ve->event = ev->event;
        ve->event_len = strlen(ev->event);
        ve->payload = ev->payload;
        ve->payload_len = ev->payload_len;
        if (ev->imr == 3 && ev->event_type == DSTACK_RUNTIME_EVENT_TYPE) {
            if (ev->version != DSTACK_EVENT_V1) {
                /* Upstream switches to the V1 msgpack format then (into_versioned). */
                tls_err(err, "V2 runtime events need the V1 attestation format", NULL);
                e = DSTACK_EUNSUPPORTED;
                goto out;
            }
            struct versioned_runtime_event *re = &v.runtime[v.n_runtime++];
            re->event = ev->event;
            re->event_len = ve->event_len;
            re->payload = ev->payload;
            re->payload_len = ev->payload_len;
        }
    }
    memcpy(v.report_data, rd, DSTACK_REPORT_DATA_LEN);
    v.config = a->vm_config != NULL ? a->vm_config : (char *)"";
    v.config_len = strlen(v.config);
    e = versioned_encode_v0_stripped(&v, out, out_len);
    if (e != DSTACK_OK) {
        tls_err(err, "cannot encode the attestation", NULL);
    }
out:
    free(v.events);
    free(v.runtime);
    return e;
}

/* os_image_hash of the VM config: the inner "vm_config" JSON string when present (older
 * sys-config shapes), else the object itself (attestation.rs:L410-427). */
static dstack_err os_image_hash_of(const char *vm_config, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    json_t *root = vm_config != NULL ? json_loads(vm_config, 0, NULL) : NULL;
    json_t *inner = NULL;
    const json_t *obj = root;
    if (root != NULL && json_is_string(json_object_get(root, "vm_config"))) {
        inner = json_loads(json_string_value(json_object_get(root, "vm_config")), 0, NULL);
        obj = inner;
    }
    const char *h = json_string_value(json_object_get(obj, "os_image_hash"));
    dstack_err e = DSTACK_OK;
    if (h != NULL) {
        e = hex_decode_alloc(h, strlen(h), out, out_len);
    }
    json_decref(inner);
    json_decref(root);
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

/* AppInfo for TDX (decode_app_info_ex, attestation.rs:L918-971). */
static dstack_err build_app_info(struct agent *a, const uint8_t *quote, size_t quote_len,
                                 const struct dstack_event_log *log, uint8_t **out, size_t *out_len,
                                 char err[X509_ERR_MAX])
{
    struct dstack_quote q;
    uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
    uint8_t device_id[DSTACK_SHA256_LEN];
    uint8_t *os_hash = NULL;
    size_t os_hash_len = 0;
    dstack_err e;
    struct appinfo *p = calloc(1, sizeof *p); /* large: the script table */

    if (p == NULL) {
        return DSTACK_ENOMEM;
    }
    e = dstack_quote_parse(quote, quote_len, &q);
    if (e != DSTACK_OK) {
        tls_err(err, "cannot decode the quote for the app info", NULL);
        goto out;
    }
    /* RTMR0-2 from the quote, RTMR3 replayed from the runtime events. */
    memcpy(rtmr, q.report.rtmr, sizeof rtmr);
    memset(rtmr[3], 0, DSTACK_MR_LEN);
    for (size_t i = 0; i < log->count; i++) {
        const struct dstack_event *ev = &log->events[i];
        uint8_t d[DSTACK_SHA384_LEN];
        if (ev->imr != 3 || ev->event_type != DSTACK_RUNTIME_EVENT_TYPE) {
            continue;
        }
        if ((e = dstack_event_digest(ev, d)) != DSTACK_OK) {
            tls_err(err, "cannot replay RTMR3", NULL);
            goto out;
        }
        dstack_rtmr_extend(rtmr[3], d);
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
        tls_err(err, "cannot compute the measurements", NULL);
        goto out;
    }
    p->device_id.p = device_id;
    p->device_id.len = sizeof device_id;
    if (os_image_hash_of(a->vm_config, &os_hash, &os_hash_len) != DSTACK_OK) {
        tls_err(err, "bad os_image_hash in vm_config", NULL);
        e = DSTACK_EFORMAT;
        goto out;
    }
    p->os_image_hash.p = os_hash;
    p->os_image_hash.len = os_hash_len;
    /* Some(the "init-script-hash" payloads before system-ready). */
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
    e = appinfo_encode(p, out, out_len);
out:
    free(os_hash);
    free(p);
    return e;
}

dstack_err tls_cert_evidence(struct agent *a, const uint8_t spki[P256_SPKI_LEN], bool quote,
                             bool app_info, struct tls_evidence *out, char err[X509_ERR_MAX])
{
    uint8_t rd[DSTACK_REPORT_DATA_LEN];
    uint8_t *q = NULL;
    size_t q_len = 0;
    struct dstack_event_log log;
    dstack_err e;

    memset(out, 0, sizeof *out);
    dstack_event_log_init(&log);
    if (!quote && !app_info) {
        return DSTACK_OK;
    }
    if (a->tee == NULL || a->tee->quote == NULL) {
        tls_err(err, "no TEE backend can quote", NULL);
        return DSTACK_ETEE;
    }
    if ((e = dstack_ratls_report_data(spki, P256_SPKI_LEN, rd)) != DSTACK_OK) {
        return e;
    }
    e = a->tee->quote(a->tee_state, rd, &q, &q_len);
    if (e != DSTACK_OK || q == NULL) {
        tls_err(err, "quote failed", dstack_err_str(e != DSTACK_OK ? e : DSTACK_ETEE));
        e = e != DSTACK_OK ? e : DSTACK_ETEE;
        goto out;
    }
    if ((e = load_event_log(a, &log, err)) != DSTACK_OK) {
        goto out;
    }
    if (quote && (e = build_v0_stripped(a, q, q_len, &log, rd, &out->attestation,
                                        &out->attestation_len, err)) != DSTACK_OK) {
        goto out;
    }
    if (app_info && (e = build_app_info(a, q, q_len, &log, &out->app_info, &out->app_info_len,
                                        err)) != DSTACK_OK) {
        goto out;
    }
out:
    if (e != DSTACK_OK) {
        tls_evidence_free(out);
    }
    free(q);
    dstack_event_log_free(&log);
    return e;
}

void tls_evidence_free(struct tls_evidence *ev)
{
    free(ev->attestation);
    free(ev->app_info);
    memset(ev, 0, sizeof *ev);
}
