/* CCEL (TCG crypto-agile event log) decoding and ACPI labelling (docs/tdx.md).
 *
 * Layout (TCG PC Client Platform Firmware Profile §10.2; upstream cc-eventlog/src/tcg.rs):
 *   header  u32 pcrIndex, u32 eventType (EV_NO_ACTION), u8 sha1[20], u32 eventSize,
 *           TCG_EfiSpecIDEvent { "Spec ID Event03\0", u32 platformClass, u8 minor, u8 major,
 *           u8 errata, u8 uintnSize, u32 numAlgs, {u16 algId, u16 size}[numAlgs],
 *           u8 vendorInfoSize, vendorInfo[] }
 *   records u32 imrIndex, u32 eventType, u32 digestCount, {u16 algId, digest}[count],
 *           u32 eventSize, event[eventSize]
 *   end     u32 0xFFFFFFFF, then 0xFF padding (or simply the end of the buffer). */
#include <dstack/ccel.h>

#include <stdlib.h>
#include <string.h>

#include "attest/evlog_internal.h"
#include "util/error.h"

#define EV_NO_ACTION 3u
#define CCEL_SENTINEL 0xFFFFFFFFu
#define SPEC_ID_SIGNATURE "Spec ID Event03" /* 15 chars + NUL = the 16-byte field */
#define SPEC_ID_FIXED_LEN 28                /* signature .. numAlgs */
#define HEADER_DIGEST_LEN 20

/* A bounded reader: every take checks the remaining length first. */
struct cursor {
    const uint8_t *p;
    size_t len;
    size_t off;
};

static bool take(struct cursor *c, size_t n, const uint8_t **out)
{
    if (n > c->len - c->off) {
        return false;
    }
    *out = c->p + c->off;
    c->off += n;
    return true;
}

static bool take_u32(struct cursor *c, uint32_t *v)
{
    const uint8_t *b;
    if (!take(c, 4, &b)) {
        return false;
    }
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return true;
}

static bool take_u16(struct cursor *c, uint16_t *v)
{
    const uint8_t *b;
    if (!take(c, 2, &b)) {
        return false;
    }
    *v = (uint16_t)(b[0] | b[1] << 8);
    return true;
}

static size_t alg_digest_size(uint16_t alg)
{
    switch (alg) {
    case DSTACK_TPM_ALG_SHA1:
        return 20;
    case DSTACK_TPM_ALG_SHA256:
        return 32;
    case DSTACK_TPM_ALG_SHA384:
        return 48;
    case DSTACK_TPM_ALG_SHA512:
        return 64;
    default:
        return 0;
    }
}

/* The legacy header record and its Spec ID structure (tcg.rs:L342-370). */
static dstack_err parse_header(struct cursor *c)
{
    uint32_t pcr, type, size;
    const uint8_t *digest, *ev;
    if (!take_u32(c, &pcr) || !take_u32(c, &type) || !take(c, HEADER_DIGEST_LEN, &digest) ||
        !take_u32(c, &size)) {
        return err_set(DSTACK_EFORMAT, "CCEL header: truncated (%zu bytes)", c->len);
    }
    if (type != EV_NO_ACTION) {
        return err_set(DSTACK_EFORMAT, "CCEL header: event type %u, want EV_NO_ACTION (3)", type);
    }
    if (!take(c, size, &ev)) {
        return err_set(DSTACK_EFORMAT, "CCEL header: Spec ID event of %u bytes runs past the end",
                       size);
    }
    struct cursor s = {ev, size, 0};
    const uint8_t *fixed;
    if (!take(&s, SPEC_ID_FIXED_LEN, &fixed) ||
        memcmp(fixed, SPEC_ID_SIGNATURE, sizeof SPEC_ID_SIGNATURE) != 0) {
        return err_set(DSTACK_EFORMAT, "CCEL header: no \"Spec ID Event03\" structure");
    }
    uint32_t n_algs = (uint32_t)fixed[24] | (uint32_t)fixed[25] << 8 | (uint32_t)fixed[26] << 16 |
                      (uint32_t)fixed[27] << 24;
    if (n_algs > (size - SPEC_ID_FIXED_LEN) / 4) {
        return err_set(DSTACK_EFORMAT, "CCEL header: %u algorithms do not fit the Spec ID event",
                       n_algs);
    }
    /* The table is walked for its length only: record digests are sized by their algorithm
     * id, as upstream's TcgDigest decoder does (tcg.rs alg_id_to_digest_size), so a table that
     * omits SHA-384 or lists odd sizes is accepted as upstream accepts it. */
    for (uint32_t i = 0; i < n_algs; i++) {
        uint16_t alg = 0, dsize = 0;
        take_u16(&s, &alg); /* cannot fail: n_algs * 4 bytes fit, checked above */
        take_u16(&s, &dsize);
    }
    const uint8_t *vsize, *vinfo;
    if (!take(&s, 1, &vsize) || !take(&s, vsize[0], &vinfo)) {
        return err_set(DSTACK_EFORMAT, "CCEL header: vendor info runs past the Spec ID event");
    }
    return DSTACK_OK;
}

/* The digests of one record. Records of MR index 0 (GCP fills some) may carry any number of
 * SHA-1/256/384/512 digests: they are decoded to find the record's end and then dropped
 * (tcg.rs to_cc_event_log filters them before TdxEvent::try_from counts digests). Any other
 * record must carry exactly one digest (try_from), and it must be SHA-384: a TDX RTMR is
 * SHA-384 and our events hold 48-byte digests, where upstream would carry a shorter one that
 * could never replay. */
