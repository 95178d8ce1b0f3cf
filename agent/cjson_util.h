/* The agent's cJSON helpers for the Guest API, the public routes and the Docker client: the one
 * place these modules parse JSON (until lib/json routes every parse), and exact 64-bit numbers
 * (cJSON stores numbers as doubles, which would round byte counters above 2^53). */
#ifndef DSTACK_AGENT_CJSON_UTIL_H
#define DSTACK_AGENT_CJSON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* Parses exactly len bytes (no trailing garbage); NULL when they are not one JSON value. */
cJSON *cj_parse(const char *text, size_t len);

/* Adds key: <decimal> as a raw JSON number. False when out of memory. */
bool cj_add_u64(cJSON *obj, const char *key, uint64_t v);
bool cj_add_i64(cJSON *obj, const char *key, int64_t v);
bool cj_add_str(cJSON *obj, const char *key, const char *v);

/* The string member key, or def when absent or not a string. */
const char *cj_str(const cJSON *obj, const char *key, const char *def);

/* Prints compactly; *len gets the length. NULL when out of memory. */
char *cj_print(const cJSON *v, size_t *len);

#endif
