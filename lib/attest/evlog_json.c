/* TdxEvent JSON in both directions (docs/wire.md). The key order
 * is serde's struct declaration order (dstack/cc-eventlog/src/tdx.rs:L35-66); `version` is
 * skipped when 1 and `preimage` when unset. Bytes are lowercase hex. */
#include <dstack/attest.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/evlog_internal.h"
#include "util/error.h"
#include "util/hex.h"

/* One TdxEvent object in upstream's key order (new reference, NULL on allocation failure). */
static cJSON *evlog_event_to_json(const struct dstack_event *e)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL) {
        return NULL;
    }
    /* json_set takes the value even on failure; a NULL value makes it fail. */
    bool bad = false;
    bad |= !json_set(o, "imr", json_int_new(e->imr));
    bad |= !json_set(o, "event_type", json_int_new(e->event_type));
    bad |= !json_set_hex(o, "digest", e->digest, e->has_digest ? DSTACK_SHA384_LEN : 0);
    bad |= !json_set(o, "event", cJSON_CreateString(e->event != NULL ? e->event : ""));
    bad |= !json_set_hex(o, "event_payload", e->payload, e->payload_len);
    if (e->version == DSTACK_EVENT_V2) {
        bad |= !json_set(o, "version", json_int_new(2));
    }
    if (e->has_preimage) {
        bad |= !json_set_hex(o, "preimage", e->preimage, e->preimage_len);
    }
    if (bad) {
        json_free(o);
        return NULL;
    }
    return o;
}

dstack_err evlog_to_json(const struct dstack_event_log *log, cJSON **out)
{
    cJSON *a = cJSON_CreateArray();
    if (a == NULL) {
        return err_set(DSTACK_ENOMEM, "event_log: out of memory");
    }
    for (size_t i = 0; i < log->count; i++) {
        if (!json_push(a, evlog_event_to_json(&log->events[i]))) {
            json_free(a);
            return err_set(DSTACK_ENOMEM, "event_log[%zu]: out of memory", i);
        }
    }
    *out = a;
    return DSTACK_OK;
}

dstack_err dstack_event_log_format(const struct dstack_event_log *log, unsigned flags, char **out)
{
    cJSON *a = NULL;
    if (log == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_event_log_format: NULL log or output");
    }
    *out = NULL;
    dstack_err err = evlog_to_json(log, &a);
    if (err != DSTACK_OK) {
        return err;
    }
    *out = json_dump(a, flags == DSTACK_EVLOG_JSON_PRETTY ? 2 : 0, NULL);
    json_free(a);
    return *out != NULL ? DSTACK_OK : err_set(DSTACK_ENOMEM, "event_log: out of memory");
}

