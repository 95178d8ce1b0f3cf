/* Request payload decoding into the JSON object handlers read (docs/wire.md).
 * Independent of the HTTP library so it can be unit-tested and fuzzed. */
#ifndef DSTACK_AGENT_REQUEST_H
#define DSTACK_AGENT_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "json/json.h"

#define REQUEST_ERROR_MAX 256

/* A JSON body. Empty -> {}. Must be an object; duplicate keys are rejected. */
bool request_decode_json(const char *body, size_t len, cJSON **out, char err[REQUEST_ERROR_MAX]);

/* Query-string decoding, one already percent-decoded pair at a time (serde_qs rules):
 * `name=value`, `name[]=v` and `name[N]=v` build arrays, a repeated plain key is an error. */
cJSON *request_query_new(void);
bool request_query_add(cJSON *obj, const char *key, const char *value, size_t value_len,
                       char err[REQUEST_ERROR_MAX]);

/* True for the bodies that encode google.protobuf.Empty in JSON or protobuf: nothing, `{}` or
 * `null`, with blanks around. */
bool request_is_empty_message(const char *body, size_t len);

#endif
