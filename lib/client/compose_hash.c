/* get_compose_hash with the JS SDK as the reference (sdk-and-sidecar.md §5.1, §9.9;
 * crypto.md §8): optional normalisation, sortObject + JSON.stringify, SHA-256. */
#include <dstack/helpers.h>

#include <string.h>

#include "client/client_internal.h"
#include "client/js_json.h"
#include "crypto/hash.h"
#include "util/hex.h"

/* JavaScript falsiness of a JSON value: "", 0, -0, false, null (NaN cannot come from JSON). */
static bool js_falsy(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
    case JSON_FALSE:
        return true;
    case JSON_STRING:
        return json_string_length(v) == 0;
    case JSON_INTEGER:
        return json_integer_value(v) == 0;
    case JSON_REAL:
        return json_real_value(v) == 0;
    default:
        return false;
    }
}

static bool runner_is(const json_t *obj, const char *name)
{
    const json_t *r = json_object_get(obj, "runner");
    return json_is_string(r) && strcmp(json_string_value(r), name) == 0 &&
           json_string_length(r) == strlen(name);
}

/* preprocessAppCompose (get-compose-hash.ts:91-101): top level only. */
static void normalize_compose(json_t *obj)
{
    if (runner_is(obj, "bash")) {
        json_object_del(obj, "docker_compose_file");
    } else if (runner_is(obj, "docker-compose") || runner_is(obj, "nerdctl-compose")) {
        json_object_del(obj, "bash_script");
    }
    const json_t *pre = json_object_get(obj, "pre_launch_script");
    if (pre != NULL && js_falsy(pre)) {
        json_object_del(obj, "pre_launch_script");
    }
}

dstack_err dstack_compose_canonical_json(const char *json, size_t len, bool normalize, char **out)
{
    client_clear_error();
    if (json == NULL || out == NULL) {
        return client_fail(DSTACK_EINVAL, "dstack_compose_canonical_json: NULL argument");
    }
    *out = NULL;
    json_error_t jerr;
    /* Every JSON number is a double in JavaScript; reading integers as reals gives the same
     * rounding for integers beyond 2^53. */
    json_t *obj = json_loadb(json, len, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &jerr);
    if (obj == NULL) {
        return client_fail(DSTACK_EFORMAT, "app-compose is not valid JSON: %s (line %d)", jerr.text,
                           jerr.line);
    }
    if (!json_is_object(obj)) {
        json_decref(obj);
        return client_fail(DSTACK_EFORMAT, "app-compose must be a JSON object");
    }
    if (normalize) {
        normalize_compose(obj);
    }
    struct strbuf b = {0};
    bool ok = js_json_dump(&b, obj, true);
    json_decref(obj);
    if (!ok) {
        strbuf_free(&b);
        return client_fail(DSTACK_EFORMAT, "app-compose nests deeper than %d levels",
                           JS_JSON_MAX_DEPTH);
    }
    if (b.failed || b.data == NULL) {
        strbuf_free(&b);
        return client_fail(DSTACK_ENOMEM, "out of memory");
    }
    *out = b.data;
    return DSTACK_OK;
}

dstack_err dstack_compose_hash(const char *json, size_t len, bool normalize,
                               char out[DSTACK_COMPOSE_HASH_HEX_LEN + 1])
{
    char *canon = NULL;
    dstack_err err = dstack_compose_canonical_json(json, len, normalize, &canon);
    if (err != DSTACK_OK) {
        return err;
    }
    uint8_t digest[DSTACK_SHA256_LEN];
    err = hash_sha256(canon, strlen(canon), digest);
    free(canon);
    if (err != DSTACK_OK) {
        return client_fail(err, "SHA-256 failed");
    }
    hex_encode(digest, sizeof digest, out);
    return DSTACK_OK;
}
