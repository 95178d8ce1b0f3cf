/* Event-log storage, runtime-event digests and RTMR replay (docs/attestation.md,
 * docs/api/EmitEvent.md). JSON lives in evlog_json.c, app-info helpers in appinfo.c. */
#include <dstack/attest.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "attest/evlog_internal.h"
#include "util/hex.h"
#include "util/utf8.h"
#include "util/error.h"

void dstack_event_log_init(struct dstack_event_log *log)
{
    log->events = NULL;
    log->count = 0;
    log->cap = 0;
}

static void event_clear(struct dstack_event *e)
{
    free(e->event);
    free(e->payload);
    free(e->preimage);
    memset(e, 0, sizeof *e);
}

void dstack_event_log_free(struct dstack_event_log *log)
{
    if (log == NULL) {
        return;
    }
    for (size_t i = 0; i < log->count; i++) {
        event_clear(&log->events[i]);
    }
    free(log->events);
    dstack_event_log_init(log);
}

static dstack_err log_reserve(struct dstack_event_log *log)
{
    if (log->count < log->cap) {
        return DSTACK_OK;
    }
    if (log->cap >= DSTACK_EVENT_LOG_MAX_EVENTS) {
        return err_set(DSTACK_EINVAL, "event log: more than %u events",
                       DSTACK_EVENT_LOG_MAX_EVENTS);
    }
    size_t cap = log->cap == 0 ? 32 : 2 * log->cap;
    if (cap > DSTACK_EVENT_LOG_MAX_EVENTS) {
        cap = DSTACK_EVENT_LOG_MAX_EVENTS;
    }
    struct dstack_event *ev = realloc(log->events, cap * sizeof *ev);
    if (ev == NULL) {
        return err_set(DSTACK_ENOMEM, "out of memory");
    }
    log->events = ev;
    log->cap = cap;
    return DSTACK_OK;
}

static uint8_t *dup_bytes(const uint8_t *b, size_t len)
{
    if (len == 0) {
        return NULL;
    }
    uint8_t *out = malloc(len);
    if (out != NULL) {
        memcpy(out, b, len);
    }
    return out;
}

dstack_err evlog_push_owned(struct dstack_event_log *log, struct dstack_event *e)
{
    dstack_err err = log_reserve(log);
    if (err != DSTACK_OK) {
        return err;
    }
    log->events[log->count++] = *e;
    memset(e, 0, sizeof *e);
    return DSTACK_OK;
}

dstack_err dstack_event_log_push(struct dstack_event_log *log, uint32_t imr, uint32_t event_type,
                                 const uint8_t *digest, const char *name, const uint8_t *payload,
                                 size_t payload_len, unsigned version)
{
    struct dstack_event e = {0};
    dstack_err err = DSTACK_OK;

    if (log == NULL || name == NULL || (payload == NULL && payload_len != 0) ||
        (version != DSTACK_EVENT_V1 && version != DSTACK_EVENT_V2) ||
        !utf8_valid(name, strlen(name))) {
        return err_set(DSTACK_EINVAL, "event: missing log or name, bad version, or a name that is "
                                      "not UTF-8");
    }
    e.imr = imr;
    e.event_type = event_type;
    e.version = version;
    if (digest != NULL) {
        e.has_digest = true;
        memcpy(e.digest, digest, sizeof e.digest);
    }
    e.event = strdup(name);
    e.payload = dup_bytes(payload, payload_len);
    e.payload_len = payload_len;
    if (e.event == NULL || (payload_len != 0 && e.payload == NULL)) {
        err =
            err_set(DSTACK_ENOMEM, "event: out of memory copying a %zu-byte payload", payload_len);
        goto out;
    }
    err = evlog_push_owned(log, &e);
out:
    event_clear(&e);
    return err;
}

dstack_err dstack_event_log_push_runtime(struct dstack_event_log *log, const char *name,
                                         const uint8_t *payload, size_t payload_len,
                                         unsigned version)
{
    uint8_t digest[DSTACK_SHA384_LEN];
    dstack_err err = dstack_runtime_event_digest(version, name, payload, payload_len, digest);
    if (err != DSTACK_OK) {
        return err;
    }
    return dstack_event_log_push(log, 3, DSTACK_RUNTIME_EVENT_TYPE, digest, name, payload,
                                 payload_len, version);
}

/* RFC 8785 §3.2.2.2 string escaping (what serde_jcs emits): the two-character escapes for
 * \b \f \n \r \t " \\, \u00xx with lowercase hex for other C0 controls, everything else raw.
 * Writes into out when out != NULL; returns the length either way. */
