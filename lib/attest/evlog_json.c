/* TdxEvent JSON in both directions (docs/wire.md). The key order
 * is serde's struct declaration order (dstack/cc-eventlog/src/tdx.rs:L35-66); `version` is
 * skipped when 1 and `preimage` when unset. Bytes are lowercase hex. */
#include <dstack/attest.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/evlog_internal.h"
#include "util/hex.h"

static json_t *hex_json(const uint8_t *b, size_t len)
{
    char *h = hex_encode_alloc(b, len);
    if (h == NULL) {
        return NULL;
    }
    json_t *s = json_stringn(h, 2 * len);
    free(h);
    return s;
}

json_t *evlog_event_to_json(const struct dstack_event *e)
{
    json_t *o = json_object();
    if (o == NULL) {
        return NULL;
    }
    /* json_object_set_new steals the value even on failure; a NULL value makes it fail. */
    int bad = 0;
    bad |= json_object_set_new(o, "imr", json_integer(e->imr));
    bad |= json_object_set_new(o, "event_type", json_integer(e->event_type));
    bad |= json_object_set_new(o, "digest",
                               hex_json(e->digest, e->has_digest ? DSTACK_SHA384_LEN : 0));
    bad |= json_object_set_new(o, "event", json_string(e->event != NULL ? e->event : ""));
    bad |= json_object_set_new(o, "event_payload", hex_json(e->payload, e->payload_len));
    if (e->version == DSTACK_EVENT_V2) {
        bad |= json_object_set_new(o, "version", json_integer(2));
    }
    if (e->has_preimage) {
        bad |= json_object_set_new(o, "preimage", hex_json(e->preimage, e->preimage_len));
    }
    if (bad != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

dstack_err evlog_to_json(const struct dstack_event_log *log, json_t **out)
{
    json_t *a = json_array();
    if (a == NULL) {
        return DSTACK_ENOMEM;
    }
    for (size_t i = 0; i < log->count; i++) {
        if (json_array_append_new(a, evlog_event_to_json(&log->events[i])) != 0) {
            json_decref(a);
            return DSTACK_ENOMEM;
        }
    }
    *out = a;
    return DSTACK_OK;
}

dstack_err dstack_event_log_format(const struct dstack_event_log *log, unsigned flags, char **out)
{
    json_t *a = NULL;
    dstack_err err = evlog_to_json(log, &a);
    if (err != DSTACK_OK) {
        return err;
    }
    size_t jflags = flags == DSTACK_EVLOG_JSON_PRETTY ? JSON_INDENT(2) : JSON_COMPACT;
    *out = json_dumps(a, jflags);
    json_decref(a);
    return *out != NULL ? DSTACK_OK : DSTACK_ENOMEM;
}

static dstack_err fail(char *err, size_t cap, size_t index, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static dstack_err fail(char *err, size_t cap, size_t index, const char *field, const char *fmt, ...)
{
    if (err != NULL && cap > 0) {
        char msg[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (field != NULL) {
            snprintf(err, cap, "event_log[%zu].%s: %s", index, field, msg);
        } else {
            snprintf(err, cap, "event_log[%zu]: %s", index, msg);
        }
    }
    return DSTACK_EFORMAT;
}

/* A JSON number that serde would accept as u32. */
static bool get_u32(const json_t *v, uint32_t *out)
{
    if (!json_is_integer(v)) {
        return false;
    }
    json_int_t n = json_integer_value(v);
    if (n < 0 || n > (json_int_t)UINT32_MAX) {
        return false;
    }
    *out = (uint32_t)n;
    return true;
}

/* Hex into a malloc'd buffer; "" gives NULL/0. */
static bool get_hex(const json_t *v, uint8_t **out, size_t *out_len)
{
    if (!json_is_string(v)) {
        return false;
    }
    return hex_decode_alloc(json_string_value(v), json_string_length(v), out, out_len) == DSTACK_OK;
}

static dstack_err event_from_json(const json_t *o, size_t i, struct dstack_event *e, char *err,
                                  size_t cap)
{
    const json_t *v;
    uint8_t *digest = NULL;
    size_t digest_len = 0;

    if (!json_is_object(o)) {
        return fail(err, cap, i, NULL, "expected an object");
    }
    if ((v = json_object_get(o, "imr")) == NULL) {
        return fail(err, cap, i, "imr", "missing");
    }
    if (!get_u32(v, &e->imr)) {
        return fail(err, cap, i, "imr", "expected an integer in 0..4294967295");
    }
    if ((v = json_object_get(o, "event_type")) == NULL) {
        return fail(err, cap, i, "event_type", "missing");
    }
    if (!get_u32(v, &e->event_type)) {
        return fail(err, cap, i, "event_type", "expected an integer in 0..4294967295");
    }
    /* digest is #[serde(default)]: absent means empty. */
    if ((v = json_object_get(o, "digest")) != NULL) {
        if (!json_is_string(v)) {
            return fail(err, cap, i, "digest", "expected a hex string");
        }
        if (!get_hex(v, &digest, &digest_len)) {
            return fail(err, cap, i, "digest", "invalid hex");
        }
        if (digest_len != 0 && digest_len != DSTACK_SHA384_LEN) {
            free(digest);
            return fail(err, cap, i, "digest", "expected 48 bytes (SHA-384), got %zu", digest_len);
        }
        if (digest_len != 0) {
            memcpy(e->digest, digest, DSTACK_SHA384_LEN);
            e->has_digest = true;
        }
        free(digest);
    }
    if ((v = json_object_get(o, "event")) == NULL) {
        return fail(err, cap, i, "event", "missing");
    }
    if (!json_is_string(v)) {
        return fail(err, cap, i, "event", "expected a string");
    }
    /* jansson guarantees UTF-8; a \u0000 would truncate the C string, so refuse it. */
    if (strlen(json_string_value(v)) != json_string_length(v)) {
        return fail(err, cap, i, "event", "contains a NUL character");
    }
    e->event = strdup(json_string_value(v));
    if (e->event == NULL) {
        return DSTACK_ENOMEM;
    }
    if ((v = json_object_get(o, "event_payload")) == NULL) {
        return fail(err, cap, i, "event_payload", "missing");
    }
    if (!json_is_string(v)) {
        return fail(err, cap, i, "event_payload", "expected a hex string");
    }
    if (!get_hex(v, &e->payload, &e->payload_len)) {
        return fail(err, cap, i, "event_payload", "invalid hex");
    }
    e->version = DSTACK_EVENT_V1;
    if ((v = json_object_get(o, "version")) != NULL) {
        uint32_t ver = 0;
        if (!get_u32(v, &ver) || (ver != DSTACK_EVENT_V1 && ver != DSTACK_EVENT_V2)) {
            return fail(err, cap, i, "version", "unknown event log version (expected 1 or 2)");
        }
        e->version = ver;
    }
    /* preimage is Option<String>: null means None. */
    if ((v = json_object_get(o, "preimage")) != NULL && !json_is_null(v)) {
        if (!json_is_string(v)) {
            return fail(err, cap, i, "preimage", "expected a hex string");
        }
        if (!get_hex(v, &e->preimage, &e->preimage_len)) {
            return fail(err, cap, i, "preimage", "invalid hex");
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

dstack_err evlog_from_json(const json_t *array, struct dstack_event_log *out, char *err,
                           size_t err_cap)
{
    struct dstack_event_log tmp;
    dstack_err rc = DSTACK_OK;

    if (!json_is_array(array)) {
        if (err != NULL && err_cap > 0) {
            snprintf(err, err_cap, "event_log: expected a JSON array");
        }
        return DSTACK_EFORMAT;
    }
    if (json_array_size(array) > DSTACK_EVENT_LOG_MAX_EVENTS) {
        if (err != NULL && err_cap > 0) {
            snprintf(err, err_cap, "event_log: more than %u events", DSTACK_EVENT_LOG_MAX_EVENTS);
        }
        return DSTACK_EFORMAT;
    }
    dstack_event_log_init(&tmp);
    for (size_t i = 0; i < json_array_size(array); i++) {
        struct dstack_event e = {0};
        rc = event_from_json(json_array_get(array, i), i, &e, err, err_cap);
        if (rc == DSTACK_OK) {
            rc = evlog_push_owned(&tmp, &e);
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

dstack_err dstack_event_log_parse(const char *json, size_t len, struct dstack_event_log *out,
                                  char *err, size_t err_cap)
{
    json_error_t jerr;
    if (json == NULL || out == NULL) {
        return DSTACK_EINVAL;
    }
    dstack_event_log_init(out);
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        if (err != NULL && err_cap > 0) {
            snprintf(err, err_cap, "event_log: invalid JSON at line %d column %d: %s", jerr.line,
                     jerr.column, jerr.text);
        }
        return DSTACK_EFORMAT;
    }
    dstack_err rc = evlog_from_json(root, out, err, err_cap);
    json_decref(root);
    return rc;
}
