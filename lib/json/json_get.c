/* Reading and building cJSON nodes with the lengths and literals json_parse keeps. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json_internal.h"
#include "util/hex.h"
#include "util/utf8.h"

const cJSON *json_get(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj) || key == NULL) {
        return NULL;
    }
    for (const cJSON *c = obj->child; c != NULL; c = c->next) {
        if (c->string != NULL && strcmp(c->string, key) == 0) {
            return c;
        }
    }
    return NULL;
}

const char *json_str(const cJSON *v)
{
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

size_t json_str_len(const cJSON *v)
{
    if (!cJSON_IsString(v) || v->valuestring == NULL) {
        return 0;
    }
    return (v->type & JSON_T_LEN) ? (size_t)v->valueint : strlen(v->valuestring);
}

bool json_str_eq(const cJSON *v, const char *s)
{
    const char *have = json_str(v);
    return have != NULL && s != NULL && strcmp(have, s) == 0 && json_str_len(v) == strlen(s);
}

const char *json_get_str(const cJSON *obj, const char *key)
{
    return json_str(json_get(obj, key));
}

bool json_is_int(const cJSON *v)
{
    if (!cJSON_IsNumber(v) || (v->type & JSON_T_FLOAT)) {
        return false;
    }
    return v->valuestring != NULL || json_integral(v->valuedouble);
}

const char *json_number_text(const cJSON *v)
{
    return cJSON_IsNumber(v) ? v->valuestring : NULL;
}

bool json_u64(const cJSON *v, uint64_t *out)
{
    if (!json_is_int(v)) {
        return false;
    }
    if (v->valuestring != NULL) { /* the literal: exact beyond 2^53 */
        const char *s = v->valuestring;
        char *end = NULL;
        errno = 0;
        unsigned long long n = strtoull(s, &end, 10);
        if (s[0] == '-' || errno != 0 || *end != '\0') {
            return false;
        }
        *out = (uint64_t)n;
        return true;
    }
    /* 18446744073709551616.0 == 2^64: the first double above the range */
    if (v->valuedouble < 0 || v->valuedouble >= 18446744073709551616.0) {
        return false;
    }
    *out = (uint64_t)v->valuedouble;
    return true;
}

bool json_i64(const cJSON *v, int64_t *out)
{
    if (!json_is_int(v)) {
        return false;
    }
    if (v->valuestring != NULL) {
        char *end = NULL;
        errno = 0;
        long long n = strtoll(v->valuestring, &end, 10);
        if (errno != 0 || *end != '\0') {
            return false;
        }
        *out = (int64_t)n;
        return true;
    }
    if (v->valuedouble < -9223372036854775808.0 || v->valuedouble >= 9223372036854775808.0) {
        return false;
    }
    *out = (int64_t)v->valuedouble;
    return true;
}

const cJSON *json_at(const cJSON *arr, size_t i)
{
    if (!cJSON_IsArray(arr)) {
        return NULL;
    }
    const cJSON *c = arr->child;
    while (c != NULL && i-- > 0) {
        c = c->next;
    }
    return c;
}

const char *json_kind(const cJSON *v)
{
    if (cJSON_IsObject(v)) {
        return "map";
    }
    if (cJSON_IsArray(v)) {
        return "sequence";
    }
    if (cJSON_IsString(v)) {
        return "string";
    }
    if (cJSON_IsNumber(v)) {
        return json_is_int(v) ? "integer" : "floating point";
    }
    if (cJSON_IsBool(v)) {
        return "boolean";
    }
    return "null";
}

/* A string node around a malloc'd buffer, which it takes (cJSON frees valuestring with free:
 * the default hooks, never changed in this project). */
static cJSON *string_node(char *buf, size_t len, bool carries_len)
{
    cJSON *n = buf != NULL ? cJSON_CreateNull() : NULL;
    if (n == NULL) {
        free(buf);
        return NULL;
    }
    n->type = cJSON_String | (carries_len ? JSON_T_LEN : 0);
    n->valuestring = buf;
    n->valueint = carries_len ? (int)len : 0;
    return n;
}

cJSON *json_hex_string(const uint8_t *bytes, size_t len)
{
    if (len > (INT_MAX - 1) / 2) {
        return NULL;
    }
    char *buf = malloc(2 * len + 1);
    if (buf != NULL) {
        hex_encode(bytes, len, buf);
    }
    return string_node(buf, 2 * len, false);
}

cJSON *json_string_utf8(const char *s)
{
    return s != NULL && utf8_valid(s, strlen(s)) ? cJSON_CreateString(s) : NULL;
}

cJSON *json_string_len(const char *s, size_t len)
{
    if (len > INT_MAX - 1) {
        return NULL;
    }
    char *buf = malloc(len + 1);
    if (buf != NULL) {
        if (len > 0) {
            memcpy(buf, s, len);
        }
        buf[len] = '\0';
    }
    return string_node(buf, len, len > 0 && memchr(s, '\0', len) != NULL);
}

bool json_set(cJSON *obj, const char *key, cJSON *v)
{
    if (obj == NULL || v == NULL || key == NULL) {
        cJSON_Delete(v);
        return false;
    }
    bool ok = json_get(obj, key) != NULL ? cJSON_ReplaceItemInObjectCaseSensitive(obj, key, v)
                                         : cJSON_AddItemToObject(obj, key, v);
    if (!ok) {
        cJSON_Delete(v);
    }
    return ok;
}

bool json_set_hex(cJSON *obj, const char *key, const uint8_t *b, size_t len)
{
    return json_set(obj, key, json_hex_string(b, len));
}

cJSON *json_object_of_strings(const char *key, ...)
{
    va_list ap;
    va_start(ap, key);
    cJSON *obj = cJSON_CreateObject();
    for (const char *k = key; k != NULL && obj != NULL; k = va_arg(ap, const char *)) {
        if (!json_set(obj, k, json_string_utf8(va_arg(ap, const char *)))) {
            cJSON_Delete(obj);
            obj = NULL;
        }
    }
    va_end(ap);
    return obj;
}

cJSON *json_object_of_bool(const char *key, bool b)
{
    cJSON *obj = cJSON_CreateObject();
    return json_set(obj, key, cJSON_CreateBool(b)) ? obj : NULL;
}

bool json_push(cJSON *arr, cJSON *v)
{
    if (arr == NULL || v == NULL || !cJSON_AddItemToArray(arr, v)) {
        cJSON_Delete(v);
        return false;
    }
    return true;
}

/* A number node; beyond 2^53 it also keeps its decimal literal (json_number_text). */
static cJSON *int_node(double d, bool exact, const char *literal)
{
    cJSON *n = cJSON_CreateNumber(d);
    if (n != NULL && !exact) {
        n->valuestring = strdup(literal);
        if (n->valuestring == NULL) {
            cJSON_Delete(n);
            return NULL;
        }
    }
    return n;
}

#define EXACT_LIMIT 9007199254740992.0 /* 2^53 */

cJSON *json_int_new(int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    double d = (double)v;
    return int_node(d, d < EXACT_LIMIT && d > -EXACT_LIMIT, buf);
}

cJSON *json_uint_new(uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    double d = (double)v;
    return int_node(d, d < EXACT_LIMIT, buf);
}
