/* Typed request-field access with upstream's serde semantics (docs/wire.md). */
#include "rpc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hex.h"

bool rpc_fail(struct rpc_call *call, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->error, sizeof call->error, fmt, ap);
    va_end(ap);
    return false;
}

/* serde's description of an unexpected value, e.g. `integer `5``, `string "x"`. */
static void describe(const json_t *v, char *out, size_t cap)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        snprintf(out, cap, "string \"%.40s\"", json_string_value(v));
        break;
    case JSON_INTEGER:
        snprintf(out, cap, "integer `%lld`", (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        snprintf(out, cap, "floating point `%g`", json_real_value(v));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        snprintf(out, cap, "boolean `%s`", json_is_true(v) ? "true" : "false");
        break;
    case JSON_NULL:
        snprintf(out, cap, "null");
        break;
    case JSON_ARRAY:
        snprintf(out, cap, "sequence");
        break;
    case JSON_OBJECT:
        snprintf(out, cap, "map");
        break;
    }
}

static bool type_error(struct rpc_call *call, const char *name, const json_t *v,
                       const char *expected)
{
    char got[64];
    describe(v, got, sizeof got);
    return rpc_fail(call, "%s: invalid type: %s, expected %s", name, got, expected);
}

bool rpc_arg_string(struct rpc_call *call, const char *name, const char **out)
{
    const json_t *v = json_object_get(call->args, name);
    *out = "";
    if (v == NULL) {
        return true;
    }
    if (!json_is_string(v)) {
        return type_error(call, name, v, "a string");
    }
    if (strlen(json_string_value(v)) != json_string_length(v)) {
        return rpc_fail(call, "%s: strings must not contain NUL characters", name);
    }
    *out = json_string_value(v);
    return true;
}

bool rpc_arg_bool(struct rpc_call *call, const char *name, bool *out)
{
    const json_t *v = json_object_get(call->args, name);
    *out = false;
    if (v == NULL) {
        return true;
    }
    if (call->from_query && json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
            *out = s[0] == 't';
            return true;
        }
        return rpc_fail(call, "%s: invalid value: \"%.40s\", expected true or false", name, s);
    }
    if (!json_is_boolean(v)) {
        return type_error(call, name, v, "a boolean");
    }
    *out = json_is_true(v);
    return true;
}

bool rpc_arg_u64_opt(struct rpc_call *call, const char *name, bool *present, uint64_t *out)
{
    const json_t *v = json_object_get(call->args, name);
    *present = false;
    *out = 0;
    if (v == NULL || json_is_null(v)) {
        return true;
    }
    if (call->from_query && json_is_string(v)) {
        const char *s = json_string_value(v);
        if (s[0] == '\0') {
            return true;
        }
        char *end = NULL;
        errno = 0;
        unsigned long long n = strtoull(s, &end, 10);
        if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0) {
            return rpc_fail(call, "%s: invalid value: \"%.40s\", expected u64", name, s);
        }
        *present = true;
        *out = (uint64_t)n;
        return true;
    }
    if (!json_is_integer(v)) {
        return type_error(call, name, v, "u64");
    }
    if (json_integer_value(v) < 0) {
        return rpc_fail(call, "%s: invalid value: integer `%lld`, expected u64", name,
                        (long long)json_integer_value(v));
    }
    *present = true;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

bool rpc_arg_bytes(struct rpc_call *call, const char *name, uint8_t **out, size_t *out_len)
{
    const json_t *v = json_object_get(call->args, name);
    *out = NULL;
    *out_len = 0;
    if (v == NULL) {
        return true;
    }
    if (!json_is_string(v)) {
        return type_error(call, name, v, "a hex string");
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    dstack_err err = hex_decode_alloc(s, len, out, out_len);
    if (err == DSTACK_EFORMAT) {
        size_t digits = len;
        hex_skip_prefix(s, &digits);
        if (digits % 2 != 0) {
            return rpc_fail(call, "%s: Odd number of digits", name);
        }
        return rpc_fail(call, "%s: Invalid hex character", name);
    }
    if (err != DSTACK_OK) {
        return rpc_fail(call, "%s: %s", name, dstack_err_str(err));
    }
    return true;
}

bool rpc_arg_string_array(struct rpc_call *call, const char *name, const char ***items,
                          size_t *count)
{
    const json_t *v = json_object_get(call->args, name);
    *items = NULL;
    *count = 0;
    if (v == NULL) {
        return true;
    }
    if (!json_is_array(v)) {
        return type_error(call, name, v, "a sequence");
    }
    size_t n = json_array_size(v);
    if (n == 0) {
        return true;
    }
    const char **arr = calloc(n, sizeof *arr);
    if (arr == NULL) {
        return rpc_fail(call, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_array_get(v, i);
        if (!json_is_string(item)) {
            free(arr);
            return type_error(call, name, item, "a string");
        }
        arr[i] = json_string_value(item);
    }
    *items = arr;
    *count = n;
    return true;
}

json_t *rpc_hex(const uint8_t *bytes, size_t len)
{
    char *h = hex_encode_alloc(bytes, len);
    if (h == NULL) {
        return NULL;
    }
    json_t *s = json_stringn_nocheck(h, 2 * len);
    free(h);
    return s;
}
