/* VersionedAttestation V0 (SCALE) codec; see versioned.h and docs/wire.md. */
#include "attest/versioned.h"

#include <stdlib.h>
#include <string.h>

#include <dstack/attest.h>
#include <dstack/quote.h>

#include "attest/scale.h"
#include "util/error.h"
#include "util/hex.h"
#include "util/utf8.h"

static const uint8_t acpi_data_marker[] = "ACPI DATA"; /* TDX_ACPI_DATA_EVENT_PAYLOAD */
#define ACPI_DATA_MARKER_LEN (sizeof acpi_data_marker - 1)

/* Copies n bytes into a fresh buffer with a trailing NUL (so strings and byte strings share
 * one allocator and an empty field is never NULL). */
static void *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n + 1);
    if (d != NULL) {
        if (n > 0) {
            memcpy(d, p, n);
        }
        d[n] = 0;
    }
    return d;
}

static dstack_err read_dup(struct scale_rd *r, bool utf8, uint8_t **out, size_t *out_len)
{
    const uint8_t *p;
    size_t n;
    if (scale_read_bytes(r, &p, &n) != DSTACK_OK || (utf8 && !utf8_valid(p, n))) {
        return DSTACK_EFORMAT;
    }
    *out = dup_bytes(p, n);
    *out_len = n;
    return *out == NULL ? DSTACK_ENOMEM : DSTACK_OK;
}

/* A Vec's element count, bounded by the bytes left (every element takes at least min_size),
 * so a hostile count cannot make us allocate more than the input justifies. */
static dstack_err read_str(struct scale_rd *r, char **out, size_t *out_len)
{
    uint8_t *p = NULL;
    dstack_err err = read_dup(r, true, &p, out_len);
    *out = (char *)p;
    return err;
}

static dstack_err read_count(struct scale_rd *r, size_t min_size, size_t *out)
{
    uint64_t n;
    if (scale_read_compact(r, &n) != DSTACK_OK || n > (r->len - r->pos) / min_size) {
        return DSTACK_EFORMAT;
    }
    *out = (size_t)n;
    return DSTACK_OK;
}

dstack_err versioned_decode(const uint8_t *bytes, size_t len, struct versioned_attestation *out)
{
    dstack_err err = DSTACK_OK;
    struct scale_rd r = {bytes, len, 0};
    uint8_t tag;
    const uint8_t *rd;

    if (out == NULL || (bytes == NULL && len > 0)) {
        return DSTACK_EINVAL;
    }
    memset(out, 0, sizeof *out);
    if (len > SCALE_BUF_MAX) {
        return DSTACK_EINVAL;
    }
    if (len == 0) {
        return DSTACK_EFORMAT;
    }
    /* Dispatch on the first byte (attestation.rs from_bytes L742-772). */
    if ((bytes[0] >= 0x80 && bytes[0] <= 0x8f) || bytes[0] == 0xde || bytes[0] == 0xdf) {
        return DSTACK_EUNSUPPORTED; /* V1 msgpack */
    }
    TRY(scale_read_u8(&r, &tag));
    if (tag != VERSIONED_V0) {
        err = DSTACK_EFORMAT;
        goto out;
    }
    TRY(scale_read_u8(&r, &out->quote_kind));
    if (out->quote_kind != VERSIONED_QUOTE_DSTACK_TDX) {
        err = out->quote_kind <= 4 ? DSTACK_EUNSUPPORTED : DSTACK_EFORMAT;
        goto out;
    }
    TRY(read_dup(&r, false, &out->quote, &out->quote_len));

    /* TdxEvent: 4 + 4 + three compact lengths = at least 11 bytes. */
    size_t n;
    TRY(read_count(&r, 11, &n));
    out->events = calloc(n ? n : 1, sizeof *out->events);
    if (out->events == NULL) {
        err = DSTACK_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct versioned_event *e = &out->events[i];
        out->n_events = i + 1;
        TRY(scale_read_u32(&r, &e->imr));
        TRY(scale_read_u32(&r, &e->event_type));
        TRY(read_dup(&r, false, &e->digest, &e->digest_len));
        TRY(read_str(&r, &e->event, &e->event_len));
        TRY(read_dup(&r, false, &e->payload, &e->payload_len));
    }

    TRY(read_count(&r, 2, &n));
    out->runtime = calloc(n ? n : 1, sizeof *out->runtime);
    if (out->runtime == NULL) {
        err = DSTACK_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct versioned_runtime_event *e = &out->runtime[i];
        out->n_runtime = i + 1;
        TRY(read_str(&r, &e->event, &e->event_len));
        TRY(read_dup(&r, false, &e->payload, &e->payload_len));
    }

    TRY(scale_read_raw(&r, DSTACK_REPORT_DATA_LEN, &rd));
    memcpy(out->report_data, rd, DSTACK_REPORT_DATA_LEN);
    TRY(read_str(&r, &out->config, &out->config_len));
    if (r.pos != r.len) {
        err = DSTACK_EFORMAT; /* trailing bytes are rejected upstream */
    }
out:
    if (err != DSTACK_OK) {
        versioned_free(out);
    }
    return err;
}

