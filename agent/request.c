#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool request_decode_json(const char *body, size_t len, json_t **out, char err[REQUEST_ERROR_MAX])
{
    *out = NULL;
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n')) {
        i++;
    }
    if (i == len) { /* an empty payload means every field takes its default */
        *out = json_object();
        return *out != NULL;
    }
    json_error_t jerr;
    json_t *v = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (v == NULL) {
        snprintf(err, REQUEST_ERROR_MAX, "%s at line %d column %d", jerr.text, jerr.line,
                 jerr.column);
        return false;
    }
    if (!json_is_object(v)) {
        static const char *const names[] = {
            "map", "sequence", "string", "integer", "floating point", "boolean", "boolean", "null"};
        snprintf(err, REQUEST_ERROR_MAX, "invalid type: %s, expected a JSON object",
                 names[json_typeof(v)]);
        json_decref(v);
        return false;
    }
    *out = v;
    return true;
}

json_t *request_query_new(void)
{
    return json_object();
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

bool request_query_add(json_t *obj, const char *key, const char *value, size_t value_len,
                       char err[REQUEST_ERROR_MAX])
{
    char name[128];
    const char *index;
    if (!split_brackets(key, name, sizeof name, &index)) {
        snprintf(err, REQUEST_ERROR_MAX, "invalid query parameter name \"%.60s\"", key);
        return false;
    }
    json_t *s = json_stringn(value, value_len);
    if (s == NULL) {
        snprintf(err, REQUEST_ERROR_MAX, "%s: query value is not valid UTF-8", name);
        return false;
    }
    json_t *existing = json_object_get(obj, name);
    if (index == NULL) {
        if (existing != NULL) {
            json_decref(s);
            snprintf(err, REQUEST_ERROR_MAX, "Multiple values for one key: \"%s\"", name);
            return false;
        }
        return json_object_set_new(obj, name, s) == 0;
    }
    if (existing == NULL) {
        existing = json_array();
        if (existing == NULL || json_object_set_new(obj, name, existing) != 0) {
            json_decref(s);
            return false;
        }
    } else if (!json_is_array(existing)) {
        json_decref(s);
        snprintf(err, REQUEST_ERROR_MAX, "Multiple values for one key: \"%s\"", name);
        return false;
    }
    /* "name[]" appends; "name[N]" must name the next position (indices are consecutive). */
    if (index[0] != ']') {
        char *end = NULL;
        unsigned long n = strtoul(index, &end, 10);
        if (index[0] < '0' || index[0] > '9' || *end != ']' || n != json_array_size(existing)) {
            json_decref(s);
            snprintf(err, REQUEST_ERROR_MAX,
                     "%s: array indices must be consecutive numbers starting at 0", name);
            return false;
        }
    }
    return json_array_append_new(existing, s) == 0;
}
