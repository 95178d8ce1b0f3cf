/* JSON text exactly as JavaScript's JSON.stringify writes it (no spaces), optionally with object
 * keys sorted the way the JS SDK's sortObject leaves them (get-compose-hash.ts). */
#ifndef DSTACK_CLIENT_JS_JSON_H
#define DSTACK_CLIENT_JS_JSON_H

#include <stdbool.h>

#include "json/json.h"

#include "client/strbuf.h"

/* Number.prototype.toString of a finite double into out (cap >= 32); NaN/Infinity -> "null"
 * (the replacer of get-compose-hash.ts). */
void js_number(double v, char *out, size_t cap);

/* A JSON string literal with JSON.stringify's escapes. */
void js_string(struct strbuf *b, const char *s, size_t len);

/* Serializes v. sorted: keys in sortObject + JS property order. Integers are written as JS
 * numbers too. Returns false on a nesting deeper than JS_JSON_MAX_DEPTH. */
#define JS_JSON_MAX_DEPTH 512
bool js_json_dump(struct strbuf *b, const cJSON *v, bool sorted);

#endif
