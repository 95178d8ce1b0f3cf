/* The one place lib/verify hands text to the JSON parser: lib/json's strict json_parse. */
#include "dcap.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "json/json.h"
#include "util/hex.h"

struct cJSON *vjson_parse(const char *text, size_t len)
{
    /* serde's rules, as dcap-qvl's Rust crate reads collateral: duplicate keys and trailing
     * content refused, integers exact. */
    return text != NULL ? json_parse(text, len, 0, NULL) : NULL;
}

void vjson_free(struct cJSON *j)
{
    cJSON_Delete(j);
}

bool vjson_str(const struct cJSON *obj, const char *key, char *out, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(v) || v->valuestring == NULL) {
        return false;
    }
    size_t n = strlen(v->valuestring);
    if (n >= cap) {
        return false;
    }
    memcpy(out, v->valuestring, n + 1);
    return true;
}

/* An integral JSON number in [min, max]. */
bool vjson_int(const struct cJSON *obj, const char *key, int64_t min, int64_t max, int64_t *out)
{
    int64_t v = 0;
    if (!json_i64(json_get(obj, key), &v) || v < min || v > max) {
        return false;
    }
    *out = v;
    return true;
}

/* A hex string of exactly len bytes (either case). */
bool vjson_hex(const struct cJSON *obj, const char *key, uint8_t *out, size_t len)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    size_t got = 0;
    if (!cJSON_IsString(v) || v->valuestring == NULL || strlen(v->valuestring) != 2 * len) {
        return false;
    }
    return hex_decode(v->valuestring, 2 * len, out, len, &got) == DSTACK_OK && got == len;
}

const struct cJSON *vjson_get(const struct cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* tcbStatus and advisoryIDs (optional) of a TCB level. */
bool vjson_status(const struct cJSON *level, struct tcb_status *st)
{
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(level, "advisoryIDs");
    const cJSON *id = NULL;
    memset(st, 0, sizeof *st);
    if (!vjson_str(level, "tcbStatus", st->status, sizeof st->status)) {
        return false;
    }
    if (ids == NULL) {
        return true;
    }
    if (!cJSON_IsArray(ids)) {
        return false;
    }
    cJSON_ArrayForEach(id, ids)
    {
        if (!cJSON_IsString(id) || st->n == DSTACK_ADVISORIES_MAX ||
            strlen(id->valuestring) >= DSTACK_ADVISORY_ID_MAX) {
            return false;
        }
        memcpy(st->ids[st->n++], id->valuestring, strlen(id->valuestring) + 1);
    }
    return true;
}
