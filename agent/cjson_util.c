#include "cjson_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

cJSON *cj_parse(const char *text, size_t len)
{
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (v != NULL && end != text + len) {
        /* Trailing blanks are fine (Docker ends its answers with a newline), others are not. */
        for (const char *p = end; p < text + len; p++) {
            if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') {
                cJSON_Delete(v);
                return NULL;
            }
        }
    }
    return v;
}

bool cj_add_u64(cJSON *obj, const char *key, uint64_t v)
{
    char text[24];
    snprintf(text, sizeof text, "%" PRIu64, v);
    return cJSON_AddRawToObject(obj, key, text) != NULL;
}

bool cj_add_i64(cJSON *obj, const char *key, int64_t v)
{
    char text[24];
    snprintf(text, sizeof text, "%" PRId64, v);
    return cJSON_AddRawToObject(obj, key, text) != NULL;
}

bool cj_add_str(cJSON *obj, const char *key, const char *v)
{
    return cJSON_AddStringToObject(obj, key, v != NULL ? v : "") != NULL;
}

const char *cj_str(const cJSON *obj, const char *key, const char *def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) && v->valuestring != NULL ? v->valuestring : def;
}

char *cj_print(const cJSON *v, size_t *len)
{
    char *text = cJSON_PrintUnformatted(v);
    if (text != NULL && len != NULL) {
        *len = strlen(text);
    }
    return text;
}
