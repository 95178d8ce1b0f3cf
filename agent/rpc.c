/* Typed request-field access with upstream's serde semantics (docs/wire.md). */
#include "rpc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hex.h"

/* A double as serde's Unexpected::Float shows it: the shortest text that reads back the same,
 * with ".0" when it has neither a fraction nor an exponent ("1.0", "1.5", "100.0"). */
static void float_text(double d, char *out, size_t cap)
{
    if (json_integral(d) && d < 1e17 && d > -1e17) { /* Rust writes these without an exponent */
        snprintf(out, cap, "%.1f", d);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, cap, "%.*g", prec, d);
        if (strtod(out, NULL) == d) {
            break;
        }
    }
    if (isfinite(d) && strpbrk(out, ".e") == NULL && strlen(out) + 3 <= cap) {
        memcpy(out + strlen(out), ".0", 3);
    }
}

/* serde's description of an unexpected value, e.g. `integer `5``, `string "x"`. */
static void describe(const cJSON *v, char *out, size_t cap)
{
    const char *kind = json_kind(v);
    if (cJSON_IsString(v)) {
        snprintf(out, cap, "string \"%.40s\"", json_str(v));
    } else if (json_is_int(v)) {
        const char *text = json_number_text(v);
        if (text != NULL) {
            snprintf(out, cap, "integer `%.30s`", text);
        } else {
            snprintf(out, cap, "integer `%lld`", (long long)v->valuedouble);
        }
    } else if (cJSON_IsNumber(v)) {
        char num[40];
        float_text(v->valuedouble, num, sizeof num);
        snprintf(out, cap, "floating point `%s`", num);
    } else if (cJSON_IsBool(v)) {
        snprintf(out, cap, "boolean `%s`", cJSON_IsTrue(v) ? "true" : "false");
    } else {
        snprintf(out, cap, "%s", kind);
    }
}

static dstack_err type_error(const char *name, const cJSON *v, const char *expected)
{
    char got[64];
    describe(v, got, sizeof got);
    return err_set(DSTACK_EINVAL, "%s: invalid type: %s, expected %s", name, got, expected);
}

dstack_err rpc_arg_string(struct rpc_call *call, const char *name, const char **out)
{
    const cJSON *v = json_get(call->args, name);
    *out = "";
    if (v == NULL) {
        return DSTACK_OK;
    }
    if (!cJSON_IsString(v)) {
        return type_error(name, v, "a string");
    }
    if (strlen(json_str(v)) != json_str_len(v)) {
        return err_set(DSTACK_EINVAL, "%s: strings must not contain NUL characters", name);
    }
    *out = json_str(v);
    return DSTACK_OK;
}

dstack_err rpc_arg_bool(struct rpc_call *call, const char *name, bool *out)
{
    const cJSON *v = json_get(call->args, name);
    *out = false;
    if (v == NULL) {
        return DSTACK_OK;
    }
    if (call->from_query && cJSON_IsString(v)) {
        const char *s = json_str(v);
        if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
            *out = s[0] == 't';
            return DSTACK_OK;
        }
        return err_set(DSTACK_EINVAL, "%s: invalid value: \"%.40s\", expected true or false", name,
                       s);
    }
    if (!cJSON_IsBool(v)) {
        return type_error(name, v, "a boolean");
    }
    *out = cJSON_IsTrue(v);
    return DSTACK_OK;
}

dstack_err rpc_arg_u64_opt(struct rpc_call *call, const char *name, bool *present, uint64_t *out)
{
    const cJSON *v = json_get(call->args, name);
    *present = false;
    *out = 0;
    if (v == NULL || cJSON_IsNull(v)) {
        return DSTACK_OK;
    }
    if (call->from_query && cJSON_IsString(v)) {
        const char *s = json_str(v);
        if (s[0] == '\0') {
            return DSTACK_OK;
        }
        char *end = NULL;
        errno = 0;
        unsigned long long n = strtoull(s, &end, 10);
        if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0) {
            return err_set(DSTACK_EINVAL, "%s: invalid value: \"%.40s\", expected u64", name, s);
        }
        *present = true;
        *out = (uint64_t)n;
        return DSTACK_OK;
    }
    if (!json_is_int(v)) {
        return type_error(name, v, "u64");
    }
    if (!json_u64(v, out)) {
        char got[64];
        describe(v, got, sizeof got);
        return err_set(DSTACK_EINVAL, "%s: invalid value: %s, expected u64", name, got);
    }
    *present = true;
    return DSTACK_OK;
}

dstack_err rpc_arg_bytes(struct rpc_call *call, const char *name, uint8_t **out, size_t *out_len)
{
    const cJSON *v = json_get(call->args, name);
    *out = NULL;
    *out_len = 0;
    if (v == NULL) {
        return DSTACK_OK;
    }
    if (!cJSON_IsString(v)) {
        return type_error(name, v, "a hex string");
    }
    const char *s = json_str(v);
    size_t len = json_str_len(v);
    dstack_err err = hex_decode_alloc(s, len, out, out_len);
    if (err == DSTACK_EFORMAT) {
        size_t digits = len;
        hex_skip_prefix(s, &digits);
        if (digits % 2 != 0) {
            return err_set(DSTACK_EINVAL, "%s: Odd number of digits", name);
        }
        return err_set(DSTACK_EINVAL, "%s: Invalid hex character", name);
    }
    if (err != DSTACK_OK) {
        return err_set(DSTACK_EINVAL, "%s: %s", name, dstack_err_str(err));
    }
    return DSTACK_OK;
}

dstack_err rpc_arg_string_array(struct rpc_call *call, const char *name, const char ***items,
                                size_t *count)
{
    const cJSON *v = json_get(call->args, name);
    *items = NULL;
    *count = 0;
    if (v == NULL) {
        return DSTACK_OK;
    }
    if (!cJSON_IsArray(v)) {
        return type_error(name, v, "a sequence");
    }
    size_t n = (size_t)cJSON_GetArraySize(v);
    if (n == 0) {
        return DSTACK_OK;
    }
    const char **arr = calloc(n, sizeof *arr);
    if (arr == NULL) {
        return err_set(DSTACK_EINVAL, "out of memory");
    }
    const cJSON *item = v->child;
    for (size_t i = 0; i < n; i++, item = item->next) {
        if (!cJSON_IsString(item)) {
            free(arr);
            return type_error(name, item, "a string");
        }
        arr[i] = json_str(item);
    }
    *items = arr;
    *count = n;
    return DSTACK_OK;
}
