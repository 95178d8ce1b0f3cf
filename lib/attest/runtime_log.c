/* Codec for upstream's runtime_events.log lines (see runtime_log.h). */
#include "attest/runtime_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"

#include "attest/evlog_internal.h"
#include "util/base64.h"
#include "util/error.h"
#include "util/utf8.h"

dstack_err runtime_log_format_line(const char *name, const uint8_t *payload, size_t payload_len,
                                   unsigned version, char **line, size_t *line_len)
{
    dstack_err err = DSTACK_ENOMEM;
    char *b64 = NULL, *text = NULL;
    cJSON *o = NULL;

    *line = NULL;
    *line_len = 0;
    if (name == NULL || (payload == NULL && payload_len != 0) ||
        (version != DSTACK_EVENT_V1 && version != DSTACK_EVENT_V2) ||
        !utf8_valid(name, strlen(name))) {
        return DSTACK_EINVAL;
    }
    b64 = base64_encode_alloc(payload, payload_len, false);
    o = cJSON_CreateObject();
    if (b64 == NULL || o == NULL) {
        goto out;
    }
    /* Key order as serde serialises RuntimeEvent (runtime_events.rs:L29-38). */
    if (!json_set(o, "event", cJSON_CreateString(name)) ||
        !json_set(o, "payload", cJSON_CreateString(b64)) ||
        (version == DSTACK_EVENT_V2 && !json_set(o, "version", json_int_new(2)))) {
        goto out;
    }
    text = json_dump(o, 0, NULL);
    if (text == NULL) {
        goto out;
    }
    size_t n = strlen(text);
    char *l = realloc(text, n + 2);
    if (l == NULL) {
        goto out;
    }
    text = NULL;
    l[n] = '\n';
    l[n + 1] = '\0';
    *line = l;
    *line_len = n + 1;
    err = DSTACK_OK;
out:
    free(text);
    free(b64);
    json_free(o);
    return err;
}

static dstack_err parse_line(const char *s, size_t len, struct dstack_event *e)
{
    struct json_error jerr;
    dstack_err err = DSTACK_EFORMAT;
    cJSON *o = json_parse(s, len, 0, &jerr);
    const cJSON *ev, *pl, *ver;

    if (o == NULL || !cJSON_IsObject(o)) {
        goto out;
    }
    ev = json_get(o, "event");
    pl = json_get(o, "payload");
    ver = json_get(o, "version");
    if (!cJSON_IsString(ev) || !cJSON_IsString(pl) || strlen(json_str(ev)) != json_str_len(ev)) {
        goto out;
    }
    e->version = DSTACK_EVENT_V1;
    if (ver != NULL) {
        uint64_t n = 0;
        if (!json_u64(ver, &n) || (n != 1 && n != 2)) {
            goto out;
        }
        e->version = (unsigned)n;
    }
    err = base64_decode_alloc(json_str(pl), json_str_len(pl), &e->payload, &e->payload_len);
    if (err != DSTACK_OK) {
        goto out;
    }
    e->event = strdup(json_str(ev));
    if (e->event == NULL) {
        err = DSTACK_ENOMEM;
        goto out;
    }
    e->imr = 3;
    e->event_type = DSTACK_RUNTIME_EVENT_TYPE;
    err = dstack_runtime_event_digest(e->version, e->event, e->payload, e->payload_len, e->digest);
    e->has_digest = err == DSTACK_OK;
out:
    json_free(o);
    return err;
}

static bool blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') {
            return false;
        }
    }
    return true;
}

dstack_err runtime_log_parse(const char *text, size_t len, struct dstack_event_log *log,
                             size_t *valid_len)
{
    size_t start_count = log->count;
    size_t pos = 0, line_no = 0;
    dstack_err rc = DSTACK_OK;

    *valid_len = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t line_len = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
        line_no++;
        if (!blank(text + pos, line_len)) {
            struct dstack_event e = {0};
            rc = parse_line(text + pos, line_len, &e);
            if (rc == DSTACK_OK) {
                rc = evlog_push_owned(log, &e);
            }
            free(e.event);
            free(e.payload);
            free(e.preimage);
            if (rc != DSTACK_OK) {
                if (nl == NULL && rc == DSTACK_EFORMAT) {
                    rc = DSTACK_OK; /* torn last write: stop before it */
                    break;
                }
                (void)err_set(rc, "line %zu: %s", line_no,
                              rc == DSTACK_EFORMAT ? "not a runtime event entry"
                                                   : dstack_err_str(rc));
                goto fail;
            }
        }
        pos += line_len + (nl != NULL ? 1 : 0);
        *valid_len = pos;
    }
    return rc;
fail:
    while (log->count > start_count) {
        struct dstack_event *e = &log->events[--log->count];
        free(e->event);
        free(e->payload);
        free(e->preimage);
    }
    *valid_len = 0;
    return rc;
}
