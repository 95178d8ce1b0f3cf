/* Decoders on client results that reuse the event-log module (include/dstack/attest.h). */
#include "client/client_internal.h"

#include <string.h>

static dstack_err parse_log(const char *json, struct dstack_event_log *out)
{
    dstack_err err = dstack_event_log_parse(json, strlen(json), out);
    if (err != DSTACK_OK) {
        return err_wrap(err, "event log");
    }
    return DSTACK_OK;
}

dstack_err dstack_get_quote_response_event_log(const struct dstack_get_quote_response *q,
                                               struct dstack_event_log *out)
{
    err_clear();
    if (q == NULL || q->event_log == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_get_quote_response_event_log: NULL argument");
    }
    return parse_log(q->event_log, out);
}

dstack_err dstack_get_quote_response_replay_rtmrs(const struct dstack_get_quote_response *q,
                                                  uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN])
{
    struct dstack_event_log log;
    dstack_event_log_init(&log);
    dstack_err err = dstack_get_quote_response_event_log(q, &log);
    if (err == DSTACK_OK) {
        err = dstack_replay_rtmrs(&log, rtmr);
        if (err != DSTACK_OK) {
            err = err_set(err, "event log cannot be replayed (IMR > 3 or boot event without "
                               "digest)");
        }
    }
    dstack_event_log_free(&log);
    return err;
}
