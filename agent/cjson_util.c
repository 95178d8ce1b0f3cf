#include "cjson_util.h"

#include "json/json.h"

cJSON *cj_parse(const char *text, size_t len)
{
    return json_parse(text, len, 0, NULL); /* lib/json: serde's rules, strict UTF-8 */
}

bool cj_add_u64(cJSON *obj, const char *key, uint64_t v)
{
    return json_set(obj, key, json_uint_new(v));
}

bool cj_add_i64(cJSON *obj, const char *key, int64_t v)
{
    return json_set(obj, key, json_int_new(v));
}

bool cj_add_str(cJSON *obj, const char *key, const char *v)
{
    return json_set(obj, key, cJSON_CreateString(v != NULL ? v : ""));
}

const char *cj_str(const cJSON *obj, const char *key, const char *def)
{
    const char *s = json_get_str(obj, key);
    return s != NULL ? s : def;
}

char *cj_print(const cJSON *v, size_t *len)
{
    return json_dump(v, 0, len);
}