static void put_event(struct scale_buf *b, const struct versioned_event *e, bool digest,
                      bool payload, bool acpi_marker)
{
    scale_put_u32(b, e->imr);
    scale_put_u32(b, e->event_type);
    scale_put_bytes(b, e->digest, digest ? e->digest_len : 0);
    scale_put_bytes(b, e->event, e->event_len);
    if (acpi_marker) {
        scale_put_bytes(b, acpi_data_marker, ACPI_DATA_MARKER_LEN);
    } else {
        scale_put_bytes(b, e->payload, payload ? e->payload_len : 0);
    }
}

static bool is_acpi_data_event(const struct versioned_event *e)
{
    return e->imr == 0 && e->event_type == VERSIONED_ACPI_DATA_EVENT_TYPE &&
           e->payload_len == ACPI_DATA_MARKER_LEN &&
           memcmp(e->payload, acpi_data_marker, ACPI_DATA_MARKER_LEN) == 0;
}

static dstack_err encode(const struct versioned_attestation *a, bool stripped, uint8_t **out,
                         size_t *out_len)
{
    struct scale_buf b = {0};
    if (a == NULL || out == NULL || out_len == NULL) {
        return DSTACK_EINVAL;
    }
    scale_put_u8(&b, VERSIONED_V0);
    scale_put_u8(&b, a->quote_kind);
    scale_put_bytes(&b, a->quote, a->quote_len);
    if (!stripped) {
        scale_put_compact(&b, a->n_events);
        for (size_t i = 0; i < a->n_events; i++) {
            put_event(&b, &a->events[i], true, true, false);
        }
    } else {
        /* strip_tdx_lite_event_log (v1.rs L20-63) + TdxEvent::stripped (tdx.rs L81-105). */
        size_t kept = 0;
        for (size_t i = 0; i < a->n_events; i++) {
            kept += is_acpi_data_event(&a->events[i]) || a->events[i].imr == 3;
        }
        scale_put_compact(&b, kept);
        for (size_t i = 0; i < a->n_events; i++) {
            const struct versioned_event *e = &a->events[i];
            bool runtime = e->event_type == VERSIONED_RUNTIME_EVENT_TYPE;
            if (is_acpi_data_event(e)) {
                put_event(&b, e, true, false, true);
            } else if (e->imr == 3) {
                put_event(&b, e, !runtime, runtime, false);
            }
        }
    }
    scale_put_compact(&b, a->n_runtime);
    for (size_t i = 0; i < a->n_runtime; i++) {
        scale_put_bytes(&b, a->runtime[i].event, a->runtime[i].event_len);
        scale_put_bytes(&b, a->runtime[i].payload, a->runtime[i].payload_len);
    }
    scale_put_raw(&b, a->report_data, DSTACK_REPORT_DATA_LEN);
    scale_put_bytes(&b, a->config, a->config_len);
    return scale_buf_finish(&b, out, out_len);
}

dstack_err versioned_encode_v0(const struct versioned_attestation *a, uint8_t **out,
                               size_t *out_len)
{
    return encode(a, false, out, out_len);
}

dstack_err versioned_encode_v0_stripped(const struct versioned_attestation *a, uint8_t **out,
                                        size_t *out_len)
{
    return encode(a, true, out, out_len);
}

dstack_err versioned_set_report_data(struct versioned_attestation *a,
                                     const uint8_t rd[DSTACK_REPORT_DATA_LEN])
{
    size_t off;
    if (a == NULL || rd == NULL) {
        return DSTACK_EINVAL;
    }
    dstack_err err = dstack_quote_report_data_offset(a->quote, a->quote_len, &off);
    if (err != DSTACK_OK) {
        return err;
    }
    memcpy(a->quote + off, rd, DSTACK_REPORT_DATA_LEN);
    memcpy(a->report_data, rd, DSTACK_REPORT_DATA_LEN);
    return DSTACK_OK;
}

