/* Decoding /verify's two input forms (upstream dstack/verifier/src/verification.rs verify):
 * a versioned attestation (self-contained: its quote, event log, report data and config; any
 * top-level quote/event_log/vm_config is ignored so that mixed inputs cannot steer the result)
 * or a raw quote + event_log (JSON text, as GetQuote returns it) + vm_config. */
#include "dstack_layer.h"

#include <stdlib.h>
#include <string.h>

#include "attest/versioned.h"
#include "dcap.h"
#include "util/error.h"

static dstack_err from_attestation(const struct dstack_attestation_input *in, struct dl_input *d)
{
    struct versioned_attestation a;
    dstack_err err = versioned_decode(in->attestation, in->attestation_len, &a);
    if (err != DSTACK_OK) {
        return err_set(err, "Failed to decode attestation%s",
                       err == DSTACK_EUNSUPPORTED ? " (only V0 SCALE attestations are supported)"
                                                  : "");
    }
    for (size_t i = 0; i < a.n_events && err == DSTACK_OK; i++) {
        const struct versioned_event *e = &a.events[i];
        err = dstack_event_log_push(&d->log, e->imr, e->event_type,
                                    e->digest_len == DSTACK_SHA384_LEN ? e->digest : NULL, e->event,
                                    e->payload, e->payload_len,
                                    e->version == 2 ? DSTACK_EVENT_V2 : DSTACK_EVENT_V1);
    }
    if (err == DSTACK_OK) {
        d->quote = a.quote;
        d->quote_len = a.quote_len;
        a.quote = NULL;
        d->vm_config = a.config;
        a.config = NULL;
        memcpy(d->claimed_rd, a.report_data, sizeof d->claimed_rd);
        d->has_claimed_rd = true;
    } else {
        err_set(err, "Failed to decode attestation: bad event");
    }
    versioned_free(&a);
    return err;
}

static dstack_err from_quote(const struct dstack_attestation_input *in, struct dl_input *d)
{
    if (in->quote == NULL || in->quote_len == 0) {
        return err_set(DSTACK_EINVAL, "Quote is required");
    }
    if (in->event_log == NULL) {
        return err_set(DSTACK_EINVAL, "Event log is required");
    }
    dstack_err err = dstack_event_log_parse(in->event_log, in->event_log_len, &d->log);
    if (err != DSTACK_OK) {
        return err_wrap(err, "Failed to create attestation: event log");
    }
    if ((d->quote = malloc(in->quote_len)) == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    memcpy(d->quote, in->quote, in->quote_len);
    d->quote_len = in->quote_len;
    if (in->vm_config != NULL &&
        (d->vm_config = strndup(in->vm_config, in->vm_config_len)) == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    return DSTACK_OK;
}

dstack_err dl_input_decode(const struct dstack_attestation_input *in, struct dl_input *d)
{
    memset(d, 0, sizeof *d);
    dstack_event_log_init(&d->log);
    dstack_err err = in->attestation != NULL ? from_attestation(in, d) : from_quote(in, d);
    if (err != DSTACK_OK) {
        dl_input_free(d);
    }
    return err;
}

void dl_input_free(struct dl_input *d)
{
    free(d->quote);
    free(d->vm_config);
    dstack_event_log_free(&d->log);
    memset(d, 0, sizeof *d);
    dstack_event_log_init(&d->log);
}