static size_t jcs_string(const char *s, char *out)
{
    static const char hexd[] = "0123456789abcdef";
    size_t n = 0;
#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (out != NULL) {                                                                         \
            out[n] = (char)(ch);                                                                   \
        }                                                                                          \
        n++;                                                                                       \
    } while (0)
    PUT('"');
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        unsigned char c = *p;
        char esc = 0;
        switch (c) {
        case '\b':
            esc = 'b';
            break;
        case '\f':
            esc = 'f';
            break;
        case '\n':
            esc = 'n';
            break;
        case '\r':
            esc = 'r';
            break;
        case '\t':
            esc = 't';
            break;
        case '"':
            esc = '"';
            break;
        case '\\':
            esc = '\\';
            break;
        default:
            break;
        }
        if (esc != 0) {
            PUT('\\');
            PUT(esc);
        } else if (c < 0x20) {
            PUT('\\');
            PUT('u');
            PUT('0');
            PUT('0');
            PUT(hexd[c >> 4]);
            PUT(hexd[c & 0x0f]);
        } else {
            PUT(c);
        }
    }
    PUT('"');
#undef PUT
    return n;
}

dstack_err dstack_runtime_event_preimage(unsigned version, const char *name, const uint8_t *payload,
                                         size_t payload_len, uint8_t **out, size_t *out_len)
{
    static const uint8_t type_le[4] = {0x01, 0x00, 0x00, 0x08}; /* le32(0x08000001) */
    static const char v2_head[] = "{\"name\":";
    static const char v2_mid[] = ",\"payload\":\"";
    static const char v2_tail[] = "\",\"type\":134217729}";

    if (name == NULL || out == NULL || out_len == NULL || (payload == NULL && payload_len != 0)) {
        return err_set(DSTACK_EINVAL, "runtime event: missing name, payload or output");
    }
    size_t name_len = strlen(name);
    if (!utf8_valid(name, name_len)) {
        return err_set(DSTACK_EINVAL, "runtime event: the name is not UTF-8");
    }
    *out = NULL;
    *out_len = 0;
    if (version == DSTACK_EVENT_V1) {
        /* runtime_events.rs:L128-138 */
        if (payload_len > SIZE_MAX - 6 - name_len) {
            return err_set(DSTACK_EINVAL,
                           "runtime event: a %zu-byte payload overflows the pre-image length",
                           payload_len);
        }
        size_t len = sizeof type_le + 1 + name_len + 1 + payload_len;
        uint8_t *buf = malloc(len);
        if (buf == NULL) {
            return err_set(DSTACK_ENOMEM, "runtime event: out of memory for a %zu-byte pre-image",
                           len);
        }
        uint8_t *p = buf;
        memcpy(p, type_le, sizeof type_le);
        p += sizeof type_le;
        *p++ = ':';
        memcpy(p, name, name_len);
        p += name_len;
        *p++ = ':';
        if (payload_len != 0) {
            memcpy(p, payload, payload_len);
        }
        *out = buf;
        *out_len = len;
        return DSTACK_OK;
    }
    if (version != DSTACK_EVENT_V2) {
        return err_set(DSTACK_EINVAL, "runtime event: version %u is not 1 or 2", version);
    }
    /* runtime_events.rs:L150-162: JCS sorts the keys name < payload < type. */
    size_t name_json = jcs_string(name, NULL);
    if (payload_len > (SIZE_MAX / 2) - 64 - name_json) {
        return err_set(DSTACK_EINVAL,
                       "runtime event: a %zu-byte payload overflows the pre-image length",
                       payload_len);
    }
    size_t len = (sizeof v2_head - 1) + name_json + (sizeof v2_mid - 1) + 2 * payload_len +
                 (sizeof v2_tail - 1);
    char *buf = malloc(len + 1);
    if (buf == NULL) {
        return err_set(DSTACK_ENOMEM, "runtime event: out of memory for a %zu-byte pre-image", len);
    }
    char *p = buf;
    memcpy(p, v2_head, sizeof v2_head - 1);
    p += sizeof v2_head - 1;
    p += jcs_string(name, p);
    memcpy(p, v2_mid, sizeof v2_mid - 1);
    p += sizeof v2_mid - 1;
    hex_encode(payload, payload_len, p);
    p += 2 * payload_len;
    memcpy(p, v2_tail, sizeof v2_tail); /* with the NUL, not counted */
    *out = (uint8_t *)buf;
    *out_len = len;
    return DSTACK_OK;
}

