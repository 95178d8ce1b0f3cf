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
#include "util/error.h"
#include "util/hex.h"
#include "x509/appinfo_ext.h"

/* upstream's context for every failure here (rpc_service.rs certificate_attestation) */
#define ATTEST_FAILED "Failed to get certificate attestation: "

/* The backend's event log. */
static dstack_err load_event_log(struct agent *a, struct dstack_event_log *log)
{
    dstack_err e =
        a->tee->event_log != NULL ? a->tee->event_log(a->tee_state, log) : DSTACK_EUNSUPPORTED;
    if (e != DSTACK_OK) {
        /* the backend's own text follows when it has one (not for a missing hook) */
        return e != DSTACK_EUNSUPPORTED ? err_wrap(e, ATTEST_FAILED "event log unavailable")
                                        : err_set(e, ATTEST_FAILED "event log unavailable");
    }
    return e;
}

/* The attestation upstream's platform builds: quote, the whole event log, the runtime events
 * (IMR 3, dstack type), the report data and the VM config (attestation.rs:L241-267). The
 * pointers are borrowed from log/quote; only the two arrays are ours. */
static dstack_err build_v0(struct agent *a, const uint8_t *quote, size_t quote_len,
                           const struct dstack_event_log *log,
                           const uint8_t rd[DSTACK_REPORT_DATA_LEN], bool stripped, uint8_t **out,
                           size_t *out_len)
{
    struct versioned_attestation v = {0};
    dstack_err e;

    v.quote_kind = VERSIONED_QUOTE_DSTACK_TDX;
    v.quote = (uint8_t *)quote;
    v.quote_len = quote_len;
    v.events = calloc(log->count + 1, sizeof *v.events);
    v.runtime = calloc(log->count + 1, sizeof *v.runtime);
    if (v.events == NULL || v.runtime == NULL) {
        e = err_set(DSTACK_ENOMEM, ATTEST_FAILED "out of memory");
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
                e = err_set(DSTACK_EUNSUPPORTED,
                            ATTEST_FAILED "V2 runtime events need the V1 attestation format");
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
    e = stripped ? versioned_encode_v0_stripped(&v, out, out_len)
                 : versioned_encode_v0(&v, out, out_len);
    if (e != DSTACK_OK) {
        err_set(e, ATTEST_FAILED "cannot encode the attestation");
    }
out:
    free(v.events);
    free(v.runtime);
    return e;
}

dstack_err tls_cert_evidence(struct agent *a, const uint8_t spki[P256_SPKI_LEN], unsigned want,
                             struct tls_evidence *out)
{
    uint8_t rd[DSTACK_REPORT_DATA_LEN];
    uint8_t *q = NULL;
    size_t q_len = 0;
    struct dstack_event_log log;
    dstack_err e;

    memset(out, 0, sizeof *out);
    dstack_event_log_init(&log);
    if (want == 0) {
        return DSTACK_OK;
    }
    if (a->tee == NULL || a->tee->quote == NULL) {
        return err_set(DSTACK_ETEE, ATTEST_FAILED "no TEE backend can quote");
    }
    if ((e = dstack_ratls_report_data(spki, P256_SPKI_LEN, rd)) != DSTACK_OK) {
        return err_set(e, ATTEST_FAILED "report data: %s", dstack_err_str(e));
    }
    e = a->tee->quote(a->tee_state, rd, &q, &q_len);
    if (e != DSTACK_OK || q == NULL) {
        e = e != DSTACK_OK ? err_wrap(e, ATTEST_FAILED "quote failed")
                           : err_set(DSTACK_ETEE, ATTEST_FAILED "quote failed: no quote");
        goto out;
    }
    if ((e = load_event_log(a, &log)) != DSTACK_OK) {
        goto out;
    }
    if ((want & TLS_EVIDENCE_QUOTE) && (e = build_v0(a, q, q_len, &log, rd, true, &out->attestation,
                                                     &out->attestation_len)) != DSTACK_OK) {
        goto out;
    }
    if ((want & TLS_EVIDENCE_FULL) &&
        (e = build_v0(a, q, q_len, &log, rd, false, &out->full, &out->full_len)) != DSTACK_OK) {
        goto out;
    }
    if (want & TLS_EVIDENCE_APP_INFO) {
        e = appinfo_build(q, q_len, &log, a->vm_config, &out->app_info, &out->app_info_len);
        if (e != DSTACK_OK) {
            err_wrap(e, "Failed to get certificate attestation");
            goto out;
        }
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
    free(ev->full);
    memset(ev, 0, sizeof *ev);
}