dstack_err versioned_copy(const struct versioned_attestation *src,
                          struct versioned_attestation *dst)
{
    /* Round-trip through the encoding: one code path, and the copy is checked on the way. */
    uint8_t *bytes = NULL;
    size_t len = 0;
    dstack_err err = versioned_encode_v0(src, &bytes, &len);
    if (err == DSTACK_OK) {
        err = versioned_decode(bytes, len, dst);
    }
    free(bytes);
    return err;
}

/* ---- msgpack (V1) ---- */

static void mp_be(struct scale_buf *b, uint8_t tag, uint64_t v, size_t n)
{
    uint8_t out[9];
    out[0] = tag;
    for (size_t i = 0; i < n; i++) {
        out[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    }
    scale_put_raw(b, out, 1 + n);
}

/* rmp::encode::write_uint: the shortest form. */
static void mp_uint(struct scale_buf *b, uint64_t v)
{
    if (v < 0x80) {
        scale_put_u8(b, (uint8_t)v);
    } else if (v <= UINT8_MAX) {
        mp_be(b, 0xcc, v, 1);
    } else if (v <= UINT16_MAX) {
        mp_be(b, 0xcd, v, 2);
    } else if (v <= UINT32_MAX) {
        mp_be(b, 0xce, v, 4);
    } else {
        mp_be(b, 0xcf, v, 8);
    }
}

/* fix / 16 / 32 headers of maps and arrays */
static void mp_container(struct scale_buf *b, uint8_t fix, uint8_t tag16, size_t n)
{
    if (n < 16) {
        scale_put_u8(b, (uint8_t)(fix | n));
    } else if (n <= UINT16_MAX) {
        mp_be(b, tag16, n, 2);
    } else {
        mp_be(b, (uint8_t)(tag16 + 1), n, 4);
    }
}

static void mp_map(struct scale_buf *b, size_t n)
{
    mp_container(b, 0x80, 0xde, n);
}

static void mp_array(struct scale_buf *b, size_t n)
{
    mp_container(b, 0x90, 0xdc, n);
}

static void mp_str(struct scale_buf *b, const char *s, size_t n)
{
    if (n < 32) {
        scale_put_u8(b, (uint8_t)(0xa0 | n));
    } else if (n <= UINT8_MAX) {
        mp_be(b, 0xd9, n, 1);
    } else if (n <= UINT16_MAX) {
        mp_be(b, 0xda, n, 2);
    } else {
        mp_be(b, 0xdb, n, 4);
    }
    scale_put_raw(b, s, n);
}

static void mp_key(struct scale_buf *b, const char *s)
{
    mp_str(b, s, strlen(s));
}

static void mp_bin(struct scale_buf *b, const uint8_t *p, size_t n)
{
    if (n <= UINT8_MAX) {
        mp_be(b, 0xc4, n, 1);
    } else if (n <= UINT16_MAX) {
        mp_be(b, 0xc5, n, 2);
    } else {
        mp_be(b, 0xc6, n, 4);
    }
    scale_put_raw(b, p, n);
}

/* Vec<u8> without serde_bytes: a sequence of u8. */
static void mp_u8_seq(struct scale_buf *b, const uint8_t *p, size_t n)
{
    mp_array(b, n);
    for (size_t i = 0; i < n; i++) {
        mp_uint(b, p[i]);
    }
}

bool versioned_v0_ok(const struct versioned_attestation *a)
{
    for (size_t i = 0; i < a->n_runtime; i++) {
        if (a->runtime[i].version > 1) {
            return false;
        }
    }
    for (size_t i = 0; i < a->n_events; i++) {
        if (a->events[i].version > 1) {
            return false;
        }
    }
    return true;
}

dstack_err versioned_encode_v1(const struct versioned_attestation *a, uint8_t **out,
                               size_t *out_len)
{
    struct scale_buf b = {0};
    if (a == NULL || out == NULL || out_len == NULL) {
        return DSTACK_EINVAL;
    }
    if (a->quote_kind != VERSIONED_QUOTE_DSTACK_TDX) {
        return DSTACK_EUNSUPPORTED;
    }
    mp_map(&b, 3);
    mp_key(&b, "version");
    mp_uint(&b, 1);
    mp_key(&b, "platform");
    mp_map(&b, 2); /* adjacently tagged enum: {"kind", "data"} */
    mp_key(&b, "kind");
    mp_key(&b, "tdx");
    mp_key(&b, "data");
    mp_map(&b, 2);
    mp_key(&b, "quote");
    mp_u8_seq(&b, a->quote, a->quote_len);
    mp_key(&b, "event_log");
    mp_array(&b, a->n_events);
    for (size_t i = 0; i < a->n_events; i++) {
        const struct versioned_event *e = &a->events[i];
        bool v2 = e->version > 1;
        mp_map(&b, 5 + (v2 ? 1u : 0u) + (e->preimage ? 1u : 0u));
        mp_key(&b, "imr");
        mp_uint(&b, e->imr);
        mp_key(&b, "event_type");
        mp_uint(&b, e->event_type);
        mp_key(&b, "digest");
        mp_bin(&b, e->digest, e->digest_len);
        mp_key(&b, "event");
        mp_str(&b, e->event, e->event_len);
        mp_key(&b, "event_payload");
        mp_bin(&b, e->payload, e->payload_len);
        if (v2) {
            mp_key(&b, "version");
            mp_uint(&b, e->version);
        }
        if (e->preimage) {
            mp_key(&b, "preimage");
            mp_str(&b, e->preimage, strlen(e->preimage));
        }
    }
    mp_key(&b, "stack");
    mp_map(&b, 2);
    mp_key(&b, "kind");
    mp_key(&b, "dstack");
    mp_key(&b, "data");
    mp_map(&b, 3);
    mp_key(&b, "report_data");
    mp_u8_seq(&b, a->report_data, DSTACK_REPORT_DATA_LEN);
    mp_key(&b, "runtime_events");
    mp_array(&b, a->n_runtime);
    for (size_t i = 0; i < a->n_runtime; i++) {
        const struct versioned_runtime_event *r = &a->runtime[i];
        bool v2 = r->version > 1;
        mp_map(&b, v2 ? 3 : 2);
        mp_key(&b, "event");
        mp_str(&b, r->event, r->event_len);
        mp_key(&b, "payload");
        mp_bin(&b, r->payload, r->payload_len);
        if (v2) {
            mp_key(&b, "version");
            mp_uint(&b, r->version);
        }
    }
    mp_key(&b, "config");
    mp_str(&b, a->config ? a->config : "", a->config_len);
    return scale_buf_finish(&b, out, out_len);
}

cJSON *versioned_event_log_json(const struct versioned_attestation *a)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr != NULL && i < a->n_events; i++) {
        const struct versioned_event *e = &a->events[i];
        cJSON *o = cJSON_CreateObject();
        /* Field order as serde emits TdxEvent (docs/wire.md); json_dump keeps insertion
         * order. */
        if (o == NULL || !json_set(o, "imr", json_int_new(e->imr)) ||
            !json_set(o, "event_type", json_int_new(e->event_type)) ||
            !json_set_hex(o, "digest", e->digest, e->digest_len) ||
            !json_set(o, "event", json_string_len(e->event, e->event_len)) ||
            !json_set_hex(o, "event_payload", e->payload, e->payload_len)) {
            json_free(o);
            json_free(arr);
            return NULL;
        }
        if (!json_push(arr, o)) { /* takes o even on failure */
            json_free(arr);
            return NULL;
        }
    }
    return arr;
}

