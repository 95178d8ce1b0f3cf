/* get_compose_hash with the JS SDK as the reference (docs/sdk.md;
 * docs/sdk.md): optional normalisation, sortObject + JSON.stringify, SHA-256. */
#include <dstack/helpers.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

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

/* JSON.parse reads a number literal beyond the double range (1e400, -1e400) as +-Infinity: the
 * SDK's replacer writes it as null, yet it is truthy for normalisation. jansson refuses such
 * literals, so they are rewritten to a marker string, random per call so that no input holds
 * it, which is truthy like Infinity, and which becomes null after normalisation. */
#define INF_MARKER_HEX 32
#define INF_MARKER_PREFIX "\\u0001dstack-infinity-"
#define INF_MARKER_SIZE (sizeof INF_MARKER_PREFIX + INF_MARKER_HEX)

/* Fills marker (INF_MARKER_SIZE bytes): in the JSON text it starts with the escape \u0001,
 * decoded with byte 0x01. Made only when a literal overflows: RAND_bytes cost more than the rest
 * of a typical compose hash's scan. */
static bool make_marker(char *marker)
{
    uint8_t nonce[INF_MARKER_HEX / 2];
    if (RAND_bytes(nonce, sizeof nonce) != 1) {
        return false;
    }
    memcpy(marker, INF_MARKER_PREFIX, sizeof INF_MARKER_PREFIX - 1);
    hex_encode(nonce, sizeof nonce, marker + sizeof INF_MARKER_PREFIX - 1);
    return true;
}

static bool number_char(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* *out is NULL when the text has no overflowing literal (nothing to rewrite); otherwise marker
 * ("" on entry) holds the marker written in its place. */
static dstack_err rewrite_infinities(const char *json, size_t len, char *marker, char **out,
                                     size_t *out_len)
{
    *out = NULL;
    struct strbuf b = {0};
    bool in_string = false, found = false;
    size_t copied = 0; /* json[0..copied) is in b */
    for (size_t i = 0; i < len; i++) {
        char c = json[i];
        if (in_string) {
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
            continue;
        }
        if (c != '-' && (c < '0' || c > '9')) {
            continue;
        }
        size_t end = i;
        while (end < len && number_char(json[end])) {
            end++;
        }
        /* Only a literal with an exponent can overflow a double under JSON's grammar (at most
         * ~1e308 needs 309 digits, read by strtod below as well: the short test is a filter). */
        bool overflow = false;
        if (end - i > 308 || memchr(json + i, 'e', end - i) != NULL ||
            memchr(json + i, 'E', end - i) != NULL) {
            char *tok = malloc(end - i + 1);
            if (tok == NULL) {
                strbuf_free(&b);
                return client_fail(DSTACK_ENOMEM, "out of memory");
            }
            memcpy(tok, json + i, end - i);
            tok[end - i] = '\0';
            errno = 0;
            char *stop = NULL;
            double v = strtod(tok, &stop);
            overflow = errno == ERANGE && isinf(v) && *stop == '\0';
            free(tok);
        }
        if (overflow) {
            if (marker[0] == '\0' && !make_marker(marker)) {
                strbuf_free(&b);
                return client_fail(DSTACK_ECRYPTO, "random bytes unavailable");
            }
            found = true;
            strbuf_append(&b, json + copied, i - copied);
            strbuf_append(&b, "\"", 1);
            strbuf_append(&b, marker, strlen(marker));
            strbuf_append(&b, "\"", 1);
            copied = end;
        }
        i = end - 1;
    }
    if (!found) {
        strbuf_free(&b);
        return DSTACK_OK;
    }
    strbuf_append(&b, json + copied, len - copied);
    if (b.failed || b.data == NULL) {
        strbuf_free(&b);
        return client_fail(DSTACK_ENOMEM, "out of memory");
    }
    *out = b.data;
    *out_len = b.len;
    return DSTACK_OK;
}

/* Replaces the marker strings by null, at any depth (jansson bounds the depth on parsing). */
static void infinities_to_null(json_t *v, const char *marker)
{
    if (json_is_object(v)) {
        const char *key;
        json_t *item;
        json_object_foreach(v, key, item)
        {
            if (json_is_string(item) && strcmp(json_string_value(item), marker) == 0) {
                json_object_set_new(v, key, json_null());
            } else {
                infinities_to_null(item, marker);
            }
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *item = json_array_get(v, i);
            if (json_is_string(item) && strcmp(json_string_value(item), marker) == 0) {
                json_array_set_new(v, i, json_null());
            } else {
                infinities_to_null(item, marker);
            }
        }
    }
}

dstack_err dstack_compose_canonical_json(const char *json, size_t len, bool normalize, char **out)
{
    client_clear_error();
    if (json == NULL || out == NULL) {
        return client_fail(DSTACK_EINVAL, "dstack_compose_canonical_json: NULL argument");
    }
    *out = NULL;
    char marker[INF_MARKER_SIZE] = "";
    char *rewritten = NULL;
    size_t rewritten_len = 0;
    dstack_err err = rewrite_infinities(json, len, marker, &rewritten, &rewritten_len);
    if (err != DSTACK_OK) {
        return err;
    }
    json_error_t jerr;
    /* Every JSON number is a double in JavaScript; reading integers as reals gives the same
     * rounding for integers beyond 2^53. */
    json_t *obj =
        rewritten != NULL
            ? json_loadb(rewritten, rewritten_len, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &jerr)
            : json_loadb(json, len, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &jerr);
    free(rewritten);
    if (obj == NULL) {
        return client_fail(DSTACK_EFORMAT, "app-compose is not valid JSON: %s (line %d)", jerr.text,
                           jerr.line);
    }
    if (!json_is_object(obj)) {
        json_decref(obj);
        return client_fail(DSTACK_EFORMAT, "app-compose must be a JSON object");
    }
    if (normalize) {
        normalize_compose(obj); /* the marker is a non-empty string: truthy, like Infinity */
    }
    if (rewritten_len > 0) {
        /* the decoded marker: byte 0x01 instead of the 6-character escape */
        char decoded[INF_MARKER_SIZE];
        decoded[0] = '\x01';
        memcpy(decoded + 1, marker + 6, strlen(marker + 6) + 1);
        infinities_to_null(obj, decoded);
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