dstack_err evlog_sha384(const void *data, size_t len, uint8_t out[DSTACK_SHA384_LEN])
{
    unsigned int olen = 0;
    if (EVP_Digest(data, len, out, &olen, EVP_sha384(), NULL) != 1 || olen != DSTACK_SHA384_LEN) {
        return err_set(DSTACK_ECRYPTO, "SHA-384 failed (OpenSSL)");
    }
    return DSTACK_OK;
}

dstack_err evlog_sha256(const void *data, size_t len, uint8_t out[DSTACK_SHA256_LEN])
{
    unsigned int olen = 0;
    if (EVP_Digest(data, len, out, &olen, EVP_sha256(), NULL) != 1 || olen != DSTACK_SHA256_LEN) {
        return err_set(DSTACK_ECRYPTO, "SHA-256 failed (OpenSSL)");
    }
    return DSTACK_OK;
}

dstack_err dstack_runtime_event_digest(unsigned version, const char *name, const uint8_t *payload,
                                       size_t payload_len, uint8_t out[DSTACK_SHA384_LEN])
{
    uint8_t *pre = NULL;
    size_t pre_len = 0;
    dstack_err err =
        dstack_runtime_event_preimage(version, name, payload, payload_len, &pre, &pre_len);
    if (err == DSTACK_OK) {
        err = evlog_sha384(pre, pre_len, out);
    }
    free(pre);
    return err;
}

dstack_err dstack_event_digest(const struct dstack_event *e, uint8_t out[DSTACK_SHA384_LEN])
{
    if (e == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_event_digest: NULL event or output");
    }
    if (e->event_type == DSTACK_RUNTIME_EVENT_TYPE) {
        return dstack_runtime_event_digest(e->version, e->event, e->payload, e->payload_len, out);
    }
    if (!e->has_digest) {
        return err_set(DSTACK_EFORMAT, "event \"%.64s\" (imr %u) has no digest",
                       e->event != NULL ? e->event : "", e->imr);
    }
    memcpy(out, e->digest, DSTACK_SHA384_LEN);
    return DSTACK_OK;
}

void dstack_rtmr_extend(uint8_t mr[DSTACK_MR_LEN], const uint8_t digest[DSTACK_SHA384_LEN])
{
    uint8_t buf[2 * DSTACK_MR_LEN];
    memcpy(buf, mr, DSTACK_MR_LEN);
    memcpy(buf + DSTACK_MR_LEN, digest, DSTACK_SHA384_LEN);
    /* SHA-384 of 96 bytes in memory cannot fail short of a broken OpenSSL build. */
    (void)evlog_sha384(buf, sizeof buf, mr);
}

dstack_err dstack_replay_rtmrs(const struct dstack_event_log *log,
                               uint8_t rtmr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN])
{
    uint8_t mr[DSTACK_RTMR_COUNT][DSTACK_MR_LEN];
    if (log == NULL || rtmr == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_replay_rtmrs: NULL log or output");
    }
    memset(mr, 0, sizeof mr);
    for (size_t i = 0; i < log->count; i++) {
        const struct dstack_event *e = &log->events[i];
        uint8_t d[DSTACK_SHA384_LEN];
        if (e->imr >= DSTACK_RTMR_COUNT) {
            return err_set(DSTACK_EFORMAT, "event %zu: imr %u is not an RTMR (0..3)", i, e->imr);
        }
        dstack_err err = dstack_event_digest(e, d);
        if (err != DSTACK_OK) {
            return err;
        }
        dstack_rtmr_extend(mr[e->imr], d);
    }
    memcpy(rtmr, mr, sizeof mr);
    return DSTACK_OK;
}

dstack_err dstack_event_log_fill_v2_preimages(struct dstack_event_log *log)
{
    if (log == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_event_log_fill_v2_preimages: NULL log");
    }
    for (size_t i = 0; i < log->count; i++) {
        struct dstack_event *e = &log->events[i];
        if (e->event_type != DSTACK_RUNTIME_EVENT_TYPE || e->version != DSTACK_EVENT_V2 ||
            e->has_preimage) {
            continue;
        }
        dstack_err err = dstack_runtime_event_preimage(
            e->version, e->event, e->payload, e->payload_len, &e->preimage, &e->preimage_len);
        if (err != DSTACK_OK) {
            return err;
        }
        e->has_preimage = true;
    }
    return DSTACK_OK;
}
