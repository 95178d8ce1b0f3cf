/* The JSON calls of the Guest API, the public routes and the Docker client, over lib/json: its
 * strict parser, and integer nodes that stay exact beyond 2^53 (byte counters). */
#ifndef DSTACK_AGENT_CJSON_UTIL_H
#define DSTACK_AGENT_CJSON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* Parses exactly len bytes (blanks may follow); NULL when they are not one JSON value. */
cJSON *cj_parse(const char *text, size_t len);

/* Adds key: <integer>. False when out of memory. */
bool cj_add_u64(cJSON *obj, const char *key, uint64_t v);
bool cj_add_i64(cJSON *obj, const char *key, int64_t v);
bool cj_add_str(cJSON *obj, const char *key, const char *v);

/* The string member key, or def when absent or not a string. */
const char *cj_str(const cJSON *obj, const char *key, const char *def);

/* Prints compactly; *len gets the length. NULL when out of memory. */
char *cj_print(const cJSON *v, size_t *len);

#endif