static dstack_err take_digests(struct cursor *c, uint32_t imr, const uint8_t **digest, size_t n,
                               size_t at)
{
    uint32_t count;
    if (!take_u32(c, &count)) {
        return err_set(DSTACK_EFORMAT, "CCEL record %zu at offset 0x%zx: truncated header", n, at);
    }
    if (imr != 0 && count != 1) {
        return err_set(DSTACK_EFORMAT, "CCEL record %zu at offset 0x%zx: %u digests, want 1", n, at,
                       count);
    }
    for (uint32_t i = 0; i < count; i++) {
        uint16_t alg;
        const uint8_t *d;
        if (!take_u16(c, &alg)) {
            return err_set(DSTACK_EFORMAT, "CCEL record %zu at offset 0x%zx: truncated digest", n,
                           at);
        }
        size_t size = alg_digest_size(alg);
        if (size == 0 || (imr != 0 && alg != DSTACK_TPM_ALG_SHA384)) {
            return err_set(DSTACK_EFORMAT,
                           "CCEL record %zu at offset 0x%zx: digest algorithm 0x%04x, want %s", n,
                           at, alg, imr != 0 ? "SHA-384" : "SHA-1, SHA-256, SHA-384 or SHA-512");
        }
        if (!take(c, size, &d)) {
            return err_set(DSTACK_EFORMAT, "CCEL record %zu at offset 0x%zx: truncated digest", n,
                           at);
        }
        *digest = d;
    }
    return DSTACK_OK;
}

dstack_err dstack_ccel_parse(const uint8_t *data, size_t len, struct dstack_event_log *out)
{
    if (data == NULL || out == NULL) {
        return err_set(DSTACK_EINVAL, "no CCEL data or no output log");
    }
    struct cursor c = {data, len, 0};
    struct dstack_event_log log;
    dstack_event_log_init(&log);
    dstack_err e = parse_header(&c);

    for (size_t n = 1; e == DSTACK_OK && c.off < c.len; n++) {
        size_t at = c.off;
        uint32_t imr, type, size;
        const uint8_t *digest, *ev;
        if (!take_u32(&c, &imr)) {
            e = err_set(DSTACK_EFORMAT, "CCEL record %zu at offset 0x%zx: truncated index", n, at);
            break;
        }
        if (imr == CCEL_SENTINEL) {
            break; /* the 0xFF padding that follows is not looked at (tcg.rs:L288-297) */
        }
        if (!take_u32(&c, &type)) {
            e = err_set(DSTACK_EFORMAT, "CCEL record %zu at offset 0x%zx: truncated header", n, at);
            break;
        }
        digest = NULL;
        if ((e = take_digests(&c, imr, &digest, n, at)) != DSTACK_OK) {
            break;
        }
        if (!take_u32(&c, &size)) {
            e = err_set(DSTACK_EFORMAT, "CCEL record %zu at offset 0x%zx: truncated event size", n,
                        at);
            break;
        }
        if (!take(&c, size, &ev)) {
            e = err_set(DSTACK_EFORMAT,
                        "CCEL record %zu at offset 0x%zx: event data of %u bytes runs past the end "
                        "of the log",
                        n, at, size);
            break;
        }
        if (imr == 0) {
            continue; /* "GCP fills some IMRs starting from 0" (tcg.rs to_cc_event_log) */
        }
        e = dstack_event_log_push(&log, imr - 1, type, digest, "", size ? ev : NULL, size,
                                  DSTACK_EVENT_V1);
        if (e != DSTACK_OK) {
            (void)err_set(e, "CCEL record %zu: %s", n, dstack_err_str(e));
        }
    }
    if (e != DSTACK_OK) {
        dstack_event_log_free(&log);
        return e;
    }
    /* Append to out only once everything decoded, so malformed input leaves out unchanged. */
    if (out->count == 0) {
        free(out->events);
        *out = log;
        return DSTACK_OK;
    }
    for (size_t i = 0; i < log.count && e == DSTACK_OK; i++) {
        e = evlog_push_owned(out, &log.events[i]);
    }
    if (e != DSTACK_OK) {
        /* Events already moved belong to out; drop what is left. */
        dstack_event_log_free(&log);
        return e;
    }
    free(log.events);
    return DSTACK_OK;
}

dstack_err dstack_event_log_label_acpi(struct dstack_event_log *log)
{
    static const char *const names[] = {"acpi-loader", "acpi-rsdp", "acpi-tables"};
    static const char marker[] = "ACPI DATA";
    size_t seen = 0;
    if (log == NULL) {
        return err_set(DSTACK_EINVAL, "dstack_event_log_label_acpi: NULL log");
    }
    for (size_t i = 0; i < log->count && seen < sizeof names / sizeof names[0]; i++) {
        struct dstack_event *e = &log->events[i];
        if (e->imr != 0 || e->event_type != DSTACK_EV_PLATFORM_CONFIG_FLAGS ||
            e->payload_len != sizeof marker - 1 || memcmp(e->payload, marker, e->payload_len)) {
            continue;
        }
        char *name = strdup(names[seen++]);
        if (name == NULL) {
            return err_set(DSTACK_ENOMEM, "dstack_event_log_label_acpi: out of memory");
        }
        free(e->event);
        e->event = name;
    }
    return DSTACK_OK;
}
