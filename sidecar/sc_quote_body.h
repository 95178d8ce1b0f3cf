/* The text of a 200 /quote answer, written directly instead of through a JSON tree and a dump
 * (which re-escaped ~18 KB of hex and event log per request, ~1.2 M instructions):
 *   {"quote":hex,"event_log":string,"vm_config":string,"report_data":hex,
 *    "rtmrs":{"rtmr0":hex,...,"rtmr3":hex}}
 * byte for byte what json_dump (compact) writes for the object sc_h_quote built before
 * (tests/unit/test_sidecar_quote_body.c compares the two). Hex is lowercase; the two strings are
 * lib/json's literals (the event log's from sc_evlog_cache). */
#ifndef DSTACK_SIDECAR_QUOTE_BODY_H
#define DSTACK_SIDECAR_QUOTE_BODY_H

#include <stdbool.h>
#include <stddef.h>

#include <dstack/client.h>

#include "sc_evlog_cache.h"

/* *out is malloc'd (NUL-terminated, *out_len bytes). On failure *replay_failed tells a log that
 * cannot be replayed (message in dstack_last_error()) from a string that is not UTF-8 or memory
 * running out. */
dstack_err sc_quote_body(struct sc_evlog_cache *cache, const struct dstack_get_quote_response *q,
                         char **out, size_t *out_len, bool *replay_failed);

/* sc_quote_body with the quote given as lowercase hex digits (the agent's own text, which
 * sc_h_quote relays without decoding it); q->quote is not read. */
dstack_err sc_quote_body_hex(struct sc_evlog_cache *cache,
                             const struct dstack_get_quote_response *q, const char *quote_hex,
                             size_t quote_hex_len, char **out, size_t *out_len,
                             bool *replay_failed);

#endif
