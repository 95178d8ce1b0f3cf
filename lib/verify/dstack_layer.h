/* The dstack layer of verification (dstack_verify.c, dstack_report.c): inputs decoded into one
 * event log + quote + report data, then the checks of upstream's /verify. */
#ifndef DSTACK_VERIFY_DSTACK_LAYER_H
#define DSTACK_VERIFY_DSTACK_LAYER_H

#include <dstack/attest.h>
#include <dstack/verify.h>

/* What a request carries, decoded: the quote, the whole event log, the claimed report data
 * (attestation mode) and vm_config text. Owned; dl_input_free. */
struct dl_input {
    uint8_t *quote;
    size_t quote_len;
    struct dstack_event_log log;
    bool has_claimed_rd;
    uint8_t claimed_rd[DSTACK_REPORT_DATA_LEN];
    char *vm_config;
};

dstack_err dl_input_decode(const struct dstack_attestation_input *in, struct dl_input *out,
                           char *why, size_t cap);
void dl_input_free(struct dl_input *d);

/* Step 3 of dstack_verify_attestation on its own (tests run it on upstream's real capture, whose
 * quote has no collateral here): out->dcap.td and out->dcap.ppid must hold the quote's report;
 * fills out->app, event_log_verified, or out->reason. */
dstack_err dl_check_event_log(const struct dl_input *d, struct dstack_attestation_result *out);

#endif
