#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/utf8.h"

dstack_err request_decode_json(const char *body, size_t len, cJSON **out)
{
    *out = NULL;
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n')) {
        i++;
    }
    if (i == len) { /* an empty payload means every field takes its default */
        *out = cJSON_CreateObject();
        return *out != NULL ? DSTACK_OK : err_set(DSTACK_ENOMEM, "out of memory");
    }
    struct json_error jerr;
    cJSON *v = json_parse(body, len, 0, &jerr);
    if (v == NULL) {
        return err_set(DSTACK_EFORMAT, "%s at line %d column %d", jerr.text, jerr.line,
                       jerr.column);
    }
    if (!cJSON_IsObject(v)) {
        (void)err_set(DSTACK_EFORMAT, "invalid type: %s, expected a JSON object", json_kind(v));
        json_free(v);
        return DSTACK_EFORMAT;
    }
    *out = v;
    return DSTACK_OK;
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

dstack_err request_query_add(cJSON *obj, const char *key, const char *value, size_t value_len)
{
    char name[128];
    const char *index;
    if (!split_brackets(key, name, sizeof name, &index)) {
        return err_set(DSTACK_EINVAL, "invalid query parameter name \"%.60s\"", key);
    }
    if (!utf8_valid(value, value_len)) {
        return err_set(DSTACK_EINVAL, "%s: query value is not valid UTF-8", name);
    }
    cJSON *s = json_string_len(value, value_len); /* a %00 is carried; rpc_arg_* refuse it */
    if (s == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    cJSON *existing = (cJSON *)json_get(obj, name);
    if (index == NULL) {
        if (existing != NULL) {
            json_free(s);
            return err_set(DSTACK_EINVAL, "Multiple values for one key: \"%s\"", name);
        }
        return json_set(obj, name, s) ? DSTACK_OK : err_set(DSTACK_ENOMEM, "out of memory");
    }
    if (existing == NULL) {
        existing = cJSON_CreateArray();
        if (existing == NULL || !json_set(obj, name, existing)) {
            json_free(s);
            return err_set(DSTACK_ENOMEM, "out of memory");
        }
    } else if (!cJSON_IsArray(existing)) {
        json_free(s);
        return err_set(DSTACK_EINVAL, "Multiple values for one key: \"%s\"", name);
    }
    /* "name[]" appends; "name[N]" must name the next position (indices are consecutive). */
    if (index[0] != ']') {
        char *end = NULL;
        unsigned long n = strtoul(index, &end, 10);
        if (index[0] < '0' || index[0] > '9' || *end != ']' ||
            n != (size_t)cJSON_GetArraySize(existing)) {
            json_free(s);
            return err_set(DSTACK_EINVAL,
                           "%s: array indices must be consecutive numbers starting at 0", name);
        }
    }
    return json_push(existing, s) ? DSTACK_OK : err_set(DSTACK_ENOMEM, "out of memory");
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