dstack_err versioned_event_log(const struct versioned_attestation *a, struct dstack_event_log *out)
{
    for (size_t i = 0; i < a->n_events; i++) {
        const struct versioned_event *e = &a->events[i];
        if (e->digest_len != 0 && e->digest_len != DSTACK_SHA384_LEN) {
            dstack_event_log_free(out);
            return err_set(DSTACK_EFORMAT, "attestation event_log[%zu]: digest of %zu bytes", i,
                           e->digest_len);
        }
        dstack_err err = dstack_event_log_push(
            out, e->imr, e->event_type, e->digest_len != 0 ? e->digest : NULL, e->event, e->payload,
            e->payload_len, e->version == DSTACK_EVENT_V2 ? e->version : DSTACK_EVENT_V1);
        if (err != DSTACK_OK) {
            dstack_event_log_free(out);
            return err_set(err, "attestation event_log[%zu]: %s", i, dstack_err_str(err));
        }
    }
    return DSTACK_OK;
}

void versioned_free(struct versioned_attestation *a)
{
    if (a == NULL) {
        return;
    }
    free(a->quote);
    for (size_t i = 0; i < a->n_events; i++) {
        free(a->events[i].digest);
        free(a->events[i].event);
        free(a->events[i].payload);
        free(a->events[i].preimage);
    }
    free(a->events);
    for (size_t i = 0; i < a->n_runtime; i++) {
        free(a->runtime[i].event);
        free(a->runtime[i].payload);
    }
    free(a->runtime);
    free(a->config);
    memset(a, 0, sizeof *a);
}
