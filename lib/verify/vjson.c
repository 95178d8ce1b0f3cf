/* The one place lib/verify hands text to the JSON parser (cJSON), so the parse can be routed
 * through the project's strict wrapper in one edit. Trailing text after the value is refused. */
#include "dcap.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "util/hex.h"

struct cJSON *vjson_parse(const char *text, size_t len)
{
    const char *end = NULL;
    if (text == NULL) {
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (j == NULL) {
        return NULL;
    }
    while (end < text + len && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t')) {
        end++;
    }
    if (end != text + len) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
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
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v)) {
        return false;
    }
    double d = v->valuedouble;
    if (!(d >= (double)min && d <= (double)max) || d != (double)(int64_t)d) {
        return false;
    }
    *out = (int64_t)d;
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
