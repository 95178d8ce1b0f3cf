/* The part of a /quote answer that depends only on the event log: the RTMRs replayed from it and
 * its JSON string literal. The runtime log changes only when an event is emitted, so the last log
 * seen is kept and compared byte for byte; a hit costs a memcmp where the replay costs a JSON
 * parse of the log and a hash per event (~1.7 M instructions for the simulator's log). */
#ifndef DSTACK_SIDECAR_EVLOG_CACHE_H
#define DSTACK_SIDECAR_EVLOG_CACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dstack/client.h>

#include "json/json.h"

struct sc_evlog_cache {
    pthread_mutex_t lock;
    char *log; /* the event_log text of the entry, NULL when empty */
    size_t log_len;
    uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
    char *literal; /* the log as a JSON string literal (json_out_string) */
    size_t literal_len;
};

int sc_evlog_cache_init(struct sc_evlog_cache *c);
void sc_evlog_cache_free(struct sc_evlog_cache *c);

/* RTMR0-3 of q->event_log (dstack_get_quote_response_replay_rtmrs) into rtmr, and its string
 * literal appended to out. On failure *replay_failed tells the replay's error (message in
 * dstack_last_error()) from a log that is not UTF-8 (DSTACK_EFORMAT) or DSTACK_ENOMEM. */
dstack_err sc_evlog_cache_get(struct sc_evlog_cache *c, const struct dstack_get_quote_response *q,
                              uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN], struct json_out *out,
                              bool *replay_failed);

#endif
