/* dstack_verify_attestation: upstream's /verify for TDX (dstack/verifier/src/verification.rs
 * verify; dstack-attest attestation.rs verify_tdx, validate_tcb, decode_app_info_ex) on top of
 * dstack_dcap_verify. In order:
 *   1. the quote: DCAP with the given collateral; MRSIGNERSEAM zero; RTMR3 equals the replay of
 *      the event log's IMR-3 events; in attestation mode the attestation's report data equals
 *      the quote's ("Quote verification failed: ...");
 *   2. the OS image (os_image.c): a vm_config that is not a VmConfig fails; lite mode
 *      recomputes MRTD and RTMR0-2 from vm_config.tdx_measurement; legacy mode needs the image
 *      files and is reported not checked ("OS image hash verification failed: ...");
 *   3. the event log: RTMR0-2 equal the replay, and the app identity read from the runtime
 *      events before "system-ready" ("Event log verification failed: ..."). */
#include "dstack_layer.h"

#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "dcap.h"

#define FAIL_AT(stage, ...)                                                                        \
    do {                                                                                           \
        char sub_[256];                                                                            \
        snprintf(sub_, sizeof sub_, __VA_ARGS__);                                                  \
        snprintf(out->reason, sizeof out->reason, "%s verification failed: %s", stage, sub_);      \
        return DSTACK_OK;                                                                          \
    } while (0)

static bool all_zero(const uint8_t *b, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= b[i];
    }
    return acc == 0;
}

static dstack_err check_quote(const struct dl_input *d, const struct dstack_collateral *col,
                              uint64_t now, const struct dstack_dcap_options *opts,
                              struct dstack_attestation_result *out)
{
    const struct dstack_td_report *td = &out->dcap.td;
    if (col == NULL) {
        FAIL_AT("Quote", "no collateral for this quote");
    }
    if (dstack_dcap_verify(d->quote, d->quote_len, col, now, opts, &out->dcap) != DSTACK_OK) {
        FAIL_AT("Quote", "%s", err_text());
    }
    if (out->dcap.tee_type != DCAP_TEE_TDX) {
        FAIL_AT("Quote", "not a TDX quote");
    }
    if (!all_zero(td->mr_signer_seam, DSTACK_MR_LEN)) {
        FAIL_AT("Quote", "Invalid mr signer seam");
    }
    if (dstack_replay_rtmrs(&d->log, out->app.rtmr) != DSTACK_OK) {
        FAIL_AT("Quote", "the event log does not replay (an IMR above 3 or a digest missing)");
    }
    if (memcmp(out->app.rtmr[3], td->rtmr[3], DSTACK_MR_LEN) != 0) {
        FAIL_AT("Quote", "RTMR3 mismatch: the runtime events do not replay to the quote's");
    }
    if (d->has_claimed_rd && memcmp(d->claimed_rd, td->report_data, DSTACK_REPORT_DATA_LEN) != 0) {
        FAIL_AT("Quote", "report_data mismatch: the attestation's differs from the quote's");
    }
    out->quote_verified = true;
    return DSTACK_OK;
}

static bool take_event(const struct dstack_event_log *log, const char *name, uint8_t *dst,
                       size_t cap, size_t *len)
{
    const struct dstack_event *e = dstack_event_log_find_runtime(log, name);
    if (e == NULL) {
        return true; /* the field keeps what it holds (os_image_hash: vm_config's) */
    }
    if (e->payload_len > cap) {
        return false;
    }
    if (e->payload_len != 0) {
        memcpy(dst, e->payload, e->payload_len);
    }
    *len = e->payload_len;
    return true;
}

dstack_err dl_check_event_log(const struct dl_input *d, struct dstack_attestation_result *out)
{
    struct dstack_app_identity *a = &out->app;
    const struct dstack_td_report *td = &out->dcap.td;
    if (dstack_replay_rtmrs(&d->log, a->rtmr) != DSTACK_OK) {
        FAIL_AT("Event log", "the event log does not replay (an IMR above 3 or a digest missing)");
    }
    /* RTMR0-2 recomputed by the lite OS-image check are bound to the image already; their
     * events may then be stripped to the three RTMR0 ACPI digests, as upstream's stripped
     * attestations are (dstack-attest attestation.rs keeps only what the lite verifier needs;
     * upstream replays RTMR3 alone). Otherwise the boot events must replay too. */
    for (int i = out->os_image_hash_verified ? 3 : 0; i < 4; i++) {
        if (memcmp(a->rtmr[i], td->rtmr[i], DSTACK_MR_LEN) != 0) {
            FAIL_AT("Event log", "RTMR%d mismatch: the events do not replay to the quote's", i);
        }
    }
    if (out->os_image_hash_verified) {
        memcpy(a->rtmr, td->rtmr, 3 * sizeof a->rtmr[0]);
    }
    if (!take_event(&d->log, "app-id", a->app_id, sizeof a->app_id, &a->app_id_len) ||
        !take_event(&d->log, "compose-hash", a->compose_hash, sizeof a->compose_hash,
                    &a->compose_hash_len) ||
        !take_event(&d->log, "instance-id", a->instance_id, sizeof a->instance_id,
                    &a->instance_id_len) ||
        !take_event(&d->log, "os-image-hash", a->os_image_hash, sizeof a->os_image_hash,
                    &a->os_image_hash_len) ||
        !take_event(&d->log, "key-provider", a->key_provider_info, sizeof a->key_provider_info,
                    &a->key_provider_info_len)) {
        FAIL_AT("Event log", "an app identity event is longer than its field");
    }

    memcpy(a->mrtd, td->mr_td, DSTACK_MR_LEN);
    SHA256(out->dcap.ppid, out->dcap.ppid_len, a->device_id);
    if (dstack_mr_system(td->mr_td, a->rtmr, a->key_provider_info, a->key_provider_info_len,
                         a->mr_system) != DSTACK_OK ||
        dstack_mr_aggregated(td->mr_td, a->rtmr, td->mr_config_id, td->mr_owner,
                             td->mr_owner_config, a->mr_aggregated) != DSTACK_OK) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    out->has_app_info = true;
    out->event_log_verified = true;
    return DSTACK_OK;
}

dstack_err dstack_verify_attestation(const struct dstack_attestation_input *in,
                                     const struct dstack_collateral *col, uint64_t now,
                                     const struct dstack_dcap_options *opts,
                                     struct dstack_attestation_result *out)
{
    struct dl_input d;
    if (in == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_verify_attestation: no input or no output");
    }
    memset(out, 0, sizeof *out);
    snprintf(out->tee_variant, sizeof out->tee_variant, "dstack-tdx");
    dstack_err err = dl_input_decode(in, &d);
    if (err == DSTACK_ENOMEM) {
        return err;
    }
    if (err != DSTACK_OK) {
        snprintf(out->reason, sizeof out->reason, "%s", err_text());
        return DSTACK_OK;
    }
    err = check_quote(&d, col, now, opts, out);
    if (err == DSTACK_OK && out->quote_verified) {
        err = dl_check_os_image(&d, out);
    }
    if (err == DSTACK_OK && out->quote_verified && out->reason[0] == '\0') {
        err = dl_check_event_log(&d, out);
    }
    out->is_valid = err == DSTACK_OK && out->quote_verified && out->event_log_verified &&
                    out->reason[0] == '\0';
    dl_input_free(&d);
    return err;
}
