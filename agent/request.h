/* Request payload decoding into the JSON object handlers read (docs/wire.md).
 * Independent of the HTTP library so it can be unit-tested and fuzzed. */
#ifndef DSTACK_AGENT_REQUEST_H
#define DSTACK_AGENT_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <dstack/common.h>

#include "json/json.h"

/* A JSON body. Empty -> {}. Must be an object; duplicate keys are rejected. On failure the
 * reason is in err_text(), as the server sends it. */
dstack_err request_decode_json(const char *body, size_t len, cJSON **out);

/* Query-string decoding, one already percent-decoded pair at a time (serde_qs rules):
 * `name=value`, `name[]=v` and `name[N]=v` build arrays, a repeated plain key is an error. */
cJSON *request_query_new(void);
dstack_err request_query_add(cJSON *obj, const char *key, const char *value, size_t value_len);

/* True for the bodies that encode google.protobuf.Empty in JSON or protobuf: nothing, `{}` or
 * `null`, with blanks around. */
bool request_is_empty_message(const char *body, size_t len);

/* Where the raw (still percent-encoded) request URI holds a control character, escaped
 * (%00-%1F, %7F) or not: in the path (before '?') or in the query. libmicrohttpd decodes the
 * URI before the handler sees it and a decoded %00 ends the string there, so `/logs/abc%00def`
 * would reach the handler as `/logs/abc`; the raw URI is the only place to see it. */
struct request_uri_control {
    bool in_path, in_query;
};
void request_uri_control_scan(const char *raw_uri, struct request_uri_control *out);

#endif
