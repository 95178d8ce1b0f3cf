/* get_compose_hash with the JS SDK as the reference (docs/sdk.md;
 * docs/sdk.md): optional normalisation, sortObject + JSON.stringify, SHA-256. */
#include <dstack/helpers.h>

#include <stdlib.h>
#include <string.h>

#include "client/client_internal.h"
#include "helpers/js_json.h"
#include "crypto/hash.h"
#include "util/hex.h"

/* JavaScript falsiness of a JSON value: "", 0, -0, false, null (NaN cannot come from JSON). */
static bool js_falsy(const cJSON *v)
{
    if (cJSON_IsNull(v) || cJSON_IsFalse(v)) {
        return true;
    }
    if (cJSON_IsString(v)) {
        return json_str_len(v) == 0;
    }
    return cJSON_IsNumber(v) && v->valuedouble == 0;
}

/* preprocessAppCompose (get-compose-hash.ts:91-101): top level only. */
static void normalize_compose(cJSON *obj)
{
    const cJSON *runner = json_get(obj, "runner");
    if (json_str_eq(runner, "bash")) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "docker_compose_file");
    } else if (json_str_eq(runner, "docker-compose") || json_str_eq(runner, "nerdctl-compose")) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "bash_script");
    }
    const cJSON *pre = json_get(obj, "pre_launch_script");
    if (pre != NULL && js_falsy(pre)) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "pre_launch_script");
    }
}

dstack_err dstack_compose_canonical_json(const char *json, size_t len, bool normalize, char **out)
{
    err_clear();
    if (json == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_compose_canonical_json: NULL argument");
    }
    *out = NULL;
    /* JSON.parse's reading: a repeated key keeps its last value at its first place, U+0000 is a
     * character like any other, 1e400 is Infinity (truthy; the SDK's replacer writes null). */
    struct json_error jerr;
    cJSON *obj = json_parse(json, len, JSON_PARSE_JS, &jerr);
    if (obj == NULL) {
        return err_set(DSTACK_EFORMAT, "app-compose is not valid JSON: %s (line %d)", jerr.text,
                       jerr.line);
    }
    if (!cJSON_IsObject(obj)) {
        json_free(obj);
        return err_set(DSTACK_EFORMAT, "app-compose must be a JSON object");
    }
    if (normalize) {
        normalize_compose(obj);
    }
    struct strbuf b = {0};
    bool ok = js_json_dump(&b, obj, true);
    json_free(obj);
    if (!ok) {
        strbuf_free(&b);
        return err_set(DSTACK_EFORMAT, "app-compose nests deeper than %d levels",
                       JS_JSON_MAX_DEPTH);
    }
    if (b.failed || b.data == NULL) {
        strbuf_free(&b);
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    *out = b.data;
    return DSTACK_OK;
}

dstack_err dstack_compose_hash(const char *json, size_t len, bool normalize,
                               char out[DSTACK_COMPOSE_HASH_HEX_LEN + 1])
{
    char *canon = NULL;
    if (out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_compose_hash: NULL argument");
    }
    dstack_err err = dstack_compose_canonical_json(json, len, normalize, &canon);
    if (err != DSTACK_OK) {
        return err;
    }
    uint8_t digest[DSTACK_SHA256_LEN];
    err = hash_sha256(canon, strlen(canon), digest);
    free(canon);
    if (err != DSTACK_OK) {
        return err_set(err, "SHA-256 failed");
    }
    hex_encode(digest, sizeof digest, out);
    return DSTACK_OK;
}
