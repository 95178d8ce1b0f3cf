/* Event-log internals shared by evlog.c, evlog_json.c, appinfo.c and runtime_log.c, and the
 * cJSON encoder Info uses to embed the log in its tcb_info object (agent/info.c). */
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

/* The whole log as a JSON array of TdxEvent objects in upstream's key order (new reference). */
dstack_err evlog_to_json(const struct dstack_event_log *log, cJSON **out);

#endif
