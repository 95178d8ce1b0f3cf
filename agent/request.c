#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

bool request_decode_json(const char *body, size_t len, cJSON **out, char err[REQUEST_ERROR_MAX])
{
    *out = NULL;
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n')) {
        i++;
    }
    if (i == len) { /* an empty payload means every field takes its default */
        *out = cJSON_CreateObject();
        return *out != NULL;
    }
    struct json_error jerr;
    cJSON *v = json_parse(body, len, 0, &jerr);
    if (v == NULL) {
        snprintf(err, REQUEST_ERROR_MAX, "%s at line %d column %d", jerr.text, jerr.line,
                 jerr.column);
        return false;
    }
    if (!cJSON_IsObject(v)) {
        snprintf(err, REQUEST_ERROR_MAX, "invalid type: %s, expected a JSON object", json_kind(v));
        json_free(v);
        return false;
    }
    *out = v;
    return true;
}

cJSON *request_query_new(void)
{
    return cJSON_CreateObject();
}

/* Splits "name[...]" into the name and what is inside the brackets. */
static bool split_brackets(const char *key, char *name, size_t cap, const char **index)
{
    const char *open = strchr(key, '[');
    *index = NULL;
    if (open == NULL) {
        if (strlen(key) >= cap) {
            return false;
        }
        memcpy(name, key, strlen(key) + 1);
        return true;
    }
    size_t klen = strlen(key);
    if (key[klen - 1] != ']' || (size_t)(open - key) >= cap || open == key) {
        return false;
    }
    memcpy(name, key, (size_t)(open - key));
    name[open - key] = '\0';
    *index = open + 1; /* up to the closing bracket */
    return true;
}

bool request_query_add(cJSON *obj, const char *key, const char *value, size_t value_len,
                       char err[REQUEST_ERROR_MAX])
{
    char name[128];
    const char *index;
    if (!split_brackets(key, name, sizeof name, &index)) {
        snprintf(err, REQUEST_ERROR_MAX, "invalid query parameter name \"%.60s\"", key);
        return false;
    }
    if (!utf8_valid(value, value_len)) {
        snprintf(err, REQUEST_ERROR_MAX, "%s: query value is not valid UTF-8", name);
        return false;
    }
    cJSON *s = json_string_len(value, value_len); /* a %00 is carried; rpc_arg_* refuse it */
    if (s == NULL) {
        return false;
    }
    cJSON *existing = (cJSON *)json_get(obj, name);
    if (index == NULL) {
        if (existing != NULL) {
            json_free(s);
            snprintf(err, REQUEST_ERROR_MAX, "Multiple values for one key: \"%s\"", name);
            return false;
        }
        return json_set(obj, name, s);
    }
    if (existing == NULL) {
        existing = cJSON_CreateArray();
        if (existing == NULL || !json_set(obj, name, existing)) {
            json_free(s);
            return false;
        }
    } else if (!cJSON_IsArray(existing)) {
        json_free(s);
        snprintf(err, REQUEST_ERROR_MAX, "Multiple values for one key: \"%s\"", name);
        return false;
    }
    /* "name[]" appends; "name[N]" must name the next position (indices are consecutive). */
    if (index[0] != ']') {
        char *end = NULL;
        unsigned long n = strtoul(index, &end, 10);
        if (index[0] < '0' || index[0] > '9' || *end != ']' ||
            n != (size_t)cJSON_GetArraySize(existing)) {
            json_free(s);
            snprintf(err, REQUEST_ERROR_MAX,
                     "%s: array indices must be consecutive numbers starting at 0", name);
            return false;
        }
    }
    return json_push(existing, s);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool request_is_empty_message(const char *body, size_t len)
{
    size_t i = 0, j = len;
    while (i < j && is_blank(body[i])) {
        i++;
    }
    while (j > i && is_blank(body[j - 1])) {
        j--;
    }
    size_t n = j - i;
    return n == 0 || (n == 2 && memcmp(body + i, "{}", 2) == 0) ||
           (n == 4 && memcmp(body + i, "null", 4) == 0);
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

void request_uri_control_scan(const char *raw_uri, struct request_uri_control *out)
{
    *out = (struct request_uri_control){0};
    bool query = false;
    for (const char *p = raw_uri; *p != '\0'; p++) {
        int byte = (unsigned char)*p;
        if (*p == '?') {
            query = true;
        } else if (*p == '%' && hex_value(p[1]) >= 0 && hex_value(p[2]) >= 0) {
            byte = hex_value(p[1]) * 16 + hex_value(p[2]);
            p += 2;
        }
        if (byte < 0x20 || byte == 0x7f) {
            *(query ? &out->in_query : &out->in_path) = true;
        }
    }
}