/* Sets the error text for one bad element: "event_log[3].digest: invalid hex". */
static dstack_err bad_event(size_t index, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static dstack_err bad_event(size_t index, const char *field, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (field != NULL) {
        return err_set(DSTACK_EFORMAT, "event_log[%zu].%s: %s", index, field, msg);
    }
    return err_set(DSTACK_EFORMAT, "event_log[%zu]: %s", index, msg);
}

/* A JSON number that serde would accept as u32. */
static bool get_u32(const cJSON *v, uint32_t *out)
{
    if (!json_is_int(v)) {
        return false;
    }
    uint64_t n = 0;
    if (!json_u64(v, &n) || n > UINT32_MAX) {
        return false;
    }
    *out = (uint32_t)n;
    return true;
}

/* Hex into a malloc'd buffer; "" gives NULL/0. */
static bool get_hex(const cJSON *v, uint8_t **out, size_t *out_len)
{
    if (!cJSON_IsString(v)) {
        return false;
    }
    return hex_decode_alloc(json_str(v), json_str_len(v), out, out_len) == DSTACK_OK;
}

static dstack_err event_from_json(const cJSON *o, size_t i, struct dstack_event *e)
{
    const cJSON *v;
    uint8_t *digest = NULL;
    size_t digest_len = 0;

    if (!cJSON_IsObject(o)) {
        return bad_event(i, NULL, "expected an object");
    }
    if ((v = json_get(o, "imr")) == NULL) {
        return bad_event(i, "imr", "missing");
    }
    if (!get_u32(v, &e->imr)) {
        return bad_event(i, "imr", "expected an integer in 0..4294967295");
    }
    if ((v = json_get(o, "event_type")) == NULL) {
        return bad_event(i, "event_type", "missing");
    }
    if (!get_u32(v, &e->event_type)) {
        return bad_event(i, "event_type", "expected an integer in 0..4294967295");
    }
    /* digest is #[serde(default)]: absent means empty. */
    if ((v = json_get(o, "digest")) != NULL) {
        if (!cJSON_IsString(v)) {
            return bad_event(i, "digest", "expected a hex string");
        }
        if (!get_hex(v, &digest, &digest_len)) {
            return bad_event(i, "digest", "invalid hex");
        }
        if (digest_len != 0 && digest_len != DSTACK_SHA384_LEN) {
            free(digest);
            return bad_event(i, "digest", "expected 48 bytes (SHA-384), got %zu", digest_len);
        }
        if (digest_len != 0) {
            memcpy(e->digest, digest, DSTACK_SHA384_LEN);
            e->has_digest = true;
        }
        free(digest);
    }
    if ((v = json_get(o, "event")) == NULL) {
        return bad_event(i, "event", "missing");
    }
    if (!cJSON_IsString(v)) {
        return bad_event(i, "event", "expected a string");
    }
    /* json_parse guarantees UTF-8 and refuses \u0000; a tree built otherwise may carry one. */
    if (strlen(json_str(v)) != json_str_len(v)) {
        return bad_event(i, "event", "contains a NUL character");
    }
    e->event = strdup(json_str(v));
    if (e->event == NULL) {
        return err_set(DSTACK_ENOMEM, "event_log[%zu].event: out of memory", i);
    }
    if ((v = json_get(o, "event_payload")) == NULL) {
        return bad_event(i, "event_payload", "missing");
    }
    if (!cJSON_IsString(v)) {
        return bad_event(i, "event_payload", "expected a hex string");
    }
    if (!get_hex(v, &e->payload, &e->payload_len)) {
        return bad_event(i, "event_payload", "invalid hex");
    }
    e->version = DSTACK_EVENT_V1;
    if ((v = json_get(o, "version")) != NULL) {
        uint32_t ver = 0;
        if (!get_u32(v, &ver) || (ver != DSTACK_EVENT_V1 && ver != DSTACK_EVENT_V2)) {
            return bad_event(i, "version", "unknown event log version (expected 1 or 2)");
        }
        e->version = ver;
    }
    /* preimage is Option<String>: null means None. */
    if ((v = json_get(o, "preimage")) != NULL && !cJSON_IsNull(v)) {
        if (!cJSON_IsString(v)) {
            return bad_event(i, "preimage", "expected a hex string");
        }
        if (!get_hex(v, &e->preimage, &e->preimage_len)) {
            return bad_event(i, "preimage", "invalid hex");
        }
        e->has_preimage = true;
    }
    return DSTACK_OK;
}

static void event_free(struct dstack_event *e)
{
    free(e->event);
    free(e->payload);
    free(e->preimage);
    memset(e, 0, sizeof *e);
}

/* Appends the events of a JSON array to *out, checking every field (see dstack_event_log_parse).
 * On failure *out is unchanged and the error text (util/error.h) names the element. */
static dstack_err evlog_from_json(const cJSON *array, struct dstack_event_log *out)
{
    struct dstack_event_log tmp;
    dstack_err rc = DSTACK_OK;

    if (!cJSON_IsArray(array)) {
        return err_set(DSTACK_EFORMAT, "event_log: expected a JSON array");
    }
    if ((size_t)cJSON_GetArraySize(array) > DSTACK_EVENT_LOG_MAX_EVENTS) {
        return err_set(DSTACK_EFORMAT, "event_log: more than %u events",
                       DSTACK_EVENT_LOG_MAX_EVENTS);
    }
    dstack_event_log_init(&tmp);
    const cJSON *item = array->child;
    for (size_t i = 0; item != NULL; i++, item = item->next) {
        struct dstack_event e = {0};
        rc = event_from_json(item, i, &e);
        if (rc == DSTACK_OK && (rc = evlog_push_owned(&tmp, &e)) != DSTACK_OK) {
            (void)err_set(rc, "event_log[%zu]: %s", i, dstack_err_str(rc));
        }
        event_free(&e);
        if (rc != DSTACK_OK) {
            dstack_event_log_free(&tmp);
            return rc;
        }
    }
    /* Append tmp to out (out may already hold events, e.g. boot events before runtime ones). */
    for (size_t i = 0; i < tmp.count; i++) {
        rc = evlog_push_owned(out, &tmp.events[i]);
        if (rc != DSTACK_OK) {
            (void)err_set(rc, "event_log: %s", dstack_err_str(rc));
            /* Roll back what was moved so far. */
            for (size_t k = 0; k < i; k++) {
                out->count--;
                event_free(&out->events[out->count]);
            }
            break;
        }
    }
    dstack_event_log_free(&tmp);
    return rc;
}

dstack_err dstack_event_log_parse(const char *json, size_t len, struct dstack_event_log *out)
{
    struct json_error jerr;
    if (json == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "event_log: no text or no output log");
    }
    dstack_event_log_init(out);
    cJSON *root = json_parse(json, len, 0, &jerr);
    if (root == NULL) {
        return err_set(DSTACK_EFORMAT, "event_log: invalid JSON at line %d column %d: %s",
                       jerr.line, jerr.column, jerr.text);
    }
    dstack_err rc = evlog_from_json(root, out);
    json_free(root);
    return rc;
}
