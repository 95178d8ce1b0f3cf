/* Event-log internals shared by evlog.c, evlog_json.c, appinfo.c and runtime_log.c, and the
 * cJSON-level entry points the agent uses (it builds responses as cJSON, not text). */
#ifndef DSTACK_ATTEST_EVLOG_INTERNAL_H
#define DSTACK_ATTEST_EVLOG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/json.h"

#include <dstack/attest.h>

/* Moves *e (its buffers) into the log; *e is zeroed. On failure *e is untouched. */
dstack_err evlog_push_owned(struct dstack_event_log *log, struct dstack_event *e);

dstack_err evlog_sha384(const void *data, size_t len, uint8_t out[DSTACK_SHA384_LEN]);
dstack_err evlog_sha256(const void *data, size_t len, uint8_t out[DSTACK_SHA256_LEN]);

/* One TdxEvent object in upstream's key order (new reference, NULL on allocation failure). */
cJSON *evlog_event_to_json(const struct dstack_event *e);
/* The whole log as a JSON array (new reference). */
dstack_err evlog_to_json(const struct dstack_event_log *log, cJSON **out);
/* Appends the events of a JSON array to *out, checking every field (see dstack_event_log_parse).
 * On failure *out is unchanged and the error text (util/error.h) names the element. */
dstack_err evlog_from_json(const cJSON *array, struct dstack_event_log *out);

#endif
